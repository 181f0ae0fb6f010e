"""Fuzzing: whatever the input, rnncalc answers with exit status 0, 1, 2 or 3, never a traceback;
and on random valid problems the cells keep their invariants.

How many inputs each test tries is the Hypothesis profile's (tests/conftest.py): a quick look by
default, a deep one in CI.
"""

import contextlib
import io
import json
import math
import os

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncalc import cells
from rnncalc.cli import run

FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


def status_of(args, stdin=""):
    """Run rnncalc in-process; any exception escaping it is a traceback a user would see."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = os.sys.stdin
    os.sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = run([str(a) for a in args])
    finally:
        os.sys.stdin = old_stdin
    return status, out.getvalue(), err.getvalue()


def assert_answered(args, stdin=""):
    status, out, err = status_of(args, stdin)
    assert status in (0, 1, 2, 3), (args, status, err)
    if status == 2:
        assert err.startswith("rnncalc: ") and err.count("\n") == 1, (args, err)
    return status, out, err


KEYS = sorted({*[p.name for make in cells.CELLS.values() for p in make().params], "W_f", "W_i", "W_o", "W_c",
               "W_g", "W_s", "W_r", "W_z", "W_n", "W_y", "b_y", "P_f", "P_i", "P_o", "b_nh", "h0", "c0", "s0", "x",
               "hidden", "input", "round", "round_state", "activation", "output", "weights", "biases", "cell",
               "name", "digits", "atol", "expect", "variant", "z_weighs", "W_fhh", "bogus"})
numbers = st.one_of(st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(-3, 3), st.sampled_from([0, 1, -1, 0.5, 1e308, -1e308, 10**400]))
scalars = st.one_of(numbers, st.booleans(), st.none(), st.text(max_size=8),
                    st.sampled_from(["sign", "nearest", "none", "relu", "softmax", "lstm", "reset-before", "old"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
                      max_leaves=12)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


@FUZZ
@given(cell=st.sampled_from(sorted(cells.CELLS)), doc=documents, fmt=st.sampled_from(["table", "json", "csv"]))
def test_random_documents(tmp_path_factory, cell, doc, fmt):
    path = tmp_path_factory.mktemp("fuzz") / "p.yaml"
    try:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    assert_answered([cell, path, "-f", fmt])


@FUZZ
@given(text=st.text(max_size=200))
def test_random_text_as_a_problem_file(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "p.yaml"
    path.write_text(text)
    assert_answered(["lstm", path, "--weights", "1"])


FLAG_VALUES = st.sampled_from(["1", "0", "-1", "0.5", "1e-3", "[1, 2]", "[[1, 2], [3, 4]]", "1,2,3", "abc", "",
                               "nan", "[1, [2]]", "1e999", "-", "{a: 1}", "[]", "true", "W_fh=1", "h=1,2",
                               "W_fx=[[1,2]]", "1:3", "h,c", "2:", "none", "sign", "nearest", "relu"])
FLAGS = ["-x", "--h0", "--c0", "--s0", "--weights", "--biases", "-p", "--hidden", "--input", "--round",
         "--round-sigmoid", "--round-tanh", "--activation", "--output", "--variant", "--z-weighs", "--expect",
         "--atol", "--digits", "--only", "--steps", "--format", "--x-file"]
SWITCHES = ["--round-state", "--no-round-state", "--last", "-q", "--no-color", "--grad"]


@FUZZ
@given(cell=st.sampled_from(sorted(cells.CELLS)),
       flags=st.lists(st.tuples(st.sampled_from(FLAGS), FLAG_VALUES), max_size=6),
       switches=st.lists(st.sampled_from(SWITCHES), max_size=2))
def test_random_flags(cell, flags, switches):
    args = [cell, "--weights", "0.5", "-x", "1,2"] + [a for pair in flags for a in pair] + switches
    assert_answered(args)


@FUZZ
@given(args=st.lists(st.sampled_from(["init", "equations", "check", "convert", "lstm", "gru", "rnn", "--help",
                                      "--version", "--hidden", "--input", "2", "0", "x.npz", "--from", "pytorch",
                                      "keras", "--cell", "--layer", "samples/seed.yaml", "-", "--bogus"]),
                     max_size=5))
def test_random_command_lines(args, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert_answered(args)


@FUZZ
@given(arrays=st.dictionaries(st.sampled_from(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                               "kernel", "recurrent_kernel", "bias", "weight_hr_l0", "arr_0"]),
                              st.tuples(st.integers(0, 9), st.integers(0, 4)), max_size=4),
       source=st.sampled_from(["pytorch", "keras"]))
def test_random_layer_files(tmp_path_factory, arrays, source):
    path = tmp_path_factory.mktemp("fuzz") / "layer.npz"
    np.savez(path, **{k: np.ones(shape) for k, shape in arrays.items()})
    assert_answered(["convert", path, "--from", source])


# ---------------------------------------------------------------- invariants of valid problems

@st.composite
def problems(draw):
    cell = draw(st.sampled_from(["rnn", "gated", "lstm", "gru"]))
    H, D, T = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    small = st.floats(-4, 4, allow_subnormal=False)
    make = cells.CELLS[cell]()
    sizes = {"H": H, "D": D}
    doc = {p.name: draw(st.lists(st.lists(small, min_size=sizes[p.shape[1]], max_size=sizes[p.shape[1]]),
                                  min_size=H, max_size=H)) if p.kind == "weight" else
           draw(st.lists(small, min_size=H, max_size=H)) for p in make.params}
    doc.update({s.init_key: draw(st.lists(st.floats(-1, 1), min_size=H, max_size=H)) for s in make.states})
    doc["x"] = draw(st.lists(st.lists(small, min_size=D, max_size=D), min_size=T, max_size=T))
    return cell, doc


@given(problem=problems())
def test_invariants(problem):
    cell, doc = problem
    status, out, _ = status_of([cell, "-", "-f", "json"], stdin=json.dumps(doc))
    assert status == 0
    result = json.loads(out)
    gates = {"gated": ["g"], "lstm": ["f", "i", "o"], "gru": ["r", "z"]}.get(cell, [])
    squashed = {"gated": ["s_tilde", "s"], "lstm": ["c_tilde", "tanh_c", "h"], "gru": ["n", "h"],
                "rnn": ["s"]}[cell]
    for step in result["steps"]:
        assert all(0 <= v <= 1 for g in gates for v in step[g])
        assert all(-1 <= v <= 1 for q in squashed for v in step[q])


@given(problem=problems())
def test_flags_file_and_stdin_agree(tmp_path_factory, problem):
    cell, doc = problem
    path = tmp_path_factory.mktemp("same") / "p.yaml"
    path.write_text(yaml.safe_dump(doc))
    by_file = status_of([cell, path, "-f", "json"])[1]
    by_stdin = status_of([cell, "-", "-f", "json"], stdin=yaml.safe_dump(doc))[1]
    flags = [cell, "-f", "json", "-x", json.dumps(doc["x"])]
    for key, value in doc.items():
        if key == "x":
            continue
        flags += [f"--{key}", json.dumps(value)] if key.endswith("0") else ["-p", f"{key}={json.dumps(value)}"]
    by_flags = status_of(flags)[1]
    assert by_file == by_stdin == by_flags and json.loads(by_file)["steps"]


@given(problem=problems())
def test_json_round_trips_the_numbers(problem):
    # The JSON holds the engine's float64 values exactly: shortest round-trip repr.
    from rnncalc.engine import Rounding
    from rnncalc.engine import run as run_engine

    cell, doc = problem
    result = json.loads(status_of([cell, "-", "-f", "json"], stdin=json.dumps(doc))[1])
    make = cells.CELLS[cell]()
    params = {p.name: np.array(doc[p.name], dtype=float) for p in make.params}
    init = {s.name: np.array(doc[s.init_key], dtype=float) for s in make.states}
    for step, record in zip(run_engine(make, params, init, np.array(doc["x"], dtype=float), Rounding()),
                            result["steps"]):
        for key, value in step.values.items():
            assert [v + 0.0 for v in value.tolist()] == record[key]


def test_closed_gate_keeps_the_state(rnncalc_json):
    # A gated RNN whose gate is shut (b_g = -1e6, so σ = 0 exactly) never moves its state.
    doc = rnncalc_json("gated", "--weights", "3", "-p", "b_g=-1e6", "--s0", "0.25,-0.5", "-x", "1,-2,3,10")
    assert all(step["s"] == [0.25, -0.5] for step in doc["steps"])


@pytest.mark.parametrize("extreme", ["1e308", "-1e308"])
def test_extreme_inputs_saturate_quietly(rnncalc_json, extreme):
    # σ and tanh of ±1e308 are their limits, with no warning printed; the pre-activations stay finite.
    doc = rnncalc_json("lstm", "--weights", "1", "-x", extreme)
    step = doc["steps"][0]
    limit = 1.0 if extreme[0] != "-" else 0.0
    assert step["f"] == [limit] and step["c_tilde"] == [math.copysign(1.0, float(extreme))]
