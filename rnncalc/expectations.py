"""What the user says a run should give, and what --grad differentiates: expectations, the loss and its target.

Both follow one rule: one value per step, or one for the final step.
"""

from __future__ import annotations

import difflib

import numpy as np

from . import sequences
from .backward import Loss
from .choices import LOSS_KINDS
from .errors import InputError
from .text import clipped, shape_text
from .reading import Entry, value_array, read_choice, kind_of, named_flags
from .yamlio import parse_flow

class Expectation:
    """What the user says a quantity should be: one value per step, or one for the final step; values
    is (n, size), n = T for one per step, 1 for the final step only."""
    __slots__ = ("name", "values", "final_only", "where")

    def __init__(self, name: str, values, final_only: bool, where: str):
        self.name, self.values, self.final_only, self.where = name, values, final_only, where


def read_expectations(cell, sizes, count, file_entry, flag_items, no_expect=False):
    """--expect NAME=V1,V2,... or else the file's expect: mapping, checked against the cell and T. The
    command line's expectations replace the file's; --no-expect leaves the file's out."""
    entries = {}
    if file_entry is not None and not flag_items and not no_expect:
        if not isinstance(file_entry.value, dict):
            raise file_entry.fail(f"expected a mapping such as {{h: [0, 1, 1]}}, found {kind_of(file_entry.value)}")
        for name, value in file_entry.value.items():
            entries[str(name)] = Entry(value, f"{file_entry.where} {clipped(name)}", file_entry.origin)
    entries.update(named_flags(flag_items, "--expect", "NAME=V1,V2,..."))
    sizes_of = {q: sizes[cell.equation(q.removesuffix("_pre")).dim] for q in cell.quantities}
    result = []
    for name, entry in entries.items():
        if name not in sizes_of:
            close = difflib.get_close_matches(name, list(sizes_of), n=1) if len(name) < 100 else []
            hint = f"; did you mean {close[0]}?" if close else f"; the {cell.name} cell has {' '.join(sizes_of)}"
            raise entry.fail(f"no quantity '{clipped(name)}'{hint}")
        result.append(read_expectation(name, entry, sizes_of[name], count))
    return result


def per_step_or_final(a, n):
    """a as rows of n numbers: (T, n), one row per step, or (1, n), one for the final step; None when it is
    neither. A flat list of n numbers is the final step's, unless each step is one number (n = 1)."""
    if a.ndim == 0 and n == 1 or a.ndim == 1 and len(a) == n:
        return a.reshape(1, n)
    if a.ndim == 1 and n == 1:
        return a.reshape(-1, 1)
    if a.ndim == 2 and a.shape[1] == n:
        return a
    return None


def read_expectation(name, entry, n, count):
    a = value_array(entry)
    per_step = f"one value per step ({count})" if count else "one value per step"
    shape = f"{n} numbers" if n > 1 else "a number"
    if a.ndim == 0:  # one number fills the final step's vector, as it fills a parameter
        a = np.full(n, float(a))
    values = per_step_or_final(a, n)
    if values is None:
        raise entry.fail(f"expected {per_step} or one for the final step, each {shape}; found shape "
                         f"{shape_text(a.shape)}")
    final = len(values) == 1
    if not final and count is not None and len(values) != count:
        raise entry.fail(f"expected {per_step} or one for the final step; found {len(values)}")
    return Expectation(name, values, final, entry.where)


def refuse_rounding(file, flags, rounding):
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


def read_loss(cell, sizes, count, file, flags):
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
        read_choice(file["loss"], LOSS_KINDS)
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
    return entry, value_array(entry)


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
    found = shape_text(a.shape)
    if a.ndim == 2 and a.shape[1] == 1:  # a column, as a file of one index a line gives it
        a = a[:, 0]
    a = a.reshape(1) if a.ndim == 0 else a
    if a.ndim != 1 or count is not None and len(a) != count:
        per_step = ("one class index" if count == 1 else f"{count} class indices, one per step") if count else \
            "one class index per step"
        raise entry.fail(f"expected {per_step}; found shape {found}")
    for t, v in enumerate(a, start=1):
        if v != round(v) or not 0 <= v < k:
            raise entry.fail(f"expected class indices, whole numbers from 0 to {k - 1} (y_t has K = {k}); "
                             f"found {v:g} at step {t}")
    return a


def _target_rows(cell, entry, a, sizes, count):
    """mse's and dot's target: (T, n) one per step, or (n,) for the final step, n the size of q_t
    (y_t, else the visible state). A flat list is the final step's, unless each step is one number."""
    q, dim = ("y", "K") if "K" in sizes else (cell.visible, cell.visible_dim)
    n = sizes[dim]
    rows = per_step_or_final(a, n)
    if rows is not None and (len(rows) == 1 or count is None or len(rows) == count):
        return rows[0] if len(rows) == 1 else rows
    raise entry.fail(f"expected one target per step, shape ({count or 'T'}, {n}), or one for the final step, "
                     f"shape ({n},), each like {q}_t ({dim} = {n}); found shape {shape_text(a.shape)}")
