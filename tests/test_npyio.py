"""Arrays from .npz problem files and .npy inputs: headers checked before data, nothing pickled, numbers
widened to float64 exactly, and the input handed on as a (T, D) array without copies."""

import io
import math
import tracemalloc
import zipfile

import numpy as np
import pytest

from rnncalc import sequences
from rnncalc.npyio import MAX_NPZ_NUMBERS, open_npy, read_npz
from rnncalc.problem import Flags, build
from rnncalc.yamlio import read_document

JSON = ("--format", "json")


def _header(shape, dtype):
    """The header of an .npy file of this shape and dtype, without its data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def zip_of(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def rnn_npz(path, **arrays):
    np.savez(path, W_ss=np.array([[0.5]]), W_sx=np.array([[1.0]]), **arrays)
    return path


class TestNpzMembers:
    def test_zip_bomb_refused_from_its_header(self, rnncalc, tmp_path):
        # A header of 2**25 + 1 float64 numbers (256 MiB), then 40 MiB of zeros packed into 40 KiB: refused
        # from the header before a byte is unpacked, as the memory used shows (reading the member alone
        # would take twice the bound). The rest of the 256 MiB would only take longer to write.
        path = tmp_path / "bomb.npz"
        header = _header((MAX_NPZ_NUMBERS + 1,), "<f8")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("x.npy", "w", force_zip64=True) as f:
            f.write(header)
            zeros = bytes(2**20)
            for _ in range(40):
                f.write(zeros)
        assert path.stat().st_size < 2**20
        result = []
        tracemalloc.start()
        try:
            result.append(rnncalc("rnn", path, "--weights", "1"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result[0][::2] == (2, f"rnncalc: {path}: x: takes the file past 33,554,432 numbers, the limit "
                                     "for an .npz; give a long input as .npy with --x-file\n")
        assert peak < 20 * 2**20

    def test_the_budget_counts_every_member(self, tmp_path):
        half = _header((MAX_NPZ_NUMBERS // 2 + 1,), "<f4")  # the data is never read
        path = zip_of(tmp_path / "p.npz", {"x.npy": half, "h0.npy": half})
        with pytest.raises(Exception, match=r"p.npz: h0: takes the file past 33,554,432 numbers"):
            read_npz(path)

    def test_a_header_that_promises_more_than_its_data(self, rnncalc, tmp_path):
        path = zip_of(tmp_path / "p.npz", {"x.npy": _header((10,), "<f8") + bytes(16)})
        status, out, err = rnncalc("rnn", path, "--weights", "1")
        assert (status, err) == (2, f"rnncalc: {path}: x: is damaged: its data is shorter than its header says\n")

    @pytest.mark.parametrize("member", ["notes.txt", "sub/"])
    def test_members_that_are_not_arrays(self, rnncalc, tmp_path, member):
        path = zip_of(tmp_path / "p.npz", {"x.npy": _header((1,), "<f8") + bytes(8), member: b"hello"})
        status, out, err = rnncalc("rnn", path, "--weights", "1")
        assert (status, err) == (2, f"rnncalc: {path}: {member}: is not an array; an .npz for rnncalc holds only "
                                    "arrays, saved with numpy.savez\n")

    def test_object_arrays_refused_without_unpickling(self, rnncalc, tmp_path):
        path = tmp_path / "p.npz"
        np.savez(path, x=np.array([1, "a"], dtype=object))
        status, out, err = rnncalc("rnn", path, "--weights", "1")
        assert (status, err) == (2, f"rnncalc: {path}: x: expected an array of numbers (float64, float32, float16 "
                                    "or integers), found Python objects, which only unpickling could read\n")
        assert "pickle" not in err.replace("unpickling", "")

    @pytest.mark.parametrize("dtype", ["complex128", "bool", "datetime64[s]", "float128"])
    def test_other_dtypes_refused(self, rnncalc, tmp_path, dtype):
        path = rnn_npz(tmp_path / "p.npz", x=np.zeros(2, dtype=dtype))
        status, out, err = rnncalc("rnn", path)
        assert status == 2 and err.startswith(f"rnncalc: {path}: x: expected an array of numbers")

    def test_an_npy_renamed_npz(self, rnncalc, tmp_path):
        path = tmp_path / "x.npz"
        np.save(tmp_path / "x.npy", np.zeros(3))
        (tmp_path / "x.npy").rename(path)
        status, out, err = rnncalc("rnn", path)
        assert (status, err) == (2, f"rnncalc: {path}: is one .npy array, not an .npz archive of named arrays; "
                                    "give it with --x-file, or save with numpy.savez\n")

    def test_text_named_npz(self, rnncalc, tmp_path):
        path = tmp_path / "p.npz"
        path.write_text("x: [1]\n")
        status, out, err = rnncalc("rnn", path)
        assert (status, err) == (2, f"rnncalc: {path}: is not an .npz archive of arrays; save the arrays with "
                                    "numpy.savez(path, x=..., W_fh=...)\n")

    def test_missing(self, rnncalc, tmp_path):
        status, out, err = rnncalc("rnn", tmp_path / "none.npz")
        assert (status, err) == (2, f"rnncalc: {tmp_path / 'none.npz'}: no such file\n")


class TestNumbersExactly:
    """float16, float32 and integers widen to float64 without rounding: the run equals one given the
    widened float64 values."""

    @pytest.mark.parametrize("dtype", ["float16", "float32", "int8", "uint16", "int64"])
    def test_npz_arrays(self, rnncalc_json, tmp_path, dtype):
        x = np.array([0.1, -2.5, 3.0]) if dtype.startswith("float") else np.array([1, 2, 3])
        typed = rnn_npz(tmp_path / "typed.npz", x=x.astype(dtype), s0=np.array([1]).astype(dtype))
        wide = rnn_npz(tmp_path / "wide.npz", x=x.astype(dtype).astype(np.float64), s0=np.array([1.0]))
        assert rnncalc_json("rnn", typed)["steps"] == rnncalc_json("rnn", wide)["steps"]
        # float32(0.1) is 0.100000001490116...: the trace shows that value, not 0.1
        assert rnncalc_json("rnn", typed)["steps"][0]["x"] == [float(x.astype(dtype)[0])]

    def test_integers_beyond_2_53_refused(self, rnncalc, tmp_path):
        path = rnn_npz(tmp_path / "p.npz", x=np.array([2**53 + 1], dtype=np.int64))
        status, out, err = rnncalc("rnn", path)
        assert (status, err) == (2, f"rnncalc: {path}: x: holds integers beyond 2**53, which float64 cannot hold "
                                    "exactly; save them as float64\n")

    @pytest.mark.parametrize("dtype", ["float32", "int16"])
    def test_npy_input(self, rnncalc_json, tmp_path, dtype):
        x = np.array([[0.1, 2], [-3, 0.7]]).astype(dtype)
        np.save(tmp_path / "typed.npy", x)
        np.save(tmp_path / "wide.npy", x.astype(np.float64))
        args = ("lstm", "--weights", "0.5")
        assert (rnncalc_json(*args, "--x-file", tmp_path / "typed.npy")["steps"]
                == rnncalc_json(*args, "--x-file", tmp_path / "wide.npy")["steps"])


class TestNpyInput:
    def test_text_named_npy(self, rnncalc, tmp_path):
        path = tmp_path / "x.npy"
        path.write_text("1\n2\n")
        status, out, err = rnncalc("rnn", "--weights", "1", "--x-file", path)
        assert (status, err) == (2, f"rnncalc: {path}: is not an .npy array: its header cannot be read\n")

    def test_object_npy(self, rnncalc, tmp_path):
        path = tmp_path / "x.npy"
        np.save(path, np.array([1, None], dtype=object), allow_pickle=True)
        status, out, err = rnncalc("rnn", "--weights", "1", "--x-file", path)
        assert status == 2 and "found Python objects" in err and "allow_pickle" not in err

    def test_truncated(self, rnncalc, tmp_path):
        path = tmp_path / "x.npy"
        path.write_bytes(_header((100, 2), "<f8") + bytes(80))
        status, out, err = rnncalc("rnn", "--weights", "1", "--x-file", path)
        assert (status, err) == (2, f"rnncalc: {path}: is damaged: its data is shorter than its header says\n")

    @pytest.mark.parametrize("shape", [(3, 0), (0,), (0, 2), (2, 2, 2)])
    def test_shapes_without_steps(self, rnncalc, tmp_path, shape):
        path = tmp_path / "x.npy"
        np.save(path, np.zeros(shape))
        status, out, err = rnncalc("rnn", "--weights", "1", "--x-file", path)
        assert (status, err) == (2, f"rnncalc: {path}: expected a (T, D) or (T,) array of numbers with T ≥ 1 and "
                                    f"D ≥ 1, found shape {shape}\n")

    def test_npz_x_of_no_inputs(self, rnncalc, tmp_path):
        path = rnn_npz(tmp_path / "p.npz", x=np.zeros((3, 0)))
        status, out, err = rnncalc("rnn", path)
        assert (status, err) == (2, f"rnncalc: {path}: x: expected a (T, D) or (T,) array of numbers with T ≥ 1 "
                                    "and D ≥ 1, found shape (3, 0)\n")

    def test_a_non_finite_step_is_named(self, rnncalc, tmp_path):
        x = np.zeros((100000, 2))
        x[70001, 1] = np.inf
        np.save(tmp_path / "x.npy", x)
        status, out, err = rnncalc("rnn", "--weights", "1", "--x-file", tmp_path / "x.npy", "--last")
        assert (status, err) == (2, f"rnncalc: {tmp_path / 'x.npy'}: step 70002 is not finite: [0.0, inf]\n")


def built_with_peak_memory(x_path):
    """The problem of an RNN reading x_path, and the peak of the memory Python allocated building it."""
    tracemalloc.start()
    try:
        problem = build("rnn", None, Flags(x_file=str(x_path), weights="0.5"))
        return problem, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class TestInputWithoutCopies:
    """The input handed to the run is a (T, D) float64 array: a float64 .npy is mapped from the file as it
    is, another dtype converted once; the checks read it a block at a time."""

    def test_float64_npy_is_mapped_not_copied(self, tmp_path):
        x = np.arange(3_000_000, dtype=np.float64) / 3e6  # 3 M steps, 24 MB
        np.save(tmp_path / "x.npy", x)
        problem, peak = built_with_peak_memory(tmp_path / "x.npy")
        assert problem.xs.shape == (3_000_000, 1) and problem.xs.dtype == np.float64 and problem.steps == 3_000_000
        assert not problem.xs.flags.owndata  # a view of the mapped file
        assert peak < 4 * 2**20  # the file's 24 MB are not copied into memory
        assert problem.xs[1_234_567, 0] == x[1_234_567]

    def test_float32_npy_is_converted_once(self, tmp_path):
        x = np.linspace(-1, 1, 3_000_000, dtype=np.float32).reshape(-1, 1)
        np.save(tmp_path / "x.npy", x)
        problem, peak = built_with_peak_memory(tmp_path / "x.npy")
        assert problem.xs.dtype == np.float64 and np.array_equal(problem.xs, x.astype(np.float64))
        assert peak < 24_000_000 + 4 * 2**20  # the float64 array, and little else

    def test_npz_input_is_one_array(self, tmp_path):
        x = np.linspace(-1, 1, 3_000_000).reshape(-1, 1)
        rnn_npz(tmp_path / "p.npz", x=x)
        document = read_document(str(tmp_path / "p.npz"))
        tracemalloc.start()
        try:
            problem = build("rnn", document, Flags())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert np.shares_memory(problem.xs, document.data["x"])
        assert problem.steps == 3_000_000 and peak < 4 * 2**20

    def test_open_npy_is_fortran_aware(self, tmp_path):
        x = np.asfortranarray(np.arange(12.0).reshape(4, 3))
        np.save(tmp_path / "x.npy", x)
        assert np.array_equal(open_npy(str(tmp_path / "x.npy")), x)

    def test_steps_checked_block_by_block(self):
        a = np.zeros((10, 2))
        a[7, 0] = np.nan
        with pytest.raises(Exception, match=r"^src: step 8 is not finite: \[nan, 0.0\]$"):
            sequences.checked_steps(a, 2, "src", block=3)
        assert sequences.checked_steps(np.ones((5, 2)), 2, "src", block=2).shape == (5, 2)
        assert not math.isnan(sequences.checked_steps(np.ones((1, 1)), 1, "src")[0, 0])


def test_convert_refuses_a_zip_bomb_from_its_header(rnncalc, tmp_path):
    path = zip_of(tmp_path / "m.npz", {"weight_ih_l0.npy": _header((2**13, 2**13), "<f8")})  # 512 MiB declared
    status, out, err = rnncalc("convert", path, "--from", "pytorch")
    assert (status, err) == (2, f"rnncalc: {path}: weight_ih_l0: takes the file past 33,554,432 numbers, the "
                                "limit for an .npz; give a long input as .npy with --x-file\n")
