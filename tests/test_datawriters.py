"""The machine-readable writers give the same text whether handed a block of steps at once (write_rows, as every
run does) or each step alone (step, the writers' protocol): one layer and a stack's forward layers, with
rounding's ties."""

import pytest

from rnncalc import datawriters

GATED = ["gated", "--weights", "0.5", "--hidden", "2", "--round", "nearest", "-x", "1,0,-1,0.5"]
STACK = "cell: rnn\nweights: 0.5\nhidden: 2\nround: nearest\nx: [[1, 0], [0.5, -1], [0, 2]]\nlayers: [{}, {}]\n"


@pytest.mark.parametrize("args", [GATED, [*GATED, "--only", "g,s"]], ids=["every quantity", "only"])
@pytest.mark.parametrize("form", ["json", "jsonl", "csv"])
def test_a_step_alone_is_written_as_in_a_block(rnncalc, monkeypatch, args, form):
    status, by_block, err = rnncalc(*args, "-f", form)
    assert status == 0, err
    monkeypatch.delattr({"json": datawriters.JsonWriter, "jsonl": datawriters.JsonlWriter,
                         "csv": datawriters.CsvWriter}[form], "write_rows")
    assert rnncalc(*args, "-f", form) == (0, by_block, "")


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_a_stacks_step_alone_is_written_as_in_a_block(rnncalc, monkeypatch, tmp_path, form):
    path = tmp_path / "stack.yaml"
    path.write_text(STACK)
    status, by_block, err = rnncalc("rnn", path, "-f", form)
    assert status == 0, err
    monkeypatch.delattr({"jsonl": datawriters.JsonlWriter, "csv": datawriters.CsvWriter}[form], "write_rows")
    assert rnncalc("rnn", path, "-f", form) == (0, by_block, "")
