"""Machine-readable numbers: orjson's notation, the same float64 read back, −0 as 0.0, -q's whole numbers without
".0", JSON in ASCII with json.dumps's spacing, and never a null where a number belongs."""

import json
import math
import re

import numpy as np
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncalc.exacttext import BlockRows, dump, dump_array, exact_lines, fmt_exact, number_list, row_texts

finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("value, text", [
    (1.0, "1.0"),
    (-0.0, "0.0"),                    # −0 written 0, as before
    (1e-7, "1e-7"),                   # orjson's exponent: no zero padding (float.__repr__: 1e-07)
    (1.6365e-5, "0.000016365"),       # written out down to 1e-5 (float.__repr__: 1.6365e-05)
    (1e16, "1e+16"),
    (123456789012.0, "123456789012.0"),
    (0.1 + 0.2, "0.30000000000000004"),
    (5e-324, "5e-324"),               # the smallest subnormal
    (1.7976931348623157e308, "1.7976931348623157e+308"),
])
def test_numbers_are_written_in_orjsons_notation(value, text):
    assert number_list(value) == text
    assert number_list(np.array([value, value])) == f"[{text}, {text}]"
    assert number_list(np.array([value, value]), ",") == f"[{text},{text}]"


@given(st.lists(finite, min_size=1, max_size=8))
def test_every_float_reads_back_as_the_same_bits(values):
    a = np.array(values)
    text = number_list(a)
    back = json.loads(text)
    assert np.array_equal(np.array(back), a + 0.0) and all(
        math.copysign(1, v) == 1 for v, w in zip(back, values) if w == 0)
    # the notation is orjson's, number by number, and each number is its shortest text
    assert text == "[" + ", ".join(orjson.dumps(v + 0.0).decode() for v in values) + "]"


@given(finite)
def test_q_writes_whole_numbers_without_point_zero(v):
    text = fmt_exact(v)
    assert float(text) == v and not text.endswith(".0") and "n" not in text
    assert exact_lines(np.array([v])) == text + "\n"
    shown = orjson.dumps(v + 0.0).decode()
    assert text == (shown[:-2] if shown.endswith(".0") else shown)


def test_q_lines():
    assert exact_lines(np.array([1.0, -0.0, 2.5, 1e16, 3e-7])) == "1\n0\n2.5\n1e+16\n3e-7\n"
    assert exact_lines(np.zeros(0)) == ""


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_is_never_written(bad):
    # orjson writes NaN and ±inf as null; a writer refuses them rather than let one out.
    for write in (lambda: number_list(bad), lambda: number_list(np.array([1.0, bad])),
                  lambda: dump({"h": [0.5, bad]}), lambda: dump_array(np.full((300, 300), bad)),
                  lambda: row_texts(np.array([[1.0], [bad]]), ","), lambda: exact_lines(np.array([bad]))):
        with pytest.raises(ValueError, match="not finite"):
            write()
    assert fmt_exact(bad) == str(bad)  # a message may show one: not JSON


def test_json_keeps_its_spacing_and_stays_ascii():
    doc = {"cell": "lstm", "t": np.int64(3), "h": np.array([0.5, -0.0]), "ties": ["f", "i"], "ok": True,
           "problem": None, "file": "σ/é😀.yaml", "nested": [[1.0, 2.0], [3.0, 4.0]], "empty": []}
    text = dump(doc)
    assert text.isascii()
    assert text == ('{"cell": "lstm", "t": 3, "h": [0.5, 0.0], "ties": ["f", "i"], "ok": true, "problem": null, '
                    '"file": "\\u03c3/\\u00e9\\ud83d\\ude00.yaml", "nested": [[1.0, 2.0], [3.0, 4.0]], "empty": []}')
    assert json.loads(text)["file"] == "σ/é😀.yaml"


def test_a_large_array_is_written_in_pieces_as_one_document():
    a = np.random.default_rng(0).standard_normal((700, 300))
    a[3, 4] = -0.0
    assert dump_array(a) == number_list(a)
    assert np.array_equal(np.array(json.loads(dump_array(a))), a)


def test_rows_of_a_block():
    a = np.array([[1.0, -0.0], [1e-7, 2.5]])
    assert row_texts(a, ", ") == ["1.0, 0.0", "1e-7, 2.5"]
    assert row_texts(a, ",") == ["1.0,0.0", "1e-7,2.5"]
    assert row_texts(a[:, :1], ",") == ["1.0", "1e-7"]


def fake_block(n, rng):
    """A block as the engine hands it to a writer: its program's layout of columns, the numbers, x and t."""
    from types import SimpleNamespace

    layout = {"a_pre": slice(0, 3), "a": slice(3, 6), "h": slice(6, 9)}
    data = rng.standard_normal((n, 9)) * 10.0 ** rng.integers(-9, 17, (n, 9))
    data[0, 3], data[-1, 2] = -0.0, 1.0
    return SimpleNamespace(program=SimpleNamespace(layout=layout), data=data, x=rng.standard_normal((n, 2)),
                           times=np.arange(7, 7 + n))


@pytest.mark.parametrize("sep, only", [(", ", None), (",", None), (", ", ("x", "h")), (", ", ("a",))])
def test_a_few_rows_are_written_as_in_a_large_block(sep, only):
    # A stream's line is a block of one row, written by one orjson call cut into groups; a long block a group of
    # columns at a time. The same rows give the same text either way.
    block = fake_block(40, np.random.default_rng(1))
    ties = [["a"] if i % 3 else [] for i in range(40)]
    rows = BlockRows(only, lambda names, sizes: "<%d|" + "|".join(f"{n}:%s" for n in names) + "|%s>\n", sep, True)
    whole = rows.text(block, list(range(40)), ties)
    assert whole == "".join(rows.text(block, [i], ties) for i in range(40))
    assert whole == "".join(rows.text(block, list(range(i, i + 5)), ties) for i in range(0, 40, 5))
    first = whole.splitlines()[0]
    a = number_list(block.data[0, 3:6], sep)[1:-1]
    assert first.startswith("<7|") and (f"a:{a}|" in first) == (only != ("x", "h")) and first.endswith("|[]>")
    assert re.search(r"-0\.0(?!\d)", whole) is None and ("a:0.0" + sep in first) == (only != ("x", "h"))
