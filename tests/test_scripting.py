"""What students and shell scripts run: expectations that can be set aside, -q for $(...)."""

import json
from pathlib import Path

import pytest

from rnncalc.formats import fmt_exact, fmt_number
from rnncalc.report import holds_at

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "seed.yaml"  # h = 1, c = 2 rounded (sign); h = 0.9613, c = 1.9950 without
VECTOR = ROOT / "samples" / "lstm_vector.yaml"
# The seed example unrounded: f = i = o = σ(6), c̃ = tanh(6), c = σ(6)·1 + σ(6)·tanh(6), h = σ(6)·tanh(c).
SEED_UNROUNDED = ["lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5"]


class TestExpectationsOnTheCommandLine:
    def test_no_expect_leaves_the_files_expectations_out(self, rnncalc):
        # seed.yaml expects h = 1, c = 2, which hold only with its round: sign.
        assert rnncalc("lstm", SEED, "--round", "none")[0] == 1
        status, out, err = rnncalc("lstm", SEED, "--round", "none", "--no-expect", "-f", "json")
        assert status == 0 and "expect" not in json.loads(out)

    def test_expect_replaces_the_files_expectations(self, rnncalc):
        status, out, err = rnncalc("lstm", SEED, "--round", "none", "--expect", "h=0.9613", "-f", "json")
        assert status == 0, err
        assert [c["name"] for c in json.loads(out)["expect"]] == ["h"]  # the file's c = 2 is gone

    def test_one_number_fills_a_vector(self, rnncalc):
        # lstm_vector.yaml's h_T is [-0.0721, 0.1172]: both components are 0 at --digits 0.
        status, out, _ = rnncalc("lstm", VECTOR, "--expect", "h=0", "--digits", "0", "-f", "json")
        assert status == 0 and json.loads(out)["expect"][0]["expected"] == [0.0, 0.0]
        status, _, err = rnncalc("lstm", VECTOR, "--expect", "h=0.1", "-q")
        assert status == 1 and "expected [0.1, 0.1]" in err

    def test_a_mismatch_says_the_digits_at_which_it_holds(self, rnncalc):
        status, _, err = rnncalc(*SEED_UNROUNDED, "--expect", "h=0.961", "-q")
        assert status == 1
        assert err.endswith("h at t = 1 is 0.9613, expected 0.961 (holds at --digits 3, or give --atol)\n")

    def test_no_hint_where_no_fewer_digits_hold(self, rnncalc):
        status, _, err = rnncalc(*SEED_UNROUNDED, "--expect", "h=0.7", "-q")
        assert status == 1 and err.endswith("expected 0.7\n")  # 0.7 has one decimal, and 0.9613 is 1.0 there
        status, _, err = rnncalc(*SEED_UNROUNDED, "--expect", "h=0.961", "--atol", "1e-4", "-q")
        assert status == 1 and "holds at" not in err

    @pytest.mark.parametrize("actual, expected, digits, fewer", [
        ([0.9613], [0.961], 4, 3),
        ([0.9613], [1.0], 4, 1),  # 0.96 at 2 digits, 1.0 at 1
        ([0.9613], [0.7], 4, None),
        ([0.9613], [0.9612], 4, None),  # 0.9612 has 4 decimals: none fewer can write it
        ([0.4, 0.6], [0.0, 1.0], 2, 0),
        ([0.5], [0.4], 0, None),
    ])
    def test_holds_at(self, actual, expected, digits, fewer):
        assert holds_at(actual, expected, digits) == fewer


class TestRoundedLooksRounded:
    @pytest.mark.parametrize("digits", range(0, 6))
    def test_rounded_and_exact_look_different_at_every_digits(self, digits):
        assert fmt_number(0.9612928425291203, digits) != fmt_number(1.0, digits)
        assert fmt_number(1.0, digits) == "1"

    def test_digits_0_marks_the_rounded_value(self, rnncalc):
        _, out, _ = rnncalc(*SEED_UNROUNDED, "--digits", "0", "--no-color")
        assert out.rstrip().endswith("final: h_T = ≈1   c_T = ≈2")
        _, out, _ = rnncalc(*SEED_UNROUNDED, "--round", "sign", "--digits", "0", "--no-color")
        assert out.rstrip().endswith("final: h_T = 1   c_T = 2")


class TestQuiet:
    def test_whole_numbers_without_point_zero(self, rnncalc):
        status, out, _ = rnncalc("lstm", SEED, "-q")
        assert (status, out) == (0, "1\n")

    def test_only_in_the_order_named(self, rnncalc):
        assert rnncalc("lstm", SEED, "-q", "--only", "c")[1] == "2\n"
        assert rnncalc("lstm", SEED, "-q", "--only", "h,c")[1] == "1\n2\n"
        assert rnncalc("lstm", SEED, "-q", "--only", "c,h")[1] == "2\n1\n"

    def test_full_precision_any_quantity(self, rnncalc):
        full = json.loads(rnncalc("lstm", VECTOR, "-f", "json")[1])["steps"][-1]
        out = rnncalc("lstm", VECTOR, "-q", "--only", "f,h")[1]
        assert [float(v) for v in out.split()] == full["f"] + full["h"]

    @pytest.mark.parametrize("v", [1.0, -0.0, 0.1 + 0.2, 1e16, 1e-300, -2.5, 123456789.0, 2.0**60])
    def test_shortest_text_reads_back(self, v):
        text = fmt_exact(v)
        assert float(text) == v and not text.endswith(".0")
        assert len(text) <= len(repr(v))
