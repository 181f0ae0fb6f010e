"""Regression tests of numbers that once differed between paths or from an independent evaluation,
each named after what went wrong."""

from __future__ import annotations

import contextlib
import io
import json
import sys

import numpy as np
import pytest
import yaml

from conftest import bits
from rnncalc.cli import run


def cli(*args, stdin=None):
    """The command line in-process, stdin given as text: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    before = sys.stdin
    sys.stdin = io.StringIO(stdin) if stdin is not None else before
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = run([str(a) for a in args])
    finally:
        sys.stdin = before
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("cell", ["rnn", "gated", "lstm", "gru"])
@pytest.mark.parametrize("T", [5, 300])
def test_streamed_input_of_several_numbers_a_step_gives_the_bits_of_the_file(tmp_path, cell, T):
    # With D > 1, a product W x_t computed for a block of rows (one BLAS matrix product) and for the single
    # row a stream has read sum the D terms in other orders, and differed in the last bit on most steps.
    # The stream's rows are the file's, printed with repr (which reads back as the same float64).
    rng = np.random.default_rng(7)
    H, D = 3, 5
    x = rng.standard_normal((T, D))
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps({"hidden": H, "input": D, "x": x.tolist()}))
    seeded = ["--weights", "0.37", "--biases", "-0.2"]
    lines = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in x)
    status, out, err = cli(cell, path, *seeded, "-f", "json")
    assert status == 0, err
    whole = json.loads(out)
    for args in (["-f", "json"], ["-f", "jsonl"], ["-q"], ["--last", "-f", "json"]):
        status, out, err = cli(cell, path, *seeded, "-x", "-", *args, stdin=lines)
        assert status == 0, err
        if args == ["-f", "json"]:
            streamed = json.loads(out)
            assert bits(streamed["steps"]) == bits(whole["steps"]) and bits(streamed["final"]) == bits(whole["final"])
        elif args == ["-f", "jsonl"]:
            assert [bits(json.loads(line)) for line in out.splitlines()] == bits(whole["steps"])
        elif args == ["-q"]:
            visible = "s" if cell in ("rnn", "gated") else "h"
            assert bits([float(v) for v in out.split()]) == bits(whole["final"][visible])
        else:
            assert bits(json.loads(out)["steps"]) == bits(whole["steps"][-1:])


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("output", ["softmax", "linear"])
def test_one_layer_stack_output_layer_gives_the_bits_of_the_single_layer(tmp_path, cell, output):
    # The stack's y_t was W_y applied to every step at once, (T, H) @ (H, K), which BLAS sums in another
    # order than the single layer's W_y v_t a step: y differed in the last bit on most entries.
    rng = np.random.default_rng(3)
    H, D, K, T = 7, 5, 6, 40
    status, out, err = cli("init", cell, "--hidden", H, "--input", D)
    assert status == 0, err
    layer = {k: v for k, v in yaml.safe_load(out).items() if k not in ("cell", "hidden", "input", "x", "round",
                                                                        "round_state")}
    layer = {k: rng.standard_normal(np.shape(v)).tolist() for k, v in layer.items() if isinstance(v, list)}
    common = {"x": rng.standard_normal((T, D)).tolist(), "W_y": rng.standard_normal((K, H)).tolist(),
              "b_y": rng.standard_normal(K).tolist(), "output": output}
    single, stack = tmp_path / "single.yaml", tmp_path / "stack.yaml"
    single.write_text(json.dumps({**layer, **common}))
    stack.write_text(json.dumps({"cell": cell, "layers": [layer], **common}))
    status, out, err = cli(cell, single, "-f", "json")
    assert status == 0, err
    want = [s["y"] for s in json.loads(out)["steps"]]
    status, out, err = cli(cell, stack, "-f", "json")
    assert status == 0, err
    assert bits(json.loads(out)["y"]) == bits(want)
    status, out, err = cli(cell, stack, "--last", "-f", "json")
    assert status == 0, err
    assert bits(json.loads(out)["y"][-1]) == bits(want[-1])


def test_one_layer_stack_output_weight_gradient_gives_the_bits_of_the_single_layer(tmp_path):
    # The stack's dL/dW_y was dzᵀ o, one (K, T) @ (T, H) product; the single layer sums its steps' parts
    # dz_t o_tᵀ in time order, and the two differed in the last bit.
    rng = np.random.default_rng(5)
    H, D, K, T = 3, 2, 4, 300
    layer = {"W_ss": rng.standard_normal((H, H)).tolist(), "W_sx": rng.standard_normal((H, D)).tolist(),
             "b_s": rng.standard_normal(H).tolist(), "s0": rng.standard_normal(H).tolist()}
    common = {"x": rng.standard_normal((T, D)).tolist(), "W_y": rng.standard_normal((K, H)).tolist(),
              "b_y": rng.standard_normal(K).tolist(), "output": "linear", "loss": "mse",
              "target": rng.standard_normal((T, K)).tolist()}
    single, stack = tmp_path / "single.yaml", tmp_path / "stack.yaml"
    single.write_text(json.dumps({**layer, **common}))
    stack.write_text(json.dumps({"cell": "rnn", "layers": [layer], **common}))
    status, out, err = cli("rnn", single, "-f", "json", "--grad")
    assert status == 0, err
    want = json.loads(out)
    status, out, err = cli("rnn", stack, "-f", "json", "--grad")
    assert status == 0, err
    got = json.loads(out)
    assert got["loss"] == want["loss"]
    for key in ("W_y", "b_y"):
        assert bits(got["grad"][key]) == bits(want["grad"][key]), key
    assert bits(got["grad"]["layers"][0]["W_ss"]) == bits(want["grad"]["W_ss"])


def test_quiet_only_y_prints_a_stacks_final_output_layer(tmp_path):
    # -q --only y on a stack with W_y was refused as "no quantity 'y'" of the layers' cell.
    rng = np.random.default_rng(9)
    H, D, K, T = 2, 2, 3, 4
    layer = {"W_ss": rng.standard_normal((H, H)).tolist(), "W_sx": rng.standard_normal((H, D)).tolist()}
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps({"cell": "rnn", "layers": [layer, layer], "x": rng.standard_normal((T, D)).tolist(),
                                "W_y": rng.standard_normal((K, H)).tolist()}))
    status, out, err = cli("rnn", path, "-f", "json")
    assert status == 0, err
    doc = json.loads(out)
    status, out, err = cli("rnn", path, "-q", "--only", "y")
    assert status == 0, err
    assert bits([float(v) for v in out.split()]) == bits(doc["y"][-1])
    status, out, err = cli("rnn", path, "-q", "--only", "output")
    assert status == 0, err
    assert bits([float(v) for v in out.split()]) == bits(doc["output"][-1])
    status, _, err = cli("rnn", path, "-q", "--only", "s")
    assert status == 2 and err.count("\n") == 1


@pytest.mark.parametrize("text, value", [("017", 17.0), ("1e-3", 0.001), (".5", 0.5), ("-2E+1", -20.0)])
def test_a_line_of_streamed_or_text_input_reads_yaml_decimals_as_a_flag_does(tmp_path, text, value):
    # A linear rnn with W_ss = 0, W_sx = 1, b_s = 0 gives s_1 = x_1: the number the line was read as.
    args = ["rnn", "--activation", "linear", "--weights", "1", "-p", "W_ss=0", "-q"]
    f = tmp_path / "x.txt"
    f.write_text(text + "\n")
    answers = [cli(*args, "-x", "-", stdin=text + "\n"), cli(*args, "--x-file", f), cli(*args, "-x", text)]
    assert [(status, float(out)) for status, out, _ in answers] == [(0, value)] * 3


@pytest.mark.parametrize("text", ["0o17", "0x1F"])
def test_a_line_of_streamed_or_text_input_refuses_octal_and_hex_that_a_flag_reads(tmp_path, text):
    # YAML 1.2 reads 0o17 as 15 and 0x1F as 31 in files and flags; a line of numbers holds decimals only,
    # and refuses the rest naming the line rather than reading them some other way.
    args = ["rnn", "--activation", "linear", "--weights", "1", "-p", "W_ss=0", "-q"]
    f = tmp_path / "x.csv"
    f.write_text(f"x\n1\n{text}\n")
    for status, out, err, where in [(*cli(*args, "-x", "-", stdin=f"1\n{text}\n"), "<stdin>:2"),
                                    (*cli(*args, "--x-file", f), f"{f}:3")]:
        assert status == 2 and out == ""
        assert err == f"rnncalc: {where}: expected numbers separated by spaces or commas, found '{text}'\n"
    assert cli(*args, "-x", text)[:2] == (0, f"{int(text, 0)}\n")
