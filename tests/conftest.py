"""Shared fixtures, and the Hypothesis profiles every property test runs under.

Profiles (choose with RNNCALC_HYPOTHESIS_PROFILE=NAME or pytest's --hypothesis-profile=NAME):
- default: a quick exploration, so that a plain `pytest` stays fast for development;
- deep: what CI runs (.ci/run), many more examples.
Both draw new random inputs on every run (nothing is derandomized). A failure prints the
falsifying example and the `@reproduce_failure` blob to replay it; Hypothesis also keeps it
in .hypothesis/ and tries it first on the next run. Property tests set health checks with @settings
as they need, but no fixed max_examples: the profile decides how hard to look (a test whose every
example costs a process may take a fraction of settings.default.max_examples).

A test about the process itself (signals; a standard stream closed, full, read live or left by its reader; the
modules a run imports) runs a real process, which costs a start of Python: where one process can meet several
cases one after another, it meets them all (test_faults' commands on an ASCII stream or with a standard stream
closed); where each case needs a process of its own, the test keeps one representative case in every run; its
other cases are marked `deep` (`deep_only(...)` for one case of a parametrize list, `@pytest.mark.deep` for a
whole test) and run under the deep profile only, as does a test whose point is the sheer size of its input
(`@pytest.mark.deep(reason=...)`). Under any other profile they are reported as skipped, with the reason
(`pytest -rs` lists them).
"""

import difflib
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from rnncalc import cells
from rnncalc.cli import run

_SHARED = dict(deadline=None, print_blob=True, derandomize=False,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", max_examples=25, **_SHARED)
settings.register_profile("deep", max_examples=400, **_SHARED)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # so tests can `import strategies`

DEEP_PROFILE = "runs under the deep profile (RNNCALC_HYPOTHESIS_PROFILE=deep), as in CI"


def deep_only(*values, id=None):
    """One case of a parametrize list that runs under the deep profile only (skipped, with the reason,
    under any other)."""
    return pytest.param(*values, id=id, marks=pytest.mark.deep)


def _profile(config):
    return config.getoption("hypothesis_profile", None) or os.environ.get("RNNCALC_HYPOTHESIS_PROFILE", "default")


def pytest_configure(config):
    settings.load_profile(_profile(config))
    config.addinivalue_line("markers", f"deep(reason=...): {DEEP_PROFILE} only")


def pytest_collection_modifyitems(config, items):
    if _profile(config) != "deep":
        for item in items:
            if deep := item.get_closest_marker("deep"):
                why = deep.kwargs.get("reason", "one more case of a behaviour this run checks once")
                item.add_marker(pytest.mark.skip(reason=f"{why}; {DEEP_PROFILE}"))


# ---------------------------------------------------------------- the cells, from the registry

CELL_NAMES = sorted(cells.CELLS)


def _cell_forms():
    """{label: (name, keywords)}: every registered cell in its default form, each other choice of each of
    its options, and each form its equations page shows."""
    forms = {}
    for name, entry in sorted(cells.CELLS.items()):
        keyword_sets = [{}, *({o.key: c} for o in entry.options for c in o.choices[1:]), *entry.pages]
        for keywords in keyword_sets:
            label = "-".join([name, *(k if v is True else str(v) for k, v in keywords.items())])
            forms.setdefault(label, (name, keywords))
    return forms


CELL_FORMS = _cell_forms()  # tests import it: from conftest import CELL_FORMS


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


# The live comparisons re-run the scripts that made tests/reference/ and compare: importing PyTorch alone
# takes 1.5 s, and the stored outputs themselves are checked in every run.
LIVE_TORCH = pytest.mark.deep(reason="imports PyTorch (1.5 s) to re-make a stored reference")


@pytest.fixture
def torch():
    """PyTorch, for the live reference comparisons: skipped when absent, unless CI requires it
    (RNNCALC_REQUIRE_TORCH=1, set by .ci/run), where a missing torch is a failure."""
    if os.environ.get("RNNCALC_REQUIRE_TORCH"):
        import torch
        return torch
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- snapshots

def bits(value):
    """Floats as their exact hexadecimal text, inside any lists and dicts: for comparing bit for bit."""
    if isinstance(value, float):
        return value.hex()
    if isinstance(value, list):
        return [bits(v) for v in value]
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}
    return value


def _numbers_equal(a, b):
    """JSON values equal as numbers: 1 and 1.0 agree, every float to its last bit, keys in any order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_numbers_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_numbers_equal, a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) | isinstance(b, bool):
        return float(a) == float(b) or a != a and b != b
    return type(a) is type(b) and a == b


def check_golden(path: Path, actual: str):
    """Compare actual output with its reviewed copy: JSON as numbers, anything else as text.

    With RNNCALC_UPDATE_GOLDEN=1 a copy that differs is rewritten, and the test still fails with the
    diff, so that nothing changes unseen: review it (git diff), then run again.
    """
    expected = path.read_text() if path.exists() else ""
    if path.suffix == ".json" and expected:
        same = _numbers_equal(json.loads(actual), json.loads(expected))
    else:
        same = actual == expected
    if same:
        return
    shown = [expected, actual]
    if path.suffix == ".json" and expected:  # one number a line, so the diff points at it
        shown = [json.dumps(json.loads(text), indent=1) + "\n" for text in shown]
    diff = "".join(difflib.unified_diff(shown[0].splitlines(True), shown[1].splitlines(True),
                                        f"{path.name} (reviewed)", f"{path.name} (now)"))
    if os.environ.get("RNNCALC_UPDATE_GOLDEN"):
        path.write_text(actual)
        pytest.fail(f"{path} rewritten; review the change and run again:\n{diff}", pytrace=False)
    pytest.fail(f"{path.name} differs from the reviewed copy (after a deliberate change of output, "
                f"RNNCALC_UPDATE_GOLDEN=1 rewrites it):\n{diff}", pytrace=False)


@pytest.fixture
def golden():
    """check_golden(path, actual), for tests that compare output with a reviewed copy."""
    return check_golden
