"""Stacked and bidirectional networks: a `layers:` problem as one single-layer Problem per layer and direction.

    layer 1 reads x_t; layer l+1 reads layer l's visible state v_t,
    the forward ‖ backward concatenation [v→_t; v←_t] when the network is bidirectional;
    the backward direction runs the same cell from t = T down to 1, its "previous" state the one after x_{t+1};
    the top output o_t = [v→_t; v←_t] of the top layer (what PyTorch returns as `output`),
    and an optional output layer y_t = act(W_y o_t + b_y).

Backpropagation reuses backward.reverse layer by layer, from the top: the cotangent on a layer's visible state
at t is the part of dL/dx_t that the layer above passed on (its first H entries to the forward direction,
the next H to the backward one), so each layer's gradients are those of its own single-layer trace.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np

from . import cells, engine, mathops
from .backward import Gradients, Loss, reverse, totals
from .choices import DIRECTIONS
from .errors import InputError
from .expectations import _expectation, _loss
from .problem import (CELL_OPTIONS, Flags, Problem, build, check_cell, grad_step_bytes, param_flags,
                      refuse_long_grad)
from .text import clipped
from .values import Entry, _array, _kind, _mapping, _named_flags, _shaped, _tolerance, _whole
from .yamlio import Document

MAX_LAYERS = 100  # layers in a stack; building each costs a few milliseconds

# Top-level keys of a stack file; every other key belongs in a layer's mapping.
STACK_KEYS = ("cell", "name", "bidirectional", "x", "layers", "W_y", "b_y", "output", "digits", "atol",
              "expect", "loss", "target")
# Top-level keys that are defaults for every layer's mapping.
LAYER_DEFAULTS = ("round", "round_state", "weights", "biases", "hidden", *CELL_OPTIONS)
# -p / --expect addresses: layers.2.backward.W_fh, layers.1.h (one direction), or a top-level name.
ADDRESS = re.compile(r"^layers\.(?P<layer>[0-9]{1,18})\.(?:(?P<direction>forward|backward)\.)?(?P<key>[^.]+)$")


@dataclass
class Layer:
    """One direction of one layer: its Problem (xs replaced by the layer's input at run time)."""
    number: int  # from 1, at the input
    direction: str
    problem: Problem

    @property
    def label(self):
        return f"layer {self.number} · {self.direction}"


@dataclass
class Stack:
    """A stacked (and maybe bidirectional) network ready to run."""
    cell: str
    bidirectional: bool
    layers: list  # [Layer], in the order layer 1 forward, layer 1 backward, layer 2 forward, ...
    xs: np.ndarray  # (T, D) the input of layer 1
    source: str = ""
    output: dict = field(default_factory=dict)  # {"W_y": (K, width), "b_y": (K,), "act": "softmax"} or {}
    digits: int = 4
    atol: float | None = None
    expect: list = field(default_factory=list)  # [Expectation] on "output" or "y"
    loss: Loss | None = None
    name: str | None = None

    @property
    def width(self):
        """The size of the top output: H of the top layer, twice that when bidirectional."""
        return self.layers[-1].problem.sizes["H"] * (2 if self.bidirectional else 1)

    def directions(self, number):
        return [layer for layer in self.layers if layer.number == number]


@dataclass
class Trace:
    """A stack's run: for each Layer, its steps in time order (t = the input each read); the top output."""
    steps: dict  # label -> [engine.Step], t = 1..T
    output: np.ndarray  # (T, width)
    y: np.ndarray | None = None  # (T, K) with an output layer
    broken: tuple | None = None  # (label, t, key) of the first non-finite quantity


@dataclass
class StackGradients:
    """loss: L. layers: label -> Gradients of that direction (steps in time order). output: dL/dW_y, dL/db_y."""
    loss: float
    layers: dict
    output: dict = field(default_factory=dict)


# ---------------------------------------------------------------- reading a stack file

def build_stack(cell_name: str, doc: Document, flags: Flags) -> Stack:
    """Check a `layers:` problem and the command line, and build a Problem for each layer and direction."""
    source = doc.source
    data = dict(_mapping(doc))
    top = {k: Entry(v, doc.where(k), source, doc.where(k).rsplit(": ", 1)[0]) for k, v in data.items()}
    addressed, top_params = _top_params(flags)
    top.update(top_params)  # -p KEY=V for a top-level key acts as the file's KEY: V
    data.update({k: e.value for k, e in top_params.items()})
    check_cell(top.get("cell"), cell_name)
    for key, entry in top.items():
        if entry.origin == "--param" and (key not in (*STACK_KEYS, *LAYER_DEFAULTS) or key == "layers"):
            name = cells.CELLS[cell_name]().param_names[0] if key == "layers" else clipped(key)
            example = f"layers.1.{'forward.' * (data.get('bidirectional') is True)}{name}"
            raise entry.fail(f"a stack's values are addressed by layer, e.g. {example}" if key != "layers" else
                             f"the layers are given in the file; address one layer's value, e.g. {example}")
        if key not in (*STACK_KEYS, *LAYER_DEFAULTS):
            raise InputError(entry.at or entry.where, f"'{clipped(key)}' belongs in a layer's mapping under layers:, "
                                                      "or is not a key of a stack file")
    bidirectional = top["bidirectional"].value if "bidirectional" in top else False
    if not isinstance(bidirectional, bool):
        raise top["bidirectional"].fail(f"expected true or false, found {_kind(bidirectional)}")
    mappings = _layer_mappings(top["layers"], bidirectional)
    for flag, value in flags.states.items():
        address = "layers.1.forward" if bidirectional else "layers.1"
        raise InputError(f"--{flag}", f"a stack has an initial state per layer and direction: give it with "
                                      f"-p {address}.{flag}={clipped(value)}")
    if flags.input is not None:
        raise InputError("--input", "a stack's input size is x's; each layer above reads the one below")
    overrides = _overrides(addressed, mappings, bidirectional)
    expects, top_expect = _addressed(flags.expect, top.get("expect"), mappings, bidirectional, flags.no_expect)

    defaults = {k: data[k] for k in LAYER_DEFAULTS if k in data}
    layers, xs, below = [], None, []
    for number, directions in enumerate(mappings, start=1):
        if number > 1:
            below = layers[-len(directions):]  # the layer under this one, each direction
        for direction, mapping in directions.items():
            where = f"{source}: layers.{number}" + (f".{direction}" if bidirectional else "")
            width = sum(layer.problem.sizes["H"] for layer in below)  # the input size of this layer, above 1
            if xs is None:
                x = {"x": data["x"]} if "x" in data else {}
            else:
                x = {"x": np.zeros((len(xs), width)) if below else xs, "input": width if below else xs.shape[1]}
            address = f"layers.{number}." + (f"{direction}." if bidirectional else "")
            problem = _layer_problem(cell_name, where, address, {**defaults, **_checked(mapping, where), **x},
                                     overrides.get((number, direction), []), flags if xs is None else None, flags)
            if xs is None:
                xs = np.array(list(problem.xs), dtype=float).reshape(-1, problem.sizes["D"])  # (T, D)
            problem.steps = len(xs)
            problem.expect = [_layer_expectation(problem, key, entry, len(xs))
                              for key, entry in expects.get((number, direction), [])]
            layers.append(Layer(number, direction, problem))
    stack = Stack(cell_name, bidirectional, layers, xs, source, digits=layers[0].problem.digits,
                  name=str(data["name"]) if "name" in data else None)
    stack.output = _output_layer(top, flags, stack.width)
    stack.atol = flags.atol if flags.atol is not None else layers[0].problem.atol
    if "atol" in top and flags.atol is None:
        stack.atol = _tolerance(top["atol"])
    if "digits" in top and flags.digits is None:
        stack.digits = _whole(top["digits"], 0, 17, stack.digits)
        for layer in layers:
            layer.problem.digits = stack.digits
    for layer in layers:
        layer.problem.atol = stack.atol
    if "y" in top_expect and not stack.output:
        raise top_expect["y"].fail("no quantity 'y': the stack has no output layer W_y; expect output instead")
    stack.expect = [_expectation(name, entry, stack.output["W_y"].shape[0] if name == "y" else stack.width,
                                 len(xs)) for name, entry in top_expect.items()]
    stack.loss = _stack_loss(cell_name, stack, top, flags)  # checked without --grad too, as for one layer
    if flags.grad:
        refuse_long_grad(sum(grad_step_bytes(layer.problem.cell, layer.problem.sizes) for layer in layers), len(xs))
    return stack


def _checked(mapping, where):
    """A layer's mapping, which may not hold the keys of the whole stack."""
    if not isinstance(mapping, dict):
        raise InputError(where, f"expected a mapping of the layer's keys (W_fh, h0, ...), found "
                                f"{type(mapping).__name__}")
    for key in mapping:
        _refuse_in_layer(key, f"{where}: {key}")
    return mapping


def _refuse_in_layer(key, where):
    """A key of the whole stack, given for one layer (in its mapping or with -p layers.L.KEY=V)."""
    if key in ("x", "input"):
        raise InputError(where, "layer 1 reads the stack's x and each layer above the one below: "
                                "give x at the top level")
    if key in ("expect", "loss", "target", "output", "W_y", "b_y", "digits", "atol", "bidirectional", "layers"):
        raise InputError(where, f"'{key}' is a key of the whole stack: give it at the top level")


def _layer_problem(cell_name, where, address, data, overrides, input_flags, flags):
    """One direction of one layer as a Problem: its mapping (with the stack's defaults and its input), the -p
    values addressed to it (as KEY=V, each acting as the mapping's KEY), and the command line's fills, sizes,
    rounding and options. input_flags gives layer 1's -x / --x-file. Rounding is refused under --grad as for
    one layer."""
    layer_flags = Flags(
        x=input_flags.x if input_flags else None, x_file=input_flags.x_file if input_flags else None,
        params=overrides, address=address,
        weights=flags.weights, biases=flags.biases, hidden=flags.hidden,
        round=flags.round, round_sigmoid=flags.round_sigmoid, round_tanh=flags.round_tanh,
        round_state=flags.round_state, options={k: v for k, v in flags.options.items() if k != "output"},
        no_expect=True, digits=flags.digits,
    )
    problem = build(cell_name, Document(data, where), layer_flags)
    if flags.grad and problem.rounding.active:
        raise InputError("--grad", "cannot differentiate a rounded run: a rounded σ, tanh or state is piecewise "
                                   f"constant, with no gradient ({where} rounds); run without rounding")
    return problem


def _layer_mappings(entry, bidirectional):
    """layers: as a list of {direction: mapping}, checked for the directions it must have."""
    layers = entry.value
    if not isinstance(layers, list) or not layers:
        raise entry.fail("expected a list of layers, each a mapping of its keys"
                         + (" under forward: and backward:" if bidirectional else ""))
    if len(layers) > MAX_LAYERS:
        raise entry.fail(f"{len(layers):,} layers are over rnncalc's limit of {MAX_LAYERS}")
    result = []
    for number, item in enumerate(layers, start=1):
        where = f"{entry.where}.{number}"
        if not bidirectional:
            if isinstance(item, dict) and set(item) & set(DIRECTIONS):
                raise InputError(where, "has forward:/backward: but the stack is not bidirectional; "
                                        "add bidirectional: true at the top level")
            result.append({"forward": item})
            continue
        if not isinstance(item, dict) or set(item) != set(DIRECTIONS):
            found = sorted(item) if isinstance(item, dict) else type(item).__name__
            raise InputError(where, f"a bidirectional layer has exactly forward: and backward:, found {found}")
        result.append({d: item[d] for d in DIRECTIONS})
    return result


def _split(address, what, mappings, bidirectional):
    """(layer number, direction, key) of layers.L[.DIRECTION].KEY, checked against the stack."""
    m = ADDRESS.match(address)
    where = f"{what} {clipped(address)}"
    example = f"layers.1.{'forward.' * bidirectional}{clipped(address.rsplit('.', 1)[-1])}"
    if not m:
        raise InputError(where, f"a stack's values are addressed by layer, e.g. {example}")
    number, direction, key = int(m["layer"]), m["direction"], clipped(m["key"])
    if not 1 <= number <= len(mappings):
        raise InputError(where, f"the stack has layers 1–{len(mappings)}")
    if bidirectional and direction is None:
        raise InputError(where, f"say the direction: layers.{number}.forward.{key} or layers.{number}.backward.{key}")
    if not bidirectional and direction == "backward":
        raise InputError(where, "the stack is not bidirectional: it has no backward direction")
    return number, direction or "forward", m["key"]


def _top_params(flags):
    """-p layers.L.KEY=V (as they are), and -p KEY=V for a key of the whole stack as Entries by KEY,
    each to act as the file's KEY; a key given also by a flag of its own is refused, as for one layer."""
    addressed = [item for item in flags.params if item.partition("=")[0].strip().startswith("layers.")]
    return addressed, param_flags(Flags(**{**vars(flags), "params": [i for i in flags.params if i not in addressed]}))


def _overrides(items, mappings, bidirectional):
    """-p layers.L.DIRECTION.KEY=VALUE as KEY=VALUE by (layer, direction)."""
    per_layer = {}
    for item in items:
        address, sep, text = item.partition("=")
        if not sep:
            raise InputError("--param", f"expected NAME=VALUE, found '{clipped(item)}'")
        number, direction, key = _split(address.strip(), "--param", mappings, bidirectional)
        _refuse_in_layer(key, f"--param {clipped(address.strip())}")
        per_layer.setdefault((number, direction), []).append(f"{key}={text}")
    return per_layer


def _addressed(items, file_entry, mappings, bidirectional, no_expect):
    """--expect (or the file's expect:) split into each layer's "NAME=VALUES" flags and the top's Entries
    (output, y). The command line's replace the file's, as for one layer."""
    per_layer, top = {}, {}
    entries = {}
    if file_entry is not None and not items and not no_expect:
        if not isinstance(file_entry.value, dict):
            raise file_entry.fail("expected a mapping such as {output: [0.1, 0.2]} or {layers.1.forward.h: ...}")
        for name, value in file_entry.value.items():
            entries[str(name)] = Entry(value, f"{file_entry.where} {clipped(name)}", file_entry.origin)
    entries.update(_named_flags(items, "--expect", "NAME=V1,V2,..."))
    for name, entry in entries.items():
        if name in ("output", "y"):
            top[name] = entry
            continue
        if not name.startswith("layers."):
            raise entry.fail(f"a stack's expected values name the top output (output, or y with W_y) or a layer's "
                             f"quantity, e.g. layers.1.{'forward.' if bidirectional else ''}{clipped(name)}")
        number, direction, key = _split(name, "--expect", mappings, bidirectional)
        per_layer.setdefault((number, direction), []).append((key, entry))
    return per_layer, top


def _layer_expectation(problem, key, entry, count):
    """An expected value of one of the layer's quantities, checked against its cell as for one layer."""
    cell = problem.cell
    sizes_of = {q: problem.sizes[cell.equation(q.removesuffix("_pre")).dim] for q in cell.quantities}
    if key not in sizes_of:
        close = difflib.get_close_matches(key, list(sizes_of), n=1) if len(key) < 100 else []
        raise entry.fail(f"no quantity '{clipped(key)}'" + (f"; did you mean {close[0]}?" if close
                                                   else f"; the {cell.name} cell has {' '.join(sizes_of)}"))
    return _expectation(key, entry, sizes_of[key], count)


def _output_layer(top, flags, width):
    """W_y (K, width), b_y (K,) and the output function, read from the top level (or -p W_y=...)."""
    entries = {k: top[k] for k in ("W_y", "b_y") if k in top}
    act_flag = flags.options.get("output")
    if "W_y" not in entries:
        if "b_y" in entries:
            raise entries["b_y"].fail("an output bias needs the output weights W_y (K, width) too")
        if "output" in top or act_flag:
            where = "--output" if act_flag else top["output"].where
            raise InputError(where, "there is no output layer: give W_y (K, width) at the top level")
        return {}
    W = _array(entries["W_y"])
    if W.ndim != 2 or W.shape[1] != width:
        found = "(" + ", ".join(map(str, W.shape)) + ")"
        raise entries["W_y"].fail(f"expected shape (K, {width}): it reads the top output, width {width}; "
                                  f"found {found}")
    b = _shaped(entries["b_y"], _array(entries["b_y"]), (W.shape[0],), "(K,)") if "b_y" in entries \
        else np.zeros(W.shape[0])
    act = act_flag or (top["output"].value if "output" in top else "softmax")
    if act not in cells.OUTPUTS:
        raise top["output"].fail(f"expected one of {', '.join(cells.OUTPUTS)}, found {_kind(act)}")
    return {"W_y": W, "b_y": b, "act": act}


def _stack_loss(cell_name, stack, top, flags):
    """The loss of --grad, read as for one layer with the top output (width 2H when bidirectional) as the
    visible state and W_y's output as y."""
    cell = cells.CELLS[cell_name]()
    sizes = {"H": stack.width}
    if stack.output:
        cell = cell.with_output(stack.output["act"])
        sizes["K"] = stack.output["W_y"].shape[0]
    return _loss(cell, sizes, len(stack.xs), top, flags)


# ---------------------------------------------------------------- running it

def run_stack(stack: Stack) -> Trace:
    """Every layer in order, each direction over its input; the top output; y with an output layer."""
    T = len(stack.xs)
    xs, steps = stack.xs, {}
    for number in sorted({layer.number for layer in stack.layers}):
        visible = []
        for layer in stack.directions(number):
            p = layer.problem
            p.xs = xs
            order = xs if layer.direction == "forward" else xs[::-1]
            run = []
            for k, s in enumerate(engine.run(p.cell, p.params, p.init, order, p.rounding), start=1):
                s.t = k if layer.direction == "forward" else T - k + 1  # the input x_t the step read
                run.append(s)
                bad = s.nonfinite()
                if bad is not None:
                    return Trace(steps, np.zeros((0, stack.width)), broken=(layer.label, s.t, bad))
            steps[layer.label] = run if layer.direction == "forward" else run[::-1]
            visible.append(np.array([s.values[p.cell.visible] for s in steps[layer.label]]))  # (T, H)
        xs = np.concatenate(visible, axis=1)  # (T, H) or (T, 2H): forward ‖ backward
    trace = Trace(steps, xs)
    if stack.output:
        with np.errstate(all="ignore"):
            z = engine.x_products(stack.output["W_y"], xs) + stack.output["b_y"]  # (T, K), as a single layer
            trace.y = np.array([mathops.ACTIVATIONS[stack.output["act"]](row) for row in z])
        if not np.all(np.isfinite(trace.y)):
            trace.broken = ("output", int(np.argmin(np.all(np.isfinite(trace.y), axis=1))) + 1, "y")
    return trace


def computed(layer, trace):
    """The steps of one direction in the order it computed them: t = 1..T forward, T..1 backward."""
    steps = trace.steps[layer.label]
    return steps if layer.direction == "forward" else steps[::-1]


# ---------------------------------------------------------------- backpropagation through the stack

def output_cotangent(stack: Stack, trace: Trace):
    """L and dL/do_t (T, width) on the top output, with dL/dW_y and dL/db_y through an output layer."""
    loss, o, T = stack.loss, trace.output, len(trace.output)
    grads = {}
    g = np.zeros_like(o)  # (T, width)
    if loss.kind == "sum":  # L = Σ_k o_T[k]: an output layer takes no part, and its gradients are 0
        g[-1] = 1.0
        if stack.output:
            grads = {"W_y": np.zeros_like(stack.output["W_y"]), "b_y": np.zeros_like(stack.output["b_y"])}
        return float(np.sum(o[-1])), g, grads
    if loss.kind == "xent":  # y = softmax(z): dL/dz_t = y_t − onehot(k_t)
        k = np.asarray(loss.target).astype(int)
        z = engine.x_products(stack.output["W_y"], o) + stack.output["b_y"]  # (T, K), as a single layer
        value = -float(sum(mathops.log_softmax(z[t])[k[t]] for t in range(T)))  # finite where y_t[k_t] underflows
        dz = trace.y - np.eye(trace.y.shape[1])[k]
    else:
        q = trace.y if stack.output else o
        target = np.asarray(loss.target, dtype=float)
        rows = range(T) if target.ndim == 2 else range(T - 1, T)
        target = target if target.ndim == 2 else target[None]
        dq = np.zeros_like(q)
        for row, t in enumerate(rows):
            dq[t] = q[t] - target[row] if loss.kind == "mse" else target[row]
        value = 0.5 * float(np.sum(dq ** 2)) if loss.kind == "mse" else float(sum(
            np.dot(target[row], q[t]) for row, t in enumerate(rows)))
        if not stack.output:
            return value, dq, grads
        act = stack.output["act"]
        z = engine.x_products(stack.output["W_y"], o) + stack.output["b_y"]  # (T, K), as a single layer
        dz = np.array([mathops.activation_vjp(act, z[t], trace.y[t], dq[t]) for t in range(T)])
    grads["W_y"] = np.zeros((dz.shape[1], o.shape[1]))  # Σ_t dz_t o_tᵀ, (K, width), in time order as a
    grads["b_y"] = np.zeros(dz.shape[1])  # single layer sums its steps' parts
    for dz_t, o_t in zip(dz, o):
        grads["W_y"] += np.multiply.outer(dz_t, o_t)
        grads["b_y"] += dz_t
    return value, dz @ stack.output["W_y"], grads  # dL/do_t = W_yᵀ dz_t


def backward_stack(stack: Stack, trace: Trace) -> StackGradients:
    """From the top layer down: each direction's reverse pass seeded with its share of dL/dv_t, the next
    layer's cotangent the sum of the directions' dL/dx_t, in time order."""
    value, g, out_grads = output_cotangent(stack, trace)
    result = StackGradients(value, {}, out_grads)
    T = len(stack.xs)
    for number in sorted({layer.number for layer in stack.layers}, reverse=True):
        below = None
        offset = 0
        for layer in stack.directions(number):
            p = layer.problem
            H = p.sizes["H"]
            share = g[:, offset:offset + H]  # (T, H), in time order
            offset += H
            steps = computed(layer, trace)
            order = range(T) if layer.direction == "forward" else range(T - 1, -1, -1)
            seeds = [{p.cell.visible: share[t]} for t in order]
            records, d_init, norms = reverse(p.cell, p.params, p.init, steps, seeds, jacobian=True)
            params = totals(p.cell, p.params, records)
            if layer.direction == "backward":
                records, norms = records[::-1], norms[::-1]
            result.layers[layer.label] = Gradients(
                loss=value, params=params,
                init={s.init_key: d_init[s.name] + np.zeros(np.shape(p.init[s.name])) for s in p.cell.states},
                steps=records, jacobian_norms=norms)
            dx = np.array([r.values["dx"] for r in records])  # (T, D), time order
            below = dx if below is None else below + dx
        g = below
    return result

