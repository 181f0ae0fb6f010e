"""A trained layer's arrays, as PyTorch or Keras keep them, to rnncalc YAML in the course's names.

Both frameworks pack a layer's gates into a few big arrays; the course writes one matrix per gate
and per operand. Converting is three small steps, each a pure function:

    read_pytorch / read_keras   the framework's arrays -> Packed, one common layout
    course_params               Packed -> {W_fh: ..., b_f: ...} by the framework's gate order
    to_yaml                     the course's arrays -> YAML, every float written with repr()

The common layout is PyTorch's: the G gate blocks stacked by rows, acting on column vectors.

    PyTorch  weight_ih_l0 (G·H, D)   weight_hh_l0 (G·H, H)       bias_ih_l0, bias_hh_l0 (G·H,)
    Keras    kernel (D, G·H)         recurrent_kernel (H, G·H)   bias (G·H,); GRU reset_after (2, G·H)

G is the number of gate blocks: 4 for the LSTM, 3 for the GRU, 1 for the simple RNN.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError

FRAMEWORKS = ("pytorch", "keras")
BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}  # G, the gate blocks stacked in one array
CELL_OF_BLOCKS = {g: cell for cell, g in BLOCKS.items()}
ARTICLE = {4: "an", 3: "a", 1: "an"}  # an lstm, a gru, an rnn
STATE = {"lstm": "h", "gru": "h", "rnn": "s"}  # the state a recurrent weight acts on: W_fh, W_ss

# Each framework's blocks in stacking order, as the course's gate letters.
GATE_ORDER = {
    "pytorch": {"lstm": "ifco", "gru": "rzn", "rnn": "s"},  # torch: i, f, g, o / r, z, n
    "keras": {"lstm": "ifco", "gru": "zrn", "rnn": "s"},  # Keras: i, f, c, o / z, r, h
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
    reset_after=True) or "reset-before" (Keras reset_after=False).
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


# ---------------------------------------------------------------- the whole conversion

def convert_file(path: str, framework: str, cell: str | None, layer: int) -> str:
    """The rnncalc YAML for one layer saved in an .npz by PyTorch (state_dict) or Keras (get_weights)."""
    if framework not in FRAMEWORKS:
        raise InputError("--from", f"expected one of {', '.join(FRAMEWORKS)}, found {framework!r}")
    if cell is not None and cell not in BLOCKS:
        raise InputError("--cell", f"expected one of {', '.join(BLOCKS)}, found {cell!r}")
    conversion = course_arrays(load_npz(path), framework, cell, layer, source=path)
    return to_yaml(conversion)


def course_arrays(arrays: dict, framework: str, cell: str | None = None, layer: int = 0,
                  source: str = "<arrays>") -> Conversion:
    """A layer's arrays, by the names its framework saved them under, in the course's names.

    An nn.LSTM with H = 1, D = 2: four blocks of one row, torch's i, f, g, o; the course's f is torch's 2nd.

    >>> W_ih = np.arange(8.0).reshape(4, 2)  # (4·H, D)
    >>> c = course_arrays({"weight_ih_l0": W_ih, "weight_hh_l0": np.ones((4, 1))}, "pytorch")
    >>> c.cell, c.params["W_fx"].tolist(), c.sources["W_fx"]
    ('lstm', [[2.0, 3.0]], 'weight_ih_l0[1:2]')
    """
    read = read_pytorch if framework == "pytorch" else read_keras
    packed = read(arrays, cell, layer, source)
    params, sources = course_params(packed, GATE_ORDER[framework][packed.cell])
    options = {}
    if packed.cell == "rnn":
        what = "nn.RNN(nonlinearity='relu')" if framework == "pytorch" else "SimpleRNN(activation='relu')"
        options["activation"] = ("tanh", f"the arrays cannot tell: change to relu for {what}")
    if packed.variant == "reset-before":
        options["variant"] = ("reset-before", "Keras reset_after=False: "
                                              "n = tanh(W_nx x_t + W_nh (r ⊙ h_{t-1}) + b_n)")
    return Conversion(packed.cell, params, sources, options, _header(packed, source))


# ---------------------------------------------------------------- reading the file

def load_npz(path: str) -> dict:
    """Every array in an .npz (numpy.savez's zip of .npy files), by name; nothing pickled is loaded."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a directory, not an .npz file")
    not_npz = "is not an .npz file; save the arrays with numpy.savez(path, **arrays)"
    if not zipfile.is_zipfile(p):
        raise InputError(path, not_npz)
    arrays = {}
    try:
        with np.load(p, allow_pickle=False) as npz:
            for name in npz.files:
                try:
                    arrays[name] = npz[name]
                except ValueError:  # an object array, which only unpickling could read
                    raise InputError(f"{path}: {name}", "holds Python objects, not numbers; "
                                     "save plain arrays (tensor.numpy())") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        raise InputError(path, not_npz) from None
    if not all(isinstance(a, np.ndarray) for a in arrays.values()):  # a zip of other files
        raise InputError(path, not_npz)
    if not arrays:
        raise InputError(path, "holds no arrays")
    return arrays


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
TORCH_NAME = re.compile(r"^(?P<prefix>(?:.*\.)?)(?:weight|bias)_(?P<side>ih|hh|hr)(?:_l(?P<layer>\d+))?"
                        r"(?P<reverse>_reverse)?$")


def read_pytorch(arrays: dict, cell: str | None, layer: int, source: str) -> Packed:
    """nn.LSTM / nn.GRU / nn.RNN (or their Cell versions) from state_dict() names: already the common layout."""
    found = {k: m for k in arrays if (m := TORCH_NAME.match(k))}
    keras_like = any(_keras_role(k) in KERAS_ROLES for k in arrays)
    hint = "; these look like Keras arrays: try --from keras" if keras_like else ""
    if not found:
        raise _missing(arrays, source, f"weight_hh_l{layer}", "(G·H, H)", hint)
    prefixes = sorted({m["prefix"] for m in found.values()})
    prefix = prefixes[0]
    if len(prefixes) > 1:
        modules = ", ".join(p.rstrip(".") or "(top level)" for p in prefixes)
        raise InputError(source, f"holds the recurrent weights of several modules ({modules}); "
                         "save one module's state_dict")
    weights_first = lambda k: (k[len(prefix):].startswith("bias"), k)  # noqa: E731
    reverse = sorted((k for k, m in found.items() if m["reverse"]), key=weights_first)
    if reverse:
        raise InputError(f"{source}: {reverse[0]}", "a bidirectional layer (bidirectional=True) is not converted: "
                         "rnncalc traces one direction of one cell; save a unidirectional model")
    projected = sorted(k for k, m in found.items() if m["side"] == "hr")
    if projected:
        raise InputError(f"{source}: {projected[0]}", "an LSTM with a projection (proj_size > 0) is not converted: "
                         "the course LSTM has no h_t = W_hr (o_t ⊙ tanh(c_t))")

    layers = sorted({int(m["layer"]) for m in found.values() if m["layer"] is not None})
    suffix = f"_l{layer}" if layers else ""
    if not layers and layer > 0:
        raise InputError(f"--layer {layer}", f"{source} holds one cell ({prefix}weight_hh, no _lN suffix): "
                         "layer 0 only")
    if layers and layer not in layers:
        held = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}–{layers[-1]}"
        raise InputError(f"--layer {layer}", f"{source} has no {prefix}weight_hh_l{layer}; it holds {held}")
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

    title = TITLES["pytorch", cell] + ("" if layers else "Cell")
    return Packed(
        cell, W_x, W_h, *biases,
        names={"W_x": f"{w_ih}[{{a}}:{{b}}]", "W_h": f"{w_hh}[{{a}}:{{b}}]",
               "b_x": f"{b_ih}[{{a}}:{{b}}]", "b_h": f"{b_hh}[{{a}}:{{b}}]"},
        origin=f"PyTorch {title}" + (f", layer {layer}" if layers else ""),
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


# ---------------------------------------------------------------- Keras

KERAS_ROLES = ("kernel", "recurrent_kernel", "bias")  # the order of layer.get_weights()


def _keras_role(name):
    """kernel, recurrent_kernel or bias from a saved name: the name itself, or the end of a weight's path
    (lstm/lstm_cell/kernel, ...:0), or arr_0/arr_1/arr_2, which np.savez(path, *layer.get_weights()) writes."""
    positional = re.fullmatch(r"arr_(\d+)", name)
    if positional:
        i = int(positional[1])
        return KERAS_ROLES[i] if i < len(KERAS_ROLES) else name
    return re.sub(r":\d+$", "", name).rsplit("/", 1)[-1]


def read_keras(arrays: dict, cell: str | None, layer: int, source: str) -> Packed:
    """LSTM / GRU / SimpleRNN from layer.get_weights(): row-vector layout, transposed to the common one."""
    if layer:
        raise InputError(f"--layer {layer}", f"{source} holds one Keras layer (layer.get_weights()); save the layer "
                         "you want with np.savez(path, *layer.get_weights()) and convert it without --layer")
    torch_like = any(TORCH_NAME.match(k) for k in arrays)
    hint = "; these look like PyTorch arrays: try --from pytorch" if torch_like else ""
    positional = sorted(k for k in arrays if re.fullmatch(r"arr_\d+", k))
    if positional and len(positional) < len(arrays):
        raise InputError(source, f"mixes named and unnamed arrays ({_listing(arrays)}); save either "
                         "np.savez(path, *layer.get_weights()) or kernel=, recurrent_kernel=, bias=")
    by_role = {}
    for name in sorted(arrays, key=lambda k: (len(k), k)):
        role = _keras_role(name)
        if role not in KERAS_ROLES and positional:
            raise InputError(source, f"holds {len(arrays)} arrays ({_listing(arrays)}); a Keras recurrent layer has "
                             "2 or 3 (kernel, recurrent_kernel, bias): a Bidirectional layer is not converted")
        if role not in KERAS_ROLES:
            raise InputError(f"{source}: {name}", "not a Keras recurrent layer's array; expected kernel, "
                             f"recurrent_kernel, bias (or arr_0, arr_1, arr_2 in that order){hint}")
        if role in by_role:
            raise InputError(source, f"holds two {role} arrays ({by_role[role]}, {name}); save one layer's "
                             "get_weights() (a Bidirectional layer is not converted)")
        by_role[role] = name
    kernel, recurrent, bias = (by_role.get(role) for role in KERAS_ROLES)

    def label(role):
        return f"arr_{KERAS_ROLES.index(role)} ({role})" if positional else role

    if recurrent is None:
        raise _missing(arrays, source, label("recurrent_kernel"), "(H, G·H)", hint)
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

    return Packed(
        cell, K.T, U.T, b_x, b_h,  # transposed: (G·H, D) and (G·H, H), the blocks now stacked by rows
        names={"W_x": f"{kernel}[:, {{a}}:{{b}}].T", "W_h": f"{recurrent}[:, {{a}}:{{b}}].T", **b_names},
        origin=f"Keras {TITLES['keras', cell]}",
        notes=_keras_notes(cell, kernel, recurrent, bias, two_biases=b_h is not None),
        variant=variant,
    )


def _keras_notes(cell, kernel, recurrent, bias, two_biases):
    G, v = BLOCKS[cell], STATE[cell]
    lines = [f"Source convention: Keras {TITLES['keras', cell]} layer.get_weights(), gate blocks in the order "
             f"{FRAMEWORK_GATES['keras'][cell]}.",
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
                 if cell != "rnn" else "  This assumes SimpleRNN's default activation, tanh.")
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
            initial]


# ---------------------------------------------------------------- YAML

def flow(a) -> str:
    """An array as a YAML flow list, each number written with repr(): read back, it is the same float64.

    >>> flow(np.array([[0.1, -2.0], [1e-20, 1/3]]))
    '[[0.1, -2.0], [1e-20, 0.3333333333333333]]'
    """
    if np.ndim(a) == 1:
        return "[" + ", ".join(repr(float(v)) for v in a) + "]"
    return "[" + ", ".join(flow(row) for row in a) + "]"


def to_yaml(conversion: Conversion) -> str:
    """The YAML text: the comment block, cell:, the options, then every parameter with its source."""
    lines = [f"# {line}".rstrip() for line in conversion.header]
    lines += ["", f"cell: {conversion.cell}"]
    lines += [f"{key}: {value}  # {comment}" for key, (value, comment) in conversion.options.items()]
    lines.append("")
    lines += [f"{name}: {flow(a)}  # {conversion.sources[name]}" for name, a in conversion.params.items()]
    return "\n".join(lines) + "\n"
