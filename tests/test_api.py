"""The Python API gives what the command line prints: the same JSON document, records, tables and errors."""

import doctest
import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rich
from rich.console import Console

import rnncalc as library
from rnncalc import cells

ROOT = Path(__file__).resolve().parent.parent


def problems():
    """Each form of each cell in the catalogue, as (cell, keywords, the same as flags)."""
    for name, entry in cells.CELLS.items():
        for page in entry.pages:
            options = {k: v for k, v in page.items() if any(o.key == k for o in entry.options)}
            keys = {"weights": 0.5, "biases": -0.25, "x": [[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], **options}
            flags = ["--weights", "0.5", "--biases", "-0.25", "-x", "[[1,-1],[0.5,2],[0,1]]"]
            for key, value in options.items():
                flags += ["--" + key.replace("_", "-"), value]
            for p in cells.CELLS[name](**page).params:
                if p.name not in cells.CELLS[name]().param_names:  # parameters a form has only when given
                    keys[p.name] = 0.3
                    flags += ["-p", f"{p.name}=0.3"]
            yield pytest.param(name, keys, flags, id=f"{name}{page or ''}")


@pytest.mark.parametrize("cell, keys, flags", list(problems()))
@pytest.mark.parametrize("grad", [False, True], ids=["forward", "grad"])
def test_to_dict_is_the_json_document(rnncalc_json, cell, keys, flags, grad):
    t = library.trace(cell, grad=grad, **keys)
    assert t.to_dict() == rnncalc_json(cell, *flags, *(["--grad"] if grad else []))
    assert list(t.final) == [s.name for s in cells.CELLS[cell]().states]
    assert [step["t"] for step in t.steps] == [1, 2, 3]


def samples():
    """Each sample file holding one problem, with its cell."""
    import yaml

    for path in sorted((ROOT / "samples").glob("*.yaml")):
        docs = list(yaml.safe_load_all(path.read_text()))
        if len(docs) == 1 and "cell" in docs[0]:
            yield pytest.param(docs[0]["cell"], f"samples/{path.name}", id=path.name)


@pytest.mark.parametrize("cell, path", list(samples()))
def test_to_dict_is_the_json_document_of_each_sample(rnncalc, monkeypatch, cell, path):
    monkeypatch.chdir(ROOT)
    for grad in (False, True):
        status, out, err = rnncalc(cell, path, "-f", "json", *(["--grad"] if grad else []))
        if status == 2:  # --grad refuses a rounded sample, and so does trace
            with pytest.raises(library.InputError, match=re.escape(err.removeprefix("rnncalc: ").strip())):
                library.trace(cell, path, grad=grad)
            continue
        assert library.trace(cell, path, grad=grad).to_dict() == json.loads(out)


def test_keywords_override_the_file_as_flags_do(rnncalc_json, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("W_ss: 0.5\nW_sx: 1\ns0: 0.25\nx: [1, 2]\n")
    t = library.trace("rnn", path, x=[3], W_ss=np.float64(2.0), grad=True, loss="mse", target=[0.5])
    assert t.to_dict() == rnncalc_json("rnn", path, "-x", "3", "-p", "W_ss=2", "--grad", "--loss", "mse",
                                       "--target", "0.5")
    # s_1 = tanh(2·0.25 + 1·3) = tanh(3.5); L = ½ (s_1 − 0.5)²
    assert t.final["s"] == pytest.approx([np.tanh(3.5)], rel=1e-15)
    assert t.loss == pytest.approx(0.5 * (np.tanh(3.5) - 0.5) ** 2, rel=1e-14)
    assert library.trace("rnn", {"W_ss": 2, "W_sx": 1, "s0": 0.25, "x": [3]}).to_dict() == \
        library.trace("rnn", path, x=[3], W_ss=2).to_dict()


def test_input_errors_say_what_the_command_line_says(rnncalc, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("weights: 1\nhidden: 2\nW_fh: [1, 2, 3]\nx: 1\n")
    for call, argv in [
        (lambda: library.trace("lstm", path), ["lstm", path]),
        (lambda: library.trace("lstm", tmp_path / "nope.yaml"), ["lstm", tmp_path / "nope.yaml"]),
        (lambda: library.trace("gru", path), ["gru", path]),
    ]:
        with pytest.raises(library.InputError) as raised:
            call()
        status, _, err = rnncalc(*argv)
        assert status == 2 and err == f"rnncalc: {raised.value}\n"
    with pytest.raises(library.InputError, match=r"^keyword W_fh: shape \(2,\) makes the hidden size H = 2, but "):
        library.trace("lstm", weights=1, x=[1], hidden=1, W_fh=[1, 2])
    with pytest.raises(library.InputError, match="^cell: expected one of rnn, gated, lstm, gru"):
        library.trace("lstmm", weights=1, x=[1])
    with pytest.raises(library.InputError, match="^grad: expected True or False, found 'yes'"):
        library.trace("lstm", weights=1, x=[1], grad="yes")
    with pytest.raises(library.InputError, match="^problem: expected a path to a YAML or .npz file or a mapping"):
        library.trace("lstm", 5)


def test_an_overflow_raises_with_the_command_lines_message(rnncalc):
    with pytest.raises(library.NonFiniteError) as raised:
        library.trace("rnn", W_ss=1e308, W_sx=1e308, activation="linear", x=[10], s0=1e308)
    status, _, err = rnncalc("rnn", "-p", "W_ss=1e308", "-p", "W_sx=1e308", "--activation", "linear",
                             "-x", "10", "--s0", "1e308")
    assert status == 3 and err == f"rnncalc: {raised.value}\n"


def test_failed_expectations_are_reported_not_raised():
    t = library.trace("lstm", ROOT / "samples" / "seed.yaml", round="none")
    assert [(c["name"], c["ok"]) for c in t.failed] == [("h", False), ("c", False)]


def test_check_returns_the_json_records(rnncalc, tmp_path):
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "b.yml").write_text("cell: rnn\nweights: 1\nx: [1]\nexpect: {s: 0.5}\n---\ncell: nope\n")
    (tmp_path / "a.yaml").write_text("cell: rnn\nname: one\nweights: 0\nx: [1]\nexpect: {s: 0}\n")
    (tmp_path / "c.yaml").write_text("cell: [\n")
    records = library.check([tmp_path])
    status, out, _ = rnncalc("check", tmp_path, "--format", "json")
    assert status == 2 and json.loads(out) == records
    assert [(Path(r["file"]).name, r["problem"], r["index"], r["verdict"], r["checked"], r["failed"])
            for r in records] == [("a.yaml", "one", 1, "pass", 1, 0), ("c.yaml", None, None, "error", 0, 0),
                                  ("b.yml", None, 1, "fail", 1, 1), ("b.yml", None, 2, "error", 0, 0)]
    # s_1 = tanh(1·0 + 1·1 + 0) = 0.7616, not 0.5
    assert records[2]["message"] == "s at t = 1 is 0.7616, expected 0.5"
    assert records[0]["message"] == "1 value as expected" and "not valid YAML" in records[1]["message"]


LONG = [[0.1 * k] for k in range(1, 14)]  # T = 13: the tables leave out t = 11 and 12
SHOWN = {
    "gated sample": ("gated", "samples/gated.yaml"),
    "long": ("rnn", {"W_ss": 0.5, "W_sx": 1, "x": LONG, "loss": "sum"}),
    "stack": ("rnn", {"cell": "rnn", "bidirectional": True, "x": LONG, "W_y": [[1, -0.5], [0.3, 0.8]], "loss": "sum",
                      "layers": [{"forward": {"W_ss": 0.5, "W_sx": 1}, "backward": {"W_ss": 0.4, "W_sx": -0.7}},
                                 {"forward": {"W_ss": 0.2, "W_sx": [[0.3, 0.1]]},
                                  "backward": {"W_ss": -0.3, "W_sx": [[-0.2, 0.4]]}}]}),
}


def in_the_apis_words(text, stack):
    """The command line's tables with each hint worded as a Trace words it: where the trace holds what the
    tables leave out, in place of the flags that would show it."""
    layers = iter(range(4))
    steps = (lambda _: f'every step is in the trace\'s .layers[{next(layers)}]["steps"]') if stack else (
        lambda _: "every step is in the trace's .steps")
    text = re.sub(r"choose them with --steps \d+:\d+, or see all with --format (jsonl or csv|json)", steps, text)
    text = text.replace("choose them with --steps A:B, or see all with --format jsonl or csv",
                        'every step is in the trace\'s .to_dict()["output"] and ["y"]')
    return text


@pytest.mark.parametrize("cell, problem", SHOWN.values(), ids=SHOWN)
def test_a_trace_shows_the_terminals_tables_with_the_apis_hints(rnncalc, monkeypatch, tmp_path, cell, problem):
    monkeypatch.setenv("COLUMNS", "120")  # the hints fit on one line
    monkeypatch.chdir(ROOT)
    if isinstance(problem, dict):
        (tmp_path / "problem.yaml").write_text(json.dumps(problem))
        problem = tmp_path / "problem.yaml"
    status, out, _ = rnncalc(cell, problem, "--grad", "--no-color")
    t = library.trace(cell, problem, grad=True)
    console = Console(width=120, no_color=True, record=True, file=io.StringIO())
    console.print(t)
    shown = console.export_text()
    assert status == 0 and shown == in_the_apis_words(out, t.stacked) and "backward step t = " in shown
    assert "--steps" not in shown and "--format" not in shown
    assert (shown != out) == (problem != "samples/gated.yaml")  # every other problem is cut or summarised


@pytest.mark.parametrize("stacked", [False, True], ids=["single layer", "stack"])
def test_a_large_gradient_is_counted_and_found_in_the_trace(stacked):
    # H = 17: W_ss has 17 × 17 = 289 > LARGE_GRADIENT numbers, which the backward tables count
    layer = {"hidden": 17, "weights": 0.1}
    t = library.trace("rnn", {"layers": [layer]} if stacked else layer, grad=True, x=[1, 2], loss="sum")
    console = Console(width=120, no_color=True, record=True, file=io.StringIO())
    console.print(t)
    shown = console.export_text()
    assert shown.count("289 numbers: see the trace's .grad") == 3 and "--format" not in shown  # 2 steps' parts, total
    assert (t.grad["layers"][0] if stacked else t.grad)["W_ss"].shape == (17, 17)


@pytest.mark.parametrize("cell, problem", [SHOWN["long"], SHOWN["stack"]], ids=["single layer", "stack"])
def test_rich_print_shows_what_jupyter_shows(monkeypatch, cell, problem):
    console = Console(width=120, record=True, file=io.StringIO())
    monkeypatch.setattr(rich, "_console", console)  # rich.print prints on this console
    t = library.trace(cell, problem, grad=True)
    rich.print(t)
    shown = html.unescape(re.sub(r"<[^>]+>", "", t._repr_html_()))
    assert shown == console.export_text() and "backward step t = 1 " in shown


@pytest.mark.parametrize("section", ["Quick start", "Python"])
def test_the_readmes_python_runs(monkeypatch, section):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```python\n(.*?)```", text, re.S)
    test = doctest.DocTestParser().get_doctest(block, {}, f"README {section}", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0 and test.examples


def test_import_is_cheap():
    loaded = subprocess.run([sys.executable, "-c", "import sys, rnncalc; print(sorted(m for m in sys.modules "
                             "if m.split('.')[0] in ('numpy', 'rich', 'typer', 'yaml')))"],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"


def test_a_stack_traces_as_the_command_line_runs_it(rnncalc, tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - forward: {W_ss: 1, W_sx: 2}\n    backward: {W_ss: 1, W_sx: 2}\n")
    for grad in (False, True):
        status, out, _ = rnncalc("rnn", path, "-f", "json", *(["--grad"] if grad else []))
        t = library.trace("rnn", path, grad=grad)
        assert status == 0 and t.to_dict() == json.loads(out)
    # forward s = 2, then 2 + 4 = 6; backward from t = 2: s = 4, then 4 + 2 = 6 at t = 1; o_2 = (6, 4)
    assert t.final["output"].tolist() == [6.0, 4.0]
    assert "layer 1 · backward" in t._repr_html_()


def test_a_stacks_gradients_are_attributes_as_a_single_layers_are():
    # Two linear layers, one step, no biases: o = s2 = W2sx s1 and s1 = W1sx x, so with the sum loss
    # L = W2sx W1sx x = 0.3 · 1 · 2 = 0.6, dL/dW1sx = W2sx x = 0.6, dL/dW2sx = W1sx x = 2.
    doc = {"cell": "rnn", "activation": "linear", "x": [2.0],
           "layers": [{"W_ss": 0.5, "W_sx": 1.0}, {"W_ss": 0.2, "W_sx": 0.3}]}
    t = library.trace("rnn", doc, grad=True, loss="sum")
    assert t.loss == pytest.approx(0.6, rel=1e-15)
    first, second = t.grad["layers"]
    assert (first["layer"], second["layer"]) == (1, 2)
    assert first["W_sx"].shape == (1, 1) and first["W_sx"][0, 0] == pytest.approx(0.6, rel=1e-15)
    assert second["W_sx"][0, 0] == pytest.approx(2.0, rel=1e-15)
    assert t.grad["layers"][0]["W_ss"].tolist() == t.to_dict()["grad"]["layers"][0]["W_ss"]
    assert library.trace("rnn", doc).grad is None and library.trace("rnn", doc).loss is None


def test_tensors_and_array_likes_are_read_as_their_numbers():
    # What torch's print(model.weight_hh_l0) holds, given as it is: a Parameter (with its graph) in float32,
    # and any object numpy reads through __array__; the same numbers as lists, to the bit.
    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.array([[0.5, -0.25], [0.125, 1.0]])

    as_lists = library.trace("rnn", W_ss=[[0.5, -0.25], [0.125, 1.0]], W_sx=[[1.0], [-1.5]], x=[[1.0], [2.0]])
    given = library.trace("rnn", W_ss=ArrayLike(), W_sx=np.array([[1.0], [-1.5]]), x=[[1.0], [2.0]])
    assert given.to_dict() == as_lists.to_dict()
    torch = pytest.importorskip("torch")
    W_sx = torch.nn.Parameter(torch.tensor([[1.0], [-1.5]], dtype=torch.float32))  # requires_grad
    from_torch = library.trace("rnn", W_ss=torch.tensor([[0.5, -0.25], [0.125, 1.0]], dtype=torch.float64),
                               W_sx=W_sx, x=torch.tensor([[1.0], [2.0]]))
    assert from_torch.to_dict() == as_lists.to_dict()  # each float32 here is exactly its float64
