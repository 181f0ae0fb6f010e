"""Runs a cell's equations over an input sequence and records every quantity of every step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from . import mathops
from .cells import Cell


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
    last: bool = False  # whether this is the sequence's final step

    def nonfinite(self):
        """The first quantity that is not finite, or None."""
        if np.isfinite(np.concatenate([np.ravel(v) for v in self.values.values()])).all():
            return None  # the usual case, in one pass
        return next(k for k, v in self.values.items() if not np.all(np.isfinite(v)))


CHUNK = 1024  # rows run by the fast loop at a time


def step(cell: Cell, params: dict, prev: dict, x: np.ndarray, t: int, rounding: Rounding) -> Step:
    """Every quantity of step t, from the states prev ({"h": h_{t-1}, ...}) and the input x_t."""
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
    return Step(t, x, values, ties, env)


def run(cell: Cell, params: dict, init: dict, xs, rounding: Rounding, needed=None) -> Iterator[Step]:
    """Yield a Step for each row of xs (T, D), starting from the states in init ({"h": h0, ...}).

    With needed(t) given, only the steps it wants are recorded (and the last, always): the others
    run in the compiled loop of fastpath, which keeps nothing but the states. A chunk of those
    whose numbers overflowed is replayed step by step, so the first non-finite step is yielded.
    """
    prev = {s.name: np.asarray(init[s.name], dtype=float) for s in cell.states}
    fast = needed is not None and not rounding.active
    loop = None  # compiled when first wanted
    done, pending = 0, []  # prev holds the states after step `done`; pending rows come next

    def advance():
        """Run the pending rows fast; a Step if one of them went non-finite, else None."""
        nonlocal prev, done, loop
        if loop is None:
            from .fastpath import Loop
            loop = Loop(cell, params)
        finite, after = loop.advance(prev, np.array(pending))
        if not finite:  # replay step by step to find where
            for row in pending:
                s = step(cell, params, prev, row, done + 1, rounding)
                if s.nonfinite() is not None:
                    return s
                prev, done = {st.name: s.values[st.name] for st in cell.states}, done + 1
        prev, done = after, done + len(pending)
        pending.clear()
        return None

    for t, (x, last) in enumerate(with_last(xs), start=1):
        if fast and not last and not needed(t):
            pending.append(x)
            if len(pending) == CHUNK and (broken := advance()) is not None:
                yield broken
                return
            continue
        if pending and (broken := advance()) is not None:
            yield broken
            return
        s = step(cell, params, prev, x, t, rounding)
        s.last = last
        yield s
        prev, done = {st.name: s.values[st.name] for st in cell.states}, t


def with_last(iterable):
    """(item, is_last) pairs, looking one item ahead."""
    it = iter(iterable)
    try:
        current = next(it)
    except StopIteration:
        return
    for following in it:
        yield current, False
        current = following
    yield current, True


def run_live(cell: Cell, params: dict, init: dict, xs, rounding: Rounding) -> Iterator[Step]:
    """Yield a Step for each x_t as soon as it is read from xs, which may be a stream whose end is not
    yet known: no step looks ahead, so none is marked last (the caller knows the final one once xs ends)."""
    prev = {s.name: np.asarray(init[s.name], dtype=float) for s in cell.states}
    for t, x in enumerate(xs, start=1):
        s = step(cell, params, prev, x, t, rounding)
        yield s
        prev = {st.name: s.values[st.name] for st in cell.states}

