"""Backpropagation through a stack, from the top: L and dL/do_t from the readout (backward.py's losses on the
readout cell), then each direction's share of dL/do_t (its first H entries to the forward direction, the next H
to the backward one) seeding backward.reverse, and the sum of the directions' dL/dx_t the cotangent of the layer
below.
"""

from __future__ import annotations

import numpy as np

from . import mathops, runner
from .backward import Gradients, loss_seeds, reverse, totals
from .stackreadout import final_states, readout_cell, readout_params


def backward_stack(stack, result):
    """L and dL/do_t from the readout (backward.py's losses on the readout cell), then from the top layer down:
    each direction's reverse pass seeded with its share of dL/do_t, the next layer's cotangent the sum of the
    directions' dL/dx_t, in time order. Fills result.loss, result.output_grads and each part's gradients."""
    o = result.output
    T = len(o)
    # L = Σ_k o_T[k] reads the top output at T, whatever the output layer reads: the output layer takes no part
    readout = stack.output if stack.loss.kind != "sum" else {}
    reads_final = stack.head == "final" and bool(readout)
    cell = readout_cell(readout["act"] if readout else None)
    params = readout_params(stack) if readout else {}
    steps = result.readout_steps if readout else [_OutputStep(t, o[t - 1]) for t in range(1, T + 1)]
    result.loss, seeds = loss_seeds(cell, steps, stack.loss)
    if not readout and stack.output:
        result.output_grads = {name: np.zeros_like(a) for name, a in readout_params(stack).items()}
    if readout:
        records, _, _ = reverse(cell, params, {"o": np.zeros(o.shape[1])}, steps, seeds)
        result.output_grads = totals(cell, params, records)
        g = np.array([r.values["dx"] for r in records])  # (T, width), or (1, width) of the final states
    else:
        g = np.zeros_like(o)
        for t, seed in enumerate(seeds):
            if "o" in seed:
                g[t] = seed["o"]
    top = stack.layers[-1].number
    for number in sorted({layer.number for layer in stack.layers}, reverse=True):
        below = None
        parts = [p for p in result.parts if p.layer.number == number]
        if number == top and reads_final:
            shares = _final_shares(stack, parts, g[0], T)
        else:
            shares = [g] if len(parts) == 1 else \
                mathops.merge_vjp(stack.merge, *(_visible_states(p) for p in parts), g)
        for part, share in zip(parts, shares):  # share: (T, H), in time order
            layer, p = part.layer, part.layer.problem
            computed = part.steps  # in the order the direction computed them
            order = range(T) if layer.direction == "forward" else range(T - 1, -1, -1)
            seeds = [{p.cell.visible: share[t]} for t in order]
            records, d_init, norms = reverse(p.cell, p.params, p.init, computed, seeds, jacobian=True)
            params = totals(p.cell, p.params, records)
            if layer.direction == "backward":
                records, norms = records[::-1], norms[::-1]
            part.gradients = Gradients(
                loss=result.loss, params=params,
                init={s.init_key: d_init[s.name] + np.zeros(np.shape(p.init[s.name])) for s in p.cell.states},
                steps=records, jacobian_norms=norms)
            dx = np.array([r.values["dx"] for r in records])  # (T, D), time order
            below = dx if below is None else below + dx
        g = below


def _final_shares(stack, parts, g, T):
    """Each top direction's dL/dv_t (T, H) when the output layer reads the final states: only at the step each
    direction ends, t = T forward and t = 1 backward, its share of g = dL/d(the joined final states)."""
    pieces = [g[None]] if len(parts) == 1 else mathops.merge_vjp(stack.merge, *final_states(parts), g[None])
    shares = []
    for part, piece in zip(parts, pieces):
        share = np.zeros((T, piece.shape[1]))
        share[T - 1 if part.layer.direction == "forward" else 0] = piece[0]
        shares.append(share)
    return shares


def _visible_states(part):
    """(T, H) a direction's visible states, in time order."""
    steps = part.steps if part.layer.direction == "forward" else part.steps[::-1]
    return np.array([step.values[part.layer.problem.cell.visible] for step in steps])


class _OutputStep:
    """The top output at one step, as backward.loss_seeds reads a step."""
    __slots__ = ("t", "values")

    def __init__(self, t, o):
        self.t, self.values = t, {"o": o}


def nonfinite_gradient(result):
    """(label, t, key) of the first non-finite gradient, from the top; else None."""
    if not np.isfinite(result.loss):
        return ("output", len(result.output), "the loss L")
    for name, value in result.output_grads.items():
        if not np.all(np.isfinite(value)):
            return ("output", 1, f"d{name}")
    for part in reversed(result.parts):
        g = part.gradients
        bad = runner.nonfinite_gradient(g, part.layer.problem.cell.visible)
        if bad is not None:
            return (part.layer.label, *bad)
    return None
