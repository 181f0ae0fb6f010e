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

from dataclasses import dataclass, field

import numpy as np

from . import cells
from .backward import Loss
from .choices import HEADS
from .errors import InputError
from .expectations import read_expectation
from .problem import Flags, Problem, build, grad_step_bytes, refuse_long_grad
from .problemkeys import check_cell
from .reading import Entry, read_choice, kind_of, read_mapping, read_tolerance, read_whole
from .stackfile import (JOURNEY_OF_ONE, LAYER_DEFAULTS, addressed_expects, addressed_params, addressed_pins,
                        checked_layer, file_pins, layer_expectation, layer_mappings, output_layer, read_merge,
                        split_params, split_states, stack_loss, top_keys, whole_states)
from .text import clipped
from .yamlevents import Document
from .yamlio import parse_flow


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


def build_stack(cell_name: str, doc: Document, flags: Flags) -> Stack:
    """Check a `layers:` problem and the command line, and build a Problem for each layer and direction."""
    source = doc.source
    data = dict(read_mapping(doc))
    top = {k: Entry(v, doc.where(k), source, doc.where(k).rsplit(": ", 1)[0]) for k, v in data.items()}
    addressed, top_params = split_params(flags)
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
    merge = read_merge(top.get("merge"), bidirectional)
    head = read_choice(top["head"], HEADS) if "head" in top else "steps"
    mappings = layer_mappings(top["layers"], bidirectional)
    for flag, text in flags.states.items():  # --h0 and --c0 act as the file's h0: and c0:
        top[flag] = Entry(parse_flow(text, f"--{flag}"), f"--{flag}", f"--{flag}")
    if flags.input is not None:
        raise InputError("--input", "a stack's input size is x's; each layer above reads the one below")
    if flags.journey is not None:
        raise InputError("--journey", JOURNEY_OF_ONE)
    overrides = addressed_params(addressed, mappings, bidirectional)
    whole = {k: top[k] for k in init_keys if k in top}
    states = whole_states(whole, mappings, overrides, cell_name)
    pins = addressed_pins([*file_pins(top.get("pin")), *flags.pins], mappings, bidirectional, cell_name)
    expects, top_expect = addressed_expects(flags.expect, top.get("expect"), mappings, bidirectional, flags.no_expect)

    wheres = {(number, direction): _at(source, f"layers.{number}" + (f".{direction}" if bidirectional else ""))
              for number, directions in enumerate(mappings, start=1) for direction in directions}
    for (number, direction), where in wheres.items():  # a key of the whole stack in a layer, refused first
        checked_layer(mappings[number - 1][direction], where)
    if "x" not in data and flags.x is None and flags.x_file is None:
        raise InputError(_at(source, "x"), "no input sequence; give x at the top level of the file, or use -x "
                                           "or --x-file")
    defaults = {k: data[k] for k in LAYER_DEFAULTS if k in data}
    layers, xs, below = [], None, []
    T = D = None  # the input's steps (None for a stream) and size, known once layer 1 is read
    for number, directions in enumerate(mappings, start=1):
        if number > 1:
            below = layers[-len(directions):]  # the layer under this one, each direction
        width = _merged_width(below, merge, _at(source, f"layers.{number - 1}"))  # the input size, above layer 1
        for direction, mapping in directions.items():
            where = wheres[(number, direction)]
            if xs is None:
                x = {"x": data["x"]} if "x" in data else {}
            else:
                x = {"x": np.zeros((T or 1, width)), "input": width} if below else \
                    {"x": np.zeros((T or 1, D)), "input": D}
            if below:
                _reads_below(cell_name, mapping, where, below, merge, width)
            address = f"layers.{number}." + (f"{direction}." if bidirectional else "")
            in_file, by_flag = split_states(states.get((number, direction), {}), whole)
            data_of_layer = {**defaults, **mapping, **x, **in_file}  # mapping checked above
            problem = _layer_problem(cell_name, where, address, data_of_layer,
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
            problem.expect = [layer_expectation(problem, key, entry, T)
                              for key, entry in expects.get((number, direction), [])]
            layers.append(Layer(number, direction, problem))
    stack = Stack(cell_name, bidirectional, layers, xs, source, digits=layers[0].problem.digits,
                  name=str(data["name"]) if "name" in data else None, live=T is None, merge=merge, head=head)
    _merged_width(layers[-len(mappings[-1]):], merge, _at(source, f"layers.{len(mappings)}"))
    stack.output = output_layer(top, flags, stack.width)
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
    stack.loss = stack_loss(cell_name, stack, top, flags, outputs)  # checked without --grad too, as for one layer
    if flags.grad:
        refuse_long_grad(sum(grad_step_bytes(layer.problem.cell, layer.problem.sizes) for layer in layers), T)
    return stack


def _at(source, key):
    """Where a key is: in the file, or (a problem given as a dict) the key alone."""
    return f"{source}: {key}" if source else key


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


def _merged_width(directions, merge, where=""):
    """The width of a layer's output: its directions' visible sizes (H, or P projected), side by side (concat) or
    joined number by number."""
    sizes = [layer.problem.visible_size for layer in directions]
    if merge == "concat" or not sizes:
        return sum(sizes)
    if len(set(sizes)) > 1:
        raise InputError(where, f"merge: {merge} joins the directions number by number, so both need one size "
                                f"of {directions[0].problem.cell.visible}; found {_sizes(directions)}")
    return sizes[0]


def _sizes(directions):
    """The sizes of the directions' visible states, as the user named them: H = 2 and 3, or P = 2 projected."""
    return " and ".join(f"{layer.problem.cell.visible_dim} = {layer.problem.visible_size}" for layer in directions)


def _reads_below(cell_name, mapping, where, below, merge, width):
    """A weight on x_t of a layer above the first, in its mapping, reads the width of the layer below's output."""
    for p in cells.CELLS[cell_name]().params:
        if "D" not in p.shape or not isinstance(mapping, dict) or p.name not in mapping:
            continue
        try:
            shape = np.shape(mapping[p.name])
        except ValueError:  # ragged: the layer's own reading refuses it
            continue
        n = shape[p.shape.index("D")] if len(shape) == len(p.shape) else width
        if n != width:
            joined = f"its directions' {_sizes(below)}, {'side by side' if merge == 'concat' else merge}" \
                if len(below) > 1 else f"its {_sizes(below)}"
            raise InputError(f"{where}: {p.name}", f"shape {shape} reads {n} number{'s' * (n != 1)} a step, but layer "
                                                   f"{below[0].number} gives {width} ({joined})")


def _mirrored(pin, T):
    """A backward direction's pin, its steps (the t of the input read) as the counts of the steps computed."""
    if pin.counts is None:
        return pin
    counts = tuple((T + 1 - (T if last is None else last), T + 1 - first) for first, last in pin.counts)
    return cells.Pin(pin.name, pin.value, counts, pin.steps)
