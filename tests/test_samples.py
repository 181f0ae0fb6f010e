"""Every sample runs, and its JSON and table match the reviewed copies in tests/golden/.

After a deliberate change of output, rerun with RNNCALC_UPDATE_GOLDEN=1 to rewrite the copies,
then review the diff before committing it.
"""

import json
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


def check_golden(path: Path, actual: str):
    if os.environ.get("RNNCALC_UPDATE_GOLDEN"):
        path.write_text(actual)
    assert actual == path.read_text(), f"{path.name} differs; see the module docstring"


@pytest.fixture
def plain_terminal(monkeypatch):
    monkeypatch.chdir(ROOT)  # so the file names shown are samples/..., as a user would type them
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_sample(rnncalc, sample, plain_terminal):
    cell = yaml.safe_load(sample.read_text())["cell"]
    sample = sample.relative_to(ROOT)
    status, out, err = rnncalc(cell, sample, "-f", "json")
    assert status == 0 and err == ""
    json.loads(out)
    check_golden(GOLDEN / f"{sample.stem}.json", out)
    status, out, err = rnncalc(cell, sample, "--no-color")
    assert status == 0 and err == ""
    check_golden(GOLDEN / f"{sample.stem}.txt", out)
