"""Fuzzing: whatever the input, rnncalc answers with exit status 0, 1, 2 or 3 and never a traceback; a
refusal is one line on stderr; a JSON output parses; and on random valid problems every cell keeps
the invariants its equations promise.

The inputs come from tests/strategies.py. How many each test tries is the Hypothesis profile's
(tests/conftest.py): a quick look by default, a deep one in CI; every run draws new ones.
"""

import contextlib
import functools
import io
import json
import math
import os
import signal
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import strategies as gen
from rnncalc import cells
from rnncalc.cli import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
CPU_SECONDS = 10  # no small input may take more processor time than this
WALL_SECONDS = 120  # nor wait this long (the machine is shared: only a hang takes so long)


class TookTooLong(Exception):
    pass


def _too_long(signum, frame):
    raise TookTooLong(f"no answer within {CPU_SECONDS} s of processor time or {WALL_SECONDS} s")


def status_of(args, stdin=""):
    """Run rnncalc in-process: (status, stdout, stderr). An exception escaping it is a traceback a user
    would see; a warning is noise on their stderr; both fail the test."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    old_handlers = [signal.signal(signal.SIGALRM, _too_long), signal.signal(signal.SIGPROF, _too_long)]
    signal.alarm(WALL_SECONDS)
    signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = run([str(a) for a in args])
    finally:
        signal.alarm(0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGALRM, old_handlers[0])
        signal.signal(signal.SIGPROF, old_handlers[1])
        sys.stdin = old_stdin
    shown = [w for w in caught if not issubclass(w.category, ResourceWarning)]  # Python hides those by default
    assert not shown, (args, [str(w.message) for w in shown])
    return status, out.getvalue(), err.getvalue()


def _format(args):
    fmt = "table"
    for word, following in zip(args, [*args[1:], None]):
        if word in ("-f", "--format") and following is not None:
            fmt = str(following)
        elif str(word).startswith("--format="):
            fmt = str(word).split("=", 1)[1]
    return fmt


def assert_answered(args, stdin=""):
    """The contract every run keeps, whatever it was given."""
    status, out, err = status_of(args, stdin)
    assert status in (0, 1, 2, 3), (args, status, err)
    for noise in ("Traceback", "Error:", "Exception"):
        assert noise not in err, (args, err)
    if status == 0:  # a success writes nothing to stderr but convert's notes of what it assumed
        assert all(str(args[0]) == "convert" and line.startswith("rnncalc: note: ")
                   for line in err.splitlines()), (args, err)
    else:
        assert err.startswith("rnncalc: ") and err.count("\n") == 1 and err.endswith("\n"), (args, err)
    if status in (0, 1) and args and args[0] in gen.CELL_NAMES:
        fmt = _format(args)
        if fmt == "json":
            json.loads(out)
        elif fmt == "jsonl":
            assert all(json.loads(line) for line in out.splitlines())
    return status, out, err


# ---------------------------------------------------------------- whatever the input

@FIXTURES
@given(problem=gen.problem_texts(), fmt=st.sampled_from(["table", "json", "jsonl", "csv", "markdown", "latex"]),
       by=st.sampled_from(["file", "stdin"]))
def test_problem_documents(tmp_path, problem, fmt, by):
    cell, text = problem
    if by == "file":
        path = tmp_path / "p.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_answered([cell, path, "-f", fmt])
    else:
        assert_answered([cell, "-", "-f", fmt], stdin=text)


@given(text=st.text(max_size=200))
def test_any_text_on_stdin(text):
    assert_answered(["lstm", "-", "--weights", "1"], stdin=text)


@st.composite
def flag_runs(draw):
    cell = draw(st.sampled_from(gen.CELL_NAMES))
    base = draw(st.sampled_from([["--weights", "0.5", "-x", "1,2"], ["--weights", "1"], ["-x", "1"], [],
                                 [os.path.join(ROOT, "samples", "gated.yaml")]]))
    return [cell, *base, *draw(gen.cell_flags(cell))]


@given(args=flag_runs())
def test_flags(args):
    assert_answered(args)


@given(stream=st.lists(st.one_of(gen.number_text, gen.user_text,
                                 st.lists(gen.number_text, max_size=4).map(" ".join),
                                 st.lists(gen.number_text, max_size=4).map(",".join)), max_size=6),
       fmt=st.sampled_from(["table", "jsonl", "csv", "json"]), last=st.booleans())
def test_streamed_inputs(stream, fmt, last):
    args = ["rnn", "--weights", "0.5", "-x", "-", "-f", fmt] + (["--last"] if last and fmt != "jsonl" else [])
    assert_answered(args, stdin="\n".join(stream))


@FIXTURES
@given(problems=st.lists(gen.problem_texts(), min_size=1, max_size=3),
       names=st.lists(gen.user_text, min_size=3, max_size=3))
def test_check(tmp_path, problems, names):
    docs = [f"cell: {cell}\nname: {gen.quoted(name)}\n{text}" for (cell, text), name in zip(problems, names)]
    path = tmp_path / "problems.yaml"
    path.write_text("\n---\n".join(docs), encoding="utf-8", errors="surrogatepass")
    assert_answered(["check", path, "--no-color"])


ROLES = {
    "problem": lambda cell, f: [cell, f, "--weights", "1"],
    "x-file": lambda cell, f: [cell, "--weights", "1", "--x-file", f],
    "target-file": lambda cell, f: [cell, "--weights", "1", "-x", "1,2", "--grad", "--loss", "mse",
                                    "--target-file", f],
    "check": lambda cell, f: ["check", f],
    "convert": lambda cell, f: ["convert", f, "--from", "pytorch"],
}
OUTPUT_ROLES = {
    "save-svg": lambda cell, f: [cell, "--weights", "1", "-x", "1", "--save-svg", f],
    "save-html": lambda cell, f: [cell, "--weights", "1", "-x", "1", "--save-html", f],
}


@FIXTURES
@given(make=gen.odd_files(), role=st.sampled_from(sorted(ROLES)), cell=st.sampled_from(gen.CELL_NAMES))
def test_odd_files(tmp_path_factory, make, role, cell):
    path = make(tmp_path_factory.mktemp("odd"))
    assert_answered(ROLES[role](cell, path))


@FIXTURES
@given(make=gen.odd_outputs, role=st.sampled_from(sorted(OUTPUT_ROLES)), cell=st.sampled_from(gen.CELL_NAMES))
def test_odd_output_files(tmp_path_factory, make, role, cell):
    path = make(tmp_path_factory.mktemp("out"))
    assert_answered(OUTPUT_ROLES[role](cell, path))


@FIXTURES
@given(make=gen.npz_files(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                           "weight_ih_l1", "weight_ih_l0_reverse", "kernel", "recurrent_kernel", "bias",
                           "arr_0", "arr_1", "arr_2"]),
       source=st.sampled_from(["pytorch", "keras"]), cell=st.sampled_from(["", "rnn", "lstm", "gru"]),
       layer=st.sampled_from(["", "0", "1"]))
def test_layer_files(tmp_path_factory, make, source, cell, layer):
    path = make(tmp_path_factory.mktemp("layer"))
    assert_answered(["convert", path, "--from", source] + (["--cell", cell] if cell else [])
                    + (["--layer", layer] if layer else []))


@FIXTURES
@given(make=gen.npz_files(gen.CELL_KEYS + ["x", "hidden", "round", "weights"]), cell=st.sampled_from(gen.CELL_NAMES))
def test_npz_problem_files(tmp_path_factory, make, cell):
    path = make(tmp_path_factory.mktemp("npz"))
    assert_answered([cell, path, "--weights", "0.5", "-x", "1"])


WORDS = sorted({*gen.COMMANDS, "--help", "-h", "--version", "--hidden", "--input", "2", "0", "-1", "99999",
                "x.npz", "--from", "pytorch", "keras", "--cell", "--layer", "samples/seed.yaml", "samples", "-",
                "--bogus", "--no-color", "[red]", "\x1b[2J"})


@given(args=st.lists(st.one_of(st.sampled_from(WORDS), gen.number_text), max_size=5))
def test_command_lines(args):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert_answered(args)
    finally:
        os.chdir(cwd)


@given(cell=st.sampled_from(gen.CELL_NAMES), hidden=gen.number_text, input=gen.number_text)
def test_init_sizes(cell, hidden, input):
    assert_answered(["init", cell, "--hidden", hidden, "--input", input])


# ---------------------------------------------------------------- faults of the machine

FEWER = settings(max_examples=max(3, settings.default.max_examples // 8),  # a process a run: fewer runs
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _in_a_process(args, fault, stdin_text):
    """rnncalc run as a user's shell would, under the fault: (status, stdout bytes, stderr bytes)."""
    import shlex
    import subprocess

    env = {**os.environ, "PYTHONPATH": ROOT}
    for name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "PYTHONIOENCODING"):
        env.pop(name, None)
    if "=" in fault:
        name, value = fault.split("=", 1)
        env[name] = value
    redirect = {"stdout /dev/full": ">/dev/full", "stdout closed": ">&-", "stderr /dev/full": "2>/dev/full",
                "stderr closed": "2>&-", "stdin closed": "<&-"}.get(fault, "")
    command = shlex.join([sys.executable, "-m", "rnncalc", *map(str, args)]) + " " + redirect
    child = subprocess.Popen(["/bin/sh", "-c", command], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if fault == "broken pipe":
        child.stdin.close()
        child.stdout.read(100)
        child.stdout.close()  # the reader goes away, as head -c 100 does
        err = child.stderr.read()
        return child.wait(timeout=120), b"", err
    out, err = child.communicate(stdin_text.encode(), timeout=120)
    return child.returncode, out, err


@functools.lru_cache(maxsize=None)
def _fault_files():
    folder = Path(tempfile.mkdtemp(prefix="rnncalc-faults-"))
    for name, steps in (("LONG_X", 3000), ("LONG_X_400", 400)):
        (folder / f"{name}.txt").write_text("\n".join(["1"] * steps))
    return {"LONG_X": folder / "LONG_X.txt", "LONG_X_400": folder / "LONG_X_400.txt", "SAVE": folder / "t.svg"}


@functools.lru_cache(maxsize=None)
def _status_without_fault(args, stdin_text):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return status_of(list(args), stdin=stdin_text)[0]
    finally:
        os.chdir(cwd)


@FEWER
@given(command=st.sampled_from(gen.FAULT_COMMANDS), fault=st.sampled_from(gen.FAULTS))
def test_faults_of_the_machine(command, fault):
    args = tuple(str(_fault_files().get(a, a)) for a in command)
    stdin_text = "W_ss: 1\nW_sx: 1\nx: 1\n" if "-" in args else ""
    assume(not (fault == "broken pipe" and "-" in args))  # that reader closes stdin too
    expected = _status_without_fault(args, stdin_text)
    status, out, err = _in_a_process(args, fault, stdin_text)
    assert b"Traceback" not in err and b"Exception" not in err, (fault, err)
    refusal = err.count(b"\n") == 1 and err.startswith(b"rnncalc: ")
    if fault == "broken pipe" and expected == 0:
        assert status in (0, 141) and err == b"", (fault, status, err)
    elif fault in ("stdout /dev/full", "stdout closed"):
        assert status == 2 and refusal, (fault, status, err)
    elif fault in ("stderr /dev/full", "stderr closed"):
        assert status == expected, (fault, status)
    elif fault == "stdin closed" and "-" in args:
        assert status == 2 and refusal, (fault, status, err)
    else:
        assert status == expected and (refusal if expected else err == b""), (fault, status, err)
        out.decode(fault.split("=")[1] if fault.startswith("PYTHONIOENCODING") else "utf-8")


# ---------------------------------------------------------------- regressions: inputs fuzzing found

@pytest.mark.parametrize("command", [["rnn"], ["check"]])
def test_integers_over_4300_digits_are_refused(tmp_path, command):
    # PyYAML's int() of a 4,301-digit integer once escaped as a ValueError traceback.
    path = tmp_path / "p.yaml"
    path.write_text(f"cell: rnn\nW_ss: {'9' * 4301}\nW_sx: 1\nx: 1\n")
    status, _, err = status_of([*command, path])
    assert status == 2 and err.count("\n") == 1 and "4301" not in err


@pytest.mark.parametrize("x", ["[[0, 0], [0]]", "[[[0.0], [0.0], [0.0]], [0.0, 0.0, 0.0]]", "[[1], [[2]]]",
                               "[[1, 2], 3]", "[&a [1, 2], *a, [3]]"])
def test_ragged_x_is_refused(rnncalc, tmp_path, x):
    # Steps of different lengths or depths once reached numpy unchecked: a traceback.
    path = tmp_path / "p.yaml"
    path.write_text(f"x: {x}\n")
    for args in (["gated", "--weights", "0", "-x", x], ["gated", path, "--weights", "0"]):
        status, out, err = rnncalc(*args)
        assert status == 2 and err.startswith("rnncalc: ") and err.count("\n") == 1, err


@pytest.mark.parametrize("size", ["99999999999999999999", "2049"])
def test_init_refuses_sizes_over_the_limit(rnncalc, size):
    # init once took any size: 1e20 overflowed numpy (a traceback), 3000 by 3000 printed 200 MB.
    status, out, err = rnncalc("init", "lstm", "--hidden", size)
    assert status == 2 and err.count("\n") == 1 and out == ""


def test_a_npy_file_named_npz_is_refused(rnncalc, tmp_path):
    # np.load of a .npy returns an array, not the archive a `with` block expects: once a traceback.
    np.save(tmp_path / "p.npy", np.ones(2))
    (tmp_path / "p.npy").rename(tmp_path / "p.npz")
    status, _, err = rnncalc("rnn", tmp_path / "p.npz")
    assert status == 2 and err.count("\n") == 1


@pytest.mark.parametrize("shape", [(0,), (0, 0), (2, 0)])
def test_an_empty_array_in_an_npz_is_refused(rnncalc, tmp_path, shape):
    # An empty b_s once made a gated RNN of H = 0 that printed empty tables and numpy's warnings.
    np.savez(tmp_path / "p.npz", b_s=np.zeros(shape))
    status, out, err = rnncalc("gated", tmp_path / "p.npz", "--weights", "0.5", "-x", "1")
    assert status == 2 and err.count("\n") == 1 and "empty" in err and out == ""


# ---------------------------------------------------------------- invariants of valid problems

@st.composite
def problems(draw, T=st.integers(1, 5)):
    """(cell name, cell, options words, document) of a valid problem with |W|, |b|, |x| ≤ 2, |states| ≤ 1
    and at most five steps. A linear activation can still grow a state past the point where σ is 1.0."""
    name = draw(st.sampled_from(gen.CELL_NAMES))
    entry = cells.CELLS[name]
    options = {o.key: draw(st.sampled_from(o.choices)) for o in entry.options}
    options.update(draw(st.sampled_from(entry.pages)))
    cell = entry(**options)
    output = draw(st.sampled_from([None, *cells.OUTPUTS]))
    if output:
        cell = cell.with_output(output)
    n = {"H": draw(st.integers(1, 3)), "D": draw(st.integers(1, 3)), "K": draw(st.integers(1, 3)),
         "P": draw(st.integers(1, 3))}
    small = st.floats(-2, 2, allow_subnormal=False)

    def arrays(shape, elements=small):
        return st.lists(arrays(shape[1:], elements), min_size=shape[0], max_size=shape[0]) if shape else elements

    def array(shape, elements=small):
        return draw(arrays(shape, elements))

    doc = {p.name: array([n[s] for s in p.shape]) for p in cell.params}
    doc.update({s.init_key: array([n[s.dim]], st.floats(-1, 1)) for s in cell.states})
    doc["x"] = array([draw(T), n["D"]])
    doc.update({o.key: options[o.key] for o in entry.options})  # peepholes and a projection: by their parameters
    if output:
        doc["output"] = output
    return name, cell, doc


def squashed_quantities(cell):
    """The quantities a σ, tanh or softmax produced, and those that mix such values convexly."""
    gates, tanhs = [], []
    for eq in cell.equations:
        if eq.act == "sigmoid":
            gates.append(eq.name)
        elif eq.act == "tanh":
            tanhs.append(eq.name)
    return gates, tanhs


@given(problem=problems())
def test_invariants(problem):
    name, cell, doc = problem
    status, out, err = status_of([name, "-", "-f", "json"], stdin=json.dumps(doc))
    assert status == 0, err
    result = json.loads(out)
    gates, tanhs = squashed_quantities(cell)
    visible = cell.visible
    for step in result["steps"]:
        for g in gates:  # 1/(1+e^{-z}) is below 1.0 in float64 up to z = 36 (e^{-36} > ε/2), above 0 to z = -709
            assert all(0 < v < 1 if abs(z) <= 36 else 0 <= v <= 1 for z, v in zip(step[g + "_pre"], step[g])), step
        assert all(-1 <= v <= 1 for q in tanhs for v in step[q]), step
        if name in ("gated", "gru"):  # a convex mix of the last state and a tanh: |state| ≤ 1
            assert all(-1 <= v <= 1 for v in step[visible])
        if name == "lstm" and "m" in step:  # m = o ⊙ tanh(c), h = W_hm m: |h_j| ≤ Σ_k |W_hm[j, k]|
            assert all(abs(v) <= 1 for v in step["m"])
            assert all(abs(v) <= sum(map(abs, row)) * (1 + 1e-12) for v, row in zip(step["h"], doc["W_hm"]))
        elif name == "lstm":  # h = o ⊙ tanh(c)
            assert all(abs(v) <= 1 for v in step["h"])
        if "y" in step and result["output"] == "softmax":
            assert math.isclose(sum(step["y"]), 1, abs_tol=1e-12) and min(step["y"]) >= 0
    assert result["final"] == {s.name: result["steps"][-1][s.name] for s in cell.states}


@given(problem=problems(), mode=st.sampled_from(["sign", "nearest"]))
def test_rounded_functions_take_their_limits(problem, mode):
    # Rounded, σ is 0 or 1 (or ½ at a tie under sign), tanh −1, 0 or 1.
    name, cell, doc = problem
    status, out, err = status_of([name, "-", "-f", "json", "--round", mode], stdin=json.dumps(doc))
    assert status == 0, err
    gates, tanhs = squashed_quantities(cell)
    for step in json.loads(out)["steps"]:
        assert all(v in (0, 0.5, 1) for g in gates for v in step[g])
        assert all(v in (-1, 0, 1) for q in tanhs for v in step[q])


@FIXTURES
@given(problem=problems())
def test_flags_file_and_stdin_agree(tmp_path, problem):
    import yaml

    name, cell, doc = problem
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc))
    by_file = status_of([name, path, "-f", "json"])[1]
    by_stdin = status_of([name, "-", "-f", "json"], stdin=yaml.safe_dump(doc))[1]
    flags = [name, "-f", "json", "-x", json.dumps(doc["x"])]
    for key, value in doc.items():
        if key == "x":
            continue
        if key in {o.key for o in cells.CELLS[name].options} or key == "output":
            flags += [f"--{key.replace('_', '-')}", value]
        elif key in {s.init_key for s in cell.states}:
            flags += [f"--{key}", json.dumps(value)]
        else:
            flags += ["-p", f"{key}={json.dumps(value)}"]
    by_flags = status_of(flags)[1]
    assert by_file == by_stdin == by_flags and json.loads(by_file)["steps"]


@given(problem=problems())
def test_json_round_trips_the_numbers(problem):
    # The JSON holds the engine's float64 values exactly: shortest round-trip repr.
    from rnncalc.engine import Rounding
    from rnncalc.engine import run as run_engine

    name, cell, doc = problem
    result = json.loads(status_of([name, "-", "-f", "json"], stdin=json.dumps(doc))[1])
    params = {p.name: np.array(doc[p.name], dtype=float) for p in cell.params}
    init = {s.name: np.array(doc[s.init_key], dtype=float) for s in cell.states}
    for step, record in zip(run_engine(cell, params, init, np.array(doc["x"], dtype=float), Rounding()),
                            result["steps"]):
        for key, value in step.values.items():
            assert [v + 0.0 for v in value.tolist()] == record[key]


def test_closed_gate_keeps_the_state(rnncalc_json):
    # A gated RNN whose gate is shut (b_g = -1e6, so σ = 0 exactly) never moves its state.
    doc = rnncalc_json("gated", "--weights", "3", "-p", "b_g=-1e6", "--s0", "0.25,-0.5", "-x", "1,-2,3,10")
    assert all(step["s"] == [0.25, -0.5] for step in doc["steps"])


@pytest.mark.parametrize("extreme", ["1e308", "-1e308"])
def test_extreme_inputs_saturate_quietly(rnncalc_json, extreme):
    # σ and tanh of ±1e308 are their limits, with no warning printed; the pre-activations stay finite.
    doc = rnncalc_json("lstm", "--weights", "1", "-x", extreme)
    step = doc["steps"][0]
    limit = 1.0 if extreme[0] != "-" else 0.0
    assert step["f"] == [limit] and step["c_tilde"] == [math.copysign(1.0, float(extreme))]


# ---------------------------------------------------------------- -p of every key, pasted arrays, names, the library

P_BASES = {
    "flags": lambda folder: ["--weights", "0.5", "-x", "1,2"],
    "file": lambda folder: [_written(folder, "weights: 0.5\nx: [1, 2]\n")],
    "stack": lambda folder: [_written(folder, gen.STACK_FILE)],
    "bidirectional": lambda folder: [_written(folder, gen.BIDIRECTIONAL_FILE)],
}


def _written(folder, text, name="p.yaml"):
    path = Path(folder) / name
    path.write_text(text)
    return path


@FIXTURES
@given(data=st.data(), cell=st.sampled_from(gen.CELL_NAMES), base=st.sampled_from(sorted(P_BASES)),
       fmt=st.sampled_from(["json", "table"]))
def test_p_of_every_key(tmp_path, data, cell, base, fmt):
    words = data.draw(gen.param_flags(cell, stack=base in ("stack", "bidirectional")))
    assert_answered([cell, *P_BASES[base](tmp_path), *words, "-f", fmt])


@given(array=gen.printed_arrays(), way=st.sampled_from(["-x", "-p W_ss", "-p s0"]))
def test_pasted_arrays_are_held_to_the_depth_limit(array, way):
    from rnncalc.yamlevents import MAX_DEPTH

    flag, _, key = way.partition(" ")
    words = [flag, f"{key}={array}" if key else array]
    status, _, err = assert_answered(["rnn", "--weights", "0.5", *words, *(["-x", "1"] if key else [])])
    depth = max(array[:i + 1].count("[") - array[:i + 1].count("]") for i in range(len(array)))
    if "..." not in array and depth > MAX_DEPTH:  # "..." is refused first, as numpy's elision
        where = "-x" if not key else f"--param {key}"
        assert status == 2 and err.startswith(f"rnncalc: {where}: ") and err.endswith(f"nested more than "
                                                                                      f"{MAX_DEPTH} deep\n"), err


@pytest.mark.deep(reason="each example reads about 4 million values")
@settings(max_examples=6)
@given(n=st.sampled_from([-1, 0, 1]).map(lambda d: 2**22 + d), pasted=st.booleans(), wrap=st.booleans())
def test_values_at_and_past_the_limit(n, pasted, wrap):
    import rnncalc
    from rnncalc.yamlevents import MAX_NUMBERS

    value = ("[" + " ".join(["0"] * n) + "]") if pasted else [0.0] * n
    value = f"array({value})" if pasted and wrap else value
    with pytest.raises(rnncalc.InputError) as e:
        rnncalc.trace("rnn", weights=1, x=[1], W_ss=value)  # a flat W_ss of n values: H = n, over 2048 anyway
    over = f"keyword W_ss: holds more than {MAX_NUMBERS:,} values, the limit for one key"
    assert (str(e.value) == over) == (n > MAX_NUMBERS), str(e.value)


@FIXTURES
@given(name=gen.odd_names, fmt=st.sampled_from(["table", "json", "jsonl", "csv", "markdown", "latex"]))
def test_names_with_control_characters_in_every_format(tmp_path_factory, name, fmt):
    from rnncalc.text import printable

    folder = tmp_path_factory.mktemp("names")
    path = _written(folder, "W_f: [[1, 2]]\nx: 1\n", name)
    cwd = os.getcwd()
    os.chdir(folder)  # the file named as typed, so that the header shows the name itself
    try:
        status, out, _ = assert_answered(["lstm", name, "--weights", "0.1", "-f", fmt, "--no-color"])
    finally:
        os.chdir(cwd)
    assert status == 0 and path.exists()
    unsafe = {ch for ch in name if printable(ch) != ch} - {"\n"}
    assert not unsafe & set(out), (name, fmt)
    if fmt == "markdown":
        assert "| --weights 0.1 (fill) |" in out and "| W_f (file) |" in out


@given(value=gen.api_values, key=st.sampled_from(["x", "W_ss", "s0", "weights", "expect", "name", "digits"]))
def test_the_library_answers_any_python_value(value, key):
    import rnncalc
    from rnncalc.text import printable

    masked = isinstance(value, np.ma.MaskedArray) and np.ma.count_masked(value) > 0
    try:
        rnncalc.trace("rnn", **{"weights": 1, "x": [1], key: value})
    except (rnncalc.InputError, rnncalc.NonFiniteError) as e:
        assert printable(str(e)) == str(e), str(e)  # one line, nothing a terminal would act on
        assert not masked or "masked" in str(e)
    else:
        assert not masked, value
