"""Input sequences too long for YAML: read lazily from text lines (a pipe, .txt, .csv), or as an array
from .npy (mapped, not read) or .npz, checked a block of rows at a time."""

from __future__ import annotations

import math
import re
from collections import deque
from pathlib import Path

import numpy as np

from . import npyio
from .errors import InputError
from .text import clipped
from .yamlevents import DECIMAL

MAX_LINE = 2**20  # characters in one line: a step of 2048 numbers leaves each 500
_SEPARATOR = re.compile(r"[,\s]+")
_LINE = re.compile(rf"\s*{DECIMAL}(?:(?:\s*,\s*|\s+){DECIMAL})*\s*")  # a comma between two numbers only
_NOT_FINITE = {"inf", "infinity", "nan"}
_NUMBER_START = re.compile(r"[-+]?\.?[0-9]")
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\udc80-\udcff]")  # controls, and bytes not UTF-8 (surrogateescape)


def is_header(line: str) -> bool:
    """Whether a line is a CSV header row: names, none of them a number or starting as one does.

    >>> is_header('x1,x2'), is_header('"a", "b"'), is_header('1,2'), is_header('t,1'), is_header('0x1F')
    (True, True, False, False, False)
    """
    fields = [f.strip('"\'') for f in _SEPARATOR.split(line.strip()) if f]
    if not fields or _NOT_TEXT.search(line):
        return False
    for field in fields:
        try:
            float(field)
            return False
        except ValueError:
            if _NUMBER_START.match(field):
                return False
    return True


class LineSteps:
    """One step a line, numbers separated by spaces or commas; blank lines are skipped.

    Lines are parsed as they are consumed, so memory does not grow with the sequence and output
    can start before the input ends.
    """

    def __init__(self, lines, source: str, header: bool = False):
        self.source = source
        self._waiting = deque()  # the lines not blank that have arrived and are not taken yet, when read as they come
        self._stream = lines  # kept: a wrapper that goes closes its buffer
        raw = getattr(lines, "buffer", None)
        self._numbered = self._arrived(raw, header) if hasattr(raw, "read1") else self._lines(lines, header)
        self._first = None
        self.line = 0  # the number of the line last parsed

    def ready(self) -> bool:
        """Whether a step has arrived that can be taken without waiting for more input."""
        return bool(self._waiting)

    def _arrived(self, raw, header):
        """(number, line) of each line not blank, read from the bytes of a pipe as they arrive (read1 returns
        what has come), so that ready() knows which lines are there: a pipe's lines are then computed in
        blocks, and a line typed by hand is answered at once. UTF-8, a byte-order mark first passed over, a
        byte that is not UTF-8 kept for the line's reader to refuse."""
        n, rest, start = 0, b"", True
        while True:
            try:
                chunk = raw.read1(65536)
            except OSError as e:
                raise InputError(self.source, f"cannot be read: {e.strerror or e}") from None
            if start and chunk:
                chunk, start = chunk.removeprefix(b"\xef\xbb\xbf"), False
            *lines, rest = (rest + chunk).split(b"\n") if chunk else [rest, b""]
            for line in lines:
                n += 1
                if len(line) > MAX_LINE:
                    break
                text = line.removesuffix(b"\r").decode("utf-8", "surrogateescape")
                if not (header and n == 1 and is_header(text)) and text.strip():
                    self._waiting.append((n, text + "\n"))
            while self._waiting:
                yield self._waiting.popleft()
            if len(rest) > MAX_LINE or lines and len(lines[-1]) > MAX_LINE:
                raise InputError(f"{self.source}:{n + 1 if len(rest) > MAX_LINE else n}",
                                 f"a line of more than {MAX_LINE:,} characters; expected one step a line")
            if not chunk:
                return

    def _lines(self, stream, header):
        """(number, line) of each line not blank; with header, a first line of names (a CSV's header row,
        no field of it a number) is passed over."""
        n = 0
        try:
            while line := stream.readline(MAX_LINE + 1):
                n += 1
                if len(line) > MAX_LINE and not line.endswith("\n"):
                    raise InputError(f"{self.source}:{n}", f"a line of more than {MAX_LINE:,} characters; expected "
                                     "one step a line")
                if header and n == 1 and is_header(line):
                    continue
                if line.strip():
                    yield n, line
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
        if _NOT_TEXT.search(line):
            raise InputError(f"{self.source}:{n}", "is not a text file; expected numbers, one step a line")
        if not _LINE.fullmatch(line):
            fields = _SEPARATOR.split(line.strip())
            finite = not any(f.lstrip("+-").lower() in _NOT_FINITE for f in fields)
            raise InputError(f"{self.source}:{n}", f"expected {'' if finite else 'finite '}numbers separated by "
                             f"spaces or commas, found '{clipped(line.strip(), 40)}'")
        values = [float(f) for f in _SEPARATOR.split(line) if f]
        if not all(map(math.isfinite, values)):  # 1e999
            raise InputError(f"{self.source}:{n}", f"expected finite numbers, found '{clipped(line.strip(), 40)}'")
        return np.array(values)


class checked_rows:
    """The steps of a text stream as float arrays, each checked to hold D finite numbers; ready() as the
    stream's."""

    def __init__(self, steps, d: int, source: str):
        self.steps, self.d, self.source = steps, d, source

    def ready(self) -> bool:
        return isinstance(self.steps, LineSteps) and self.steps.ready()

    def __iter__(self):
        d, steps = self.d, self.steps
        for t, row in enumerate(steps, start=1):
            if row.shape != (d,):
                where = f"{self.source}:{steps.line}" if isinstance(steps, LineSteps) else self.source
                raise InputError(where, f"step {t} has {row.size} number{'s' * (row.size != 1)}, "
                                 f"but the input size D is {d}")
            yield row


def as_steps(a: np.ndarray, source: str) -> np.ndarray:
    """An array of inputs as (T, D) steps: (T,) is one number a step, a single number one step."""
    if a.ndim > 2 or a.size == 0:
        raise InputError(source, f"expected a (T, D) or (T,) array of numbers with T ≥ 1 and D ≥ 1, "
                                 f"found shape {a.shape}")
    return a.reshape(len(a) if a.ndim else 1, -1)


def checked_steps(a: np.ndarray, d: int, source: str, block: int = 2**16) -> np.ndarray:
    """(T, D) steps as float64, checked a block of rows at a time to be finite: float64 as it is (a
    mapped file stays mapped), anything else in one exact conversion."""
    if a.shape[1] != d:
        raise InputError(source, f"steps have {a.shape[1]} number{'s' * (a.shape[1] != 1)}, "
                                 f"but the input size D is {d}")
    a = npyio.as_float64(a, source)
    for start in range(0, len(a), block):
        rows = a[start:start + block]
        finite = np.isfinite(rows).all(axis=1)
        if not finite.all():
            t = start + int(np.argmin(finite))
            raise InputError(source, f"step {t + 1} is not finite: {clipped(a[t].tolist())}")
    return a


def open_steps(path: str):
    """The input sequence in a file: .npy (T, D) or (T,) as an array, .txt or .csv as LineSteps, also
    from a named pipe or a shell's <(...), read as it comes."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir() or p.suffix == ".npy" and not p.is_file():
        raise InputError(path, "is not a file")
    if p.suffix == ".npy":
        return as_steps(npyio.open_npy(path), path)
    if p.suffix in (".txt", ".csv", ""):
        try:
            # utf-8-sig: the byte-order mark a spreadsheet writes first is no part of a number
            # surrogateescape: a byte that is not UTF-8 is refused with its line, after the lines before it
            return LineSteps(p.open(encoding="utf-8-sig", errors="surrogateescape"), path, header=True)
        except OSError as e:
            raise InputError(path, f"cannot be read: {e.strerror or e}") from None
    raise InputError(path, f"expected a .npy, .csv or .txt file, found '{p.suffix}'")
