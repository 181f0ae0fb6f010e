"""Flags held to the numbers the documentation promises, and requests that would show nothing refused in
one line: never an empty success."""

import json
import subprocess
import sys

import pytest

RNN = ("rnn", "--weights", "1", "-x", "1,2")


class TestNumberFlags:
    @pytest.mark.parametrize("value", ["nan", "inf", "-1", ".inf", "1_0", "1e", "0x1"])
    def test_atol_is_a_finite_tolerance(self, rnncalc, value):
        status, out, err = rnncalc(*RNN, "--expect", "s=0.7616,0.9920", "--atol", value)
        assert (status, err) == (2, f"rnncalc: Invalid value for '--atol': expected a tolerance, a finite number "
                                    f"≥ 0, found '{value}' (see rnncalc rnn --help)\n")

    @pytest.mark.parametrize("value", ["0", "1e-3", "0.5"])
    def test_atol_accepted(self, rnncalc, value):
        # s = tanh(1) = 0.76159..., tanh(tanh(1) + 2) = 0.99204...: within 1e-3 of the values written
        assert rnncalc(*RNN, "--expect", "s=0.76159,0.99205" if value != "0" else "s=0.7616,0.9920", "--atol",
                       value, "-q")[0] == (1 if value == "0" else 0)

    @pytest.mark.parametrize("flag, value, span", [
        ("--hidden", "1_0", "≥ 1"), ("--hidden", "0x2", "≥ 1"), ("--hidden", "0", "≥ 1"), ("--hidden", "2.0", "≥ 1"),
        ("--input", "1" * 5000, "≥ 1"), ("--digits", "18", "from 0 to 17"), ("--digits", "+", "from 0 to 17"),
    ])
    def test_whole_numbers(self, rnncalc, flag, value, span):
        status, out, err = rnncalc(*RNN, flag, value)
        shown = value if len(value) <= 60 else value[:59] + "…"
        assert (status, err) == (2, f"rnncalc: Invalid value for '{flag}': expected a whole number {span}, found "
                                    f"'{shown}' (see rnncalc rnn --help)\n")

    def test_leading_zeros_are_decimal(self, rnncalc_json):
        assert rnncalc_json(*RNN, "--hidden", "010")["hidden_size"] == 10

    def test_convert_flags(self, rnncalc, tmp_path):
        status, out, err = rnncalc("convert", tmp_path / "m.npz", "--from", "pytorch", "--layer", "1_0")
        assert (status, err) == (2, "rnncalc: Invalid value for '--layer': expected a whole number ≥ 0, found "
                                    "'1_0' (see rnncalc convert --help)\n")
        status, out, err = rnncalc("convert", tmp_path / "m.npz", "--from", "tensorflow", "--forget-bias", "inf")
        assert (status, err) == (2, "rnncalc: Invalid value for '--forget-bias': expected a finite number, found "
                                    "'inf' (see rnncalc convert --help)\n")


class TestSteps:
    @pytest.mark.parametrize("steps, message", [
        ("3", "step 3 is past the last step, T = 2"),
        ("1,5:", "step 5 is past the last step, T = 2"),
        (":9", "step 9 is past the last step, T = 2"),
        ("1 5", "expected a step, A:B, A: or :B (steps count from 1), found '1 5'"),
        ("", "expected a step, A:B, A: or :B (steps count from 1), found ''"),
        ("١", "expected a step, A:B, A: or :B (steps count from 1), found '١'"),
        pytest.param("9" * 5000, "expected a step, A:B, A: or :B (steps count from 1), found '" + "9" * 40 + "…'",
                     id="5000-digits"),
    ])
    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_refused(self, rnncalc, steps, message, fmt):
        status, out, err = rnncalc(*RNN, "--steps", steps, "--format", fmt)
        assert (status, out, err) == (2, "", f"rnncalc: --steps: {message}\n")

    def test_past_the_end_of_a_stream(self):
        done = subprocess.run([sys.executable, "-m", "rnncalc", "rnn", "--weights", "1", "-x", "-", "--steps", "3",
                               "-f", "csv"], input="1\n2\n", capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (2, "rnncalc: --steps: step 3 is past the last step, T = 2\n")

    def test_within_t(self, rnncalc):
        status, out, err = rnncalc(*RNN, "--steps", "2", "-f", "csv")
        assert status == 0 and out.splitlines()[1].startswith("2,")


class TestEmptyInputs:
    def test_check_of_a_file_without_problems(self, rnncalc, tmp_path):
        path = tmp_path / "empty.yaml"
        path.write_text("# nothing here\n")
        status, out, err = rnncalc("check", path, "--format", "json")
        assert status == 2 and json.loads(out) == [
            {"file": str(path), "problem": None, "index": None, "verdict": "error", "checked": 0, "failed": 0,
             "message": f"{path}: holds no problem; expected YAML documents, each a mapping with a cell: key"}]
        assert err == "rnncalc: 1 of 1 problems did not pass (1 error)\n"

    @pytest.mark.parametrize("x", ["[[], []]", "[]"])
    def test_steps_of_no_numbers(self, rnncalc, x):
        status, out, err = rnncalc("rnn", "--weights", "1", "-x", x)
        assert status == 2 and err.count("\n") == 1 and out == ""


class TestInit:
    def test_sizes_of_the_cell_commands(self, rnncalc):
        status, out, err = rnncalc("init", "lstm", "--hidden", "2049")
        assert (status, out, err) == (2, "", "rnncalc: --hidden: the hidden size H = 2049 is over rnncalc's limit "
                                             "of 2048\n")

    def test_a_template_over_the_yaml_limit(self, rnncalc):
        # 4 H² + 4 H D numbers at H = 2048, D = 1: 16.8 M of "0, ", more than a cell command would read
        status, out, err = rnncalc("init", "lstm", "--hidden", "2048")
        assert (status, out, err) == (2, "", "rnncalc: --hidden 2048 --input 1: the template would be over 16 MiB, "
                                             "the most a YAML problem may hold; give parameters this large in an "
                                             ".npz file\n")

    @pytest.mark.deep(reason="reads 2 M numbers of YAML (4 s)")
    def test_the_largest_template_runs(self, rnncalc, tmp_path):
        status, out, err = rnncalc("init", "rnn", "--hidden", "1024", "--input", "1024")
        path = tmp_path / "t.yaml"
        path.write_text(out)
        assert status == 0 and len(out.encode()) < 16 * 2**20
        assert rnncalc("rnn", path, "-q")[0] == 0


def test_pasted_arrays_read_ascii_digits_only(rnncalc):
    status, out, err = rnncalc("rnn", "--weights", "1", "-x", "[０ 2]")
    assert (status, err) == (2, "rnncalc: -x: cannot read '[０ 2]' as an array: expected numbers and brackets, "
                                "found '０'\n")
