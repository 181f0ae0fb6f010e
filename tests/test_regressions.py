"""Inputs that once broke the contract (a traceback, a wrong status, a silent wrong answer), each named
after what went wrong, so that it stays fixed."""

import pytest


def _one_line_refusal(status, out, err):
    assert status == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("rnncalc: ")


@pytest.mark.parametrize("value", ["[[1], [[2]]]", "[[[1]], [2]]", "[[1, 2], [3, [4]]]"])
@pytest.mark.parametrize("where", ["-x", "-p W_ss=", "--s0", "--expect s="])
def test_rows_of_different_depths_are_refused_not_a_traceback(rnncalc, where, value):
    """numpy cannot build an array from rows of equal length but different depth ([1] and [[2]])."""
    flag, _, prefix = where.partition(" ")
    args = [flag, prefix + value] if prefix else [flag, value]
    defaults = [] if flag == "-x" else ["-x", "1,2"]
    status, out, err = rnncalc("rnn", "--weights", "1", *defaults, *args)
    _one_line_refusal(status, out, err)
    assert "ragged" in err or "shape" in err


def test_rows_of_different_depths_in_a_file_are_refused(rnncalc, tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("weights: 1\nx: [[1], [[2]]]\n")
    status, out, err = rnncalc("rnn", p, "-q")
    _one_line_refusal(status, out, err)
    assert "p.yaml:2: x" in err
