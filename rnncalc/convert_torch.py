"""PyTorch: nn.LSTM / nn.GRU / nn.RNN (or their Cell versions) from a state_dict's names, with an nn.Linear
after them as the output layer; and .pt / .pth files read through torch when it is installed.

A state_dict is already the common layout: weight_ih_l{N} (G·H, D), weight_hh_l{N} (G·H, H), bias_ih_l{N}
and bias_hh_l{N} (G·H,); the _reverse arrays are each layer's backward direction. An nn.LSTM with proj_size P
adds weight_hr_l{N} (P, H), h_t = W_hr (o_t ⊙ tanh(c_t)), and its weight_hh_l{N} is (4·H, P).
"""

from __future__ import annotations

from pathlib import Path

from .choices import DIRECTIONS
from .convert_layout import (BLOCKS, FRAMEWORK_GATES, MODULE_NAME, STATE, TITLES, TORCH_NAME, Model, Packed,
                             linear_head, listing, looks_keras, missing, numbers, projected_cell, quoted,
                             recurrent_cell, shape_text, span)
from .errors import InputError

MAX_PT_BYTES = 2**28  # a .pt file read whole by torch.load: 256 MiB, as an .npz's arrays
SAVEZ = "numpy.savez(path, **{k: v.numpy() for k, v in sd.items()})"


def load_pt(path: str) -> tuple[dict, list]:
    """A state_dict saved with torch.save(model.state_dict(), path), read with torch.load(weights_only=True):
    nothing but tensors is unpickled. torch is needed for this alone, so it is imported here. Returns the
    arrays and a note when they were a checkpoint's state_dict."""
    size = Path(path).stat().st_size
    if size > MAX_PT_BYTES:
        raise InputError(path, f"is {size:,} bytes, past the {MAX_PT_BYTES:,} rnncalc reads for a state_dict")
    try:
        import torch
    except ImportError:
        raise InputError(path, "reading a .pt file needs PyTorch (pip install torch); or, where torch is, "
                               f"save the state_dict sd as an .npz: {SAVEZ}") from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a file it cannot read; each is the file's fault here
        if type(e).__name__ == "UnpicklingError":
            raise InputError(path, "holds Python objects besides tensors (torch.save(model) saves the whole module), "
                                   "which torch.load(weights_only=True) does not unpickle; save the weights with "
                                   "torch.save(model.state_dict(), path)") from None
        reason = " ".join(str(e).split())[:200]
        raise InputError(path, f"torch.load(weights_only=True) cannot read it ({type(e).__name__}: {reason}); "
                               "save the model's weights with torch.save(model.state_dict(), path)") from None
    loaded, notes = _state_dict(loaded, torch, path)
    arrays = {}
    for key, value in loaded.items():
        if value.is_complex() or value.dtype == torch.bool:
            raise InputError(f"{path}: {quoted(key)}", f"expected real numbers, found {value.dtype}")
        arrays[str(key)] = value.detach().cpu().to(torch.float64 if value.is_floating_point() else torch.int64).numpy()
    return arrays, notes


def _state_dict(loaded, torch, path):
    """The state_dict a .pt file holds: the file's dict of tensors, or a checkpoint's one dict of tensors
    ({"model": model.state_dict(), "epoch": 3}); anything else is refused."""
    def of_tensors(d):
        return isinstance(d, dict) and d and all(isinstance(v, torch.Tensor) for v in d.values())
    if of_tensors(loaded):
        return loaded, []
    nested = [k for k, v in loaded.items() if of_tensors(v)] if isinstance(loaded, dict) else []
    if len(nested) == 1:
        return loaded[nested[0]], [f"read the state_dict under {quoted(str(nested[0]))}, the file's one dict of "
                                   f"tensors (beside {listing([str(k) for k in loaded if k != nested[0]])})"]
    what = f"a dict of {listing([str(k) for k in loaded])}" if isinstance(loaded, dict) and loaded else \
        f"an object of type {type(loaded).__name__}"
    raise InputError(path, f"holds {what}, not one state_dict (a dict of tensors); save it with "
                           "torch.save(model.state_dict(), path)")


def read_pytorch(arrays: dict, cell: str | None, layer: int | None, direction: str | None, source: str) -> Model:
    """Every layer of the recurrent module (or only `layer`), and an nn.Linear after it as the output layer.
    Any other module is refused: nothing in a state_dict is left out without a word."""
    found = {k: m for k, m in ((k, TORCH_NAME.match(k)) for k in arrays) if m}
    if not found:
        hint = "; these look like Keras arrays: try --from keras" if looks_keras(arrays) else ""
        raise missing(arrays, source, f"weight_hh_l{layer or 0}", "(G·H, H)", hint)
    prefixes = sorted({m["prefix"] for m in found.values()})
    prefix = prefixes[0]
    if len(prefixes) > 1:
        modules = ", ".join(quoted(p.rstrip(".")) if p else "(top level)" for p in prefixes)
        raise InputError(source, f"holds the recurrent weights of several modules ({modules}); "
                         "save one module's state_dict")
    biased = sorted(k for k, m in found.items() if m["side"] == "hr" and not k[len(m["prefix"]):].startswith("weight"))
    if biased:
        raise InputError(f"{source}: {quoted(biased[0])}", "is not an array of nn.LSTM: its projection "
                                                            "weight_hr has no bias")
    head = _linear_head(arrays, found, source)

    layers = sorted({int(m["layer"]) for m in found.values() if m["layer"] is not None})
    bidirectional = any(m["reverse"] for m in found.values())
    p = quoted(prefix) if prefix else ""
    if not layers and layer:
        raise InputError(f"--layer {layer}", f"{source} holds one cell ({p}weight_hh, no _lN suffix): layer 0 only")
    if layer is not None and layers and layer not in layers:
        held = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}–{layers[-1]}"
        raise InputError(f"--layer {layer}", f"{source} has no {p}weight_hh_l{layer}; it holds {held}")
    if direction is not None and layer is None and len(layers) > 1:
        raise InputError(f"--direction {direction}", f"{source} holds layers {layers[0]}–{layers[-1]}: "
                                                      "pick one with --layer N")
    if direction == "backward" and not bidirectional:
        raise InputError("--direction backward", f"{source} holds no _reverse arrays: the model is not bidirectional")
    if layer is None and layers != list(range(len(layers))):
        gap = next(n for n in range(len(layers) + 1) if n not in layers)
        raise InputError(source, f"holds {p}weight_hh_l{layers[-1]} but no {p}weight_hh_l{gap}: "
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
    model.dense = head
    return model


def _linear_head(arrays, found, source):
    """The one nn.Linear besides the recurrent module, as (W_y, b_y, sources), or None; any other module refused.
    It must come after the recurrent module in the state_dict, as a module defined after it does."""
    others = [k for k in arrays if k not in found]
    if not others:
        return None
    modules = {}
    for k in others:
        m = MODULE_NAME.match(k)
        if m is None:
            raise InputError(f"{source}: {quoted(k)}", "is neither a recurrent layer's array nor a module's "
                             ".weight or .bias; save the recurrent module's state_dict alone")
        modules.setdefault(m["module"], {})[m["kind"]] = k
    if len(modules) > 1:
        raise InputError(source, f"holds {len(modules)} modules besides the recurrent one "
                         f"({listing(modules)}); rnncalc converts a recurrent module and one nn.Linear after it")
    module, kinds = next(iter(modules.items()))
    weight, bias = kinds.get("weight"), kinds.get("bias")
    if weight is None:
        raise InputError(f"{source}: {quoted(bias)}", f"has no {quoted(module + '.weight')}: an nn.Linear has a "
                                                     "weight (K, width)")
    keys = list(arrays)
    if keys.index(weight) < min(keys.index(k) for k in found):
        raise InputError(f"{source}: {quoted(weight)}", "comes before the recurrent module; rnncalc converts a "
                         "recurrent module and an nn.Linear after it, reading its output")
    if arrays[weight].ndim != 2:
        raise InputError(f"{source}: {quoted(weight)}", f"expected an nn.Linear's weight (K, width), found "
                         f"{shape_text(arrays[weight].shape)}; rnncalc converts an nn.Linear after the recurrent module")
    W, b = linear_head(arrays[weight], arrays.get(bias), f"{source}: {quoted(weight)}",
                       f"{source}: {quoted(bias or '')}", "columns")
    return W, b, (quoted(weight), quoted(bias) if bias else "0: the layer has no bias")


def _torch_layer(arrays, cell, prefix, suffix, n, direction, source, bidirectional):
    """One direction of one layer: the arrays named {prefix}weight_ih{suffix} and so on."""
    w_ih, w_hh, b_ih, b_hh, w_hr = (f"{prefix}{kind}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih",
                                                                           "bias_hh", "weight_hr"))
    q_ih, q_hh = quoted(w_ih), quoted(w_hh)
    if w_hh not in arrays:
        raise missing(arrays, source, q_hh, "(G·H, H)")
    W_h = numbers(arrays[w_hh], f"{source}: {q_hh}")
    if w_hr not in arrays and any(k.startswith(f"{prefix}weight_hr_l") for k in arrays):  # proj_size is every layer's
        raise missing(arrays, source, quoted(w_hr), "(P, H): the model's other weight_hr arrays project every layer")
    W_r = numbers(arrays[w_hr], f"{source}: {quoted(w_hr)}") if w_hr in arrays else None
    if W_r is None:
        H, G, cell = recurrent_cell(W_h, cell, f"{source}: {q_hh}", stacked_rows=True)
    else:
        H, G, cell = projected_cell(W_h, W_r, cell, source, q_hh, quoted(w_hr))

    if w_ih not in arrays:
        raise missing(arrays, source, q_ih, f"({G}·H, D) = ({G * H}, D)")
    W_x = numbers(arrays[w_ih], f"{source}: {q_ih}")
    if W_x.ndim != 2 or W_x.shape[0] != G * H or W_x.shape[1] == 0:
        raise InputError(f"{source}: {q_ih}", f"expected shape ({G}·H, D) = ({G * H}, D) as {q_hh} is "
                         f"{shape_text(W_h.shape)}, found {shape_text(W_x.shape)}")

    biases = []
    for name, other in ((b_ih, b_hh), (b_hh, b_ih)):
        if name not in arrays:
            if other in arrays:
                raise InputError(source, f"has {quoted(other)} but no {quoted(name)}, expected shape ({G}·H,) = "
                                 f"({G * H},); a layer has both biases (bias=True) or neither (bias=False)")
            biases.append(None)
            continue
        b = numbers(arrays[name], f"{source}: {quoted(name)}")
        if b.shape != (G * H,):
            raise InputError(f"{source}: {quoted(name)}", f"expected shape ({G}·H,) = ({G * H},), "
                             f"found {shape_text(b.shape)}")
        biases.append(b)

    title = TITLES["pytorch", cell] + ("" if n is not None else "Cell")
    where = ("" if n is None else f", layer {n}") + (f", {direction}" if bidirectional else "")
    return Packed(
        cell, W_x, W_h, *biases,
        names={"W_x": span(w_ih), "W_h": span(w_hh), "b_x": span(b_ih), "b_h": span(b_hh),
               "W_r": span(w_hr, index="")},
        origin=f"PyTorch {title}{where}",
        notes=_torch_notes(cell, title, quoted(w_ih), q_hh, quoted(b_ih), quoted(b_hh), biases[0] is not None,
                           None if W_r is None else quoted(w_hr)),
        variant="reset-after" if cell == "gru" else None, backward=direction == "backward", W_r=W_r,
    )


def _torch_notes(cell, title, w_ih, w_hh, b_ih, b_hh, has_bias, w_hr=None):
    G, v = BLOCKS[cell], STATE[cell]
    lines = [f"Source convention: PyTorch {title} state_dict(), gate blocks in the order "
             f"{FRAMEWORK_GATES['pytorch'][cell]}.",
             f"  {w_ih} ({G}H, D) acts on x_t and {w_hh} ({G}H, {'P' if w_hr else 'H'}) on {v}_{{t-1}}, as column "
             "vectors (W x):",
             "  gate k is rows [k·H, (k+1)·H), copied as it is (no transpose)."]
    if w_hr:
        lines.append(f"  Projection (proj_size P): h_t = {w_hr} (o_t ⊙ tanh(c_t)), {w_hr} (P, H) copied as W_hm.")
    if not has_bias:
        lines.append("  No biases (bias=False): every b is written as 0.")
    elif cell == "gru":
        lines += [f"  Biases: b_r and b_z are {b_ih} + {b_hh} (torch adds both); the candidate keeps them apart,",
                  "  as torch resets the recurrent part only: n = tanh(W_nx x_t + b_n + r ⊙ (W_nh h_{t-1} + b_nh)),",
                  f"  b_n from {b_ih}, b_nh from {b_hh} (rnncalc's default GRU variant)."]
    else:
        lines.append(f"  Biases: torch adds {b_ih} and {b_hh} in every gate; each b here is their sum.")
    return tuple(lines)

