import json
import os

import pytest

from rnncalc.cli import run


@pytest.fixture
def rnncalc(capsys):
    """Run the command line in-process: returns (exit status, stdout, stderr)."""
    def call(*args):
        status = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err
    return call


@pytest.fixture
def rnncalc_json(rnncalc):
    """Run a cell command with --format json and return the parsed document (status must be 0)."""
    def call(*args):
        status, out, err = rnncalc(*args, "--format", "json")
        assert status == 0, err
        return json.loads(out)
    return call


@pytest.fixture
def torch():
    """PyTorch, for the live reference comparisons: skipped when absent, unless CI requires it
    (RNNCALC_REQUIRE_TORCH=1, set by .ci/run), where a missing torch is a failure."""
    if os.environ.get("RNNCALC_REQUIRE_TORCH"):
        import torch
        return torch
    return pytest.importorskip("torch")
