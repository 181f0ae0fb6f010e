"""From a YAML document and command-line flags to a Problem of checked float arrays.

All input is validated here, once: past this module nothing sees raw YAML. Every error is an
InputError naming the file and line (or the flag), the key, what was expected and what was found.
"""

from __future__ import annotations

import difflib
from types import MappingProxyType, SimpleNamespace

import numpy as np

from . import cells, sequences
from .choices import JOURNEYS
from .backward import Loss
from .engine import Rounding
from .errors import InputError
from .text import clipped, shape_text
from .pasted import OverLimit, unprinted
from .problemkeys import check_cell, param_entries, param_flags, read_cell, reject_unknown
from .expectations import read_expectations, read_loss, refuse_rounding
from .reading import (MAX_SIZE, Entry, value_array, read_choice, read_fill, read_input, kind_of, read_mapping, named_flags,
                     read_rounding, shape_steps, read_shaped, read_steps, read_tolerance, read_whole, past_last, step_ranges)
from .yamlevents import MAX_DEPTH, MAX_NUMBERS, Document
from .yamlio import parse_flow

DEFAULT_DIGITS = 4
DIM_NAMES = {"H": "hidden size", "D": "input size", "K": "output size", "P": "projection size"}
SIZE_KEYS = {"H": "hidden", "D": "input", "P": "proj"}  # the key (and flag) that gives each size


class Flags(SimpleNamespace):
    """What the command line said, by keyword; None (or empty) where it said nothing, as the class says.
    (The records on the command line's path are plain classes: a dataclass costs every call its start-up.)"""
    x = None  # YAML flow text, or "-" for one step a line from stdin
    x_file = None  # .npy, .csv or .txt
    states = MappingProxyType({})  # {"h0": "1"}, or {"h0": (where, "1")}: a stack's row; read-only, as all here
    params = ()  # ["W_fh=1", ...]
    weights = None
    biases = None
    hidden = None
    input = None
    round = None
    round_sigmoid = None
    round_tanh = None
    round_state = None
    options = MappingProxyType({})  # {"activation": "relu", "output": "linear", ...}
    expect = ()  # ["h=0,0,1", ...]: these replace the file's expect:
    no_expect = False  # --no-expect: leave the file's expect: out
    digits = None
    atol = None
    grad = False  # --grad: backpropagate through time after the forward pass
    loss = None  # --loss: one of choices.LOSS_KINDS
    journey = None  # --journey: one of choices.JOURNEYS
    target = None  # --target, YAML flow text
    target_file = None  # --target-file: .npy or .csv
    address = ""  # what -p names stand under: "layers.2.backward." for a layer of a stack
    pins = ()  # ["g=0", "f@3:5=1", ...]: each holds a quantity at a value, beside the file's pin:


class Problem(SimpleNamespace):
    """A calculation ready to run, by keyword: the cell, its sizes, parameters, initial states and inputs
    (these given always), and what the class gives defaults for."""
    cell: cells.Cell
    sizes: dict  # {"H": 2, "D": 1}, "P" with a projection and "K" with an output layer
    params: dict  # every parameter by its split name, as a float array of its shape
    init: dict  # {"h": h0, "c": c0}
    xs: object  # the steps: a (T, D) array, or an iterator of (D,) arrays when read from a stream
    rounding: Rounding
    origins: dict  # parameter or initial-state key -> where its value came from
    concatenated = ()  # the concatenated forms given, e.g. ("W_f",)
    zero_given = ()  # the parameters of another variant given as 0 (Cell.zero_if_given), e.g. ("b_nh",)
    source = ""
    steps = None  # T, when known before the run
    live = False  # the steps come from stdin (-x -), each to be answered as it arrives
    name = None
    digits = DEFAULT_DIGITS
    atol = None  # None: compare expectations at the shown digits
    expect = ()  # [Expectation]
    loss: Loss | None = None  # what --grad differentiates; None without --grad
    journey = "visible"  # whose ‖∂s_T/∂s_t‖ --grad finds: choices.JOURNEYS

    @property
    def visible_size(self) -> int:
        """The length of the visible state (H, or P with a projection): what a layer above and W_y read."""
        return self.sizes[self.cell.visible_dim]

    def as_given(self, by_name: dict) -> dict:
        """Arrays keyed by split parameter name (W_fh, W_fx, ...), keyed instead as the input gave the
        parameters: a weight given concatenated, W_f, gets the (H, H+D) block [W_fh W_fx] in their place, and
        a bias of another variant given as 0 the array of the bias it is a term beside (b_nh that of b_n: with
        n_t = tanh(⋯ + b_n + b_nh), ∂L/∂b_nh = ∂L/∂b_n)."""
        pairs = {pair: name for name, pair in self.cell.concatenated.items() if name in self.concatenated}
        beside = {bias: name for name, bias in self.cell.zero_if_given if name in self.zero_given}
        given = {}
        for name, value in by_name.items():
            pair = next((p for p in pairs if name in p), None)
            if pair is None:
                given[name] = value
                if name in beside:
                    given[beside[name]] = value
            elif pairs[pair] not in given:
                given[pairs[pair]] = np.hstack([by_name[pair[0]], by_name[pair[1]]])  # (H, H) | (H, D) -> (H, H+D)
        return given


def build(cell_name: str, doc: Document | None, flags: Flags) -> Problem:
    """Check everything the user gave for one calculation and return it as a Problem."""
    source = doc.source if doc else ""
    data = read_mapping(doc)
    file = {k: Entry(_unprinted(v, doc.where(k)), doc.where(k), source, doc.where(k).rsplit(": ", 1)[0])
            for k, v in data.items()}
    file.update(param_flags(flags))  # -p KEY=V acts as the file's KEY: V

    check_cell(file.get("cell"), cell_name)

    params = param_entries(file, cells.CELLS[cell_name]())
    cell = read_cell(cell_name, file, flags, params)
    zero_given = []
    for name, _ in cell.zero_if_given:
        if name in params:
            if np.any(value_array(params[name]) != 0):
                raise params[name].fail(f"the {cell.title} has no {name}, so it may only be 0; "
                                        "fold it into the other bias, or choose the variant that has it")
            del params[name]
            file.pop(name, None)
            zero_given.append(name)
    reject_unknown(cell, file, params)

    inits = {s.init_key: file.get(s.init_key) for s in cell.states}
    for key, text in flags.states.items():
        label, text = text if isinstance(text, tuple) else (f"--{key}", text)  # (where, text): a stack's row
        if key not in inits:
            raise InputError(label, f"cell {cell.name} has no state {key[:-1]}")
        inits[key] = Entry(parse_flow(text, label), label, label)
    x, stream = read_input(file, flags, source)
    arrays = {k: value_array(e) for k, e in {**params, **inits}.items() if e is not None}
    for key in inits:  # PyTorch's h_0 of one layer, (1, H) or (1, 1, H) (layers · directions, batch): its row
        a = arrays.get(key)
        if a is not None and a.ndim in (2, 3) and a.shape[:-1] in ((1,), (1, 1)) and a.shape[-1] > 1:
            arrays[key] = a.reshape(-1)
    if stream is None:
        steps = read_steps(x)
    elif isinstance(stream, np.ndarray):
        steps = stream[:1]
    else:
        first = stream.first()
        if first is None:
            raise x.fail("no input steps; give at least one")
        steps = [first]
    sizes = _sizes(cell, file, flags, params, inits, arrays, steps, x)
    if stream is None:
        xs = shape_steps(x, steps, sizes["D"])
        count = len(xs)
    elif isinstance(stream, np.ndarray):
        xs = sequences.checked_steps(stream, sizes["D"], x.origin)
        count = len(xs)
    else:
        xs = sequences.checked_rows(stream, sizes["D"], x.origin)
        count = None

    specs = {p.name: p for p in cell.params}
    values, origins = {}, {}
    for name, pair in cell.concatenated.items():
        if name in params:
            rows, cols = cell.concatenated_shape(name)
            n = sizes[cols.removesuffix("+D")]  # the state's length, the columns W_fh takes
            w = read_shaped(params[name], arrays[name], (sizes[rows], n + sizes["D"]),
                            f"{cells.symbolic((rows, cols))} acting on [{pair[0][-1]}_{{t-1}}; x_t]")
            values[pair[0]], values[pair[1]] = w[:, :n], w[:, n:]
            origins[pair[0]] = origins[pair[1]] = f"{name} ({params[name].origin})"

    fills = {"weight": read_fill("weights", flags.weights, file.get("weights")),
             "bias": read_fill("biases", flags.biases, file.get("biases"))}
    missing = []
    for spec in cell.params:
        if spec.name in values:
            continue
        shape = tuple(sizes[d] for d in spec.shape)
        if spec.name in params:
            values[spec.name] = read_shaped(params[spec.name], arrays[spec.name], shape, cells.symbolic(spec.shape))
            origins[spec.name] = params[spec.name].origin
        elif fills[spec.kind] is not None and spec.name != "W_y":
            fill = fills[spec.kind]
            values[spec.name] = read_shaped(fill, value_array(fill), shape, cells.symbolic(spec.shape))
            origins[spec.name] = f"{fill.origin} (fill)"
        elif spec.kind == "bias":
            values[spec.name] = np.zeros(shape)
            origins[spec.name] = "default 0"
        else:
            missing.append(spec)
    if missing:
        names = ", ".join(f"{s.name} {cells.symbolic(s.shape)}" for s in missing)
        raise InputError(source, f"missing weight{'s' * (len(missing) > 1)} {names}; give "
                         f"{'them' if len(missing) > 1 else 'it'} in the file or with -p NAME=VALUE, "
                         "or fill every weight with --weights V")

    init = {}
    for s in cell.states:
        entry = inits[s.init_key]
        if entry is None:
            init[s.name] = np.zeros(sizes[s.dim])
            origins[s.init_key] = "default 0"
        else:
            init[s.name] = read_shaped(entry, arrays[s.init_key], (sizes[s.dim],), cells.symbolic((s.dim,)))
            origins[s.init_key] = entry.origin

    digits = flags.digits if flags.digits is not None else read_whole(file.get("digits"), 0, 17, DEFAULT_DIGITS)
    atol = flags.atol if flags.atol is not None else read_tolerance(file.get("atol"))
    name = file["name"].value if "name" in file else None
    if name is not None and not isinstance(name, (str, int, float)):
        raise file["name"].fail(f"expected a short text, found {kind_of(name)}")
    rounding = read_rounding(file, flags)
    cell = cell.with_pins(_pins(cell, sizes, count, file.get("pin"), flags.pins, flags.address))
    if flags.grad:
        refuse_rounding(file, flags, rounding)
        if count is None:  # backpropagation needs the whole sequence: read the stream to its end now
            xs = np.array(list(xs), dtype=float).reshape(-1, sizes["D"])  # (T, D)
            count = len(xs)
        refuse_long_grad(grad_step_bytes(cell, sizes), count)
    return Problem(
        cell=cell, sizes=sizes, params={n: values[n] for n in specs}, init=init, xs=xs,
        rounding=rounding, origins=origins,
        concatenated=tuple(n for n in cell.concatenated if n in params), zero_given=tuple(zero_given),
        source=source,
        steps=count, live=x.where == "-x -", name=None if name is None else str(name), digits=digits, atol=atol,
        expect=read_expectations(cell, sizes, count, file.get("expect"), flags.expect, flags.no_expect),
        loss=read_loss(cell, sizes, count, file, flags), journey=_journey(file, flags),
    )


def _journey(file, flags):
    """journey: (or --journey) every: --grad finds ‖∂s_T/∂s_t‖ of every state (the LSTM's c too), not only the
    visible one's; only --grad draws a journey."""
    entry = Entry(flags.journey, "--journey", "--journey") if flags.journey is not None else file.get("journey")
    if entry is None:
        return "visible"
    value = read_choice(entry, JOURNEYS)
    if not flags.grad:
        raise entry.fail("only --grad finds the gradient's journey; add --grad")
    return value


# ---------------------------------------------------------------- pins

def _pins(cell, sizes, count, file_entry, flag_items, address=""):
    """--pin NAME=VALUE and NAME@STEPS=VALUE (and the file's pin: mapping, whose keys --pin's replace) as the
    cell's Pins: NAME a quantity the equations compute, VALUE a number (filling it) or a vector of its length,
    STEPS as --steps names them, each at most T; one name's steps may not meet."""
    entries = {}
    if file_entry is not None:
        if not isinstance(file_entry.value, dict):
            raise file_entry.fail(f"expected a mapping such as {{g: 0}} or {{f@3:5: 1}}, found {kind_of(file_entry.value)}")
        for key, value in file_entry.value.items():
            entries[str(key)] = Entry(value, f"{file_entry.where} {clipped(str(key))}", file_entry.origin)
    entries.update(named_flags(flag_items, "--pin", "NAME=VALUE or NAME@STEPS=VALUE", address))
    names = [eq.name for eq in cell.equations]
    pins, seen = [], {}
    for key, entry in entries.items():
        name, at, steps = (part.strip() for part in key.partition("@"))
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1) if len(name) < 100 else []
            hint = f"; did you mean {close[0]}?" if close else f"; the {cell.name} cell computes {' '.join(names)}"
            raise entry.fail(f"no quantity '{clipped(name)}' to pin{hint}")
        ranges = step_ranges(steps, entry.where) if at else None
        if ranges is not None and count is not None and past_last(ranges, count) is not None:
            raise entry.fail(f"step {past_last(ranges, count)} is past the last step, T = {count}")
        for other, other_ranges in seen.get(name, []):
            if _meet(ranges, other_ranges):
                raise entry.fail(f"pins {name} at a step that {other} pins too; give each step one value")
        seen.setdefault(name, []).append((entry.where, ranges))
        dim = cell.equation(name).dim
        value = read_shaped(entry, value_array(entry), (sizes[dim],), f"({dim},), the length of {name}")
        pins.append(cells.Pin(name, tuple(float(v) for v in value), ranges, steps if at else ""))
    return pins


def _meet(a, b):
    """Whether two pins' steps (ranges, None for every step) share a step."""
    if a is None or b is None:
        return True
    return any(f1 <= (l2 if l2 is not None else f1) and f2 <= (l1 if l1 is not None else f2)
               for f1, l1 in a for f2, l2 in b)


# ---------------------------------------------------------------- what --grad holds

MAX_GRAD_BYTES = 2 * 2**30  # what --grad may hold of its records: every step's, forward and backward


def grad_step_bytes(cell, sizes) -> int:
    """About what --grad holds for each step, measured on the four cells (H from 1 to 512): some 600 bytes
    for each quantity and parameter's records and 64 for each of their numbers (a quantity's H, a
    parameter's rows and columns, kept as the factors of its outer product). An LSTM with H = D = 1: 15 KB."""
    records = len(cell.quantities) + len(cell.params)
    numbers = len(cell.quantities) * sizes["H"] + sum(sizes[d] for p in cell.params for d in p.shape)
    return 600 * records + 64 * numbers


def refuse_long_grad(step_bytes, steps) -> None:
    """--grad over more steps than MAX_GRAD_BYTES holds, refused before it begins."""
    if step_bytes * steps > MAX_GRAD_BYTES:
        most = MAX_GRAD_BYTES // step_bytes
        raise InputError("--grad", f"{steps:,} steps would hold about {step_bytes * steps / 2**30:.1f} GiB "
                                   f"({step_bytes / 1024:.0f} KiB a step), over rnncalc's limit of "
                                   f"{MAX_GRAD_BYTES // 2**30} GiB; every step is differentiated whatever "
                                   f"--steps shows, so give a shorter x (at most {most:,} steps here)")


# ---------------------------------------------------------------- pieces of build


def _unprinted(value, where):
    """A file's value with the arrays pasted into it as numpy or PyTorch print them read back, held to the
    limits of a YAML value."""
    try:
        read = unprinted(value, max_numbers=MAX_NUMBERS, max_depth=MAX_DEPTH)
    except OverLimit as e:
        raise InputError(where, str(e)) from None
    if read is not value and isinstance(read, list) and _count(read) > MAX_NUMBERS:  # rows pasted one by one
        raise InputError(where, f"holds more than {MAX_NUMBERS:,} values, the limit for one key")
    return read


def _count(value):
    """The numbers in nested lists."""
    return sum(_count(v) if isinstance(v, list) else 1 for v in value) if isinstance(value, list) else 1



def _sizes(cell, file, flags, params, inits, arrays, steps, x):
    """H, D, P and K: as given by hidden: / input: / proj: (or --hidden / --input), else read off the shapes."""
    specs = {p.name: p for p in cell.params}
    state_dims = {s.init_key: s.dim for s in cell.states}
    dims = {d for p in cell.params for d in p.shape} | set(state_dims.values())
    found = {"H": [], "P": [], "D": [], "K": []}  # dim -> [(size, why, where)]
    entries = {**params, **inits}
    concatenated = []  # (key, array, the dim of the state it acts on): their D is found once that dim is known

    def saw(dim, size, key, a):
        found[dim].append((size, key, shape_text(a.shape), entries[key].where))

    for key, a in arrays.items():
        if key in specs and len(specs[key].shape) == 2 and a.ndim == 2:
            rows, cols = specs[key].shape
            if rows == cols and a.shape[0] != a.shape[1]:
                raise entries[key].fail(f"expected shape {cells.symbolic(specs[key].shape)}, a square matrix, found "
                                        f"{shape_text(a.shape)}")
            saw(rows, a.shape[0], key, a)
            saw(cols, a.shape[1], key, a)
        elif key in cell.concatenated and a.ndim == 2:
            rows, cols = cell.concatenated_shape(key)
            state = cols.removesuffix("+D")
            saw(rows, a.shape[0], key, a)
            if state != rows:  # (H, P+D): D is known once P is
                concatenated.append((key, a, state))
                continue
            if a.shape[1] <= a.shape[0]:
                raise params[key].fail(f"a concatenated weight is (H, H+D) with D ≥ 1, found {shape_text(a.shape)}")
            saw("D", a.shape[1] - a.shape[0], key, a)
        elif a.ndim >= 1 and (key in specs or key in inits):
            dim = specs[key].shape[0] if key in specs else state_dims[key]
            saw(dim, a.shape[0], key, a)
    if isinstance(steps, np.ndarray):  # (T,) one number a step, which says nothing of D; or (T, n)
        lengths = {steps.shape[1]} if steps.ndim == 2 else set()
    else:
        lengths = {len(s) for s in steps if s.ndim == 1}
    if len(lengths) > 1:
        raise x.fail(f"steps of different lengths {sorted(lengths)}; every step needs one number per input")
    if lengths:
        n = lengths.pop()
        found["D"].append((n, "x", f"({len(steps)}, {n})", x.where))
    if "proj" in file and "P" not in dims:
        raise file["proj"].fail(f"is the size of a projected LSTM's h_t; the {cell.title} has no projection")

    sizes = {}
    for dim in ("H", "P", "D", "K"):
        if dim not in dims and dim not in ("H", "D"):
            continue
        for key, a, state in concatenated if dim == "D" else ():
            if a.shape[1] <= sizes[state]:
                raise params[key].fail(f"a concatenated weight is {cells.symbolic(cell.concatenated_shape(key))} "
                                       f"with D ≥ 1, found {shape_text(a.shape)} with {state} = {sizes[state]}")
            saw("D", a.shape[1] - sizes[state], key, a)
        key = SIZE_KEYS.get(dim)
        given = None
        if key:
            given = getattr(flags, key, None)
            if given is not None:
                given = (given, f"--{key}", given, f"--{key}")
            elif key in file:
                v = file[key].value
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise file[key].fail(f"expected a whole number ≥ 1, found {kind_of(v)}")
                given = (v, f"{key}:", v, file[key].where)
        candidates = ([given] if given else []) + found[dim]
        if not candidates:
            sizes[dim] = 1
            continue
        size, key0, shape0, where0 = candidates[0]
        for other, _, shape, where in candidates[1:]:
            if other != size:
                raise InputError(where, f"shape {shape} makes the {DIM_NAMES[dim]} {dim} = {other}, "
                                 f"but {key0} {shape0} makes it {size}")
        if size > MAX_SIZE:
            raise InputError(where0, f"the {DIM_NAMES[dim]} {dim} = {size} is over rnncalc's limit of {MAX_SIZE}")
        sizes[dim] = size
    return sizes
