"""A problem's keys sorted out before any value is read: the cell they describe, with its options applied;
its parameters; the flags that stand for a key; and every key it cannot have refused, with what was meant.
"""

from __future__ import annotations

import difflib

from . import cells
from .errors import InputError
from .reading import Entry, kind_of, named_flags, read_choice
from .text import clipped

# Keys a problem may have besides its cell's parameters and initial states.
CELL_OPTIONS = sorted({o.key for entry in cells.CELLS.values() for o in entry.options})
OPTION_KEYS = ("cell", "name", "hidden", "input", "proj", "x", "round", "round_state", "output", "weights", "biases",
               "journey", "digits", "atol", "expect", "loss", "target", "pin", *CELL_OPTIONS)


def check_cell(entry: Entry | None, cell_name: str) -> None:
    """A file's cell: key, if given, must name the cell of the command that reads it."""
    if entry is None or (isinstance(entry.value, str) and entry.value == cell_name):
        return
    given = entry.value
    if not (isinstance(given, str) and given in cells.CELLS):
        raise entry.fail(f"expected one of {', '.join(cells.CELLS)}, found {kind_of(given)}{cell_hint(given)}")
    if entry.origin == "--param":
        raise entry.fail(f"the command names the cell; run rnncalc {given} instead of rnncalc {cell_name}")
    raise entry.fail(f"this file describes cell '{given}', not '{cell_name}'; run rnncalc {given} or change the key")


def cell_hint(given) -> str:
    """"; did you mean lstm?" for a cell's name mistyped (lstmm), else ""."""
    close = difflib.get_close_matches(given, list(cells.CELLS), n=1) if isinstance(given, str) and len(given) < 100 else []
    return f"; did you mean {close[0]}?" if close else ""


def param_flags(flags) -> dict:
    """-p KEY=V by KEY, each to stand for the file's KEY: V, as Entries named "--param KEY" (with the
    layer's address in a stack). A key that a flag of its own gives too is refused, as one of the two
    would be dropped."""
    entries = named_flags(flags.params, "--param", "NAME=VALUE", flags.address)
    for key, entry in entries.items():
        flag = own_flag(key, flags)
        if flag is not None:
            raise entry.fail(f"also given by {flag}; give it once")
    return entries


def own_flag(key, flags):
    """The flag of its own that the command line gave for the YAML key KEY (--h0 for h0, -x for x), or None."""
    given = {
        "x": ("-x", flags.x), "hidden": ("--hidden", flags.hidden), "input": ("--input", flags.input),
        "round": ("--round", flags.round),
        "weights": ("--weights", flags.weights), "biases": ("--biases", flags.biases),
        "digits": ("--digits", flags.digits), "atol": ("--atol", flags.atol), "loss": ("--loss", flags.loss),
        "target": ("--target", flags.target), "pin": ("--pin", tuple(flags.pins) or None),
        "journey": ("--journey", flags.journey),
    }
    flag, value = given.get(key, (None, None))
    if value is not None:
        return flag
    if key == "round_state" and flags.round_state is not None:
        return "--round-state" if flags.round_state else "--no-round-state"
    if key == "x" and flags.x_file is not None:
        return "--x-file"
    if key == "round" and flags.round_sigmoid is not None and flags.round_tanh is not None:
        return "--round-sigmoid and --round-tanh"
    if key == "target" and flags.target_file is not None:
        return "--target-file"
    if key == "expect" and (flags.expect or flags.no_expect):
        return "--expect" if flags.expect else "--no-expect"
    if flags.options.get(key) is not None or flags.states.get(key) is not None:
        return "--" + key.replace("_", "-")
    return None


def param_entries(file, cell):
    """The parameters given (every key that is not an option or an initial state; unknown names are
    refused later, with a suggestion)."""
    states = {s.init_key for s in cell.states}
    return {k: e for k, e in file.items() if k not in OPTION_KEYS and k not in states}


def read_cell(cell_name, file, flags, params):
    """The cell's description with its options (activation, variant, peepholes, output layer) applied."""
    entry_of = cells.CELLS[cell_name]
    takes = {o.key: o for o in entry_of.options}
    options = {}
    for key in CELL_OPTIONS:
        entry = _option_entry(file, flags, key)
        if entry is None:
            continue
        if key not in takes:
            owners = " and ".join(n for n, c in cells.CELLS.items() if any(o.key == key for o in c.options))
            raise entry.fail(f"only the {owners} cell takes this option, not {cell_name}")
        options[key] = read_choice(entry, takes[key].choices)
    if entry_of.implied is not None:
        options.update(entry_of.implied(set(file)))
    cell = entry_of(**options)
    output = _option_entry(file, flags, "output")
    if "W_y" in params:
        cell = cell.with_output(read_choice(output, cells.OUTPUTS) if output else cells.OUTPUTS[0])
    elif output is not None:
        raise output.fail("there is no output layer to apply it to; give W_y (K, H)")
    return cell


def _option_entry(file, flags, key):
    if flags.options.get(key) is not None:
        flag = "--" + key.replace("_", "-")
        return Entry(flags.options[key], flag, flag)
    return file.get(key)


def reject_unknown(cell, file, params):
    known = {*OPTION_KEYS, *cell.param_names, *cell.concatenated, *(s.init_key for s in cell.states)}
    if "W_y" not in cell.param_names:
        known |= {"W_y", "b_y"}
    for key, entry in {**file, **params}.items():
        if key in known:
            continue
        course = course_name(cell, key)
        others = [n for n, entry_of in cells.CELLS.items()
                  if n != cell.name and any(_knows(entry_of(**page), key) for page in entry_of.pages)]
        hint = f"; it belongs to the {' and '.join(others)} cell" if others else ""
        close = difflib.get_close_matches(key, sorted(known), n=1) if len(key) < 100 else []
        if course:
            hint = f"; {course}"
        elif close and not others:
            hint = f"; did you mean {close[0]}?"
        elif not others:
            hint = f"; its parameters are {' '.join(cell.param_names)} (rnncalc equations {cell.name})"
        parameters = {*cell.param_names, *cell.concatenated, "W_y", "b_y"}
        named = (entry.origin == "--param" or others or close and close[0] in parameters
                 or course and key not in INPUT_NAMES)
        kind = "parameter" if named else "key"
        raise InputError(entry.at or entry.where, f"unknown {kind} '{clipped(key)}' for the {cell.name} cell{hint}")
    for name, pair in cell.concatenated.items():
        other = next((n for n in pair if n in params), None)
        if name in params and other:
            raise params[name].fail(f"given both as {name} and as {other} ({params[other].where}); give one form")
    if "b_y" in params and "W_y" not in params:
        raise params["b_y"].fail("an output bias needs the output weights W_y (K, H) too")


INPUT_NAMES = ("inputs", "input_sequence", "sequence", "xs", "X", "x_t", "x_seq")


def course_name(cell, key):
    """What the course calls a key typed backwards (W_hf for W_fh), as another framework names it (W_hh),
    or an input sequence not named x; None when there is nothing to say."""
    if key in INPUT_NAMES:
        return "did you mean x, the input sequence? (input is its size D)"
    other = cells.CELLS[cell.name].other_names.get(key) if cell.name in cells.CELLS else None
    if other:
        return f"the course calls it {other} (rnncalc equations {cell.name})"
    name, sep, sub = key.partition("_")
    if sep and len(sub) == 2 and f"{name}_{sub[::-1]}" in cell.param_names:
        return f"did you mean {name}_{sub[::-1]}? ({name}_{sub[::-1]} multiplies {sub[0]} in {sub[1]}_t)"
    return None


def _knows(cell, key):
    return key in cell.param_names or key in cell.concatenated or key in {s.init_key for s in cell.states}

