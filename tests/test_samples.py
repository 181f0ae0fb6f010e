"""Every sample runs, and its JSON and table match the reviewed copies in tests/golden/.

The JSON copies are compared as numbers (every float to its last bit), the tables as text. After a
deliberate change of output, RNNCALC_UPDATE_GOLDEN=1 rewrites the copies that differ and fails with
the diff; review it, then run again.
"""

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


def _runs():
    """(sample, document number or None): a file of several problems runs each with --problem N."""
    for sample in SAMPLES:
        count = len(list(yaml.safe_load_all(sample.read_text())))
        yield from [(sample, None)] if count == 1 else [(sample, n) for n in range(1, count + 1)]


RUNS = list(_runs())


@pytest.fixture
def plain_terminal(monkeypatch):
    monkeypatch.chdir(ROOT)  # so the file names shown are samples/..., as a user would type them
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("sample, n", RUNS, ids=[s.stem + (f"-{n}" if n else "") for s, n in RUNS])
def test_sample(rnncalc, golden, sample, n, plain_terminal):
    doc = list(yaml.safe_load_all(sample.read_text()))[(n or 1) - 1]
    stem = sample.stem + (f"-{n}" if n else "")
    chosen = ["--problem", str(n)] if n else []
    sample = sample.relative_to(ROOT)
    status, out, err = rnncalc(doc["cell"], sample, *chosen, "-f", "json")
    assert status == 0 and err == ""
    json.loads(out)
    golden(GOLDEN / f"{stem}.json", out)
    status, out, err = rnncalc(doc["cell"], sample, *chosen, "--no-color")
    assert status == 0 and err == ""
    golden(GOLDEN / f"{stem}.txt", out)
