"""Reading values the user gave: numbers, arrays of a shape, input steps, rounding modes, and their limits.

Each value arrives as an Entry that knows where it was given (file and line, or flag), so that every
error names the place, what was expected and what was found.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from . import npyio, sequences
from .choices import ROUND_MODES
from .engine import Rounding
from .errors import InputError
from .streams import stdin_text
from .text import clipped, shape_text
from .yamlio import parse_flow

MAX_SIZE = 2048  # the largest H, D or K


class Entry:
    """A value the user gave, with where it was given, for errors and for the header: where as
    "model.yaml:3: W_fh" or "--param W_fh", origin as "model.yaml" or "--param", and at, the place
    without the key, "model.yaml:3"."""
    __slots__ = ("value", "where", "origin", "at")

    def __init__(self, value, where: str, origin: str, at: str = ""):
        self.value, self.where, self.origin, self.at = value, where, origin, at

    def fail(self, message):
        return InputError(self.where, message)


def read_mapping(doc):
    if doc is None:
        return {}
    if doc.data is None:
        raise InputError(doc.source, "the document is empty; expected a mapping of keys such as W_fh, h0 and x "
                                     "(rnncalc init CELL prints a template)")
    if not isinstance(doc.data, dict):
        raise InputError(doc.source, f"expected a mapping of keys such as W_fh, h0 and x, found {kind_of(doc.data)}")
    return doc.data


def named_flags(items, flag, form, address=""):
    """Repeated NAME=VALUE flags (VALUE in YAML flow syntax) as Entries by name; a name given twice is an
    error. address: what the names stand under, for the messages (layers.2. in a stack). An item may be a
    (where, NAME=VALUE) pair, said to come from where rather than the flag (a stack file's pin: key)."""
    entries = {}
    for item in items:
        label, item = item if isinstance(item, tuple) else (flag, item)
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(label, f"expected {form}, found '{clipped(item)}'")
        where = f"{label} {address}{clipped(name)}"
        if name in entries:
            raise InputError(where, "given twice")
        entries[name] = Entry(parse_flow(text, where), where, label)
    return entries


def step_ranges(text: str, where: str = "--steps"):
    """Steps as --steps names them: 3, 10:20 (inclusive), 5:, :4 or 1,3,7, as ((first, last or None), ...)."""
    import re

    ranges = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*([0-9]{0,18})\s*(:?)\s*([0-9]{0,18})\s*", part)
        if not m or not (m.group(1) or m.group(3)) or not m.group(2) and (not m.group(1) or m.group(3)):
            raise InputError(where, f"expected a step, A:B, A: or :B (steps count from 1), found "
                                    f"'{clipped(part.strip(), 41)}'")
        first = int(m.group(1)) if m.group(1) else 1
        last = (int(m.group(3)) if m.group(3) else None) if m.group(2) else first
        if first < 1 or last is not None and last < first:
            raise InputError(where, f"expected steps from 1 on, first ≤ last, found '{clipped(part.strip(), 41)}'")
        ranges.append((first, last))
    return tuple(ranges)


def past_last(ranges, T):
    """The first step the ranges name past T, the last step; None when there is none."""
    named = [t for first, last in ranges for t in (first, last) if t is not None]
    return min((t for t in named if t > T), default=None)


def pins_past(cell, T):
    """InputError for a pin naming a step past T (a stream's T, known once it ends)."""
    for p in cell.pins:
        if p.counts is not None and past_last(p.counts, T) is not None:
            raise InputError(f"--pin {p.name}@{p.steps}", f"step {past_last(p.counts, T)} is past the last step, T = {T}")


def read_input(file, flags, source):
    """The x entry, and the stream its steps come from when they are not in the YAML (else None)."""
    given = [name for name, v in (("-x", flags.x), ("--x-file", flags.x_file)) if v is not None]
    if len(given) > 1:
        raise InputError(given[1], "the input sequence is already given by -x; give it one way")
    if flags.x_file is not None:
        return Entry(None, "--x-file", flags.x_file), sequences.open_steps(flags.x_file)
    if flags.x == "-":
        return Entry(None, "-x -", "<stdin>"), sequences.LineSteps(stdin_text("-x -"), "<stdin>")
    if flags.x is not None:
        return Entry(parse_flow(flags.x, "-x"), "-x", "-x"), None
    if "x" in file:
        x = file["x"]
        if isinstance(x.value, np.ndarray):  # from an .npz: steps as --x-file's .npy gives them
            return Entry(None, x.where, x.where), sequences.as_steps(x.value, x.where)
        return x, None
    raise InputError(f"{source}: x" if source else "x",
                     "no input sequence; give x in the file, or use -x or --x-file")


def read_steps(x):
    """The input sequence as steps: a (T,) array when each step is one number, a (T, n) array when each
    is a list of n numbers, else a list of each step's array; a bare number is one step."""
    listed = isinstance(x.value, list) or isinstance(x.value, np.ndarray) and x.value.ndim
    value = list(x.value) if listed else [x.value]
    if not value:
        raise x.fail("no input steps; give at least one")
    try:
        a = value_array(Entry(value, x.where, x.origin))
        if a.ndim in (1, 2):
            return a
    except InputError:
        pass  # said again below, at the step where it is
    steps = []
    for t, step in enumerate(value, start=1):
        a = value_array(Entry(step, f"{x.where} step {t}", x.origin))
        if a.ndim > 1:
            raise InputError(f"{x.where} step {t}", f"expected a number or a list of numbers, found shape {a.shape}")
        steps.append(a)
    return steps


def shape_steps(x, steps, d):
    """The steps as a (T, D) array; with D > 1, a flat list of D numbers is one step."""
    if isinstance(steps, np.ndarray) and (steps.ndim == 2 or d == 1):
        return steps.reshape(len(steps), d)  # (T, D) rows as they are, or (T,) one number a step
    if d > 1 and len(steps) == d and all(a.ndim == 0 for a in steps):
        return np.array(steps, dtype=float).reshape(1, d)
    rows = []
    for t, a in enumerate(steps, start=1):
        if a.ndim == 0 and d != 1:
            raise InputError(f"{x.where} step {t}", f"is one number, but the input size D is {d}; "
                             f"give each step as a list of {d} numbers, e.g. [{', '.join(['0'] * d)}]")
        rows.append(a.reshape(d) if a.ndim == 0 else a)
    return np.array(rows, dtype=float).reshape(len(steps), d)


def value_array(entry):
    """The entry's value as a float array, after checking it holds only finite numbers in a rectangle,
    nested at most three deep (how many, aliases expanded, the reader has bounded already)."""

    def check(v, path, depth):
        """v checked, and its shape returned, so that rows of other lengths or depths are found."""
        at = f" at {path}" if path else ""
        if isinstance(v, np.ndarray):
            v = npyio.as_float64(v, entry.where + at)
            if not v.size:
                raise entry.fail(f"found an empty array{at}, of shape {v.shape}")
            if not np.all(np.isfinite(v)):
                raise entry.fail(f"expected finite numbers{at}, found {v[~np.isfinite(v)].flat[0]}")
            return v.shape
        if isinstance(v, bool) or not isinstance(v, (int, float, list)):
            raise entry.fail(f"expected a number{at}, found {kind_of(v)}")
        if not isinstance(v, list):
            return ()
        if depth >= 3:
            raise entry.fail(f"lists nested too deeply{at}: expected numbers, or lists of them, or lists of those")
        if not v:
            raise entry.fail(f"found an empty list{at}")
        if {type(item) for item in v} <= {float, int}:  # a row of numbers: finite ones are checked below
            return (len(v),)
        shapes = {check(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(v)}
        if len(shapes) > 1:
            raise entry.fail(f"ragged list{at}: rows of different lengths or depths")
        return (len(v),) + shapes.pop()
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


def read_shaped(entry, a, shape, symbolic):
    """a as an array of exactly this shape: a scalar fills it, an (n, 1) column or a flat list fits a
    shape with one entry per row or column; anything else is an error naming both shapes."""
    if a.ndim == 0:
        return np.full(shape, float(a))
    if a.shape == shape:
        return a
    if a.size == math.prod(shape) and (len(shape) == 1 and a.shape == (shape[0], 1)
                                       or len(shape) == 2 and a.ndim == 1 and 1 in shape):
        return a.reshape(shape)
    raise entry.fail(f"expected shape {shape_text(shape)} {symbolic}, found {shape_text(a.shape)}")


def read_fill(key, flag_text, file_entry):
    """The --weights V / --biases V value (or the file's weights: / biases: key) as an Entry."""
    option = f"--{key}"
    if flag_text is not None:
        entry = Entry(parse_flow(flag_text, option), option, f"{option} {flag_text}")
    elif file_entry is not None:
        entry = Entry(file_entry.value, file_entry.where, f"{file_entry.origin} {key}: {file_entry.value}")
    else:
        return None
    if key == "weights" and isinstance(entry.value, (list, bool)):
        raise entry.fail(f"expected one number to fill every weight matrix, found {kind_of(entry.value)}")
    value_array(entry)
    return entry


def read_whole(entry, low, high, default):
    if entry is None:
        return default
    v = entry.value
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise entry.fail(f"expected a whole number from {low} to {high}, found {kind_of(v)}")
    return v


def read_tolerance(entry):
    if entry is None:
        return None
    v = entry.value
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= sys.float_info.max:
        raise entry.fail(f"expected a tolerance ≥ 0, found {kind_of(v) if not isinstance(v, (int, float)) else v}")
    return float(v)


def read_rounding(file, flags):
    """The rounding in force: the file's round:, then --round, then --round-sigmoid / --round-tanh."""
    modes = {"sigmoid": "none", "tanh": "none"}
    if "round" in file:
        entry = file["round"]
        value = entry.value
        if isinstance(value, dict):
            for fn, mode in value.items():
                if fn not in modes:
                    raise entry.fail(f"expected keys sigmoid and tanh, found '{clipped(fn)}'")
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
            raise file["round_state"].fail(f"expected true or false, found {kind_of(state)}")
    return Rounding(modes["sigmoid"], modes["tanh"], state)


def _round_mode(entry, mode):
    if not isinstance(mode, str) or mode not in ROUND_MODES:
        raise entry.fail(f"expected a rounding mode ({', '.join(ROUND_MODES)}), found {kind_of(mode) if not isinstance(mode, str) else repr(clipped(mode))}")
    return mode


def read_choice(entry, choices):
    if not isinstance(entry.value, str) or entry.value not in choices:
        raise entry.fail(f"expected one of {', '.join(choices)}, found {kind_of(entry.value)}")
    return entry.value


def kind_of(value):
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text '{clipped(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        return f"the number {clipped(repr(value))}"
    return type(value).__name__
