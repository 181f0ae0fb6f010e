"""Arrays from .npy and .npz files: every header read and checked before any data is, nothing pickled,
and numbers handed on as float64 exactly (float16, float32 and integers widen without rounding).

An .npz is numpy.savez's zip of .npy members; the sizes in the members' headers are held to a budget
before a byte is decompressed, so a small file that would unpack to gigabytes is refused at once.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from .errors import InputError

MAX_NPZ_NUMBERS = 2**25  # all the arrays of one .npz: 256 MiB as float64; longer inputs as .npy
MAX_TEXT = 256  # characters of a text member (cell: lstm)
_MAGIC = b"\x93NUMPY"
EXACT_INTEGERS = 2**53  # float64 holds every integer up to this exactly


def _header(f, where):
    """(shape, dtype) from the header of the .npy data in f, which is left at the start of the data."""
    try:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(f)
    except (ValueError, OSError, EOFError):
        raise InputError(where, "is not an .npy array: its header cannot be read") from None
    return shape, fortran, dtype


def _check_dtype(dtype, shape, where):
    """Numbers (floats up to 64 bits, integers) of any shape, or one short text (cell: lstm)."""
    if dtype.kind in "iu" or dtype.kind == "f" and dtype.itemsize <= 8:
        return
    if dtype.kind in "US" and shape == () and dtype.itemsize <= 4 * MAX_TEXT:
        return
    what = "Python objects, which only unpickling could read" if dtype.hasobject else f"dtype {dtype}"
    raise InputError(where, f"expected an array of numbers (float64, float32, float16 or integers), found {what}")


def as_float64(a: np.ndarray, where: str) -> np.ndarray:
    """a as float64: as it is when it already is, else in one exact conversion; integers beyond 2**53,
    which float64 would round, are refused, and so is anything that is not numbers (text, booleans,
    complex numbers, Python objects)."""
    if a.dtype == np.float64:
        return a
    _check_dtype(a.dtype, None, where)
    if a.dtype.kind in "iu" and a.dtype.itemsize == 8 and a.size:
        if a.max() > EXACT_INTEGERS or a.min() < -EXACT_INTEGERS:
            raise InputError(where, "holds integers beyond 2**53, which float64 cannot hold exactly; "
                                    "save them as float64")
    return a.astype(np.float64)


def _not_npz(path):
    """Why a file that is not a zip is not an .npz: a lone .npy array, or something else."""
    try:
        with open(path, "rb") as f:
            start = f.read(len(_MAGIC))
    except OSError as e:
        return f"cannot be read: {e.strerror or e}"
    if start == _MAGIC:
        return "is one .npy array, not an .npz archive of named arrays; give it with --x-file, or save with numpy.savez"
    return "is not an .npz archive of arrays; save the arrays with numpy.savez(path, x=..., W_fh=...)"


def read_npz(path: str) -> dict:
    """Every array of an .npz by name, after every member's header has been checked against the budget."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if not p.is_file():
        raise InputError(path, "is not a file")
    try:
        archive = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise InputError(path, _not_npz(p)) from None
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror or e}") from None
    with archive:
        members = {}
        budget = MAX_NPZ_NUMBERS
        for info in archive.infolist():
            name = info.filename
            where = f"{path}: {name.removesuffix('.npy')}"
            if info.is_dir() or not name.endswith(".npy"):
                raise InputError(f"{path}: {name}", "is not an array; an .npz for rnncalc holds only arrays, "
                                                    "saved with numpy.savez")
            with _member(archive, info, where) as f:
                shape, _, dtype = _header(f, where)
            _check_dtype(dtype, shape, where)
            budget -= math.prod(shape)
            if budget < 0:
                raise InputError(where, f"takes the file past {MAX_NPZ_NUMBERS:,} numbers, the limit for an "
                                        ".npz; give a long input as .npy with --x-file")
            members[name.removesuffix(".npy")] = info
        if not members:
            raise InputError(path, "holds no arrays")
        arrays = {}
        for key, info in members.items():
            where = f"{path}: {key}"
            with _member(archive, info, where) as f:
                try:
                    arrays[key] = np.lib.format.read_array(f, allow_pickle=False)
                except (ValueError, OSError, EOFError, zipfile.BadZipFile):
                    raise InputError(where, "is damaged: its data is shorter than its header says") from None
    return arrays


class _member:
    """An open member of the archive; a damaged, encrypted or oddly compressed one is an InputError."""

    def __init__(self, archive, info, where):
        self.archive, self.info, self.where = archive, info, where

    def __enter__(self):
        try:
            self.f = self.archive.open(self.info)
        except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError) as e:
            raise InputError(self.where, f"cannot be read: {e}") from None
        return self.f

    def __exit__(self, *exc):
        self.f.close()
        return False


def open_npy(path: str) -> np.ndarray:
    """The (T, D) or (T,) array of an .npy file, mapped rather than read: float64 as it is on disk."""
    try:
        with open(path, "rb") as f:
            shape, fortran, dtype = _header(f, path)
            offset = f.tell()
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror or e}") from None
    _check_dtype(dtype, shape, path)
    if dtype.kind not in "iuf":
        raise InputError(path, f"expected a (T, D) or (T,) array of numbers, found dtype {dtype}")
    if math.prod(shape) == 0:
        return np.empty(shape, dtype)
    try:
        a = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")
    except (ValueError, OSError):
        raise InputError(path, "is damaged: its data is shorter than its header says") from None
    return a.view(np.ndarray)


def npz_values(path: str) -> dict:
    """The arrays of an .npz under the YAML keys (W_fh, b_f, h0, x, ...): numbers as float64, a text member
    (cell, variant) as text."""
    return {key: str(a) if a.dtype.kind in "US" else as_float64(a, f"{path}: {key}")
            for key, a in read_npz(path).items()}
