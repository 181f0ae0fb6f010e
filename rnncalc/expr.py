"""The expression algebra of the equations: each node's evaluation, derivative and text side by side.

An equation's right-hand side is a small immutable tree over the parameters (Param), the previous
states (Prev), the input (Input) and the quantities computed before it in the same step (Ref),
joined by W v (MatVec), sums, element-wise products (Hadamard) and 1 − a (OneMinus). Each node
evaluates itself, pushes a gradient down to its leaves, and writes itself as text, symbolically
or with numbers substituted.
"""

from __future__ import annotations


class Record:
    """An immutable record, equal to a record of the same kind with equal fields, and hashable when they are.

    Each kind names its fields in _fields and the defaults of the last ones in _defaults; it is made with
    them by position or by name. (A plain class, not a frozen dataclass: every call of rnncalc makes
    these classes, and a dataclass costs it a millisecond each.)
    """

    _fields = ()
    _defaults = {}
    __slots__ = ()

    def __init__(self, *values, **named):
        kind = type(self).__name__
        if len(values) > len(self._fields):
            raise TypeError(f"{kind}() takes {len(self._fields)} fields, {len(values)} given")
        given = dict(zip(self._fields, values))
        for name, value in named.items():
            if name not in self._fields or name in given:
                raise TypeError(f"{kind}() got {'a repeated' if name in given else 'an unknown'} field {name!r}")
            given[name] = value
        for name in self._fields:
            if name not in given and name not in self._defaults:
                raise TypeError(f"{kind}() is missing the field {name!r}")
            object.__setattr__(self, name, given[name] if name in given else self._defaults[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):  # copy and pickle make it anew from its fields, as its kind is made
        return type(self), tuple(getattr(self, f) for f in self._fields)

    def _key(self):
        return (type(self), *(getattr(self, f) for f in self._fields))

    def __eq__(self, other):
        return isinstance(other, Record) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"


class Expr(Record):
    """A node of an equation's right-hand side: a Record of its operands, made by position."""

    __slots__ = ("_hash",)  # computed once: a compiled loop is looked up by its equations

    def __init__(self, *values):
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_hash", hash(self._key()))

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(repr(getattr(self, f)) for f in self._fields)})"

    def __add__(self, other):
        return Sum((*_terms(self), *_terms(other)))

    def __mul__(self, other):
        return Hadamard(self, other)

    def __rsub__(self, one):
        assert one == 1, "only 1 − expr is supported"
        return OneMinus(self)

    def children(self):
        return ()

    def backward(self, env, g, grads):
        """Push the cotangent rows g (n, size of this node's value) down to the leaves. Row 0 is dL/d(value);
        rows 1.. (when carried) are the rows of a Jacobian ∂v_T/∂(value), pushed alongside by the same
        linear maps. Prev and Ref leaves add every row into grads.prev (by state) or grads.q (by quantity);
        Param and Input leaves take row 0 only, into grads.params (as the factors of dL/dθ) and grads.x."""
        raise NotImplementedError(type(self).__name__)

    def walk(self):
        yield self
        for child in self.children():
            yield from child.walk()


def _terms(e):
    return e.terms if isinstance(e, Sum) else (e,)


def _accumulate(store, key, g):
    """store[key] += g: a leaf reached by several paths (z_t twice in the GRU's update) sums them. Paths may
    carry different numbers of rows (an output layer carries dL/d(·) alone): the fewer add into the first."""
    if key not in store:
        store[key] = g
        return
    have = store[key]
    if len(g) == len(have):
        store[key] = have + g
        return
    more, fewer = (have, g) if len(have) > len(g) else (g, have)
    total = more.copy()
    total[:len(fewer)] += fewer
    store[key] = total


class Param(Expr):
    """A weight or bias, by its course name."""
    _fields = __slots__ = ("name",)

    def eval(self, env):
        return env.params[self.name]

    def backward(self, env, g, grads, operand=None):
        """dL/dθ += g[0] (a bias or peephole), or g[0] operandᵀ (a weight on operand), kept as its factors."""
        grads.params.setdefault(self.name, []).append((g[0].copy(),) if operand is None else (g[0].copy(), operand))

    def text(self, cell):
        return self.name

    def subst(self, env, fmt):
        return fmt(self.eval(env))


class Prev(Expr):
    """The state carried in from the previous step: h_{t-1}."""
    _fields = __slots__ = ("state",)

    def eval(self, env):
        return env.prev[self.state]

    def backward(self, env, g, grads):
        _accumulate(grads.prev, self.state, g)

    def text(self, cell):
        return f"{self.state}_{{t-1}}"

    def subst(self, env, fmt):
        return fmt(self.eval(env))


class Input(Expr):
    """The step's input x_t."""
    _fields = __slots__ = ()

    def eval(self, env):
        return env.x

    def backward(self, env, g, grads):
        grads.x = grads.x + g[0]

    def text(self, cell):
        return "x_t"

    def subst(self, env, fmt):
        return fmt(env.x)


class Ref(Expr):
    """A quantity computed earlier in the same step, e.g. f_t."""
    _fields = __slots__ = ("name",)

    def eval(self, env):
        return env.q[self.name]

    def backward(self, env, g, grads):
        _accumulate(grads.q, self.name, g)

    def text(self, cell):
        return cell.equation(self.name).symbol

    def subst(self, env, fmt):
        return fmt(self.eval(env))


class MatVec(Expr):
    """W v, a weight matrix times a column vector."""
    _fields = __slots__ = ("weight", "operand")

    def children(self):
        return (self.weight, self.operand)

    def eval(self, env):
        recorded = env.products.get(self) if getattr(env, "products", None) else None
        if recorded is not None:  # the product as the forward loop computed it
            return recorded
        return self.weight.eval(env) @ self.operand.eval(env)  # (rows, cols) @ (cols,)

    def backward(self, env, g, grads):
        """u = W v: dL/dW = g vᵀ, dL/dv = Wᵀ g, each row of g at once as g W."""
        self.weight.backward(env, g, grads, operand=self.operand.eval(env))
        rows = g[:1] if isinstance(self.operand, Input) else g  # the input takes row 0 only
        self.operand.backward(env, rows @ self.weight.eval(env), grads)  # (n, rows) @ (rows, cols)

    def text(self, cell):
        return f"{self.weight.text(cell)} {_grouped(self.operand, cell)}"

    def subst(self, env, fmt):
        w = self.weight.eval(env)
        if w.size == 1:
            return f"{fmt(w)}·{_grouped_subst(self.operand, env, fmt)}"
        return fmt(self.eval(env))


class Sum(Expr):
    _fields = __slots__ = ("terms",)

    def children(self):
        return self.terms

    def eval(self, env):
        total = self.terms[0].eval(env)
        for term in self.terms[1:]:
            total = total + term.eval(env)
        return total

    def backward(self, env, g, grads):
        """Each term gets g."""
        for term in self.terms:
            term.backward(env, g, grads)

    def text(self, cell):
        return " + ".join(t.text(cell) for t in self.terms)

    def subst(self, env, fmt):
        return " + ".join(t.subst(env, fmt) for t in self.terms)


class Hadamard(Expr):
    """a ⊙ b, the element-wise product."""
    _fields = __slots__ = ("a", "b")

    def children(self):
        return (self.a, self.b)

    def eval(self, env):
        return self.a.eval(env) * self.b.eval(env)

    def backward(self, env, g, grads):
        """a ⊙ b: a gets g ⊙ b, b gets g ⊙ a."""
        a, b = self.a.eval(env), self.b.eval(env)
        self.a.backward(env, g * b, grads)
        self.b.backward(env, g * a, grads)

    def text(self, cell):
        return " ⊙ ".join(f"({e.text(cell)})" if isinstance(e, Sum) else e.text(cell) for e in (self.a, self.b))

    def subst(self, env, fmt):
        sep = "·" if self.a.eval(env).size == 1 else " ⊙ "
        return sep.join(f"({e.subst(env, fmt)})" if isinstance(e, Sum) else e.subst(env, fmt)
                        for e in (self.a, self.b))


class OneMinus(Expr):
    """1 − a."""
    _fields = __slots__ = ("a",)

    def children(self):
        return (self.a,)

    def eval(self, env):
        return 1.0 - self.a.eval(env)

    def backward(self, env, g, grads):
        """1 − a: a gets −g."""
        self.a.backward(env, -g, grads)

    def text(self, cell):
        return f"(1 − {self.a.text(cell)})"

    def subst(self, env, fmt):
        return f"(1 − {self.a.subst(env, fmt)})"


def _grouped(e, cell):
    return f"({e.text(cell)})" if isinstance(e, (Sum, Hadamard)) else e.text(cell)


def _grouped_subst(e, env, fmt):
    return f"({e.subst(env, fmt)})" if isinstance(e, (Sum, Hadamard)) else e.subst(env, fmt)
