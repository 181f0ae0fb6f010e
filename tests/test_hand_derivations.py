"""The samples' expected numbers are derived by hand in tests/reference/hand_derivations.py (plain
Python floats and math): its values agree with the samples' expect: blocks at the digits they give,
and with rnncalc's full-precision JSON to a few units in the last place."""

import importlib.util
import math
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "reference" / "hand_derivations.py"
_spec = importlib.util.spec_from_file_location("hand_derivations", SCRIPT)
hand = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hand)
DERIVED = hand.derive()


def sample(name, problem=None):
    docs = list(yaml.safe_load_all((ROOT / "samples" / f"{name}.yaml").read_text()))
    return docs[0] if problem is None else next(d for d in docs if d["name"] == problem)


def flat(v):
    return [x for item in v for x in flat(item)] if isinstance(v, list) else [v]


# (sample, problem name in a file of several, the derivation's quantity, the expect: key)
EXPECTED = [("seed", None, "h", "h"), ("seed", None, "c", "c"), ("lstm_homework", None, "h", "h"),
            ("gated", None, "s", "s"), ("rnn_softmax", None, "y", "y"), ("rnn_exercises", "tanh", "tanh s", "s"),
            ("rnn_exercises", "relu", "relu s", "s"), ("vanishing_rnn", None, "s", "s"),
            ("vanishing_lstm", None, "h", "h"), ("vanishing_lstm", None, "c", "c")]


@pytest.mark.parametrize("name, problem, quantity, key", EXPECTED,
                         ids=[f"{n}-{p or ''}-{q}" for n, p, q, _ in EXPECTED])
def test_the_samples_expect_what_the_hand_derivation_gives(name, problem, quantity, key):
    doc = sample(name, problem)
    digits = doc.get("digits", 4)
    expected = flat(doc["expect"][key])
    derived = flat(DERIVED[name][quantity])
    if len(expected) < len(derived):  # a final-step expectation
        derived = derived[-len(expected):]
    assert [round(v, digits) for v in derived] == pytest.approx(expected, abs=0.5 * 10 ** -digits)


@pytest.mark.parametrize("name, problem, quantity, key", EXPECTED,
                         ids=[f"{n}-{p or ''}-{q}" for n, p, q, _ in EXPECTED])
def test_rnncalc_computes_what_the_hand_derivation_gives(rnncalc_json, name, problem, quantity, key):
    doc = sample(name, problem)
    chosen = ["--problem", problem] if problem else []
    result = rnncalc_json(doc["cell"], ROOT / "samples" / f"{name}.yaml", *chosen)
    computed = flat([step[key] for step in result["steps"]])
    derived = flat(DERIVED[name][quantity])
    if len(computed) > len(derived):  # the derivation keeps the final step only
        computed = computed[-len(derived):]
    assert computed == pytest.approx(derived, rel=1e-13, abs=1e-15)


def test_the_unrounded_seed():
    # The seed sample's comment: without rounding h = 0.9613.
    assert round(DERIVED["seed"]["h unrounded"][0], 4) == 0.9613


def test_the_vanishing_and_exploding_journeys(rnncalc_json):
    # vanishing_rnn.yaml's comment: ‖∂s_T/∂s_1‖ about 4e-10; linear with W_ss = 1.5: 1.5^19 ≈ 2217.
    path = ROOT / "samples" / "vanishing_rnn.yaml"
    norms = rnncalc_json("rnn", path, "--grad")["jacobian_norms"]
    assert norms[0] == pytest.approx(DERIVED["vanishing_rnn"]["|ds_T/ds_1|"][0], rel=1e-12)
    assert 3e-10 < norms[0] < 5e-10
    norms = rnncalc_json("rnn", path, "--grad", "--activation", "linear", "-p", "W_ss=1.5",
                         "--no-expect")["jacobian_norms"]
    assert norms[0] == pytest.approx(DERIVED["vanishing_rnn"]["|ds_T/ds_1| linear 1.5"][0], rel=1e-12)
    assert round(norms[0]) == 2217


def test_the_script_prints_every_value():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, check=True).stdout
    assert len(out.splitlines()) == sum(len(values) for values in DERIVED.values())
    assert "gated           s                        [[0.9982, -0.9410]" in out
    assert math.isclose(float(out.split("h unrounded")[1].split("[")[1].split("]")[0]), 0.9613)
