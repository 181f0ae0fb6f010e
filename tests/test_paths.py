"""Every output path shows the same float64 bits: table, json, jsonl, csv, markdown, latex, -q, --last,
--steps, check and --expect, on every cell and option, short runs and runs longer than one block, with
and without rounding; and a value that goes non-finite is reported at the same step and quantity.

Full-precision outputs (json, jsonl, csv, -q) are parsed and compared bit for bit (float.hex), and as text:
each number is written as orjson writes it, the same text in every one of them (-q without ".0" on a whole
number); the outputs that show digits are compared against the formatting of the same bits. The numbers
themselves are checked against an independent evaluation of the equations in plain Python floats.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import math
import os
import re

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rnncalc import cells, expr
from conftest import bits
from rnncalc.cli import run
from rnncalc.engine import CHUNK
from rnncalc.formats import fmt_array

DIGITS = 17  # enough decimals that numbers one ulp apart print differently


def variants():
    """(cell name, keywords of its factory, output) for every option of every cell in rnncalc.cells.CELLS,
    every form its equations page shows, and each single peephole of the LSTM."""
    found = []
    for name, entry in cells.CELLS.items():
        keys = [o.key for o in entry.options]
        forms = [dict(zip(keys, choice)) for choice in itertools.product(*(o.choices for o in entry.options))]
        forms += [page for page in entry.pages if page and page not in forms]
        if name == "lstm":
            forms += [{"peepholes": p} for p in ("f", "i", "o", "io")]
        found += [(name, form) for form in forms]
    return [(*v, output) for v in found for output in (None, *cells.OUTPUTS)]


VARIANTS = variants()


def build_cell(name, keywords, output):
    cell = cells.CELLS[name](**keywords)
    return cell.with_output(output) if output else cell


@contextlib.contextmanager
def wide_terminal():
    """A console wide enough that no value is wrapped."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "5000"
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def cli(*args):
    """The command line run in-process, on a console wide enough that no value is wrapped:
    (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), wide_terminal():
        status = run([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


@st.composite
def problems(draw, long=None):
    """A random problem as a YAML document (written as JSON), with its cell."""
    name, keywords, output = draw(st.sampled_from(VARIANTS))
    cell = build_cell(name, keywords, output)
    options = {o.key: keywords[o.key] for o in cells.CELLS[name].options if o.key in keywords}
    H, D, K, P = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(2, 3)), draw(st.integers(1, 3))
    short = st.integers(1, 6)
    longer = st.integers(CHUNK - 1, CHUNK + 12)
    T = draw(short if long is False else longer if long else st.one_of(short, longer))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(["normal", "halves", "large"]))
    rng = np.random.default_rng(seed)
    sizes = {"H": H, "D": D, "K": K, "P": P}

    def numbers(shape):
        if kind == "halves":  # exact sums, cancellations and rounding ties
            return rng.integers(-4, 5, shape) * 0.5
        scale = 10.0 ** rng.integers(0, 200) if kind == "large" else 1.0
        return rng.standard_normal(shape) * scale

    doc = {"cell": name, "hidden": H, "input": D, "digits": DIGITS, **options}
    if output:
        doc["output"] = output
    for p in cell.params:
        doc[p.name] = numbers([sizes[s] for s in p.shape]).tolist()
    for s in cell.states:
        doc[s.init_key] = numbers(sizes[s.dim]).tolist()
    doc["x"] = numbers((T, D)).tolist()
    rounding = draw(st.sampled_from(["none", "none", "nearest", "sign", "mixed"]))
    if rounding == "mixed":
        doc["round"] = {"sigmoid": draw(st.sampled_from(["none", "nearest", "sign"])),
                        "tanh": draw(st.sampled_from(["none", "nearest", "sign"]))}
    elif rounding != "none":
        doc["round"] = rounding
    doc["round_state"] = draw(st.booleans())
    return doc, cell, T


def write(tmp_path, doc, name="p.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


NUMBER_LIST = re.compile(r'\[([^\[\]"]*)\]')  # a JSON list of numbers: no strings, no lists inside


def number_texts(line):
    """The numbers of a JSON step line (or a list), as written, in order: every list of numbers, not t or ties."""
    return [v for group in NUMBER_LIST.findall(line) if group for v in group.split(", ")]


def in_orjsons_notation(texts):
    """Whether each number is written as orjson writes its float64, −0 as 0.0."""
    return all(orjson.dumps(float(v) + 0.0).decode() == v for v in texts)


def document_steps(text, indent="    "):
    """The step lines of a --format json document, as written, without their indent and comma."""
    body = text.split('"steps": [\n', 1)[1].split("\n" + indent[:-2] + "]", 1)[0]
    return [line.removeprefix(indent).removesuffix(",") for line in body.splitlines()]


def nonfinite_message(err):
    line = err.strip().splitlines()[-1]
    assert " is not finite at step " in line, err
    return line


def check_every_path(tmp_path, doc, cell, T):
    """Run the problem through every output and compare what each shows with the full JSON."""
    path = write(tmp_path, doc)
    status, out, err = cli(cell.name, path, "-f", "json")
    if status == 3:
        message = nonfinite_message(err)
        for args in (["-f", "jsonl"], ["-f", "csv"], ["-q"], ["--last"], ["-f", "markdown"], ["-f", "latex"],
                     ["--no-color"], ["--steps", f"{T}"], ["-f", "jsonl", "--steps", "1"]):
            got, _, err2 = cli(cell.name, path, *args)
            assert got == 3 and nonfinite_message(err2) == message, args
        key, t = message.split(": ", 1)[1].split(" is not finite at step ")
        status, out, _ = cli("check", "--no-color", path)
        assert status == 3 and f"{key} is not finite at t = {t.split(';')[0]}" in out
        return
    assert status == 0, err
    document = out
    lines = document_steps(document)
    assert len(lines) == T and all(in_orjsons_notation(number_texts(line)) for line in lines)
    full = json.loads(out)
    steps = full["steps"]
    assert [s["t"] for s in steps] == list(range(1, T + 1))
    by_t = {s["t"]: s for s in steps}

    # jsonl: the same objects, bit for bit, and the same text as the document's steps
    status, out, err = cli(cell.name, path, "-f", "jsonl")
    assert status == 0, err
    assert [bits(json.loads(line)) for line in out.splitlines()] == bits(steps)
    assert out.splitlines() == lines

    # csv: the same numbers in the same order
    status, out, err = cli(cell.name, path, "-f", "csv")
    assert status == 0, err
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == T
    for row, s, line in zip(rows, steps, lines):
        expected = [v for k, vs in s.items() if k not in ("t", "ties") for v in vs]
        assert int(row[0]) == s["t"] and bits([float(v) for v in row[1:]]) == bits(expected)
        assert row[1:] == number_texts(line)  # the same text, comma-separated

    # -q: the final visible state; --last: the final step
    status, out, err = cli(cell.name, path, "-q")
    assert status == 0, err
    assert bits([float(v) for v in out.split()]) == bits(full["final"][cell.visible])
    final = re.search(rf'"final": {{.*"{cell.visible}": (\[[^\]]*\])', document)[1]
    assert out.splitlines() == [v.removesuffix(".0") for v in number_texts(final)]  # 1, not 1.0
    status, out, err = cli(cell.name, path, "--last", "-f", "json")
    last = json.loads(out)
    assert bits(last["steps"]) == bits(steps[-1:]) and bits(last["final"]) == bits(full["final"])
    assert document_steps(out) == lines[-1:] and out.split('"final"')[1] == document.split('"final"')[1]

    # --steps: a selection across the block boundary
    chosen = sorted({1, T, min(T, CHUNK), min(T, CHUNK + 1), (T + 1) // 2})
    status, out, err = cli(cell.name, path, "-f", "jsonl", "--steps", ",".join(map(str, chosen)))
    assert status == 0, err
    assert [bits(json.loads(line)) for line in out.splitlines()] == [bits(by_t[t]) for t in chosen]
    assert out.splitlines() == [lines[t - 1] for t in chosen]

    # markdown: every shown pre-activation, value and rounded value is the formatting of the same bits
    selection = ",".join(map(str, chosen))
    status, out, err = cli(cell.name, path, "-f", "markdown", "--steps", selection)
    assert status == 0, err
    sections = out.split("**Step t = ")[1:]
    assert [int(s.split("**")[0]) for s in sections] == chosen
    for section, t in zip(sections, chosen):
        values = by_t[t]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        shown = [eq for eq in cell.equations]
        assert len(rows) == len(shown)
        for line, eq in zip(rows, shown):
            columns = [c.strip() for c in line.strip("|").split(" | ")]
            exact = values.get(f"{eq.name}_exact", values[eq.name])
            assert columns[3] == (fmt_array(values[f"{eq.name}_pre"], DIGITS) if eq.records_pre else "")
            assert columns[4] == fmt_array(exact, DIGITS)
            if f"{eq.name}_exact" in values:
                assert columns[5] == fmt_array(values[eq.name], DIGITS)

    # the Rich table and LaTeX: each value shown is the same bits' formatting
    status, table, err = cli(cell.name, path, "--no-color", "--steps", selection)
    assert status == 0, err
    status, latex, err = cli(cell.name, path, "-f", "latex", "--steps", selection)
    assert status == 0, err
    tables = table.split("step t = ")[1:]
    docs = latex.split("% step t = ")[1:]
    assert len(tables) == len(docs) == len(chosen)
    for shown_table, shown_latex, t in zip(tables, docs, chosen):
        for key, value in by_t[t].items():
            if key not in ("t", "ties", "x"):
                assert fmt_array(value, DIGITS) in shown_table, (t, key)
                assert f"${fmt_array(value, DIGITS)}$" in shown_latex, (t, key)

    # check and --expect: the visible state expected exactly (atol 0) holds; one ulp off does not
    visible = cell.visible
    expected = [s[visible] for s in steps] if T <= 6 else [steps[-1][visible]]
    doc_expect = {**doc, "expect": {visible: expected}, "atol": 0}
    status, out, err = cli("check", "--no-color", write(tmp_path, doc_expect, "e.yaml"))
    assert status == 0 and " pass " in out, out + err
    nudged = [list(v) for v in expected]
    nudged[-1][0] = float(np.nextafter(nudged[-1][0], math.inf))
    status, out, err = cli("check", "--no-color", write(tmp_path, {**doc_expect, "expect": {visible: nudged}}, "n.yaml"))
    assert status == 1, out + err
    final = json.dumps(steps[-1][visible])
    assert cli(cell.name, path, "--expect", f"{visible}={final}", "--atol", "0", "-q")[0] == 0
    status, out, _ = cli(cell.name, path, "--expect", f"{visible}={final}", "--atol", "0", "-f", "json", "--last")
    assert status == 0 and bits(json.loads(out)["expect"][0]["actual"]) == bits(steps[-1][visible])


def independent_steps(cell, doc, T):
    """The equations evaluated one number at a time in Python floats, in the order of their text, without
    rounding: {t: {key: [floats]}}, for comparison within a few ulps (sums of products may differ there)."""
    H = doc["hidden"]
    params = {p.name: doc[p.name] for p in cell.params}
    prev = {s.name: list(map(float, doc[s.init_key])) for s in cell.states}
    sig = lambda z: 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))  # noqa: E731
    acts = {"sigmoid": lambda v: [sig(z) for z in v], "tanh": lambda v: [math.tanh(z) for z in v],
            "relu": lambda v: [max(z, 0.0) for z in v], "linear": lambda v: list(v),
            "softmax": lambda v: [math.exp(z - max(v)) / sum(math.exp(u - max(v)) for u in v) for z in v]}

    def ev(e, x, q):
        if isinstance(e, expr.Param):
            return params[e.name]
        if isinstance(e, expr.Prev):
            return prev[e.state]
        if isinstance(e, expr.Input):
            return x
        if isinstance(e, expr.Ref):
            return q[e.name]
        if isinstance(e, expr.MatVec):
            w, v = params[e.weight.name], ev(e.operand, x, q)
            return [math.fsum(a * b for a, b in zip(r, v)) for r in w]
        if isinstance(e, expr.Sum):
            total = ev(e.terms[0], x, q)
            for term in e.terms[1:]:
                total = [a + b for a, b in zip(total, ev(term, x, q))]
            return total
        if isinstance(e, expr.Hadamard):
            return [a * b for a, b in zip(ev(e.a, x, q), ev(e.b, x, q))]
        if isinstance(e, expr.OneMinus):
            return [1 - a for a in ev(e.a, x, q)]
        raise TypeError(e)

    out = {}
    for t, x in enumerate(doc["x"], start=1):
        q, rec = {}, {}
        for eq in cell.equations:
            z = ev(eq.expr, x, q)
            if eq.records_pre:
                rec[f"{eq.name}_pre"] = z
            q[eq.name] = rec[eq.name] = acts[eq.act](z) if eq.act else z
        out[t] = rec
        prev = {s.name: q[s.name] for s in cell.states}
    sizes = {"H": H, "P": len(doc["W_hm"]) if "W_hm" in doc else H}  # a projected h has P numbers
    assert len(out) == T and all(len(prev[s.name]) == sizes[s.dim] for s in cell.states)
    return out


# ---------------------------------------------------------------- properties

FEW = settings(max_examples=max(3, settings().max_examples // 20), deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@example(case=(
    {"cell": "rnn", "hidden": 1, "input": 1, "digits": DIGITS, "activation": "tanh", "W_ss": [[1e16]],
     "W_sx": [[-1e16]], "b_s": [1.0], "s0": [1.0], "x": [[0.0]] * 10 + [[1.0], [0.0]], "round_state": False},
    cells.rnn(), 12))
@FEW
@given(case=problems(long=False))
def test_short_runs_show_the_same_bits_everywhere(tmp_path, case):
    check_every_path(tmp_path, *case)


@FEW
@given(case=problems(long=True))
def test_runs_longer_than_a_block_show_the_same_bits_everywhere(tmp_path, case):
    check_every_path(tmp_path, *case)


@FEW
@given(case=problems())
def test_numbers_agree_with_an_independent_evaluation(tmp_path, case):
    doc, cell, T = case
    doc = {**doc, "round": "none", "round_state": False, "x": doc["x"][:40]}
    T = len(doc["x"])
    status, out, err = cli(cell.name, write(tmp_path, doc), "-f", "json")
    if status == 3:
        return
    assert status == 0, err
    reference = independent_steps(cell, doc, T)
    for s in json.loads(out)["steps"]:
        for key, want in reference[s["t"]].items():
            np.testing.assert_allclose(s[key], want, rtol=1e-9, atol=1e-12 * max(1.0, *map(abs, want)))


# ---------------------------------------------------------------- the cancellation cases, by name

CANCELLING_RNN = ["rnn", "-p", "W_ss=1e16", "-p", "W_sx=-1e16", "-p", "b_s=1", "--s0", "1",
                  "-x", "0,0,0,0,0,0,0,0,0,0,1,0"]


@pytest.mark.parametrize("args", [["-f", "json"], ["-q"], ["--last", "-f", "json"], ["-f", "jsonl"], ["-f", "csv"]])
def test_cancelling_rnn_ends_at_one_on_every_path(args):
    # s_1..s_10 = tanh(1e16·s + 1) = 1 exactly (s_0 = 1, x = 0). Step 11: (1e16·1 − 1e16·1) + 1 = 1 exactly,
    # s_11 = tanh(1); step 12: 1e16·tanh(1) + 0 + 1 is large, s_12 = 1. Adding the bias to −1e16 first
    # would lose it: (1e16 + (−1e16 + 1)) = 0 and s_11 = 0, s_12 = tanh(0 + 1).
    status, out, err = cli(*CANCELLING_RNN, *args)
    assert status == 0, err
    if args == ["-q"]:
        assert out == "1\n"  # -q: the shortest text of 1.0
    elif args[-1] == "csv":
        assert out.splitlines()[-1].split(",")[-1] == "1.0" and out.splitlines()[-2].split(",")[-2:] == [
            "1.0", repr(math.tanh(1.0))]
    else:
        last = json.loads(out.splitlines()[-1]) if args[-1] == "jsonl" else json.loads(out)["steps"][-1]
        assert last["t"] == 12 and last["s"] == [1.0]


GATED_UNDERFLOW = ["gated", "-p", "W_gs=1e20", "-p", "W_gx=0", "-p", "b_g=-40", "-p", "W_ss=0", "-p", "W_sx=0",
                   "-p", "b_s=20", "-x", "0,0"]


@pytest.mark.parametrize("args", [["--last", "-f", "json"], ["-f", "json"], ["-q"], ["-f", "csv"]])
def test_gate_of_sigma_minus_40_is_not_zero_on_any_path(args):
    # Step 1: g = σ(−40) = e^−40/(1 + e^−40) ≈ 4.25e-18 (not 0), s̃ = tanh(20) = 1, so s_1 = g ≈ 4.25e-18.
    # Step 2: g_pre = 1e20·4.25e-18 − 40 ≈ 385, g = 1, s_2 = s̃ = 1.
    status, out, err = cli(*GATED_UNDERFLOW, *args)
    assert status == 0, err
    if args == ["-q"]:
        assert out == "1\n"  # -q: the shortest text of 1.0
    elif args[-1] == "csv":
        first, last = out.splitlines()[1:]
        assert float(first.split(",")[3]) == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-15)
        assert last.split(",")[-1] == "1.0"
    else:
        doc = json.loads(out)
        assert doc["final"]["s"] == [1.0]
        if args == ["-f", "json"]:
            assert doc["steps"][0]["g"][0] == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-15)


def test_overflow_is_reported_at_the_same_step_on_every_path(tmp_path):
    # s_t = 1.0001·s_{t-1} + 0·x_t + 0 from 1.7e308: the first infinite product, in Python floats (IEEE
    # double, the same single rounding as a 1×1 product), is the first non-finite s_pre, in the third
    # block of steps.
    s, t = 1.7e308, 0
    while math.isfinite(s):
        s, t = 1.0001 * s + 0.0 * 0.0 + 0.0, t + 1
    assert 2 * CHUNK < t < 600
    path = write(tmp_path, {"cell": "rnn", "activation": "linear", "W_ss": 1.0001, "W_sx": 0, "b_s": 0,
                            "s0": 1.7e308, "x": [0] * 600})
    message = f"rnncalc: s_pre is not finite at step {t}"
    for args in (["-f", "json"], ["--last"], ["-q"], ["-f", "jsonl"], ["-f", "csv"], ["--no-color"],
                 ["--steps", "1:3"], ["-f", "markdown", "--steps", "600"], ["-f", "latex", "--last"]):
        status, out, err = cli("rnn", path, *args)
        assert status == 3 and err.startswith(message), (args, err)
        assert "null" not in out  # orjson writes NaN and ±inf as null: none gets out
        if args[-1] in ("json", "jsonl", "csv", "-q"):  # the tables may show the step that overflowed
            assert "inf" not in out and "nan" not in out.lower()
    status, out, _ = cli("rnn", path, "-f", "jsonl")
    assert len(out.splitlines()) == t - 1 and in_orjsons_notation(number_texts(out))  # the steps before it
    status, out, _ = cli("check", "--no-color", path)
    assert status == 3 and f"s_pre is not finite at t = {t}" in out


def test_the_same_numbers_give_the_same_bits_from_yaml_npy_and_text(tmp_path):
    # The blocks are cut from step 1 on whatever the input's source, so x in YAML, in a .npy and in a
    # text file (read as a stream) run through the same products: the same bits, beyond one block too.
    rng = np.random.default_rng(7)
    T, D, H = CHUNK + 9, 3, 4
    params = {p.name: (rng.standard_normal((H, H if p.shape[1] == "H" else D)) if p.kind == "weight"
                       else rng.standard_normal(H)).tolist() for p in cells.CELLS["lstm"]().params}
    xs = rng.standard_normal((T, D))
    np.save(tmp_path / "x.npy", xs)
    (tmp_path / "x.txt").write_text("".join(" ".join(map(repr, row)) + "\n" for row in xs.tolist()))
    runs = [cli("lstm", write(tmp_path, {**params, "x": xs.tolist()}, "a.yaml"), "-f", "jsonl"),
            cli("lstm", write(tmp_path, params, "b.yaml"), "--x-file", tmp_path / "x.npy", "-f", "jsonl"),
            cli("lstm", write(tmp_path, params, "b.yaml"), "--x-file", tmp_path / "x.txt", "-f", "jsonl")]
    assert all(status == 0 for status, _, _ in runs)
    assert runs[0][1] == runs[1][1] == runs[2][1]


def test_a_stream_from_stdin_gives_the_same_bits_answered_live_or_at_its_end(monkeypatch):
    # -x - answers each line as it arrives (a block a line); --last and -q read to the end first: the same
    # one-line blocks, so the same final state.
    lines = "".join(f"{math.sin(t)!r} {math.cos(t)!r}\n" for t in range(300))
    args = ["gru", "--weights", "0.7", "--hidden", "3", "--input", "2", "-x", "-"]
    outputs = []
    for extra in (["-f", "jsonl"], ["--last", "-f", "json"], ["-q"]):
        monkeypatch.setattr("sys.stdin", io.StringIO(lines))
        status, out, err = cli(*args, *extra)
        assert status == 0, err
        outputs.append(out)
    live_final = json.loads(outputs[0].splitlines()[-1])["h"]
    assert bits(json.loads(outputs[1])["final"]["h"]) == bits(live_final)
    assert bits([float(v) for v in outputs[2].split()]) == bits(live_final)


class Arriving:
    """Rows that arrive in bursts of the given sizes, as lines reach a pipe: ready() while the burst has more."""

    def __init__(self, rows, bursts):
        self.rows, self.bursts, self.left = rows, bursts, 0

    def ready(self):
        return self.left > 0

    def __iter__(self):
        t = 0
        for size in itertools.cycle(self.bursts):
            burst = self.rows[t:t + size]
            for k, row in enumerate(burst):
                self.left = len(burst) - k - 1
                yield row
            t += len(burst)
            if t >= len(self.rows):
                return


@settings(deadline=None)
@given(st.sampled_from(["lstm", "gru", "rnn"]), st.integers(1, 140), st.integers(1, 70), st.integers(1, 2 * CHUNK + 9),
       st.lists(st.integers(1, CHUNK + 40), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
@example("lstm", 2, 1, 2, [1], 0)
@example("gru", 130, 64, CHUNK + 5, [3, 200], 1)
def test_a_row_gets_the_same_bits_however_many_rows_arrive_with_it(name, D, H, T, bursts, seed):
    """The engine's blocks of a stream (the rows that have arrived together, in bursts of any size) and of
    a file (CHUNK rows from step 1 on) record the same bits for every quantity of every step: BLAS's
    products on x_t, of up to 140 inputs into up to 280 rows, do not depend on the rows read with x_t."""
    from rnncalc.engine import Rounding, blocks

    rng = np.random.default_rng(seed)
    cell = cells.CELLS[name]()
    sizes = {"H": H, "D": D}
    params = {p.name: rng.standard_normal([sizes[n] for n in p.shape]) for p in cell.params}
    init = {s.name: rng.standard_normal(H) for s in cell.states}
    X = rng.standard_normal((T, D)) * 3
    whole = np.vstack([b.data for b in blocks(cell, params, init, X, Rounding())])
    stream = Arriving(list(X), bursts)
    live = np.vstack([b.data for b in blocks(cell, params, init, stream, Rounding(), live=True)])
    assert whole.shape == live.shape and np.array_equal(whole.view(np.int64), live.view(np.int64))


@pytest.mark.parametrize("only", ["h", "x,c,f_pre", "i_exact,h"])
def test_only_picks_the_same_numbers_in_json_jsonl_and_csv(tmp_path, only):
    # --only chooses keys, not arithmetic: the steps of json, jsonl and csv hold the same bits, across a block.
    args = ["lstm", "--weights", "0.4", "--hidden", "2", "--round", "nearest", "--only", only,
            "-x", ",".join(str(math.sin(t)) for t in range(CHUNK + 3))]
    status, out, err = cli(*args, "-f", "json")
    assert status == 0, err
    steps = json.loads(out)["steps"]
    status, out, err = cli(*args, "-f", "jsonl")
    assert [bits(json.loads(line)) for line in out.splitlines()] == bits(steps)
    status, out, err = cli(*args, "-f", "csv")
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert [k.split("[")[0] for k in header[1:]] == [k for s in steps[:1] for k, v in s.items() if k != "t"
                                                     for _ in v]
    assert [bits([float(v) for v in row[1:]]) for row in rows] == [
        bits([v for k, vs in s.items() if k != "t" for v in vs]) for s in steps]


def test_a_stacks_numbers_are_the_same_text_in_json_jsonl_csv_and_q(tmp_path):
    # A 2-layer bidirectional GRU with an output layer over more than a block: each direction's step lines,
    # the top output and y are the same text in the document, in jsonl (after their layer and direction) and
    # in csv (comma-separated, "" where a direction has no such component), and -q's o_T is the document's.
    rng = np.random.default_rng(3)
    T, D, H, K = CHUNK + 5, 3, 2, 2
    names = [p.name for p in cells.CELLS["gru"]().params]

    def layer(d):
        return {n: rng.standard_normal((H, H if n.endswith("h") else d) if n.startswith("W") else H).tolist()
                for n in names}
    doc = {"cell": "gru", "bidirectional": True, "x": rng.standard_normal((T, D)).tolist(),
           "layers": [{"forward": layer(D), "backward": layer(D)}, {"forward": layer(2 * H), "backward": layer(2 * H)}],
           "W_y": rng.standard_normal((K, 2 * H)).tolist(), "b_y": [1e-7, -0.0]}
    path = write(tmp_path, doc)
    status, document, err = cli("gru", path, "-f", "json")
    assert status == 0, err
    parts = document.split('"steps": [\n')[1:]
    assert len(parts) == 4
    directions = [[line.strip().removesuffix(",") for line in part.split("\n     ]")[0].splitlines()] for part in parts]
    output = [line.strip().removesuffix(",") for line in document.split('"output": [\n')[1].split("\n  ]")[0].splitlines()]
    y = [line.strip().removesuffix(",") for line in document.split('"y": [\n')[1].split("\n  ]")[0].splitlines()]
    assert len(output) == len(y) == T and all(in_orjsons_notation(number_texts(line)) for line in output + y)

    status, out, err = cli("gru", path, "-f", "jsonl")
    assert status == 0, err
    lines = out.splitlines()
    heads = [f'"layer": {n}, "direction": "{d}", ' for n in (1, 2) for d in ("forward", "backward")]
    for k, (head, steps) in enumerate(zip(heads, directions)):
        assert lines[k * T:(k + 1) * T] == ["{" + head + line[1:] for line in steps]
        assert all(in_orjsons_notation(number_texts(line)) for line in steps)
    assert lines[4 * T:] == [f'{{"t": {t}, "output": {o}, "y": {v}}}' for t, o, v in zip(range(1, T + 1), output, y)]

    status, out, err = cli("gru", path, "-f", "csv")
    assert status == 0, err
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 5 * T
    for k, steps in enumerate(directions):
        for row, line in zip(rows[k * T:(k + 1) * T], steps):
            assert [v for v in row[3:] if v] == number_texts(line)
    for row, o, v in zip(rows[4 * T:], output, y):
        assert row[:3] == ["output", "", row[2]] and [c for c in row[3:] if c] == number_texts(o) + number_texts(v)

    status, out, err = cli("gru", path, "-q")
    assert status == 0, err
    assert out.splitlines() == [v.removesuffix(".0") for v in number_texts(output[-1])]


IDENTITY_RNN = ["rnn", "--activation", "linear", "-p", "W_ss=0", "-p", "W_sx=1", "-p", "b_s=0",
                "-x", "1e-7,1.6365e-5,1e16,-0.0,3"]


def test_the_notation_is_orjsons_in_every_machine_readable_output():
    # s_t = 0·s_{t-1} + 1·x_t + 0 = x_t exactly: each x is written back as orjson writes it, in json, jsonl,
    # csv and -q alike, where float.__repr__ would write 1e-07 and 1.6365e-05.
    texts = ["1e-7", "0.000016365", "1e+16", "0.0", "3.0"]
    status, out, err = cli(*IDENTITY_RNN, "-f", "jsonl")
    assert status == 0, err
    assert out.splitlines() == [f'{{"t": {t}, "x": [{v}], "s_pre": [{v}], "s": [{v}]}}'
                                for t, v in enumerate(texts, start=1)]
    status, document, err = cli(*IDENTITY_RNN, "-f", "json")
    assert document_steps(document) == out.splitlines() and '"final": {"s": [3.0]}' in document
    status, out, err = cli(*IDENTITY_RNN, "-f", "csv")
    assert out.splitlines()[1:] == [f"{t},{v},{v},{v}" for t, v in enumerate(texts, start=1)]
    assert cli(*IDENTITY_RNN, "-q", "--only", "x,s")[1] == "3\n3\n"
    for t, v in enumerate(["1e-7", "0.000016365", "1e+16"], start=1):
        status, out, err = cli(*IDENTITY_RNN[:-1], ",".join(texts[:t]), "-q")
        assert out == v + "\n"
