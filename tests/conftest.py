import json
from pathlib import Path

import pytest

from rnncalc.cli import run

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


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
