"""Runs a cell's equations over an input sequence and records every quantity of every step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from . import mathops
from .cells import Cell

ROUND_MODES = ("none", "nearest", "sign")


@dataclass(frozen=True)
class Rounding:
    """How σ and tanh are rounded ("none", "nearest" or "sign"), and whether the visible state is."""
    sigmoid: str = "none"
    tanh: str = "none"
    state: bool = False

    def rule(self, act):
        mode = getattr(self, act, "none") if act in ("sigmoid", "tanh") else "none"
        return None if mode == "none" else mathops.ROUNDERS[(act, mode)]

    @property
    def active(self):
        return self.sigmoid != "none" or self.tanh != "none" or self.state


@dataclass
class Env:
    """What an equation can see: the parameters, the previous states, x_t, this step's quantities."""
    params: dict
    prev: dict
    x: np.ndarray
    q: dict = field(default_factory=dict)


@dataclass
class Step:
    """One time step. values holds, by JSON key: each quantity (the value passed on), its
    pre-activation as name_pre, and its value before rounding as name_exact when rounded."""
    t: int
    x: np.ndarray
    values: dict
    ties: list
    env: Env

    def nonfinite(self):
        """The first quantity that is not finite, or None."""
        return next((k for k, v in self.values.items() if not np.all(np.isfinite(v))), None)


def run(cell: Cell, params: dict, init: dict, xs: np.ndarray, rounding: Rounding) -> Iterator[Step]:
    """Yield one Step per row of xs (T, D), starting from the states in init ({"h": h0, ...})."""
    prev = {s.name: np.asarray(init[s.name], dtype=float) for s in cell.states}
    for t, x in enumerate(xs, start=1):
        env = Env(params, dict(prev), x)
        values, ties = {}, []
        with np.errstate(all="ignore"):
            for eq in cell.equations:
                value = eq.expr.eval(env)
                if eq.act is not None:
                    z = value
                    value = mathops.ACTIVATIONS[eq.act](z)
                    if eq.records_pre:
                        values[f"{eq.name}_pre"] = z
                    rule = rounding.rule(eq.act)
                    if rule is not None:
                        values[f"{eq.name}_exact"] = value
                        value, tie = rule(z, value)
                        if np.any(tie):
                            ties.append(eq.name)
                if rounding.state and eq.name == cell.visible:
                    values.setdefault(f"{eq.name}_exact", value)
                    value, tie = mathops.round_state(value)
                    if np.any(tie):
                        ties.append(eq.name)
                env.q[eq.name] = values[eq.name] = value
        yield Step(t, x, values, ties, env)
        prev = {s.name: env.q[s.name] for s in cell.states}
