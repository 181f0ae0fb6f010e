"""rnncalc's forward pass against PyTorch's, stored in tests/reference/torch_forward.json.

The stored cases need no torch; the live test regenerates them with torch (when it is installed)
to show the stored file is what tests/reference/make_torch_reference.py makes.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import LIVE_TORCH
from rnncalc.cli import run

REFERENCE = Path(__file__).parent / "reference"
CASES = json.loads((REFERENCE / "torch_forward.json").read_text())
VISIBLE = {"rnn": "s", "lstm": "h", "gru": "h"}  # the key of the visible state in rnncalc's JSON steps


def close(actual, expected):
    np.testing.assert_allclose(np.array(actual), np.array(expected), rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_torch(case, tmp_path, capsys):
    path = tmp_path / "problem.yaml"
    path.write_text(json.dumps(case["problem"]))  # JSON is valid YAML
    assert run([case["cell"], str(path), "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    steps = doc["steps"]
    assert len(steps) == len(case["h"])
    for step, h in zip(steps, case["h"]):
        close(step[VISIBLE[case["cell"]]], h)
    if case["cell"] == "lstm":
        close(doc["final"]["c"], case["c_final"])


@LIVE_TORCH
def test_stored_reference_is_what_the_script_makes(torch):
    spec = importlib.util.spec_from_file_location("make_torch_reference", REFERENCE / "make_torch_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.cases()
    assert [c["name"] for c in fresh] == [c["name"] for c in CASES]
    for new, old in zip(fresh, CASES):
        assert new.keys() == old.keys() and new["problem"].keys() == old["problem"].keys()
        assert new["cell"] == old["cell"]
        for key, value in old["problem"].items():
            if isinstance(value, str):
                assert new["problem"][key] == value, (old["name"], key)
            else:
                close(new["problem"][key], value)
        close(new["h"], old["h"])
        if "c_final" in old:
            close(new["c_final"], old["c_final"])
