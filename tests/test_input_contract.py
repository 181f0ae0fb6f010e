"""Nothing a user types is lost or misread: every -p KEY=V acts as the YAML key KEY would or is refused
in one line; a check agrees with the value shown; names are shown escaped in every format; limits hold
whichever way a value arrives; the library's arguments are refused in one printable line."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer

import rnncalc as library
from rnncalc import cells
from rnncalc.cli import app
from rnncalc.problem import MAX_GRAD_BYTES, grad_step_bytes
from rnncalc.runner import Check, holds_at, matches
from rnncalc.stackfile import MAX_LAYERS, top_keys
from rnncalc.yamlevents import MAX_DEPTH, MAX_NUMBERS
from strategies import every_key

ROOT = Path(__file__).resolve().parent.parent
CELL_NAMES = sorted(cells.CELLS)


# ---------------------------------------------------------------- every key a problem file can hold

def value_of(key, cell_name, stack=False):
    """(YAML text, other keys it needs, extra flags) for a valid value of KEY; a key this table does not
    know fails the test, so that a new key gets a value here."""
    cell = cells.CELLS[cell_name]()
    options = {o.key: o.choices[-1] for entry in cells.CELLS.values() for o in entry.options}
    width_one = "[[1]]" if stack else "1"
    table = {
        "x": ("[1, -1]", {}, []), "hidden": ("2", {}, []), "input": ("1", {}, []), "proj": ("1", {}, []),
        "round": ("sign", {}, []),
        "round_state": ("true", {}, []), "output": ("linear", {"W_y": width_one}, []),
        "weights": ("0.25", {}, []), "biases": ("0.125", {}, []), "digits": ("2", {}, []), "atol": ("0.1", {}, []),
        "expect": ("{output: 0.5}" if stack else f"{{{cell.visible}: 0.5}}", {}, []),
        "loss": ("dot", {"target": "0.5"}, ["--grad"]), "target": ("0.5", {"loss": "dot"}, ["--grad"]),
        "name": ("'a run'", {}, []), "cell": (cell_name, {}, []), "bidirectional": ("false", {}, []),
        "merge": ("sum", {}, []), "journey": ("every", {}, ["--grad"]), "head": ("final", {"W_y": width_one}, []),
        "W_y": ("[[0.25]]" if stack else "0.25", {}, []), "b_y": ("0.5", {"W_y": width_one}, []),
        "pin": (f"{{{cell.equations[0].name}: 0.5}}", {}, []),
        **{k: (v, {}, []) for k, v in options.items()},
    }
    if key in table:
        return table[key]
    if key[0] in "WbP" and "_" in key or key.endswith("0"):  # a parameter or an initial state
        return "0.25", {}, []
    raise KeyError(f"no test value for the key {key!r}: add one to value_of")


def outcome(run, args, key):
    """(status, the JSON document or None, the error after the place it names): what a user would see,
    except where the value came from (a flag or a line of the file)."""
    status, out, err = run(*args, "-f", "json")
    return status, json.loads(out) if out else None, re.split(rf"\b{re.escape(key)}:? ", err, maxsplit=1)[-1]


def write(folder, text, name="problem.yaml"):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


BASE = "weights: 0.5\nx: [1, 2]\n"


@pytest.mark.parametrize("cell_name", CELL_NAMES)
def test_every_key_as_p_acts_as_the_yaml_key(rnncalc, rnncalc_json, tmp_path, cell_name):
    visible = cells.CELLS[cell_name]().visible
    final = rnncalc_json(cell_name, write(tmp_path / "base", BASE))["final"][visible][0]
    assert f"{final:.4f}" != f"{final:.2f}00"
    # expected to 2 decimals: it holds at digits 2 or within atol 0.1, not at the default 4 digits, so that
    # a digits or atol dropped on the way changes the outcome
    base = {**dict(line.split(": ") for line in BASE.splitlines()), "expect": f"{{{visible}: {final:.2f}}}"}
    for key in every_key(cell_name):
        value, needs, extra = value_of(key, cell_name)
        by_flag = write(tmp_path / f"{key}-flag", "".join(f"{k}: {v}\n" for k, v in {**base, **needs}.items()))
        by_file = write(tmp_path / f"{key}-file", "".join(f"{k}: {v}\n" for k, v in
                                                          {**base, **needs, key: value}.items()))
        flagged = outcome(rnncalc, [cell_name, by_flag, "-p", f"{key}={value}", *extra], key)
        filed = outcome(rnncalc, [cell_name, by_file, *extra], key)
        assert flagged == filed, key
        if key in ("digits", "atol"):
            assert flagged[0] == 0  # the expected value holds as it does not without the key


def test_the_headline_example_uses_h0_and_c0(rnncalc_json):
    # h0 = 3, c0 = 2 and all weights 1, x = 1: f = i = o = σ(3 + 1) and c = σ(4)·2 + σ(4)·tanh(4), h = σ(4) tanh(c)
    s = 1 / (1 + np.exp(-4.0))
    c = s * 2 + s * np.tanh(4.0)
    final = rnncalc_json("lstm", "--weights", "1", "-x", "1", "-p", "h0=3", "-p", "c0=2")["final"]
    assert final == {"h": [pytest.approx(s * np.tanh(c))], "c": [pytest.approx(c)]}


STACK = "x: [1, 2]\nweights: 0.5\nlayers:\n  - {hidden: 2}\n  - {hidden: 1}\n"


@pytest.mark.parametrize("cell_name", CELL_NAMES)
def test_every_key_of_a_layer_as_p_acts_as_the_layers_key(rnncalc, tmp_path, cell_name):
    for key in every_key(cell_name):
        value, needs, extra = value_of(key, cell_name, stack=True)
        needs_text = "".join(f"{k}: {v}\n" for k, v in needs.items())
        by_flag = write(tmp_path / f"{key}-flag", needs_text + STACK)
        by_file = write(tmp_path / f"{key}-file", needs_text + STACK.replace("{hidden: 2}",
                                                                             f"{{hidden: 2, {key}: {value}}}"))
        if key == "hidden":
            by_file = write(tmp_path / f"{key}-file", needs_text + STACK.replace("{hidden: 2}", f"{{hidden: {value}}}"))
        flagged = outcome(rnncalc, [cell_name, by_flag, "-p", f"layers.1.{key}={value}", *extra], key)
        filed = outcome(rnncalc, [cell_name, by_file, *extra], key)
        assert flagged == filed, key


@pytest.mark.parametrize("cell_name", CELL_NAMES)
def test_every_key_of_a_stack_as_p_acts_as_the_stacks_key(rnncalc, rnncalc_json, tmp_path, cell_name):
    final = rnncalc_json(cell_name, write(tmp_path / "base", STACK))["output"][-1][0]
    assert f"{final:.4f}" != f"{final:.2f}00"  # to 2 decimals: holds at digits 2 or atol 0.1, not at 4 digits
    base = {**dict(line.split(": ") for line in STACK.split("\nlayers:")[0].splitlines()),
            "expect": f"{{output: {final:.2f}}}"}
    for key in sorted(set(top_keys(cell_name)) - {"layers"}):
        value, needs, extra = value_of(key, cell_name, stack=True)
        top = {**base, **needs}
        layers = "layers:" + STACK.split("\nlayers:")[1]
        by_flag = write(tmp_path / f"{key}-flag", "".join(f"{k}: {v}\n" for k, v in top.items()) + layers)
        by_file = write(tmp_path / f"{key}-file", "".join(f"{k}: {v}\n" for k, v in {**top, key: value}.items())
                        + layers)
        flagged = outcome(rnncalc, [cell_name, by_flag, "-p", f"{key}={value}", *extra], key)
        filed = outcome(rnncalc, [cell_name, by_file, *extra], key)
        assert flagged == filed, key
        if key in ("digits", "atol"):
            assert flagged[0] == 0  # the expected value holds as it does not without the key


@pytest.mark.parametrize("cell_name", CELL_NAMES)
def test_a_stack_refuses_a_layers_key_without_its_address(rnncalc, tmp_path, cell_name):
    path = write(tmp_path, STACK)
    for key in sorted(set(every_key(cell_name)) - set(top_keys(cell_name))):
        status, _, err = rnncalc(cell_name, path, "-p", f"{key}=1")
        assert (status, err) == (2, f"rnncalc: --param {key}: a stack's values are addressed by layer, "
                                    f"e.g. layers.1.{key}\n")


def own_flags(cell_name):
    """{YAML key: the flag of its own and a value for it}, read off the command's options."""
    command = typer.main.get_command(app).commands[cell_name]
    flags = {opt: param for param in command.params for opt in param.opts}
    cell = cells.CELLS[cell_name]()
    values = {"--expect": f"{cell.visible}=1", "--round": "sign", "--output": "linear", "--loss": "dot",
              "--journey": "every",
              "--activation": "relu", "--variant": "reset-before", "--z-weighs": "new"}
    found = {"x": ("-x", "1")}
    for key in every_key(cell_name):
        flag = "--" + key.replace("_", "-")
        if flag in flags and key != "x":
            found[key] = (flag, *([] if flags[flag].is_flag else [values.get(flag, "1")]))
    return found


@pytest.mark.parametrize("cell_name", CELL_NAMES)
def test_a_key_given_by_p_and_by_its_own_flag_is_refused(rnncalc, tmp_path, cell_name):
    flagged = own_flags(cell_name)
    assert {"x", "hidden", "weights", "digits", "expect", "target"} <= set(flagged)  # the table is read right
    path = write(tmp_path, BASE)
    for key, (flag, *value) in flagged.items():
        status, _, err = rnncalc(cell_name, path, "-p", f"{key}=1", flag, *value)
        assert (status, err) == (2, f"rnncalc: --param {key}: also given by {flag}; give it once\n"), key
    status, _, err = rnncalc(cell_name, "--weights", "1", "-p", "x=1", "--x-file", ROOT / "samples" / "x.csv")
    assert (status, err) == (2, "rnncalc: --param x: also given by --x-file; give it once\n")


@pytest.mark.parametrize("args, message", [
    (["-p", "cell=gru"], "--param cell: the command names the cell; run rnncalc gru instead of rnncalc lstm"),
    (["-p", "layers=[{}]"], "--param layers: unknown parameter 'layers' for the lstm cell; its parameters are W_fh W_fx "
                            "b_f W_ih W_ix b_i W_oh W_ox b_o W_ch W_cx b_c (rnncalc equations lstm)"),
    (["-p", "h0=1", "-p", "h0=2"], "--param h0: given twice"),
    (["-p", "round_state=true", "--no-round-state"], "--param round_state: also given by --no-round-state; "
                                                     "give it once"),
    (["-p", "expect={h: 1}", "--no-expect"], "--param expect: also given by --no-expect; give it once"),
    (["-p", "round=sign", "--round-sigmoid", "none", "--round-tanh", "none"],
     "--param round: also given by --round-sigmoid and --round-tanh; give it once"),
])
def test_p_refusals(rnncalc, args, message):
    status, _, err = rnncalc("lstm", "--weights", "1", "-x", "1", *args)
    assert (status, err) == (2, f"rnncalc: {message}\n")


# ---------------------------------------------------------------- a stack checked as one layer is

@pytest.mark.parametrize("top, args, message", [
    ("loss: hinge\n", [], "problem.yaml:1: loss: expected one of sum, mse, xent, dot, found the text 'hinge'"),
    ("target: abc\n", [], "problem.yaml:1: target: expected a number, found the text 'abc'"),
    ("", ["-p", "layers.1.W_y=1"], "--param layers.1.W_y: 'W_y' is a key of the whole stack: give it at the "
                                   "top level"),
    ("", ["-p", "layers.1.W_ss=1", "-p", "layers.1.W_ss=2"], "--param layers.1.W_ss: given twice"),
    ("", ["-p", "layers.2.x=1"], "--param layers.2.x: layer 1 reads the stack's x and each layer above the one "
                                 "below: give x at the top level"),
    ("", ["-p", "layers.1.weights=1", "--weights", "2"], "--param layers.1.weights: also given by --weights; "
                                                         "give it once"),
    ("", ["-p", "layers=1"], "--param layers: the layers are given in the file; address one layer's value, "
                             "e.g. layers.1.W_ss"),
    ("", ["--s0", "a" * 100], f"--s0: expected a number, found the text '{'a' * 59}…'"),
    ("", ["--s0", "[1, 2, 3]"], "--s0: expected one row a layer and direction, (2, H) or (2, 1, H) as PyTorch's "
                                "s0 of 2 layers; found shape (3,)"),
    ("", ["-p", "layers.1.W_ss"], "--param: expected NAME=VALUE, found 'layers.1.W_ss'"),
    ("", ["-p", "layers.2.s0=abc"], "--param layers.2.s0: expected a number, found the text 'abc'"),  # not --s0
    ("", ["-p", "layers.2.activation=abc"], "--param layers.2.activation: expected one of tanh, relu, sigmoid, "
                                            "linear, found the text 'abc'"),  # not the file's line
    ("", ["-p", f"layers.9.{'q' * 5000}=1"], f"--param layers.9.{'q' * 50}…: the stack has layers 1–2"),
    ("", ["--expect", f"layers.1.{'q' * 5000}=1"], f"--expect layers.1.{'q' * 50}…: no quantity '{'q' * 59}…'; "
                                                   "the rnn cell has s_pre s"),
    ("", ["-p", "q" * 5000, "1"], f"--param: expected NAME=VALUE, found '{'q' * 59}…'; did you mean "
                                  f"-p {'q' * 59}…=1?"),
])
def test_a_stack_refuses_what_one_layer_refuses(rnncalc, tmp_path, top, args, message):
    status, _, err = rnncalc("rnn", write(tmp_path, top + STACK), *args)
    assert (status, err.replace(str(tmp_path) + "/", "")) == (2, f"rnncalc: {message}\n")


def test_a_layers_initial_state_by_p_is_that_layers(rnncalc_json, tmp_path):
    # Layer 1 of the stack with s0 = 1 runs as one layer with s0 = 1: s_1 = tanh(0.5·1 + 0.5·x_1) per unit.
    doc = rnncalc_json("rnn", write(tmp_path, STACK), "-p", "layers.1.s0=1")
    assert doc["layers"][0]["steps"][0]["s"] == pytest.approx([np.tanh(0.5 * 1 * 2 + 0.5 * 1)] * 2)


# ---------------------------------------------------------------- a check agrees with what is shown

class TestMatches:
    def test_large_values_at_the_precision_shown(self):
        # 1.23456e12 is shown 1.2346e+12 at 4 digits: written so, it holds; 1.2345e+12 does not
        assert matches(np.array([1.23456e12]), np.array([1.2346e12]), 4, None)
        assert not matches(np.array([1.23456e12]), np.array([1.2345e12]), 4, None)
        assert matches(np.array([-9.99996e15]), np.array([-1e16]), 4, None)  # shown -1.0000e+16

    def test_small_values_as_before(self):
        assert matches(np.array([0.96128]), np.array([0.9613]), 4, None)
        assert not matches(np.array([0.96128]), np.array([0.961]), 4, None)
        assert matches(np.array([0.96128]), np.array([1]), 0, None)

    def test_holds_at_fewer_mantissa_digits(self):
        assert holds_at(np.array([1.23456e12]), np.array([1.23e12]), 4) == 2
        assert holds_at(np.array([1.23456e12]), np.array([1.3e12]), 4) is None

    def test_the_hint_names_what_the_user_can_type(self):
        check = Check("h", 1, np.array([0.96]), np.array([0.9613]), False)
        assert check.describe(4).endswith("(holds at --digits 2, or give --atol)")
        assert check.describe(4, keys=("digits: ", "atol:")).endswith("(holds at digits: 2, or give atol:)")
        assert check.describe(4, keys=("digits=", "atol=")).endswith("(holds at digits=2, or give atol=)")


def test_expect_a_large_value_as_the_table_shows_it(rnncalc):
    # s_pre = W_sx · x = 1.23456e12, shown 1.2346e+12
    args = ["rnn", "--weights", "1", "-p", "W_sx=1.23456e12", "-x", "1", "--only", "s_pre", "--no-color"]
    status, out, err = rnncalc(*args, "--expect", "s_pre=1.2346e+12")
    assert (status, err) == (0, "") and "1.2346e+12 ✓" in out


def test_check_names_the_files_keys(rnncalc, tmp_path):
    path = write(tmp_path, "cell: lstm\nweights: 1\nx: 5\nexpect: {h: 0.75}\n")  # h = 0.7537
    status, out, _ = rnncalc("check", path, "-f", "json")
    assert status == 1
    assert json.loads(out)[0]["message"] == "h at t = 1 is 0.7537, expected 0.75 (holds at digits: 2, or give atol:)"


# ---------------------------------------------------------------- names shown escaped

NAME = "a\x1b[31mb\x07\u202ec\nd.yaml"
ESCAPED = "a\\x1b[31mb\\x07\\u202ec\\nd.yaml"


@pytest.mark.parametrize("fmt, shown", [("markdown", ESCAPED),
                                        ("latex", ESCAPED.replace("\\", "\\textbackslash{}")),
                                        ("table", ESCAPED)])
def test_a_file_name_is_escaped_in_every_header(rnncalc, tmp_path, fmt, shown):
    path = write(tmp_path, "weights: 1\nx: 1\n", NAME)
    status, out, _ = rnncalc("rnn", path, "-f", fmt, "--no-color")
    assert status == 0 and shown in out
    for raw in ("\x1b", "\x07", "\u202e", "c\nd"):
        assert raw not in out


@pytest.mark.parametrize("name", ["1", "a(b", "file"])
def test_the_from_column_names_the_file_only_where_it_is_the_file(rnncalc, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)  # the file named as typed: 1, a(b, file
    path = write(tmp_path, "weights: 0.5\nx: 1\nW_f: [[1, 2]]\n", name).name
    status, out, _ = rnncalc("lstm", path, "--weights", "0.1", "-f", "markdown")
    assert status == 0
    assert "| `W_fh` | 1×1 | 1 | W_f (file) |" in out
    assert "| `W_ih … W_cx` | 1×1 | 0.1 | --weights 0.1 (fill) |" in out  # not "--weights 0.file"
    status, out, _ = rnncalc("lstm", path, "-f", "markdown")
    assert "| `W_ih … W_cx` | 1×1 | 0.5 | file weights: 0.5 (fill) |" in out


# ---------------------------------------------------------------- limits, whichever way a value arrives

def printed(n):
    return "[" + " ".join(["1"] * n) + "]"


class TestPastedLimits:
    def test_depth(self, rnncalc, tmp_path):
        deep = "[" * (MAX_DEPTH + 1) + "1 2" + "]" * (MAX_DEPTH + 1)
        for args, where in ((["-x", deep], "-x"), (["-p", f"W_ss={deep}"], "--param W_ss")):
            assert rnncalc("rnn", "--weights", "1", *args) == (2, "", f"rnncalc: {where}: lists nested more than "
                                                                      f"{MAX_DEPTH} deep\n")
        path = write(tmp_path, f"weights: 1\nx: '{deep}'\n")
        assert rnncalc("rnn", path)[2] == f"rnncalc: {path}:2: x: lists nested more than {MAX_DEPTH} deep\n"

    def test_eight_million_brackets_are_refused_early(self):
        # VmHWM, the peak of this process's own memory (getrusage's would count the forked parent's too)
        code = ("import re, rnncalc\n"
                "try:\n    rnncalc.trace('rnn', weights=1, x='[' * 8_000_000 + '1 2' + ']' * 8_000_000)\n"
                "except rnncalc.InputError as e:\n    print(e)\n"
                "print(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1])")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        message, kilobytes = r.stdout.splitlines()
        assert message == f"keyword x: lists nested more than {MAX_DEPTH} deep"
        assert int(kilobytes) < 300_000  # 970 MB when every bracket was read first

    def test_a_python_list_over_the_limit(self):
        with pytest.raises(library.InputError, match=f"^keyword x: holds more than {MAX_NUMBERS:,} values, the "
                                                     "limit for one key$"):
            library.trace("rnn", weights=1, x=[1.0] * (MAX_NUMBERS + 1))

    @pytest.mark.deep(reason="reads 4 million pasted numbers three times")
    def test_pasted_values_over_the_limit(self, tmp_path, rnncalc):
        over = f"holds more than {MAX_NUMBERS:,} values, the limit for one key"
        path = write(tmp_path, f"weights: 1\nx: '{printed(MAX_NUMBERS + 1)}'\n")
        assert rnncalc("rnn", path)[2] == f"rnncalc: {path}:2: x: {over}\n"
        rows = f"['{' '.join(['1'] * (MAX_NUMBERS // 2))}'], ['{' '.join(['1'] * (MAX_NUMBERS // 2 + 1))}']"
        path = write(tmp_path, f"weights: 1\nx: [{rows}]\n", "rows.yaml")  # pasted row by row
        assert rnncalc("rnn", path)[2] == f"rnncalc: {path}:2: x: {over}\n"
        with pytest.raises(library.InputError, match=f"^keyword x: {over}$"):
            library.trace("rnn", weights=1, x=f"array({printed(MAX_NUMBERS + 1)})")

    @pytest.mark.deep(reason="reads 4,194,304 pasted numbers (8 MB of YAML)")
    def test_at_the_limit(self, rnncalc_json, tmp_path):
        # W_ss of the largest H, 2048 × 2048 = 4,194,304 values: the most one key may hold
        assert 2048 * 2048 == MAX_NUMBERS
        rows = "\n".join(f"  [{' '.join(['0'] * 2048)}]" for _ in range(2048))  # as numpy prints it
        path = write(tmp_path, f"W_ss: |\n [{rows[1:]}]\nW_sx: 1\nx: 1\n")
        assert rnncalc_json("rnn", path)["hidden_size"] == 2048

    def test_a_python_list_nested_too_deep(self):
        x = [1.0]
        for _ in range(10_000):
            x = [x]
        with pytest.raises(library.InputError, match=f"lists and mappings nested more than {MAX_DEPTH} deep$"):
            library.trace("rnn", weights=1, x=x)


def test_layers_are_limited(rnncalc, tmp_path):
    many = write(tmp_path, "x: 1\nweights: 1\nlayers:\n" + "  - {}\n" * (MAX_LAYERS + 1))
    assert rnncalc("rnn", many) == (2, "", f"rnncalc: {many}:3: layers: {MAX_LAYERS + 1:,} layers are over "
                                           f"rnncalc's limit of {MAX_LAYERS}\n")
    enough = write(tmp_path, "x: 1\nweights: 1\nlayers:\n" + "  - {}\n" * MAX_LAYERS, "enough.yaml")
    assert rnncalc("rnn", enough, "-q")[0] == 0


class TestGradLimit:
    def test_an_lstm_step_is_about_15_kb(self):
        # measured: an LSTM with H = D = 1 holds about 14.5 KB a step under --grad (RSS over 20,000 steps)
        assert 14_000 < grad_step_bytes(cells.CELLS["lstm"](), {"H": 1, "D": 1}) < 17_000

    def test_refused_before_it_starts(self, rnncalc, tmp_path):
        step = grad_step_bytes(cells.CELLS["lstm"](), {"H": 1, "D": 1})
        steps = MAX_GRAD_BYTES // step + 1
        np.save(tmp_path / "x.npy", np.zeros((steps, 1)))
        status, _, err = rnncalc("lstm", "--weights", "1", "--x-file", tmp_path / "x.npy", "--grad", "-f", "json")
        assert (status, err) == (2, f"rnncalc: --grad: {steps:,} steps would hold about "
                                    f"{step * steps / 2**30:.1f} GiB ({step / 1024:.0f} KiB a step), over rnncalc's "
                                    f"limit of 2 GiB; every step is differentiated whatever --steps shows, so give a "
                                    f"shorter x (at most {steps - 1:,} steps here)\n")
        np.save(tmp_path / "x.npy", np.zeros((steps - 1, 1)))  # one step fewer is allowed: only build it
        from rnncalc.problem import Flags, build
        assert build("lstm", None, Flags(weights="1", x_file=str(tmp_path / "x.npy"), grad=True)).steps == steps - 1

    def test_a_stack_counts_every_layer(self, rnncalc, tmp_path):
        step = 2 * grad_step_bytes(cells.CELLS["rnn"](), {"H": 1, "D": 1})
        steps = MAX_GRAD_BYTES // step + 1
        np.save(tmp_path / "x.npy", np.zeros((steps, 1)))
        path = write(tmp_path, "weights: 1\nlayers: [{}, {}]\n")
        status, _, err = rnncalc("rnn", path, "--x-file", tmp_path / "x.npy", "--grad", "-f", "json")
        assert status == 2 and err.startswith(f"rnncalc: --grad: {steps:,} steps would hold about")


# ---------------------------------------------------------------- the library's arguments

@pytest.mark.parametrize("paths, message", [
    (None, "paths: expected a path or a list of paths of YAML files and folders, found NoneType"),
    ([1], "paths: expected paths of YAML files and folders, found 1 (int)"),
    (b"a.yaml", "paths: expected a path or a list of paths of YAML files and folders, found bytes"),
    ("nope\n.yaml", "nope\n.yaml: no such file or folder"),
])
def test_check_refuses_what_is_no_path(paths, message):
    with pytest.raises(library.InputError) as e:
        library.check(paths)
    assert str(e.value) == message


def test_check_of_a_missing_path_is_one_line(rnncalc):
    assert rnncalc("check", ROOT / "samples", "nope.yaml") == (2, "", "rnncalc: nope.yaml: no such file or folder\n")


MASKED = "a masked array with {} of {} values masked; rnncalc reads every value, so fill them (e.g. a.filled(0)) " \
         "or leave them out"


@pytest.mark.parametrize("keywords, message", [
    ({"x": np.ma.masked_array([1.0, 2.0], mask=[0, 1])}, "keyword x: " + MASKED.format(1, 2)),
    ({"x": np.ma.masked_array([1.0, 2.0], mask=[1, 1])}, "keyword x: " + MASKED.format(2, 2)),
    ({"x": [1], "expect": {"s": np.ma.masked_array([1.0], mask=[1])}}, "keyword expect s: " + MASKED.format(1, 1)),
    ({"x": [1], "W_ss": np.ma.masked}, "keyword W_ss: " + MASKED.format(1, 1)),
    ({"x": [np.ma.masked_array([1.0], mask=[1])]}, "keyword x[0]: " + MASKED.format(1, 1)),
])
def test_masked_values_are_refused(keywords, message):
    with pytest.raises(library.InputError) as e:
        library.trace("rnn", weights=1, **keywords)
    assert str(e.value) == message


def test_a_masked_array_with_nothing_masked_is_its_values():
    plain = library.trace("rnn", weights=1, x=[1.0, 2.0]).final["s"]
    assert library.trace("rnn", weights=1, x=np.ma.masked_array([1.0, 2.0], mask=[0, 0])).final["s"] == plain


@pytest.mark.parametrize("call, message", [
    (lambda: library.trace("rnn", weights=1, x="a\nb"), "keyword x step 1: expected a number, found the text 'a\\nb'"),
    (lambda: library.trace("rnn", {"W\nq": 1}), "problem: expected keys that are names such as W_fh or x, found the "
                                                 "key 'W\\nq'"),
    (lambda: library.trace("rnn", "no\x1b.yaml"), "no\\x1b.yaml: no such file"),
])
def test_library_messages_are_one_printable_line(call, message):
    with pytest.raises(library.InputError) as e:
        call()
    assert str(e.value) == message


# ---------------------------------------------------------------- Ctrl-C while the command loads

# Runs rnncalc as its installed script does, sending itself SIGINT the moment the module named in argv[1]
# starts importing; the signal module itself is not imported first, as an installed script does not.
INTERRUPT_AT_IMPORT = """
import os, sys
name = sys.argv.pop(1)
class Interrupt:
    def find_spec(self, fullname, path=None, target=None):
        if fullname == name:
            os.kill(os.getpid(), 2)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv[0] = "rnncalc"
from rnncalc.cli import entry
entry()
"""


def test_ctrl_c_while_the_signal_module_loads():
    import signal
    assert "signal" not in subprocess.run([sys.executable, "-c", "import sys; print(*sys.modules)"],
                                          capture_output=True, text=True).stdout.split()
    r = subprocess.run([sys.executable, "-c", INTERRUPT_AT_IMPORT, "signal", "lstm", "--weights", "1", "-x", "1"],
                       capture_output=True, timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (r.returncode, r.stderr) == (130, b"")


# ---------------------------------------------------------------- messages a newcomer meets

@pytest.mark.parametrize("args, message", [
    (["lstm", "--W_ss", "1"], "--W_ss: no such option; a parameter is given as -p W_ss=1"),
    (["rnn", "--W_ss=[[1]]"], "--W_ss: no such option; a parameter is given as -p W_ss=[[1]]"),
    (["lstm", "-x", "5", "3", "--weights", "1"], "-x: takes one value, found '5' and then '3'; did you mean -x 5,3?"),
    (["lstm", "--weights", "1", "-x", "1", "-p", "W_fh=[[1, 2]]"],
     "--param W_fh: expected shape (H, H), a square matrix, found (1, 2)"),
    (["lstm", "--round"], "Option '--round' requires an argument; choose one of none, nearest, sign"),
    (["lstm", "--weights", "1", "-x", "1,2", "-q", "--steps", "1:2"],
     "--steps: -q prints only the final step; give one of them"),
    (["lstm", "--weights", "1", "-x", "1", "--only", "h," + "q" * 5000],
     f"--only: no quantity '{'q' * 59}…'; the lstm cell has f_pre f i_pre i o_pre o c_tilde_pre c_tilde c tanh_c h"),
    (["lstm", str(ROOT / "samples" / "seed.yaml"), "--problem", "p" * 5000],
     f"--problem {'p' * 59}…: no problem of this name in {ROOT / 'samples' / 'seed.yaml'}; its problems are "
     "named 'the all-ones LSTM' (or give a number from 1 to 1)"),
])
def test_first_hour_messages(rnncalc, args, message):
    status, out, err = rnncalc(*args)
    assert (status, out) == (2, "")
    assert err == f"rnncalc: {message}\n"


def test_a_mistyped_cell_gets_a_suggestion(rnncalc, tmp_path):
    path = write(tmp_path, "cell: lstmm\nweights: 1\nx: 1\n")
    assert rnncalc("lstm", path)[2] == (f"rnncalc: {path}:1: cell: expected one of rnn, gated, lstm, gru, found the "
                                        "text 'lstmm'; did you mean lstm?\n")
    status, out, _ = rnncalc("check", path, "-f", "json")
    assert json.loads(out)[0]["message"] == (f"{path}:1: cell: each problem names its cell (rnn, gated, lstm, gru), "
                                             "found the text 'lstmm'; did you mean lstm?")


def test_help_names_each_value():
    for name, command in typer.main.get_command(app).commands.items():
        help_text = command.get_help(typer.Context(command))
        assert "<str>" not in help_text and "TEXT" not in help_text, name


@pytest.mark.parametrize("param, message", [
    ("proj=2.0", "--param proj: expected a whole number ≥ 1, found the number 2.0"),
    ("proj=true", "--param proj: expected a whole number ≥ 1, found the boolean true"),
    ("digits=2.0", "--param digits: expected a whole number from 0 to 17, found the number 2.0"),
])
def test_a_whole_number_refused_says_what_was_found_as_the_user_wrote_it(rnncalc, param, message):
    assert rnncalc("lstm", "--weights", "1", "-x", "1", "-p", param)[::2] == (2, f"rnncalc: {message}\n")


@pytest.mark.parametrize("layers, message", [
    ("[]", "layers: expected a list of layers, each a mapping of its keys, found an empty list"),
    ("[{}, 5]", "layers.2: expected a mapping of the layer's keys (W_fh, h0, ...), found the number 5"),
])
def test_a_stacks_layers_refused_say_what_was_found(rnncalc, tmp_path, layers, message):
    path = write(tmp_path, f"cell: rnn\nweights: 0.5\nx: [1]\nlayers: {layers}\n")
    where = f"{path}:4" if layers == "[]" else str(path)
    assert rnncalc("rnn", path)[::2] == (2, f"rnncalc: {where}: {message}\n")
