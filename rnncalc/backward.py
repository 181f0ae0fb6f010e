"""Backpropagation through time, derived from the cells' single description.

No cell has a backward pass of its own: each expression node knows its local derivative
(expr.Expr.backward), each activation its own (mathops.activation_vjp), and this module walks
the recorded steps in reverse, and each step's equations in reverse:

    dL/dz_q   = act'(z_q) ⊙ dL/dq_t               (softmax: y ⊙ (g − ⟨g, y⟩))
    dL/ds_t   = [from step t+1's s_{t-1} nodes] + [the loss's direct term at step t]
                + [from later quantities of step t that read s_t]
    dL/dθ     = Σ_t (step t's contribution)

so a new cell or variant gets its gradients with no new backward code.
"""

from __future__ import annotations

import numpy as np

from . import mathops
from .choices import LOSS_KINDS
from .cells import Cell
from .engine import Env
from .expr import Ref


class Loss:
    """What is differentiated, q_t being the output y_t when the cell has one, else the visible state.

    kind "sum":  L = Σ_k v_T[k], the components of the final visible state (h_T or s_T).
    kind "mse":  L = ½ Σ_t ‖q_t − target_t‖²; target (T, K) one row per step, or (K,) the final step only.
    kind "xent": L = −Σ_t log y_t[k_t] on a softmax output; target (T,) the class index k_t of each step.
    kind "dot":  L = Σ_t ⟨target_t, q_t⟩: target is the upstream gradient dL/dq_t, (T, K) or (K,) as for mse.
    """
    __slots__ = ("kind", "target")  # plain classes here: every run imports them, and dataclasses start slower

    def __init__(self, kind: str = "sum", target: np.ndarray | None = None):
        self.kind, self.target = kind, target

    def __repr__(self):
        return f"Loss({self.kind!r}, {self.target!r})"


class Grads:
    """The cotangents one step's expression nodes push to their leaves (expr.Expr.backward); keyed like
    engine.Env. prev and q hold stacks of rows (n, size), row 0 being dL/d(·); params and x row 0 only.

    params: by parameter name, the factors of dL/dθ: [(g,) or (g, v), ...]. prev: dL/ds_{t-1} by state
    name. x: dL/dx_t. q: dL/dq_t by quantity name, this step's."""
    __slots__ = ("params", "prev", "x", "q")

    def __init__(self, params=None, prev=None, x=0.0, q=None):
        self.params, self.prev, self.x, self.q = params or {}, prev or {}, x, q or {}


class StepGrads:
    """One time step t. values: "d{s}" = dL/ds_t in total for each state s, "d{q}_pre" = dL/dz_q for each
    quantity with a pre-activation, "dx" = dL/dx_t. factors: this step's part of each dL/dθ as the vectors
    it is made of (Grads.params), so that a (H, H) matrix per parameter and step exists only when asked for."""
    __slots__ = ("t", "values", "factors", "state_norms")

    def __init__(self, t: int, values: dict, factors: dict, state_norms=None):
        self.t, self.values, self.factors = t, values, factors
        self.state_norms = state_norms or {}  # ‖∂s_T/∂s_t‖₂ of each state s besides the visible one (c)

    @property
    def contributions(self):
        """This step's part of dL/dθ, by parameter name."""
        return {name: contribution(terms) for name, terms in self.factors.items()}

    def part(self, name):
        """This step's part of dL/d(name)."""
        return contribution(self.factors[name])


def contribution(terms):
    """Σ g (a bias's or peephole's terms) + Σ g vᵀ (a weight's): the parts of dL/dθ one step's nodes pushed."""
    total = None
    for term in terms:
        part = term[0] if len(term) == 1 else np.multiply.outer(*term)  # (rows,) or (rows, cols)
        total = part if total is None else total + part
    return total


class Gradients:
    """loss: L. params: dL/dθ by parameter name. init: dL/ds_0 by init key ("h0", "c0", "s0").
    steps: one StepGrads per step, t = 1..T. jacobian_norms: (T,), ‖∂v_T/∂v_t‖₂ for t = 1..T."""
    __slots__ = ("loss", "params", "init", "steps", "jacobian_norms")

    def __init__(self, loss: float, params: dict, init: dict, steps: list, jacobian_norms: np.ndarray):
        self.loss, self.params, self.init, self.steps, self.jacobian_norms = loss, params, init, steps, jacobian_norms

    @property
    def state_norms(self):
        """{s: (T,) ‖∂s_T/∂s_t‖₂ for t = 1..T} for each state s besides the visible one (c of the LSTM), in the
        steps' order: it perturbs s_t and lets the step's later quantities (h_t = o_t ⊙ tanh(c_t)) follow."""
        names = self.steps[0].state_norms if self.steps else {}
        return {s: np.array([r.state_norms[s] for r in self.steps]) for s in names}


def step_keys(cell: Cell):
    """The keys of StepGrads.values, in the order of the cell's equations: dh dc df_pre ... dx."""
    return ([f"d{s.name}" for s in cell.states]
            + [f"d{eq.name}_pre" for eq in cell.equations if eq.records_pre] + ["dx"])


def backward(cell: Cell, params: dict, init: dict, xs: np.ndarray, steps: list, loss: Loss = Loss(),
             every_state: bool = False) -> Gradients:
    """The gradients of loss over the steps engine.run(cell, params, init, xs, Rounding()) recorded.

    init is keyed as for engine.run ({"h": h0, "c": c0}); Gradients.init by init key ("h0", "c0").
    """
    steps = list(steps)
    if not steps:
        raise ValueError("backward: no steps; give at least one input x_t")
    if len(steps) != len(xs):
        raise ValueError(f"backward: {len(steps)} recorded steps for {len(xs)} inputs; pass run()'s steps for xs")
    rounded = next((f"step {s.t}: {k}" for s in steps for k in s.values if k.endswith("_exact")), None)
    if rounded:
        raise ValueError(f"backward: {rounded} is rounded, and rounding has derivative 0 almost everywhere; "
                         "run the forward pass without rounding")
    value, seeds = loss_seeds(cell, steps, loss)
    records, d_init, norms = reverse(cell, params, init, steps, seeds, jacobian=True, every_state=every_state)
    return Gradients(
        loss=value,
        params=totals(cell, params, records),
        init={s.init_key: d_init[s.name] + np.zeros(np.shape(init[s.name])) for s in cell.states},
        steps=records,
        jacobian_norms=norms,
    )


def totals(cell: Cell, params: dict, records: list) -> dict:
    """dL/dθ = Σ_t (step t's part) by parameter name: a bias's Σ_t g_t, a weight's Σ_t g_t v_tᵀ as one
    [g_1 … g_T] (rows, T) @ [v_1 … v_T]ᵀ (T, cols) product rather than T outer products."""
    total = {}
    for name in cell.param_names:
        terms = [term for record in records for term in record.factors.get(name, ())]
        g = np.array([term[0] for term in terms if len(term) == 1])  # (N, rows)
        gv = [term for term in terms if len(term) == 2]
        total[name] = np.zeros(np.shape(params[name]))
        if len(g):
            total[name] += g.sum(axis=0)
        if gv:
            total[name] += np.array([g for g, _ in gv]).T @ np.array([v for _, v in gv])  # (rows, N) @ (N, cols)
    return total


def loss_seeds(cell: Cell, steps: list, loss: Loss):
    """L and its direct terms: one dict per step, {quantity: dL/dq_t} (for xent {"y_pre": dL/dz_y})."""
    if loss.kind not in LOSS_KINDS:
        raise ValueError(f"unknown loss kind {loss.kind!r}; expected one of {', '.join(LOSS_KINDS)}")
    if loss.kind != "sum" and loss.target is None:
        raise ValueError(f"loss {loss.kind} needs a target")
    if loss.kind == "sum":
        seeds = [{} for _ in steps]
        v = steps[-1].values[cell.visible]
        seeds[-1][cell.visible] = np.ones_like(v)  # d(Σ_k v_T[k])/dv_T
        return float(np.sum(v)), seeds
    return (xent_seeds if loss.kind == "xent" else mse_or_dot_seeds)(cell, steps, loss)


def xent_seeds(cell: Cell, steps: list, loss: Loss):
    """L = −Σ_t log y_t[k_t], y_t = softmax(z_t): dL/dz_t = y_t − onehot(k_t), never dividing by y_t[k_t] nor
    taking its log."""
    has_y = any(eq.name == "y" for eq in cell.equations)
    if not (has_y and cell.equation("y").act == "softmax"):
        raise ValueError(f"loss xent needs a softmax output layer y_t; this {cell.name} cell has "
                         f"{'a ' + cell.equation('y').act + ' output' if has_y else 'none'}: "
                         "give W_y with output softmax, or use loss mse")
    T, K = len(steps), len(steps[0].values["y"])
    k = np.asarray(loss.target)
    if k.shape != (T,) or not np.all((k == np.round(k)) & (k >= 0) & (k < K)):
        raise ValueError(f"loss xent: target must be {T} class indices in 0..{K - 1}, one per step; got {k.tolist()}")
    k = k.astype(int)
    # log y_t[k_t] through log-softmax of the logits: finite even where y_t[k_t] underflows to 0
    value = -sum(float(mathops.log_softmax(step.values["y_pre"])[k_t]) for step, k_t in zip(steps, k))
    y = [step.values.get("y_unpinned", step.values["y"]) for step in steps]  # softmax(z_t), also where y is pinned
    return value, [{"y_pre": y_t - np.eye(K)[k_t]} for y_t, k_t in zip(y, k)]


def mse_or_dot_seeds(cell: Cell, steps: list, loss: Loss):
    """mse: L = ½ Σ_t ‖q_t − target_t‖², dL/dq_t = q_t − target_t.  dot: L = Σ_t ⟨target_t, q_t⟩, dL/dq_t = target_t.
    q is y when the cell has an output layer, else the visible state; a target of one row means the final step."""
    q = "y" if any(eq.name == "y" for eq in cell.equations) else cell.visible
    T = len(steps)
    qs = np.array([step.values[q] for step in steps])  # (T, K)
    target = np.asarray(loss.target, dtype=float)
    if target.shape == qs.shape[1:]:  # the final step only
        target, qs, at = target[None], qs[-1:], range(T - 1, T)
    elif target.shape == qs.shape:
        at = range(T)
    else:
        raise ValueError(f"loss {loss.kind}: target of shape {target.shape}; expected {qs.shape} (one per step) "
                         f"or {qs.shape[1:]} (the final step's {q})")
    upstream = qs - target if loss.kind == "mse" else target  # dL/dq_t, (T or 1, K)
    value = 0.5 * np.sum(upstream ** 2) if loss.kind == "mse" else np.sum(target * qs)
    seeds = [{} for _ in steps]
    for t, g in zip(at, upstream):
        seeds[t][q] = g
    return float(value), seeds


def reverse(cell: Cell, params: dict, init: dict, steps: list, seeds: list, jacobian: bool = False,
            every_state: bool = False):
    """Walk the steps and their equations in reverse from the direct cotangents seeds[t] ({quantity or
    q_pre: array}); return a StepGrads per step (time order), dL/ds_0 by state name, and with jacobian the
    norms ‖J_t‖₂ of J_t = ∂v_T/∂v_t, v the visible state, for t = 1..T (else ones).

    With jacobian the cotangents carry 1 + H rows: row 0 is dL/d(·), and rows 1..H start as the identity at
    v_T, so that the rows reaching v_t are J_t, one per component of v_T: each weight's Wᵀ g is one matmul
    for all rows at once, in a single pass. J_T = I needs no pass (‖J_T‖₂ = 1), and the rows are dropped once
    J_1 is known. For the LSTM, J_t is partial: it perturbs h_t alone and holds c_t. With every_state, a cell
    with a second state (the LSTM's c) carries H rows more, the identity at c_T, for ‖∂c_T/∂c_t‖₂, kept in each
    record's state_norms.

    H is each state's own length: a projected LSTM's h has P numbers, its c H.

    A quantity pinned at a step (step.pinned) is a constant there: its cotangent stops at it.
    """
    v, T = cell.visible, len(steps)
    states = [s.name for s in cell.states if every_state or s.name == v]
    sizes = [len(steps[-1].values[s]) for s in states]
    n = 1 + sum(sizes) if jacobian and T > 1 else 1  # rows of every cotangent
    norms = SpectralNorms(T, threaded=n > 1 and max(sizes) >= THREADED_NORMS, keys=states)
    try:
        records, d_init = _sweep(cell, params, init, steps, seeds, n, norms, states)
    except BaseException:  # Ctrl-C included: no waiting for the norms
        norms.abandon()
        raise
    found = norms.result()
    if jacobian:
        for i, record in enumerate(records):
            record.state_norms = {s: float(found[s][i]) for s in states if s != v}
    return records, d_init, found[v]


def _sweep(cell, params, init, steps, seeds, n, norms, states):
    """reverse()'s walk from t = T down to 1, handing each J_t of each of states to norms[s]."""
    T = len(steps)
    ends = np.cumsum([1] + [len(steps[-1].values[s]) for s in states])
    block = {s: slice(a, b) for s, a, b in zip(states, ends[:-1], ends[1:])}  # each state's Jacobian rows
    last_state = next(eq.name for eq in cell.equations if eq.name in block)  # the last one the reverse walk meets
    carry = {s.name: None for s in cell.states}  # dL/ds_t (rows) through step t+1's Prev nodes
    outside, keys = readout(cell), step_keys(cell)
    records = []
    for t in range(T, 0, -1):
        step, seed = steps[t - 1], seeds[t - 1]
        before = steps[t - 2].values if t > 1 else init
        env = Env(params, {name: before[name] for name in carry}, step.x, step.values)
        grads = Grads(q={name: g for name, g in carry.items() if g is not None})
        for name, g in seed.items():
            if not name.endswith("_pre"):
                rows = np.zeros((n, len(g))) if name not in grads.q else grads.q[name].copy()
                rows[0] += g
                grads.q[name] = rows
        if n > 1 and t == T:
            for s in states:
                size = block[s].stop - block[s].start
                rows = np.zeros((n, size)) if s not in grads.q else grads.q[s].copy()
                rows[block[s]] += np.eye(size)  # ∂s_T/∂s_T
                grads.q[s] = rows
        values = {}
        pinned = getattr(step, "pinned", ())
        for eq in reversed(cell.equations):
            value = step.values[eq.name]
            g = grads.q.pop(eq.name, None)  # dL/dq_t, every later use summed
            g = np.zeros((1 if eq.name in outside else n, len(value))) if g is None else \
                g[:1 if eq.name in outside else n]  # no Jacobian row goes through an output layer
            if eq.name in carry:
                values[f"d{eq.name}"] = g[0].copy()
            if eq.name in block and n > 1:
                if t < T:
                    norms.add(t - 1, g[block[eq.name]], eq.name)
                if t == 1 and eq.name == last_state:  # nothing asks for ∂s_T/∂s_0
                    n, g = 1, g[:1]
            if eq.name in pinned:  # a constant at this step: nothing flows through it to its inputs
                direct = seed.get(f"{eq.name}_pre")  # xent reads the logits y_pre themselves, not y
                if eq.records_pre:
                    values[f"d{eq.name}_pre"] = np.zeros(len(value)) if direct is None else direct.copy()
                if direct is not None:
                    eq.expr.backward(env, direct[None].copy(), grads)
                continue
            if eq.act is not None:
                z = step.values[f"{eq.name}_pre"] if eq.records_pre else step.values[eq.expr.name]
                g = mathops.activation_vjp(eq.act, z, value, g)  # a new array
                if f"{eq.name}_pre" in seed:
                    g[0] += seed[f"{eq.name}_pre"]
                if eq.records_pre:
                    values[f"d{eq.name}_pre"] = g[0].copy()
            eq.expr.backward(env, g, grads)
        values["dx"] = grads.x + np.zeros_like(step.x)
        records.append(StepGrads(step.t, {k: values[k] for k in keys}, grads.params))
        carry = {name: grads.prev.get(name) for name in carry}
    d_init = {name: 0.0 if g is None else g[0] for name, g in carry.items()}
    return records[::-1], d_init


def readout(cell: Cell) -> set:
    """The quantities no state depends on (an output layer's y_pre and y): the Jacobian of the states does not
    pass through them."""
    needed, todo = set(), [s.name for s in cell.states]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += [node.name for node in cell.equation(name).expr.walk() if isinstance(node, Ref)]
    return {eq.name for eq in cell.equations} - needed


THREADED_NORMS = 64  # from this H on, an eigenvalue problem costs far more than handing it to a thread


class SpectralNorms:
    """values[key][i] = ‖J‖₂ (mathops.spectral_norm) of the J given for i (and key, one a state), 1.0 where
    none is. threaded: J is scaled (a new array) at once and its eigenvalue problem solved on a second thread
    while the caller goes on to the next J (numpy's linear algebra runs without the GIL), at most two a key
    handed over and not yet collected, so that memory stays a few (H, H) matrices; the same operations, so the
    same bits, as unthreaded."""

    def __init__(self, T: int, threaded: bool, keys=(None,)):
        self.values = {key: np.ones(T) for key in keys}
        self.pending = []  # (key, i, future), oldest first
        self.pool = None
        if threaded:
            from concurrent.futures import ThreadPoolExecutor
            self.pool = ThreadPoolExecutor(max_workers=1)

    def add(self, i, J, key=None):
        if self.pool is None:
            self.values[key][i] = mathops.spectral_norm(J)
            return
        m, u = mathops.scaled(J)
        if u is None:
            self.values[key][i] = m
            return
        if len(self.pending) == 2 * len(self.values):
            self._collect()
        self.pending.append((key, i, self.pool.submit(mathops.scaled_spectral_norm, m, u)))

    def _collect(self):
        key, i, future = self.pending.pop(0)
        self.values[key][i] = future.result()

    def result(self):
        """values, once every norm still being computed is known."""
        if self.pool is not None:
            try:
                while self.pending:
                    self._collect()
            finally:
                self.pool.shutdown(cancel_futures=True)
        return self.values

    def abandon(self):
        """Drop the norms not computed yet, without waiting for the one being computed."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
