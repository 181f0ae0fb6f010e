"""The README shows what rnncalc prints today: every ```console block is run and compared.

A block is a command line `$ rnncalc ...` followed by its exact output at 100 columns. After a
deliberate change of output, RNNCALC_UPDATE_GOLDEN=1 rewrites the blocks that differ and fails with
the diff; review it, then run again.
"""

import difflib
import os
import re
import shlex
from pathlib import Path

import pytest
import typer

from rnncalc.cli import app

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
    if printed == shown:
        return
    diff = "".join(difflib.unified_diff(shown.splitlines(True), printed.splitlines(True), "README", "now"))
    if os.environ.get("RNNCALC_UPDATE_GOLDEN"):
        text = README.read_text()
        README.write_text(text.replace(f"$ {command}\n{shown}```", f"$ {command}\n{printed}```", 1))
        pytest.fail(f"README.md's block for `{command}` rewritten; review the change and run again:\n{diff}",
                    pytrace=False)
    pytest.fail(f"README.md's block for `{command}` differs from what rnncalc prints:\n{diff}", pytrace=False)


COMMANDS = typer.main.get_command(app).commands


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(rnncalc, name):
    command = COMMANDS[name]
    assert command.help and "Example: rnncalc " in command.help, name
    assert all(p.help for p in command.params if p.param_type_name == "option"), name
    status, out, err = rnncalc(name, "--help")
    assert status == 0 and err == "" and command.help.split("\n")[0].split(":")[0] in " ".join(out.split())
    assert re.search(rf"rnncalc (\S+ \| )*{re.escape(name)}\b", README.read_text()), f"rnncalc {name} not in README"


def test_version_is_in_the_readme():
    assert "rnncalc --version" in README.read_text()


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation but hyphens dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_inside_the_readme_finds_its_heading():
    text = README.read_text()
    anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert links and not [link for link in links if link not in anchors]
