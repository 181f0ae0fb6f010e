"""A converted layer or model as rnncalc YAML: a comment block stating the source convention, then every key
with a comment naming the block of the source it came from. Numbers are written with repr(), so they read
back as the same float64; names from the source are written by quoted(), so they stay data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .convert_layout import STATE, quoted

COURSE_NAMES = {
    "lstm": "f forget, i input, o output gate, c candidate c̃",
    "gru": "r reset, z update gate, n candidate; h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}",
    "rnn": "s the state; s_t = tanh(W_ss s_{t-1} + W_sx x_t + b_s)",
}


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
class Stack:
    """A model of several layers or two directions in the course's names, ready to write as `layers:`:
    layers[l] maps each direction to its Conversion; options and output are top-level keys."""
    cell: str
    layers: list
    options: dict  # key -> (value, comment)
    header: list
    output: dict = field(default_factory=dict)  # W_y, b_y -> (array, source)


def _example(D):
    """Two example steps of D numbers, as -x takes them."""
    if D == 1:
        return "1,0,-1"
    return "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in np.eye(2, D, dtype=int)) + "]"


def _sizes_text(packed):
    """"hidden size H = 3, input size D = 2", with the projection's P between them when the layer has one."""
    H, D = packed.sizes
    projection = f", projection size P = {packed.width}" if packed.W_r is not None else ""
    return f"hidden size H = {H}{projection}, input size D = {D}"


def _course_names(packed):
    """The course's names of the cell's quantities, and the projection when the layer has one."""
    names = f"Course names: {COURSE_NAMES[packed.cell]} (rnncalc equations {packed.cell})."
    if packed.W_r is None:
        return [names]
    return [names, "  With the projection: m_t = o_t ⊙ tanh(c_t) and h_t = W_hm m_t, h_t of size P."]


def layer_header(packed, source):
    _, D = packed.sizes
    cell, v = packed.cell, STATE[packed.cell]
    if cell == "lstm":
        initial = "The initial states h0 and c0 are 0 unless you add them here or pass --h0 / --c0."
    else:
        initial = f"The initial state {v}0 is 0 unless you add it here or pass --{v}0."
    return [f"rnncalc {cell}: {_sizes_text(packed)}.",
            f"Converted by rnncalc convert from {quoted(Path(source).name)} ({packed.origin}).",
            "",
            *packed.notes,
            *_course_names(packed),
            "Each key's comment names the block of the source it was copied from.",
            "",
            f"Add the input sequence as an x: key or pass it with -x, e.g. rnncalc {cell} FILE -x '{_example(D)}'.",
            *([f"This is a backward direction: it reads x_T first, so give the input reversed; its {v}_t at the",
               "k-th step is the framework's output at t = T − k + 1."] if packed.backward else []),
            initial]


def stack_header(model, source, bidirectional):
    first = model.layers[0][next(iter(model.layers[0]))]
    _, D = first.sizes
    cell, n = first.cell, len(model.layers)
    shape = f"{n} layer{'s' * (n > 1)}" + (", bidirectional" if bidirectional else "")
    states = "h0 and c0" if cell == "lstm" else f"{STATE[cell]}0"
    address = "layers.1.forward" if bidirectional else "layers.1"
    lines = [f"rnncalc {cell}: {shape}, {_sizes_text(first)}.",
             f"Converted by rnncalc convert from {quoted(Path(source).name)} ({model.title}, {shape}).",
             "",
             *first.notes,
             *_course_names(first),
             "Each key's comment names the block of the source it was copied from.",
             "",
             "Layer 1 reads x_t; layer l+1 reads layer l's visible state at t"
             + (" (forward ‖ backward); the backward direction runs from t = T down to 1." if bidirectional else ".")]
    if model.dense is not None:
        lines.append("W_y and b_y, the output layer, read the top layer's output at every step; the model's "
                     + ("reads the final state: its output is y_T." if model.head_reads == "final" else "output is y_t."))
    lines += [f"Add the input sequence as an x: key or pass it with -x, e.g. rnncalc {cell} FILE -x '{_example(D)}'.",
              f"The initial states {states} are 0 unless you add them to a layer's mapping, or pass "
              f"-p {address}.{STATE[cell]}0=VALUE."]
    return lines


def flow(a) -> str:
    """An array as a YAML flow list, each number written with repr(): read back, it is the same float64.

    >>> flow(np.array([[0.1, -2.0], [1e-20, 1/3]]))
    '[[0.1, -2.0], [1e-20, 0.3333333333333333]]'
    """
    if np.ndim(a) == 1:
        return "[" + ", ".join(repr(float(v)) for v in a) + "]"
    return "[" + ", ".join(flow(row) for row in a) + "]"


def _comment(line: str) -> str:
    """One comment line: a line break or other control character in it cannot end the comment."""
    return f"# {line}".rstrip().replace("\r", " ").replace("\n", " ")


def to_yaml(conversion: Conversion | Stack) -> str:
    """The YAML text: the comment block, cell:, the options, then every parameter with its source;
    for a Stack, the layers as a `layers:` list, then the output layer."""
    if isinstance(conversion, Stack):
        return _stack_yaml(conversion)
    lines = [_comment(line) for line in conversion.header]
    lines += ["", f"cell: {conversion.cell}"]
    lines += [f"{key}: {value}  {_comment(comment)}" for key, (value, comment) in conversion.options.items()]
    lines.append("")
    lines += [f"{name}: {flow(a)}  {_comment(conversion.sources[name])}" for name, a in conversion.params.items()]
    return "\n".join(lines) + "\n"


def _stack_yaml(stack: Stack) -> str:
    lines = [_comment(line) for line in stack.header]
    lines += ["", f"cell: {stack.cell}"]
    lines += [f"{key}: {str(value).lower() if isinstance(value, bool) else value}  {_comment(comment)}"
              for key, (value, comment) in stack.options.items()]
    lines += ["", "layers:"]
    for n, layer in enumerate(stack.layers, start=1):
        lines.append(f"  # layer {n}")
        for k, (direction, conversion) in enumerate(layer.items()):
            entries = [f"{key}: {value}  {_comment(comment)}" for key, (value, comment) in conversion.options.items()]
            entries += [f"{name}: {flow(a)}  {_comment(conversion.sources[name])}"
                        for name, a in conversion.params.items()]
            if len(layer) == 1 and "bidirectional" not in stack.options:
                lines += [("  - " if i == 0 else "    ") + entry for i, entry in enumerate(entries)]
            else:
                lines.append(("  - " if k == 0 else "    ") + f"{direction}:")
                lines += [f"      {entry}" for entry in entries]
    if stack.output:
        lines.append("")
        lines += [f"{name}: {flow(a)}  {_comment(source)}" for name, (a, source) in stack.output.items()]
    return "\n".join(lines) + "\n"
