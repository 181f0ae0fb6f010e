"""The compiled loop's plan: what the loop is for a cell, a rounding and parameter shapes, and no parameter's value.

Each quantity of a step gets its columns in a block's row (pre-activations, then exact values, then values,
each in equation order, so that neighbouring gates sit side by side); each equation becomes operations on
column ranges, element-wise ones on neighbouring columns merged into one call; and the operations become
the Python source of one loop over the block's rows, compiled once. engine.Program gives it a problem's
parameters and runs it.
"""

from __future__ import annotations

import math

from .cells import Cell
from .expr import Hadamard, Input, MatVec, OneMinus, Param, Prev, Ref, Sum


class _Op:
    """out = fn(*args): each operand a (space, start, stop) range, a float, or a name of a whole array."""
    __slots__ = ("fn", "out", "args")

    def __init__(self, fn: str, out, args: tuple):
        self.fn, self.out, self.args = fn, out, args


ELEMENTWISE = {"add", "subtract", "multiply", "sigmoid_into", "tanh", "relu", "linear",
               "round_nearest", "round_sign_sigmoid", "round_sign_tanh"}
ROW, PARAM = "row", "p"  # the block's row of quantities; the parameter vectors laid end to end


def _overlap(a, b):
    return (isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]
            and a[1] < b[2] and b[1] < a[2])


_PLANS = {}  # (equations, states, rounding, parameter shapes) -> Plan


def plan(cell, rounding, shapes, input_size=None):
    """The Plan for the cell, the rounding (an engine.Rounding) and the parameters' shapes, made once for them."""
    key = (cell.equations, cell.states, rounding, shapes, input_size, cell.pinned)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        plan = _PLANS[key] = Plan(cell, rounding, dict(shapes), input_size)
    return plan


class Plan:
    """What the loop is for a cell, a rounding and parameter shapes: the columns of each quantity, the
    operations on column ranges, and the loop's compiled code; no parameter's value."""

    def __init__(self, cell: Cell, rounding, shapes: dict, input_size=None):
        self.cell, self.rounding, self.shapes, self.input_size = cell, rounding, shapes, input_size
        self.pinned = cell.pinned
        self.width = {eq.name: self._size(eq) for eq in cell.equations}
        self.layout = self._layout()
        self.ncols = max(sl.stop for sl in self.layout.values())
        self.x_products, self.h_products = {}, {}  # MatVec node -> columns of PX, of PH_s
        self.pvec, self.ops, self.temps = {}, [], {}
        self.ties = []  # (equation, its (rule, tie test) or None, state rounded?) for each that rounds
        for eq in cell.equations:
            self._equation(eq)
        self._fuse()
        self.param_slices = {self._name(a): a[1:] for op in self.ops for a in (op.out, *op.args)
                             if isinstance(a, tuple) and a[0] == PARAM}
        self.code = compile(self._source(), f"<rnncalc {cell.name} loop>", "exec")

    # -- layout: pre-activations, then exact values, then values, each in equation order, so that
    # -- the same step of neighbouring gates (f, i, o) sits side by side.
    def _size(self, eq):
        """The length of eq's quantity: its first product's rows, the input's size D for a copy of x_t,
        else the size its dim (H, P) has in the parameters' shapes."""
        weights = [n.weight.name for n in eq.expr.walk() if isinstance(n, MatVec)]
        if weights:
            return self.shapes[weights[0]][0]
        if self.cell.dims(eq.expr) == "D":
            return self.input_size
        return next(self.shapes[p.name][k] for p in self.cell.params for k, dim in enumerate(p.shape) if dim == eq.dim)

    def _rounds_state(self, eq):
        return self.rounding.state and eq.name == self.cell.visible

    def _layout(self):
        cols, start = {}, 0
        kinds = [("_pre", lambda eq: eq.records_pre),
                 ("_exact", lambda eq: self.rounding.rounds(eq, self.cell)),
                 ("_unpinned", lambda eq: eq.name in self.pinned),
                 ("", lambda eq: True)]
        for suffix, has in kinds:
            for eq in self.cell.equations:
                if has(eq):
                    cols[eq.name + suffix] = slice(start, start + self.width[eq.name])
                    start += self.width[eq.name]
        order = []
        for eq in self.cell.equations:
            order += [k for k in (f"{eq.name}_pre", f"{eq.name}_exact", f"{eq.name}_unpinned", eq.name) if k in cols]
        return {k: cols[k] for k in order}

    def _col(self, key):
        sl = self.layout[key]
        return (ROW, sl.start, sl.stop)

    def _param(self, name):
        if name not in self.pvec:
            start = sum(math.prod(self.shapes[n]) for n in self.pvec)
            self.pvec[name] = (PARAM, start, start + math.prod(self.shapes[name]))
        return self.pvec[name]

    def _temp(self, size):
        name = f"tmp{len(self.temps)}"
        self.temps[name] = size
        return name

    # -- each equation as operations on column ranges
    def _leaf(self, e):
        """The operand that already holds e's value this step, or None."""
        if isinstance(e, Param):
            return self._param(e.name)
        if isinstance(e, Prev):
            return f"prev_{e.state}"
        if isinstance(e, Input):
            return "x"
        if isinstance(e, Ref):
            return self._col(e.name)
        if isinstance(e, MatVec) and isinstance(e.operand, (Input, Prev)):
            products = self.x_products if isinstance(e.operand, Input) else \
                self.h_products.setdefault(e.operand.state, {})
            space = "px" if isinstance(e.operand, Input) else f"ph_{e.operand.state}"
            if e not in products:
                start = sum(self.shapes[m.weight.name][0] for m in products)
                products[e] = (space, start, start + self.shapes[e.weight.name][0])
            return products[e]
        return None

    def _operand(self, e, size):
        leaf = self._leaf(e)
        if leaf is not None:
            return leaf
        temp = self._temp(size)
        self._emit(e, temp, size)
        return temp

    def _emit(self, e, dest, size):
        """Operations that leave e's value in dest."""
        if isinstance(e, Sum):
            first = self._leaf(e.terms[0])
            if first is None:
                self._emit(e.terms[0], dest, size)
                first = dest
            for term in e.terms[1:]:
                self.ops.append(_Op("add", dest, (first, self._operand(term, size))))
                first = dest
            if len(e.terms) == 1:
                self.ops.append(_Op("add", dest, (first, 0.0)))
        elif isinstance(e, Hadamard):
            self.ops.append(_Op("multiply", dest, (self._operand(e.a, size), self._operand(e.b, size))))
        elif isinstance(e, OneMinus):
            self.ops.append(_Op("subtract", dest, (1.0, self._operand(e.a, size))))
        elif isinstance(e, MatVec):
            inner = self.shapes[e.weight.name][1]
            self.ops.append(_Op("matmul", dest, (f"W_{e.weight.name}", self._operand(e.operand, inner))))
        else:
            self.ops.append(_Op("add", dest, (self._leaf(e), 0.0)))

    def _equation(self, eq):
        size = self.width[eq.name]
        rounds_state = self._rounds_state(eq)
        held = eq.name in self.pinned  # the equation's value goes to name_unpinned, the pinned one to name
        value = self._col(f"{eq.name}_unpinned" if held else eq.name)
        if eq.act is None:
            z, rule = None, None
            result = self._col(f"{eq.name}_exact") if rounds_state else value
            self._emit(eq.expr, result, size)
        else:
            if eq.records_pre:
                z = self._col(f"{eq.name}_pre")
                self._emit(eq.expr, z, size)
            else:
                z = self._leaf(eq.expr)
            rule = self.rounding.rule(eq.act)
            exact = self._col(f"{eq.name}_exact") if rule or rounds_state else value
            self.ops.append(_Op("sigmoid_into" if eq.act == "sigmoid" else eq.act, exact, (z,)))
            result = exact
            if rule is not None:
                ruled = self._temp(size) if rounds_state else value
                self.ops.append(_Op(rule[0].__name__, ruled, (z, exact)))
                result = ruled
        if rounds_state:
            self.ops.append(_Op("round_nearest", value, (result, result)))
        if rule is not None or rounds_state:
            self.ties.append((eq, rule, rounds_state))
        if held:
            self.ops.append(_Op("pin", self._col(eq.name), (value, f"pin_{eq.name}")))

    # -- element-wise operations on neighbouring columns merged into one call
    def _fuse(self):
        """Merge an operation into an earlier one of the same kind whose every operand it continues
        (f's σ and then i's σ become one σ over both), when nothing in between reads or writes
        what it touches. Element-wise, the merged call computes each number exactly as before."""
        ops = []
        for op in self.ops:
            for j in range(len(ops) - 1, -1, -1):
                other = ops[j]
                if op.fn == other.fn and op.fn in ELEMENTWISE and self._continues(other, op) \
                        and not self._conflict(other, op, include_out=False):
                    ops[j] = _Op(op.fn, self._join(other.out, op.out),
                                 tuple(self._join(a, b) for a, b in zip(other.args, op.args)))
                    break
                if self._conflict(other, op):
                    ops.append(op)
                    break
            else:
                ops.append(op)
        self.ops = ops

    @staticmethod
    def _joinable(a, b):
        if isinstance(a, tuple) and isinstance(b, tuple):
            return a[0] == b[0] and a[2] == b[1] and (a[0] in (ROW, PARAM, "px") or a[0].startswith("ph_"))
        return isinstance(a, float) and isinstance(b, float) and a == b

    def _continues(self, first, second):
        return len(first.args) == len(second.args) and self._joinable(first.out, second.out) \
            and all(self._joinable(a, b) for a, b in zip(first.args, second.args))

    @staticmethod
    def _join(a, b):
        return (a[0], a[1], b[2]) if isinstance(a, tuple) else a

    @staticmethod
    def _conflict(earlier, later, include_out=True):
        """Whether later cannot move before earlier: one writes what the other reads or writes."""
        def hits(a, b):
            return a == b if isinstance(a, str) and isinstance(b, str) else _overlap(a, b)
        if any(hits(earlier.out, a) for a in later.args) or any(hits(later.out, a) for a in earlier.args):
            return True
        return include_out and hits(earlier.out, later.out)

    # -- the Python source of the loop
    def _name(self, a):
        if isinstance(a, float):
            return repr(a)
        if isinstance(a, str):
            return a
        space, start, stop = a
        return f"{space}_{start}_{stop}"

    def _source(self):
        """The loop: zip walks the block's column ranges a row at a time, each step's operands arriving as
        views of that row, so a step makes no slice of its own."""
        states = [s.name for s in self.cell.states]
        arrays = {ROW: "data", "px": "PX", **{f"ph_{s}": f"PH_{s}" for s in self.h_products}}
        whole = {"px": sum(b - a for _, a, b in self.x_products.values()),
                 **{f"ph_{s}": sum(b - a for _, a, b in nodes.values()) for s, nodes in self.h_products.items()}}
        products = {s: (f"ph_{s}", 0, whole[f"ph_{s}"]) for s in self.h_products}
        ranges = {self._name(a): a for a in products.values()}
        for op in self.ops:
            for a in (op.out, *op.args):
                if isinstance(a, tuple) and a[0] != PARAM:
                    ranges.setdefault(self._name(a), a)
        for s in states:
            sl = self.layout[s]
            ranges.setdefault(self._name((ROW, sl.start, sl.stop)), (ROW, sl.start, sl.stop))
        views = [f"{arrays[a[0]]}[:, {a[1]}:{a[2]}]" if a[0] not in whole or (a[1], a[2]) != (0, whole[a[0]])
                 else arrays[a[0]] for a in ranges.values()]
        names = list(ranges)
        if any("x" in op.args for op in self.ops):
            views.append("X")
            names.append("x")
        views += [f"PIN_{name}" for name in self.pinned]
        names += [f"pin_{name}" for name in self.pinned]
        lines = [f"def loop(data, PX, X, {''.join(f'PH_{s}, ' for s in self.h_products)}"
                 f"{', '.join(f'prev_{s}' for s in states)}{''.join(f', PIN_{n}' for n in self.pinned)}):",
                 f"    for {', '.join(names)}, in zip({', '.join(views)}):"]
        for s in self.h_products:
            lines.append(f"        matmul(Wh_{s}, prev_{s}, out={self._name(products[s])})")
        for op in self.ops:
            args = ", ".join(self._name(a) for a in op.args)
            lines.append(f"        {op.fn}({args}, out={self._name(op.out)})")
        for s in states:
            sl = self.layout[s]
            lines.append(f"        prev_{s} = {self._name((ROW, sl.start, sl.stop))}")
        lines.append(f"    return {', '.join(f'prev_{s}' for s in states)},")
        return "\n".join(lines) + "\n"

