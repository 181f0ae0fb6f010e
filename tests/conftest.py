"""Shared fixtures, and the Hypothesis profiles every property test runs under.

Profiles (choose with RNNCALC_HYPOTHESIS_PROFILE=NAME or pytest's --hypothesis-profile=NAME):
- default: a quick exploration, so that a plain `pytest` stays fast for development;
- deep: what CI runs (.ci/run), many more examples.
Both draw new random inputs on every run (nothing is derandomized). A failure prints the
falsifying example and the `@reproduce_failure` blob to replay it; Hypothesis also keeps it
in .hypothesis/ and tries it first on the next run. Property tests set deadline or health checks
with @settings as they need, but not max_examples: the profile decides how hard to look.
"""

import json
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

from rnncalc.cli import run

_SHARED = dict(deadline=None, print_blob=True, derandomize=False,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", max_examples=25, **_SHARED)
settings.register_profile("deep", max_examples=600, **_SHARED)
settings.load_profile(os.environ.get("RNNCALC_HYPOTHESIS_PROFILE", "default"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # so tests can `import strategies`


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
