"""The README shows what rnncalc prints today: every ```console block is run and compared.

A block is a command line `$ rnncalc ...` followed by its exact output at 100 columns. After a
deliberate change of output, RNNCALC_UPDATE_GOLDEN=1 rewrites the blocks; review the diff.
"""

import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n\$ (rnncalc [^\n]*)\n(.*?)```", re.S)


def blocks():
    return BLOCK.findall(README.read_text())


@pytest.mark.parametrize("command, shown", blocks(), ids=[c for c, _ in blocks()])
def test_readme_example(rnncalc, monkeypatch, command, shown):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    status, out, err = rnncalc(*shlex.split(command)[1:])
    printed = out + err
    if os.environ.get("RNNCALC_UPDATE_GOLDEN"):
        text = README.read_text()
        README.write_text(text.replace(f"$ {command}\n{shown}```", f"$ {command}\n{printed}```", 1))
        return
    assert printed == shown


def test_every_command_is_documented():
    text = README.read_text()
    for command in ("rnn", "gated", "lstm", "init", "equations", "--version"):
        assert f"rnncalc {command}" in text
