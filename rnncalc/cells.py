"""The catalogue: each recurrent cell described once, as its equations in computation order.

An equation is a small expression tree (rnncalc.expr) over the parameters (W_fh, b_f, ...), the
previous states (h_{t-1}, c_{t-1}), the input x_t and the quantities computed before it in the same
step. Everything else is derived from that one description: the parameters and their shapes,
the concatenated weight forms, the computation, the trace, the JSON keys, the YAML template
and the equations page. A cell joins the catalogue with register(): its command, options,
examples and the forms its equations page shows. Adding a cell means appending one such block.

Shapes are symbolic: H is the hidden size, D the input size, K the output size, P the size of a projected
LSTM's visible state.
"""

from __future__ import annotations

from types import MappingProxyType
from functools import cached_property

from .text import shape_text
from .expr import Hadamard, Input, MatVec, Param, Prev, Record, Ref, Sum


# ---------------------------------------------------------------- descriptions

ACT_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "", "softmax": "softmax"}


def symbol(name):
    """A quantity's symbol at step t: f -> f_t, and any *_tilde with a tilde over it, h_tilde -> h̃_t."""
    base = name.removesuffix("_tilde")
    return f"{base}\u0303_t" if base != name else f"{name}_t"


class Equation(Record):
    """name_t = act(expr): one quantity of a step; act None means name_t = expr. dim names its length."""
    _fields = ("name", "expr", "act", "doc", "dim")
    _defaults = {"act": None, "doc": "", "dim": "H"}

    @property
    def symbol(self):
        """c_tilde -> c̃_t, f -> f_t; a squash names what it squashes: tanh_c -> tanh(c_t)."""
        if self.is_squash:
            return f"{ACT_SYMBOL[self.act]}({symbol(self.expr.name)})"
        return symbol(self.name)

    @property
    def is_squash(self):
        """An activation of an earlier quantity, tanh(c_t): a row of the trace, not an equation of its own."""
        return self.act is not None and isinstance(self.expr, Ref)

    @property
    def records_pre(self):
        """Whether act's argument is a quantity of its own (not a bare earlier quantity)."""
        return self.act is not None and not self.is_squash

    def rhs(self, cell):
        inner = self.expr.text(cell)
        if self.act is None:
            return inner
        return f"{ACT_SYMBOL[self.act]}({inner})"

    def text(self, cell):
        return f"{self.symbol} = {self.rhs(cell)}"


class State(Record):
    """A state carried from step to step; dim names its length."""
    _fields = ("name", "doc", "dim")
    _defaults = {"dim": "H"}

    @property
    def init_key(self):
        return f"{self.name}0"


symbolic = shape_text  # ("H", "D") -> "(H, D)"; ("H",) -> "(H,)"


class ParamSpec(Record):
    """A parameter derived from the equations: its name, symbolic shape, kind ("weight", a matrix or a
    vector multiplying element-wise, or "bias", a term of a sum) and doc."""
    _fields = ("name", "shape", "kind", "doc")


class Pin(Record):
    """A quantity held at a value: name_t = value at the steps counted in `counts` (the n-th step the cell
    computes, from 1; ((first, last or None), ...), or None for every step), whatever its equation gives.
    value: a tuple of the quantity's length. steps: the steps as the user named them (t, the input read)."""
    _fields = ("name", "value", "counts", "steps")
    _defaults = {"counts": None, "steps": ""}

    def holds(self, count):
        """Whether the pin holds at the count-th step the cell computes."""
        return self.counts is None or any(first <= count and (last is None or count <= last)
                                          for first, last in self.counts)


class Cell(Record):
    """A cell: its states and equations, the options its factory was given, zero_if_given, pairs
    (name, bias) of another variant's parameter that may be given only as 0, as a term beside bias, and
    pins, the quantities held at a value (Pin)."""
    _fields = ("name", "title", "states", "equations", "options", "zero_if_given", "pins")
    _defaults = {"options": MappingProxyType({}), "zero_if_given": (), "pins": ()}

    @property
    def visible(self):
        """The visible state (h, or s): the one an output layer, --round-state and -q see."""
        return self.states[0].name

    @property
    def visible_dim(self):
        """The symbolic length of the visible state: H, or P when a projection makes it."""
        return self.states[0].dim

    def equation(self, name):
        return next(e for e in self.equations if e.name == name)

    def dims(self, expr):
        """The symbolic length of a quantity, state, input or element-wise expression of them."""
        if isinstance(expr, Input):
            return "D"
        if isinstance(expr, Prev):
            return next(s.dim for s in self.states if s.name == expr.state)
        if isinstance(expr, Ref):
            return self.equation(expr.name).dim
        return self.dims(expr.children()[0])

    @cached_property
    def params(self):
        """Every parameter, in the order the equations first use it."""
        specs = {}
        for eq in self.equations:
            for node in eq.expr.walk():
                if isinstance(node, MatVec):
                    operand = node.operand.text(self)
                    specs.setdefault(node.weight.name, ParamSpec(
                        node.weight.name, (eq.dim, self.dims(node.operand)), "weight",
                        f"weight on {operand} in {eq.symbol}"))
                if isinstance(node, Hadamard):
                    for w, v in ((node.a, node.b), (node.b, node.a)):
                        if isinstance(w, Param):
                            specs.setdefault(w.name, ParamSpec(
                                w.name, (eq.dim,), "weight", f"element-wise weight on {v.text(self)} in {eq.symbol}"))
            for node in eq.expr.walk():
                if isinstance(node, Param) and node.name not in specs:
                    specs[node.name] = ParamSpec(node.name, (eq.dim,), "bias", f"bias in {eq.symbol}")
        return tuple(specs.values())

    @cached_property
    def concatenated(self):
        """The textbook form W_f = [W_fh W_fx], acting on [h_{t-1}; x_t]: {W_f: (W_fh, W_fx)}.

        Found in the equations' structure: a sum with one term W_fh h_{t-1} on a previous state and one
        term W_fx x_t on the input. A weight acting on anything else, such as the GRU's W_nh on
        r_t ⊙ h_{t-1} or inside r_t ⊙ (W_nh h_{t-1} + b_nh), has no concatenated form.
        """
        names = set(self.param_names)
        pairs = {}
        for eq in self.equations:
            for node in eq.expr.walk():
                if not isinstance(node, Sum):
                    continue
                on_state = [t.weight.name for t in node.terms if isinstance(t, MatVec) and isinstance(t.operand, Prev)]
                on_x = [t.weight.name for t in node.terms if isinstance(t, MatVec) and isinstance(t.operand, Input)]
                if len(on_state) == 1 and len(on_x) == 1:
                    name = _shared_name(on_state[0], on_x[0])
                    if name and name not in names and name not in pairs:
                        pairs[name] = (on_state[0], on_x[0])
        return pairs

    def concatenated_shape(self, name):
        """The symbolic shape of a concatenated weight: ("H", "H+D") for W_f = [W_fh W_fx] acting on [h_{t-1}; x_t]."""
        rows, state = next(p.shape for p in self.params if p.name == self.concatenated[name][0])
        return rows, f"{state}+D"

    @cached_property
    def param_names(self):
        return [p.name for p in self.params]

    @cached_property
    def quantities(self):
        """The per-step JSON keys, in computation order, pre-activations before their values."""
        keys = []
        for eq in self.equations:
            if eq.records_pre:
                keys.append(f"{eq.name}_pre")
            keys.append(eq.name)
        return keys

    @property
    def pinned(self):
        """The names of the quantities held at a value, in computation order."""
        names = {p.name for p in self.pins}
        return tuple(eq.name for eq in self.equations if eq.name in names)

    def with_pins(self, pins):
        """The same cell with these quantities held (Pin, one per name)."""
        return Cell(self.name, self.title, self.states, self.equations, self.options, self.zero_if_given,
                    tuple(pins))

    def with_output(self, output):
        """The cell followed by the output layer y_t = output(W_y v_t + b_y), v the visible state."""
        v = self.visible
        y = Equation("y", MatVec(Param("W_y"), Ref(v)) + Param("b_y"), output, "output", dim="K")
        return Cell(self.name, self.title, self.states, (*self.equations, y),
                    {**self.options, "output": output}, self.zero_if_given, self.pins)


def _shared_name(a, b):
    """The name two weights share: W_fh, W_fx -> W_f."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n].rstrip("_")


def affine(gate, state):
    """W_{gate,state} state_{t-1} + W_{gate,x} x_t + b_gate."""
    return (MatVec(Param(f"W_{gate}{state}"), Prev(state))
            + MatVec(Param(f"W_{gate}x"), Input())
            + Param(f"b_{gate}"))


# ---------------------------------------------------------------- the catalogue

class Option:
    """A choice a cell's factory takes as a keyword: a YAML key, and --key on the command line.

    (Plain classes here and below, not dataclasses: rnncalc --help starts faster.)"""
    __slots__ = ("key", "choices", "help")

    def __init__(self, key: str, choices: tuple, help: str):
        self.key, self.choices, self.help = key, tuple(choices), help  # choices: the default first

    @property
    def flag(self):
        return "--" + self.key.replace("_", "-")


class CellEntry:
    """A cell in the catalogue: what its command, options, equations page and examples need.

    Calling it builds the cell: CELLS["gru"](variant="reset-before").
    """
    __slots__ = ("name", "factory", "options", "pages", "example", "grad_example", "implied", "other_names")

    def __init__(self, name, factory, options=(), pages=({},), example="", grad_example="", implied=None,
                 other_names=None):
        self.name, self.factory = name, factory
        self.options = tuple(options)  # Option, each a keyword of the factory
        self.pages = tuple(pages)  # the factory's keywords for each form the equations page shows
        self.example, self.grad_example = example, grad_example
        self.implied = implied  # the factory's keywords that the keys given imply, from their names
        self.other_names = dict(other_names or {})  # names other frameworks and textbooks use: the course's

    def __call__(self, **keywords) -> Cell:
        return self.factory(**keywords)

    def option(self, key) -> Option:
        return next(o for o in self.options if o.key == key)


CELLS: dict[str, CellEntry] = {}
OUTPUTS = ("softmax", "sigmoid", "linear")  # the output layer's functions, the default first


def register(factory, *, example, grad_example, options=(), pages=({},), implied=None, other_names=None):
    """Add a cell to the catalogue under its factory's name: its command, options, equations page,
    template and JSON keys follow from this and the description the factory returns. other_names:
    what PyTorch's documentation (W_ii, W_hi, ...: i input, h hidden, g the candidate) or d2l (W_xh,
    W_hh) call a parameter, with the course's name, for the hint when one is typed."""
    CELLS[factory.__name__] = CellEntry(factory.__name__, factory, options, pages, example, grad_example, implied,
                                        other_names)


def rnn(activation="tanh"):
    """The simple RNN: s_t = tanh(W_ss s_{t-1} + W_sx x_t + b_s)."""
    return Cell(
        "rnn", "simple RNN",
        (State("s", "state"),),
        (Equation("s", affine("s", "s"), activation, "new state"),),
        {"activation": activation},
    )


register(rnn, options=[Option("activation", ("tanh", "relu", "sigmoid", "linear"), "The rnn's activation")],
         example="rnncalc rnn --weights 0.5 --s0 1 -x 1,0,-1",
         grad_example="rnncalc rnn samples/vanishing_rnn.yaml --grad",
         other_names={"W_hh": "W_ss", "W_ih": "W_sx", "W_xh": "W_sx", "b_h": "b_s", "b_ih": "b_s",
                      "b_hh": "b_s", "W_hq": "W_y", "b_q": "b_y", "h0": "s0"})


def gated():
    """The single-gate RNN: the state moves toward s̃_t as far as the gate g_t lets it."""
    g, s_tilde = Ref("g"), Ref("s_tilde")
    return Cell(
        "gated", "gated RNN",
        (State("s", "state"),),
        (
            Equation("g", affine("g", "s"), "sigmoid", "gate"),
            Equation("s_tilde", affine("s", "s"), "tanh", "candidate state"),
            Equation("s", (1 - g) * Prev("s") + g * s_tilde, None, "new state"),
        ),
    )


register(gated, example="rnncalc gated samples/gated.yaml",
         grad_example="rnncalc gated samples/gated.yaml --grad --loss mse --target 0,0",
         other_names={"W_hh": "W_ss and W_gs", "W_ih": "W_sx and W_gx", "W_xh": "W_sx and W_gx",
                      "h0": "s0"})


def lstm(peepholes="", projection=False):
    """The LSTM: forget, input and output gates around a memory cell c_t.

    peepholes names the gates that also see the memory cell (Gers & Schmidhuber): "f" and "i" add
    P ⊙ c_{t-1}, "o" adds P_o ⊙ c_t, and so is computed after c_t.
    projection (Sak et al. 2014, PyTorch's proj_size): the visible state is projected to P numbers,
    m_t = o_t ⊙ tanh(c_t), h_t = W_hm m_t, and every gate reads that h_{t-1} of length P.
    """
    f, i, o = Ref("f"), Ref("i"), Ref("o")

    def gate(g, cell_state):
        pre = affine(g, "h")
        return pre + Param(f"P_{g}") * cell_state if g in peepholes else pre

    output_gate = Equation("o", gate("o", Ref("c")), "sigmoid", "output gate")
    late = "o" in peepholes
    if projection:
        visible = (Equation("m", o * Ref("tanh_c"), None, "gated memory"),
                   Equation("h", MatVec(Param("W_hm"), Ref("m")), None, "visible state, projected", dim="P"))
    else:
        visible = (Equation("h", o * Ref("tanh_c"), None, "visible state"),)
    title = "peephole LSTM" if peepholes else "LSTM"
    return Cell(
        "lstm", f"{title} with projection" if projection else title,
        (State("h", "visible state", "P" if projection else "H"), State("c", "memory cell")),
        (
            Equation("f", gate("f", Prev("c")), "sigmoid", "forget gate"),
            Equation("i", gate("i", Prev("c")), "sigmoid", "input gate"),
            *(() if late else (output_gate,)),
            Equation("c_tilde", affine("c", "h"), "tanh", "candidate memory"),
            Equation("c", f * Prev("c") + i * Ref("c_tilde"), None, "memory cell"),
            *((output_gate,) if late else ()),
            Equation("tanh_c", Ref("c"), "tanh", "squashed memory"),
            *visible,
        ),
        {"peepholes": list(peepholes)} if peepholes else {},
    )


register(lstm, pages=[{}, {"peepholes": "fio"}, {"projection": True}],
         implied=lambda given: {"peepholes": "".join(g for g in "fio" if f"P_{g}" in given),
                                "projection": "W_hm" in given or "proj" in given},
         example="rnncalc lstm --weights 1 --h0 1 --c0 1 -x 5 --round sign",
         grad_example="rnncalc lstm samples/vanishing_lstm.yaml --grad",
         other_names={"W_hh": "W_fh, W_ih, W_oh and W_ch", "W_xh": "W_fx, W_ix, W_ox and W_cx",
                      "W_ii": "W_ix", "W_if": "W_fx", "W_ig": "W_cx", "W_io": "W_ox",
                      "W_hg": "W_ch", "W_gh": "W_ch", "W_gx": "W_cx", "b_g": "b_c", "b_ii": "b_i",
                      "b_if": "b_f", "b_ig": "b_c", "b_io": "b_o", "W_hr": "W_hm"})


def gru(variant="reset-after", z_weighs="old"):
    """The GRU, by default as PyTorch, cuDNN and Keras compute it.

    variant "reset-after" applies the reset gate after the matmul, r ⊙ (W_nh h_{t-1} + b_nh);
    "reset-before" (Cho et al. 2014, Keras reset_after=False) before it, W_nh (r ⊙ h_{t-1}).
    z_weighs "old": h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1} (PyTorch, Keras); "new": z_t weighs
    the candidate instead, h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ n_t (several textbooks).
    """
    r, z, n, h = Ref("r"), Ref("z"), Ref("n"), Prev("h")
    x_part = MatVec(Param("W_nx"), Input()) + Param("b_n")
    if variant == "reset-after":
        candidate = x_part + r * (MatVec(Param("W_nh"), h) + Param("b_nh"))
    else:
        candidate = MatVec(Param("W_nx"), Input()) + MatVec(Param("W_nh"), r * h) + Param("b_n")
    update = (1 - z) * n + z * h if z_weighs == "old" else (1 - z) * h + z * n
    options = {"variant": variant, "z_weighs": z_weighs}
    return Cell(
        "gru", f"GRU ({variant}, z weighs the {z_weighs} state)" if z_weighs == "new" else f"GRU ({variant})",
        (State("h", "visible state"),),
        (
            Equation("r", affine("r", "h"), "sigmoid", "reset gate"),
            Equation("z", affine("z", "h"), "sigmoid", "update gate"),
            Equation("n", candidate, "tanh", "candidate state"),
            Equation("h", update, None, "new state"),
        ),
        options,
        zero_if_given=(("b_nh", "b_n"),) if variant == "reset-before" else (),
    )


register(gru, options=[
             Option("variant", ("reset-after", "reset-before"), "Reset gate after the matmul, r ⊙ (W_nh h + b_nh) "
                    "as PyTorch and Keras, or before it, W_nh (r ⊙ h) as Cho et al."),
             Option("z_weighs", ("old", "new"), "Whether z_t weighs the old state (PyTorch, Keras) or the candidate n_t"),
         ],
         pages=[{}, {"variant": "reset-before"}, {"z_weighs": "new"}],
         example="rnncalc gru --weights 0.5 --h0 1 -x 1,2 --variant reset-before",
         grad_example="rnncalc gru --weights 0.5 --h0 1 -x 1,2 --grad --loss dot --target 1",
         other_names={"W_hh": "W_rh, W_zh and W_nh", "W_ih": "W_rx, W_zx and W_nx", "W_xh": "W_rx, W_zx and W_nx",
                      "W_ir": "W_rx", "W_iz": "W_zx", "W_in": "W_nx", "b_ir": "b_r", "b_iz": "b_z", "b_in": "b_n",
                      "b_hn": "b_nh"})
