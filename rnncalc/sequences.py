"""Input sequences too long for YAML: read lazily from text lines (a pipe, .txt, .csv) or from .npy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .errors import InputError

_SEPARATOR = re.compile(r"[,\s]+")


class LineSteps:
    """One step a line, numbers separated by spaces or commas; blank lines are skipped.

    Lines are parsed as they are consumed, so memory does not grow with the sequence and output
    can start before the input ends.
    """

    def __init__(self, lines, source: str):
        self.source = source
        self._numbered = self._lines(lines)
        self._first = None
        self.line = 0  # the number of the line last parsed

    def _lines(self, lines):
        try:
            for n, line in enumerate(lines, start=1):
                if line.strip():
                    yield n, line
        except UnicodeDecodeError:
            raise InputError(self.source, "is not a text file; expected numbers, one step a line") from None
        except OSError as e:
            raise InputError(self.source, f"cannot be read: {e.strerror or e}") from None

    def first(self):
        """The first step, without consuming it; None for an empty input."""
        if self._first is None:
            self._first = next(self._numbered, None)
        return None if self._first is None else self._parse(*self._first)

    def __iter__(self):
        if self._first is not None:
            yield self._parse(*self._first)
            self._first = None
        for n, line in self._numbered:
            yield self._parse(n, line)

    def _parse(self, n, line):
        self.line = n
        fields = [f for f in _SEPARATOR.split(line.strip()) if f]
        try:
            values = np.array([float(f) for f in fields])
        except ValueError:
            raise InputError(f"{self.source}:{n}", f"expected numbers separated by spaces or commas, "
                             f"found '{line.strip()[:40]}'") from None
        if not np.all(np.isfinite(values)):
            raise InputError(f"{self.source}:{n}", f"expected finite numbers, found '{line.strip()[:40]}'")
        return values


def checked_rows(steps, d: int, source: str):
    """The steps as float arrays, each checked to hold D finite numbers (an array a block at a time)."""
    if isinstance(steps, np.ndarray):
        yield from _checked_blocks(steps, d, source)
        return
    for t, row in enumerate(steps, start=1):
        row = np.asarray(row, dtype=float)
        where = f"{source}:{steps.line}" if isinstance(steps, LineSteps) else source
        if row.shape != (d,):
            raise InputError(where, f"step {t} has {row.size} number{'s' * (row.size != 1)}, "
                             f"but the input size D is {d}")
        if not np.all(np.isfinite(row)):
            raise InputError(where, f"step {t} is not finite: {row.tolist()}")
        yield row


def _checked_blocks(steps, d, source, block=4096):
    if steps.shape[1] != d:
        raise InputError(source, f"steps have {steps.shape[1]} number{'s' * (steps.shape[1] != 1)}, "
                                 f"but the input size D is {d}")
    for start in range(0, len(steps), block):
        rows = np.asarray(steps[start:start + block], dtype=float)
        bad = np.flatnonzero(~np.all(np.isfinite(rows), axis=1))
        if bad.size:
            raise InputError(source, f"step {start + bad[0] + 1} is not finite: {rows[bad[0]].tolist()}")
        yield from rows


def open_steps(path: str):
    """The input sequence in a file: .npy (T, D) or (T,) as an array, .txt or .csv as LineSteps."""
    p = Path(path)
    if not p.is_file():
        raise InputError(path, "no such file" if not p.exists() else "is not a file")
    if p.suffix == ".npy":
        try:
            a = np.load(p, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as e:
            raise InputError(path, f"is not a readable .npy array ({e})") from None
        if a.ndim not in (1, 2) or a.shape[0] == 0 or a.dtype.kind not in "iuf":
            raise InputError(path, f"expected a (T, D) or (T,) array of numbers, found {a.dtype} {a.shape}")
        return a.reshape(len(a), -1)
    if p.suffix in (".txt", ".csv", ""):
        try:
            return LineSteps(p.open(encoding="utf-8", errors="strict"), path)
        except OSError as e:
            raise InputError(path, f"cannot be read: {e.strerror or e}") from None
    raise InputError(path, f"expected a .npy, .csv or .txt file, found '{p.suffix}'")
