"""Runs a cell's equations over an input sequence, a block of steps at a time, recording every quantity.

One loop, generated from the cell's description, computes every step for every output: each
quantity of a block of steps is written into one preallocated (n, width) array, each quantity
its own columns, and a trace reads its steps out of that array. So every output shows the same
float64 bits, and a value that went non-finite is found in the array (the first step, and in it
the first quantity in computation order), whichever output asked.

The loop's arithmetic is the equations' own: sums in the order of the equation's text,
((W_h h_{t-1} + W_x x_t) + b), and mathops's activations and rounding. What makes it fast is
where the numbers go, not a different formula:
- every product W x_t of a block of CHUNK steps is one (CHUNK, D) @ (D, Σ rows) product, done before the
  loop, each row in its step's place (so that a row's numbers do not depend on the rows read with it);
- every product on a previous state is one stacked (Σ rows, H) @ (H,) product a step;
- element-wise work on neighbouring columns (the gates' pre-activations, their σ) is one call.
Arrays are cut into blocks of CHUNK rows from step 1 on, and a stream into blocks of one row.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from . import loopcode, mathops
from .cells import Cell
from .expr import Record

CHUNK = 256  # rows of an array input computed as one block


class Rounding(Record):
    """How σ and tanh are rounded ("none", "nearest" or "sign"), and whether the visible state is."""
    _fields = ("sigmoid", "tanh", "state")
    _defaults = {"sigmoid": "none", "tanh": "none", "state": False}

    def rule(self, act):
        """(rule, tie test) of mathops.ROUNDERS for the activation act, or None."""
        mode = getattr(self, act, "none") if act in ("sigmoid", "tanh") else "none"
        return None if mode == "none" else mathops.ROUNDERS[(act, mode)]

    @property
    def active(self):
        return self.sigmoid != "none" or self.tanh != "none" or self.state

    def rounds(self, eq, cell) -> bool:
        """Whether the equation's value is rounded, so that its value before rounding is kept as name_exact."""
        return eq.act is not None and self.rule(eq.act) is not None or self.state and eq.name == cell.visible


class Env:
    """What an equation can see: the parameters, the previous states, x_t, this step's quantities,
    and the products W v the loop computed (by MatVec node), so that nothing is computed twice.
    (This and the other records on the command line's path are plain classes: a dataclass costs
    every call its start-up.)"""
    __slots__ = ("params", "prev", "x", "q", "products")

    def __init__(self, params: dict, prev: dict, x: np.ndarray, q=None, products=None):
        self.params, self.prev, self.x = params, prev, x
        self.q = {} if q is None else q
        self.products = {} if products is None else products


class Step:
    """One time step. values holds, by JSON key: each quantity (the value passed on), its
    pre-activation as name_pre, its value before rounding as name_exact when rounded, and what its
    equation gave as name_unpinned when it is pinned; last says whether it is the sequence's final step;
    pinned names the quantities held at their pinned value at this step."""
    __slots__ = ("t", "x", "values", "ties", "env", "last", "pinned")

    def __init__(self, t: int, x: np.ndarray, values: dict, ties: list, env: Env, last: bool = False,
                 pinned: tuple = ()):
        self.t, self.x, self.values, self.ties, self.env, self.last = t, x, values, ties, env, last
        self.pinned = pinned

    def nonfinite(self):
        """The first quantity that is not finite, or None."""
        return next((k for k, v in self.values.items() if not np.all(np.isfinite(v))), None)


# ---------------------------------------------------------------- the compiled loop

def pin(computed, held, out):
    """out = held at a step where the quantity is pinned (held an array), else what its equation computed."""
    np.copyto(out, computed if held is None else held)


class Program:
    """The cell's equations compiled, for these parameters and rounding, into a Python loop over a block.

    layout: the columns of each key (JSON key order, computation order) in a block's row.
    run(t0, states, X) -> Block computes the steps t0, t0 + 1, ... of the rows of X (n, D) from the states
    before them. The loop's code depends only on the cell, the rounding and the parameters' shapes, so it
    is compiled once for them (loopcode.Plan) and given each problem's parameters here.
    """

    def __init__(self, cell: Cell, params: dict, rounding: Rounding, input_size=None):
        plan = loopcode.plan(cell, rounding, tuple((n, np.shape(params[n])) for n in cell.param_names), input_size)
        self.cell, self.params, self.rounding = cell, params, rounding
        self._pinned = {}  # Pin -> its value as an array, made once
        self.layout, self.ncols, self.ties = plan.layout, plan.ncols, plan.ties
        self.x_products, self.h_products = plan.x_products, plan.h_products  # MatVec node -> columns
        self.Wx = _stack(params, plan.x_products)  # (Σ rows, D)
        self.Wh = {s: _stack(params, nodes) for s, nodes in plan.h_products.items()}  # (Σ rows, H)
        P = np.concatenate([np.ravel(params[n]) for n in plan.pvec]) if plan.pvec else np.zeros(0)
        namespace = {"np": np, "matmul": np.matmul, "add": np.add, "subtract": np.subtract, "pin": pin,
                     "multiply": np.multiply, "tanh": np.tanh,  # mathops.tanh is numpy's
                     **{name: getattr(mathops, name) for name in (
                         "sigmoid_into", "relu", "linear", "softmax",
                         "round_nearest", "round_sign_sigmoid", "round_sign_tanh")},
                     **{f"Wh_{s}": W for s, W in self.Wh.items()},
                     **{name: np.zeros(size) for name, size in plan.temps.items()},
                     **{f"W_{name}": params[name] for name in cell.param_names},
                     **{name: P[start:stop] for name, (start, stop) in plan.param_slices.items()}}
        exec(plan.code, namespace)
        self._loop = namespace["loop"]

    def pinned_value(self, name, count):
        """The value the quantity is pinned at in the count-th step computed (an array), or None."""
        held = next((p for p in self.cell.pins if p.name == name and p.holds(count)), None)
        return None if held is None else self._pinned.setdefault(held, np.array(held.value))

    def run(self, t0: int, states: dict, X: np.ndarray) -> "Block":
        """Every quantity of the steps t0, t0+1, ... whose inputs are the rows of X (n, D)."""
        n = len(X)
        data = np.empty((n, self.ncols))  # (n, every quantity's columns)
        PH = {s: np.empty((n, W.shape[0])) for s, W in self.Wh.items()}  # (n, Σ rows)
        init = {s.name: states[s.name] for s in self.cell.states}
        rows = [[self.pinned_value(name, t0 + i) for i in range(n)] for name in self.cell.pinned]
        held = {name: np.array([v is not None for v in r], dtype=bool)  # (n,): whether each row holds it
                for name, r in zip(self.cell.pinned, rows)}
        with np.errstate(all="ignore"):
            PX = x_products(self.Wx, X, t0)
            self._loop(data, PX, X, *PH.values(), *init.values(), *rows)
        block = Block(self, t0, X, data, PX, PH, init)
        block.held = held
        return block


def _stack(params, nodes):
    return np.vstack([params[m.weight.name] for m in nodes]) if nodes else None


def x_products(Wx, X, t0=1):
    """Every row's products on x_t, Wx x_t for each row x_t of X (n, D) read at the steps t0, t0 + 1, ...:
    (n, Σ rows). Each block of CHUNK steps from step 1 on is one (CHUNK, D) @ (D, Σ rows) product, each row at
    its step's place in it, whatever rows came with it (zeros where none did). numpy's BLAS (OpenBLAS) computes
    a row of a product by its place among the rows (its kernels take rows in groups), not from the other rows'
    numbers, so a row read alone from a stream gets the same bits as in a file; tests/test_paths.py holds it."""
    n = len(X)
    if Wx is None:
        return np.zeros((n, 0))
    products, done = np.empty((n, Wx.shape[0])), 0
    while done < n:
        place = (t0 - 1 + done) % CHUNK
        take = min(n - done, CHUNK - place)
        block = np.zeros((CHUNK, X.shape[1]))
        block[place:place + take] = X[done:done + take]
        products[done:done + take] = (block @ Wx.T)[place:place + take]
        done += take
    return products


# ---------------------------------------------------------------- blocks and their steps

class Block:
    """Steps t0 .. t0 + n - 1, as the loop recorded them: x (n, D) their inputs; data (n, columns) every
    quantity, program.layout says whose columns; px (n, Σ rows) the products on x_t; ph, by state, (n, Σ rows)
    the products on its previous value; init the states before the first row; last whether the sequence
    ends with this block."""
    __slots__ = ("program", "t0", "x", "data", "px", "ph", "init", "last", "end", "held")

    def __init__(self, program: Program, t0: int, x, data, px, ph: dict, init: dict, last: bool = False):
        self.program, self.t0, self.x, self.data, self.px, self.ph, self.init = program, t0, x, data, px, ph, init
        self.last = last
        self.end = None  # T + 1 when the steps run backward in time: row i read x_t, t = T + 1 − (t0 + i)
        self.held = {}  # by pinned quantity, (n,) whether each row holds it at its pinned value

    def __len__(self):
        return len(self.data)

    @property
    def times(self):
        """(n,) the t of each row: the input x_t it read (t0, t0 + 1, ...; backward T + 1 − t0, T − t0, ...)."""
        count = self.t0 + np.arange(len(self))
        return count if self.end is None else self.end - count

    def values(self, key):
        """(n, size) of one key."""
        return self.data[:, self.program.layout[key]]

    def states(self, i):
        """The states after row i (copies)."""
        return {s.name: self.data[i, self.program.layout[s.name]].copy() for s in self.program.cell.states}

    def nonfinite(self):
        """(row, key) of the first non-finite number: the first step, then the first quantity in
        computation order; or None."""
        with np.errstate(all="ignore"):
            if np.isfinite(np.sum(self.data)):  # every number finite, as nearly always: one pass, no copy
                return None
            bad = ~np.isfinite(self.data)
        if not bad.any():
            return None
        i = int(np.argmax(bad.any(axis=1)))
        return i, next(k for k, sl in self.program.layout.items() if bad[i, sl].any())

    def ties(self):
        """The names that met a tie in each row: a list per row (empty lists without rounding)."""
        rows = [[] for _ in range(len(self))]
        with np.errstate(all="ignore"):  # a non-finite row meets no tie
            for i, name in self._tie_names():
                rows[i].append(name)
        return rows

    def _tie_names(self):
        """(row, name) of each tie, by equation."""
        for eq, rule, rounds_state in self.program.ties:
            z = self.values(f"{eq.name}_pre") if eq.records_pre else (
                self.values(eq.expr.name) if eq.act is not None else None)
            exact = self.values(f"{eq.name}_exact")
            masks = []
            if rule is not None:
                masks.append(rule[1](z, exact).any(axis=1))
                ruled = rule[0](z, exact)
            else:
                ruled = exact
            if rounds_state:
                masks.append(mathops.tie_nearest(ruled, ruled).any(axis=1))
            for mask in masks:
                for i in np.flatnonzero(mask):
                    yield i, eq.name

    def pinned(self, i):
        """The quantities held at their pinned value in row i."""
        return tuple(name for name, rows in self.held.items() if rows[i])

    def step(self, i, ties=None) -> Step:
        """Step t0 + i, its Env rebuilt from the recorded numbers."""
        p = self.program
        values = {k: self.data[i, sl] for k, sl in p.layout.items()}
        prev = self.init if i == 0 else {s.name: self.data[i - 1, p.layout[s.name]] for s in p.cell.states}
        x = self.x[i]
        products = {node: self.px[i, a:b] for node, (_, a, b) in p.x_products.items()}
        for s, nodes in p.h_products.items():
            products.update({node: self.ph[s][i, a:b] for node, (_, a, b) in nodes.items()})
        env = Env(p.params, prev, x, {eq.name: values[eq.name] for eq in p.cell.equations}, products)
        ties = self.ties()[i] if ties is None else ties
        return Step(int(self.times[i]), x, values, ties, env, last=self.last and i == len(self) - 1,
                    pinned=self.pinned(i))


def blocks(cell: Cell, params: dict, init: dict, xs, rounding: Rounding, live=False,
           backward=False) -> Iterator[Block]:
    """The Blocks of the run over xs, from the states in init ({"h": h0, ...}).

    xs is a (T, D) array or an iterable of (D,) rows, cut into blocks of CHUNK rows from step 1 on,
    so the same numbers give the same blocks however they came; live (a stream answered as it is
    read), a block a row, each yielded as soon as it is computed and none marked last (the caller
    knows the final one once xs ends), of the rows that have arrived together. Otherwise each block is
    yielded once the next is read.
    backward (xs a (T, D) array): the cell reads x_T first and x_1 last, each row's t the input it read.
    """
    program = Program(cell, params, rounding)
    states = {s.name: np.asarray(init[s.name], dtype=float) for s in cell.states}
    t = 1
    if backward:
        xs = xs[::-1]
    pieces = ((X, False) for X in _arrived(xs)) if live else with_last(_pieces(xs, CHUNK))
    for X, last in pieces:
        block = program.run(t, states, X)
        block.last = last
        if backward:
            block.end = len(xs) + 1
        yield block
        states, t = block.states(len(block) - 1), t + len(block)


def _pieces(xs, rows):
    """xs as (n, D) blocks of `rows` rows (the last may be shorter)."""
    if isinstance(xs, np.ndarray) and xs.ndim == 2:
        for start in range(0, len(xs), rows):
            yield np.ascontiguousarray(xs[start:start + rows], dtype=float)
        return
    pending = []
    for row in xs:
        pending.append(row)
        if len(pending) == rows:
            yield np.array(pending, dtype=float).reshape(rows, -1)  # (rows, D)
            pending = []
    if pending:
        yield np.array(pending, dtype=float).reshape(len(pending), -1)


def _arrived(xs):
    """A stream's rows as (n, D) blocks of the rows that have arrived, at most CHUNK: a row and every row
    xs.ready() says is there without waiting. A row that cannot be read ends its block, which is computed
    before the error is raised, so every step before it is answered."""
    rows, ready = iter(xs), getattr(xs, "ready", lambda: False)
    for row in rows:
        pending, error = [row], None
        while len(pending) < CHUNK and ready():
            try:
                pending.append(next(rows))
            except StopIteration:
                break
            except Exception as e:  # noqa: BLE001 (raised again once the rows before it are answered)
                error = e
                break
        yield np.array(pending, dtype=float).reshape(len(pending), -1)  # (n, D)
        if error is not None:
            raise error


def run(cell: Cell, params: dict, init: dict, xs, rounding: Rounding) -> Iterator[Step]:
    """A Step for each row of xs (T, D), starting from the states in init; the first non-finite
    step is the last one yielded."""
    for block in blocks(cell, params, init, xs, rounding):
        broken = block.nonfinite()
        ties = block.ties()
        for i in range(len(block) if broken is None else broken[0] + 1):
            yield block.step(i, ties[i])
        if broken is not None:
            return


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
