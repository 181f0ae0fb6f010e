"""Homework checking and shell workflows: --expect, rnncalc check, formats, step selection, streams."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
HOMEWORK = SAMPLES / "lstm_homework.yaml"
VECTOR = SAMPLES / "lstm_vector.yaml"


class TestExpect:
    """The 6.86x homework: x = 0,0,1,1,1,0 gives h = 0,0,1,-1,1,0 to the nearest integer."""

    def test_right_answer_exits_0(self, rnncalc):
        status, out, err = rnncalc("lstm", HOMEWORK, "--digits", "0", "--expect", "h=0,0,1,-1,1,0", "--no-color")
        assert status == 0 and err == ""
        assert out.count("✓") == 6 + 1 and "✓ all 6 expected values hold" in out  # six marks and the summary

    def test_one_wrong_value_exits_1_and_marks_the_step(self, rnncalc):
        status, out, err = rnncalc("lstm", HOMEWORK, "--digits", "0", "--expect", "h=0,0,1,1,1,0", "--no-color")
        assert status == 1
        assert err == "rnncalc: 1 of 6 expected values do not hold; first: h at t = 4 is -1, expected 1\n"
        step4 = out[out.index("step t = 4"):out.index("step t = 5")]
        assert "✗ expected 1" in step4

    def test_compared_at_the_digits_shown(self, rnncalc):
        # Exact h = 0.961288... is 0.9613 at 4 digits and 0.96 at 2, not 0.9612 at 4.
        base = ["lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5", "-f", "json"]
        assert rnncalc(*base, "--expect", "h=0.9613")[0] == 0
        assert rnncalc(*base, "--expect", "h=0.96", "--digits", "2")[0] == 0
        assert rnncalc(*base, "--expect", "h=0.9612")[0] == 1
        assert rnncalc(*base, "--expect", "h=0.9612", "--atol", "1e-3")[0] == 0

    def test_final_value_and_vectors(self, rnncalc):
        # One value means the final step; a vector quantity takes a list per value.
        status, out, _ = rnncalc("lstm", VECTOR, "--expect", "c=[-0.1333, 0.2544]", "-f", "json")
        assert status == 0
        assert [c["t"] for c in json.loads(out)["expect"] if c["name"] == "c"] == [4]

    def test_yaml_expect_in_json(self, rnncalc):
        status, out, _ = rnncalc("lstm", HOMEWORK, "-f", "json")
        doc = json.loads(out)
        assert status == 0 and [c["ok"] for c in doc["expect"]] == [True] * 6

    @pytest.mark.parametrize("expect, message", [
        ("q=1", "rnncalc: --expect q: no quantity 'q'; the lstm cell has f_pre f i_pre i o_pre o c_tilde_pre "
                "c_tilde c tanh_c h"),
        ("h=1,2", "rnncalc: --expect h: expected one value per step (6) or one for the final step; found 2"),
        ("hh=1", "rnncalc: --expect hh: no quantity 'hh'; did you mean h?"),
    ])
    def test_bad_expectations(self, rnncalc, expect, message):
        status, _, err = rnncalc("lstm", HOMEWORK, "--expect", expect)
        assert status == 2 and err.strip() == message


class TestCheck:
    def test_samples_pass(self, rnncalc, monkeypatch):
        monkeypatch.chdir(ROOT)
        status, out, _ = rnncalc("check", *sorted(p.relative_to(ROOT) for p in SAMPLES.glob("*.yaml")))
        problems = sum(len(p.read_text().split("\n---\n")) for p in SAMPLES.glob("*.yaml"))
        assert status == 0
        assert out.count(" pass ") == problems

    def test_several_problems_one_failing(self, rnncalc, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        path = Path("set.yaml")
        path.write_text(
            "name: right\ncell: rnn\nweights: 0\nx: 1\nexpect: {s: 0}\n---\n"
            "name: wrong\ncell: rnn\nweights: 1\nx: 1\nexpect: {s: 1}\n---\n"  # tanh(1) = 0.7616
            "name: unread\ncell: lstm\nx: 1\n")
        status, out, _ = rnncalc("check", path, "--no-color")
        assert status == 2  # a problem that cannot be read outranks a failed expectation
        lines = [line.split() for line in out.splitlines() if str(path) in line]
        assert [(line[1], line[2]) for line in lines] == [("right", "pass"), ("wrong", "fail"), ("unread", "error")]
        assert "s at t = 1 is 0.7616, expected 1" in out

    def test_failure_exits_1(self, rnncalc, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text("cell: rnn\nweights: 1\nx: 1\nexpect: {s: 1}\n")
        assert rnncalc("check", path)[0] == 1

    def test_the_status_is_the_worst_problems_an_unreadable_one_first(self, rnncalc, tmp_path):
        # 2 (cannot be read) over 3 (non-finite) over 1 (an expected value does not hold)
        fails = "cell: rnn\nW_ss: 0\nW_sx: 1\nx: 1\nexpect: {s: 0}\n"  # s_1 = tanh(1) ≈ 0.7616, not 0
        overflows = "cell: rnn\nactivation: linear\nW_ss: 0\nW_sx: 1e308\nx: 10\n"  # s_1 = 1e309 = inf
        unreadable = "cell: rnn\nW_ss: [1, [2]]\nx: 1\n"
        for name, text in [("a_fails.yaml", fails), ("b_overflows.yaml", overflows), ("c_unreadable.yaml", unreadable)]:
            (tmp_path / name).write_text(text)
        assert rnncalc("check", tmp_path)[0] == 2
        (tmp_path / "c_unreadable.yaml").unlink()
        assert rnncalc("check", tmp_path)[0] == 3
        (tmp_path / "b_overflows.yaml").unlink()
        assert rnncalc("check", tmp_path)[0] == 1


class TestFormats:
    """Every format parses with a standard parser."""

    def test_jsonl_one_object_per_step(self, rnncalc):
        status, out, _ = rnncalc("lstm", VECTOR, "-f", "jsonl")
        records = [json.loads(line) for line in out.splitlines()]
        assert status == 0 and [r["t"] for r in records] == [1, 2, 3, 4]
        full = json.loads(rnncalc("lstm", VECTOR, "-f", "json")[1])
        assert records == full["steps"]

    def test_csv(self, rnncalc):
        status, out, _ = rnncalc("lstm", VECTOR, "-f", "csv", "--only", "h,c")
        rows = list(csv.DictReader(io.StringIO(out)))
        full = json.loads(rnncalc("lstm", VECTOR, "-f", "json")[1])
        assert status == 0 and list(rows[0]) == ["t", "c[0]", "c[1]", "h[0]", "h[1]"]
        assert [float(r["h[1]"]) for r in rows] == [s["h"][1] for s in full["steps"]]  # exact round trip

    def test_markdown_table(self, rnncalc):
        status, out, _ = rnncalc("gated", SAMPLES / "gated.yaml", "-f", "markdown", "--steps", "1", "--no-header")
        lines = [line for line in out.splitlines() if line.startswith("|")]
        assert status == 0 and lines[1].strip("|").split("|") == ["---"] * 6
        widths = {len(line.replace("\\|", "").split("|")) for line in lines}
        assert widths == {8} and len(lines) == 2 + 3  # header, rule, g s̃ s

    def test_latex_compiles(self, rnncalc, tmp_path):
        status, out, _ = rnncalc("lstm", SAMPLES / "seed.yaml", "-f", "latex")
        assert status == 0 and out.count(r"\begin{tabular}") == 2  # the parameters, the one step
        if shutil.which("pdflatex") is None:
            if os.environ.get("RNNCALC_REQUIRE_LATEX"):  # set by .ci/run, which installs it
                pytest.fail("pdflatex is not installed")
            pytest.skip("pdflatex is not installed")
        tex = tmp_path / "trace.tex"
        tex.write_text("\\documentclass{article}\n\\usepackage{amssymb}\n\\usepackage[utf8]{inputenc}\n"
                       "\\begin{document}\n" + out + "\\end{document}\n")
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                                cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]

    def test_quiet_prints_the_final_state(self, rnncalc, tmp_path):
        # 2,500 steps: -q runs all but the last in the compiled loop, whole chunks of it (engine.CHUNK),
        # and must print the full trace's final state to the last bit (the file's expect: is for its own x).
        from rnncalc.engine import CHUNK

        xs = tmp_path / "x.txt"
        xs.write_text("\n".join(f"{np.sin(t)} {np.cos(t)} {np.sin(t / 7)}" for t in range(2 * CHUNK + 452)))
        status, out, _ = rnncalc("lstm", VECTOR, "--x-file", xs, "--no-expect", "-q")
        full = json.loads(rnncalc("lstm", VECTOR, "--x-file", xs, "--no-expect", "-f", "json")[1])
        assert len(full["steps"]) > 2 * CHUNK
        assert status == 0 and [float(v) for v in out.split()] == full["final"]["h"]

    def test_last_and_steps(self, rnncalc):
        assert [s["t"] for s in json.loads(rnncalc("lstm", VECTOR, "-f", "json", "--last")[1])["steps"]] == [4]
        assert [s["t"] for s in json.loads(rnncalc("lstm", VECTOR, "-f", "json", "--steps", "2:3")[1])["steps"]] == [2, 3]
        assert [s["t"] for s in json.loads(rnncalc("lstm", VECTOR, "-f", "json", "--steps", "1,4")[1])["steps"]] == [1, 4]

    def test_only_limits_the_keys(self, rnncalc):
        step = json.loads(rnncalc("lstm", VECTOR, "-f", "json", "--only", "h")[1])["steps"][0]
        assert list(step) == ["t", "h"]

    def test_bad_view_options(self, rnncalc):
        assert rnncalc("lstm", VECTOR, "--only", "hh")[2] == "rnncalc: --only: no quantity 'hh'; did you mean h?\n"
        assert rnncalc("lstm", VECTOR, "--steps", "3:1")[0] == 2
        assert rnncalc("lstm", VECTOR, "--last", "--steps", "2")[0] == 2
        assert rnncalc("lstm", VECTOR, "-q", "-f", "json")[0] == 2
        assert rnncalc("lstm", VECTOR, "--save-svg", "x.svg", "-f", "json")[0] == 2


class TestLongSequences:
    def test_table_shows_the_start_and_the_end(self, rnncalc, tmp_path):
        xs = tmp_path / "x.txt"
        xs.write_text("\n".join(str(np.sin(t)) for t in range(50)))
        status, out, _ = rnncalc("rnn", "--weights", "0.5", "--x-file", xs, "--no-color")
        shown = [int(line.split()[3]) for line in out.splitlines() if line.startswith("step t = ")]
        assert status == 0 and shown == list(range(1, 11)) + [50]
        gap = out[out.index("step t = 10 "):out.index("step t = 50 ")]
        assert "39 steps not shown, t = 11 to 49: choose them with --steps 11:49" in gap

    @pytest.mark.parametrize("suffix", [".npy", ".csv", ".txt"])
    def test_x_file(self, rnncalc, tmp_path, suffix):
        x = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [-1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])  # the sample's x
        path = tmp_path / f"x{suffix}"
        if suffix == ".npy":
            np.save(path, x)
        else:
            np.savetxt(path, x, delimiter="," if suffix == ".csv" else " ")
        status, out, _ = rnncalc("lstm", VECTOR, "--x-file", path, "-f", "json")
        assert status == 0  # the sample's expect: still holds, so the steps are the same
        assert json.loads(out)["steps"] == json.loads(rnncalc("lstm", VECTOR, "-f", "json")[1])["steps"]

    @pytest.mark.deep(reason="one more live stream in a process, as test_scripting.TestLiveStream runs")
    def test_stdin_steps_stream(self):
        # The first step's output arrives while the input is still open.
        process = subprocess.Popen([sys.executable, "-m", "rnncalc", "rnn", "--weights", "0.5", "-x", "-",
                                    "-f", "jsonl", "--only", "s"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        process.stdin.write("1\n2\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())  # step 1, written once step 2 arrived
        process.stdin.write("3\n")
        process.stdin.close()
        rest = [json.loads(line) for line in process.stdout]
        assert process.wait() == 0
        assert first == {"t": 1, "s": [np.tanh(0.5)]}
        assert [r["t"] for r in rest] == [2, 3]

    def test_bad_stream_line(self, rnncalc, tmp_path):
        path = tmp_path / "x.txt"
        path.write_text("1\n2\nthree\n")
        status, _, err = rnncalc("rnn", "--weights", "1", "--x-file", path, "-f", "jsonl")
        assert status == 2 and err == f"rnncalc: {path}:3: expected numbers separated by spaces or commas, found 'three'\n"


class TestPictures:
    def test_svg_and_html(self, rnncalc, tmp_path):
        svg, html = tmp_path / "t.svg", tmp_path / "t.html"
        status, out, _ = rnncalc("lstm", SAMPLES / "seed.yaml", "--save-svg", svg, "--save-html", html)
        assert status == 0 and "final: h_T = 1" in out
        assert svg.read_text().startswith("<svg") and "f_t" in html.read_text()

    def test_no_color(self, rnncalc, monkeypatch):
        monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal would get colour...
        assert "\x1b[" in rnncalc("lstm", SAMPLES / "seed.yaml")[1]
        assert "\x1b[" not in rnncalc("lstm", SAMPLES / "seed.yaml", "--no-color")[1]  # ...but not with these
        monkeypatch.setenv("NO_COLOR", "1")
        assert "\x1b[" not in rnncalc("lstm", SAMPLES / "seed.yaml")[1]
