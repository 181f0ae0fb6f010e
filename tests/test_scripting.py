"""What students and shell scripts run: expectations that can be set aside, -q for $(...), a live stream."""

import io
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

from conftest import deep_only
from rnncalc.exacttext import fmt_exact
from rnncalc.formats import fmt_number
from rnncalc.runner import holds_at

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "seed.yaml"  # h = 1, c = 2 rounded (sign); h = 0.9613, c = 1.9950 without
VECTOR = ROOT / "samples" / "lstm_vector.yaml"
# The seed example unrounded: f = i = o = σ(6), c̃ = tanh(6), c = σ(6)·1 + σ(6)·tanh(6), h = σ(6)·tanh(c).
SEED_UNROUNDED = ["lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5"]


class TestExpectationsOnTheCommandLine:
    def test_no_expect_leaves_the_files_expectations_out(self, rnncalc):
        # seed.yaml expects h = 1, c = 2, which hold only with its round: sign.
        assert rnncalc("lstm", SEED, "--round", "none")[0] == 1
        status, out, err = rnncalc("lstm", SEED, "--round", "none", "--no-expect", "-f", "json")
        assert status == 0 and "expect" not in json.loads(out)

    def test_expect_replaces_the_files_expectations(self, rnncalc):
        status, out, err = rnncalc("lstm", SEED, "--round", "none", "--expect", "h=0.9613", "-f", "json")
        assert status == 0, err
        assert [c["name"] for c in json.loads(out)["expect"]] == ["h"]  # the file's c = 2 is gone

    def test_one_number_fills_a_vector(self, rnncalc):
        # lstm_vector.yaml's h_T is [-0.0721, 0.1172]: both components are 0 at --digits 0.
        status, out, _ = rnncalc("lstm", VECTOR, "--expect", "h=0", "--digits", "0", "-f", "json")
        assert status == 0 and json.loads(out)["expect"][0]["expected"] == [0.0, 0.0]
        status, _, err = rnncalc("lstm", VECTOR, "--expect", "h=0.1", "-q")
        assert status == 1 and "expected [0.1, 0.1]" in err

    def test_a_mismatch_says_the_digits_at_which_it_holds(self, rnncalc):
        status, _, err = rnncalc(*SEED_UNROUNDED, "--expect", "h=0.961", "-q")
        assert status == 1
        assert err.endswith("h at t = 1 is 0.9613, expected 0.961 (holds at --digits 3, or give --atol)\n")

    def test_no_hint_where_no_fewer_digits_hold(self, rnncalc):
        status, _, err = rnncalc(*SEED_UNROUNDED, "--expect", "h=0.7", "-q")
        assert status == 1 and err.endswith("expected 0.7\n")  # 0.7 has one decimal, and 0.9613 is 1.0 there
        status, _, err = rnncalc(*SEED_UNROUNDED, "--expect", "h=0.961", "--atol", "1e-4", "-q")
        assert status == 1 and "holds at" not in err

    @pytest.mark.parametrize("actual, expected, digits, fewer", [
        ([0.9613], [0.961], 4, 3),
        ([0.9613], [1.0], 4, 1),  # 0.96 at 2 digits, 1.0 at 1
        ([0.9613], [0.7], 4, None),
        ([0.9613], [0.9612], 4, None),  # 0.9612 has 4 decimals: none fewer can write it
        ([0.4, 0.6], [0.0, 1.0], 2, 0),
        ([0.5], [0.4], 0, None),
    ])
    def test_holds_at(self, actual, expected, digits, fewer):
        assert holds_at(actual, expected, digits) == fewer


class TestRoundedLooksRounded:
    @pytest.mark.parametrize("digits", range(0, 6))
    def test_rounded_and_exact_look_different_at_every_digits(self, digits):
        assert fmt_number(0.9612928425291203, digits) != fmt_number(1.0, digits)
        assert fmt_number(1.0, digits) == "1"

    @pytest.mark.parametrize("rounded, exact", [(0.9613, 1.0), (-0.4, 0.0), (-1.5, -2.0), (1.5e12, 2e12)])
    def test_at_digits_0(self, rounded, exact):
        assert fmt_number(rounded, 0) == "≈" + fmt_number(exact, 0)

    def test_digits_0_marks_the_rounded_value(self, rnncalc):
        _, out, _ = rnncalc(*SEED_UNROUNDED, "--digits", "0", "--no-color")
        assert out.rstrip().endswith("final: h_T = ≈1   c_T = ≈2")
        _, out, _ = rnncalc(*SEED_UNROUNDED, "--round", "sign", "--digits", "0", "--no-color")
        assert out.rstrip().endswith("final: h_T = 1   c_T = 2")


class TestQuiet:
    def test_whole_numbers_without_point_zero(self, rnncalc):
        status, out, _ = rnncalc("lstm", SEED, "-q")
        assert (status, out) == (0, "1\n")

    def test_only_in_the_order_named(self, rnncalc):
        assert rnncalc("lstm", SEED, "-q", "--only", "c")[1] == "2\n"
        assert rnncalc("lstm", SEED, "-q", "--only", "h,c")[1] == "1\n2\n"
        assert rnncalc("lstm", SEED, "-q", "--only", "c,h")[1] == "2\n1\n"

    def test_full_precision_any_quantity(self, rnncalc):
        full = json.loads(rnncalc("lstm", VECTOR, "-f", "json")[1])["steps"][-1]
        out = rnncalc("lstm", VECTOR, "-q", "--only", "f,h")[1]
        assert [float(v) for v in out.split()] == full["f"] + full["h"]

    @pytest.mark.parametrize("v", [1.0, -0.0, 0.1 + 0.2, 1e16, 1e-300, -2.5, 123456789.0, 2.0**60, 1.6365e-5, 1e-7])
    def test_shortest_text_reads_back(self, v):
        text = fmt_exact(v)
        assert float(text) == v and not text.endswith(".0")

        def digits(s):
            return s.split("e")[0].replace(".", "").lstrip("-").strip("0")
        assert digits(text) == digits(repr(v))  # the shortest digits, as float.__repr__ finds them


def _rnncalc_on_path(tmp_path):
    """An environment whose `rnncalc` on PATH runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "rnncalc"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m rnncalc "$@"\n')
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    env.pop("COLUMNS", None)
    return env


class Coprocess:
    """rnncalc with a pipe on each side, read as its output arrives (a thread per stream)."""

    def __init__(self, *args, env):
        self.proc = subprocess.Popen([sys.executable, "-m", "rnncalc", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.out = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.text = ""

    def _pump(self):
        for chunk in iter(lambda: os.read(self.proc.stdout.fileno(), 65536), b""):
            self.out.put(chunk.decode())

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read_until(self, done, timeout=20):
        """The output so far once done(output) holds; fails if it does not within the timeout."""
        deadline = time.monotonic() + timeout
        while not done(self.text):
            left = deadline - time.monotonic()
            assert left > 0, f"no answer in time; the output so far: {self.text!r}"
            try:
                self.text += self.out.get(timeout=left)
            except queue.Empty:
                pass
        return self.text

    def close(self):
        self.proc.stdin.close()
        status = self.proc.wait(timeout=20)
        return status, self.proc.stderr.read().decode()


class TestLiveStream:
    """-x -: step t is written as soon as line t is read, with the input still open."""

    # The seed LSTM with all weights 0.5, h0 = c0 = 0 (the same numbers as -x 1,2 unstreamed).
    ARGS = ["lstm", "--weights", "0.5", "-x", "-", "--no-color"]

    def expected(self, rnncalc):
        return [json.loads(line) for line in rnncalc("lstm", "--weights", "0.5", "-x", "1,2", "-f", "jsonl")[1].splitlines()]

    def test_jsonl_answers_each_line(self, rnncalc, tmp_path):
        steps = self.expected(rnncalc)
        co = Coprocess(*self.ARGS, "-f", "jsonl", env=_rnncalc_on_path(tmp_path))
        co.send("1")
        first = co.read_until(lambda out: out.endswith("\n"))
        assert json.loads(first) == steps[0]
        co.send("2")
        both = co.read_until(lambda out: out.count("\n") == 2)
        assert json.loads(both.splitlines()[1]) == steps[1]
        assert co.close() == (0, "")

    @pytest.mark.deep
    def test_csv_answers_each_line(self, rnncalc, tmp_path):
        steps = self.expected(rnncalc)
        co = Coprocess(*self.ARGS, "-f", "csv", "--only", "h", env=_rnncalc_on_path(tmp_path))
        co.send("1")
        assert co.read_until(lambda out: out.count("\n") == 2) == f"t,h[0]\n1,{steps[0]['h'][0]!r}\n"
        co.send("2")
        assert co.read_until(lambda out: out.count("\n") == 3).endswith(f"2,{steps[1]['h'][0]!r}\n")
        assert co.close() == (0, "")

    def test_table_answers_each_line(self, rnncalc, tmp_path):
        co = Coprocess(*self.ARGS, env=_rnncalc_on_path(tmp_path))
        co.send("1")
        co.read_until(lambda out: _table_of(1, out))
        co.send("2")
        co.read_until(lambda out: _table_of(2, out))
        status, err = co.close()
        assert status == 0 and err == "" and "final: h_T = 0.5009" in co.read_until(lambda out: "final" in out)

    @pytest.mark.parametrize("fmt", ["jsonl", deep_only("csv"), deep_only("table")])
    def test_a_bad_line_is_refused_after_the_steps_before_it(self, rnncalc, tmp_path, fmt):
        co = Coprocess(*self.ARGS, "-f", fmt, env=_rnncalc_on_path(tmp_path))
        co.send("1")
        co.send("2")
        co.read_until(lambda out: "\n2," in out or '"t": 2' in out or _table_of(2, out))
        co.send("oops")
        status, err = co.close()
        assert status == 2
        assert err == "rnncalc: <stdin>:3: expected numbers separated by spaces or commas, found 'oops'\n"

    @pytest.mark.parametrize("fmt", ["jsonl", deep_only("csv")])
    def test_a_one_direction_stack_answers_each_line(self, rnncalc, tmp_path, fmt):
        # Each line is answered, every layer's record and then the top output's, before the next is sent:
        # the same records, to the bit, as the same x given whole (where they come layer by layer).
        stack = tmp_path / "stack.yaml"
        stack.write_text("cell: lstm\nweights: 0.5\nhidden: 2\nlayers:\n  - {b_f: 1}\n  - {W_fh: 0.25}\n"
                         "W_y: [[1, -1]]\noutput: linear\n")
        whole = rnncalc("lstm", stack, "-x", "1,2", "-f", fmt)[1].splitlines()
        header, whole = (whole[:1], whole[1:]) if fmt == "csv" else ([], whole)
        by_step = [line for t in ("1", "2") for line in whole
                   if (line.split(",")[2] if fmt == "csv" else str(json.loads(line)["t"])) == t]
        co = Coprocess("lstm", str(stack), "-x", "-", "-f", fmt, env=_rnncalc_on_path(tmp_path))
        co.send("1")
        first = co.read_until(lambda out: out.count("\n") == len(header) + 3)
        assert first.splitlines() == header + by_step[:3]
        co.send("2")
        both = co.read_until(lambda out: out.count("\n") == len(header) + 6)
        assert both.splitlines() == header + by_step
        assert co.close() == (0, "")

    def test_a_one_direction_stacks_tables_answer_each_line(self, rnncalc, tmp_path):
        # Each line's tables, layer by layer, and its top output are shown before the next line is sent, with
        # the numbers the same x given whole shows.
        stack = tmp_path / "stack.yaml"
        stack.write_text("cell: lstm\nweights: 0.5\nhidden: 2\nlayers:\n  - {b_f: 1}\n  - {W_fh: 0.25}\n"
                         "W_y: [[1, -1]]\noutput: linear\nexpect: {y: [0, 0.1]}\n")
        whole = rnncalc("lstm", stack, "-x", "1,2", "--no-color")[1]
        outputs = [re.sub(r"\s+[✓✗].*", "", line) for line in re.findall(r"t = \d   o_t = .*", whole)]  # no marks
        co = Coprocess("lstm", str(stack), "-x", "-", "--no-color", env=_rnncalc_on_path(tmp_path))
        co.send("1")
        first = co.read_until(lambda out: "output   t = 1" in out)
        assert first.index("layer 1 · forward\nstep t = 1") < first.index("layer 2 · forward\nstep t = 1") \
            and first.rstrip().endswith(outputs[0]) and "step t = 2" not in first
        co.send("2")
        both = co.read_until(lambda out: "output   t = 2" in out)
        assert both.rstrip().endswith(outputs[1])
        status, err = co.close()
        end = co.read_until(lambda out: "expected values" in out)
        assert (status, err) == (1, "rnncalc: 1 of 2 expected values do not hold; first: y at t = 2 is 0, expected 0.1\n")
        assert "final: h_T = " in end and "✗ y at t = 2 is 0, expected 0.1" in end
        assert "✗ 1 of 2 expected values of the output do not hold" in end

    def test_a_line_of_the_wrong_size_names_its_line(self, rnncalc, monkeypatch):
        monkeypatch.setattr("sys.stdin", io.StringIO("1 2\n\n3 4\n5\n"))
        status, out, err = rnncalc("lstm", "--weights", "0.5", "-x", "-", "-f", "jsonl")
        assert status == 2 and out.count("\n") == 2
        assert err == "rnncalc: <stdin>:4: step 3 has 1 number, but the input size D is 2\n"

    def test_the_readmes_coprocess_example(self, rnncalc, tmp_path):
        readme = (ROOT / "README.md").read_text()
        script = next(block for block in re.findall(r"```bash\n(.*?)```", readme, re.S) if "coproc" in block)
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                                env=_rnncalc_on_path(tmp_path))
        assert result.returncode == 0, result.stderr
        shown = re.findall(r"# (\{.*\})", script)  # the answers the README shows
        assert [json.loads(line) for line in result.stdout.splitlines()] == [json.loads(s) for s in shown]
        assert [json.loads(s) for s in shown] == [{"t": s["t"], "h": s["h"]} for s in self.expected(rnncalc)]


def _table_of(t, out):
    """Whether the output holds step t's table down to its last row, h_t and its numbers."""
    return re.search(rf"step t = {t} .*\n  h_t [^\n]*\n +=[^\n]*\n", out, re.S) is not None


MULTI = """\
name: sign
cell: lstm
weights: 1
h0: 1
c0: 1
x: 5
round: sign
expect: {h: 1, c: 2}
---
cell: lstm
weights: 1
h0: 1
c0: 1
x: 5
"""


class TestOneProblemOfMany:
    """--problem: the seed example rounded (h = 1) and, second and unnamed, unrounded (h = 0.9613)."""

    @pytest.fixture
    def multi(self, tmp_path):
        path = tmp_path / "two.yaml"
        path.write_text(MULTI)
        return path

    def test_by_name_and_by_number(self, rnncalc, multi):
        assert rnncalc("lstm", multi, "--problem", "sign", "-q")[:2] == (0, "1\n")
        assert rnncalc("lstm", multi, "--problem", "1", "-q")[:2] == (0, "1\n")
        assert rnncalc("lstm", multi, "--problem", "2", "-q")[:2] == (0, "0.9612928425291203\n")

    def test_without_problem_the_choice_is_explained(self, rnncalc, multi):
        status, _, err = rnncalc("lstm", multi)
        assert status == 2
        assert err == (f"rnncalc: {multi}: holds 2 YAML documents; choose one with --problem NAME or --problem N "
                       "(1 to 2), or run them all with rnncalc check\n")

    def test_unknown_names_and_numbers(self, rnncalc, multi):
        status, _, err = rnncalc("lstm", multi, "--problem", "signs")
        assert status == 2 and err == (f"rnncalc: --problem signs: no problem of this name in {multi}; its "
                                       "problems are named 'sign' (or give a number from 1 to 2)\n")
        status, _, err = rnncalc("lstm", multi, "--problem", "3")
        assert status == 2 and err == f"rnncalc: --problem 3: {multi} holds 2 problems; expected a number from 1 to 2 or a name\n"
        assert rnncalc("lstm", "--problem", "1", "-x", "1", "--weights", "1")[0] == 2


def _tree(root):
    """A course folder: problems at two depths, a .yml, a file that is not YAML, one that is broken."""
    (root / "week-10" / "homework-4" / "part-b").mkdir(parents=True)
    (root / "week-10" / "homework-4" / "b.yaml").write_text(MULTI)
    (root / "week-10" / "homework-4" / "a.yml").write_text((ROOT / "samples" / "seed.yaml").read_text())
    (root / "week-10" / "homework-4" / "part-b" / "c.yaml").write_text(
        (ROOT / "samples" / "seed.yaml").read_text().replace("h: 1", "h: 0"))
    (root / "week-10" / "homework-4" / "notes.txt").write_text("not a problem")
    (root / "week-10" / "broken.yaml").write_text("cell: lstm\nx: [1,\n")
    (root / "week-10" / "homework-4" / "part-b" / "d.yaml").write_text(  # s_2 = 1e300 · 1e300 overflows
        "cell: rnn\nactivation: linear\nweights: 1e300\nx: [1, 1]\n")
    return root / "week-10"


class TestCheckFolders:
    def test_a_folder_is_its_yaml_files_recursively_in_sorted_order(self, rnncalc, tmp_path, monkeypatch):
        monkeypatch.chdir(_tree(tmp_path))
        status, out, err = rnncalc("check", ".", "--format", "json")
        records = json.loads(out)
        assert [(r["file"], r["index"]) for r in records] == [
            ("broken.yaml", None), ("homework-4/a.yml", 1), ("homework-4/b.yaml", 1), ("homework-4/b.yaml", 2),
            ("homework-4/part-b/c.yaml", 1), ("homework-4/part-b/d.yaml", 1)]
        assert status == 2  # a problem could not be read: the worst status wins, as in the table

    def test_json_records(self, rnncalc, tmp_path, monkeypatch):
        monkeypatch.chdir(_tree(tmp_path))
        records = {(r["file"], r["index"]): r for r in json.loads(rnncalc("check", ".", "-f", "json")[1])}
        assert all(list(r) == ["file", "problem", "index", "verdict", "checked", "failed", "message"]
                   for r in records.values())
        assert records["broken.yaml", None] == {
            "file": "broken.yaml", "problem": None, "index": None, "verdict": "error", "checked": 0, "failed": 0,
            "message": records["broken.yaml", None]["message"]}
        assert records["broken.yaml", None]["message"].startswith("broken.yaml:")
        assert records["homework-4/a.yml", 1] | {"message": ""} == {
            "file": "homework-4/a.yml", "problem": "the all-ones LSTM", "index": 1, "verdict": "pass",
            "checked": 2, "failed": 0, "message": ""}
        assert [records["homework-4/b.yaml", n]["problem"] for n in (1, 2)] == ["sign", None]
        assert records["homework-4/b.yaml", 2]["verdict"] == "ran"
        fail = records["homework-4/part-b/c.yaml", 1]
        assert (fail["verdict"], fail["checked"], fail["failed"]) == ("fail", 2, 1)
        assert fail["message"] == "h at t = 1 is 1, expected 0"
        assert records["homework-4/part-b/d.yaml", 1]["verdict"] == "non-finite"

    def test_exit_statuses(self, rnncalc, tmp_path, monkeypatch):
        monkeypatch.chdir(_tree(tmp_path))
        assert rnncalc("check", "homework-4/a.yml", "homework-4/b.yaml", "-f", "json")[0] == 0
        assert rnncalc("check", "homework-4/part-b/c.yaml", "-f", "json")[0] == 1
        assert rnncalc("check", "homework-4/part-b", "-f", "json")[0] == 3
        empty = tmp_path / "empty"
        empty.mkdir()
        status, out, _ = rnncalc("check", empty, "-f", "json")
        assert status == 2 and json.loads(out)[0]["message"] == f"{empty}: is a folder with no *.yaml or *.yml files"

    def test_the_table_keeps_every_file_name_at_80_columns(self, tmp_path):
        from rnncalc.render_console import make_console
        from rnncalc.render_pages import check_summary

        long = "homework-4/problem-2-an-lstm-whose-gates-saturate-rounded-to-the-nearest-integer.yaml"
        records = [{"file": name, "problem": "6.86x LSTM homework, second part", "index": 1, "verdict": verdict,
                    "checked": 6, "failed": 0, "message": message}
                   for name, verdict, message in [
                       ("homework-4/a.yaml", "pass", "6 values as expected"), (long, "error", "x" * 90),
                       ("homework-4/part-b/problem-3.yaml", "fail", "h at t = 4 is -1, expected 1")]]
        console = make_console(width=80, no_color=True)
        with console.capture() as capture:
            console.print(check_summary(records, console.width))
        lines = capture.get().splitlines()
        assert max(len(line) for line in lines) <= 80
        rule = next(i for i, line in enumerate(lines) if "───" in line)
        start, end = lines[rule - 1].index("file"), lines[rule - 1].index("problem")
        column = "".join(line[start:end].strip() for line in lines[rule + 1:])
        position = 0
        for r in records:  # each name whole, in order, in the file column's wrapped lines
            position = column.index(r["file"], position)
        after = lines[rule - 1].index("verdict") + len("verdict")
        heading = " ".join(" ".join(line[after:].split()) for line in lines[:rule] if line[after:].strip())
        assert heading == "checked, or what went wrong"  # the last column's heading, wrapped or not


class TestPastedArrays:
    """numpy and PyTorch printouts read as the same numbers as YAML flow lists."""

    @pytest.mark.parametrize("text, value", [
        ("[0 0 1 1 1 0]", [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]),  # print(np.array([0, 0, 1, 1, 1, 0]))
        ("[[1. 0.]\n [0. 1.]]", [[1.0, 0.0], [0.0, 1.0]]),  # print(np.eye(2))
        ("array([[1., 0.],\n       [0., 1.]])", [[1.0, 0.0], [0.0, 1.0]]),  # repr(np.eye(2))
        ("tensor([0.5000, -0.5000], dtype=torch.float64)", [0.5, -0.5]),
        ("tensor([[ 1.0000e+00, -2.5000e-03]], requires_grad=True)", [[1.0, -0.0025]]),
        ("array([-1.5e-05,  2.0e+00])", [-1.5e-05, 2.0]),
    ])
    def test_read_printed(self, text, value):
        from rnncalc.pasted import read_printed
        assert read_printed(text) == value

    def test_every_flag_takes_them(self, rnncalc):
        plain = ["lstm", "--weights", "0.5", "--hidden", "2", "-p", "W_fh=[[1, 0], [0, 1]]", "--h0", "0.5,-0.5",
                 "-x", "0,0,1,1,1,0", "--expect", "h=[0.4258, 0.4258]", "-f", "json"]
        pasted = ["lstm", "--weights", "0.5", "--hidden", "2", "-p", "W_fh=[[1. 0.]\n [0. 1.]]",
                  "--h0", "tensor([0.5000, -0.5000], dtype=torch.float64)", "-x", "[0 0 1 1 1 0]",
                  "--expect", "h=array([0.4258, 0.4258])", "-f", "json"]
        status, out, err = rnncalc(*pasted)
        assert status == 0, err
        assert json.loads(out) == json.loads(rnncalc(*plain)[1])

    def test_target_takes_them(self, rnncalc):
        base = ["rnn", "--weights", "0.5", "-x", "1,0", "--grad", "--loss", "mse", "-f", "json"]
        assert (json.loads(rnncalc(*base, "--target", "array([0.5, 0.25])")[1])["loss"]
                == json.loads(rnncalc(*base, "--target", "0.5,0.25")[1])["loss"])

    @pytest.mark.parametrize("yaml_value", ["[[1. 0.], [0. 1.]]", "array([[1., 0.], [0., 1.]])",
                                            "|\n  [[1. 0.]\n   [0. 1.]]", "'tensor([[1., 0.], [0., 1.]])'"])
    def test_yaml_values_take_them(self, rnncalc, tmp_path, yaml_value):
        path = tmp_path / "p.yaml"
        path.write_text(f"cell: rnn\nweights: 0.5\nW_ss: {yaml_value}\ns0: [0 1]\nx: [1 0]\n")
        plain = tmp_path / "plain.yaml"
        plain.write_text("cell: rnn\nweights: 0.5\nW_ss: [[1, 0], [0, 1]]\ns0: [0, 1]\nx: [1, 0]\n")
        status, out, err = rnncalc("rnn", path, "-f", "json")
        assert status == 0, err
        assert json.loads(out)["steps"] == json.loads(rnncalc("rnn", plain, "-f", "json")[1])["steps"]

    def test_a_flat_list_of_d_numbers_is_one_step(self, rnncalc):
        # s_1 = tanh(W_sx x_1) = tanh(1 + 2 + 3) = tanh(6) with every weight 1 and s_0 = 0
        status, out, _ = rnncalc("rnn", "--weights", "1", "--input", "3", "-x", "[1,2,3]", "-q")
        assert status == 0 and float(out) == pytest.approx(0.9999877116507956, abs=1e-15)

    def test_summarised_arrays_are_refused(self, rnncalc):
        status, _, err = rnncalc("rnn", "--weights", "1", "-x", "[0. 1. 2. ... 7. 8. 9.]")
        assert status == 2 and "numpy left numbers out (...)" in err


class TestParameterNames:
    @pytest.mark.parametrize("cell, given, hint", [
        ("lstm", "W_hf", "did you mean W_fh? (W_fh multiplies h in f_t)"),
        ("gru", "W_hz", "did you mean W_zh? (W_zh multiplies h in z_t)"),
        ("rnn", "W_hh", "the course calls it W_ss (rnncalc equations rnn)"),
        ("rnn", "W_ih", "the course calls it W_sx (rnncalc equations rnn)"),
        ("lstm", "W_hh", "the course calls it W_fh, W_ih, W_oh and W_ch (rnncalc equations lstm)"),
        ("gru", "W_ih", "the course calls it W_rx, W_zx and W_nx (rnncalc equations gru)"),
        ("lstm", "W_ii", "the course calls it W_ix (rnncalc equations lstm)"),
    ])
    def test_the_courses_name_is_suggested(self, rnncalc, cell, given, hint):
        status, _, err = rnncalc(cell, "--weights", "1", "-x", "1", "-p", f"{given}=1")
        assert status == 2
        assert err == f"rnncalc: --param {given}: unknown parameter '{given}' for the {cell} cell; {hint}\n"

    def test_a_bare_w_lists_the_cells_parameters(self, rnncalc):
        err = rnncalc("gated", "--weights", "1", "-x", "1", "-p", "W=1")[2]
        assert err.endswith("its parameters are W_gs W_gx b_g W_ss W_sx b_s (rnncalc equations gated)\n")

    def test_inputs_suggests_x(self, rnncalc, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text("cell: lstm\nweights: 1\ninputs: [1, 2]\n")
        assert rnncalc("lstm", path)[2] == (f"rnncalc: {path}:3: unknown key 'inputs' for the lstm cell; did you "
                                            "mean x, the input sequence? (input is its size D)\n")

    @pytest.mark.parametrize("value", ["2", "-4", "[1,2]"])
    def test_a_value_as_the_next_argument(self, rnncalc, value):
        status, _, err = rnncalc("lstm", "--weights", "1", "-x", "1", "-p", "b_f", value)
        assert status == 2
        assert err == f"rnncalc: --param: expected NAME=VALUE, found 'b_f'; did you mean -p b_f={value}?\n"


class TestTableAtAGlance:
    def test_the_seed_header_groups_its_parameters(self, rnncalc):
        out = rnncalc("lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5", "--round", "sign",
                      "--no-color")[1]
        rule = out.index("│ ──")
        assert len(out[rule:out.index("╰")].splitlines()[1:]) <= 6  # parameter rows, 14 one a parameter
        assert "│ W_fh … W_cx   1×1     1       --weights 1 (fill)" in out
        assert "│ b_f … b_c     1       0       default 0" in out

    def test_names_of_a_group_that_skips_one_are_listed(self, rnncalc):
        out = rnncalc("lstm", "--weights", "1", "-p", "W_ix=2", "-x", "5", "--no-color")[1]
        assert "│ W_fh W_fx W_ih W_oh W_ox W_ch W_cx   1×1" in out and "│ W_ix " in out

    def test_no_header(self, rnncalc):
        out = rnncalc("lstm", SEED, "--no-header", "--no-color")[1]
        assert "rnncalc" not in out and out.startswith("step t = 1")

    def test_steps_keep_one_width(self, rnncalc):
        out = rnncalc("rnn", "--weights", "0.5", "--s0", "1", "-x", "1,0,-1", "--no-header", "--no-color")[1]
        tables = out.split("final:")[0].rstrip("\n").split("\n\n")
        assert len({len(line) for line in out.split("final:")[0].splitlines()}) == 1, tables

    def test_the_cut_is_said_where_it_is(self, rnncalc):
        out = rnncalc("rnn", "--weights", "0.5", "-x", ",".join(["1"] * 15), "--no-color")[1]
        assert out.index("step t = 10 ") < out.index("4 steps not shown, t = 11 to 14") < out.index("step t = 15 ")

    def test_gru_says_its_variant_once(self, rnncalc):
        out = rnncalc("gru", "--weights", "1", "-x", "1", "--variant", "reset-before", "--no-color")[1]
        assert out.count("reset-before") == 1

    def test_header_facts_are_not_split_at_80_columns(self, rnncalc, monkeypatch):
        monkeypatch.setenv("COLUMNS", "80")
        out = rnncalc("lstm", ROOT / "samples" / "lstm_homework.yaml", "--last", "--no-color")[1]
        assert "│ rounding: σ none, tanh none, h to nearest integer" in out
        assert all(cell_len(line) <= 80 for line in out.splitlines())

    @pytest.mark.parametrize("columns", ["60", "80", "120"])
    def test_no_number_is_broken_across_lines(self, rnncalc, monkeypatch, columns):
        monkeypatch.setenv("COLUMNS", columns)
        out = rnncalc("lstm", VECTOR, "--no-header", "--no-color")[1]
        assert re.search(r"\d\.?\n +\d", out) is None  # a line ending in a digit is not continued by one
        # every number is whole: four decimals, or exact and short
        assert all(re.fullmatch(r"-?\d+(\.\d{4}|\.\d{1,3})?", n) for n in re.findall(r"-?[\d.]+", out)
                   if n not in (".",))

    def test_no_value_is_cut_short_at_any_width(self, rnncalc, monkeypatch):
        # the equations wrap to make room; the numbers keep every digit, at every terminal width
        args = ["lstm", "--hidden", "4", "--input", "2", "--weights", "-0.3", "--biases", "-0.4", "-p",
                "b_f=[-0.4,-0.01,-0.47,0.05]", "-x", "[[0.0485,0.1482]]", "--no-header", "--no-color"]
        step = json.loads(rnncalc(*args, "-f", "json")[1])["steps"][0]
        for columns in range(70, 161, 3):
            monkeypatch.setenv("COLUMNS", str(columns))
            out = rnncalc(*args)[1]
            rows = [line for line in out.splitlines() if line.startswith("  ")]  # the tables' rows
            assert all(cell_len(line) <= columns for line in out.splitlines()), columns
            # a row cut at the terminal's edge ends in its last column's text, not in the padding after it
            assert not [line for line in rows if cell_len(line) == columns and not line.endswith(" ")], columns
            values = [line.split()[-1] for line in rows if line.split() and line.split()[0] in ("f_t", "h_t")]
            assert values and all(v.endswith("]") or v.endswith(",") for v in values), (columns, values)
            assert f"{step['h'][-1]:.4f}]" in out and f"{step['f'][-1]:.4f}]" in out

    def test_bare_rnncalc_prints_the_help(self, rnncalc):
        assert rnncalc()[:2] == rnncalc("--help")[:2] == (0, rnncalc("--help")[1])

    def test_help_shows_each_commands_first_sentence(self, rnncalc, monkeypatch):
        monkeypatch.setenv("COLUMNS", "80")
        listing = " ".join(rnncalc("--help")[1].split())
        for sentence in ("Print a commented YAML problem for CELL with every key at its shape.",
                         "Run every problem in the files and folders and check its expect: values; one row per "
                         "problem.", "Print the equations of CELL (or every cell) and its parameters' shapes."):
            assert sentence in listing

    @pytest.mark.parametrize("cell, weight, other", [("rnn", "W_ss", "W_fh"), ("gated", "W_gs", "W_fh"),
                                                      ("lstm", "W_fh", "W_ss"), ("gru", "W_rh", "W_fh")])
    def test_cell_help_speaks_of_the_cells_names(self, rnncalc, cell, weight, other):
        text = " ".join(rnncalc(cell, "--help")[1].split())
        assert f"-p {weight}=[[1,0],[0,1]]" in text and other not in text
        assert "--x-file FILE" in text and "--target-file FILE" in text and "[FILE]" in text
        assert "10:20 (10 to 20, both included)" in text


LATEX_RUNS = [
    ["lstm", SEED],
    ["lstm", ROOT / "samples" / "lstm_homework.yaml", "--digits", "0", "--expect", "h=0,0,1,1,1,0"],  # ✗, ≈
    ["gru", "--weights", "0.5", "--h0", "1", "-x", "1,2", "--variant", "reset-before", "--z-weighs", "new"],
    ["rnn", ROOT / "samples" / "rnn_softmax.yaml"],
    ["gated", ROOT / "samples" / "gated.yaml"],
    ["lstm", VECTOR, "-p", "P_f=[0.5, 0.5]", "--no-expect"],
]


# Stacks whose write-ups name how the directions are joined (‖, ⊙) and what an output layer on the final states
# reads, written to a file by stack_runs.
LATEX_STACKS = {
    "concat": "cell: lstm\nbidirectional: true\nweights: 0.5\nx: [1, -1, 2]\nhead: final\nW_y: [[1, -1]]\n"
              "layers: [{forward: {}, backward: {}}, {forward: {hidden: 1}, backward: {hidden: 1}}]\n",
    "mul": "cell: gru\nbidirectional: true\nmerge: mul\nweights: 0.5\nx: [1, -1, 2]\nW_y: [[2]]\n"
           "layers: [{forward: {}, backward: {}}]\n",
    "projected": "cell: lstm\nweights: 0.5\nx: [1, 2]\nlayers: [{hidden: 3, proj: 2}, {}]\nexpect: {output: [0, 0]}\n",
}


def stack_runs(folder):
    """LATEX_STACKS as the runs of their files."""
    runs = []
    for name, text in LATEX_STACKS.items():
        (folder / f"{name}.yaml").write_text(text)
        runs.append([text.split()[1], folder / f"{name}.yaml"])
    return runs


class TestDocumentFormats:
    def test_markdown_carries_the_parameters_and_the_final_line(self, rnncalc):
        status, out, _ = rnncalc("lstm", SEED, "-f", "markdown")
        assert status == 0
        assert "| `W_fh … W_cx` | 1×1 | 1 |" in out and "| `b_f … b_c` | 1 | 0 | default 0 |" in out
        assert out.rstrip().endswith("**final: h_T = 1   c_T = 2**\n\n✓ all 2 expected values hold")
        assert "parameter" not in rnncalc("lstm", SEED, "-f", "markdown", "--no-header")[1]

    @pytest.mark.parametrize("args", LATEX_RUNS, ids=lambda a: " ".join(map(str, a[:2])))
    def test_latex_is_ascii(self, rnncalc, args):
        out = rnncalc(*args, "-f", "latex")[1]
        assert out.isascii(), sorted({c for c in out if not c.isascii()})
        assert "final: $" in out

    def test_a_stacks_latex_is_ascii(self, rnncalc, tmp_path):
        for args in stack_runs(tmp_path):
            out = rnncalc(*args, "-f", "latex")[1]
            assert out.isascii() and "subsection*{output}" in out, sorted({c for c in out if not c.isascii()})

    def test_latex_compiles_in_the_readmes_preamble(self, rnncalc, tmp_path):
        import shutil

        if shutil.which("pdflatex") is None:
            if os.environ.get("RNNCALC_REQUIRE_LATEX"):  # set by .ci/run, which installs it
                pytest.fail("pdflatex is not installed")
            pytest.skip("pdflatex is not installed")
        readme = (ROOT / "README.md").read_text()
        [document] = re.findall(r"```latex\n(.*?)```", readme, re.S)
        body = "".join(rnncalc(*args, "-f", "latex")[1] for args in LATEX_RUNS + stack_runs(tmp_path))
        (tmp_path / "trace.tex").write_text(re.sub(r"% rnncalc's --format latex output here\n", lambda m: body,
                                                   document))
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "trace.tex"],
                                cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]

    @pytest.mark.parametrize("text", ["\ufeffx_1,x_2\n1,0\n0.5,0.5\n", "x_1,x_2\r\n1,0\r\n0.5,0.5\r\n",
                                      '"x1","x2"\n1,0\n0.5,0.5\n', "1,0\n0.5,0.5\n"])
    def test_x_file_csv_with_a_header_row_and_a_byte_order_mark(self, rnncalc, tmp_path, text):
        path = tmp_path / "x.csv"
        path.write_bytes(text.encode())
        assert rnncalc("lstm", "--weights", "0.5", "--x-file", path, "-q")[1] == \
            rnncalc("lstm", "--weights", "0.5", "-x", "[[1, 0], [0.5, 0.5]]", "-q")[1]

    def test_x_file_later_lines_are_numbers(self, rnncalc, tmp_path):
        path = tmp_path / "x.csv"
        path.write_text("x_1,x_2\n1,0\na,b\n")
        assert rnncalc("lstm", "--weights", "0.5", "--x-file", path, "-q")[2] == \
            f"rnncalc: {path}:3: expected numbers separated by spaces or commas, found 'a,b'\n"


def test_a_files_expect_takes_pasted_vectors(rnncalc, tmp_path):
    # s_1 = tanh(1) = 0.7616, s_2 = tanh(0.7616 + 0) = 0.6420 with every weight 1 and s_0 = 0
    path = tmp_path / "p.yaml"
    path.write_text("cell: rnn\nweights: 1\nx: [1 0]\nexpect: {s: [0.7616 0.6420]}\n")
    assert rnncalc("rnn", path, "-f", "json")[0] == 0


def test_a_files_fill_says_its_value(rnncalc):
    assert "│ W_fh … W_cx   1×1     1       file weights: 1 (fill)" in rnncalc("lstm", SEED, "--no-color")[1]


@pytest.mark.parametrize("lines", ["1\n\n2\n", "1\n   \n2\n\n", "\n1\n2"])
def test_a_blank_line_of_a_stream_is_no_step(rnncalc, monkeypatch, lines):
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert rnncalc("rnn", "--weights", "0.5", "-x", "-", "-f", "jsonl") == \
        rnncalc("rnn", "--weights", "0.5", "-x", "1,2", "-f", "jsonl")
