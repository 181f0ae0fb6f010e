"""The compiled loop for steps nobody sees gives the traced steps' numbers, and finds overflow."""

import json

import numpy as np
import pytest

from conftest import CELL_FORMS
from rnncalc import cells
from rnncalc.engine import Rounding, run
from rnncalc.fastpath import Loop

VARIANTS = {label: cells.CELLS[name](**keywords) for label, (name, keywords) in CELL_FORMS.items()}
VARIANTS["rnn-relu + softmax"] = cells.CELLS["rnn"](activation="relu").with_output("softmax")


def random_problem(cell, seed=0, H=4, D=3, K=2, T=300):
    rng = np.random.default_rng(seed)
    sizes = {"H": H, "D": D, "K": K}
    params = {p.name: rng.standard_normal([sizes[s] for s in p.shape]) * 0.5 for p in cell.params}
    init = {s.name: rng.standard_normal(H) for s in cell.states}
    return params, init, rng.standard_normal((T, D))


@pytest.mark.parametrize("name", VARIANTS)
def test_loop_matches_the_traced_steps(name):
    cell = VARIANTS[name]
    params, init, xs = random_problem(cell)
    traced = list(run(cell, params, init, xs, Rounding()))
    finite, states = Loop(cell, params).advance(init, xs)
    assert finite
    for s in cell.states:
        np.testing.assert_allclose(states[s.name], traced[-1].values[s.name], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", VARIANTS)
def test_only_the_needed_steps_are_recorded(name):
    cell = VARIANTS[name]
    params, init, xs = random_problem(cell, seed=1, T=2500)  # several chunks of the fast loop
    wanted = {7, 1500}
    traced = list(run(cell, params, init, xs, Rounding()))
    fast = list(run(cell, params, init, xs, Rounding(), needed=lambda t: t in wanted))
    assert [s.t for s in fast] == [7, 1500, 2500] and fast[-1].last
    for s in fast:
        for key, value in s.values.items():
            np.testing.assert_allclose(value, traced[s.t - 1].values[key], rtol=0, atol=1e-12)


def test_overflow_in_a_hidden_step_is_found():
    # A linear RNN with W_ss = 10 grows tenfold a step from s_0 = 1: s_t = 10^t overflows at t = 309.
    cell = cells.rnn("linear")
    params = {"W_ss": np.array([[10.0]]), "W_sx": np.zeros((1, 1)), "b_s": np.zeros(1)}
    steps = list(run(cell, params, {"s": np.ones(1)}, np.zeros((400, 1)), Rounding(), needed=lambda t: False))
    assert [s.t for s in steps] == [309] and steps[0].nonfinite() == "s_pre"


def test_last_is_the_full_runs_last_step(rnncalc):
    args = ["gru", "--weights", "0.3", "--hidden", "3", "--input", "2", "-x", str([[float(np.sin(t)), float(np.cos(t))]
                                                                                  for t in range(3000)])]
    full = json.loads(rnncalc(*args, "-f", "json")[1])
    last = json.loads(rnncalc(*args, "-f", "json", "--last")[1])
    assert [s["t"] for s in last["steps"]] == [3000]
    for key, value in last["steps"][0].items():
        np.testing.assert_allclose(value, full["steps"][-1][key], rtol=0, atol=1e-12)
