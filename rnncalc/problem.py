"""From a YAML document and command-line flags to a Problem of checked float arrays.

All input is validated here, once: past this module nothing sees raw YAML. Every error is an
InputError naming the file and line (or the flag), the key, what was expected and what was found.
"""

from __future__ import annotations

import difflib
import math
import sys
from dataclasses import dataclass, field

import numpy as np

from . import cells, sequences
from .backward import LOSS_KINDS, Loss
from .engine import ROUND_MODES, Rounding
from .errors import InputError
from .yamlio import Document, parse_flow

# Keys a problem may have besides its cell's parameters and initial states.
CELL_OPTIONS = sorted({key for options in cells.OPTIONS.values() for key in options})
OPTION_KEYS = ("cell", "name", "hidden", "input", "x", "round", "round_state", "output", "weights", "biases",
               "digits", "atol", "expect", "loss", "target", *CELL_OPTIONS)
DEFAULT_DIGITS = 4
MAX_SIZE = 2048  # the largest H, D or K
MAX_NUMBERS = 2**22  # the most numbers one key may hold
DIM_NAMES = {"H": "hidden size", "D": "input size", "K": "output size"}


@dataclass
class Flags:
    """What the command line said; None (or empty) where it said nothing."""
    x: str | None = None  # YAML flow text, or "-" for one step a line from stdin
    x_file: str | None = None  # .npy, .csv or .txt
    states: dict = field(default_factory=dict)  # {"h0": "1"}
    params: list = field(default_factory=list)  # ["W_fh=1", ...]
    weights: str | None = None
    biases: str | None = None
    hidden: int | None = None
    input: int | None = None
    round: str | None = None
    round_sigmoid: str | None = None
    round_tanh: str | None = None
    round_state: bool | None = None
    options: dict = field(default_factory=dict)  # {"activation": "relu", "output": "linear", ...}
    expect: list = field(default_factory=list)  # ["h=0,0,1", ...]
    digits: int | None = None
    atol: float | None = None
    grad: bool = False  # --grad: backpropagate through time after the forward pass
    loss: str | None = None  # --loss: one of backward.LOSS_KINDS
    target: str | None = None  # --target, YAML flow text
    target_file: str | None = None  # --target-file: .npy or .csv


@dataclass
class Entry:
    """A value the user gave, with where it was given: for errors, and for the header."""
    value: object
    where: str  # "model.yaml:3: W_fh" or "--param W_fh"
    origin: str  # "model.yaml" or "--param"
    at: str = ""  # the place without the key: "model.yaml:3"

    def fail(self, message):
        return InputError(self.where, message)


@dataclass
class Problem:
    """A calculation ready to run: the cell, its sizes, parameters, initial states and inputs."""
    cell: cells.Cell
    sizes: dict  # {"H": 2, "D": 1} and "K" with an output layer
    params: dict  # every parameter by its split name, as a float array of its shape
    init: dict  # {"h": h0, "c": c0}
    xs: object  # the steps: a (T, D) array, or an iterator of (D,) arrays when read from a stream
    rounding: Rounding
    origins: dict  # parameter or initial-state key -> where its value came from
    concatenated: tuple = ()  # the concatenated forms given, e.g. ("W_f",)
    source: str = ""
    steps: int | None = None  # T, when known before the run
    name: str | None = None
    digits: int = DEFAULT_DIGITS
    atol: float | None = None  # None: compare expectations at the shown digits
    expect: list = field(default_factory=list)  # [Expectation]
    loss: Loss | None = None  # what --grad differentiates; None without --grad

    def as_given(self, by_name: dict) -> dict:
        """Arrays keyed by split parameter name (W_fh, W_fx, ...), keyed instead as the input gave the
        parameters: a weight given concatenated, W_f, gets the (H, H+D) block [W_fh W_fx] in their place."""
        pairs = {pair: name for name, pair in self.cell.concatenated.items() if name in self.concatenated}
        given = {}
        for name, value in by_name.items():
            pair = next((p for p in pairs if name in p), None)
            if pair is None:
                given[name] = value
            elif pairs[pair] not in given:
                given[pairs[pair]] = np.hstack([by_name[pair[0]], by_name[pair[1]]])  # (H, H) | (H, D) -> (H, H+D)
        return given


@dataclass
class Expectation:
    """What the user says a quantity should be: one value per step, or one for the final step."""
    name: str
    values: np.ndarray  # (n, size): n = T for one per step, 1 for the final step only
    final_only: bool
    where: str


def build(cell_name: str, doc: Document | None, flags: Flags) -> Problem:
    """Check everything the user gave for one calculation and return it as a Problem."""
    source = doc.source if doc else ""
    data = _mapping(doc)
    file = {k: Entry(v, doc.where(k), source, doc.where(k).rsplit(": ", 1)[0]) for k, v in data.items()}

    if "cell" in file and file["cell"].value != cell_name:
        raise file["cell"].fail(f"this file describes cell '{file['cell'].value}', not '{cell_name}'; "
                                f"run rnncalc {file['cell'].value} or change the key")

    params = _param_entries(file, flags)
    cell = _cell(cell_name, file, flags, params)
    for name in cell.zero_if_given:
        if name in params:
            if np.any(_array(params[name]) != 0):
                raise params[name].fail(f"the {cell.title} has no {name}, so it may only be 0; "
                                        "fold it into the other bias, or choose the variant that has it")
            del params[name]
            file.pop(name, None)
    _reject_unknown(cell, file, params)

    inits = {s.init_key: file.get(s.init_key) for s in cell.states}
    for key, text in flags.states.items():
        if key not in inits:
            raise InputError(f"--{key}", f"cell {cell.name} has no state {key[:-1]}")
        inits[key] = Entry(parse_flow(text, f"--{key}"), f"--{key}", f"--{key}")
    x, stream = _input(file, flags, source)
    arrays = {k: _array(e) for k, e in {**params, **inits}.items() if e is not None}
    if stream is None:
        steps = _steps(x)
    else:
        first = stream.first() if isinstance(stream, sequences.LineSteps) else stream[0]
        if first is None:
            raise x.fail("no input steps; give at least one")
        steps = [np.asarray(first, dtype=float)]
    sizes = _sizes(cell, file, flags, params, inits, arrays, steps, x)
    if stream is None:
        xs = _shape_steps(x, steps, sizes["D"])
        count = len(xs)
    else:
        xs = sequences.checked_rows(stream, sizes["D"], x.origin)
        count = len(stream) if isinstance(stream, np.ndarray) else None

    specs = {p.name: p for p in cell.params}
    values, origins = {}, {}
    for name, pair in cell.concatenated.items():
        if name in params:
            h, d = sizes["H"], sizes["D"]
            w = _shaped(params[name], arrays[name], (h, h + d), f"(H, H+D) acting on [{pair[0][-1]}_{{t-1}}; x_t]")
            values[pair[0]], values[pair[1]] = w[:, :h], w[:, h:]
            origins[pair[0]] = origins[pair[1]] = f"{name} ({params[name].origin})"

    fills = {"weight": _fill("weights", flags.weights, file.get("weights")),
             "bias": _fill("biases", flags.biases, file.get("biases"))}
    missing = []
    for spec in cell.params:
        if spec.name in values:
            continue
        shape = tuple(sizes[d] for d in spec.shape)
        if spec.name in params:
            values[spec.name] = _shaped(params[spec.name], arrays[spec.name], shape, cells.symbolic(spec.shape))
            origins[spec.name] = params[spec.name].origin
        elif fills[spec.kind] is not None and spec.name not in ("W_y",):
            fill = fills[spec.kind]
            values[spec.name] = _shaped(fill, _array(fill), shape, cells.symbolic(spec.shape))
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
            init[s.name] = np.zeros(sizes["H"])
            origins[s.init_key] = "default 0"
        else:
            init[s.name] = _shaped(entry, arrays[s.init_key], (sizes["H"],), "(H,)")
            origins[s.init_key] = entry.origin

    digits = flags.digits if flags.digits is not None else _whole(file.get("digits"), 0, 17, DEFAULT_DIGITS)
    atol = flags.atol if flags.atol is not None else _tolerance(file.get("atol"))
    name = file["name"].value if "name" in file else None
    if name is not None and not isinstance(name, (str, int, float)):
        raise file["name"].fail(f"expected a short text, found {_kind(name)}")
    rounding = _rounding(file, flags)
    if flags.grad:
        _refuse_rounding(file, flags, rounding)
        if count is None:  # backpropagation needs the whole sequence: read the stream to its end now
            xs = np.array(list(xs), dtype=float).reshape(-1, sizes["D"])  # (T, D)
            count = len(xs)
    return Problem(
        cell=cell, sizes=sizes, params={n: values[n] for n in specs}, init=init, xs=xs,
        rounding=rounding, origins=origins,
        concatenated=tuple(n for n in cell.concatenated if n in params), source=source,
        steps=count, name=None if name is None else str(name), digits=digits, atol=atol,
        expect=_expectations(cell, sizes, count, file.get("expect"), flags.expect),
        loss=_loss(cell, sizes, count, file, flags),
    )


# ---------------------------------------------------------------- pieces of build

def _input(file, flags, source):
    """The x entry, and the stream its steps come from when they are not in the YAML (else None)."""
    given = [name for name, v in (("-x", flags.x), ("--x-file", flags.x_file)) if v is not None]
    if len(given) > 1:
        raise InputError(given[1], "the input sequence is already given by -x; give it one way")
    if flags.x_file is not None:
        return Entry(None, "--x-file", flags.x_file), sequences.open_steps(flags.x_file)
    if flags.x == "-":
        if source == "<stdin>":
            raise InputError("-x -", "the problem file is already read from stdin; give x in it or from a file")
        return Entry(None, "-x -", "<stdin>"), sequences.LineSteps(sys.stdin, "<stdin>")
    if flags.x is not None:
        return Entry(parse_flow(flags.x, "-x"), "-x", "-x"), None
    if "x" in file:
        return file["x"], None
    raise InputError(f"{source}: x" if source else "x",
                     "no input sequence; give x in the file, or use -x or --x-file")


def _whole(entry, low, high, default):
    if entry is None:
        return default
    v = entry.value
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise entry.fail(f"expected a whole number from {low} to {high}, found {_kind(v) if not isinstance(v, int) else v}")
    return v


def _tolerance(entry):
    if entry is None:
        return None
    v = entry.value
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < math.inf:
        raise entry.fail(f"expected a tolerance ≥ 0, found {_kind(v) if not isinstance(v, (int, float)) else v}")
    return float(v)


def _expectations(cell, sizes, count, file_entry, flag_items):
    """--expect NAME=V1,V2,... and the file's expect: mapping, checked against the cell and T."""
    entries = {}
    if file_entry is not None:
        if not isinstance(file_entry.value, dict):
            raise file_entry.fail(f"expected a mapping such as {{h: [0, 1, 1]}}, found {_kind(file_entry.value)}")
        for name, value in file_entry.value.items():
            entries[str(name)] = Entry(value, f"{file_entry.where} {name}", file_entry.origin)
    entries.update(_named_flags(flag_items, "--expect", "NAME=V1,V2,..."))
    sizes_of = {q: sizes[cell.equation(q.removesuffix("_pre")).dim] for q in cell.quantities}
    result = []
    for name, entry in entries.items():
        if name not in sizes_of:
            close = difflib.get_close_matches(name, list(sizes_of), n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; the {cell.name} cell has {' '.join(sizes_of)}"
            raise entry.fail(f"no quantity '{name}'{hint}")
        result.append(_expectation(name, entry, sizes_of[name], count))
    return result


def _expectation(name, entry, n, count):
    a = _array(entry)
    per_step = f"one value per step ({count})" if count else "one value per step"
    shape = f"{n} numbers" if n > 1 else "a number"
    if a.ndim == 0 and n == 1 or a.ndim == 1 and n > 1 and len(a) == n:
        values, final = a.reshape(1, n), True
    elif a.ndim == 1 and n == 1:
        values, final = a.reshape(-1, 1), len(a) == 1
    elif a.ndim == 2 and a.shape[1] == n:
        values, final = a, len(a) == 1
    else:
        raise entry.fail(f"expected {per_step} or one for the final step, each {shape}; found shape "
                         f"{_fmt_shape(a.shape)}")
    if not final and count is not None and len(values) != count:
        raise entry.fail(f"expected {per_step} or one for the final step; found {len(values)}")
    return Expectation(name, values, final, entry.where)


def _mapping(doc):
    if doc is None:
        return {}
    if doc.data is None:
        raise InputError(doc.source, "the document is empty; expected a mapping of keys such as W_fh, h0 and x "
                                     "(rnncalc init CELL prints a template)")
    if not isinstance(doc.data, dict):
        raise InputError(doc.source, f"expected a mapping of keys such as W_fh, h0 and x, found {_kind(doc.data)}")
    for key in doc.data:
        if not isinstance(key, str):
            raise InputError(doc.source, f"keys must be names such as W_fh, found {_kind(key)} {key!r}")
    return doc.data


def _param_entries(file, flags):
    """The parameters given in the file, overridden by -p NAME=VALUE flags."""
    entries = {k: e for k, e in file.items() if k.startswith(("W_", "b_", "P_"))}
    entries.update(_named_flags(flags.params, "--param", "NAME=VALUE"))
    return entries


def _named_flags(items, flag, form):
    """Repeated NAME=VALUE flags (VALUE in YAML flow syntax) as Entries by name; a name given twice is an error."""
    entries = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(flag, f"expected {form}, found '{item}'")
        if name in entries:
            raise InputError(f"{flag} {name}", "given twice")
        where = f"{flag} {name}"
        entries[name] = Entry(parse_flow(text, where), where, flag)
    return entries


def _cell(cell_name, file, flags, params):
    """The cell's description with its options (activation, variant, peepholes, output layer) applied."""
    options = {}
    for key in CELL_OPTIONS:
        entry = _option_entry(file, flags, key)
        if entry is None:
            continue
        if key not in cells.OPTIONS[cell_name]:
            owners = " and ".join(n for n, o in cells.OPTIONS.items() if key in o)
            raise entry.fail(f"only the {owners} cell takes this option, not {cell_name}")
        options[key] = _choice(entry, cells.OPTIONS[cell_name][key])
    if cell_name == "lstm":
        options["peepholes"] = "".join(p[-1] for p in cells.PEEPHOLES if p in params)
    cell = cells.CELLS[cell_name](**options)
    output = _option_entry(file, flags, "output")
    if "W_y" in params:
        cell = cell.with_output(_choice(output, cells.OUTPUTS) if output else cells.OUTPUTS[0])
    elif output is not None:
        raise output.fail("there is no output layer to apply it to; give W_y (K, H)")
    return cell


def _option_entry(file, flags, key):
    if flags.options.get(key) is not None:
        flag = "--" + key.replace("_", "-")
        return Entry(flags.options[key], flag, flag)
    return file.get(key)


def _choice(entry, choices):
    if entry.value not in choices:
        raise entry.fail(f"expected one of {', '.join(choices)}, found {_kind(entry.value)}")
    return entry.value


def _reject_unknown(cell, file, params):
    known = {*OPTION_KEYS, *cell.param_names, *cell.concatenated, *(s.init_key for s in cell.states)}
    if "W_y" not in cell.param_names:
        known |= {"W_y", "b_y"}
    for key, entry in {**file, **params}.items():
        if key in known:
            continue
        others = [n for n, pages in cells.PAGES.items()
                  if n != cell.name and any(_knows(cells.CELLS[n](**page), key) for page in pages)]
        hint = f"; it belongs to the {' and '.join(others)} cell" if others else ""
        close = difflib.get_close_matches(key, sorted(known), n=1)
        if close and not others:
            hint = f"; did you mean {close[0]}?"
        kind = "parameter" if key in params else "key"
        raise InputError(entry.at or entry.where, f"unknown {kind} '{key}' for the {cell.name} cell{hint}")
    for name, pair in cell.concatenated.items():
        other = next((n for n in pair if n in params), None)
        if name in params and other:
            raise params[name].fail(f"given both as {name} and as {other} ({params[other].where}); give one form")
    if "b_y" in params and "W_y" not in params:
        raise params["b_y"].fail("an output bias needs the output weights W_y (K, H) too")


def _knows(cell, key):
    return key in cell.param_names or key in cell.concatenated or key in {s.init_key for s in cell.states}


def _kind(value):
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return type(value).__name__


def _array(entry):
    """The entry's value as a float array, after checking it holds only finite numbers in a rectangle
    (at most MAX_NUMBERS of them, nested at most three deep: YAML aliases cannot blow it up)."""
    count = 0

    def check(v, path, depth):
        nonlocal count
        at = f" at {path}" if path else ""
        if isinstance(v, np.ndarray):
            count += v.size
            if not np.all(np.isfinite(v)):
                raise entry.fail(f"expected finite numbers{at}, found {v[~np.isfinite(v)].flat[0]}")
        elif isinstance(v, bool) or not isinstance(v, (int, float, list)):
            raise entry.fail(f"expected a number{at}, found {_kind(v)}")
        elif isinstance(v, list):
            if depth >= 3:
                raise entry.fail(f"lists nested too deeply{at}: expected numbers, or lists of them, or lists of those")
            if not v:
                raise entry.fail(f"found an empty list{at}")
            count += len(v)
            if count > MAX_NUMBERS:
                raise entry.fail(f"holds more than {MAX_NUMBERS:,} numbers, the limit for one key")
            if {type(item) for item in v} <= {float, int}:  # a row of numbers: finite ones are checked below
                return
            for i, item in enumerate(v):
                check(item, f"{path}[{i}]", depth + 1)
            lengths = {len(item) if isinstance(item, (list, np.ndarray)) else None for item in v}
            if len(lengths) > 1:
                raise entry.fail(f"ragged list{at}: rows of different lengths")
    check(entry.value, "", 0)
    try:
        a = np.array(entry.value, dtype=float)
    except OverflowError:
        raise entry.fail("expected a finite number, found an integer beyond float64's range") from None
    if not np.all(np.isfinite(a)):
        index = tuple(np.argwhere(~np.isfinite(a))[0])
        at = "".join(f"[{i}]" for i in index)
        raise entry.fail(f"expected a finite number{' at ' + at if at else ''}, found {a[index]}")
    return a


def _shaped(entry, a, shape, symbolic):
    """a as an array of exactly this shape: a scalar fills it, an (n, 1) column or a flat list fits a
    shape with one entry per row or column; anything else is an error naming both shapes."""
    if a.ndim == 0:
        return np.full(shape, float(a))
    if a.shape == shape:
        return a
    if a.size == math.prod(shape) and (len(shape) == 1 and a.shape == (shape[0], 1)
                                       or len(shape) == 2 and a.ndim == 1 and 1 in shape):
        return a.reshape(shape)
    raise entry.fail(f"expected shape {_fmt_shape(shape)} {symbolic}, found {_fmt_shape(a.shape)}")


def _fmt_shape(shape):
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _fill(key, flag_text, file_entry):
    """The --weights V / --biases V value (or the file's weights: / biases: key) as an Entry."""
    option = f"--{key}"
    if flag_text is not None:
        entry = Entry(parse_flow(flag_text, option), option, f"{option} {flag_text}")
    elif file_entry is not None:
        entry = Entry(file_entry.value, file_entry.where, f"{file_entry.origin} {key}:")
    else:
        return None
    if key == "weights" and isinstance(entry.value, (list, bool)):
        raise entry.fail(f"expected one number to fill every weight matrix, found {_kind(entry.value)}")
    _array(entry)
    return entry


def _steps(x):
    """The input sequence as a list of steps, each a float array; a bare number is one step."""
    value = list(x.value) if isinstance(x.value, (list, np.ndarray)) and np.ndim(x.value) else [x.value]
    if not value:
        raise x.fail("no input steps; give at least one")
    steps = []
    for t, step in enumerate(value, start=1):
        a = _array(Entry(step, f"{x.where} step {t}", x.origin))
        if a.ndim > 1:
            raise InputError(f"{x.where} step {t}", f"expected a number or a list of numbers, found shape {a.shape}")
        steps.append(a)
    return steps


def _sizes(cell, file, flags, params, inits, arrays, steps, x):
    """H, D and K: as given by hidden: / input: (or --hidden / --input), else read off the shapes."""
    specs = {p.name: p for p in cell.params}
    found = {"H": [], "D": [], "K": []}  # dim -> [(size, why, where)]
    entries = {**params, **inits}

    def saw(dim, size, key, a):
        found[dim].append((size, key, _fmt_shape(a.shape), entries[key].where))

    for key, a in arrays.items():
        if key in specs and len(specs[key].shape) == 2 and a.ndim == 2:
            rows, cols = specs[key].shape
            saw(rows, a.shape[0], key, a)
            saw(cols, a.shape[1], key, a)
        elif key in cell.concatenated and a.ndim == 2:
            saw("H", a.shape[0], key, a)
            if a.shape[1] <= a.shape[0]:
                raise params[key].fail(f"a concatenated weight is (H, H+D) with D ≥ 1, found {_fmt_shape(a.shape)}")
            saw("D", a.shape[1] - a.shape[0], key, a)
        elif a.ndim >= 1 and (key in specs or key in inits):
            dim = specs[key].shape[0] if key in specs else "H"
            saw(dim, a.shape[0], key, a)
    lengths = {len(s) for s in steps if s.ndim == 1}
    if len(lengths) > 1:
        raise x.fail(f"steps of different lengths {sorted(lengths)}; every step needs one number per input")
    if lengths:
        n = lengths.pop()
        found["D"].append((n, "x", f"({len(steps)}, {n})", x.where))

    sizes = {}
    for dim in ("H", "D", "K"):
        if dim == "K" and "W_y" not in specs:
            continue
        key = {"H": "hidden", "D": "input"}.get(dim)
        given = None
        if key:
            given = getattr(flags, key)
            if given is not None:
                given = (given, f"--{key}", given, f"--{key}")
            elif key in file:
                v = file[key].value
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise file[key].fail(f"expected a whole number ≥ 1, found {_kind(v) if not isinstance(v, int) else v}")
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


def _shape_steps(x, steps, d):
    rows = []
    for t, a in enumerate(steps, start=1):
        if a.ndim == 0 and d != 1:
            raise InputError(f"{x.where} step {t}", f"is one number, but the input size D is {d}; "
                             f"give each step as a list of {d} numbers, e.g. [{', '.join(['0'] * d)}]")
        rows.append(a.reshape(d) if a.ndim == 0 else a)
    return np.array(rows, dtype=float).reshape(len(steps), d)


def _rounding(file, flags):
    """The rounding in force: the file's round:, then --round, then --round-sigmoid / --round-tanh."""
    modes = {"sigmoid": "none", "tanh": "none"}
    if "round" in file:
        entry = file["round"]
        value = entry.value
        if isinstance(value, dict):
            for fn, mode in value.items():
                if fn not in modes:
                    raise entry.fail(f"expected keys sigmoid and tanh, found '{fn}'")
                modes[fn] = _round_mode(entry, mode)
        else:
            modes = dict.fromkeys(modes, _round_mode(entry, value))
    if flags.round is not None:
        modes = dict.fromkeys(modes, flags.round)
    for fn in modes:
        if getattr(flags, f"round_{fn}") is not None:
            modes[fn] = getattr(flags, f"round_{fn}")
    state = False
    if flags.round_state is not None:
        state = flags.round_state
    elif "round_state" in file:
        state = file["round_state"].value
        if not isinstance(state, bool):
            raise file["round_state"].fail(f"expected true or false, found {_kind(state)}")
    return Rounding(modes["sigmoid"], modes["tanh"], state)


def _round_mode(entry, mode):
    if mode not in ROUND_MODES:
        raise entry.fail(f"expected a rounding mode ({', '.join(ROUND_MODES)}), found {_kind(mode) if not isinstance(mode, str) else repr(mode)}")
    return mode


# ---------------------------------------------------------------- what --grad differentiates

def _refuse_rounding(file, flags, rounding):
    """--grad on a rounded run: a rounded σ, tanh or state is piecewise constant, with no gradient."""
    if not rounding.active:
        return
    if rounding.sigmoid == rounding.tanh == "none":
        source = "--round-state" if flags.round_state else file["round_state"].where
        what, fix = "a state rounded to integers", "--no-round-state"
    else:
        fn = "sigmoid" if rounding.sigmoid != "none" else "tanh"
        mode = getattr(rounding, fn)
        source = (f"--round-{fn} {mode}" if getattr(flags, f"round_{fn}") is not None
                  else f"--round {mode}" if flags.round is not None else file["round"].where)
        what, fix = "a rounded σ or tanh", "--round none"
    hint = "" if source.startswith("--") else f" ({fix} overrides the file)"
    raise InputError("--grad", f"cannot differentiate a rounded run ({source}): {what} is piecewise constant, "
                               f"with no gradient; run without rounding{hint}")


def _loss(cell, sizes, count, file, flags):
    """--loss with --target or --target-file (else the file's loss: and target:), checked against the cell,
    the size of q_t (y_t, else the visible state) and T: the Loss for backward, or None without --grad."""
    if not flags.grad:
        flag = next((f for f, v in (("--loss", flags.loss), ("--target", flags.target),
                                    ("--target-file", flags.target_file)) if v is not None), None)
        if flag:
            raise InputError(flag, "only --grad uses a loss and its target; add --grad")
    kind = _loss_kind(file, flags)
    name = kind.value if kind else "sum"
    target = _target(file, flags, set_aside=name == "sum" and flags.loss is not None)
    if name == "sum":
        if target is not None:
            raise target[0].fail(f"the {'default ' if kind is None else ''}loss, sum, takes no target; "
                                 "choose --loss mse, xent or dot, or drop the target")
        return Loss() if flags.grad else None
    if target is None:
        raise kind.fail(f"{name} needs a target; give --target, --target-file or target: in the file")
    if name == "xent":
        _need_softmax(cell, kind)
        value = _class_indices(*target, sizes["K"], count)
    else:
        value = _target_rows(cell, *target, sizes, count)
    return Loss(name, value) if flags.grad else None


def _loss_kind(file, flags):
    if flags.loss is not None:
        return Entry(flags.loss, "--loss", "--loss")
    if "loss" in file:
        _choice(file["loss"], LOSS_KINDS)
        return file["loss"]
    return None


def _target(file, flags, set_aside=False):
    """(Entry, float array) for --target, --target-file or the file's target:, in that order; None when none
    is given. set_aside: --loss sum on the command line overrides the file's target with its loss."""
    if flags.target is not None and flags.target_file is not None:
        raise InputError("--target-file", "the target is already given by --target; give it one way")
    if flags.target_file is not None:
        return Entry(None, "--target-file", flags.target_file), _target_file(flags.target_file)
    if flags.target is not None:
        entry = Entry(parse_flow(flags.target, "--target"), "--target", "--target")
    elif "target" in file and not set_aside:
        entry = file["target"]
    else:
        return None
    return entry, _array(entry)


def _target_file(path):
    """A .npy or .csv target, read as --x-file reads steps, one step a row: a (rows, width) array."""
    rows = [np.asarray(row, dtype=float).ravel() for row in sequences.open_steps(path)]
    if not rows:
        raise InputError(path, "holds no rows; expected one target a row")
    widths = sorted({row.size for row in rows})
    if len(widths) > 1:
        raise InputError(path, f"rows of different lengths {widths}; every row needs as many numbers")
    a = np.array(rows)  # (rows, width)
    if not np.all(np.isfinite(a)):
        raise InputError(path, f"row {int(np.argmin(np.all(np.isfinite(a), axis=1))) + 1} is not finite")
    return a


def _need_softmax(cell, entry):
    """xent differentiates −log y_t[k_t] on a softmax output: say what the problem has instead."""
    output = cell.options.get("output")
    if output == "softmax":
        return
    has = "no output layer; give W_y (K, H)" if output is None else f"a {output} output; use --output softmax"
    raise entry.fail(f"xent is the cross-entropy of a softmax output y_t, and this {cell.name} problem has {has}, "
                     "or choose --loss mse")


def _class_indices(entry, a, k, count):
    """xent's target: one class index per step, each a whole number in [0, K)."""
    found = _fmt_shape(a.shape)
    if a.ndim == 2 and a.shape[1] == 1:  # a column, as a file of one index a line gives it
        a = a[:, 0]
    a = a.reshape(1) if a.ndim == 0 else a
    if a.ndim != 1 or count is not None and len(a) != count:
        per_step = f"{count} class indices, one per step" if count else "one class index per step"
        raise entry.fail(f"expected {per_step}; found shape {found}")
    for t, v in enumerate(a, start=1):
        if v != round(v) or not 0 <= v < k:
            raise entry.fail(f"expected class indices, whole numbers from 0 to {k - 1} (y_t has K = {k}); "
                             f"found {v:g} at step {t}")
    return a


def _target_rows(cell, entry, a, sizes, count):
    """mse's and dot's target: (T, n) one per step, or (n,) for the final step, n the size of q_t
    (y_t, else the visible state). A flat list is the final step's, unless each step is one number."""
    q, dim = ("y", "K") if "K" in sizes else (cell.visible, "H")
    n = sizes[dim]
    if a.ndim == 0 and n == 1 or a.ndim == 1 and len(a) == n:
        return a.reshape(n)
    if a.ndim == 1 and n == 1 and (count is None or len(a) == count):
        return a.reshape(-1, 1)
    if a.ndim == 2 and a.shape[1] == n and (len(a) == 1 or count is None or len(a) == count):
        return a[0] if len(a) == 1 else a
    raise entry.fail(f"expected one target per step, shape ({count or 'T'}, {n}), or one for the final step, "
                     f"shape ({n},), each like {q}_t ({dim} = {n}); found shape {_fmt_shape(a.shape)}")
