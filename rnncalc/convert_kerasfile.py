"""Keras 3 files: a .keras model (a zip of config.json and model.weights.h5) and a .weights.h5 file, read
through h5py (pip install 'rnncalc[keras]') without Keras.

The structure comes from the model, never from a layer's name: config.json lists the layers in order with
every option that changes the numbers (go_backwards, merge_mode, reset_after, activation, return_sequences),
and the weights file keeps each layer's variables under layers/<its class in snake case, numbered>/, a
recurrent layer's under cell/vars/0, 1, 2 (kernel, recurrent_kernel, bias), a Bidirectional layer's
under forward_layer/ and backward_layer/. A .weights.h5 file alone has no config: the options are
Keras's defaults, said on stderr.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile

from .cells import CELLS
from .convert_keras import keras_layer, unconfigured
from .convert_layout import KERAS_ROLES, Model, linear_head, quoted
from .choices import MERGES
from .errors import InputError
from .npyio import MAX_NPZ_NUMBERS

RECURRENT = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
RNN_ACTIVATIONS = CELLS["rnn"].option("activation").choices  # tanh, relu, sigmoid, linear
PASSED = ("InputLayer", "Dropout")  # layers that change nothing at inference
OUTPUTS = {"linear": "linear", None: "linear", "softmax": "softmax", "sigmoid": "sigmoid"}
MAX_CONFIG_BYTES = 2**24
SAVEZ = "numpy.savez(path, **{w.path: w.numpy() for w in model.weights})"


def _h5py(path):
    try:
        import h5py
    except ImportError:
        raise InputError(path, "reading a Keras file needs h5py: pip install 'rnncalc[keras]'; or, where Keras "
                               f"is, save the model's weights as an .npz: {SAVEZ}") from None
    return h5py


def read_keras_file(path: str, kind: str, cell: str | None, layer: int | None, direction: str | None) -> Model:
    h5py = _h5py(path)
    config = None
    try:
        if kind == "keras":
            with zipfile.ZipFile(path) as z:
                infos = {i.filename: i for i in z.infolist()}
                if infos["config.json"].file_size > MAX_CONFIG_BYTES:
                    raise InputError(f"{path}: config.json", f"is past {MAX_CONFIG_BYTES:,} bytes")
                if infos["model.weights.h5"].file_size > 8 * MAX_NPZ_NUMBERS + 2**20:
                    raise InputError(f"{path}: model.weights.h5", f"holds more than the {MAX_NPZ_NUMBERS:,} numbers "
                                                                  "rnncalc reads")
                config = _json(z.read("config.json"), f"{path}: config.json")
                weights = io.BytesIO(z.read("model.weights.h5"))
        else:
            weights = path
        with h5py.File(weights, "r") as f:
            _check_budget(f, path)
            if config is None:
                return _weights_only(f, path, cell, layer, direction)
            try:
                return _from_config(f, config, path, cell, layer, direction)
            except (AttributeError, TypeError, ValueError) as e:  # a config.json that Keras did not write
                raise InputError(f"{path}: config.json", "does not describe a model as Keras 3 saves one "
                                 f"({type(e).__name__}: {' '.join(str(e).split())[:120]})") from None
    except (OSError, zipfile.BadZipFile, KeyError) as e:
        raise InputError(path, f"cannot be read as a Keras file: {' '.join(str(e).split())[:200]}") from None


def _json(text, where):
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(where, f"is not JSON: {e}") from None


def _check_budget(f, path):
    """Every dataset's size and type, before any is read."""
    total = 0
    found = []
    f.visititems(lambda name, obj: found.append((name, obj)) if hasattr(obj, "shape") else None)
    for name, d in found:
        if d.dtype.kind not in "iuf" or d.dtype.itemsize > 8:
            raise InputError(f"{path}: {quoted(name)}", f"expected numbers, found dtype {d.dtype}")
        total += math.prod(d.shape)
        if total > MAX_NPZ_NUMBERS:
            raise InputError(f"{path}: {quoted(name)}", f"takes the file past {MAX_NPZ_NUMBERS:,} numbers, the "
                                                        "limit rnncalc reads")


def _vars(group, where):
    """A layer's variables in the order Keras saved them (vars/0, vars/1, ...)."""
    if "vars" not in group:
        raise InputError(where, "has no vars: not a layer Keras saved")
    v = group["vars"]
    return [v[k][()] for k in sorted(v, key=lambda k: int(k) if k.isdigit() else -1)]


def _snake(class_name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _recurrent(group, prefix, where, arrays):
    """The roles of a recurrent layer's cell/vars, its arrays added to arrays under prefix/kernel, ..."""
    if "cell" not in group:
        raise InputError(where, "has no cell/vars: not a recurrent layer's weights")
    values = _vars(group["cell"], where)
    if len(values) not in (2, 3):
        raise InputError(where, f"holds {len(values)} arrays; a recurrent layer has 2 or 3")
    roles = {}
    for role, value in zip(KERAS_ROLES, values):
        arrays[f"{prefix}/{role}"] = value
        roles[role] = f"{prefix}/{role}"
    return roles


# ---------------------------------------------------------------- a .keras model: its config says it all

def _from_config(f, config, path, cell, layer, direction):
    layers = _layer_list(config, path)
    used, arrays, stack, dense, options, merges = {}, {}, [], None, [], []
    every_step = False  # a TimeDistributed(Dense) reads the top output at every step whatever return_sequences
    for entry in layers:
        kind, cfg = entry.get("class_name"), entry.get("config") or {}
        name = str(cfg.get("name", "?"))
        where = f"{path}: {quoted(name)}"
        key = _snake(kind or "")
        used[key] = used.get(key, -1) + 1
        key = key if used[key] == 0 else f"{key}_{used[key]}"
        if kind in PASSED:
            continue
        if kind == "Activation" and dense is not None and dense[3] == "linear" and cfg.get("activation") in OUTPUTS:
            dense = (*dense[:3], OUTPUTS[cfg.get("activation")])  # Dense, then Activation('softmax')
            continue
        if dense is not None:
            raise InputError(where, f"{kind} comes after the Dense layer; rnncalc converts recurrent layers and one "
                                    "Dense layer after them (and its Activation)")
        group = f.get(f"layers/{key}")
        if group is None:
            raise InputError(where, f"has no weights at layers/{key} in model.weights.h5")
        if kind in RECURRENT:
            _options(cfg, kind, where)
            if cfg.get("go_backwards"):
                raise InputError(where, f"{kind}(go_backwards=True) reads x_T first and returns its states in that "
                                        "order, which a converted layer cannot say; only a Bidirectional layer's "
                                        "backward direction is converted reading x_T first")
            roles = _recurrent(group, name, where, arrays)
            stack.append({"forward": keras_layer(arrays, roles, cell, path, quoted, f" {quoted(name)}",
                                                 **_read_as(cfg, kind))})
            options.append(cfg)
        elif kind == "Bidirectional":
            stack.append(_bidirectional(group, cfg, arrays, cell, path, where))
            options.append(cfg["layer"]["config"])
            merges.append((cfg.get("merge_mode", "concat"), where))
        elif stack and (kind == "Dense" or kind == "TimeDistributed" and (cfg.get("layer") or {}).get("class_name")
                                                                         == "Dense"):
            every_step = kind == "TimeDistributed"
            dense = _dense(group["layer"] if every_step else group, cfg["layer"]["config"] if every_step else cfg,
                           name, where)
        else:
            raise InputError(where, f"is a {kind} layer; rnncalc converts LSTM, GRU and SimpleRNN layers, "
                                    "Bidirectional ones, Dropout, and one Dense layer after them")
    if not stack:
        raise InputError(path, "holds no recurrent layer (LSTM, GRU, SimpleRNN)")
    for cfg in options[:-1]:
        if not cfg.get("return_sequences"):
            raise InputError(f"{path}: {quoted(str(cfg.get('name', '?')))}", "return_sequences=False below another "
                             "recurrent layer; the layer above reads its output at every step")
    last = options[-1].get("return_sequences", False)
    model = Model("keras", stack, None, f"Keras {config.get('class_name')}")
    if merges and layer is None:
        model.merge = _merge(merges)
    if dense is not None:
        model.dense, model.output = dense[:3], dense[3]
        model.head_reads = "steps" if last or every_step else "final"
    elif not last:
        if len(stack[-1]) == 2 and layer is None:
            raise InputError(path, "its top Bidirectional layer has return_sequences=False: the model's output is "
                                   "[h_T forward ‖ h_1 backward], which an rnncalc stack's output cannot say yet; "
                                   "convert a layer at a time with --layer N")
        model.assumed.append("the top layer has return_sequences=False: the model's output is its state at t = T")
    return _select(model, layer, direction, path)


def _dense(group, cfg, name, where):
    """(W_y, b_y, sources, activation) of a Dense layer."""
    activation = cfg.get("activation")
    if activation not in OUTPUTS:
        raise InputError(where, f"Dense(activation={activation!r}): rnncalc's output layer is linear, softmax or "
                                "sigmoid")
    values = _vars(group, where)
    W, b = linear_head(values[0], values[1] if len(values) > 1 else None, f"{where}/kernel", f"{where}/bias", "rows")
    return W, b, (f"{quoted(name + '/kernel')}.T", quoted(name + "/bias") if len(values) > 1
                  else "0: the layer has no bias"), OUTPUTS[activation]


def _layer_list(config, path):
    kind = config.get("class_name") if isinstance(config, dict) else None
    body = config.get("config") if isinstance(config, dict) else None
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, dict) \
            or not isinstance(body.get("layers"), list):
        raise InputError(f"{path}: config.json", f"describes {quoted(str(kind))}; rnncalc converts a Sequential or "
                                                 "Functional model of layers")
    layers = body["layers"]
    for n, entry in enumerate(layers):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
                or not isinstance(entry.get("config") or {}, dict):
            raise InputError(f"{path}: config.json", f"layer {n} is not a layer's class_name and config")
    if kind != "Sequential":  # a Functional model converts when its layers form a chain, each reading the last
        previous = None
        for entry in layers:
            nodes = entry.get("inbound_nodes") or []
            sources = [a.get("config", {}).get("keras_history", [None])[0] for n in nodes
                       for a in n.get("args", []) if isinstance(a, dict)]
            if previous is not None and sources != [previous]:
                name = (entry.get("config") or {}).get("name", "?")
                raise InputError(f"{path}: {quoted(name)}", "does not read the layer before it alone; rnncalc "
                                                           "converts a model whose layers form one chain")
            previous = (entry.get("config") or {}).get("name")
    return layers


def _options(cfg, kind, where):
    """Refuse a recurrent layer whose activations are not the course's."""
    activation = cfg.get("activation", "tanh")
    if kind == "SimpleRNN":
        if activation not in RNN_ACTIVATIONS:
            raise InputError(where, f"SimpleRNN(activation={activation!r}): rnncalc's rnn takes "
                                    f"{', '.join(RNN_ACTIVATIONS)}")
        return
    recurrent = cfg.get("recurrent_activation", "sigmoid")
    if activation != "tanh" or recurrent != "sigmoid":
        raise InputError(where, f"{kind}(activation={activation!r}, recurrent_activation={recurrent!r}): the "
                                "course's cells use tanh and sigmoid")


def _read_as(cfg, kind):
    """keras_layer's reading of a layer from its config."""
    return {"reset_after": bool(cfg.get("reset_after", True)) if kind == "GRU" else None,
            "activation": cfg.get("activation", "tanh") if kind == "SimpleRNN" else None,
            "how": "layer in a .keras model", "told": True}


def _merge(merges):
    """The merge_mode every Bidirectional layer of a whole model shares: a stack's merge:."""
    modes = {mode for mode, _ in merges}
    for mode, where in merges:
        if mode not in MERGES:
            raise InputError(where, f"Bidirectional(merge_mode={mode!r}) returns the two directions apart; an rnncalc "
                                    f"stack joins them by {', '.join(MERGES)}: convert a direction at a time with "
                                    "--layer N --direction forward|backward")
    if len(modes) > 1:
        raise InputError(merges[0][1], f"its Bidirectional layers join their directions in different ways "
                                       f"({', '.join(sorted(modes))}); an rnncalc stack joins every layer's one way: "
                                       "convert a layer at a time with --layer N")
    return modes.pop()


def _bidirectional(group, cfg, arrays, cell, path, where):
    """A Bidirectional layer's two directions."""
    forward = cfg["layer"]
    backward = cfg.get("backward_layer") or {"class_name": forward["class_name"],
                                             "config": {**forward["config"], "go_backwards": True}}
    result = {}
    for d, entry, sub in (("forward", forward, "forward_layer"), ("backward", backward, "backward_layer")):
        kind, inner = entry.get("class_name"), entry.get("config") or {}
        inner_where = f"{where}/{quoted(str(inner.get('name', d)))}"
        if kind not in RECURRENT:
            raise InputError(inner_where, f"is a {kind}; rnncalc converts LSTM, GRU and SimpleRNN layers")
        _options(inner, kind, inner_where)
        if bool(inner.get("go_backwards")) != (d == "backward"):
            raise InputError(inner_where, f"the {d} layer has go_backwards={bool(inner.get('go_backwards'))}; rnncalc "
                                          "converts a Bidirectional layer whose backward layer reads x_T first")
        if sub not in group:
            raise InputError(where, f"has no {sub} in model.weights.h5")
        prefix = f"{cfg.get('name', '?')}/{inner.get('name', d)}"
        roles = _recurrent(group[sub], prefix, inner_where, arrays)
        result[d] = keras_layer(arrays, roles, cell, path, quoted, f" {quoted(prefix)}" + (", backward" if d ==
                                "backward" else ""), backward=d == "backward", **_read_as(inner, kind))
    return result


def _select(model, layer, direction, path):
    if layer is not None and layer >= len(model.layers):
        raise InputError(f"--layer {layer}", f"{path} has no recurrent layer {layer}; it holds layers "
                                             f"0–{len(model.layers) - 1}, counted from the input")
    if direction is not None and layer is None and len(model.layers) > 1:
        raise InputError(f"--direction {direction}", f"{path} holds layers 0–{len(model.layers) - 1}: "
                                                      "pick one with --layer N")
    if layer is not None:
        model.layers = [model.layers[layer]]
        model.dense = None
        model.assumed = []
    if direction is not None:
        if direction not in model.layers[0]:
            raise InputError(f"--direction {direction}", f"{path} holds one direction only: the layer is not "
                                                         "bidirectional")
        model.layers = [{direction: model.layers[0][direction]}]
    return model


# ---------------------------------------------------------------- a .weights.h5 file: no config

def _weights_only(f, path, cell, layer, direction):
    """Layers told apart by what each group holds and by its key, which Keras makes from the layer's class
    (lstm, lstm_1, dense; never the layer's name); their order from Keras's numbering of one class, so the
    recurrent layers must be of one class, and a Dense layer comes last."""
    top = f.get("layers")
    if top is None:
        legacy = "model_weights" in f or "layer_names" in f.attrs
        raise InputError(path, "is a Keras 2 HDF5 file; load it in Keras and save it with model.save('model.keras')"
                         if legacy else "has no layers/ group: not a Keras 3 weights file (model.save_weights)")
    recurrent, dense, arrays = {}, None, {}
    for key in top:
        group = top[key]
        if "vars" in group and not len(group["vars"]) and "cell" not in group and "forward_layer" not in group:
            continue  # a layer with no weights: InputLayer, Dropout
        family = re.sub(r"_[0-9]+\Z", "", key)
        number = int(key[len(family) + 1:] or 0) if key != family else 0
        if "forward_layer" in group or "cell" in group:
            recurrent.setdefault(family, []).append((number, key))
        elif dense is None and family == "dense" and "vars" in group and len(group["vars"]) in (1, 2):
            dense = key
        else:
            raise InputError(f"{path}: layers/{quoted(key)}", "is not a recurrent layer nor one Dense layer after "
                                                              "them; convert the model's .keras file")
    if len(recurrent) != 1:
        what = ", ".join(quoted(k) for k in sorted(recurrent)) or "none"
        raise InputError(path, f"holds recurrent layers of {len(recurrent)} kinds ({what}), and a .weights.h5 file "
                               "does not record their order; convert the model's .keras file (model.save)")
    stack = []
    for _, key in sorted(next(iter(recurrent.values()))):
        group, where = top[key], f"{path}: layers/{quoted(key)}"
        if "forward_layer" in group:
            stack.append({d: keras_layer(arrays, _recurrent(group[f"{d}_layer"], f"{key}/{d}_layer", where, arrays),
                                         cell, path, quoted, f" {quoted(key)}" + (", backward" if d == "backward"
                                         else ""), backward=d == "backward", how="layer in a .weights.h5 file")
                          for d in ("forward", "backward")})
        else:
            stack.append({"forward": keras_layer(arrays, _recurrent(group, key, where, arrays), cell, path, quoted,
                                                 f" {quoted(key)}", how="layer in a .weights.h5 file")})
    model = Model("keras", stack, None, "Keras weights")
    if dense is not None:
        values = _vars(top[dense], f"{path}: layers/{quoted(dense)}")
        W, b = linear_head(values[0], values[1] if len(values) > 1 else None, f"{path}: {dense}/kernel",
                           f"{path}: {dense}/bias", "rows")
        model.dense = (W, b, (f"{quoted(dense + '/kernel')}.T", quoted(dense + "/bias") if len(values) > 1
                              else "0: the layer has no bias"))
    model.assumed += unconfigured(stack, "a .weights.h5 file's weights")
    return _select(model, layer, direction, path)
