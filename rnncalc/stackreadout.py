"""A stack's readout: the top output o_t (the top layer's visible states, its directions joined) read out by a
cell of its own, o_t = x_t followed by the cell's output layer y_t = act(W_y o_t + b_y) (Cell.with_output),
run on the engine a block at a time, or once of the final states with head: final; and the top output's checks.
"""

from __future__ import annotations

import numpy as np

from . import engine, mathops
from .cells import Cell, Equation, State
from .expr import Input
from .runner import Check, matches


def readout_cell(act=None) -> Cell:
    """The top output o_t = x_t, followed by the output layer y_t = act(W_y o_t + b_y) when act is given."""
    cell = Cell("output", "top output", (State("o", "top output"),),
                (Equation("o", Input(), None, "top output", dim="D"),))
    return cell.with_output(act) if act else cell


def final_output(stack, result):
    """(1, width) what an output layer reading the final states reads: the top layer's final visible states,
    joined as its directions are (h_T forward and h_1 backward, which reads x_1 last)."""
    finals = final_states(result.parts[-len(stack.directions(stack.layers[-1].number)):])
    return mathops.merge(stack.merge, *finals) if len(finals) > 1 else finals[0]


def final_states(parts):
    """(1, H) each direction's final visible state: after x_T forward, after x_1 backward."""
    return [part.summary.final[part.layer.problem.cell.visible][None] for part in parts]


def run_readout(stack, result):
    """y_t = act(W_y o_t + b_y) on the engine, a block at a time (or once, of the final states, with head:
    final); a non-finite y is the run's broken step."""
    if not stack.output:
        return
    o = final_output(stack, result) if stack.head == "final" else result.output
    program = engine.Program(readout_cell(stack.output["act"]), readout_params(stack), engine.Rounding(),
                             input_size=o.shape[1])
    result.y = np.empty((len(o), stack.output["W_y"].shape[0]))  # (T, K)
    result.readout_steps = []
    zero = {"o": np.zeros(o.shape[1])}
    for t0 in range(0, len(o), engine.CHUNK):
        block = program.run(t0 + 1, zero, np.ascontiguousarray(o[t0:t0 + engine.CHUNK]))
        result.y[t0:t0 + len(block)] = block.values("y")
        if stack.loss is not None:
            result.readout_steps += [block.step(i, []) for i in range(len(block))]
        broken = block.nonfinite()
        if broken is not None:
            result.broken = ("output", t0 + broken[0] + 1, broken[1].removesuffix("_pre"))
            return


def readout_params(stack):
    return {"W_y": stack.output["W_y"], "b_y": stack.output["b_y"]}


def output_checks(stack, result):
    """The checks of the top output (output, or y with an output layer): one a step, or the final step's."""
    checks = []
    T = len(result.output)
    values = {"output": result.output, "y": result.y}
    for e in stack.expect:
        rows = [T] if e.final_only else range(1, len(e.values) + 1)
        for n, t in enumerate(rows):
            actual = values[e.name][t - 1 if e.name == "output" or stack.head == "steps" else 0]  # y of the final states
            checks.append(Check(e.name, t, e.values[n], actual, matches(actual, e.values[n], stack.digits, stack.atol)))
    return checks
