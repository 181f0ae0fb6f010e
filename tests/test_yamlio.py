"""Reading YAML: the YAML 1.2 core schema on every path, keys as written, and the limits that refuse an
oversized or malicious document before it is built."""

import io
import json
import math
import subprocess
import sys
import tracemalloc

import pytest

from conftest import deep_only
from rnncalc.errors import InputError
from rnncalc.yamlevents import MAX_NUMBERS
from rnncalc.yamlio import MAX_DOCUMENTS, MAX_YAML_BYTES, load_documents

RNN = ("rnn", "--weights", "1", "--format", "json")


def value(text):
    return load_documents(f"v: {text}", "t.yaml")[0].data["v"]


class TestCoreSchema:
    """YAML 1.2 core schema (yaml.org/spec/1.2.2 §10.3.2): decimal integers, 0o and 0x, floats with
    or without a dot, .inf and .nan; true/false; null and ~. Everything else plain is text."""

    @pytest.mark.parametrize("text, expected", [
        ("017", 17), ("-017", -17), ("+5", 5), ("0o17", 15), ("0x1F", 31),
        ("1e-3", 0.001), ("-2E+5", -200000.0), (".5", 0.5), ("5.", 5.0), ("-.inf", -math.inf),
        ("true", True), ("FALSE", False), ("~", None), ("null", None),
    ])
    def test_numbers_booleans_and_null(self, text, expected):
        assert value(text) == expected and type(value(text)) is type(expected)

    @pytest.mark.parametrize("text", ["1:30", "0b101", "1_000", "yes", "no", "on", "off", "y", "2001-12-14",
                                      "0x", "1e", "０１"])
    def test_yaml_1_1_forms_are_text(self, text):
        assert value(text) == text

    def test_quoted_numbers_are_text(self):
        assert value("'17'") == "17"

    @pytest.mark.parametrize("text, expected", [("!!int 017", 17), ("!!float 1", 1.0), ("!!str 1", "1"),
                                                ("!!bool true", True), ("!!null ~", None)])
    def test_core_tags(self, text, expected):
        assert value(text) == expected and type(value(text)) is type(expected)

    @pytest.mark.parametrize("text, shown", [("!!int 0b101", "'0b101' is not a YAML 1.2 int"),
                                             ("!!bool yes", "'yes' is not a YAML 1.2 bool"),
                                             ("!!float 1_0", "'1_0' is not a YAML 1.2 float")])
    def test_core_tags_hold_their_values_to_the_core_forms(self, text, shown):
        with pytest.raises(InputError, match=f"t.yaml:1: {shown}"):
            value(text)

    @pytest.mark.parametrize("tag", ["!!binary aGk=", "!!timestamp 2001-12-14", "!!set {a}", "!!omap [a: 1]",
                                     "!!python/object:os.system x", "!custom 1"])
    def test_other_tags_refused(self, tag):
        with pytest.raises(InputError, match="t.yaml:1: the tag .* is refused"):
            value(tag)

    def test_merge_keys_are_plain_keys(self):
        # << is YAML 1.1's merge key; under 1.2 it is a key like any other (and rnncalc knows no such key)
        doc = load_documents("a: &a {b: 1}\nc: {<<: *a}\n", "t.yaml")[0]
        assert doc.data["c"] == {"<<": {"b": 1}}

    def test_keys_are_kept_as_written(self):
        doc = load_documents("yes: 1\n017: 2\n~: 3\ntrue: 4\n", "t.yaml")[0]
        assert list(doc.data) == ["yes", "017", "~", "true"]
        assert doc.lines == {"yes": 1, "017": 2, "~": 3, "true": 4}


class TestEveryPath:
    def test_file(self, rnncalc, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text("x: [017]\nround_state: no\n")
        status, out, err = rnncalc("rnn", path, "--weights", "1")
        assert (status, err) == (2, f"rnncalc: {path}:2: round_state: expected true or false, found the text 'no'\n")

    def test_refused_key_named_as_written(self, rnncalc, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text("x: [1]\nyes: 1\n")
        status, out, err = rnncalc("rnn", path, "--weights", "1")
        assert status == 2 and err.startswith(f"rnncalc: {path}:2: unknown key 'yes' for the rnn cell")

    def test_flag_017_is_17(self, rnncalc_json):
        # s_1 = tanh(W_ss·0 + W_sx·17 + 0) with every weight 1: decimal 17, not octal 15
        s = rnncalc_json("rnn", "--weights", "1", "-x", "017")["steps"][0]["s"]
        assert s == [math.tanh(17)]

    @pytest.mark.parametrize("text", ["1:30", "0b101", "1_000"])
    def test_flag_yaml_1_1_numbers_refused(self, rnncalc, text):
        status, out, err = rnncalc(*RNN, "-x", text)
        assert (status, err) == (2, f"rnncalc: -x step 1: expected a number, found the text '{text}'\n")

    def test_flag_param(self, rnncalc):
        status, out, err = rnncalc("rnn", "-p", "W_ss=on", "--weights", "1", "-x", "1")
        assert (status, err) == (2, "rnncalc: --param W_ss: expected a number, found the text 'on'\n")

    def test_problem_on_stdin(self, rnncalc, monkeypatch):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x: [017]\nW_ss: 1\nW_sx: 1\n")))
        status, out, err = rnncalc("rnn", "-", "-q")
        assert (status, out) == (0, f"{math.tanh(17)!r}\n")

    @pytest.mark.parametrize("line, message", [
        ("1_000", "expected numbers separated by spaces or commas, found '1_000'"),
        ("0b101", "expected numbers separated by spaces or commas, found '0b101'"),
        ("１", "expected numbers separated by spaces or commas, found '１'"),
        ("1 nan", "expected finite numbers separated by spaces or commas, found '1 nan'"),
    ])
    def test_stream_numbers(self, rnncalc, tmp_path, line, message):
        path = tmp_path / "x.txt"
        path.write_text(f"1\n{line}\n", encoding="utf-8")
        status, out, err = rnncalc(*RNN, "--x-file", path)
        assert (status, err) == (2, f"rnncalc: {path}:2: {message}\n")

    def test_stream_017_is_17(self, rnncalc_json, tmp_path):
        path = tmp_path / "x.txt"
        path.write_text("017\n")
        assert rnncalc_json("rnn", "--weights", "1", "--x-file", path)["steps"][0]["s"] == [math.tanh(17)]


class TestBytes:
    def test_file_over_the_limit(self, rnncalc, tmp_path):
        path = tmp_path / "big.yaml"
        path.write_bytes(b"# " + b"x" * MAX_YAML_BYTES + b"\n")
        status, out, err = rnncalc("rnn", path)
        assert (status, err) == (2, f"rnncalc: {path}: is over 16 MiB, the limit for a YAML problem; give large "
                                    "parameters as .npz and long inputs with --x-file or -x -\n")

    def test_endless_stdin_is_read_no_further_than_the_limit(self, rnncalc, monkeypatch):
        class Endless(io.RawIOBase):
            given = 0

            def readable(self):
                return True

            def readinto(self, buffer):
                buffer[:] = b"a: 1\n" * (len(buffer) // 5) + b" " * (len(buffer) % 5)
                Endless.given += len(buffer)
                return len(buffer)

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
        status, out, err = rnncalc("rnn", "-")
        assert status == 2 and err.startswith("rnncalc: <stdin>: is over 16 MiB, the limit for a YAML problem")
        assert Endless.given <= MAX_YAML_BYTES + 2**16  # the limit and one buffer's worth

    @pytest.mark.parametrize("command", ["yes 'a: 1' | {rnncalc} rnn -", deep_only("{rnncalc} rnn /dev/zero"),
                                         deep_only("{rnncalc} rnn - < /dev/zero")])
    def test_pipes_and_devices(self, command):
        rnncalc = f"{sys.executable} -m rnncalc"
        done = subprocess.run(command.format(rnncalc=rnncalc), shell=True, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 2
        assert "is over 16 MiB, the limit for a YAML problem" in done.stderr and done.stderr.count("\n") == 1

    def test_endless_input_line(self):
        done = subprocess.run([sys.executable, "-m", "rnncalc", *RNN, "-x", "-"], stdin=open("/dev/zero", "rb"),
                              capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (
            2, "rnncalc: <stdin>:1: a line of more than 1,048,576 characters; expected one step a line\n")


def test_a_long_line_of_a_text_input(rnncalc, tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("1\n" + "1," * 2**19 + "1\n")  # 2**20 + 1 characters on line 2
    status, out, err = rnncalc(*RNN, "--x-file", path)
    assert (status, err) == (2, f"rnncalc: {path}:2: a line of more than 1,048,576 characters; expected one step "
                                "a line\n")


def peak_bytes(call):
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


class TestAliases:
    """Values are counted as the aliases would expand them, and the count stops the reading."""

    def test_repeated_rows_of_x(self, rnncalc, tmp_path):
        path = tmp_path / "x.yaml"  # 84 KB that would expand to 2048 × 20,001 = 41 M numbers
        path.write_text("x: [&r [" + ", ".join(["0"] * 2048) + "], " + ", ".join(["*r"] * 20000) + "]\n")
        result = []
        peak = peak_bytes(lambda: result.append(rnncalc("rnn", path, "--weights", "1")))
        assert result[0][::2] == (2, f"rnncalc: {path}:1: x: holds more than 4,194,304 values (an alias counts "
                                     "as the values it repeats), the limit for one key\n")
        assert peak < 50 * 2**20

    @pytest.mark.parametrize("key", ["cell", "name", "x", "expect"])
    def test_billion_laughs(self, rnncalc, tmp_path, key):
        levels = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        levels += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
        path = tmp_path / "lol.yaml"
        path.write_text(f"{key}: [{', '.join(levels)}]\n")  # 9**10 values once expanded
        result = []
        peak = peak_bytes(lambda: result.append(rnncalc("rnn", path)))
        assert result[0][::2] == (2, f"rnncalc: {path}:1: {key}: holds more than 4,194,304 values (an alias "
                                     "counts as the values it repeats), the limit for one key\n")
        assert peak < 20 * 2**20

    def test_the_document_as_a_whole(self, tmp_path):
        # three keys under the limit each, over it together: twice what 16 MiB could spell out
        row = "[" + ", ".join(["0"] * 2**11) + "]"
        text = f"a: &r [&q {row}, " + ", ".join(["*q"] * (2**10 - 1)) + "]\nb: *r\nc: *r\nd: *r\ne: *r\n"
        with pytest.raises(InputError, match=r"^t.yaml: holds more than 8,388,608 values .* the limit for one document"):
            load_documents(text, "t.yaml")

    def test_exactly_the_limit_is_accepted(self, rnncalc, tmp_path):
        path = tmp_path / "x.yaml"  # 4096 steps of 1024 numbers: 4,194,304
        path.write_text("x: [&r [" + ", ".join(["0"] * 1024) + "], " + ", ".join(["*r"] * 4095) + "]\n")
        assert 4096 * 1024 == MAX_NUMBERS
        status, out, err = rnncalc("rnn", path, "--weights", "0", "--s0", "0.5", "-q")
        assert (status, out) == (0, "0\n")  # W_ss = W_sx = 0: s_T = tanh(0)

    def test_recursive_alias(self):
        with pytest.raises(InputError, match=r"^t.yaml:1: the alias \*a is inside the value it names$"):
            load_documents("x: &a [1, *a]\n", "t.yaml")

    def test_undefined_alias(self):
        with pytest.raises(InputError, match=r"^t.yaml:1: the alias \*b names no anchor before it$"):
            load_documents("x: [1, *b]\n", "t.yaml")

    def test_unvalidated_values_are_clipped_in_messages(self, rnncalc, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text(f"cell: {'a' * 10**6}\n")
        status, out, err = rnncalc("rnn", path)
        assert status == 2 and len(err) < 300 and "…" in err


class TestSizes:
    def test_nesting(self, rnncalc, tmp_path):
        path = tmp_path / "deep.yaml"
        path.write_text("x: " + "[" * 100000 + "]" * 100000 + "\n")
        status, out, err = rnncalc("rnn", path)
        assert (status, err) == (2, f"rnncalc: {path}:1: lists and mappings nested more than 16 deep\n")

    @pytest.mark.parametrize("where", ["file", "-x", "-p", "expect"])
    def test_integers_of_more_than_4300_digits(self, rnncalc, tmp_path, where):
        big = "1" * 4301
        path = tmp_path / "p.yaml"
        path.write_text(f"x: [{big}]\n" if where == "file" else f"expect: {{s: [{big}]}}\n" if where == "expect"
                        else "x: [1]\n")
        extra = {"-x": ("-x", big), "-p": ("-p", f"W_ss={big}")}.get(where, ())
        status, out, err = rnncalc("rnn", path, "--weights", "1", *extra)
        assert status == 2 and "an integer of 4,301 digits; rnncalc reads at most 4,300" in err
        assert len(err) < 200

    def test_4300_digits_are_a_number(self, rnncalc):
        status, out, err = rnncalc("rnn", "--weights", "1", "-x", "1" * 4300)
        assert (status, err) == (2, "rnncalc: -x step 1: expected a finite number, found an integer beyond "
                                    "float64's range\n")

    def test_check_bounds_the_documents(self, rnncalc, tmp_path):
        path = tmp_path / "many.yaml"
        path.write_text("---\ncell: rnn\nweights: 1\nx: [1]\n" * (MAX_DOCUMENTS + 1))
        status, out, err = rnncalc("check", path, "--format", "json")
        assert status == 2 and json.loads(out) == [
            {"file": str(path), "problem": None, "index": None, "verdict": "error", "checked": 0, "failed": 0,
             "message": f"{path}: holds more than 1,000 YAML documents; split it into several files"}]


class TestMessagesClipValues:
    @pytest.mark.parametrize("text", [
        "? {key}\n: 1\n", "x: [1]\nexpect:\n  ? {key}\n  : 1\n", "x: [1]\nround: {key}\n",
        "x: [1]\nround:\n  ? {key}\n  : sign\n",
        "x: [1]\nbidirectional: {key}\nlayers: [{{}}]\n",
    ])
    def test_a_long_key_or_text(self, rnncalc, tmp_path, text):
        path = tmp_path / "p.yaml"
        path.write_text(text.format(key="k" * 2**20))
        status, out, err = rnncalc("rnn", path, "--weights", "1")
        assert status == 2 and len(err) < 500 and "k…" in err and err.count("\n") == 1


@pytest.mark.parametrize("text", ["[1, 2]", "!!seq [1, 2]", "&a [1, 2]", "1, 2", "!!seq [1.0, 2]"])
def test_a_flags_value_is_read_as_the_same_yaml_in_a_file(text, tmp_path, rnncalc):
    # A tag or an anchor before a list is YAML's, as in a file: two steps of one number, not one step of two.
    path = tmp_path / "p.yaml"
    path.write_text(f"weights: 1\nx: {text if not text[0].isdigit() else '[' + text + ']'}\n")
    from_file = rnncalc("lstm", path, "-f", "json")
    from_flag = rnncalc("lstm", "--weights", "1", "-x", text, "-f", "json")
    assert from_flag[0] == from_file[0] == 0 and json.loads(from_flag[1])["steps"] == json.loads(from_file[1])["steps"]
    assert len(json.loads(from_flag[1])["steps"]) == 2


def test_a_state_in_pytorchs_layout_of_one_layer(rnncalc):
    # torch's h_0 of an nn.LSTM with one layer, batch 1: (1, 1, H), as print(h0) shows it.
    same = rnncalc("lstm", "--weights", "1", "--hidden", "3", "-x", "1", "--h0", "[0.1, 0.2, 0.3]", "-q")
    assert same[0] == 0
    for text in ("tensor([[[0.1000, 0.2000, 0.3000]]])", "[[0.1, 0.2, 0.3]]"):
        assert rnncalc("lstm", "--weights", "1", "--hidden", "3", "-x", "1", "--h0", text, "-q") == same
