"""A stack file read and checked: its top-level keys, its layers' mappings, and the values addressed to a layer
(-p layers.2.backward.W_fh=..., --pin, --expect, a whole stack's initial states), each refused with its place."""

from __future__ import annotations

import difflib
import json
import re

import numpy as np

from . import cells
from .choices import DIRECTIONS, MERGES
from .errors import InputError
from .expectations import read_expectation, read_loss
from .problem import Flags
from .problemkeys import CELL_OPTIONS, param_flags
from .reading import Entry, kind_of, named_flags, read_choice, read_shaped, value_array
from .text import clipped, shape_text

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

def top_keys(cell_name):
    """The keys of a stack file's top level: the whole stack's, the defaults of every layer, and the cell's
    initial states (h0, c0) of every layer and direction at once, in PyTorch's layout."""
    return (*STACK_KEYS, *LAYER_DEFAULTS, *(state.init_key for state in cells.CELLS[cell_name]().states))


def checked_layer(mapping, where):
    """A layer's mapping, which may not hold the keys of the whole stack."""
    if not isinstance(mapping, dict):
        raise InputError(where, f"expected a mapping of the layer's keys (W_fh, h0, ...), found "
                                f"{kind_of(mapping)}")
    for key in mapping:
        refuse_in_layer(key, f"{where}: {key}")
    return mapping


def refuse_in_layer(key, where):
    """A key of the whole stack, given for one layer (in its mapping or with -p layers.L.KEY=V)."""
    if key in ("x", "input"):
        raise InputError(where, "layer 1 reads the stack's x and each layer above the one below: "
                                "give x at the top level")
    if key in ("expect", "loss", "target", "output", "W_y", "b_y", "digits", "atol", "bidirectional", "layers", "name",
               "merge", "head"):
        raise InputError(where, f"'{key}' is a key of the whole stack: give it at the top level")
    if key == "journey":
        raise InputError(where, JOURNEY_OF_ONE)


def layer_mappings(entry, bidirectional):
    """layers: as a list of {direction: mapping}, checked for the directions it must have."""
    layers = entry.value
    if not isinstance(layers, list) or not layers:
        raise entry.fail("expected a list of layers, each a mapping of its keys"
                         + (" under forward: and backward:" if bidirectional else "")
                         + f", found {'an empty list' if layers == [] else kind_of(layers)}")
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


def split_address(address, what, mappings, bidirectional):
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


def read_merge(entry, bidirectional):
    """merge: how a bidirectional layer joins its directions (concat, sum, ave, mul, as Keras's merge_mode)."""
    if entry is None:
        return "concat"
    if not bidirectional:
        raise entry.fail("joins a bidirectional layer's directions, and the stack is not bidirectional; add "
                         "bidirectional: true, or leave merge out")
    return read_choice(entry, MERGES)


def whole_states(entries, mappings, overrides, cell_name):
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
            projected = " (P for H where the LSTM is projected)" if cell_name == "lstm" and key == "h0" else ""
            raise entry.fail(f"expected one row a layer and direction, ({len(places)}, H) or ({len(places)}, 1, H) as "
                             f"PyTorch's {key} of {len(mappings)} layer{'s' * (len(mappings) > 1)}"
                             f"{' and 2 directions' if dirs == 2 else ''}{projected}; found shape "
                             f"{shape_text(a.shape)}")
        for index, ((number, direction), row) in enumerate(zip(places, a)):
            mapping = mappings[number - 1][direction]
            given = isinstance(mapping, dict) and key in mapping or any(
                item.partition("=")[0].strip() == key for item in overrides.get((number, direction), []))
            if given:
                raise entry.fail(f"gives every layer's {key}, and layers.{number}"
                                 f"{'.' + direction if len(mappings[0]) == 2 else ''}.{key} is given too; "
                                 "give it one way")
            states.setdefault((number, direction), {})[key] = (index, row[0].item() if filled else row.tolist())
    return states


def split_states(given, entries):
    """A layer's rows of the whole stack's states: (those the file gave, as its keys; those a flag or a keyword
    gave, as (where [row], text) of --h0-style flags, so that each is shown as coming from where it came)."""
    file = {k: row for k, (_, row) in given.items() if not entries[k].where.startswith(("-", "keyword "))}
    flags = {k: (f"{entries[k].where} [{index}]", json.dumps(row))
             for k, (index, row) in given.items() if k not in file}
    return file, flags


def split_params(flags):
    """-p layers.L.KEY=V (as they are), and -p KEY=V for a key of the whole stack as Entries by KEY,
    each to act as the file's KEY; a key given also by a flag of its own is refused, as for one layer."""
    addressed = [item for item in flags.params if item.partition("=")[0].strip().startswith("layers.")]
    return addressed, param_flags(Flags(**{**vars(flags), "params": [i for i in flags.params if i not in addressed]}))


def addressed_params(items, mappings, bidirectional):
    """-p layers.L.DIRECTION.KEY=VALUE as KEY=VALUE by (layer, direction)."""
    per_layer = {}
    for item in items:
        address, sep, text = item.partition("=")
        if not sep:
            raise InputError("--param", f"expected NAME=VALUE, found '{clipped(item)}'")
        number, direction, key = split_address(address.strip(), "--param", mappings, bidirectional)
        refuse_in_layer(key, f"--param {clipped(address.strip())}")
        per_layer.setdefault((number, direction), []).append(f"{key}={text}")
    return per_layer


def file_pins(entry):
    """A stack's top-level pin: {layers.L[.DIRECTION].NAME[@STEPS]: VALUE}, as --pin flags say them, each with
    where it was given: (where, text)."""
    if entry is None:
        return []
    if not isinstance(entry.value, dict):
        raise entry.fail(f"expected a mapping such as {{layers.1.f: 1}}, found {kind_of(entry.value)}")
    return [(entry.where, f"{key}={json.dumps(value) if isinstance(value, (list, int, float)) else value}")
            for key, value in entry.value.items()]


def addressed_pins(items, mappings, bidirectional, cell_name):
    """--pin layers.L[.DIRECTION].NAME[@STEPS]=VALUE as NAME[@STEPS]=VALUE by (layer, direction); a pin without
    an address is refused, as a stack's quantities are each layer's. An item of the file's pin: is a (where,
    text) pair, and keeps its where."""
    per_layer = {}
    quantities = [eq.name for eq in cells.CELLS[cell_name]().equations]
    for item in items:
        label, item = item if isinstance(item, tuple) else ("--pin", item)
        address, sep, text = item.partition("=")
        address = address.strip()
        if sep and not address.startswith("layers."):
            name = address.partition("@")[0].strip()
            example = f"layers.1.{'forward.' if bidirectional else ''}"
            example += f"{quantities[-1]}" if name not in quantities else clipped(address)
            if label == "--pin":
                example = f"--pin {example}={clipped(text)}"
            if name not in quantities:
                raise InputError(f"{label} {clipped(address)}", f"'{clipped(name)}' is not a quantity of the stack's "
                                                                f"{cell_name} layers ({', '.join(quantities)}); a pin "
                                                                f"holds one of a layer's, e.g. {example}")
            raise InputError(f"{label} {clipped(address)}", f"a stack's quantities are each layer's: address one, "
                                                            f"e.g. {example}")
        name, at, steps = address.partition("@")
        number, direction, key = split_address(name, label, mappings, bidirectional) if sep else (1, "forward", "")
        per_layer.setdefault((number, direction), []).append((label, f"{key}{at}{steps}={text}" if sep else item))
    return per_layer


def addressed_expects(items, file_entry, mappings, bidirectional, no_expect):
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
        number, direction, key = split_address(name, "--expect" if name in flagged else file_entry.where, mappings,
                                        bidirectional)
        per_layer.setdefault((number, direction), []).append((key, entry))
    return per_layer, top


def layer_expectation(problem, key, entry, count):
    """An expected value of one of the layer's quantities, checked against its cell as for one layer."""
    cell = problem.cell
    sizes_of = {q: problem.sizes[cell.equation(q.removesuffix("_pre")).dim] for q in cell.quantities}
    if key not in sizes_of:
        close = difflib.get_close_matches(key, list(sizes_of), n=1) if len(key) < 100 else []
        raise entry.fail(f"no quantity '{clipped(key)}'" + (f"; did you mean {close[0]}?" if close
                                                   else f"; the {cell.name} cell has {' '.join(sizes_of)}"))
    return read_expectation(key, entry, sizes_of[key], count)


def output_layer(top, flags, width):
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


def stack_loss(cell_name, stack, top, flags, T):
    """The loss of --grad, read as for one layer with the top output (width 2H when bidirectional) as the
    visible state and W_y's output as y."""
    cell = cells.CELLS[cell_name]()
    sizes = {"H": stack.width}
    if stack.output:
        cell = cell.with_output(stack.output["act"])
        sizes["K"] = stack.output["W_y"].shape[0]
    return read_loss(cell, sizes, T, top, flags)
