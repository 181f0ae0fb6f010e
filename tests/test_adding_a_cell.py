"""The README's "Adding a cell" block, appended alone to a copy of rnncalc/cells.py, makes a working cell.

The copy runs in its own process; every command of the minimal gated unit is checked against the
step derived by hand below, and its gradient against finite differences of that derivation.
"""

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs each argv in-process in the copy and prints [[status, stdout, stderr], ...] as JSON.
RUNNER = r"""
import contextlib, io, json, sys
from rnncalc.cli import run

results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run(argv)
    results.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""

PARAMS = {"W_fh": 1.0, "W_fx": -1.0, "b_f": 0.0, "W_hh": 2.0, "W_hx": 0.5, "b_h": -0.5}
H0, XS = 1.0, [1.0, -2.0]
PROBLEM = "".join(f"{k}: {v}\n" for k, v in PARAMS.items()) + f"h0: {H0}\nx: {XS}\n"


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def mgu_by_hand(p, h, xs):
    """Each step's quantities, from the README's equations with H = D = 1:
        f_t = σ(W_fh h_{t-1} + W_fx x_t + b_f)
        h̃_t = tanh(W_hh (f_t h_{t-1}) + W_hx x_t + b_h)
        h_t = (1 − f_t) h_{t-1} + f_t h̃_t
    Step 1 (h0 = 1, x = 1): f_pre = 1 − 1 + 0 = 0, f = ½; h̃_pre = 2·½ + 0.5 − 0.5 = 1, h̃ = tanh 1;
    h = ½ + ½ tanh 1 = 0.8808 (= σ(2)). Step 2 (x = −2): f_pre = h_1 + 2 = 2.8808, and so on."""
    steps = []
    for x in xs:
        f_pre = p["W_fh"] * h + p["W_fx"] * x + p["b_f"]
        f = sigmoid(f_pre)
        ht_pre = p["W_hh"] * (f * h) + p["W_hx"] * x + p["b_h"]
        ht = math.tanh(ht_pre)
        h = (1 - f) * h + f * ht
        steps.append({"f_pre": f_pre, "f": f, "h_tilde_pre": ht_pre, "h_tilde": ht, "h": h})
    return steps


def readme_block():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Adding a cell\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section holds one python block"
    return blocks[0]


@pytest.fixture(scope="module")
def mgu(tmp_path_factory):
    """run(*argvs) in a copy of the package with the README's block appended to cells.py."""
    copy = tmp_path_factory.mktemp("package")
    shutil.copytree(ROOT / "rnncalc", copy / "rnncalc", ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "rnncalc" / "cells.py", "a") as cells:
        cells.write("\n\n" + readme_block())
    (copy / "p.yaml").write_text(PROBLEM)
    h1, h2 = (s["h"] for s in mgu_by_hand(PARAMS, H0, XS))
    (copy / "checked.yaml").write_text(f"cell: mgu\nname: by hand\n{PROBLEM}expect: {{h: [{h1!r}, {h2!r}]}}\natol: 1e-12\n")

    def run(*argvs):
        env = {"PATH": "", "PYTHONPATH": str(copy), "COLUMNS": "100", "NO_COLOR": "1"}
        done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps([list(a) for a in argvs]),
                              capture_output=True, text=True, cwd=copy, env=env, check=True)
        return json.loads(done.stdout)
    return run


def test_the_block_is_all_it_takes(mgu):
    hand = mgu_by_hand(PARAMS, H0, XS)
    final = hand[-1]["h"]
    concatenated = ["mgu", "-p", "W_f=[[1, -1]]", "-p", "W_hh=2", "-p", "W_hx=0.5", "-p", "b_h=-0.5",
                    "--h0", "1", "-x", "1,-2", "-f", "json"]
    results = mgu(
        ["mgu", "p.yaml", "-f", "json"],
        ["mgu", "p.yaml", "--last", "-f", "json"],
        ["mgu", "p.yaml", "-q"],
        ["mgu", "p.yaml", "--no-color"],
        ["mgu", "p.yaml", "-f", "jsonl"],
        ["mgu", "p.yaml", "-f", "csv"],
        ["mgu", "p.yaml", "-f", "markdown"],
        ["mgu", "p.yaml", "-f", "latex"],
        ["mgu", "p.yaml", "--round", "sign", "-f", "json"],
        concatenated,
        ["init", "mgu"],
        ["equations", "mgu", "--no-color"],
        ["mgu", "--help"],
        ["mgu", "p.yaml", "--steps", "2", "--only", "h_tilde,h", "-f", "json"],
        ["check", "checked.yaml", "-f", "json"],
        ["mgu", "p.yaml", "-p", "u_h=1"],
    )
    for status, out, err in results[:-1]:
        assert status == 0, err

    (_, full, _), (_, last, _), (_, quiet, _), (_, table, _), (_, jsonl, _), (_, csv, _), (_, md, _), \
        (_, latex, _), (_, rounded, _), (_, joined, _), (_, init, _), (_, page, _), (_, help_, _), \
        (_, selected, _), (_, checked, _), bad = results

    doc = json.loads(full)
    assert [list(s) for s in doc["steps"]] == [["t", "x", "f_pre", "f", "h_tilde_pre", "h_tilde", "h"]] * 2
    for step, by_hand in zip(doc["steps"], hand):
        for key, value in by_hand.items():
            assert step[key] == [pytest.approx(value, rel=1e-14, abs=1e-15)], key
    assert doc["final"]["h"] == [pytest.approx(final, rel=1e-14)]
    assert json.loads(last)["final"]["h"] == [pytest.approx(final, rel=1e-14)]
    assert [s["t"] for s in json.loads(last)["steps"]] == [2]
    assert float(quiet) == pytest.approx(final, rel=1e-14)
    assert json.loads(joined)["steps"] == doc["steps"]

    assert re.search(r"h̃_t +tanh\(W_hh \(f_t ⊙ h_\{t-1\}\) \+ W_hx x_t \+ b_h\)", table)
    assert f"{hand[0]['h']:.4f}" in table and f"{final:.4f}" in table
    assert [json.loads(line)["h"] for line in jsonl.splitlines()] == [[pytest.approx(s["h"], rel=1e-14)] for s in hand]
    assert csv.splitlines()[0] == "t,x[0],f_pre[0],f[0],h_tilde_pre[0],h_tilde[0],h[0]"
    assert [float(row.split(",")[-1]) for row in csv.splitlines()[1:]] == [pytest.approx(s["h"], rel=1e-14) for s in hand]
    assert f"{final:.4f}" in md and r"\tilde{h}" in latex

    # --round sign: σ(0) = ½ and tanh(1) = 1 give h_1 = ½·1 + ½·1 = 1; then f_pre = 1 + 2 = 3, f = 1,
    # h̃_pre = 2·1 − 1 − 0.5 = 0.5, h̃ = 1, h_2 = 0·1 + 1·1 = 1.
    assert [s["f"] for s in json.loads(rounded)["steps"]] == [[0.5], [1.0]]
    assert [s["h"] for s in json.loads(rounded)["steps"]] == [[1.0], [1.0]]

    assert "#   W_f: (H, H+D) = [W_fh W_fx]" in init and "W_h:" not in init
    assert [line.split(":")[0] for line in init.splitlines() if re.match(r"\w+:", line)][3:9] == list(PARAMS)
    assert "W_f = [W_fh W_fx]" in page and "W_h = " not in page
    assert "rnncalc mgu --weights 0.5 --h0 1 -x 1,2" in help_ and "--h0" in help_

    assert json.loads(selected)["steps"] == [{"t": 2, "h_tilde": [pytest.approx(hand[1]["h_tilde"], rel=1e-14)],
                                               "h": [pytest.approx(final, rel=1e-14)]}]
    [record] = json.loads(checked)
    assert (record["problem"], record["verdict"], record["checked"], record["failed"]) == ("by hand", "pass", 2, 0)

    status, _, err = bad
    assert status == 2 and "unknown parameter 'u_h' for the mgu cell" in err


def test_its_gradient_matches_finite_differences(mgu):
    [(status, out, err)] = mgu(["mgu", "p.yaml", "--grad", "-f", "json"])
    assert status == 0, err
    grad = json.loads(out)["grad"]
    # L = h_T (the default loss sums the final state); central differences of the derivation by hand
    eps = 1e-6
    for name in PARAMS:
        up, down = dict(PARAMS), dict(PARAMS)
        up[name] += eps
        down[name] -= eps
        fd = (mgu_by_hand(up, H0, XS)[-1]["h"] - mgu_by_hand(down, H0, XS)[-1]["h"]) / (2 * eps)
        value = grad[name][0][0] if name.startswith("W") else grad[name][0]  # (1, 1) or (1,)
        assert value == pytest.approx(fd, abs=1e-8), name
    fd_h0 = (mgu_by_hand(PARAMS, H0 + eps, XS)[-1]["h"] - mgu_by_hand(PARAMS, H0 - eps, XS)[-1]["h"]) / (2 * eps)
    assert grad["h0"] == [pytest.approx(fd_h0, abs=1e-8)]


ELMAN = """
def elman():
    \"\"\"s_t = tanh(U s_{t-1} + V x_t): the simple RNN in another book's letters, with no bias.\"\"\"
    return Cell("elman", "Elman RNN", (State("s", "state"),),
                (Equation("s", MatVec(Param("U"), Prev("s")) + MatVec(Param("V"), Input()), "tanh", "new state"),))


register(elman, example="rnncalc elman -p U=0.5 -p V=1 -x 1,2", grad_example="rnncalc elman -p U=0.5 -p V=1 -x 1,2 --grad")
"""


def test_a_cells_parameters_are_whatever_its_equations_name(tmp_path):
    # Weights named U and V, and no bias: s_1 = tanh(0.5·0 + 1·1) = tanh 1, s_2 = tanh(0.5 tanh 1 + 2).
    copy = tmp_path / "package"
    shutil.copytree(ROOT / "rnncalc", copy / "rnncalc", ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "rnncalc" / "cells.py", "a") as cells:
        cells.write(ELMAN)
    argvs = [["elman", "-p", "U=0.5", "-p", "V=1", "-x", "1,2", "-q"], ["elman", "--help"],
             ["elman", "-p", "U=0.5", "-p", "V=1", "-x", "1,2", "--grad", "-f", "json"], ["init", "elman"],
             ["elman", "-p", "U=0.5", "-p", "V=1", "-x", "1,2", "--no-color"]]
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(argvs), capture_output=True, text=True,
                          cwd=copy, env={"PATH": "", "PYTHONPATH": str(copy), "COLUMNS": "100", "NO_COLOR": "1"},
                          check=True)
    (status, quiet, err), (_, help_, _), (_, grad, _), (_, init, _), (_, table, _) = json.loads(done.stdout)
    assert (status, err) == (0, "")
    assert float(quiet) == pytest.approx(math.tanh(0.5 * math.tanh(1) + 2), rel=1e-15)
    assert "-p U=[[1,0],[0,1]]" in help_ and "or -p" not in help_
    assert sorted(json.loads(grad)["grad"]) == ["U", "V", "s0"]
    assert "U: [[0]]" in init and "V: [[0]]" in init
    assert re.search(r"│ U +1×1 +0\.5 ", table) and re.search(r"│ V +1×1 +1 ", table) and "s_T = 0.9830" in table
