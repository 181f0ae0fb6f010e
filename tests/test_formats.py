"""How numbers and tables look: exact numbers short, rounded ones padded, never -0."""

import numpy as np
import pytest

from rnncalc.formats import fmt_array, fmt_number


@pytest.mark.parametrize("value, digits, shown", [
    (2.0, 4, "2"),                      # exact: printed short
    (0.5, 4, "0.5"),
    (0.9999877116507956, 4, "1.0000"),  # tanh(6): rounded for display, so all four decimals
    (0.9975273768433653, 4, "0.9975"),
    (-0.00001, 4, "0.0000"),            # rounds to zero: no minus sign
    (-0.0, 4, "0"),
    (-1.5, 0, "≈-2"),                   # rounded for display, with no decimal to show it: marked
    (1.25, 1, "1.2"),                   # f-string rounding: 1.25 is stored as exactly 1.25, ties to even
    (3e15, 2, "3.00e+15"),
    (float("inf"), 4, "inf"),
])
def test_fmt_number(value, digits, shown):
    assert fmt_number(value, digits) == shown


def test_fmt_array():
    assert fmt_array(np.array([1.0]), 4) == "1"
    assert fmt_array(np.array([1.0, -0.25]), 4) == "[1, -0.25]"
    assert fmt_array(np.array([[1.0, 0.0], [0.0, 1.0]]), 4) == "[[1, 0], [0, 1]]"


def test_tie_is_flagged_in_the_table(rnncalc):
    # Zero weights: every gate is σ(0) = ½, which --round nearest sends to 0 and flags as a tie.
    status, out, _ = rnncalc("lstm", "--weights", "0", "-x", "1", "--round", "nearest", "--no-color")
    assert status == 0
    assert out.count("0 tie") == 3  # f, i and o
