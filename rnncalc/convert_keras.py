"""Keras LSTM / GRU / SimpleRNN and TensorFlow 1 LSTMCell arrays: row-vector layouts, transposed to the common one.

An .npz holds a layer's get_weights() (arr_0, arr_1, ...), its arrays by role (kernel, recurrent_kernel, bias,
forward_kernel, ...), or a whole model's weights by path (model/bidirectional/forward_lstm/lstm_cell/kernel).
By path, a Bidirectional layer is told by its nesting, never by a layer's name: its two recurrent layers sit
one level below it, the forward one saved first.
"""

from __future__ import annotations

import re

from .choices import DIRECTIONS
from .convert_layout import (BLOCKS, FRAMEWORK_GATES, GATE_ORDER, KERAS_PEEPHOLES, KERAS_ROLES, POSITIONAL, ROLES,
                             STATE, TF1_DIAGONALS, TITLES, Model, Packed, keras_place, linear_head, listing,
                             looks_pytorch, missing, numbers, quoted, recurrent_cell, shape_text, span)
from .errors import InputError

def _positional_groups(arrays, positional, tensorflow):
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
        raise InputError("", f"holds {n} arrays ({listing(arrays)}); a Keras recurrent layer has 2 or 3 "
                         "(kernel, recurrent_kernel, bias), a Bidirectional layer 4 or 6 (the forward layer's, "
                         "then the backward layer's)")
    return [("", {"forward": dict(zip(KERAS_ROLES, positional))})]


def keras_groups(arrays, source, hint, tensorflow=False):
    """[(layer path, {direction: {role: array name}})] in the order saved; see the module's docstring."""
    positional = sorted((k for k in arrays if POSITIONAL.fullmatch(k)), key=lambda k: int(k[4:]))
    if positional and len(positional) < len(arrays):
        raise InputError(source, f"mixes named and unnamed arrays ({listing(arrays)}); save either "
                         "np.savez(path, *layer.get_weights()) or kernel=, recurrent_kernel=, bias=")
    if positional:
        try:
            return _positional_groups(arrays, positional, tensorflow)
        except InputError as e:
            raise InputError(source, e.message) from None
    for name in sorted(arrays, key=lambda k: (len(k), k)):
        if keras_place(name)[2] not in ROLES:
            raise InputError(f"{source}: {quoted(name)}", "not a Keras recurrent layer's array; expected kernel, "
                             f"recurrent_kernel, bias (or arr_0, arr_1, arr_2 in that order){hint}")
    layers = {}  # layer path -> {direction or None: {role: name}}
    for name in arrays:
        path, direction, role = keras_place(name)
        roles = layers.setdefault(path, {}).setdefault(direction, {})
        if role in roles:
            raise InputError(source, f"holds two {role} arrays ({quoted(roles[role])}, {quoted(name)}) for one "
                             "layer; save each layer's weights under its own path")
        roles[role] = name
    groups = []
    for path, directions in layers.items():
        if None in directions and len(directions) > 1:
            raise InputError(source, f"holds both {listing(directions[None].values())} and "
                             f"{listing(n for d, r in directions.items() if d for n in r.values())} for one layer; "
                             "name a Bidirectional layer's arrays forward_* and backward_*, each of both")
        if list(directions) == ["backward"]:
            raise InputError(source, f"holds a backward direction only ({listing(directions['backward'].values())}); "
                             "save both directions of the Bidirectional layer, or a one-direction layer's "
                             "arrays as kernel, recurrent_kernel, bias")
        groups.append((path, {d or "forward": roles for d, roles in directions.items()}))
    return _pair_directions(groups, arrays, source)


def _pair_directions(groups, arrays, source):
    """Two recurrent layers saved under one Bidirectional layer's path become its forward and backward
    directions. Under a model's path (model/bidirectional/forward_lstm) the nesting says it; two layers
    under one top-level path alone (x/a, x/b) are a Bidirectional layer or a model of two layers, told
    apart by their shapes."""
    recurrent = [(p, d) for p, d in groups if len(d) == 1 and "recurrent_kernel" in d["forward"]]
    by_parent = {}
    for path, _ in recurrent:
        by_parent.setdefault(path.rpartition("/")[0], []).append(path)
    pairs = {}
    for parent, paths in by_parent.items():
        depth = parent.count("/") + 1 if parent else 0
        if len(paths) != 2 or depth == 0:
            continue
        siblings = [p for p, _ in groups if p.rpartition("/")[0] == parent]
        if depth >= 2 or siblings == paths and _side_by_side(arrays, groups, paths, source):
            pairs[paths[0]] = paths[1]
    if not pairs:
        return groups
    paired = dict(groups)
    result = []
    for path, directions in groups:
        if path in pairs:
            result.append((path.rpartition("/")[0], {"forward": directions["forward"],
                                                      "backward": paired[pairs[path]]["forward"]}))
        elif path not in pairs.values():
            result.append((path, directions))
    return result


def _side_by_side(arrays, groups, paths, source):
    """Whether two layers under one top-level path are a Bidirectional layer's directions (both read the
    same input) rather than two stacked layers (the second reads the first's H)."""
    roles = [dict(groups)[p]["forward"] for p in paths]
    kernels = [arrays[r["kernel"]].shape if "kernel" in r else None for r in roles]
    recurrent = [arrays[r["recurrent_kernel"]].shape for r in roles]
    if None in kernels or any(len(s) != 2 for s in (*kernels, *recurrent)):
        return False
    both_read_x = kernels[0][0] == kernels[1][0] and recurrent[0] == recurrent[1]
    stacked = kernels[1][0] == recurrent[0][0]
    if both_read_x and stacked:
        raise InputError(source, f"holds two recurrent layers side by side ({quoted(paths[0])}, {quoted(paths[1])}) "
                         "that may be one Bidirectional layer or two stacked layers, and their shapes cannot "
                         "tell: convert the model's .keras file, which records it")
    return both_read_x


def read_keras(arrays: dict, cell: str | None, layer: int | None, direction: str | None, source: str,
               forget_bias: float | None = None, tensorflow: bool = False) -> Model:
    """Keras LSTM / GRU / SimpleRNN (alone, in a Bidirectional, or every layer of a Sequential by weight path,
    a final Dense as the output layer) and TF1 LSTMCell arrays."""
    hint = "; these look like PyTorch arrays: try --from pytorch" if looks_pytorch(arrays) else ""
    groups = keras_groups(arrays, source, hint, tensorflow)
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
            raise InputError(f"{source}: {quoted(path)}", "has no recurrent_kernel: a Dense layer is converted "
                                                          "only as the model's last, its output layer")
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
        model.layers.append({d: _npz_layer(arrays, path, directions[d], cell, source, hint, d, forget_bias)
                             for d in wanted})
    model.title = "Keras Sequential" if len(groups) > 1 or dense else next(iter(model.layers[0].values())).origin
    if not any(_is_tf1(p, r) for p, d in groups for r in d.values()):
        model.assumed += unconfigured(model.layers, "the arrays", len(groups) > 1 or dense is not None)
    return model


def unconfigured(layers, what, whole_model=True):
    """Notes on the options a file without a config cannot tell, and the defaults assumed for them."""
    options = "go_backwards=False" + (", merge_mode='concat'" if any(len(d) == 2 for d in layers) else "")
    notes = [f"{what} do not store the layers' options: assumed Keras's {options}"
             + ("; convert the model's .keras file to have them read" if whole_model else "")]
    if any(p.cell == "gru" and p.b_x is None for layer in layers for p in layer.values()):
        notes.append("a GRU without bias does not tell reset_after: assumed Keras's default, True; for "
                     "reset_after=False add variant: reset-before to the layer, or convert the .keras file")
    return notes


def _is_tf1(path, roles):
    """Whether a layer's arrays are a TF1 LSTMCell's: peephole diagonals, or a kernel on [x, h] alone
    under a cell's path (rnn/lstm_cell/kernel), or any lone kernel read --from tensorflow (marked "tf1")."""
    return "tf1" in roles or any(r in TF1_DIAGONALS for r in roles) or (
        "recurrent_kernel" not in roles and "kernel" in roles and "lstm_cell" in "/".join(roles.values()))


def _read_dense(arrays, roles, source):
    """A Keras Dense layer: kernel (width, K) acts on the row vector v_t; W_y is its transpose, (K, width)."""
    kernel, bias = roles.get("kernel"), roles.get("bias")
    if kernel is None:
        raise InputError(source, f"the last layer ({listing(roles.values())}) has no kernel")
    W, b = linear_head(arrays[kernel], arrays.get(bias), f"{source}: {quoted(kernel)}",
                       f"{source}: {quoted(bias or '')}", "rows")
    return W, b, (f"{quoted(kernel)}.T", quoted(bias) if bias else "0: the layer has no bias")


def _npz_layer(arrays, path, roles, cell, source, hint, direction, forget_bias):
    """One direction of one layer of an .npz (or one TF1 LSTMCell) as a Packed."""
    if _is_tf1(path, roles) and "recurrent_kernel" not in roles:
        return _tf1_layer(arrays, roles, cell, source, 1.0 if forget_bias is None else forget_bias)
    positional = all(POSITIONAL.fullmatch(n) for n in roles.values())

    def label(role):
        if positional:
            return f"arr_{KERAS_ROLES.index(role)} ({role})"
        return quoted(f"{path}/{role}" if path else f"{direction}_{role}" if direction == "backward" else role)

    if roles.get("recurrent_kernel") is None:
        kernel = roles.get("kernel")
        tf1 = "; a TF1 LSTMCell's kernel (on [x, h]) converts with --from tensorflow" if kernel and not positional \
            and not re.search(r"(forward|backward)_", kernel) else ""
        raise missing(arrays, source, label("recurrent_kernel"), "(H, G·H)", hint or tf1)
    where = f" {quoted(path)}" if path else ""
    return keras_layer(arrays, roles, cell, source, label, f"{where}" + (", backward" if direction == "backward"
                                                                         else ""), backward=direction == "backward")


def keras_layer(arrays, roles, cell, source, label, where="", backward=False, reset_after=None, activation=None,
                how="layer.get_weights()", told=False):
    """One Keras recurrent layer's kernel, recurrent_kernel and bias (named by roles) as a Packed.
    reset_after and activation are the layer's when its config says them (told); without a config a
    bias-free GRU is read as Keras's default, reset_after=True."""
    kernel, recurrent, bias = (roles.get(role) for role in KERAS_ROLES)
    U = numbers(arrays[recurrent], f"{source}: {quoted(recurrent)}")  # (H, G·H), acts on h_{t-1} as a row
    H, G, cell = recurrent_cell(U, cell, f"{source}: {quoted(recurrent)}", stacked_rows=False)

    if kernel is None:
        raise missing(arrays, source, label("kernel"), f"(D, {G}·H) = (D, {G * H})")
    K = numbers(arrays[kernel], f"{source}: {quoted(kernel)}")  # (D, G·H), acts on x_t as a row
    if K.ndim != 2 or K.shape[1] != G * H or K.shape[0] == 0:
        raise InputError(f"{source}: {quoted(kernel)}", f"expected shape (D, {G}·H) = (D, {G * H}) as "
                         f"{quoted(recurrent)} is {shape_text(U.shape)}, found {shape_text(K.shape)}")

    b_x = b_h = None
    b_names = {}
    variant = None
    if cell == "gru":  # Keras's default reset_after=True is all a bias-free GRU without a config can say
        variant = "reset-before" if reset_after is False else "reset-after"
    if bias is not None:
        b = numbers(arrays[bias], f"{source}: {quoted(bias)}")
        if cell == "gru" and b.shape == (2, G * H) and reset_after is not False:  # row 0 input side, 1 recurrent
            b_x, b_h = b
            b_names = {"b_x": span(bias, "[0, {a}:{b}]"), "b_h": span(bias, "[1, {a}:{b}]")}
        elif b.shape == (G * H,) and not (cell == "gru" and reset_after):
            b_x, variant = b, ("reset-before" if cell == "gru" else None)
            b_names = {"b_x": span(bias)}
        else:
            gru = f" or (2, {G}·H) = (2, {G * H})" if cell == "gru" and reset_after is None else \
                f" as reset_after={reset_after}" if cell == "gru" else ""
            expected = f"(2, {G}·H) = (2, {G * H})" if cell == "gru" and reset_after else f"({G}·H,) = ({G * H},)"
            raise InputError(f"{source}: {quoted(bias)}", f"expected shape {expected}{gru}, "
                             f"found {shape_text(b.shape)}")
    peepholes = _peepholes(arrays, roles, KERAS_PEEPHOLES, cell, H, source)
    title = "PeepholeLSTMCell" if peepholes else TITLES["keras", cell]
    q = [quoted(n) if n else None for n in (kernel, recurrent, bias)]
    return Packed(
        cell, K.T, U.T, b_x, b_h,  # transposed: (G·H, D) and (G·H, H), the blocks now stacked by rows
        names={"W_x": span(kernel, "[:, {a}:{b}]", ".T"), "W_h": span(recurrent, "[:, {a}:{b}]", ".T"), **b_names},
        origin=f"Keras {title}{where}",
        notes=_keras_notes(cell, *q, two_biases=b_h is not None, title=title, how=how,
                           told=told),
        variant=variant, peepholes=peepholes, activation=activation, backward=backward,
    )


def _peepholes(arrays, roles, known, cell, H, source):
    """The (course name, (H,) array, source) of each peephole vector among roles; only an LSTM has them."""
    found = [(known[role], roles[role]) for role in known if role in roles]
    if found and cell != "lstm":
        raise InputError(f"{source}: {quoted(found[0][1])}", f"a peephole weight belongs to an LSTM; this layer is "
                                                            f"a {cell}")
    result = []
    for name, array in found:
        p = numbers(arrays[array], f"{source}: {quoted(array)}")
        if p.shape != (H,):
            raise InputError(f"{source}: {quoted(array)}", f"expected shape (H,) = ({H},), found {shape_text(p.shape)}")
        result.append((name, p, quoted(array)))
    return tuple(result)


def _tf1_layer(arrays, roles, cell, source, forget_bias):
    """TF1 LSTMCell: kernel (D+H, 4·H) acts on the row [x_t, h_{t-1}], gate blocks i, j, f, o (j the candidate);
    bias (4·H,); the peephole diagonals w_f_diag, w_i_diag (on c_{t-1}) and w_o_diag (on c_t);
    forget_bias added to the forget gate's pre-activation."""
    if cell not in (None, "lstm"):
        raise InputError("--cell", f"TF1 LSTMCell arrays are an lstm's, not a {cell}'s")
    kernel, bias = roles.get("kernel"), roles.get("bias")
    if kernel is None:
        raise missing(arrays, source, "kernel", "(D+H, 4·H)")
    qk, qb = quoted(kernel), quoted(bias) if bias else None
    W = numbers(arrays[kernel], f"{source}: {qk}")
    if W.ndim != 2 or W.shape[1] % 4 or W.shape[1] == 0 or W.shape[0] <= W.shape[1] // 4:
        raise InputError(f"{source}: {qk}", f"expected shape (D+H, 4·H) with D ≥ 1, found {shape_text(W.shape)}")
    H = W.shape[1] // 4
    D = W.shape[0] - H
    b_x = None
    if bias is not None:
        b_x = numbers(arrays[bias], f"{source}: {qb}")
        if b_x.shape != (4 * H,):
            raise InputError(f"{source}: {qb}", f"expected shape (4·H,) = ({4 * H},), found {shape_text(b_x.shape)}")
    peepholes = _peepholes(arrays, roles, TF1_DIAGONALS, "lstm", H, source)
    notes = (f"Source convention: TensorFlow 1 LSTMCell, {qk} (D+H, 4H) acting on the row [x_t, h_{{t-1}}],",
             "  gate blocks in the order i, j, f, o (j is the candidate c̃): rows [0, D) act on x_t, rows [D, D+H) on",
             "  h_{t-1}; gate k is columns [k·H, (k+1)·H), transposed to the course's (H, D) and (H, H).",
             f"  b_f adds TensorFlow's forget_bias, {forget_bias!r} (--forget-bias sets it), to the f block of {qb}."
             if bias else f"  No bias; b_f is TensorFlow's forget_bias, {forget_bias!r} (--forget-bias sets it).",
             *(["  Peepholes: w_f_diag and w_i_diag act on c_{t-1}, w_o_diag on c_t, as P_f, P_i and P_o."]
               if peepholes else []))
    return Packed(
        "lstm", W[:D].T, W[D:].T, b_x, None,  # (4·H, D) and (4·H, H), the blocks stacked by rows
        names={"W_x": span(kernel, f"[:{D}, {{a}}:{{b}}]", ".T"), "W_h": span(kernel, f"[{D}:, {{a}}:{{b}}]", ".T"),
               "b_x": span(bias or "")},
        origin="TensorFlow LSTMCell" + (" with peepholes" if peepholes else ""), notes=notes,
        order=GATE_ORDER["tf1"]["lstm"], peepholes=peepholes, forget_bias=float(forget_bias),
    )


def _keras_notes(cell, kernel, recurrent, bias, two_biases, title, how, told):
    G, v = BLOCKS[cell], STATE[cell]
    lines = [f"Source convention: Keras {title} {how}, gate blocks in the order {FRAMEWORK_GATES['keras'][cell]}.",
             f"  {kernel} (D, {G}H) acts on x_t and {recurrent} (H, {G}H) on {v}_{{t-1}}, as row vectors",
             "  (x @ kernel): gate k is columns [k·H, (k+1)·H), transposed to the course's (H, D) and (H, H)."]
    if bias is None:
        lines.append("  No bias (use_bias=False): every b is written as 0.")
        if cell == "gru" and not told:
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
    lines.append("  Activations: tanh, and recurrent_activation='sigmoid'"
                 + (" (Keras's defaults, assumed)." if not told else ".")
                 if cell != "rnn" else "  The activation: see activation: below.")
    return tuple(lines)
