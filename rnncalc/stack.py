"""Stacked and bidirectional networks: a `layers:` problem as one single-layer Problem per layer and direction.

    layer 1 reads x_t; layer l+1 reads layer l's visible state v_t,
    the forward ‖ backward concatenation [v→_t; v←_t] when the network is bidirectional (or, with merge:, their
    sum, mean or product);
    the backward direction runs the same cell from t = T down to 1, its "previous" state the one after x_{t+1};
    the top output o_t = [v→_t; v←_t] of the top layer (what PyTorch returns as `output`),
    and an optional output layer y_t = act(W_y o_t + b_y).

Backpropagation reuses backward.reverse layer by layer, from the top: the cotangent on a layer's visible state
at t is the part of dL/dx_t that the layer above passed on (its first H entries to the forward direction,
the next H to the backward one), so each layer's gradients are those of its own single-layer trace.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

import numpy as np

from . import cells
from .backward import Loss
from .choices import DIRECTIONS, HEADS, MERGES
from .errors import InputError
from .expectations import read_expectation, read_loss
from .problem import (CELL_OPTIONS, Flags, Problem, build, check_cell, grad_step_bytes, param_flags,
                      refuse_long_grad)
from .text import clipped, shape_text
from .reading import Entry, value_array, read_choice, kind_of, read_mapping, named_flags, read_shaped, read_tolerance, read_whole
from .yamlio import Document, parse_flow

MAX_LAYERS = 100  # layers in a stack; building each costs a few milliseconds

# Top-level keys of a stack file; every other key belongs in a layer's mapping.
STACK_KEYS = ("cell", "name", "bidirectional", "merge", "x", "layers", "W_y", "b_y", "output", "head", "pin", "digits",
              "atol", "expect", "loss", "target")
# Top-level keys that are defaults for every layer's mapping.
LAYER_DEFAULTS = ("round", "round_state", "weights", "biases", "hidden", "proj", *CELL_OPTIONS)
JOURNEY_OF_ONE = ("is one layer's: a stack's --grad shows each direction's journey of its visible state, "
                  "‖∂v/∂v_t‖₂; run a layer alone for the LSTM's ‖∂c_T/∂c_t‖₂")
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
    xs: np.ndarray  # (T, D) the input of layer 1; a stream, when live
    source: str = ""
    output: dict = field(default_factory=dict)  # {"W_y": (K, width), "b_y": (K,), "act": "softmax"} or {}
    digits: int = 4
    atol: float | None = None
    expect: list = field(default_factory=list)  # [Expectation] on "output" or "y"
    loss: Loss | None = None
    name: str | None = None
    live: bool = False  # xs is a stream from stdin (-x -), an iterator of (D,) rows, of a one-direction stack
    merge: str = "concat"  # how each bidirectional layer joins its directions: choices.MERGES
    head: str = "steps"  # what the output layer reads: o_t at every step, or the final states (choices.HEADS)

    @property
    def width(self):
        """The size of the top output: the top layer's visible size (H, or P projected), its two directions' side by
        side when bidirectional and concatenated."""
        return _merged_width(self.directions(self.layers[-1].number), self.merge)

    def directions(self, number):
        return [layer for layer in self.layers if layer.number == number]


# ---------------------------------------------------------------- reading a stack file

def top_keys(cell_name):
    """The keys of a stack file's top level: the whole stack's, the defaults of every layer, and the cell's
    initial states (h0, c0) of every layer and direction at once, in PyTorch's layout."""
    return (*STACK_KEYS, *LAYER_DEFAULTS, *(state.init_key for state in cells.CELLS[cell_name]().states))


def build_stack(cell_name: str, doc: Document, flags: Flags) -> Stack:
    """Check a `layers:` problem and the command line, and build a Problem for each layer and direction."""
    source = doc.source
    data = dict(read_mapping(doc))
    top = {k: Entry(v, doc.where(k), source, doc.where(k).rsplit(": ", 1)[0]) for k, v in data.items()}
    addressed, top_params = _top_params(flags)
    top.update(top_params)  # -p KEY=V for a top-level key acts as the file's KEY: V
    data.update({k: e.value for k, e in top_params.items()})
    check_cell(top.get("cell"), cell_name)
    init_keys = [state.init_key for state in cells.CELLS[cell_name]().states]
    for key, entry in top.items():
        if entry.origin == "--param" and (key not in top_keys(cell_name) or key == "layers"):
            name = cells.CELLS[cell_name]().param_names[0] if key == "layers" else clipped(key.rsplit(".", 1)[-1])
            example = f"layers.1.{'forward.' * (data.get('bidirectional') is True)}{name}"
            raise entry.fail(f"a stack's values are addressed by layer, e.g. {example}" if key != "layers" else
                             f"the layers are given in the file; address one layer's value, e.g. {example}")
        if key not in top_keys(cell_name):
            raise InputError(entry.at or entry.where, f"'{clipped(key)}' belongs in a layer's mapping under layers:, "
                                                      "or is not a key of a stack file")
    bidirectional = top["bidirectional"].value if "bidirectional" in top else False
    if not isinstance(bidirectional, bool):
        raise top["bidirectional"].fail(f"expected true or false, found {kind_of(bidirectional)}")
    merge = _merge(top.get("merge"), bidirectional)
    head = read_choice(top["head"], HEADS) if "head" in top else "steps"
    mappings = _layer_mappings(top["layers"], bidirectional)
    for flag, text in flags.states.items():  # --h0 and --c0 act as the file's h0: and c0:
        top[flag] = Entry(parse_flow(text, f"--{flag}"), f"--{flag}", f"--{flag}")
    if flags.input is not None:
        raise InputError("--input", "a stack's input size is x's; each layer above reads the one below")
    if flags.journey is not None:
        raise InputError("--journey", JOURNEY_OF_ONE)
    overrides = _overrides(addressed, mappings, bidirectional)
    whole = {k: top[k] for k in init_keys if k in top}
    states = _whole_states(whole, mappings, overrides)
    pins = _addressed_pins([*_file_pins(top.get("pin")), *flags.pins], mappings, bidirectional)
    expects, top_expect = _addressed(flags.expect, top.get("expect"), mappings, bidirectional, flags.no_expect)

    defaults = {k: data[k] for k in LAYER_DEFAULTS if k in data}
    layers, xs, below = [], None, []
    T = D = None  # the input's steps (None for a stream) and size, known once layer 1 is read
    for number, directions in enumerate(mappings, start=1):
        if number > 1:
            below = layers[-len(directions):]  # the layer under this one, each direction
        for direction, mapping in directions.items():
            where = f"{source}: layers.{number}" + (f".{direction}" if bidirectional else "")
            width = _merged_width(below, merge, where)  # the input size of this layer, above 1
            if xs is None:
                x = {"x": data["x"]} if "x" in data else {}
            else:
                x = {"x": np.zeros((T or 1, width)), "input": width} if below else \
                    {"x": np.zeros((T or 1, D)), "input": D}
            address = f"layers.{number}." + (f"{direction}." if bidirectional else "")
            in_file, by_flag = _split_states(states.get((number, direction), {}), whole)
            problem = _layer_problem(cell_name, where, address, {**defaults, **_checked(mapping, where), **x, **in_file},
                                     overrides.get((number, direction), []), flags if xs is None else None, flags,
                                     by_flag, pins.get((number, direction), []))
            if xs is None:
                live = problem.live and not bidirectional and not flags.grad and head == "steps"
                xs = problem.xs if live else \
                    np.array(list(problem.xs), dtype=float).reshape(-1, problem.sizes["D"])  # (T, D)
                T, D = None if live else len(xs), problem.sizes["D"]
            problem.steps = T
            if direction == "backward":  # its n-th step computed reads x_t, t = T + 1 − n
                problem.cell = problem.cell.with_pins([_mirrored(p, T) for p in problem.cell.pins])
            problem.expect = [_layer_expectation(problem, key, entry, T)
                              for key, entry in expects.get((number, direction), [])]
            layers.append(Layer(number, direction, problem))
    stack = Stack(cell_name, bidirectional, layers, xs, source, digits=layers[0].problem.digits,
                  name=str(data["name"]) if "name" in data else None, live=T is None, merge=merge, head=head)
    _merged_width(layers[-len(mappings[-1]):], merge, f"{source}: layers.{len(mappings)}")
    stack.output = _output_layer(top, flags, stack.width)
    if head == "final" and not stack.output:
        raise top["head"].fail("says what the output layer reads, and there is none: give W_y (K, width)")
    outputs = 1 if head == "final" else T  # the output layer's rows: one a step, or one of the final states
    stack.atol = flags.atol if flags.atol is not None else layers[0].problem.atol
    if "atol" in top and flags.atol is None:
        stack.atol = read_tolerance(top["atol"])
    if "digits" in top and flags.digits is None:
        stack.digits = read_whole(top["digits"], 0, 17, stack.digits)
        for layer in layers:
            layer.problem.digits = stack.digits
    for layer in layers:
        layer.problem.atol = stack.atol
    if "y" in top_expect and not stack.output:
        raise top_expect["y"].fail("no quantity 'y': the stack has no output layer W_y; expect output instead")
    stack.expect = [read_expectation(name, entry, stack.output["W_y"].shape[0] if name == "y" else stack.width,
                                 outputs if name == "y" else T) for name, entry in top_expect.items()]
    stack.loss = _stack_loss(cell_name, stack, top, flags, outputs)  # checked without --grad too, as for one layer
    if flags.grad:
        refuse_long_grad(sum(grad_step_bytes(layer.problem.cell, layer.problem.sizes) for layer in layers), T)
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
    if key in ("expect", "loss", "target", "output", "W_y", "b_y", "digits", "atol", "bidirectional", "layers", "name",
               "merge", "head"):
        raise InputError(where, f"'{key}' is a key of the whole stack: give it at the top level")
    if key == "journey":
        raise InputError(where, JOURNEY_OF_ONE)


def _layer_problem(cell_name, where, address, data, overrides, input_flags, flags, states=None, pins=()):
    """One direction of one layer as a Problem: its mapping (with the stack's defaults and its input), the -p
    values addressed to it (as KEY=V, each acting as the mapping's KEY), and the command line's fills, sizes,
    rounding and options. input_flags gives layer 1's -x / --x-file. Rounding is refused under --grad as for
    one layer."""
    layer_flags = Flags(
        x=input_flags.x if input_flags else None, x_file=input_flags.x_file if input_flags else None,
        params=overrides, address=address, states=states or {},
        weights=flags.weights, biases=flags.biases, hidden=flags.hidden,
        round=flags.round, round_sigmoid=flags.round_sigmoid, round_tanh=flags.round_tanh,
        round_state=flags.round_state, options={k: v for k, v in flags.options.items() if k != "output"},
        no_expect=True, digits=flags.digits, pins=pins,
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
    last = address.rsplit(".", 1)[-1]
    named = last if last not in (*DIRECTIONS, "layers") and not last.isdigit() and last.isidentifier() else "KEY"
    example = f"layers.1.{'forward.' * bidirectional}{clipped(named)}"
    if not m:
        raise InputError(where, f"a stack's values are addressed by layer, e.g. {example}")
    number, direction, key = int(m["layer"]), m["direction"], clipped(m["key"])
    if not 1 <= number <= len(mappings):
        raise InputError(where, f"the stack has layers 1–{len(mappings)}")
    if m["key"] in DIRECTIONS:
        raise InputError(where, f"name a key after the direction, e.g. layers.{number}.{m['key']}.KEY")
    if bidirectional and direction is None:
        raise InputError(where, f"say the direction: layers.{number}.forward.{key} or layers.{number}.backward.{key}")
    if not bidirectional and direction == "backward":
        raise InputError(where, "the stack is not bidirectional: it has no backward direction")
    return number, direction or "forward", m["key"]


def _merge(entry, bidirectional):
    """merge: how a bidirectional layer joins its directions (concat, sum, ave, mul, as Keras's merge_mode)."""
    if entry is None:
        return "concat"
    if not bidirectional:
        raise entry.fail("joins a bidirectional layer's directions, and the stack is not bidirectional; add "
                         "bidirectional: true, or leave merge out")
    return read_choice(entry, MERGES)


def _merged_width(directions, merge, where=""):
    """The width of a layer's output: its directions' visible sizes (H, or P projected), side by side (concat) or
    joined number by number."""
    sizes = [layer.problem.visible_size for layer in directions]
    if merge == "concat" or not sizes:
        return sum(sizes)
    if len(set(sizes)) > 1:
        raise InputError(where, f"merge: {merge} joins the directions number by number, so both need one hidden "
                                f"size; found H = {sizes[0]} and {sizes[1]}")
    return sizes[0]


def _whole_states(entries, mappings, overrides):
    """{(layer, direction): {"h0": row, ...}} from a whole stack's initial states in PyTorch's layout, (L·dirs, H)
    or (L·dirs, 1, H): row (l − 1)·dirs + d is layer l's direction d (0 forward, 1 backward), as torch's h_0."""
    places = [(number, direction) for number, directions in enumerate(mappings, start=1) for direction in directions]
    states = {}
    for key, entry in entries.items():
        a = value_array(entry)
        filled = a.ndim == 0  # one number fills every layer's and direction's state
        if filled:
            a = np.full((len(places), 1), float(a))
        if a.ndim == 3 and a.shape[1] == 1:
            a = a[:, 0]  # torch's batch of one
        if a.ndim != 2 or len(a) != len(places):
            dirs = len(mappings[0])
            raise entry.fail(f"expected one row a layer and direction, ({len(places)}, H) or ({len(places)}, 1, H) as "
                             f"PyTorch's {key} of {len(mappings)} layer{'s' * (len(mappings) > 1)}"
                             f"{' and 2 directions' if dirs == 2 else ''}; found shape {shape_text(a.shape)}")
        for (number, direction), row in zip(places, a):
            mapping = mappings[number - 1][direction]
            given = isinstance(mapping, dict) and key in mapping or any(
                item.partition("=")[0].strip() == key for item in overrides.get((number, direction), []))
            if given:
                raise entry.fail(f"gives every layer's {key}, and layers.{number}"
                                 f"{'.' + direction if len(mappings[0]) == 2 else ''}.{key} is given too; give it one way")
            states.setdefault((number, direction), {})[key] = row[0].item() if filled else row.tolist()
    return states


def _split_states(given, entries):
    """A layer's rows of the whole stack's states: (those the file gave, as its keys; those flags gave, as the
    text of --h0-style flags, so that each is shown as coming from where it came)."""
    file = {k: v for k, v in given.items() if not entries[k].where.startswith("-")}
    flags = {k: json.dumps(v) for k, v in given.items() if k not in file}
    return file, flags


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


def _file_pins(entry):
    """A stack's top-level pin: {layers.L[.DIRECTION].NAME[@STEPS]: VALUE}, as --pin flags say them."""
    if entry is None:
        return []
    if not isinstance(entry.value, dict):
        raise entry.fail(f"expected a mapping such as {{layers.1.f: 1}}, found {kind_of(entry.value)}")
    return [f"{key}={json.dumps(value) if isinstance(value, (list, int, float)) else value}"
            for key, value in entry.value.items()]


def _addressed_pins(items, mappings, bidirectional):
    """--pin layers.L[.DIRECTION].NAME[@STEPS]=VALUE as NAME[@STEPS]=VALUE by (layer, direction); a pin without
    an address is refused, as a stack's quantities are each layer's."""
    per_layer = {}
    for item in items:
        address, sep, text = item.partition("=")
        address = address.strip()
        if sep and not address.startswith("layers."):
            example = f"layers.1.{'forward.' if bidirectional else ''}{clipped(address)}"
            raise InputError(f"--pin {clipped(address)}", f"a stack's quantities are each layer's: address one, "
                                                          f"e.g. --pin {example}={clipped(text)}")
        name, at, steps = address.partition("@")
        number, direction, key = _split(name, "--pin", mappings, bidirectional) if sep else (1, "forward", "")
        per_layer.setdefault((number, direction), []).append(f"{key}{at}{steps}={text}" if sep else item)
    return per_layer


def _mirrored(pin, T):
    """A backward direction's pin, its steps (the t of the input read) as the counts of the steps computed."""
    if pin.counts is None:
        return pin
    counts = tuple((T + 1 - (T if last is None else last), T + 1 - first) for first, last in pin.counts)
    return cells.Pin(pin.name, pin.value, counts, pin.steps)


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
    flagged = named_flags(items, "--expect", "NAME=V1,V2,...")
    entries.update(flagged)
    for name, entry in entries.items():
        if name in ("output", "y"):
            top[name] = entry
            continue
        if not name.startswith("layers."):
            raise entry.fail(f"a stack's expected values name the top output (output, or y with W_y) or a layer's "
                             f"quantity, e.g. layers.1.{'forward.' if bidirectional else ''}{clipped(name)}")
        number, direction, key = _split(name, "--expect" if name in flagged else file_entry.where, mappings,
                                        bidirectional)
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
    return read_expectation(key, entry, sizes_of[key], count)


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
    W = value_array(entries["W_y"])
    if W.ndim != 2 or W.shape[1] != width:
        found = "(" + ", ".join(map(str, W.shape)) + ")"
        raise entries["W_y"].fail(f"expected shape (K, {width}): it reads the top output, width {width}; "
                                  f"found {found}")
    b = read_shaped(entries["b_y"], value_array(entries["b_y"]), (W.shape[0],), "(K,)") if "b_y" in entries \
        else np.zeros(W.shape[0])
    act = act_flag or (top["output"].value if "output" in top else "softmax")
    if act not in cells.OUTPUTS:
        raise top["output"].fail(f"expected one of {', '.join(cells.OUTPUTS)}, found {kind_of(act)}")
    return {"W_y": W, "b_y": b, "act": act}


def _stack_loss(cell_name, stack, top, flags, T):
    """The loss of --grad, read as for one layer with the top output (width 2H when bidirectional) as the
    visible state and W_y's output as y."""
    cell = cells.CELLS[cell_name]()
    sizes = {"H": stack.width}
    if stack.output:
        cell = cell.with_output(stack.output["act"])
        sizes["K"] = stack.output["W_y"].shape[0]
    return read_loss(cell, sizes, T, top, flags)
