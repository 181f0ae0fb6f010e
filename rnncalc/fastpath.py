"""The steps nobody will see, run fast: a cell's equations compiled into one numpy loop.

From the same description the trace uses, this writes a Python function in the shape of a
hand-optimised loop: every matmul on x_t for the whole chunk at once (biases folded in), every
matmul on the previous state stacked into one (G·H, H) product a step, the rest element-wise.
It records nothing: it returns the states after the chunk, and whether every product and state
stayed finite, so that a chunk that overflowed can be replayed step by step to show where.
"""

from __future__ import annotations

import numpy as np

from . import mathops
from .cells import Cell
from .expr import Hadamard, Input, MatVec, OneMinus, Param, Prev, Ref, Sum


def _sigmoid(z):
    """σ(z) = ½(1 + tanh(z/2)): the same function as mathops.sigmoid to within 2e-16, in fewer passes."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


FAST = {**mathops.ACTIVATIONS, "sigmoid": _sigmoid, "tanh": np.tanh}


def _needed(cell):
    """The equations the next states depend on, in order: an output layer, say, is left out."""
    needed = {s.name for s in cell.states}
    for eq in reversed(cell.equations):
        if eq.name in needed:
            needed |= {n.name for n in eq.expr.walk() if isinstance(n, Ref)}
    return [eq for eq in cell.equations if eq.name in needed]


class Loop:
    """advance(states, xs) runs the cell over the rows of xs (n, D) and returns the new states."""

    def __init__(self, cell: Cell, params: dict):
        self.cell = cell
        self.equations = _needed(cell)
        self.rows = {p.name: params[p.name].shape[0] for p in cell.params}
        self.x_terms, self.h_terms, self.folded = [], {}, {}  # MatVec nodes by where their product comes from
        self.folded_ids = set()
        self.namespace = {"np": np, **{f"act_{k}": f for k, f in FAST.items()}}
        for eq in self.equations:
            self._collect(eq.expr)
        self.namespace.update({f"p_{p.name}": params[p.name] for p in cell.params})
        if self.x_terms:
            self.Wx = np.vstack([params[m.weight.name] for m in self.x_terms])  # (Σ rows, D)
            self.bx = np.concatenate([self._folded_bias(m, params) for m in self.x_terms])
        for state, terms in self.h_terms.items():
            self.namespace[f"Wh_{state}"] = np.vstack([params[m.weight.name] for m in terms])  # (Σ rows, H)
        self.source = self._source()
        exec(compile(self.source, f"<rnncalc {cell.name} loop>", "exec"), self.namespace)
        self._loop = self.namespace["loop"]

    def _collect(self, expr):
        """Sort the products: on x_t (precomputed), on a previous state (stacked), or other."""
        if isinstance(expr, Sum):
            x_mats = [t for t in expr.terms if isinstance(t, MatVec) and isinstance(t.operand, Input)]
            biases = [t for t in expr.terms if isinstance(t, Param)]
            if x_mats and biases:
                self.folded[id(x_mats[0])] = biases  # added into x_t's projection once per chunk
                self.folded_ids.update(id(b) for b in biases)
        if isinstance(expr, MatVec) and isinstance(expr.operand, Input):
            self.x_terms.append(expr)
        elif isinstance(expr, MatVec) and isinstance(expr.operand, Prev):
            self.h_terms.setdefault(expr.operand.state, []).append(expr)
        for child in expr.children():
            self._collect(child)

    def _folded_bias(self, m, params):
        rows = params[m.weight.name].shape[0]
        return sum((params[b.name] for b in self.folded.get(id(m), ())), np.zeros(rows))

    def _slice(self, terms, node):
        """Where node's rows sit in the stacked product of terms."""
        start = 0
        for m in terms:
            rows = self.rows[m.weight.name]
            if m is node:
                return f"{start}:{start + rows}"
            start += rows
        raise KeyError(node)

    def _code(self, expr):
        """Python source for the value of expr inside the loop."""
        if isinstance(expr, Param):
            return f"p_{expr.name}"
        if isinstance(expr, Prev):
            return f"s_{expr.state}"
        if isinstance(expr, Input):
            return "x"
        if isinstance(expr, Ref):
            return f"q_{expr.name}"
        if isinstance(expr, MatVec):
            if isinstance(expr.operand, Input):
                return f"px[{self._slice(self.x_terms, expr)}]"
            if isinstance(expr.operand, Prev):
                state = expr.operand.state
                return f"ph_{state}[{self._slice(self.h_terms[state], expr)}]"
            return f"checked(p_{expr.weight.name} @ {self._code(expr.operand)})"
        if isinstance(expr, Sum):
            return "(" + " + ".join(self._code(t) for t in expr.terms if id(t) not in self.folded_ids) + ")"
        if isinstance(expr, Hadamard):
            return f"({self._code(expr.a)} * {self._code(expr.b)})"
        if isinstance(expr, OneMinus):
            return f"(1.0 - {self._code(expr.a)})"
        raise TypeError(expr)

    def _source(self):
        states = [s.name for s in self.cell.states]
        lines = [f"def loop(PX, X, {', '.join(f's_{s}' for s in states)}):",
                 "    check = 0.0",
                 "    sums = []",
                 "    def checked(product):",
                 "        sums.append(product.sum())",
                 "        return product",
                 "    for px, x in zip(PX, X):"]
        for s in self.h_terms:
            lines.append(f"        ph_{s} = Wh_{s} @ s_{s}")
            lines.append(f"        check += ph_{s}.sum()")  # inf or nan anywhere makes the sum non-finite
        for eq in self.equations:
            code = self._code(eq.expr)
            if eq.act is None:
                lines.append(f"        q_{eq.name} = {code}")
            else:
                lines.append(f"        q_{eq.name} = act_{eq.act}({code})")
        lines.append("        " + ", ".join(f"s_{s}" for s in states) + " = "
                     + ", ".join(f"q_{s}" for s in states))
        lines.append(f"    return check + sum(sums), {', '.join(f's_{s}' for s in states)}")
        return "\n".join(lines) + "\n"

    def advance(self, states: dict, xs: np.ndarray):
        """(finite, new states) after running the rows of xs from states."""
        xs = np.asarray(xs, dtype=float)
        px = xs @ self.Wx.T + self.bx if self.x_terms else np.zeros((len(xs), 0))  # (n, Σ rows)
        with np.errstate(all="ignore"):
            check, *new = self._loop(px, xs, *(states[s.name] for s in self.cell.states))
        new = dict(zip((s.name for s in self.cell.states), new))
        finite = np.isfinite(check) and np.all(np.isfinite(px)) and all(np.all(np.isfinite(v)) for v in new.values())
        return bool(finite), new
