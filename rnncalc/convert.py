"""A trained layer's or model's arrays, as PyTorch, Keras or TensorFlow keep them, to rnncalc YAML in the
course's names.

Both frameworks pack a layer's gates into a few big arrays; the course writes one matrix per gate
and per operand. Converting is three small steps, each a pure function:

    read_pytorch / read_keras   the framework's arrays -> Packed, one common layout
    course_params               Packed -> {W_fh: ..., b_f: ...} by the framework's gate order
    to_yaml                     the course's arrays -> YAML, every float written with repr()

The common layout is PyTorch's: the G gate blocks stacked by rows, acting on column vectors.

    PyTorch  weight_ih_l0 (G·H, D)   weight_hh_l0 (G·H, H)       bias_ih_l0, bias_hh_l0 (G·H,)
    Keras    kernel (D, G·H)         recurrent_kernel (H, G·H)   bias (G·H,); GRU reset_after (2, G·H)

    TF1      kernel (D+H, 4·H) acting on [x, h], gate order i, j, f, o; w_f_diag, w_i_diag, w_o_diag

G is the number of gate blocks: 4 for the LSTM, 3 for the GRU, 1 for the simple RNN. A model of several
layers, or of two directions, becomes one `layers:` file (read_model, then to_yaml).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .choices import DIRECTIONS, FRAMEWORKS
from .errors import InputError
from .npyio import read_npz

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
COURSE_GATES = {"lstm": "fioc", "gru": "rzn", "rnn": "s"}  # the order rnncalc lists them in
COURSE_NAMES = {
    "lstm": "f forget, i input, o output gate, c candidate c̃",
    "gru": "r reset, z update gate, n candidate; h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}",
    "rnn": "s the state; s_t = tanh(W_ss s_{t-1} + W_sx x_t + b_s)",
}
TITLES = {("pytorch", "lstm"): "nn.LSTM", ("pytorch", "gru"): "nn.GRU", ("pytorch", "rnn"): "nn.RNN",
          ("keras", "lstm"): "LSTM", ("keras", "gru"): "GRU", ("keras", "rnn"): "SimpleRNN"}

@dataclass(frozen=True)
class Packed:
    """One layer in the common layout: the gate blocks stacked by rows, acting on column vectors.

    b_x is the bias added on the input side, b_h the one added on the recurrent side; None when the
    layer has none. names holds where each array came from, as a template of a block of the source:
    {"W_x": "weight_ih_l0[{a}:{b}]", ...}. variant is the GRU's: "reset-after" (PyTorch, and Keras
    reset_after=True) or "reset-before" (Keras reset_after=False). order gives the course letter of
    each block when it is not the framework's usual order; peepholes holds (P_f, (H,) array, source)
    triples; forget_bias is a constant TensorFlow's LSTMCell adds to the forget gate.
    """
    cell: str
    W_x: np.ndarray  # (G·H, D)
    W_h: np.ndarray  # (G·H, H)
    b_x: np.ndarray | None  # (G·H,)
    b_h: np.ndarray | None  # (G·H,)
    names: dict
    origin: str  # "PyTorch nn.LSTM, layer 0", "Keras GRU"
    notes: tuple  # the source convention, for the comment block
    variant: str | None = None
    order: str | None = None
    peepholes: tuple = ()
    forget_bias: float = 0.0

    @property
    def sizes(self):
        return self.W_h.shape[1], self.W_x.shape[1]  # H, D


@dataclass
class Conversion:
    """The layer in the course's names, ready to write: parameters in rnncalc's order with the source of
    each, YAML options (activation, variant) with a comment each, and the comment block's lines."""
    cell: str
    params: dict
    sources: dict
    options: dict = field(default_factory=dict)  # key -> (value, comment)
    header: list = field(default_factory=list)


@dataclass
class Model:
    """Every layer a file holds, bottom first: layers[l] maps "forward" (and "backward") to a Packed.
    dense is a final Keras Dense layer as (W_y (K, width), b_y (K,), their sources), or None."""
    framework: str
    layers: list
    dense: tuple | None = None
    title: str = ""  # "PyTorch nn.LSTM", "Keras Sequential"


@dataclass
class Stack:
    """A model of several layers or two directions in the course's names, ready to write as `layers:`:
    layers[l] maps each direction to its Conversion; options and output are top-level keys."""
    cell: str
    layers: list
    options: dict  # key -> (value, comment)
    header: list
    output: dict = field(default_factory=dict)  # W_y, b_y -> (array, source)


# ---------------------------------------------------------------- the whole conversion

def convert_file(path: str, framework: str, cell: str | None = None, layer: int | None = None,
                 direction: str | None = None, activation: str | None = None, forget_bias: float | None = None,
                 output: str | None = None) -> tuple[str, list]:
    """The rnncalc YAML for a layer, or a whole model, saved in an .npz by PyTorch (state_dict), Keras
    (get_weights, or every weight by its path) or TensorFlow; and notes for stderr on what was assumed."""
    if framework not in FRAMEWORKS:
        raise InputError("--from", f"expected one of {', '.join(FRAMEWORKS)}, found {framework!r}")
    if cell is not None and cell not in BLOCKS:
        raise InputError("--cell", f"expected one of {', '.join(BLOCKS)}, found {cell!r}")
    notes = []
    model = read_model(load_npz(path), framework, cell, path, layer, direction, forget_bias)
    if layer is not None or direction is not None or len(model.layers) == 1 and len(model.layers[0]) == 1 \
            and model.dense is None:
        chosen = model.layers[0]
        if direction == "backward" and "backward" not in chosen:
            raise InputError("--direction backward", f"{path} holds one direction only: the model is not "
                                                     "bidirectional")
        if output is not None:
            raise InputError(f"--output {output}", f"{path} holds no Dense output layer")
        conversion = course_layer(chosen[direction or "forward"], framework, activation, notes)
        conversion.header = _header(chosen[direction or "forward"], path)
        return to_yaml(conversion), notes
    return to_yaml(course_model(model, activation, output, path, notes)), notes


def course_arrays(arrays: dict, framework: str, cell: str | None = None, layer: int = 0,
                  source: str = "<arrays>") -> Conversion:
    """A layer's arrays, by the names its framework saved them under, in the course's names.

    An nn.LSTM with H = 1, D = 2: four blocks of one row, torch's i, f, g, o; the course's f is torch's 2nd.

    >>> W_ih = np.arange(8.0).reshape(4, 2)  # (4·H, D)
    >>> c = course_arrays({"weight_ih_l0": W_ih, "weight_hh_l0": np.ones((4, 1))}, "pytorch")
    >>> c.cell, c.params["W_fx"].tolist(), c.sources["W_fx"]
    ('lstm', [[2.0, 3.0]], 'weight_ih_l0[1:2]')
    """
    packed = read_model(arrays, framework, cell, source, layer).layers[0]["forward"]
    conversion = course_layer(packed, framework, None, [])
    conversion.header = _header(packed, source)
    return conversion


def course_layer(packed: Packed, framework: str, activation: str | None, notes: list) -> Conversion:
    """One direction of one layer in the course's names, with its options (activation, variant)."""
    order = packed.order or GATE_ORDER["pytorch" if framework == "pytorch" else "keras"][packed.cell]
    params, sources = course_params(packed, order)
    if packed.forget_bias:
        params["b_f"] = params["b_f"] + packed.forget_bias
        sources["b_f"] += f" + forget_bias {packed.forget_bias!r}"
    if packed.peepholes:
        for name, value, source in packed.peepholes:
            params[name], sources[name] = value, source
        order_of = {name: k for k, name in enumerate(PEEPHOLE_ORDER)}
        params = dict(sorted(params.items(), key=lambda kv: order_of[kv[0]]))
    options = {}
    if packed.cell == "rnn":
        options["activation"] = _activation_option(framework, activation, notes)
    elif activation not in (None, "tanh"):
        raise InputError(f"--activation {activation}", f"the course's {packed.cell} uses tanh and σ; "
                                                       "--activation sets an rnn layer's activation")
    if packed.variant == "reset-before":
        options["variant"] = ("reset-before", "Keras reset_after=False: "
                                              "n = tanh(W_nx x_t + W_nh (r ⊙ h_{t-1}) + b_n)")
    return Conversion(packed.cell, params, sources, options)


PEEPHOLE_ORDER = ("W_fh", "W_fx", "P_f", "b_f", "W_ih", "W_ix", "P_i", "b_i", "W_oh", "W_ox", "P_o", "b_o",
                  "W_ch", "W_cx", "b_c")  # rnncalc's order of the peephole LSTM's parameters


def _activation_option(framework, activation, notes):
    """activation: (value, comment) for an rnn layer; without --activation, tanh and a note saying so."""
    what = "nn.RNN(nonlinearity='relu')" if framework == "pytorch" else "SimpleRNN(activation='relu')"
    if activation is not None:
        return activation, "--activation"
    if not notes:
        notes.append(f"the arrays do not store the RNN's activation: assumed tanh, the frameworks' default; "
                     f"for {what} convert with --activation relu")
    return "tanh", f"the arrays cannot tell: change to relu for {what}"


def course_model(model: Model, activation: str | None, output: str | None, source: str, notes: list) -> Stack:
    """Every layer of a model in the course's names: one cell, every layer one or two directions."""
    cells = sorted({p.cell for layer in model.layers for p in layer.values()})
    if len(cells) > 1:
        raise InputError(source, f"holds layers of different cells ({', '.join(cells)}); an rnncalc stack has "
                                 "one cell: convert a layer at a time with --layer N")
    directions = sorted({len(layer) for layer in model.layers})
    if len(directions) > 1:
        raise InputError(source, "mixes bidirectional and one-directional layers; an rnncalc stack is one or the "
                                 "other: convert a layer at a time with --layer N")
    width = None
    for n, layer in enumerate(model.layers):
        for d, p in layer.items():
            if width is not None and p.sizes[1] != width:
                raise InputError(source, f"{p.origin} reads input size D = {p.sizes[1]}, but the layer below "
                                         f"gives {width} (its H, times 2 when bidirectional)")
        width = sum(p.sizes[0] for p in layer.values())
    if model.dense is not None and model.dense[0].shape[1] != width:
        kernel = model.dense[2][0].removesuffix(".T")
        raise InputError(f"{source}: {kernel}", f"the Dense layer reads width {model.dense[0].shape[1]}, but the "
                                                f"top layer gives {width}")
    layers = [{d: course_layer(p, model.framework, activation, notes) for d, p in layer.items()}
              for layer in model.layers]
    options = {}
    bidirectional = directions[0] == 2
    if bidirectional:
        options["bidirectional"] = (True, "layer l+1 reads layer l's forward ‖ backward visible states")
    for key in ("activation",):
        values = [c.options.pop(key) for layer in layers for c in layer.values() if key in c.options]
        if values:
            options[key] = values[0]
    out = {}
    if model.dense is not None:
        W_y, b_y, names = model.dense
        out = {"W_y": (W_y, names[0]), "b_y": (b_y, names[1])}
        if output is None:
            notes.append("the arrays do not store the Dense layer's activation: assumed linear, Keras's default; "
                         "for Dense(activation='softmax') convert with --output softmax (or sigmoid)")
        options["output"] = (output or "linear", "--output" if output else
                             "the arrays cannot tell: change to softmax or sigmoid for the Dense layer's activation")
    elif output is not None:
        raise InputError(f"--output {output}", f"{source} holds no Dense output layer")
    return Stack(cells[0], layers, options, _stack_header(model, source, bidirectional), out)
# ---------------------------------------------------------------- reading the file

def load_npz(path: str) -> dict:
    """Every array in an .npz (numpy.savez's zip of .npy files), by name; nothing pickled is loaded, and
    a member that would unpack past the size limit is refused from its header."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a directory, not an .npz file")
    not_npz = "is not an .npz file; save the arrays with numpy.savez(path, **arrays)"
    if not zipfile.is_zipfile(p):
        raise InputError(path, not_npz)
    return read_npz(path)  # every header checked against the size limit before any data is unpacked


def _numbers(a, where):
    """a as float64: float16 and float32 widen exactly (so do integers below 2**53); all must be finite."""
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
        raise InputError(where, f"expected real numbers (float64, float32 or integers), found dtype {a.dtype}")
    a = a.astype(np.float64)
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        at = "[" + ", ".join(map(str, bad[0])) + "]"
        raise InputError(where, f"holds {a[tuple(bad[0])]} at {at}; rnncalc needs finite numbers")
    return a


def _shape(shape):
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _listing(names, most=8):
    names = sorted(names)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _missing(arrays, source, name, expected, hint=""):
    return InputError(source, f"no array {name}, expected shape {expected}; found {_listing(arrays)}{hint}")


def _tell_cell(g, cell, where, found, expected):
    """The cell from the number of gate blocks g, checked against --cell when given.

    expected(g) is the shape a layer of g blocks has, e.g. "(4·H, H) = (8, 2)"."""
    if cell is not None:
        if g != BLOCKS[cell]:
            other = f": that is the shape of {ARTICLE[g]} {CELL_OF_BLOCKS[g]} layer" if g in CELL_OF_BLOCKS else ""
            raise InputError(where, f"--cell {cell} needs shape {expected(BLOCKS[cell])}, "
                             f"found {_shape(found)}{other}")
        return cell
    if g not in CELL_OF_BLOCKS:
        raise InputError(where, f"expected shape {expected('G')} with G = 4 (lstm), 3 (gru) or 1 (rnn), "
                         f"found {_shape(found)}")
    return CELL_OF_BLOCKS[g]


# ---------------------------------------------------------------- PyTorch

# weight_ih_l0, bias_hh_l1, weight_hh_l0_reverse, weight_hr_l0 (proj_size), weight_ih (nn.LSTMCell),
# optionally under a module prefix such as "encoder.rnn." when saved from a larger model's state_dict.
TORCH_NAME = re.compile(r"^(?P<prefix>(?:.*\.)?)(?:weight|bias)_(?P<side>ih|hh|hr)(?:_l(?P<layer>[0-9]{1,18}))?"
                        r"(?P<reverse>_reverse)?$")


def read_model(arrays: dict, framework: str, cell: str | None, source: str, layer: int | None = None,
               direction: str | None = None, forget_bias: float | None = None) -> Model:
    """Every layer of the file, or only `layer` (the source's count, from 0) when given."""
    if forget_bias is not None and framework == "pytorch":
        raise InputError("--forget-bias", "is TensorFlow's LSTMCell(forget_bias=...); PyTorch has none: "
                                          "drop it, or convert with --from tensorflow")
    if framework == "pytorch":
        return read_pytorch(arrays, cell, layer, direction, source)
    return read_keras(arrays, cell, layer, direction, source, forget_bias, tensorflow=framework == "tensorflow")


def read_pytorch(arrays: dict, cell: str | None, layer: int | None, direction: str | None, source: str) -> Model:
    """nn.LSTM / nn.GRU / nn.RNN (or their Cell versions) from state_dict() names: already the common layout.
    The _reverse arrays are each layer's backward direction."""
    found = {k: m for k in arrays if (m := TORCH_NAME.match(k))}
    keras_like = any(_keras_role(k) in KERAS_ROLES for k in arrays)
    hint = "; these look like Keras arrays: try --from keras" if keras_like else ""
    if not found:
        raise _missing(arrays, source, f"weight_hh_l{layer or 0}", "(G·H, H)", hint)
    prefixes = sorted({m["prefix"] for m in found.values()})
    prefix = prefixes[0]
    if len(prefixes) > 1:
        modules = ", ".join(p.rstrip(".") or "(top level)" for p in prefixes)
        raise InputError(source, f"holds the recurrent weights of several modules ({modules}); "
                         "save one module's state_dict")
    projected = sorted(k for k, m in found.items() if m["side"] == "hr")
    if projected:
        raise InputError(f"{source}: {projected[0]}", "an LSTM with a projection (proj_size > 0) is not converted: "
                         "the course LSTM has no h_t = W_hr (o_t ⊙ tanh(c_t))")

    layers = sorted({int(m["layer"]) for m in found.values() if m["layer"] is not None})
    bidirectional = any(m["reverse"] for m in found.values())
    if not layers and layer:
        raise InputError(f"--layer {layer}", f"{source} holds one cell ({prefix}weight_hh, no _lN suffix): "
                         "layer 0 only")
    if layer is not None and layers and layer not in layers:
        held = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}–{layers[-1]}"
        raise InputError(f"--layer {layer}", f"{source} has no {prefix}weight_hh_l{layer}; it holds {held}")
    if direction is not None and layer is None and len(layers) > 1:
        raise InputError(f"--direction {direction}", f"{source} holds layers {layers[0]}–{layers[-1]}: "
                                                      "pick one with --layer N")
    if direction == "backward" and not bidirectional:
        raise InputError("--direction backward", f"{source} holds no _reverse arrays: the model is not bidirectional")
    if layer is None and layers != list(range(len(layers))):
        gap = next(n for n in range(len(layers) + 1) if n not in layers)
        raise InputError(source, f"holds {prefix}weight_hh_l{layers[-1]} but no {prefix}weight_hh_l{gap}: "
                                 "a model's layers are numbered from 0 without a gap")
    wanted = [layer] if layer is not None and layers else layers or [None]
    directions = [direction] if direction else DIRECTIONS[:1 + bidirectional]
    model = Model("pytorch", [])
    for n in wanted:
        suffix = "" if n is None else f"_l{n}"
        model.layers.append({d: _torch_layer(arrays, cell, prefix, suffix + "_reverse" * (d == "backward"),
                                             n, d, source, bidirectional) for d in directions})
    first = next(iter(model.layers[0].values()))
    model.title = f"PyTorch {TITLES['pytorch', first.cell]}"
    return model


def _torch_layer(arrays, cell, prefix, suffix, n, direction, source, bidirectional):
    """One direction of one layer: the arrays named {prefix}weight_ih{suffix} and so on."""
    w_ih, w_hh, b_ih, b_hh = (f"{prefix}{kind}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    if w_hh not in arrays:
        raise _missing(arrays, source, w_hh, "(G·H, H)")
    W_h = _numbers(arrays[w_hh], f"{source}: {w_hh}")
    if W_h.ndim != 2 or W_h.shape[1] == 0:
        raise InputError(f"{source}: {w_hh}", f"expected shape (G·H, H), found {_shape(W_h.shape)}")
    rows, H = W_h.shape
    g = rows // H if rows % H == 0 else None
    cell = _tell_cell(g, cell, f"{source}: {w_hh}", W_h.shape, lambda g: f"({g}·H, H)" + (
        f" = ({g * H}, {H})" if isinstance(g, int) else ""))
    G = BLOCKS[cell]

    if w_ih not in arrays:
        raise _missing(arrays, source, w_ih, f"({G}·H, D) = ({G * H}, D)")
    W_x = _numbers(arrays[w_ih], f"{source}: {w_ih}")
    if W_x.ndim != 2 or W_x.shape[0] != G * H or W_x.shape[1] == 0:
        raise InputError(f"{source}: {w_ih}", f"expected shape ({G}·H, D) = ({G * H}, D) as {w_hh} is "
                         f"{_shape(W_h.shape)}, found {_shape(W_x.shape)}")

    biases = []
    for name, other in ((b_ih, b_hh), (b_hh, b_ih)):
        if name not in arrays:
            if other in arrays:
                raise InputError(source, f"has {other} but no {name}, expected shape ({G}·H,) = ({G * H},); "
                                 "a layer has both biases (bias=True) or neither (bias=False)")
            biases.append(None)
            continue
        b = _numbers(arrays[name], f"{source}: {name}")
        if b.shape != (G * H,):
            raise InputError(f"{source}: {name}", f"expected shape ({G}·H,) = ({G * H},), "
                             f"found {_shape(b.shape)}")
        biases.append(b)

    title = TITLES["pytorch", cell] + ("" if n is not None else "Cell")
    where = ("" if n is None else f", layer {n}") + (f", {direction}" if bidirectional else "")
    return Packed(
        cell, W_x, W_h, *biases,
        names={"W_x": f"{w_ih}[{{a}}:{{b}}]", "W_h": f"{w_hh}[{{a}}:{{b}}]",
               "b_x": f"{b_ih}[{{a}}:{{b}}]", "b_h": f"{b_hh}[{{a}}:{{b}}]"},
        origin=f"PyTorch {title}{where}",
        notes=_torch_notes(cell, title, w_ih, w_hh, b_ih, b_hh, has_bias=biases[0] is not None),
        variant="reset-after" if cell == "gru" else None,
    )
def _torch_notes(cell, title, w_ih, w_hh, b_ih, b_hh, has_bias):
    G, v = BLOCKS[cell], STATE[cell]
    lines = [f"Source convention: PyTorch {title} state_dict(), gate blocks in the order "
             f"{FRAMEWORK_GATES['pytorch'][cell]}.",
             f"  {w_ih} ({G}H, D) acts on x_t and {w_hh} ({G}H, H) on {v}_{{t-1}}, as column vectors (W x):",
             "  gate k is rows [k·H, (k+1)·H), copied as it is (no transpose)."]
    if not has_bias:
        lines.append("  No biases (bias=False): every b is written as 0.")
    elif cell == "gru":
        lines += [f"  Biases: b_r and b_z are {b_ih} + {b_hh} (torch adds both); the candidate keeps them apart,",
                  "  as torch resets the recurrent part only: n = tanh(W_nx x_t + b_n + r ⊙ (W_nh h_{t-1} + b_nh)),",
                  f"  b_n from {b_ih}, b_nh from {b_hh} (rnncalc's default GRU variant)."]
    else:
        lines.append(f"  Biases: torch adds {b_ih} and {b_hh} in every gate; each b here is their sum.")
    return tuple(lines)


# ---------------------------------------------------------------- Keras and TensorFlow

KERAS_ROLES = ("kernel", "recurrent_kernel", "bias")  # the order of layer.get_weights()
TF1_DIAGONALS = {"w_f_diag": "P_f", "w_i_diag": "P_i", "w_o_diag": "P_o"}  # TF1 LSTMCell(use_peepholes=True)
KERAS_PEEPHOLES = {"input_gate_peephole_weights": "P_i", "forget_gate_peephole_weights": "P_f",
                   "output_gate_peephole_weights": "P_o"}  # Keras-2 PeepholeLSTMCell, in get_weights() order
ROLES = (*KERAS_ROLES, *TF1_DIAGONALS, *KERAS_PEEPHOLES)


def _keras_role(name):
    """kernel, recurrent_kernel or bias from a saved name: the name itself, or the end of a weight's path
    (lstm/lstm_cell/kernel, ...:0), or arr_0/arr_1/arr_2, which np.savez(path, *layer.get_weights()) writes."""
    positional = re.fullmatch(r"arr_([0-9]{1,18})", name)
    if positional:
        i = int(positional[1])
        return KERAS_ROLES[i] if i < len(KERAS_ROLES) else name
    return re.sub(r":\d+$", "", name).rsplit("/", 1)[-1]


def _keras_place(name):
    """(layer path, direction, role) of a named weight: sequential/bidirectional/forward_lstm/lstm_cell/kernel
    is ("sequential/bidirectional", "forward", "kernel"); backward_bias is ("", "backward", "bias")."""
    parts = re.sub(r":\d+$", "", name).split("/")
    role, direction, path = parts[-1], "forward", []
    m = re.fullmatch(r"(forward|backward)_(.+)", role)
    if m and m[2] in ROLES:
        direction, role = m[1], m[2]
    for part in parts[:-1]:
        m = re.match(r"(forward|backward)_", part)
        if m:
            direction = m[1]
        elif not part.endswith("_cell"):
            path.append(part)
    return "/".join(path), direction, role


def _keras_groups(arrays, source, hint, tensorflow=False):
    """[(layer path, {direction: {role: array name}})] in the order saved. A positional list
    (np.savez(path, *layer.get_weights())) is one layer: 2 or 3 arrays, with a PeepholeLSTMCell's three
    1-D peephole vectors after them, or a Bidirectional layer's 4 or 6, the forward layer's first; read
    --from tensorflow, 2 or 5 whose second is 1-D are a TF1 LSTMCell's kernel, bias and diagonals."""
    positional = sorted((k for k in arrays if re.fullmatch(r"arr_[0-9]{1,18}", k)), key=lambda k: int(k[4:]))
    if positional and len(positional) < len(arrays):
        raise InputError(source, f"mixes named and unnamed arrays ({_listing(arrays)}); save either "
                         "np.savez(path, *layer.get_weights()) or kernel=, recurrent_kernel=, bias=")
    if positional:
        n = len(positional)
        if tensorflow and n in (2, 5) and arrays[positional[1]].ndim == 1:  # TF1 LSTMCell.get_weights()
            return [("", {"forward": {**dict(zip(("kernel", "bias", *TF1_DIAGONALS), positional)), "tf1": ""}})]
        if n == 6 and arrays[positional[3]].ndim == 1:
            return [("", {"forward": dict(zip((*KERAS_ROLES, *KERAS_PEEPHOLES), positional))})]
        if n in (4, 6):
            half = n // 2
            return [("", {"forward": dict(zip(KERAS_ROLES, positional[:half])),
                          "backward": dict(zip(KERAS_ROLES, positional[half:]))})]
        if n > 3:
            raise InputError(source, f"holds {n} arrays ({_listing(arrays)}); a Keras recurrent layer has 2 or 3 "
                             "(kernel, recurrent_kernel, bias), a Bidirectional layer 4 or 6 (the forward layer's, "
                             "then the backward layer's)")
        return [("", {"forward": dict(zip(KERAS_ROLES, positional))})]
    for name in sorted(arrays, key=lambda k: (len(k), k)):
        if _keras_place(name)[2] not in ROLES:
            raise InputError(f"{source}: {name}", "not a Keras recurrent layer's array; expected kernel, "
                             f"recurrent_kernel, bias (or arr_0, arr_1, arr_2 in that order){hint}")
    groups = {}
    for name in arrays:
        path, direction, role = _keras_place(name)
        roles = groups.setdefault(path, {}).setdefault(direction, {})
        if role in roles:
            raise InputError(source, f"holds two {role} arrays ({roles[role]}, {name}) for one layer; save each "
                             "layer's weights under its own path")
        roles[role] = name
    return list(groups.items())


def read_keras(arrays: dict, cell: str | None, layer: int | None, direction: str | None, source: str,
               forget_bias: float | None = None, tensorflow: bool = False) -> Model:
    """Keras LSTM / GRU / SimpleRNN (alone, in a Bidirectional, or every layer of a Sequential by weight path,
    a final Dense as the output layer) and TF1 LSTMCell arrays: row-vector layouts, transposed to the common one."""
    torch_like = any(TORCH_NAME.match(k) for k in arrays)
    hint = "; these look like PyTorch arrays: try --from pytorch" if torch_like else ""
    groups = _keras_groups(arrays, source, hint, tensorflow)
    if tensorflow and len(groups) == 1 and len(groups[0][1]) == 1:  # --from tensorflow: a lone kernel is TF1's
        path, directions = groups[0]
        groups = [(path, {d: {**r, "tf1": ""} if "recurrent_kernel" not in r else r for d, r in directions.items()})]
    dense = None
    path, last = groups[-1]
    if len(groups) > 1 and list(last) == ["forward"] and "recurrent_kernel" not in last["forward"] \
            and not _is_tf1(path, last["forward"]):
        dense = _read_dense(arrays, last["forward"], source)
        groups = groups[:-1]
    for path, directions in groups:
        roles = next(iter(directions.values()))
        if "recurrent_kernel" not in roles and not _is_tf1(path, roles) and len(groups) > 1:
            raise InputError(f"{source}: {path}", "has no recurrent_kernel: a Dense layer is converted only as "
                                                  "the model's last, its output layer")
    if layer is not None and len(groups) == 1 and layer:
        raise InputError(f"--layer {layer}", f"{source} holds one Keras layer (layer.get_weights()); save the layer "
                         "you want with np.savez(path, *layer.get_weights()) and convert it without --layer")
    if layer is not None and layer >= len(groups):
        raise InputError(f"--layer {layer}", f"{source} has no recurrent layer {layer}; it holds layers "
                                             f"0–{len(groups) - 1}, counted from the input")
    if direction is not None and layer is None and len(groups) > 1:
        raise InputError(f"--direction {direction}", f"{source} holds layers 0–{len(groups) - 1}: "
                                                      "pick one with --layer N")
    if direction == "backward" and all(len(d) == 1 for _, d in groups):
        raise InputError("--direction backward", f"{source} holds one direction only: the model is not "
                                                 "bidirectional")
    if forget_bias is not None and not any(_is_tf1(p, r) for p, d in groups for r in d.values()):
        raise InputError("--forget-bias", "is TensorFlow's LSTMCell(forget_bias=...), added into b_f; these "
                                          "arrays are not a TF1 LSTMCell's (kernel on [x, h], no recurrent_kernel)")
    chosen = groups if layer is None else [groups[layer or 0]]
    model = Model("keras", [], dense)
    for path, directions in chosen:
        wanted = [direction] if direction else [d for d in DIRECTIONS if d in directions]
        model.layers.append({d: _keras_layer(arrays, path, directions[d], cell, source, hint, d,
                                             forget_bias) for d in wanted})
    model.title = "Keras Sequential" if len(groups) > 1 or dense else next(iter(model.layers[0].values())).origin
    return model


def _is_tf1(path, roles):
    """Whether a layer's arrays are a TF1 LSTMCell's: peephole diagonals, or a kernel on [x, h] alone
    under a cell's path (rnn/lstm_cell/kernel), or any lone kernel read --from tensorflow (marked "tf1")."""
    return "tf1" in roles or any(r in TF1_DIAGONALS for r in roles) or (
        "recurrent_kernel" not in roles and "kernel" in roles and "lstm_cell" in "/".join(roles.values()))


def _read_dense(arrays, roles, source):
    """A Keras Dense layer: kernel (width, K) acts on the row vector v_t; W_y is its transpose, (K, width)."""
    kernel, bias = roles.get("kernel"), roles.get("bias")
    if kernel is None:
        raise InputError(source, f"the last layer ({_listing(roles.values())}) has no kernel")
    W = _numbers(arrays[kernel], f"{source}: {kernel}")
    if W.ndim != 2:
        raise InputError(f"{source}: {kernel}", f"a Dense kernel is (width, K), found {_shape(W.shape)}")
    b = np.zeros(W.shape[1]) if bias is None else _numbers(arrays[bias], f"{source}: {bias}")
    if b.shape != (W.shape[1],):
        raise InputError(f"{source}: {bias}", f"expected shape (K,) = ({W.shape[1]},), found {_shape(b.shape)}")
    return W.T, b, (f"{kernel}.T", bias or "0: the layer has no bias")


def _keras_layer(arrays, path, roles, cell, source, hint, direction, forget_bias):
    """One direction of one Keras layer (or one TF1 LSTMCell) as a Packed."""
    if _is_tf1(path, roles) and "recurrent_kernel" not in roles:
        return _tf1_layer(arrays, roles, cell, source, 1.0 if forget_bias is None else forget_bias)
    positional = all(re.fullmatch(r"arr_[0-9]{1,18}", n) for n in roles.values())
    kernel, recurrent, bias = (roles.get(role) for role in KERAS_ROLES)

    def label(role):
        if positional:
            return f"arr_{KERAS_ROLES.index(role)} ({role})"
        return f"{path}/{role}" if path else f"{direction}_{role}" if direction == "backward" else role

    if recurrent is None:
        tf1 = "; a TF1 LSTMCell's kernel (on [x, h]) converts with --from tensorflow" if kernel and not positional \
            and not re.search(r"(forward|backward)_", kernel) else ""
        raise _missing(arrays, source, label("recurrent_kernel"), "(H, G·H)", hint or tf1)
    U = _numbers(arrays[recurrent], f"{source}: {recurrent}")  # (H, G·H), acts on h_{t-1} as a row
    if U.ndim != 2 or U.shape[0] == 0:
        raise InputError(f"{source}: {recurrent}", f"expected shape (H, G·H), found {_shape(U.shape)}")
    H, cols = U.shape
    g = cols // H if cols % H == 0 else None
    cell = _tell_cell(g, cell, f"{source}: {recurrent}", U.shape, lambda g: f"(H, {g}·H)" + (
        f" = ({H}, {g * H})" if isinstance(g, int) else ""))
    G = BLOCKS[cell]

    if kernel is None:
        raise _missing(arrays, source, label("kernel"), f"(D, {G}·H) = (D, {G * H})")
    K = _numbers(arrays[kernel], f"{source}: {kernel}")  # (D, G·H), acts on x_t as a row
    if K.ndim != 2 or K.shape[1] != G * H or K.shape[0] == 0:
        raise InputError(f"{source}: {kernel}", f"expected shape (D, {G}·H) = (D, {G * H}) as {recurrent} is "
                         f"{_shape(U.shape)}, found {_shape(K.shape)}")

    b_x = b_h = None
    b_names = {}
    variant = "reset-after" if cell == "gru" else None  # Keras's default, and all a bias-free GRU can say
    if bias is not None:
        b = _numbers(arrays[bias], f"{source}: {bias}")
        if cell == "gru" and b.shape == (2, G * H):  # reset_after=True: row 0 input side, row 1 recurrent side
            b_x, b_h = b
            b_names = {"b_x": f"{bias}[0, {{a}}:{{b}}]", "b_h": f"{bias}[1, {{a}}:{{b}}]"}
        elif b.shape == (G * H,):
            b_x, variant = b, ("reset-before" if cell == "gru" else None)
            b_names = {"b_x": f"{bias}[{{a}}:{{b}}]"}
        else:
            gru = f" or (2, {G}·H) = (2, {G * H})" if cell == "gru" else ""
            raise InputError(f"{source}: {bias}", f"expected shape ({G}·H,) = ({G * H},){gru}, "
                             f"found {_shape(b.shape)}")
    peepholes = _peepholes(arrays, roles, KERAS_PEEPHOLES, cell, H, source)
    title = "PeepholeLSTMCell" if peepholes else TITLES["keras", cell]
    where = f" {path}" if path else ""
    return Packed(
        cell, K.T, U.T, b_x, b_h,  # transposed: (G·H, D) and (G·H, H), the blocks now stacked by rows
        names={"W_x": f"{kernel}[:, {{a}}:{{b}}].T", "W_h": f"{recurrent}[:, {{a}}:{{b}}].T", **b_names},
        origin=f"Keras {title}{where}" + (", backward" if direction == "backward" else ""),
        notes=_keras_notes(cell, kernel, recurrent, bias, two_biases=b_h is not None, title=title),
        variant=variant, peepholes=peepholes,
    )


def _peepholes(arrays, roles, known, cell, H, source):
    """The (course name, (H,) array, source) of each peephole vector among roles; only an LSTM has them."""
    found = [(known[role], roles[role]) for role in known if role in roles]
    if found and cell != "lstm":
        raise InputError(f"{source}: {found[0][1]}", f"a peephole weight belongs to an LSTM; this layer is a {cell}")
    result = []
    for name, array in found:
        p = _numbers(arrays[array], f"{source}: {array}")
        if p.shape != (H,):
            raise InputError(f"{source}: {array}", f"expected shape (H,) = ({H},), found {_shape(p.shape)}")
        result.append((name, p, array))
    return tuple(result)


def _tf1_layer(arrays, roles, cell, source, forget_bias):
    """TF1 LSTMCell: kernel (D+H, 4·H) acts on the row [x_t, h_{t-1}], gate blocks i, j, f, o (j the candidate);
    bias (4·H,); the peephole diagonals w_f_diag, w_i_diag (on c_{t-1}) and w_o_diag (on c_t);
    forget_bias added to the forget gate's pre-activation."""
    if cell not in (None, "lstm"):
        raise InputError("--cell", f"TF1 LSTMCell arrays are an lstm's, not a {cell}'s")
    kernel, bias = roles.get("kernel"), roles.get("bias")
    if kernel is None:
        raise _missing(arrays, source, "kernel", "(D+H, 4·H)")
    W = _numbers(arrays[kernel], f"{source}: {kernel}")
    if W.ndim != 2 or W.shape[1] % 4 or W.shape[1] == 0 or W.shape[0] <= W.shape[1] // 4:
        raise InputError(f"{source}: {kernel}", f"expected shape (D+H, 4·H) with D ≥ 1, found {_shape(W.shape)}")
    H = W.shape[1] // 4
    D = W.shape[0] - H
    b_x = None
    if bias is not None:
        b_x = _numbers(arrays[bias], f"{source}: {bias}")
        if b_x.shape != (4 * H,):
            raise InputError(f"{source}: {bias}", f"expected shape (4·H,) = ({4 * H},), found {_shape(b_x.shape)}")
    peepholes = _peepholes(arrays, roles, TF1_DIAGONALS, "lstm", H, source)
    notes = (f"Source convention: TensorFlow 1 LSTMCell, {kernel} (D+H, 4H) acting on the row [x_t, h_{{t-1}}],",
             "  gate blocks in the order i, j, f, o (j is the candidate c̃): rows [0, D) act on x_t, rows [D, D+H) on",
             "  h_{t-1}; gate k is columns [k·H, (k+1)·H), transposed to the course's (H, D) and (H, H).",
             f"  b_f adds TensorFlow's forget_bias, {forget_bias!r} (--forget-bias sets it), to the f block of {bias}."
             if bias else f"  No bias; b_f is TensorFlow's forget_bias, {forget_bias!r} (--forget-bias sets it).",
             *(["  Peepholes: w_f_diag and w_i_diag act on c_{t-1}, w_o_diag on c_t, as P_f, P_i and P_o."]
               if peepholes else []))
    return Packed(
        "lstm", W[:D].T, W[D:].T, b_x, None,  # (4·H, D) and (4·H, H), the blocks stacked by rows
        names={"W_x": f"{kernel}[:{D}, {{a}}:{{b}}].T", "W_h": f"{kernel}[{D}:, {{a}}:{{b}}].T",
               "b_x": f"{bias}[{{a}}:{{b}}]"},
        origin="TensorFlow LSTMCell" + (" with peepholes" if peepholes else ""), notes=notes,
        order=GATE_ORDER["tf1"]["lstm"], peepholes=peepholes, forget_bias=float(forget_bias),
    )


def _keras_notes(cell, kernel, recurrent, bias, two_biases, title=None):
    G, v = BLOCKS[cell], STATE[cell]
    lines = [f"Source convention: Keras {title or TITLES['keras', cell]} layer.get_weights(), gate blocks in the "
             f"order {FRAMEWORK_GATES['keras'][cell]}.",
             f"  {kernel} (D, {G}H) acts on x_t and {recurrent} (H, {G}H) on {v}_{{t-1}}, as row vectors",
             "  (x @ kernel): gate k is columns [k·H, (k+1)·H), transposed to the course's (H, D) and (H, H)."]
    if bias is None:
        lines.append("  No bias (use_bias=False): every b is written as 0.")
        if cell == "gru":
            lines.append("  Without a bias the arrays cannot tell reset_after; this assumes Keras's default, True:"
                         " add variant: reset-before for reset_after=False.")
    elif cell == "gru" and two_biases:
        lines += [f"  Biases: {bias} (2, 3H) means reset_after=True: row 0 is added on the input side, row 1",
                  "  on the recurrent side. b_r and b_z are their sums; the candidate keeps them apart, as Keras",
                  "  resets the recurrent part only: n = tanh(W_nx x_t + b_n + r ⊙ (W_nh h_{t-1} + b_nh)),",
                  "  b_n from row 0, b_nh from row 1 (rnncalc's default GRU variant)."]
    elif cell == "gru":
        lines += [f"  Biases: {bias} (3H,) means reset_after=False: one bias per gate, and the reset gate acts",
                  "  before the recurrent weight, n = tanh(W_nx x_t + W_nh (r ⊙ h_{t-1}) + b_n):",
                  "  written as variant: reset-before."]
    else:
        lines.append(f"  Biases: {bias} ({G}H,), one block per gate.")
    lines.append("  This assumes Keras's default activations (tanh, and recurrent_activation='sigmoid')."
                 if cell != "rnn" else "  The activation is not in the arrays: see activation: below.")
    return tuple(lines)



# ---------------------------------------------------------------- the course's names

def course_params(packed: Packed, order: str) -> tuple[dict, dict]:
    """Split the stacked blocks into the course's per-gate arrays; order gives the course letter of each block.

    Block k is rows [k·H, (k+1)·H): W_{gate}{state} (H, H) acts on the state, W_{gate}x (H, D) on x_t.
    The two biases are added where that is exact (every gate whose pre-activation is one sum); the GRU's
    reset-after candidate keeps them apart: b_n on the input side, b_nh inside r ⊙ (W_nh h + b_nh).
    """
    H, _ = packed.sizes
    state = STATE[packed.cell]
    params, sources = {}, {}
    for gate in COURSE_GATES[packed.cell]:
        k = order.index(gate)
        rows, span = slice(k * H, (k + 1) * H), {"a": k * H, "b": (k + 1) * H}
        params[f"W_{gate}{state}"] = packed.W_h[rows]  # (H, H)
        sources[f"W_{gate}{state}"] = packed.names["W_h"].format(**span)
        params[f"W_{gate}x"] = packed.W_x[rows]  # (H, D)
        sources[f"W_{gate}x"] = packed.names["W_x"].format(**span)
        x_side = _block(packed.b_x, packed.names.get("b_x"), rows, span)
        h_side = _block(packed.b_h, packed.names.get("b_h"), rows, span)
        if gate == "n" and packed.variant == "reset-after":  # n = tanh(W_nx x + b_n + r ⊙ (W_nh h + b_nh))
            params["b_n"], sources["b_n"] = _bias_sum([x_side], H)
            params["b_nh"], sources["b_nh"] = _bias_sum([h_side], H)
        else:
            params[f"b_{gate}"], sources[f"b_{gate}"] = _bias_sum([x_side, h_side], H)
    return params, sources


def _block(b, name, rows, span):
    """A bias's block of rows with where it came from, or None for a bias the layer does not have."""
    return None if b is None else (b[rows], name.format(**span))


def _bias_sum(sides, H):
    """The sum of the bias blocks given (None for an absent one), in float64, with where it came from."""
    sides = [side for side in sides if side is not None]
    if not sides:
        return np.zeros(H), "0: the layer has no bias"
    total = sides[0][0]
    for block, _ in sides[1:]:
        total = total + block
    return total, " + ".join(name for _, name in sides)


def _header(packed, source):
    H, D = packed.sizes
    cell, v = packed.cell, STATE[packed.cell]
    if cell == "lstm":
        initial = "The initial states h0 and c0 are 0 unless you add them here or pass --h0 / --c0."
    else:
        initial = f"The initial state {v}0 is 0 unless you add it here or pass --{v}0."
    steps = np.eye(2, D, dtype=int) if D > 1 else None  # two example steps of D numbers
    example = "1,0,-1" if D == 1 else "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in steps) + "]"
    return [f"rnncalc {cell}: hidden size H = {H}, input size D = {D}.",
            f"Converted by rnncalc convert from {Path(source).name} ({packed.origin}).",
            "",
            *packed.notes,
            f"Course names: {COURSE_NAMES[cell]} (rnncalc equations {cell}).",
            "Each key's comment names the block of the source it was copied from.",
            "",
            f"Add the input sequence as an x: key or pass it with -x, e.g. rnncalc {cell} FILE -x '{example}'.",
            *([f"This is a backward direction: it reads x_T first, so give the input reversed; its {v}_t at the",
               "k-th step is the framework's output at t = T − k + 1."] if packed.origin.endswith("backward") else []),
            initial]


def _stack_header(model, source, bidirectional):
    first = model.layers[0][next(iter(model.layers[0]))]
    H, D = first.sizes
    cell, n = first.cell, len(model.layers)
    shape = f"{n} layer{'s' * (n > 1)}" + (", bidirectional" if bidirectional else "")
    example = "1,0,-1" if D == 1 else "[" + ", ".join("[" + ", ".join(map(str, row)) + "]"
                                                      for row in np.eye(2, D, dtype=int)) + "]"
    states = "h0 and c0" if cell == "lstm" else f"{STATE[cell]}0"
    address = "layers.1.forward" if bidirectional else "layers.1"
    lines = [f"rnncalc {cell}: {shape}, hidden size H = {H}, input size D = {D}.",
             f"Converted by rnncalc convert from {Path(source).name} ({model.title}, {shape}).",
             "",
             *first.notes,
             f"Course names: {COURSE_NAMES[cell]} (rnncalc equations {cell}).",
             "Each key's comment names the block of the source it was copied from.",
             "",
             "Layer 1 reads x_t; layer l+1 reads layer l's visible state at t"
             + (" (forward ‖ backward); the backward direction runs from t = T down to 1." if bidirectional else ".")]
    if model.dense is not None:
        lines.append("W_y and b_y, the Dense layer, read the top layer's output at every step, as after "
                     "return_sequences=True.")
        if bidirectional:
            lines.append("After a Bidirectional layer with return_sequences=False, Keras's Dense reads the two "
                         "directions' final states instead: the backward one's is its state after x_1.")
    lines += [f"Add the input sequence as an x: key or pass it with -x, e.g. rnncalc {cell} FILE -x '{example}'.",
              f"The initial states {states} are 0 unless you add them to a layer's mapping, or pass "
              f"-p {address}.{STATE[cell]}0=VALUE."]
    return lines


# ---------------------------------------------------------------- YAML

def flow(a) -> str:
    """An array as a YAML flow list, each number written with repr(): read back, it is the same float64.

    >>> flow(np.array([[0.1, -2.0], [1e-20, 1/3]]))
    '[[0.1, -2.0], [1e-20, 0.3333333333333333]]'
    """
    if np.ndim(a) == 1:
        return "[" + ", ".join(repr(float(v)) for v in a) + "]"
    return "[" + ", ".join(flow(row) for row in a) + "]"


def to_yaml(conversion: Conversion | Stack) -> str:
    """The YAML text: the comment block, cell:, the options, then every parameter with its source;
    for a Stack, the layers as a `layers:` list, then the output layer."""
    if isinstance(conversion, Stack):
        return _stack_yaml(conversion)
    lines = [f"# {line}".rstrip() for line in conversion.header]
    lines += ["", f"cell: {conversion.cell}"]
    lines += [f"{key}: {value}  # {comment}" for key, (value, comment) in conversion.options.items()]
    lines.append("")
    lines += [f"{name}: {flow(a)}  # {conversion.sources[name]}" for name, a in conversion.params.items()]
    return "\n".join(lines) + "\n"


def _stack_yaml(stack: Stack) -> str:
    lines = [f"# {line}".rstrip() for line in stack.header]
    lines += ["", f"cell: {stack.cell}"]
    lines += [f"{key}: {str(value).lower() if isinstance(value, bool) else value}  # {comment}"
              for key, (value, comment) in stack.options.items()]
    lines += ["", "layers:"]
    for n, layer in enumerate(stack.layers, start=1):
        lines.append(f"  # layer {n}")
        for k, (direction, conversion) in enumerate(layer.items()):
            entries = [f"{key}: {value}  # {comment}" for key, (value, comment) in conversion.options.items()]
            entries += [f"{name}: {flow(a)}  # {conversion.sources[name]}" for name, a in conversion.params.items()]
            if len(layer) == 1 and "bidirectional" not in stack.options:
                lines += [("  - " if i == 0 else "    ") + entry for i, entry in enumerate(entries)]
            else:
                lines.append(("  - " if k == 0 else "    ") + f"{direction}:")
                lines += [f"      {entry}" for entry in entries]
    if stack.output:
        lines.append("")
        lines += [f"{name}: {flow(a)}  # {source}" for name, (a, source) in stack.output.items()]
    return "\n".join(lines) + "\n"
