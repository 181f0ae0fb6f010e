"""Inputs that once broke the contract (a traceback, a wrong status, a silent wrong answer), each named
after what went wrong, so that it stays fixed."""

import json
import math

import pytest


def _one_line_refusal(status, out, err):
    assert status == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("rnncalc: ")


@pytest.mark.parametrize("value", ["[[1], [[2]]]", "[[[1]], [2]]", "[[1, 2], [3, [4]]]"])
@pytest.mark.parametrize("where", ["-x", "-p W_ss=", "--s0", "--expect s="])
def test_rows_of_different_depths_are_refused_not_a_traceback(rnncalc, where, value):
    """numpy cannot build an array from rows of equal length but different depth ([1] and [[2]])."""
    flag, _, prefix = where.partition(" ")
    args = [flag, prefix + value] if prefix else [flag, value]
    defaults = [] if flag == "-x" else ["-x", "1,2"]
    status, out, err = rnncalc("rnn", "--weights", "1", *defaults, *args)
    _one_line_refusal(status, out, err)
    assert "ragged" in err or "shape" in err


def test_rows_of_different_depths_in_a_file_are_refused(rnncalc, tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("weights: 1\nx: [[1], [[2]]]\n")
    status, out, err = rnncalc("rnn", p, "-q")
    _one_line_refusal(status, out, err)
    assert "p.yaml:2: x" in err


@pytest.mark.parametrize("key", ["x", "W_ss", "s0"])
@pytest.mark.parametrize("array", [["a"], [1 + 2j], [True], [1.0, "2"]], ids=["text", "complex", "bool", "objects"])
def test_an_array_of_what_is_not_numbers_is_refused_from_python(key, array):
    """numpy would read the text '2' as 2.0 and drop a complex number's imaginary part with a warning;
    text alone was a traceback."""
    import numpy as np
    import rnncalc
    a = np.array(array, dtype=object if key == "s0" else None)
    keys = {"x": [1, 2], key: a if key != "W_ss" else a.reshape(1, -1)[:, :1]}
    with pytest.raises(rnncalc.InputError, match=f"keyword {key}.*expected an array of numbers"):
        rnncalc.trace("rnn", weights=1, **keys)


@pytest.mark.parametrize("problem", [{3: 4, "x": 1, "weights": 1}, {"x": 1, "weights": 1, "expect": {1: 0.5}}])
def test_a_mapping_key_that_is_not_a_name_is_refused_from_python(problem):
    """A key such as 3 met a string method and raised AttributeError."""
    import rnncalc
    with pytest.raises(rnncalc.InputError, match="expected keys that are names"):
        rnncalc.trace("rnn", problem)


@pytest.mark.parametrize("form", [["-q"], ["-f", "csv"], ["-f", "jsonl"], ["-f", "json"]])
def test_only_a_value_before_rounding_that_was_never_rounded_is_refused(rnncalc, form):
    """samples/seed.yaml rounds σ and tanh, but c_t = f ⊙ c + i ⊙ c̃ is no σ or tanh, so there is no
    c_exact: -q raised KeyError, and csv printed a lone t column."""
    status, out, err = rnncalc("lstm", "samples/seed.yaml", *form, "--only", "c_exact")
    _one_line_refusal(status, out, err)
    assert "no quantity 'c_exact'" in err


def test_only_a_value_before_rounding_that_was_rounded_is_printed(rnncalc):
    """With σ rounded by sign, f_6 = σ(1·1 + 1·5) = σ(6) ≈ 0.99753 is f_exact; the rounded f is 1."""
    status, out, err = rnncalc("lstm", "samples/seed.yaml", "-q", "--only", "f_exact,f")
    assert status == 0, err
    assert [float(v) for v in out.split()] == pytest.approx([1 / (1 + math.exp(-6)), 1.0], rel=1e-15)


@pytest.mark.parametrize("args", [["-x", "1", "-x", "2"], ["-x", "1", "--x=2"], ["-x", "1", "--weights", "2"],
                                  ["-x", "1", "-f", "json", "--format", "csv"], ["-x", "1", "--only", "s", "--only", "s_pre"]])
def test_an_option_of_one_value_given_twice_is_refused(rnncalc, args):
    """-x 1 -x 2 ran x = 2 alone: the first value was dropped without a word."""
    status, out, err = rnncalc("rnn", "--weights", "1", *args)
    _one_line_refusal(status, out, err)
    assert "given twice" in err


def test_repeatable_options_and_switches_may_come_twice(rnncalc):
    """s_1 = tanh(1·0 + 1·1 + 0) = tanh(1) = 0.7616 and s_pre = 1: both expectations hold."""
    status, out, err = rnncalc("rnn", "--weights", "1", "-x", "1", "-p", "W_ss=1", "-p", "b_s=0",
                               "--expect", "s=0.7616", "--expect", "s_pre=1", "--last", "--last", "-q")
    assert status == 0, err


def test_x_file_from_a_named_pipe_is_read_as_it_comes(rnncalc, tmp_path):
    """--x-file <(...) or a FIFO was refused as 'is not a file'. With every weight 1 and x = 1, 2:
    the same numbers as -x 1,2, which the README's trace derives step by step."""
    import os
    import threading

    fifo = tmp_path / "steps"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as f:
            f.write("1\n2\n")

    writer = threading.Thread(target=write)
    writer.start()
    status, out, err = rnncalc("lstm", "--weights", "1", "--x-file", fifo, "-q")
    writer.join()
    assert status == 0, err
    assert out == rnncalc("lstm", "--weights", "1", "-x", "1,2", "-q")[1]


def test_x_file_that_is_a_folder_is_refused(rnncalc, tmp_path):
    status, out, err = rnncalc("lstm", "--weights", "1", "--x-file", tmp_path)
    _one_line_refusal(status, out, err)
    assert "is not a file" in err


def test_standard_input_for_both_the_problem_and_the_steps_is_refused(rnncalc):
    """rnncalc lstm - -x - read the steps as YAML and said it expected a mapping, found the text '1 2'."""
    status, out, err = rnncalc("lstm", "-", "-x", "-")
    _one_line_refusal(status, out, err)
    assert err.startswith("rnncalc: -x -: standard input holds the problem file")


@pytest.mark.parametrize("key", ["round", "cell", "variant", "activation", "output", "loss"])
def test_a_text_option_given_as_an_npz_array_is_refused(rnncalc, tmp_path, key):
    # An .npz holds only arrays, so a key that takes a word arrives as one; it was compared element-wise.
    import numpy as np

    path = tmp_path / "p.npz"
    np.savez(path, **{key: np.zeros((0,))})
    status, out, err = rnncalc("gru", path, "--weights", "0.5", "-x", "1")
    assert status == 2 and err.count("\n") == 1 and err.startswith(f"rnncalc: {path}") and key in err, err


def test_a_line_not_utf8_in_a_live_stream_is_refused_at_its_line_after_the_steps_before_it(rnncalc, monkeypatch):
    """A byte that is not UTF-8 failed the whole stream, 'is not a text file' with no line, before the
    steps read ahead of it in the same buffer were answered. With W_ss = W_sx = 0.5, s_0 = 0:
    s_1 = tanh(0.5·1) and s_2 = tanh(0.5 s_1 + 0.5·2)."""
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"1\n2\n\xff\n3\n")))
    status, out, err = rnncalc("rnn", "--weights", "0.5", "-x", "-", "--format", "jsonl")
    _one_line_refusal(status, out, err)
    assert err.startswith("rnncalc: <stdin>:3: is not a text file")
    s1 = math.tanh(0.5)
    assert [json.loads(line)["s"] for line in out.splitlines()] == [[s1], [math.tanh(0.5 * s1 + 1.0)]]


def test_a_line_not_utf8_in_an_x_file_is_refused_at_its_line(rnncalc, tmp_path):
    f = tmp_path / "x.txt"
    f.write_bytes(b"1\n" * 5000 + b"2\xe9\n")
    status, out, err = rnncalc("rnn", "--weights", "0.5", "--x-file", f, "-q")
    _one_line_refusal(status, out, err)
    assert err.startswith(f"rnncalc: {f}:5001: is not a text file")


@pytest.mark.parametrize("first", [b"0x1F", b"1;2", b"1\x00", b"1_000,2"])
def test_a_first_line_neither_numbers_nor_names_is_refused_not_passed_over_as_a_header(rnncalc, tmp_path, first):
    """The first line of a .csv was passed over as a header row whenever float() read none of its fields,
    so 0x1F or 1;2 vanished and the run went on from line 2."""
    f = tmp_path / "x.csv"
    f.write_bytes(first + b"\n2\n")
    status, out, err = rnncalc("rnn", "--weights", "0.5", "--x-file", f, "-q")
    _one_line_refusal(status, out, err)
    assert err.startswith(f"rnncalc: {f}:1: ")


@pytest.mark.parametrize("args", [["-x", "1", "-x", "2"], ["-p", "W_ss", "2", "-x", "1"]])
def test_an_option_given_twice_after_a_leading_double_dash_is_refused(rnncalc, args):
    """rnncalc -- rnn -x 1 -x 2 ran x = 2 alone: the checks looked for the command in the first argument only."""
    status, out, err = rnncalc("--", "rnn", "--weights", "1", *args)
    _one_line_refusal(status, out, err)
    assert "given twice" in err or "did you mean -p W_ss=2" in err


def test_a_trace_and_its_cell_can_be_copied_and_pickled():
    # A notebook copies results and sends them to worker processes: an expression node refused both.
    import copy
    import pickle

    from rnncalc import api, cells

    t = api.trace("lstm", weights=1, x=[1, 2], grad=True)
    for again in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert again.to_dict() == t.to_dict()
    cell = cells.CELLS["gru"](variant="reset-before").with_output("softmax")
    assert pickle.loads(pickle.dumps(cell)) == cell and copy.deepcopy(cell).concatenated == cell.concatenated


@pytest.mark.parametrize("line", [b"1,,2", b",1,2", b"1,2,", b"1, ,2"])
def test_an_empty_field_in_a_text_step_is_refused_not_dropped(rnncalc, tmp_path, line):
    """Commas ran together as one separator, so the empty field of 1,,2 vanished and the step became
    (1, 2), the input size D = 2 taken from it without a word."""
    f = tmp_path / "x.csv"
    f.write_bytes(line + b"\n")
    status, out, err = rnncalc("rnn", "--weights", "0.5", "--x-file", f, "-q")
    _one_line_refusal(status, out, err)
    assert err.startswith(f"rnncalc: {f}:1: expected numbers separated by spaces or commas")


@pytest.mark.parametrize("chosen", ["9" * 5000, "²"])
def test_a_problem_number_int_cannot_read_is_refused_not_a_traceback(rnncalc, tmp_path, chosen):
    """--problem took any str.isdigit() text to int(): a number of 4,301 digits or a superscript ² raised
    ValueError."""
    f = tmp_path / "two.yaml"
    f.write_text("cell: rnn\nweights: 1\nx: [1]\n---\ncell: rnn\nweights: 2\nx: [1]\n")
    status, out, err = rnncalc("rnn", f, "--problem", chosen)
    _one_line_refusal(status, out, err)
    assert err.startswith("rnncalc: --problem ")


def test_a_layer_number_of_thousands_of_digits_is_refused_not_a_traceback(rnncalc, tmp_path):
    f = tmp_path / "stack.yaml"
    f.write_text("cell: rnn\nx: [1]\nlayers:\n  - {weights: 1}\n")
    status, out, err = rnncalc("rnn", f, "--expect", f"layers.{'9' * 5000}.s=1")
    _one_line_refusal(status, out, err)
    assert err.startswith("rnncalc: --expect layers.")


@pytest.mark.parametrize("framework, names", [
    ("pytorch", ["weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"]), ("keras", ["arr_"])])
def test_convert_of_an_array_numbered_in_thousands_of_digits_is_refused_not_a_traceback(rnncalc, tmp_path,
                                                                                         framework, names):
    """A layer or array number of 4,301 digits went to int(), which raised ValueError."""
    import numpy as np

    f = tmp_path / "model.npz"
    np.savez(f, **{name + "9" * 5000: np.zeros((4, 2)) for name in names})
    status, out, err = rnncalc("convert", f, "--from", framework)
    _one_line_refusal(status, out, err)
    assert err.startswith(f"rnncalc: {f}: ")


@pytest.mark.parametrize("key, value, message", [
    ("b_s", "!!float " + "9" * 400, "b_s: expected a finite number"),
    ("b_s", "!!float -" + "9" * 400, "b_s: expected a finite number"),
    ("atol", "9" * 400, "atol: expected a tolerance"),
    ("atol", "!!float " + "9" * 400, "atol: expected a tolerance")])
def test_an_integer_beyond_float64_is_refused_not_a_traceback(rnncalc, tmp_path, key, value, message):
    """!!float 99…9 (400 digits) went to float(), which raised OverflowError; atol: 99…9 passed the check
    < inf as an int and did the same."""
    f = tmp_path / "p.yaml"
    f.write_text(f"W_ss: 1\nW_sx: 1\nx: [1]\n{key}: {value}\n")
    status, out, err = rnncalc("rnn", f)
    _one_line_refusal(status, out, err)
    assert err.startswith(f"rnncalc: {f}:4: {message}")


@pytest.mark.parametrize("command", ["lstm", "init", "equations", "check", "convert"])
def test_h_shows_a_commands_help_as_it_does_the_apps(rnncalc, command):
    """rnncalc lstm -h was refused: checking for repeated options built the command's help option without -h."""
    status, out, err = rnncalc(command, "-h")
    assert status == 0 and err == "" and out.startswith(f"Usage: rnncalc {command} ")


@pytest.mark.parametrize("args, named", [(["-x", "1", "-x", "2"], "-x"), (["-x1", "--x=2"], "-x"),
                                         (["--x", "1", "-x", "2"], "--x")])
def test_an_option_given_twice_is_named_as_it_was_typed(rnncalc, args, named):
    """-x 1 -x 2 was refused as '--x: given twice', a spelling the user did not type."""
    status, out, err = rnncalc("rnn", "--weights", "1", *args)
    _one_line_refusal(status, out, err)
    assert err == f"rnncalc: {named}: given twice; give it once\n"


def test_a_byte_order_mark_on_standard_input_is_passed_over_as_in_a_file(tmp_path):
    """-x - refused '\\ufeff1' at line 1, where --x-file passed the mark a spreadsheet writes over."""
    import subprocess
    import sys

    f = tmp_path / "x.txt"
    f.write_bytes(b"\xef\xbb\xbf1\n2\n")
    command = [sys.executable, "-m", "rnncalc", "rnn", "--weights", "0.5", "-q"]
    by_file = subprocess.run([*command, "--x-file", f], capture_output=True)
    by_stdin = subprocess.run([*command, "-x", "-"], input=f.read_bytes(), capture_output=True)
    assert by_file.returncode == by_stdin.returncode == 0 and by_stdin.stderr == b""
    assert by_stdin.stdout == by_file.stdout  # s_2 = tanh(0.5 tanh(0.5) + 1)
    assert float(by_stdin.stdout) == math.tanh(0.5 * math.tanh(0.5) + 1.0)


def test_a_check_that_fails_within_the_digits_shown_shows_both_values_whole(rnncalc):
    """With --atol 0, h = 0.96129… against 0.9613 was reported as 'is 0.9613, expected 0.9613'."""
    status, out, err = rnncalc("lstm", "samples/seed.yaml", "--round", "none", "--expect", "h=0.9613", "--atol", "0",
                               "-f", "json")
    sig = 1 / (1 + math.exp(-6))  # every gate's pre-activation is 1·1 + 1·5: c = σ(6)(1 + tanh 6), h = σ(6) tanh(c)
    actual = json.loads(out)["final"]["h"][0]
    assert status == 1 and actual == pytest.approx(sig * math.tanh(sig * (1 + math.tanh(6))), rel=1e-15)
    assert err.endswith(f"h at t = 1 is {actual!r}, expected 0.9613\n")


def test_a_non_finite_jacobian_norm_is_named_with_the_cells_state(rnncalc):
    """An RNN's overflowing ‖∂s_T/∂s_t‖₂ was reported as ‖∂v_T/∂v_t‖₂. Linear, W_ss = 1e160, x_t = 1e-300:
    s_3 ≈ 1e20 is finite, the dot loss against 0 has dL/ds_t = 0, but ∂s_3/∂s_1 = W_ss² = 1e320 is not."""
    status, out, err = rnncalc("rnn", "--activation", "linear", "-p", "W_ss=1e160", "-p", "W_sx=1",
                               "-x", "1e-300,1e-300,1e-300", "--grad", "--loss", "dot", "--target", "0")
    assert status == 3 and err.startswith("rnncalc: ‖∂s_T/∂s_t‖₂ is not finite at step 1;")


def test_a_gradient_norm_beyond_the_float_range_is_printed_not_inf(rnncalc):
    """A finite ∂L/∂s_t whose norm is beyond float64's range was shown as inf, with status 0. One step of an
    rnn, H = 2, the dot loss against [1.5e308, 1.5e308]: ∂L/∂s_1 is the target itself, so
    ‖∂L/∂s_1‖₂ = 1.5e308 √2 = 2.1213e308 (log₁₀ = 308.3266), written 2.12e+308."""
    status, out, err = rnncalc("rnn", "--weights", "0.5", "--hidden", "2", "-x", "1", "--grad", "--loss", "dot",
                               "--target", "[1.5e308,1.5e308]", "--no-color")
    assert status == 0 and err == ""
    norm = f"{1.5 * math.sqrt(2):.2f}e+308"
    assert norm == "2.12e+308" and "inf" not in out
    assert any(line.split()[:1] == ["∂L/∂s_t"] and line.split()[-1] == norm for line in out.splitlines())
    assert any(line.split()[:2] == ["1", norm] for line in out.splitlines())  # the journey's row


def test_a_table_of_x_alone(rnncalc):
    # --only x leaves each step's table without a row: it shows the steps' x and the final state, as it did
    # not before (an IndexError from the second step on, found by the fuzzing).
    status, out, err = rnncalc("gated", "--weights", "0.5", "-x", "1,2", "--only=x", "--no-color")
    assert (status, err) == (0, "") and "step t = 1   x_t = 1" in out and "step t = 2   x_t = 2" in out
