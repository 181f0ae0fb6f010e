"""Every command that the README and the samples' comments suggest runs and exits 0.

Commands are read from ```sh blocks, from `rnncalc ...` code spans in the README and from the
samples' comments (a command with at least two arguments: `rnncalc check` alone names the command);
those naming a file this repository does not have (lstm.npz, model.yaml) or a
placeholder (FILE, CELL) are examples of a form, not commands, and are left out.
"""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDERS = re.compile(r"\b[A-Z]{2,}\b|\.\.\.|…|\[CELL\]")


def suggested():
    readme = (ROOT / "README.md").read_text()
    texts = re.findall(r"```sh\n(.*?)```", readme, re.S)
    texts += re.findall(r"`(rnncalc [^`]*)`", readme)
    for sample in sorted((ROOT / "samples").glob("*.yaml")):
        texts += [line.lstrip("# ") for line in sample.read_text().splitlines() if line.startswith("#")]
    commands = []
    for text in texts:
        for line in text.splitlines():
            m = re.search(r"(?:^|[|(:] ?)\s*(rnncalc [^|)>#]*)", line)
            if not m:
                continue
            command = m.group(1).strip().rstrip(".")
            if PLACEHOLDERS.search(command) or command in commands:
                continue
            args = shlex.split(command)[1:]
            if len(args) < 2:
                continue
            files = [a for a in args if re.search(r"\.(ya?ml|npz|npy|csv|txt)$", a)]
            if all((ROOT / f).is_file() for f in files):
                commands.append(command)
    return commands


def test_the_samples_suggestions_are_found():
    assert "rnncalc lstm samples/seed.yaml --round none --no-expect" in suggested()


@pytest.mark.parametrize("command", suggested())
def test_suggested_command_exits_0(rnncalc, monkeypatch, command):
    monkeypatch.chdir(ROOT)
    status, out, err = rnncalc(*shlex.split(command)[1:])
    assert status == 0, err
