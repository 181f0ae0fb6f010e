"""A trained layer's or model's weights, as PyTorch, Keras or TensorFlow save them, to rnncalc YAML in the
course's names.

Both frameworks pack a layer's gates into a few big arrays; the course writes one matrix per gate
and per operand. Converting is three small steps, each a pure function:

    read_model    the file -> Model, every layer in one common layout (convert_layout), read by
                  convert_torch (state_dict, .pt), convert_keras (.npz) or convert_kerasfile (.keras, .h5)
    course_model  Model -> the course's arrays {W_fh: ..., b_f: ...} by the framework's gate order
    to_yaml       the course's arrays -> YAML, every float written with repr() (convert_yaml)

A conversion is exact or refused: what the file cannot tell is read from the model's config when it has one,
else assumed as the framework's default and said on stderr, or refused when the defaults are not the common
case; what rnncalc cannot express is refused in one line.
"""

from __future__ import annotations

import dataclasses

import zipfile
from pathlib import Path

import numpy as np

from .choices import FRAMEWORKS, HEADS
from .convert_keras import read_keras
from .convert_layout import BLOCKS, GATE_ORDER, STATE, Model, Packed, listing, looks_keras, looks_pytorch
from .convert_torch import load_pt, read_pytorch
from .convert_yaml import Conversion, Stack, flow, layer_header, stack_header, to_yaml
from .errors import InputError
from .npyio import read_npz

__all__ = ["convert_file", "course_arrays", "course_layer", "course_model", "course_params", "flow", "read_model",
           "to_yaml", "Conversion", "Stack"]

PEEPHOLE_ORDER = ("W_fh", "W_fx", "P_f", "b_f", "W_ih", "W_ix", "P_i", "b_i", "W_oh", "W_ox", "P_o", "b_o",
                  "W_ch", "W_cx", "b_c")  # rnncalc's order of the peephole LSTM's parameters
COURSE_GATES = {"lstm": "fioc", "gru": "rzn", "rnn": "s"}  # the order rnncalc lists them in
HDF5 = b"\x89HDF\r\n\x1a\n"


def convert_file(path: str, framework: str | None = None, cell: str | None = None, layer: int | None = None,
                 direction: str | None = None, activation: str | None = None, forget_bias: float | None = None,
                 output: str | None = None, head: str | None = None, variant: str | None = None) -> tuple[str, list]:
    """The rnncalc YAML for a layer, or a whole model, and notes for stderr on what was assumed. The file is
    an .npz (PyTorch's state_dict, Keras's get_weights() or weights by path, TensorFlow's variables), a .pt
    or .pth state_dict, a .keras model or a .weights.h5 file; framework is told by the file when not given."""
    if framework is not None and framework not in FRAMEWORKS:
        raise InputError("--from", f"expected one of {', '.join(FRAMEWORKS)}, found {framework!r}")
    if cell is not None and cell not in BLOCKS:
        raise InputError("--cell", f"expected one of {', '.join(BLOCKS)}, found {cell!r}")
    if head is not None and head not in HEADS:
        raise InputError("--head", f"expected one of {', '.join(HEADS)}, found {head!r}")
    notes = []
    model = read_model(path, framework, cell, layer, direction, forget_bias)
    unsettled = _settle_reset_after(model, variant, file_kind(path) == "keras", path)
    text = _converted(model, path, layer, direction, activation, output, head, notes)
    if unsettled:  # refused once the model is known to fit together, so that a worse fault is named first
        raise InputError(path, "holds a GRU without biases, whose arrays do not store Keras's reset_after: convert "
                               "with --variant reset-after (reset_after=True, Keras's default) or --variant "
                               "reset-before (reset_after=False), or convert the model's .keras file")
    return text, notes


def _converted(model, path, layer, direction, activation, output, head, notes):
    """The YAML of the model, or of the layer asked for; notes gets what was assumed."""
    notes += model.assumed
    if layer is not None or direction is not None or len(model.layers) == 1 and len(model.layers[0]) == 1 \
            and model.dense is None:
        chosen = model.layers[0]
        if direction == "backward" and "backward" not in chosen:
            raise InputError("--direction backward", f"{path} holds one direction only: the model is not "
                                                     "bidirectional")
        for flag, value in (("--output", output), ("--head", head)):
            if value is not None:
                raise InputError(f"{flag} {value}", f"{path} holds no output layer" if model.dense is None else
                                 "is for the whole model's output layer; --layer and --direction write one layer")
        packed = chosen[direction or "forward"]
        conversion = course_layer(packed, model.framework, activation, notes)
        conversion.header = layer_header(packed, path)
        return to_yaml(conversion)
    return to_yaml(course_model(model, activation, output, path, notes, head))


def _settle_reset_after(model, variant, configured, path):
    """A bias-free Keras GRU's reset_after, which only a config or --variant can say: whether it is left unsaid
    (to be refused); --variant is refused where the file says it (a config, or PyTorch's one layout)."""
    grus = [p for layer in model.layers for p in layer.values() if p.cell == "gru"]
    unsaid = [p for p in grus if model.framework == "keras" and not configured and p.b_x is None]
    if variant is not None and not unsaid:
        raise InputError(f"--variant {variant}", f"{path} says its GRU's variant itself" if grus else
                         f"{path} holds no GRU")
    if not unsaid or variant is None:
        return bool(unsaid)
    said = (f"  Without a bias the arrays cannot tell reset_after; --variant {variant} says it "
            f"(reset_after={variant == 'reset-after'}).")
    model.layers = [{d: dataclasses.replace(p, variant=variant, notes=tuple(
        said if line.startswith("  Without a bias the arrays cannot tell reset_after") else line for line in p.notes))
        if p in unsaid else p for d, p in layer.items()} for layer in model.layers]
    model.assumed = [n for n in model.assumed if not n.startswith("a GRU without bias does not tell reset_after")]
    return False


def read_model(path: str, framework: str | None, cell: str | None = None, layer: int | None = None,
               direction: str | None = None, forget_bias: float | None = None) -> Model:
    """Every layer of the file, or only `layer` (the source's count, from 0) when given."""
    kind = file_kind(path)
    if kind == "pt":
        _expect_framework(path, framework, "pytorch", "a PyTorch state_dict")
        arrays, notes = load_pt(path)
        model = model_of_arrays(arrays, "pytorch", cell, path, layer, direction, forget_bias)
        model.assumed[:0] = notes
        return model
    if kind in ("keras", "h5"):
        from .convert_kerasfile import read_keras_file

        _expect_framework(path, framework, "keras", "a Keras model" if kind == "keras" else "Keras weights")
        if forget_bias is not None:
            raise InputError("--forget-bias", "is TensorFlow 1's LSTMCell(forget_bias=...); a Keras file's "
                                              "layers have none")
        return read_keras_file(path, kind, cell, layer, direction)
    arrays = read_npz(path)
    if framework is None:
        framework = infer_framework(arrays, path)
    return model_of_arrays(arrays, framework, cell, path, layer, direction, forget_bias)


def model_of_arrays(arrays: dict, framework: str, cell: str | None, source: str, layer: int | None = None,
                    direction: str | None = None, forget_bias: float | None = None) -> Model:
    if forget_bias is not None and framework == "pytorch":
        raise InputError("--forget-bias", "is TensorFlow's LSTMCell(forget_bias=...); PyTorch has none: "
                                          "drop it, or convert with --from tensorflow")
    if framework == "pytorch":
        return read_pytorch(arrays, cell, layer, direction, source)
    return read_keras(arrays, cell, layer, direction, source, forget_bias, tensorflow=framework == "tensorflow")


def _expect_framework(path, framework, expected, what):
    if framework not in (None, expected) and (framework, expected) != ("tensorflow", "keras"):
        raise InputError(f"--from {framework}", f"{path} is {what}: convert it with --from {expected}, or without "
                                                "--from")


def file_kind(path: str) -> str:
    """"npz", "pt", "keras" or "h5", from the file's first bytes and, for a zip, the names it holds; a path
    that is no regular file (a directory, a device, a pipe) is refused before anything is read."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a directory, not an .npz file")
    if not p.is_file():
        raise InputError(path, "is not a regular file (a device or a pipe); give an .npz, .pt, .keras or "
                               ".weights.h5 file")
    try:
        with open(p, "rb") as f:
            start = f.read(len(HDF5))
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror or e}") from None
    if start == HDF5:
        return "h5"
    if zipfile.is_zipfile(p):
        try:
            with zipfile.ZipFile(p) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        if "config.json" in names and "model.weights.h5" in names:
            return "keras"
        if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
            return "pt"
        return "npz"
    if p.suffix.lower() in (".pt", ".pth"):
        return "pt"  # torch.save(..., _use_new_zipfile_serialization=False): a pickle, which torch.load reads
    if p.suffix.lower() in (".keras", ".h5"):
        raise InputError(path, "is not a .keras model (a zip of config.json and model.weights.h5) nor an HDF5 "
                               "file; save it with model.save(path) or model.save_weights(path)")
    raise InputError(path, "is not an .npz file; save the arrays with numpy.savez(path, **arrays)")


def infer_framework(arrays: dict, source: str) -> str:
    """pytorch or keras when the arrays' names admit that framework only; else --from is needed."""
    torch, keras = looks_pytorch(arrays), looks_keras(arrays)
    if torch != keras:
        return "pytorch" if torch else "keras"
    raise InputError(source, f"its arrays ({listing(arrays)}) are named as neither PyTorch's state_dict "
                             "(weight_ih_l0, ...) nor Keras's weights (kernel, recurrent_kernel, bias) name them: "
                             "give --from pytorch, keras or tensorflow to be told what is expected")


def course_arrays(arrays: dict, framework: str, cell: str | None = None, layer: int = 0,
                  source: str = "<arrays>") -> Conversion:
    """A layer's arrays, by the names its framework saved them under, in the course's names.

    An nn.LSTM with H = 1, D = 2: four blocks of one row, torch's i, f, g, o; the course's f is torch's 2nd.

    >>> W_ih = np.arange(8.0).reshape(4, 2)  # (4·H, D)
    >>> c = course_arrays({"weight_ih_l0": W_ih, "weight_hh_l0": np.ones((4, 1))}, "pytorch")
    >>> c.cell, c.params["W_fx"].tolist(), c.sources["W_fx"]
    ('lstm', [[2.0, 3.0]], 'weight_ih_l0[1:2]')
    """
    packed = model_of_arrays(arrays, framework, cell, source, layer).layers[0]["forward"]
    conversion = course_layer(packed, framework, None, [])
    conversion.header = layer_header(packed, source)
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
    if packed.W_r is not None:  # h_t = W_hm m_t, m_t = o_t ⊙ tanh(c_t)
        params["W_hm"], sources["W_hm"] = packed.W_r, packed.names["W_r"](0, len(packed.W_r))
    options = {}
    if packed.cell == "rnn":
        options["activation"] = _activation_option(packed, framework, activation, notes)
    elif activation not in (None, "tanh"):
        raise InputError(f"--activation {activation}", f"the course's {packed.cell} uses tanh and σ; "
                                                       "--activation sets an rnn layer's activation")
    if packed.variant == "reset-before":
        options["variant"] = ("reset-before", "Keras reset_after=False: "
                                              "n = tanh(W_nx x_t + W_nh (r ⊙ h_{t-1}) + b_n)")
    return Conversion(packed.cell, params, sources, options)


def _activation_option(packed, framework, activation, notes):
    """activation: (value, comment) for an rnn layer: the model's when its config says it, else --activation,
    else tanh and a note saying so."""
    if packed.activation is not None:
        if activation not in (None, packed.activation):
            raise InputError(f"--activation {activation}", f"the model's config says activation="
                                                           f"'{packed.activation}'; drop --activation")
        return packed.activation, "the model's config"
    what = "nn.RNN(nonlinearity='relu')" if framework == "pytorch" else "SimpleRNN(activation='relu')"
    if activation is not None:
        return activation, "--activation"
    note = (f"the arrays do not store the RNN's activation: assumed tanh, the frameworks' default; "
            f"for {what} convert with --activation relu")
    if note not in notes:
        notes.append(note)
    return "tanh", f"the arrays cannot tell: change to relu for {what}"


def course_model(model: Model, activation: str | None, output: str | None, source: str, notes: list,
                 head: str | None = None) -> Stack:
    """Every layer of a model in the course's names: one cell, every layer one or two directions."""
    cells = sorted({p.cell for layer in model.layers for p in layer.values()})
    if len(cells) > 1:
        raise InputError(source, f"holds layers of different cells ({', '.join(cells)}); an rnncalc stack has "
                                 "one cell: convert a layer at a time with --layer N")
    directions = sorted({len(layer) for layer in model.layers})
    if len(directions) > 1:
        raise InputError(source, "mixes bidirectional and one-directional layers; an rnncalc stack is one or the "
                                 "other: convert a layer at a time with --layer N")
    width, its = None, "H"
    for layer in model.layers:
        for p in layer.values():
            if width is not None and p.sizes[1] != width:
                raise InputError(source, f"{p.origin} reads input size D = {p.sizes[1]}, but the layer below "
                                         f"gives {width} (its {its}, times 2 when bidirectional)")
        width = sum(p.width for p in layer.values()) if model.merge == "concat" else next(iter(layer.values())).width
        its = "P" if any(p.W_r is not None for p in layer.values()) else "H"
    bidirectional = directions[0] == 2
    layers = [{d: course_layer(p, model.framework, activation, notes) for d, p in layer.items()}
              for layer in model.layers]
    out = _output_layer(model, width, bidirectional, output, head, source, notes)
    options = {}
    if bidirectional:
        options["bidirectional"] = (True, "layer l+1 reads layer l's forward ‖ backward visible states"
                                    if model.merge == "concat" else "layer l+1 reads layer l's directions, merged")
    if model.merge != "concat":
        options["merge"] = (model.merge, "Keras's merge_mode: how each layer joins its directions")
    values = [c.options.pop("activation") for layer in layers for c in layer.values() if "activation" in c.options]
    if values:
        if len({v[0] for v in values}) > 1:
            raise InputError(source, "its layers have different activations "
                             f"({', '.join(sorted({v[0] for v in values}))}); an rnncalc stack has one: "
                             "convert a layer at a time with --layer N")
        options["activation"] = values[0]
    if out:
        options["output"] = out.pop("output")
        if "head" in out:
            comment = out.pop("head")[1]
            options["head"] = ("final", f"{comment}: y reads the final states"
                               + (" [h_T forward ‖ h_1 backward]" if bidirectional else ", h_T"))
    return Stack(cells[0], layers, options, stack_header(model, source, bidirectional), out)


def _output_layer(model, width, bidirectional, output, head, source, notes):
    """{W_y, b_y, output} of the model's output layer, or {}; refused where rnncalc's y_t would not be the model's
    output: an output layer on a bidirectional model's final states, or one whose input the file cannot tell."""
    if model.dense is None:
        for flag, value in (("--output", output), ("--head", head)):
            if value is not None:
                raise InputError(f"{flag} {value}", f"{source} holds no output layer")
        return {}
    W_y, b_y, names = model.dense
    what = "the nn.Linear" if model.framework == "pytorch" else "the Dense layer"
    if W_y.shape[1] != width:
        raise InputError(f"{source}: {names[0].removesuffix('.T')}", f"{what} reads width {W_y.shape[1]}, but the "
                                                                     f"top layer gives {width}")
    if head is not None and model.head_reads not in (None, head):
        raise InputError(f"--head {head}", f"the model's config says its output layer reads the "
                                           f"{'final states' if model.head_reads == 'final' else 'output at every step'}"
                                           "; drop --head")
    reads = model.head_reads or head
    if bidirectional and reads is None:
        raise InputError(source, f"the file does not record whether {what} reads the output at every step "
                                 "(return_sequences=True, fc(output)) or the final states (fc(h_n)): convert with "
                                 "--head steps for the first, --head final for the second")
    if reads is None:
        notes.append(f"the file does not record what {what} reads: assumed the top output at every step, "
                     "y_t = W_y o_t + b_y; if it reads the final state (return_sequences=False, fc(h_n[-1])), "
                     "the model's output is y_T")
    if model.output is not None:
        if output not in (None, model.output):
            raise InputError(f"--output {output}", f"the model's config says activation='{model.output}'; "
                                                   "drop --output")
        function, comment = model.output, "the model's config"
    elif output is not None:
        function, comment = output, "--output"
    else:
        notes.append(f"the arrays do not store {what}'s activation: assumed linear, "
                     f"{'PyTorch' if model.framework == 'pytorch' else 'Keras'}'s default; "
                     "for a softmax (or sigmoid) output convert with --output softmax (or sigmoid)")
        function, comment = "linear", "the arrays cannot tell: change to softmax or sigmoid for the output's activation"
    out = {"W_y": (W_y, names[0]), "b_y": (b_y, names[1]), "output": (function, comment)}
    if reads == "final":
        out["head"] = ("final", "return_sequences=False" if model.framework == "keras" else "--head final: fc(h_n)")
    return out


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
        rows, a, b = slice(k * H, (k + 1) * H), k * H, (k + 1) * H
        params[f"W_{gate}{state}"] = packed.W_h[rows]  # (H, H)
        sources[f"W_{gate}{state}"] = packed.names["W_h"](a, b)
        params[f"W_{gate}x"] = packed.W_x[rows]  # (H, D)
        sources[f"W_{gate}x"] = packed.names["W_x"](a, b)
        x_side = None if packed.b_x is None else (packed.b_x[rows], packed.names["b_x"](a, b))
        h_side = None if packed.b_h is None else (packed.b_h[rows], packed.names["b_h"](a, b))
        if gate == "n" and packed.variant == "reset-after":  # n = tanh(W_nx x + b_n + r ⊙ (W_nh h + b_nh))
            params["b_n"], sources["b_n"] = _bias_sum([x_side], H)
            params["b_nh"], sources["b_nh"] = _bias_sum([h_side], H)
        else:
            params[f"b_{gate}"], sources[f"b_{gate}"] = _bias_sum([x_side, h_side], H)
    return params, sources


def _bias_sum(sides, H):
    """The sum of the bias blocks given (None for an absent one), in float64, with where it came from."""
    sides = [side for side in sides if side is not None]
    if not sides:
        return np.zeros(H), "0: the layer has no bias"
    total = sides[0][0]
    for block, _ in sides[1:]:
        total = total + block
    return total, " + ".join(name for _, name in sides)
