"""What every converter shares: the common layout a framework's layer is read into, and the checks on its arrays.

The common layout is PyTorch's: the G gate blocks stacked by rows, acting on column vectors.

    PyTorch  weight_ih_l0 (G·H, D)   weight_hh_l0 (G·H, H)       bias_ih_l0, bias_hh_l0 (G·H,)
             an LSTM with proj_size P: weight_hh_l0 (4·H, P), weight_hr_l0 (P, H)
    Keras    kernel (D, G·H)         recurrent_kernel (H, G·H)   bias (G·H,); GRU reset_after (2, G·H)

    TF1      kernel (D+H, 4·H) acting on [x, h], gate order i, j, f, o; w_f_diag, w_i_diag, w_o_diag

G is the number of gate blocks: 4 for the LSTM, 3 for the GRU, 1 for the simple RNN.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import InputError
from .npyio import as_float64
from .text import shape_text

BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}  # G, the gate blocks stacked in one array
CELL_OF_BLOCKS = {g: cell for cell, g in BLOCKS.items()}
ARTICLE = {4: "an", 3: "a", 1: "an"}  # an lstm, a gru, an rnn
STATE = {"lstm": "h", "gru": "h", "rnn": "s"}  # the state a recurrent weight acts on: W_fh, W_ss

# Each framework's blocks in stacking order, as the course's gate letters.
GATE_ORDER = {
    "pytorch": {"lstm": "ifco", "gru": "rzn", "rnn": "s"},  # torch: i, f, g, o / r, z, n
    "keras": {"lstm": "ifco", "gru": "zrn", "rnn": "s"},  # Keras: i, f, c, o / z, r, h
    "tf1": {"lstm": "icfo"},  # TF1 LSTMCell: i, j (the candidate), f, o
}
FRAMEWORK_GATES = {
    "pytorch": {"lstm": "i, f, g, o (g is the candidate c̃)", "gru": "r, z, n (n is the candidate)",
                "rnn": "a single block"},
    "keras": {"lstm": "i, f, c, o (c is the candidate c̃)", "gru": "z, r, h (h is the candidate, the course's n)",
              "rnn": "a single block"},
}
TITLES = {("pytorch", "lstm"): "nn.LSTM", ("pytorch", "gru"): "nn.GRU", ("pytorch", "rnn"): "nn.RNN",
          ("keras", "lstm"): "LSTM", ("keras", "gru"): "GRU", ("keras", "rnn"): "SimpleRNN"}

Span = Callable[[int, int], str]  # where rows [a, b) of a stacked array came from, as text


@dataclass(frozen=True)
class Packed:
    """One layer in the common layout: the gate blocks stacked by rows, acting on column vectors.

    b_x is the bias added on the input side, b_h the one added on the recurrent side; None when the
    layer has none. names maps W_x, W_h, b_x, b_h to where a block [a, b) of each came from, as a function
    of a and b. variant is the GRU's: "reset-after" (PyTorch, and Keras reset_after=True) or "reset-before"
    (Keras reset_after=False). order gives the course letter of each block when it is not the framework's
    usual order; peepholes holds (P_f, (H,) array, source) triples; forget_bias is a constant
    TensorFlow's LSTMCell adds to the forget gate. activation is an RNN layer's when its source says it.
    W_r is an LSTM's projection of its visible state (PyTorch's proj_size), None without one; names["W_r"] is
    where it came from.
    """
    cell: str
    W_x: np.ndarray  # (G·H, D)
    W_h: np.ndarray  # (G·H, H), or (4·H, P) with a projection
    b_x: np.ndarray | None  # (G·H,)
    b_h: np.ndarray | None  # (G·H,)
    names: dict
    origin: str  # "PyTorch nn.LSTM, layer 0", "Keras GRU"
    notes: tuple  # the source convention, for the comment block
    variant: str | None = None
    order: str | None = None
    peepholes: tuple = ()
    forget_bias: float = 0.0
    activation: str | None = None
    backward: bool = False  # the backward direction of a bidirectional layer, or a layer reading x_T first
    W_r: np.ndarray | None = None  # (P, H): h_t = W_r (o_t ⊙ tanh(c_t))

    @property
    def sizes(self):
        return self.W_h.shape[0] // BLOCKS[self.cell], self.W_x.shape[1]  # H, D

    @property
    def width(self):
        """The length of the visible state: H, or P with a projection."""
        return self.W_h.shape[1]


@dataclass
class Model:
    """Every layer a file holds, bottom first: layers[l] maps "forward" (and "backward") to a Packed.
    dense is the output layer as (W_y (K, width), b_y (K,), their sources), or None; output its
    activation when the source says it. head_reads is what the output layer reads when the source says
    it: "steps" (the top output at every step) or "final" (the final states); assumed lists what the
    conversion took for granted, for notes on stderr; merge how its bidirectional layers join their directions."""
    framework: str
    layers: list
    dense: tuple | None = None
    title: str = ""  # "PyTorch nn.LSTM", "Keras Sequential"
    output: str | None = None
    head_reads: str | None = None
    assumed: list = field(default_factory=list)
    merge: str = "concat"  # how its bidirectional layers join their directions (Keras's merge_mode)


# ---------------------------------------------------------------- names as data

# weight_ih_l0, bias_hh_l1, weight_hh_l0_reverse, weight_hr_l0 (proj_size), weight_ih (nn.LSTMCell),
# optionally under a module prefix such as "encoder.rnn." when saved from a larger model's state_dict.
TORCH_NAME = re.compile(r"^(?P<prefix>(?:.*\.)?)(?:weight|bias)_(?P<side>ih|hh|hr)(?:_l(?P<layer>[0-9]{1,18}))?"
                        r"(?P<reverse>_reverse)?\Z", re.S)
MODULE_NAME = re.compile(r"^(?P<module>.+)\.(?P<kind>weight|bias)\Z", re.S)  # fc.weight, head.bias
KERAS_ROLES = ("kernel", "recurrent_kernel", "bias")  # the order of layer.get_weights()
TF1_DIAGONALS = {"w_f_diag": "P_f", "w_i_diag": "P_i", "w_o_diag": "P_o"}  # TF1 LSTMCell(use_peepholes=True)
KERAS_PEEPHOLES = {"input_gate_peephole_weights": "P_i", "forget_gate_peephole_weights": "P_f",
                   "output_gate_peephole_weights": "P_o"}  # Keras-2 PeepholeLSTMCell, in get_weights() order
ROLES = (*KERAS_ROLES, *TF1_DIAGONALS, *KERAS_PEEPHOLES)
POSITIONAL = re.compile(r"arr_[0-9]{1,18}")  # np.savez(path, *arrays)


def looks_pytorch(arrays) -> bool:
    """Whether every array is named as a PyTorch state_dict names them, one of them a recurrent weight."""
    return any(TORCH_NAME.match(k) for k in arrays) and all(TORCH_NAME.match(k) or MODULE_NAME.match(k)
                                                            for k in arrays)


def keras_place(name):
    """(layer path, direction, role) of a named weight: model/lstm/lstm_cell/kernel:0 is ("model/lstm",
    None, "kernel"); backward_bias is ("", "backward", "bias"), the direction written in the role's name."""
    parts = re.sub(r":[0-9]+\Z", "", name).split("/")
    role, direction = parts[-1], None
    m = re.fullmatch(r"(forward|backward)_(.+)", role, re.S)
    if m and m[2] in ROLES:
        direction, role = m[1], m[2]
    path = parts[:-1]
    if path and path[-1].endswith("_cell"):  # the cell Keras makes inside a recurrent layer
        path = path[:-1]
    return "/".join(path), direction, role


def looks_keras(arrays) -> bool:
    """Whether every array is named as Keras saves them (by role, by path, or positionally)."""
    return all(POSITIONAL.fullmatch(k) or keras_place(k)[2] in ROLES for k in arrays)


_PLAIN = re.compile(r"[A-Za-z0-9_.\-/]{1,200}(?::[0-9]{1,9})?")  # TensorFlow names end in :0


def quoted(name: str) -> str:
    """A name from a file, safe to write anywhere in YAML and on one line: as it is when it holds only
    letters, digits, _ . - / (and a variable's :0), else as a JSON string, every other character escaped.

    >>> quoted("weight_ih_l0"), quoted("a: b # c\\nd")
    ('weight_ih_l0', '"a: b # c\\\\nd"')
    """
    name = str(name)
    return name if _PLAIN.fullmatch(name) else json.dumps(name, ensure_ascii=True)


def span(name: str, index: str = "[{a}:{b}]", after: str = "") -> Span:
    """Where rows [a, b) came from: span("bias")(0, 2) is "bias[0:2]"; the name is quoted, never formatted."""
    q = quoted(name)
    return lambda a, b: q + index.format(a=a, b=b) + after


# ---------------------------------------------------------------- the arrays' checks

def numbers(a, where):
    """a as float64: float16 and float32 widen exactly, and so do integers within 2**53 (beyond, refused);
    all must be finite."""
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
        raise InputError(where, f"expected real numbers (float64, float32 or integers), found dtype {a.dtype}")
    a = as_float64(np.asarray(a), where)
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        at = "[" + ", ".join(map(str, bad[0])) + "]"
        raise InputError(where, f"holds {a[tuple(bad[0])]} at {at}; rnncalc needs finite numbers")
    return a


def listing(names, most=8):
    names = sorted(quoted(n) for n in names)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def missing(arrays, source, name, expected, hint=""):
    return InputError(source, f"no array {name}, expected shape {expected}; found {listing(arrays)}{hint}")


def tell_cell(g, cell, where, found, expected):
    """The cell from the number of gate blocks g, checked against --cell when given.

    expected(g) is the shape a layer of g blocks has, e.g. "(4·H, H) = (8, 2)"."""
    if cell is not None:
        if g != BLOCKS[cell]:
            other = f": that is the shape of {ARTICLE[g]} {CELL_OF_BLOCKS[g]} layer" if g in CELL_OF_BLOCKS else ""
            raise InputError(where, f"--cell {cell} needs shape {expected(BLOCKS[cell])}, "
                             f"found {shape_text(found)}{other}")
        return cell
    if g not in CELL_OF_BLOCKS:
        raise InputError(where, f"expected shape {expected('G')} with G = 4 (lstm), 3 (gru) or 1 (rnn), "
                         f"found {shape_text(found)}")
    return CELL_OF_BLOCKS[g]


def recurrent_cell(W, cell, where, stacked_rows):
    """(H, G, cell) from a recurrent weight: (G·H, H) with the blocks stacked by rows (PyTorch), else
    (H, G·H) stacked by columns (Keras); the cell told by G, checked against --cell when given."""
    expected = "(G·H, H)" if stacked_rows else "(H, G·H)"
    if W.ndim != 2 or W.shape[1 if stacked_rows else 0] == 0:
        raise InputError(where, f"expected shape {expected}, found {shape_text(W.shape)}")
    stacked, H = W.shape if stacked_rows else W.shape[::-1]
    g = stacked // H if stacked % H == 0 else None

    def shape(g):
        text = expected.replace("G", str(g))
        return text + (f" = {shape_text((g * H, H) if stacked_rows else (H, g * H))}" if isinstance(g, int) else "")
    cell = tell_cell(g, cell, where, W.shape, shape)
    return H, BLOCKS[cell], cell


def projected_cell(W_h, W_r, cell, source, name_h, name_r):
    """(H, 4, "lstm") of an LSTM with a projection (PyTorch's proj_size P): W_h (4·H, P), its gate blocks stacked
    by rows and acting on the projected h, and W_r (P, H), h_t = W_r (o_t ⊙ tanh(c_t))."""
    G = BLOCKS["lstm"]
    if cell not in (None, "lstm"):
        raise InputError(f"{source}: {name_r}", f"is an LSTM's projection (proj_size > 0), which "
                                                f"{ARTICLE[BLOCKS[cell]]} {cell} layer has not; drop --cell {cell}")
    if W_h.ndim != 2 or 0 in W_h.shape or W_h.shape[0] % G:
        raise InputError(f"{source}: {name_h}", f"expected shape ({G}·H, P) for an LSTM with the projection {name_r}, "
                                                f"found {shape_text(W_h.shape)}")
    H, P = W_h.shape[0] // G, W_h.shape[1]
    if P >= H:
        raise InputError(f"{source}: {name_h}", f"is (4·H, P) = {shape_text(W_h.shape)} beside the projection "
                                                f"{name_r}, so P = {P} ≥ H = {H}; PyTorch's proj_size is smaller than "
                                                "its hidden size")
    if W_r.shape != (P, H):
        raise InputError(f"{source}: {name_r}", f"expected shape (P, H) = ({P}, {H}) as {name_h} ({G}·H, P) is "
                                                f"{shape_text(W_h.shape)}, found {shape_text(W_r.shape)}")
    return H, G, "lstm"


def linear_head(W, b, where_w, where_b, layout):
    """An output layer's (W_y (K, width), b_y (K,)) from a Dense kernel (width, K) ("rows") or a Linear
    weight (K, width) ("columns"); a missing bias is zeros."""
    W = numbers(W, where_w)
    if W.ndim != 2 or 0 in W.shape:
        expected = "(width, K)" if layout == "rows" else "(K, width)"
        raise InputError(where_w, f"expected shape {expected}, found {shape_text(W.shape)}")
    W = W.T if layout == "rows" else W
    b = np.zeros(W.shape[0]) if b is None else numbers(b, where_b)
    if b.shape != (W.shape[0],):
        raise InputError(where_b, f"expected shape (K,) = ({W.shape[0]},), found {shape_text(b.shape)}")
    return W, b
