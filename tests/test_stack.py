"""Stacked and bidirectional networks: a `layers:` file, from PyTorch's arrays, traced and differentiated.

Where the expected numbers come from: PyTorch's own forward pass and autograd in float64 (output, h_n, c_n,
and the gradient of L = Σ_t ⟨target_t, output_t⟩ for every array of the state_dict and for h0, c0), stored
in tests/reference/torch_stack.json with the .npz files and the script that made them
(tests/reference/make_torch_stack_reference.py); and small stacks worked by hand in the comments below.
"""

import csv
import importlib.util
import io
import json
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from conftest import LIVE_TORCH, deep_only
from rnncalc import cells, convert

REFERENCE = Path(__file__).parent / "reference"
CASES = json.loads((REFERENCE / "torch_stack.json").read_text())
VISIBLE = {"rnn": "s", "lstm": "h", "gru": "h"}


def close(actual, expected):
    np.testing.assert_allclose(np.array(actual, dtype=float), np.array(expected, dtype=float), rtol=0, atol=1e-12)


def random_layer(rng, cell_name, H, D):
    """A layer's weights and initial states drawn from rng, shaped as the cell describes them; biases left at 0."""
    cell, sizes = cells.CELLS[cell_name](), {"H": H, "D": D}
    weights = {p.name: rng.normal(size=[sizes[n] for n in p.shape]).tolist() for p in cell.params if p.kind == "weight"}
    return {**weights, **{s.init_key: rng.normal(size=H).tolist() for s in cell.states}}


def address(case, n):
    """The -p address of torch's n-th initial state, n = layer · directions + direction."""
    layer, direction = divmod(n, case["directions"])
    return f"layers.{layer + 1}" + (f".{('forward', 'backward')[direction]}" if case["directions"] == 2 else "")


@pytest.fixture
def traced(rnncalc, tmp_path):
    """Convert a case's model, then run it with its x, initial states and target: the JSON document."""
    def call(case, *flags):
        status, text, err = rnncalc("convert", REFERENCE / case["npz"], "--from", "pytorch",
                                    "--activation", case["activation"])
        assert status == 0, err
        path = tmp_path / "model.yaml"
        path.write_text(text)
        v = VISIBLE[case["cell"]]
        states = [f"{address(case, n)}.{v}0={json.dumps(h)}" for n, h in enumerate(case["h0"])]
        states += [f"{address(case, n)}.c0={json.dumps(c)}" for n, c in enumerate(case.get("c0", []))]
        args = [case["cell"], path, "-x", json.dumps(case["x"]), "-f", "json", *flags]
        for p in states:
            args += ["-p", p]
        status, out, err = rnncalc(*args)
        assert status == 0, err
        return json.loads(out)
    return call


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_output_and_final_states_match_torch(case, traced):
    doc = traced(case)
    close(doc["output"], case["output"])
    records = doc["layers"]
    assert [(r["layer"], r["direction"]) for r in records] == [
        (n, d) for n in range(1, case["layers"] + 1) for d in ("forward", "backward")[:case["directions"]]]
    v = VISIBLE[case["cell"]]
    close([r["final"][v] for r in records], case["h_n"])
    if case["cell"] == "lstm":
        close([r["final"]["c"] for r in records], case["c_n"])
    # the backward direction's steps are in time order, each saying the input it read
    for r in records:
        assert [s["t"] for s in r["steps"]] == list(range(1, len(case["x"]) + 1))
    close(records[-1]["steps"][0][v], case["output"][0][-len(case["h_n"][0]):])


def course_gradients(case, grad, n):
    """torch's gradients of layer n's arrays (state_dict names) in the course's names, per direction: every
    weight block as convert splits it; b_gate is ∂L/∂bias_ih's block (torch adds bias_hh, whose gradient is the
    same), and the GRU's b_nh the n block of ∂L/∂bias_hh."""
    result = {}
    for direction, suffix in (("forward", ""), ("backward", "_reverse"))[:case["directions"]]:
        names = {kind: f"{kind}_l{n}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        arrays = {f"{kind}_l0": np.array(grad[name]) for kind, name in names.items()}
        ih = convert.course_arrays({**arrays, "bias_hh_l0": 0 * arrays["bias_hh_l0"]}, "pytorch").params
        hh = convert.course_arrays({**arrays, "bias_ih_l0": 0 * arrays["bias_ih_l0"]}, "pytorch").params
        if case["cell"] == "gru":
            ih["b_nh"] = hh["b_nh"]
        result[direction] = ih
    return result


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_whole_stacks_initial_states_in_torchs_layout(case, rnncalc, tmp_path):
    # torch's h_0 (layers · directions, batch 1, H), given whole with --h0 (and --c0) as torch prints it:
    # the same output, h_n and c_n as PyTorch's, as when each row is given to its layer and direction.
    status, text, err = rnncalc("convert", REFERENCE / case["npz"], "--from", "pytorch",
                                "--activation", case["activation"])
    assert status == 0, err
    path = tmp_path / "model.yaml"
    path.write_text(text)
    v = VISIBLE[case["cell"]]

    def printed(rows):  # as print(h0) shows it: tensor([[[0.1000, ...]], ...], dtype=torch.float64)
        return "tensor([" + ",\n        ".join(f"[{json.dumps(r)}]" for r in rows) + "], dtype=torch.float64)"
    args = [case["cell"], path, "-x", json.dumps(case["x"]), "-f", "json", f"--{v}0", printed(case["h0"])]
    if "c0" in case:
        args += ["--c0", json.dumps(case["c0"])]
    status, out, err = rnncalc(*args)
    assert status == 0, err
    doc = json.loads(out)
    close(doc["output"], case["output"])
    finals = [r["final"] for r in doc["layers"]]
    close([f[v] for f in finals], case["h_n"])
    if "c_n" in case:
        close([f["c"] for f in finals], case["c_n"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_gradients_match_torch_autograd(case, traced):
    target = json.dumps(case["target"])
    doc = traced(case, "--grad", "--loss", "dot", "--target", target)
    assert doc["loss"] == pytest.approx(case["loss"], abs=1e-12)
    records = doc["grad"]["layers"]
    v = VISIBLE[case["cell"]]
    for n, record in enumerate(records):
        layer, direction = record["layer"], record["direction"]
        expected = course_gradients(case, case["grad"], layer - 1)[direction]
        assert sorted(k for k in record if k not in ("layer", "direction")) == sorted([*expected, f"{v}0"] + (
            ["c0"] if case["cell"] == "lstm" else []))
        for name, value in expected.items():
            close(record[name], value)
        close(record[f"{v}0"], case["grad_h0"][n])
        if case["cell"] == "lstm":
            close(record["c0"], case["grad_c0"][n])


def test_sum_loss_reads_the_top_output_at_T(tmp_path, rnncalc):
    # One linear RNN layer per direction, H = 1, over x = (1, 2): forward s = (w x_1, w x_1 + w x_2) with
    # W_ss = 1, W_sx = w = 2: (2, 6); backward reads x_2 then x_1: (4, 6) at t = (2, 1) with W_sx = 2.
    # The top output at T = 2 is (6, 4): L = 10; dL/dW_sx forward = x_1 + x_2 = 3 (s_2 = w (x_1 + x_2)),
    # backward = x_2 = 2 (its state at t = 2 is w x_2).
    path = tmp_path / "bi.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - forward: {W_ss: 1, W_sx: 2}\n    backward: {W_ss: 1, W_sx: 2}\n")
    status, out, err = rnncalc("rnn", path, "-f", "json", "--grad")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["output"] == [[2.0, 6.0], [6.0, 4.0]]
    assert doc["loss"] == 10.0
    assert [r["W_sx"] for r in doc["grad"]["layers"]] == [[[3.0]], [[2.0]]]
    status, out, _ = rnncalc("rnn", path, "-q")
    assert out == "6\n4\n"


def test_sum_loss_gives_an_output_layer_zero_gradients_as_a_single_layer_does(tmp_path, rnncalc):
    # L = Σ_k o_T[k] does not read y_t = softmax(W_y o_t + b_y): dL/dW_y and dL/db_y are 0, and listed.
    path = tmp_path / "stack.yaml"
    path.write_text("cell: rnn\nx: [1, 2]\nW_y: [[1.0], [2.0]]\nlayers:\n  - {W_ss: 0.5, W_sx: 1}\n")
    status, out, err = rnncalc("rnn", path, "-f", "json", "--grad")
    assert status == 0, err
    stacked = json.loads(out)["grad"]
    status, out, err = rnncalc("rnn", "-x", "[1, 2]", "-p", "W_ss=0.5", "-p", "W_sx=1", "-p", "W_y=[[1.0], [2.0]]",
                               "-f", "json", "--grad")
    assert status == 0, err
    single = json.loads(out)["grad"]
    assert stacked["W_y"] == single["W_y"] == [[0.0], [0.0]] and stacked["b_y"] == single["b_y"] == [0.0, 0.0]


def test_each_direction_has_its_jacobian_norms(tmp_path, rnncalc):
    # Linear H = 1 directions: forward s_2 = 3 s_1 + ⋯, so ‖∂s_2/∂s_1‖ = 3; the backward direction ends at t = 1,
    # after reading x_1, with s_1 = ½ s_2 + ⋯, so ‖∂s_1/∂s_2‖ = ½; each direction's own final state has norm 1.
    # The same stack with xent of a certain class (W_y = 0, b_y = (800, −800)): L = −0, written 0.0.
    path = tmp_path / "bi.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - forward: {W_ss: 3, W_sx: 2}\n    backward: {W_ss: 0.5, W_sx: 2}\n"
                    "W_y: [[0, 0], [0, 0]]\nb_y: [800, -800]\noutput: softmax\n")
    status, out, err = rnncalc("rnn", path, "-f", "json", "--grad", "--loss", "xent", "--target", "0,0")
    assert status == 0, err
    doc = json.loads(out)
    assert [r["jacobian_norms"] for r in doc["backward"]] == [[3.0, 1.0], [1.0, 0.5]]
    assert doc["loss"] == 0.0 and "-0.0" not in out


def test_param_addresses_and_expectations(tmp_path, rnncalc):
    # Two linear layers, H = D = 1: s¹_t = x_t + s¹_{t-1}, s²_t = 3 s¹_t; x = (1, 1): s¹ = (1, 2), s² = (3, 6).
    path = tmp_path / "two.yaml"
    path.write_text("cell: rnn\nactivation: linear\nx: [1, 1]\nlayers:\n"
                    "  - {W_ss: 1, W_sx: 1}\n  - {W_ss: 0, W_sx: 1}\n")
    status, out, err = rnncalc("rnn", path, "-p", "layers.2.W_sx=3", "--expect", "output=3,6",
                               "--expect", "layers.1.s=1,2", "-f", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["output"] == [[3.0], [6.0]] and all(c["ok"] for c in doc["expect"])
    status, _, err = rnncalc("rnn", path, "--expect", "layers.2.s=3")
    assert status == 1 and "expected" in err
    status, _, err = rnncalc("rnn", path, "-p", "layers.3.W_sx=3")
    assert (status, err) == (2, "rnncalc: --param layers.3.W_sx: the stack has layers 1–2\n")
    status, _, err = rnncalc("rnn", path, "-p", "W_sx=3")
    assert (status, err) == (2, "rnncalc: --param W_sx: a stack's values are addressed by layer, "
                                "e.g. layers.1.W_sx\n")


def test_keras_style_output_layer(tmp_path, rnncalc):
    # y_t = W_y o_t + b_y (linear), o_t the top layer's s_t: with W_ss = 0, W_sx = 1, linear, o_t = x_t.
    path = tmp_path / "y.yaml"
    path.write_text("cell: rnn\nactivation: linear\nx: [1, 2]\nlayers:\n  - {W_ss: 0, W_sx: 1}\n"
                    "W_y: [[2], [-1]]\nb_y: [0, 1]\noutput: linear\n")
    status, out, err = rnncalc("rnn", path, "-f", "json")
    assert status == 0, err
    assert json.loads(out)["y"] == [[2.0, 0.0], [4.0, -1.0]]


@LIVE_TORCH
def test_stored_reference_is_what_the_script_makes(torch):
    spec = importlib.util.spec_from_file_location("make_torch_stack_reference",
                                                  REFERENCE / "make_torch_stack_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh, state_dicts = module.make()
    for new, old in zip(fresh, CASES, strict=True):
        assert new["name"] == old["name"]
        close(new["output"], old["output"])
        for name in old["grad"]:
            close(new["grad"][name], old["grad"][name])
    for file, arrays in state_dicts.items():
        with np.load(REFERENCE / file) as stored:
            for name, value in arrays.items():
                close(stored[name], value)


def test_rows_say_layer_and_direction(tmp_path, rnncalc):
    # The linear bidirectional stack of test_sum_loss_reads_the_top_output_at_T.
    path = tmp_path / "bi.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - forward: {W_ss: 1, W_sx: 2}\n    backward: {W_ss: 1, W_sx: 2}\n")
    status, out, err = rnncalc("rnn", path, "-f", "csv", "--only", "s")
    assert status == 0, err
    assert out.splitlines() == ["layer,direction,t,s[0]", "1,forward,1,2.0", "1,forward,2,6.0",
                                "1,backward,1,6.0", "1,backward,2,4.0"]
    status, out, err = rnncalc("rnn", path, "-f", "jsonl", "--last", "--only", "s")
    assert [json.loads(line) for line in out.splitlines()] == [
        {"layer": 1, "direction": "forward", "t": 2, "s": [6.0]},
        {"layer": 1, "direction": "backward", "t": 1, "s": [6.0]}]
    status, out, err = rnncalc("rnn", path, "--no-color", "--last")
    assert status == 0 and "layer 1 · forward" in out and "layer 1 · backward" in out
    assert "computed from t = 2 down to 1: each step reads x_t, and its s_{t-1} is the state after x_{t+1}" in out
    assert "final: s_T = 6" in out and "final: s_1 = 6" in out
    # --s0 1 fills every layer's and direction's s0: forward s = (1 + 2, 3 + 4) = (3, 7), backward from t = 2:
    # s = 1 + 4 = 5, then 5 + 2 = 7; o_2 = (7, 5).
    status, out, err = rnncalc("rnn", path, "--s0", "1", "-q")
    assert (status, out, err) == (0, "7\n5\n", "")


def test_check_runs_a_stack(tmp_path, rnncalc, monkeypatch):
    # The same stack: its top output at T = 2 is (6, 4), so the first file passes and the second fails.
    body = ("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
            "  - forward: {W_ss: 1, W_sx: 2}\n    backward: {W_ss: 1, W_sx: 2}\n")
    monkeypatch.chdir(tmp_path)
    Path("good.yaml").write_text(body + "expect: {output: [6, 4]}\n")
    Path("bad.yaml").write_text(body + "expect: {layers.1.backward.s: [6, 5]}\n")
    assert rnncalc("check", "good.yaml")[0] == 0
    status, out, _ = rnncalc("check", "bad.yaml", "--no-color")
    assert status == 1 and "layer 1 · backward: s at t = 2 is 4, expected 5" in out


# ---------------------------------------------------------------- hostile stack files

import contextlib  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import CELL_NAMES  # noqa: E402
from rnncalc.cli import run  # noqa: E402

FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
KEYS = ["W_ss", "W_sx", "b_s", "W_fh", "W_fx", "W_f", "P_f", "W_rh", "W_nx", "b_nh", "W_gs", "W_y", "h0", "c0",
        "s0", "x", "hidden", "input", "round", "activation", "variant", "weights", "cell", "expect", "forward",
        "backward", "layers", "bogus"]
scalars = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                    st.text(max_size=6), st.sampled_from(["sign", "relu", "softmax", "reset-before", 1e308]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
                      max_leaves=10)


def assert_answered(args):
    """Run rnncalc in-process: a status of 0 to 3, and bad input said in one line; never a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run([str(a) for a in args])
    assert status in (0, 1, 2, 3), (args, status, err.getvalue())
    if status == 2:
        assert err.getvalue().startswith("rnncalc: ") and err.getvalue().count("\n") == 1, (args, err.getvalue())
    return status, out.getvalue(), err.getvalue()

layer_maps = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
layer_items = st.one_of(layer_maps, st.fixed_dictionaries({"forward": layer_maps, "backward": layer_maps}), values)
stack_docs = st.fixed_dictionaries(
    {"layers": st.one_of(st.lists(layer_items, max_size=3), values)},
    optional={"bidirectional": st.one_of(st.booleans(), values), "x": values, "W_y": values, "expect": values,
              "output": values, "activation": values, "round": values})
addresses = st.builds(lambda n, d, k, v: f"layers.{n}{d}.{k}={v}", st.integers(0, 3),
                      st.sampled_from(["", ".forward", ".backward", ".sideways"]), st.sampled_from(KEYS),
                      st.sampled_from(["1", "[1, 2]", "[[1]]", "x", "relu", "nan"]))


@FUZZ
@given(cell=st.sampled_from(CELL_NAMES), doc=stack_docs, params=st.lists(addresses, max_size=2),
       fmt=st.sampled_from(["table", "json", "csv", "jsonl"]), grad=st.booleans())
def test_random_stack_files_are_answered(tmp_path_factory, cell, doc, params, fmt, grad):
    import yaml

    path = tmp_path_factory.mktemp("stack") / "s.yaml"
    try:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    args = [cell, path, "-f", "json" if grad else fmt, *(["--grad"] if grad else [])]
    for p in params:
        args += ["-p", p]
    assert_answered(args)


@FUZZ
@given(cell=st.sampled_from(["rnn", "lstm", "gru"]), bidirectional=st.booleans(), head=st.sampled_from([None, "final"]),
       fmt=st.sampled_from(["table", "json", "jsonl", "csv", "markdown", "latex", "-q"]),
       only=st.lists(st.sampled_from(["y", "output", "h", "s", "c", "x", "f_pre", "zz"]), max_size=3, unique=True),
       steps=st.sampled_from([None, "--last", "2", "1,3", "9"]))
def test_random_views_of_a_stack_with_an_output_layer(tmp_path_factory, cell, bidirectional, head, fmt, only, steps):
    """Every format, --only of the layers' and the top output's names, and the steps shown: answered, and the
    top output's numbers in jsonl and csv those of the JSON document."""
    import yaml

    layer = {"forward": {}, "backward": {}} if bidirectional else {}
    doc = {"cell": cell, "bidirectional": bidirectional, "weights": 0.3, "hidden": 2, "x": [0.5, -1, 2],
           "layers": [layer, layer], "W_y": [[1] * (4 if bidirectional else 2), [0.5] * (4 if bidirectional else 2)],
           **({"head": head} if head else {})}
    path = tmp_path_factory.mktemp("stack") / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    view = (["-q"] if fmt == "-q" else ["-f", fmt]) + (["--only", ",".join(only)] if only else []) + \
        ({None: [], "--last": ["--last"]}.get(steps, ["--steps", steps]))
    status, out, err = assert_answered([cell, path, *view])
    if status or fmt not in ("jsonl", "csv"):
        return
    whole = json.loads(assert_answered([cell, path, "-f", "json"])[1])
    if fmt == "jsonl":
        for record in map(json.loads, out.splitlines()):
            if "layer" not in record and "t" in record:
                for key in ("output", "y"):
                    assert key not in record or record[key] == whole[key][record["t"] - 1]
    else:
        rows = list(csv.reader(io.StringIO(out)))
        columns = [i for i, name in enumerate(rows[0]) if name.startswith("output[")]
        for row in rows[1:]:
            if row[0] == "output" and columns:
                assert [float(row[i]) for i in columns] == whole["output"][int(row[2]) - 1]


@FUZZ
@given(cell=st.sampled_from(["rnn", "lstm", "gru"]), H=st.integers(1, 2), D=st.integers(1, 2),
       layers=st.integers(1, 2), bidirectional=st.booleans(), params=st.lists(addresses, max_size=2))
def test_random_valid_stacks_with_addressed_overrides(tmp_path_factory, cell, H, D, layers, bidirectional, params):
    import yaml

    def mapping():
        return {"weights": 0.3, "hidden": H}
    items = [{"forward": mapping(), "backward": mapping()} if bidirectional else mapping() for _ in range(layers)]
    doc = {"cell": cell, "bidirectional": bidirectional, "x": [[0.5] * D] * 3, "layers": items}
    path = tmp_path_factory.mktemp("stack") / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    args = [cell, path, "-f", "json", "--grad"]
    for p in params:
        args += ["-p", p]
    status, out, err = assert_answered(args)
    if not params:
        assert status == 0, err
        assert len(json.loads(out)["output"][0]) == H * (2 if bidirectional else 1)


def test_an_option_addressed_to_one_layer(tmp_path, rnncalc):
    # layers.2.activation=relu: layer 2's s = relu(−x) = (0, 1) for x = (1, −1), layer 1 being the identity.
    path = tmp_path / "two.yaml"
    path.write_text("cell: rnn\nactivation: linear\nx: [1, -1]\nlayers:\n"
                    "  - {W_ss: 0, W_sx: 1}\n  - {W_ss: 0, W_sx: -1}\n")
    status, out, err = rnncalc("rnn", path, "-p", "layers.2.activation=relu", "-f", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["output"] == [[0.0], [1.0]]
    assert [r["activation"] for r in doc["layers"]] == ["linear", "relu"]


def test_gradients_through_an_output_layer_by_finite_differences():
    # A 2-layer bidirectional LSTM with a softmax W_y, loss xent; and mse on a sigmoid output. Central
    # differences of L (step 1e-6) against the backward pass, for W_y, b_y and one weight of every direction.
    from rnncalc.network import run_stack
    from rnncalc.problem import Flags
    from rnncalc.runner import View
    from rnncalc.stack import build_stack
    from rnncalc.stackformats import Unwritten
    from rnncalc.yamlevents import Document

    rng = np.random.default_rng(7)
    H, D, T, K = 2, 3, 4, 3

    def layer(d):
        return random_layer(rng, "lstm", H, d)
    data = {"cell": "lstm", "bidirectional": True, "x": rng.normal(size=(T, D)).tolist(),
            "layers": [{"forward": layer(D), "backward": layer(D)},
                       {"forward": layer(2 * H), "backward": layer(2 * H)}],
            "W_y": rng.normal(size=(K, 2 * H)).tolist(), "b_y": rng.normal(size=K).tolist()}
    for output, loss, target in (("softmax", "xent", "0,2,1,1"), ("sigmoid", "mse", "[[0.1, 0.9, 0.5]]")):
        stack = build_stack("lstm", Document({**data, "output": output}, "s.yaml"),
                            Flags(grad=True, loss=loss, target=target))
        result = run_stack(stack, View(format="check"), Unwritten())

        def loss_value():
            return run_stack(stack, View(format="check"), Unwritten()).loss

        def numeric(array, index):
            old = array[index]
            array[index] = old + 1e-6
            up = loss_value()
            array[index] = old - 1e-6
            down = loss_value()
            array[index] = old
            return (up - down) / 2e-6

        for name in ("W_y", "b_y"):
            for index in np.ndindex(stack.output[name].shape):
                assert result.output_grads[name][index] == pytest.approx(numeric(stack.output[name], index), abs=1e-7)
        for part in result.parts:
            lay, g = part.layer, part.gradients
            for name in ("W_fx", "W_ch", "b_o"):
                index = (1, 0)[:lay.problem.params[name].ndim]
                assert g.params[name][index] == pytest.approx(numeric(lay.problem.params[name], index), abs=1e-7)
            assert g.init["c0"][0] == pytest.approx(numeric(lay.problem.init["c"], (0,)), abs=1e-7)


def test_rounding_applies_to_every_layer(tmp_path, rnncalc):
    # tanh rounded to its sign: layer 1 gives sign(x_t) = (1, −1) for x = (0.5, −2),
    # layer 2 sign(−s¹_t) = (−1, 1).
    path = tmp_path / "r.yaml"
    path.write_text("cell: rnn\nx: [0.5, -2]\nlayers:\n  - {W_ss: 0, W_sx: 1}\n  - {W_ss: 0, W_sx: -1}\n")
    status, out, err = rnncalc("rnn", path, "--round", "sign", "-f", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert [s["s"] for s in doc["layers"][0]["steps"]] == [[1.0], [-1.0]]
    assert doc["output"] == [[-1.0], [1.0]]
    assert doc["rounding"]["tanh"] == "sign"
    assert rnncalc("rnn", path, "--round", "sign", "-q")[1] == "1\n"
    status, _, err = rnncalc("rnn", path, "--round", "sign", "--grad")
    assert status == 2 and err.startswith("rnncalc: --grad: cannot differentiate a rounded run")


def test_steps_and_write_ups(tmp_path, rnncalc):
    # The linear bidirectional stack again: --steps 2 shows t = 2 of each direction, in every format.
    path = tmp_path / "bi.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - forward: {W_ss: 1, W_sx: 2}\n    backward: {W_ss: 1, W_sx: 2}\n")
    status, out, err = rnncalc("rnn", path, "-f", "json", "--steps", "2", "--grad")
    assert status == 0, err
    doc = json.loads(out)
    assert [[s["t"] for s in r["steps"]] for r in doc["layers"]] == [[2], [2]]
    assert [[s["t"] for s in r["steps"]] for r in doc["backward"]] == [[2], [2]]
    assert [r["steps"][0]["ds"] for r in doc["backward"]] == [[1.0], [1.0]]  # both read by L = Σ o_2
    status, out, err = rnncalc("rnn", path, "-f", "markdown")
    assert status == 0, err
    assert out.index("### layer 1 · forward") < out.index("### layer 1 · backward")
    assert out.count("**Step t = ") == 4


@pytest.mark.filterwarnings("error")
def test_xent_of_saturated_logits_through_a_stack_is_finite():
    # W_y = 0 and b_y = (800, −800): y_t = (1, 0) exactly at every step, y_t[1] underflows to 0, and
    # L = −Σ_t log softmax(z_t)[1] = 2 · 1600 for T = 2 (log(1 + e^−1600) is 0 in float64).
    from rnncalc.network import run_stack
    from rnncalc.problem import Flags
    from rnncalc.runner import View
    from rnncalc.stack import build_stack
    from rnncalc.stackformats import Unwritten
    from rnncalc.yamlevents import Document

    data = {"cell": "rnn", "x": [[1.0], [2.0]], "layers": [{"W_ss": 0.5, "W_sx": 0.5}, {"W_ss": 0.5, "W_sx": 0.5}],
            "W_y": [[0.0], [0.0]], "b_y": [800.0, -800.0], "output": "softmax"}
    stack = build_stack("rnn", Document(data, "s.yaml"), Flags(grad=True, loss="xent", target="1,1"))
    result = run_stack(stack, View(format="check"), Unwritten())
    assert result.loss == 3200.0
    assert result.output_grads["b_y"].tolist() == [2.0, -2.0]  # Σ_t (y_t − e_1)


class _Sink(io.TextIOBase):
    """An output stream that keeps nothing."""

    def write(self, text):
        return len(text)


@pytest.mark.parametrize("fmt", ["jsonl", "last", deep_only("csv"), deep_only("json")])
def test_a_stack_holds_its_layers_states_and_nothing_more_per_step(fmt):
    # A 2-layer bidirectional LSTM, H = 8: what it must hold is its layers' visible states, the next layer's
    # input and the top output, each T · 2H = 16 numbers a step, 2 · 16 · 8 = 256 bytes a step at the most
    # at once. Every step's quantities (4H pre-activations and 7H values, 704 bytes a direction) or its text
    # would be several times that.
    from rnncalc.network import run_stack
    from rnncalc.problem import Flags
    from rnncalc.runner import View
    from rnncalc.stack import build_stack
    from rnncalc.stackformats import writer_for
    from rnncalc.yamlevents import Document

    def peak(T, H=8):
        rng = np.random.default_rng(0)

        def layer(d):
            return {"W_fh": rng.normal(size=(H, H)).tolist(), "W_fx": rng.normal(size=(H, d)).tolist()}
        data = {"cell": "lstm", "bidirectional": True, "x": rng.normal(size=(T, 2)).tolist(), "hidden": H,
                "weights": 0.3, "layers": [{"forward": layer(2), "backward": layer(2)},
                                           {"forward": layer(2 * H), "backward": layer(2 * H)}]}
        stack = build_stack("lstm", Document(data, "s.yaml"), Flags())
        view = View(format="jsonl", last=True) if fmt == "last" else View(format=fmt)
        tracemalloc.start()
        try:
            run_stack(stack, view, writer_for(view, _Sink()))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    per_step = (peak(2400) - peak(600)) / 1800
    assert per_step < 1.25 * 256, per_step


def test_a_backward_direction_names_the_steps_it_does_not_show(tmp_path, rnncalc):
    # T = 12: the backward direction computes t = 12, 11, ..., 1, and its table shows the first ten it computes,
    # t = 12 down to 3, and its last, t = 1: the step not shown is t = 2, named before t = 1.
    path = tmp_path / "b.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nx: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\nlayers:\n"
                    "  - forward: {W_ss: 0.5, W_sx: 1}\n    backward: {W_ss: 0.5, W_sx: 1}\n")
    status, out, err = rnncalc("rnn", path, "--no-color")
    assert status == 0, err
    backward = out.split("layer 1 · backward")[1]
    assert "1 step not shown, t = 2: choose it with --steps 2, or see all with --format jsonl or csv" in backward
    assert backward.index("step t = 12 ") < backward.index("step t = 3 ") < backward.index("t = 2:") \
        < backward.index("step t = 1 ")
    forward = out.split("layer 1 · backward")[0]
    assert "1 step not shown, t = 11: choose it with --steps 11," in forward
    assert "final: s_1 = " in backward


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_write_ups_show_what_the_table_shows(tmp_path, rnncalc, fmt):
    # Each direction's final state (s_T forward, s_1 backward), the top output with y and its check, and the
    # verdict. Linear cells, W = 1, x = (1, 2): forward s = (1, 3), backward s_2 = 2, s_1 = 3;
    # o_2 = (3, 2), y_2 = 3 + 2 = 5.
    path = tmp_path / "b.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nweights: 1\nx: [1, 2]\nlayers:\n"
                    "  - forward: {}\n    backward: {}\nW_y: [[1, 1]]\noutput: linear\nexpect: {y: 5}\n")
    status, out, err = rnncalc("rnn", path, "-f", fmt)
    assert status == 0, err
    assert ("s_T = 3" in out or "s_{T} = 3" in out) and ("s_1 = 3" in out or "s_{1} = 3" in out)
    assert ("`[3, 2]`" in out and "`5`" in out and "✓" in out) if fmt == "markdown" else \
        (r"\left[3, 2\right]" in out and r"\checkmark" in out)
    assert out.rstrip().endswith("all 1 expected values hold")


def test_a_whole_stacks_initial_states_are_refused_in_one_line_when_they_do_not_fit(tmp_path, rnncalc):
    path = tmp_path / "s.yaml"
    path.write_text("cell: lstm\nbidirectional: true\nweights: 0.5\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {}, backward: {h0: [1]}}\n  - {forward: {}, backward: {}}\n")
    rows = "expected one row a layer and direction, (4, H) or (4, 1, H) as PyTorch's {} of 2 layers and 2 directions"
    for flag, value, message in [
        ("--h0", "[[1], [2], [3]]", rows.format("h0") + " (P for H where the LSTM is projected); found shape (3, 1)"),
        ("--c0", "[[1], [2], [3]]", rows.format("c0") + "; found shape (3, 1)"),
        ("--h0", "[[1], [2], [3], [4]]", "gives every layer's h0, and layers.1.backward.h0 is given too; give it "
                                         "one way"),
    ]:
        assert rnncalc("lstm", path, flag, value)[::2] == (2, f"rnncalc: {flag}: {message}\n")


def test_merged_directions_by_hand(tmp_path, rnncalc):
    # Linear cells, x = (1, 2). Layer 1 (W_ss = 1, W_sx = 2): forward s = (2, 6); backward, from t = 2: s_2 = 4,
    # s_1 = 6. Layer 2 (W_ss = W_sx = 1) reads the merged layer 1; o_2 is its merged output at t = 2.
    #   sum: layer 1 gives (8, 10); forward (8, 18), backward s_2 = 10, s_1 = 18: o_2 = 18 + 10 = 28
    #   ave: (4, 5); forward (4, 9), backward (9, 5): o_2 = (9 + 5) / 2 = 7
    #   mul: (12, 24); forward (12, 36), backward (36, 24): o_2 = 36 · 24 = 864
    path = tmp_path / "m.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {W_ss: 1, W_sx: 2}, backward: {W_ss: 1, W_sx: 2}}\n"
                    "  - {forward: {W_ss: 1, W_sx: 1}, backward: {W_ss: 1, W_sx: 1}}\n")
    for merge, o_2 in (("sum", "28"), ("ave", "7"), ("mul", "864")):
        assert rnncalc("rnn", path, "-p", f"merge={merge}", "-q") == (0, f"{o_2}\n", "")
        doc = json.loads(rnncalc("rnn", path, "-p", f"merge={merge}", "-f", "json")[1])
        assert (doc["merge"], doc["output_width"], len(doc["output"][-1])) == (merge, 1, 1)
    status, _, err = rnncalc("rnn", path, "-p", "merge=max")
    assert (status, err) == (2, "rnncalc: --param merge: expected one of concat, sum, ave, mul, found the text 'max'\n")


def check_by_finite_differences(stack, weight, index, state, unit):
    """The stack's --grad against central differences of its loss (step 1e-6): dL/dW_y, and in every direction
    dL/d(weight)[index] and dL/d(state)0[unit]. The run's result."""
    from rnncalc.network import run_stack
    from rnncalc.runner import View
    from rnncalc.stackformats import Unwritten

    def run():
        return run_stack(stack, View(format="check"), Unwritten())
    result = run()

    def numeric(array, at):
        old = array[at]
        array[at] = old + 1e-6
        up = run().loss
        array[at] = old - 1e-6
        down = run().loss
        array[at] = old
        return (up - down) / 2e-6

    for at in np.ndindex(stack.output["W_y"].shape):
        assert result.output_grads["W_y"][at] == pytest.approx(numeric(stack.output["W_y"], at), abs=1e-7)
    for part in result.parts:
        p = part.layer.problem
        assert part.gradients.params[weight][index] == pytest.approx(numeric(p.params[weight], index), abs=1e-7)
        assert part.gradients.init[f"{state}0"][unit] == pytest.approx(numeric(p.init[state], (unit,)), abs=1e-7)
    return result


@pytest.mark.parametrize("merge", ["sum", "ave", "mul"])
def test_gradients_through_merged_directions_by_finite_differences(merge):
    # A 2-layer bidirectional LSTM whose directions are merged, a sigmoid W_y, loss mse: central differences of L
    # (step 1e-6) against the backward pass, for W_y and one weight and c0 of every direction.
    from rnncalc.problem import Flags
    from rnncalc.stack import build_stack
    from rnncalc.yamlevents import Document

    rng = np.random.default_rng(11)
    H, D, T, K = 2, 3, 4, 2

    def layer(d):
        return random_layer(rng, "lstm", H, d)
    data = {"cell": "lstm", "bidirectional": True, "merge": merge, "x": rng.normal(size=(T, D)).tolist(),
            "layers": [{"forward": layer(D), "backward": layer(D)}, {"forward": layer(H), "backward": layer(H)}],
            "W_y": rng.normal(size=(K, H)).tolist(), "b_y": rng.normal(size=K).tolist(), "output": "sigmoid"}
    stack = build_stack("lstm", Document(data, "s.yaml"), Flags(grad=True, loss="mse", target="[[0.1, 0.9]]"))

    check_by_finite_differences(stack, "W_fx", (1, 0), "c", 0)


@pytest.mark.parametrize("merge", ["concat", "ave"])
def test_an_output_layer_on_the_final_states_by_finite_differences(merge):
    # head: final, y = softmax(W_y [h_T forward ‖ h_1 backward] + b_y) once (or of their mean), loss xent of one
    # class: central differences of L against the backward pass, for W_y and one weight and h0 of every direction.
    from rnncalc.problem import Flags
    from rnncalc.stack import build_stack
    from rnncalc.yamlevents import Document

    rng = np.random.default_rng(12)
    H, D, T, K = 2, 2, 3, 3

    def layer(d):
        return random_layer(rng, "gru", H, d)
    width = 2 * H if merge == "concat" else H
    data = {"cell": "gru", "bidirectional": True, "merge": merge, "head": "final", "x": rng.normal(size=(T, D)).tolist(),
            "layers": [{"forward": layer(D), "backward": layer(D)}, {"forward": layer(width), "backward": layer(width)}],
            "W_y": rng.normal(size=(K, width)).tolist(), "b_y": rng.normal(size=K).tolist()}
    stack = build_stack("gru", Document(data, "s.yaml"), Flags(grad=True, loss="xent", target="2"))

    assert check_by_finite_differences(stack, "W_nx", (0, 1), "h", 1).y.shape == (1, K)


def test_an_output_layer_on_the_final_states_by_hand(tmp_path, rnncalc):
    # Linear cells, x = (1, 2), W_ss = 1, W_sx = 2: forward s = (2, 6), so s_T = 6; backward s_2 = 4, s_1 = 6.
    # y = W_y [s_T ‖ s_1] = 1·6 + 10·6 = 66, once; o_t is still each step's [forward ‖ backward].
    path = tmp_path / "h.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nactivation: linear\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {W_ss: 1, W_sx: 2}, backward: {W_ss: 1, W_sx: 2}}\n"
                    "W_y: [[1, 10]]\noutput: linear\nhead: final\nexpect: {y: 66}\n")
    status, out, err = rnncalc("rnn", path, "-f", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert (doc["y"], doc["output"], doc["output_layer"]["head"]) == ([[66.0]], [[2.0, 6.0], [6.0, 4.0]], "final")
    assert rnncalc("rnn", path, "-q", "--only", "y") == (0, "66\n", "")
    assert rnncalc("rnn", path, "-f", "jsonl")[1].splitlines()[-1] == '{"head": "final", "y": [66.0]}'
    status, out, _ = rnncalc("rnn", path, "--no-color")
    assert "y = linear(W_y [s_T forward ‖ s_1 backward] + b_y)" in out and "y = 66  ✓" in out
    bare = tmp_path / "bare.yaml"
    bare.write_text(path.read_text().replace("W_y: [[1, 10]]\noutput: linear\n", "").replace("{y: 66}", "{output: 4}"))
    status, _, err = rnncalc("rnn", bare)
    assert (status, err) == (2, f"rnncalc: {bare}:7: head: says what the output layer reads, and there is none: "
                                "give W_y (K, width)\n")


def test_a_stack_refuses_the_journey_of_every_state(tmp_path, rnncalc):
    path = tmp_path / "s.yaml"
    path.write_text("cell: lstm\nweights: 0.5\nx: [1, 2]\nlayers:\n  - {hidden: 1}\n")
    message = ("is one layer's: a stack's --grad shows each direction's journey of its visible state, ‖∂v/∂v_t‖₂; "
               "run a layer alone for the LSTM's ‖∂c_T/∂c_t‖₂\n")
    assert rnncalc("lstm", path, "--grad", "--journey", "every")[::2] == (2, f"rnncalc: --journey: {message}")
    assert rnncalc("lstm", path, "--grad", "-p", "layers.1.journey=every")[::2] == \
        (2, f"rnncalc: --param layers.1.journey: {message}")


def test_the_sum_loss_reads_the_top_output_at_T_whatever_the_output_layer_reads(tmp_path, rnncalc):
    # head: final, and --grad's default loss: L = Σ_k o_T[k], o_T = [s→_2; s←_2], the output layer takes no part.
    path = tmp_path / "h.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nx: [1, 2]\nW_y: [[2, 1]]\noutput: linear\nhead: final\nlayers:\n"
                    "  - {forward: {W_ss: 0.5, W_sx: 1}, backward: {W_ss: 0.5, W_sx: -1}}\n")
    doc = json.loads(rnncalc("rnn", path, "--grad", "-f", "json")[1])
    assert doc["loss"] == sum(doc["output"][-1]) and doc["grad"]["W_y"] == [[0.0, 0.0]]
    # s→_2 = tanh(0.5 tanh 1 + 2); s←_2 = tanh(−2), the state after the backward direction reads x_2 first
    assert doc["output"][-1] == [pytest.approx(np.tanh(0.5 * np.tanh(1) + 2), rel=1e-15),
                                 pytest.approx(np.tanh(-2.0), rel=1e-15)]


def test_what_a_stack_is_given_is_checked_before_anything_is_written(tmp_path, rnncalc):
    path = tmp_path / "s.yaml"
    path.write_text("cell: rnn\nweights: 0.5\nround: sign\nx: [1, -2, 3]\nlayers: [{round: none}, {}]\n")
    for fmt in ("json", "jsonl", "csv", "markdown", "table"):
        assert rnncalc("rnn", path, "-f", fmt, "--only", "s,zz")[:2] == (2, "")
    doc = json.loads(rnncalc("rnn", path, "-f", "json")[1])
    assert [r["rounding"]["tanh"] for r in doc["layers"]] == ["none", "sign"] and doc["rounding"]["tanh"] == "none"
    assert rnncalc("rnn", path, "-p", "layers.1.name=a")[::2] == \
        (2, "rnncalc: --param layers.1.name: 'name' is a key of the whole stack: give it at the top level\n")


def test_the_library_pins_a_stack_by_address(tmp_path):
    import rnncalc

    path = tmp_path / "s.yaml"
    path.write_text("cell: gated\nweights: 0.5\nx: [1, 2]\nlayers: [{}, {}]\n")
    by_keyword = rnncalc.trace("gated", str(path), pin={"layers.2.g": 0})
    path.write_text(path.read_text() + "pin: {layers.2.g: 0}\n")
    in_file = rnncalc.trace("gated", str(path))
    assert by_keyword.to_dict() == in_file.to_dict()
    layer_2 = by_keyword.layers[1]
    assert layer_2["pins"] == [{"name": "g", "steps": None, "value": [0.0]}]
    assert [s["s"].tolist() for s in layer_2["steps"]] == [[0.0], [0.0]]  # g = 0 keeps s_0 = 0
    assert layer_2["final"]["s"].tolist() == [0.0]


def test_a_files_expected_value_is_named_with_its_place_in_the_file(tmp_path, rnncalc):
    path = tmp_path / "e.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {W_ss: 1, W_sx: 1}, backward: {W_ss: 1, W_sx: 1}}\nexpect: {layers.1.sideways.s: 1}\n")
    message = "a stack's values are addressed by layer, e.g. layers.1.forward.s\n"
    assert rnncalc("rnn", path)[::2] == (2, f"rnncalc: {path}:6: expect layers.1.sideways.s: {message}")
    assert rnncalc("rnn", path, "--expect", "layers.1.sideways.s=1")[::2] == \
        (2, f"rnncalc: --expect layers.1.sideways.s: {message}")


@pytest.mark.parametrize("address, hint", [
    ("layers.1.forward", "name a key after the direction, e.g. layers.1.forward.KEY"),
    ("layers.1", "a stack's values are addressed by layer, e.g. layers.1.forward.KEY"),
    ("Layers.1.forward.h0", "a stack's values are addressed by layer, e.g. layers.1.forward.h0"),
])
def test_a_bad_address_gets_a_hint_that_leads_somewhere(tmp_path, rnncalc, address, hint):
    path = tmp_path / "s.yaml"
    path.write_text("cell: lstm\nbidirectional: true\nweights: 0.5\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {}, backward: {}}\n")
    assert rnncalc("lstm", path, "-p", f"{address}=1")[::2] == (2, f"rnncalc: --param {address}: {hint}\n")


TWO_LAYERS = ("cell: rnn\nbidirectional: true\n{top}layers:\n"
              "  - {{forward: {{W_ss: [[0.5]], W_sx: [[1]]}}, backward: {{W_ss: {H}, W_sx: {W}}}}}\n"
              "  - {{forward: {{W_ss: [[0.5]], W_sx: {above}}}, backward: {{W_ss: [[0.5]], W_sx: {above}}}}}\n")


@pytest.mark.parametrize("top, H, W, above, where, message", [
    ("", "[[1]]", "[[1]]", "[[1, 1]]", "x", "no input sequence; give x at the top level of the file, or use -x or "
                                           "--x-file"),
    ("merge: sum\nx: [1, 2]\n", "[[1, 0], [0, 1]]", "[[1], [1]]", "[[1]]", "layers.1",
     "merge: sum joins the directions number by number, so both need one size of s; found H = 1 and H = 2"),
    ("x: [1, 2]\n", "[[1, 0], [0, 1]]", "[[1], [1]]", "[[1, 1]]", "layers.2.forward: W_sx",
     "shape (1, 2) reads 2 numbers a step, but layer 1 gives 3 (its directions' H = 1 and H = 2, side by side)"),
], ids=["missing x", "merge of unequal directions", "a weight that does not read the layer below"])
def test_a_stacks_refusal_names_the_key_that_is_wrong(tmp_path, rnncalc, top, H, W, above, where, message):
    """The file and key at fault, in the file and in the library alike: not the layer that happened to read it."""
    import rnncalc as library
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(TWO_LAYERS.format(top=top, H=H, W=W, above=above))
    assert rnncalc("rnn", path)[::2] == (2, f"rnncalc: {path}: {where}: {message}\n")
    with pytest.raises(library.InputError) as refused:
        library.trace("rnn", yaml.safe_load(path.read_text()))
    assert str(refused.value) == f"{where}: {message}"


def test_a_pin_of_no_layers_quantity_says_what_a_layer_has(tmp_path, rnncalc):
    path = tmp_path / "s.yaml"
    path.write_text("cell: rnn\nweights: 0.5\nx: [1, 2]\nlayers: [{}, {}]\nW_y: [[1]]\n")
    assert rnncalc("rnn", path, "--pin", "y@2=1")[::2] == \
        (2, "rnncalc: --pin y@2: 'y' is not a quantity of the stack's rnn layers (s); a pin holds one of a layer's, "
            "e.g. --pin layers.1.s=1\n")


def test_only_names_the_top_outputs_keys_as_it_names_a_layers(tmp_path, rnncalc):
    """--only y writes y_t alone, in every format; --only h,output a layer's h and the top output."""
    path = tmp_path / "s.yaml"
    path.write_text("cell: gru\nbidirectional: true\nweights: 0.5\nhidden: 2\nx: [1, -2, 3]\n"
                    "layers: [{forward: {}, backward: {}}, {forward: {}, backward: {}}]\n"
                    "W_y: [[1, 0, -1, 2], [0.5, 0.5, 0.5, 0.5]]\n")
    doc = json.loads(rnncalc("gru", path, "-f", "json")[1])
    status, out, _ = rnncalc("gru", path, "-f", "jsonl", "--only", "y")
    assert status == 0 and [json.loads(line) for line in out.splitlines()] == \
        [{"t": t, "y": y} for t, y in enumerate(doc["y"], start=1)]
    status, out, _ = rnncalc("gru", path, "-f", "csv", "--only", "y")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["layer", "direction", "t", "y[0]", "y[1]"]
    assert [[float(v) for v in r[3:]] for r in rows[1:]] == doc["y"] and {r[0] for r in rows[1:]} == {"output"}
    status, out, _ = rnncalc("gru", path, "-f", "jsonl", "--only", "h,output")
    records = [json.loads(line) for line in out.splitlines()]
    assert {tuple(r) for r in records} == {("layer", "direction", "t", "h"), ("t", "output")}
    assert [r["output"] for r in records if "output" in r] == doc["output"]
    status, out, _ = rnncalc("gru", path, "--only", "y")
    assert status == 0 and "y_t = " in out and "o_t = " not in out and "layer 1" not in out
    status, out, _ = rnncalc("gru", path, "-f", "markdown", "--only", "output")
    assert status == 0 and "| t | o_t |" in out and "### layer" not in out
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")  # no output layer
    assert rnncalc("gru", path, "-f", "jsonl", "--only", "y")[::2] == \
        (2, "rnncalc: --only: no quantity 'y'; the gru cell has x r_pre r z_pre z n_pre n h; the stack's top output "
            "has output (and y with an output layer W_y)\n")
    assert rnncalc("gru", path, "--only", "zz")[2].endswith("; the stack's top output has output (and y with an "
                                                           "output layer W_y)\n")


@pytest.mark.parametrize("flags", [("-f", "jsonl", "--steps", "2"), ("-f", "csv", "--steps", "1,3"),
                                   ("-f", "jsonl", "--only", "y"), ("-f", "csv", "--only", "h,output", "--steps", "3")],
                         ids=" ".join)
def test_a_stream_answered_live_shows_the_steps_and_keys_a_whole_input_shows(tmp_path, rnncalc, monkeypatch, flags):
    path = tmp_path / "s.yaml"
    path.write_text("cell: lstm\nweights: 0.5\nhidden: 2\nlayers: [{b_f: 1}, {W_fh: 0.25}]\nW_y: [[1, -1]]\n")
    # the same records, to the bit; a line answered alone comes step by step rather than layer by layer
    status, whole, _ = rnncalc("lstm", path, "-x", "1,-2,3", *flags)
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n-2\n3\n"))
    live = rnncalc("lstm", path, "-x", "-", *flags)
    assert status == live[0] == 0 and sorted(live[1].splitlines()) == sorted(whole.splitlines())
    assert live[1].splitlines()[0] == whole.splitlines()[0]  # csv's header, jsonl's first record


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_a_stream_names_the_layer_that_overflowed(tmp_path, rnncalc, monkeypatch, fmt):
    """Layer 2 overflows at step 1; layer 1, which it stops reading, is finite: as for the same x from a file."""
    path = tmp_path / "ov.yaml"
    path.write_text("cell: rnn\nactivation: linear\nlayers:\n  - {W_ss: 1e200, W_sx: 1e200}\n"
                    "  - {W_ss: 1, W_sx: 1e200}\n")
    message = ("rnncalc: layer 2 · forward: s_pre is not finite at step 1; the weights or inputs are too large "
               "for float64\n")
    assert rnncalc("rnn", path, "-x", "1", "-f", fmt)[::2] == (3, message)
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n2\n"))
    assert rnncalc("rnn", path, "-x", "-", "-f", fmt)[::2] == (3, message)


def test_x_in_a_layers_mapping_is_named_there(tmp_path, rnncalc):
    path = tmp_path / "s.yaml"
    path.write_text("cell: rnn\nweights: 0.5\nlayers:\n  - {hidden: 2, x: [1, 2]}\n  - {hidden: 1}\n")
    assert rnncalc("rnn", path)[::2] == (2, f"rnncalc: {path}: layers.1: x: layer 1 reads the stack's x and each "
                                             "layer above the one below: give x at the top level\n")


def test_a_projected_layers_width_is_named_p(tmp_path, rnncalc):
    path = tmp_path / "p.yaml"
    path.write_text("cell: lstm\nbidirectional: true\nmerge: sum\nweights: 0.5\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {hidden: 4, proj: 2}, backward: {hidden: 4, proj: 3}}\n")
    assert rnncalc("lstm", path)[::2] == (2, f"rnncalc: {path}: layers.1: merge: sum joins the directions number by "
                                             "number, so both need one size of h; found P = 2 and P = 3\n")


def test_a_stack_files_pin_is_named_where_the_file_gives_it(tmp_path, rnncalc):
    path = tmp_path / "p.yaml"
    for pin, message in [("q: 1", "pin q: 'q' is not a quantity of the stack's rnn layers (s); a pin holds one of "
                                  "a layer's, e.g. layers.1.s"),
                         ("layers.9.s: 1", "pin layers.9.s: the stack has layers 1–2"),
                         ("layers.1.s: [1, 2, 3]", "pin layers.1.s: expected shape (2,) (H,), the length of s, "
                                                   "found (3,)"),
                         ("layers.1.s@9: 1", "pin layers.1.s@9: step 9 is past the last step, T = 2")]:
        path.write_text(f"cell: rnn\nweights: 0.5\nx: [1, 2]\npin:\n  {pin}\nlayers:\n  - {{hidden: 2}}\n  - {{}}\n")
        assert rnncalc("rnn", path)[::2] == (2, f"rnncalc: {path}:4: {message}\n")


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_a_write_up_shows_every_step_of_the_top_output(tmp_path, rnncalc, fmt):
    """As each direction's steps, and as one layer's write-up: every t, where a table shows the first ten and
    the last."""
    path = tmp_path / "s.yaml"
    path.write_text("cell: rnn\nweights: 0.5\nx: [" + ", ".join(["1"] * 15) + "]\nlayers: [{}, {}]\n")
    out = rnncalc("rnn", path, "-f", fmt)[1].split("output}" if fmt == "latex" else "### output")[1]
    rows = [line for line in out.splitlines() if re.match(r"(\| )?\d+ (\||&)", line)]
    assert [int(re.match(r"(\| )?(\d+)", row)[2]) for row in rows] == list(range(1, 16))


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex"])
def test_y_of_the_final_states_alone_leaves_no_empty_rows(tmp_path, rnncalc, fmt):
    path = tmp_path / "s.yaml"
    path.write_text("cell: rnn\nweights: 0.5\nhead: final\nW_y: [[1]]\nx: [1, 2, 3]\nlayers: [{}]\n")
    out = rnncalc("rnn", path, "--only", "y", "-f", fmt)[1]
    assert "y = softmax(W_y s_T + b_y" in out.replace("\\_", "_")
    assert not re.search(r"^t = \d+ *$", out, re.M) and "tabular" not in out and "| t |" not in out
    out = rnncalc("rnn", path, "--only", "output", "-f", fmt)[1]
    assert "W_y" not in out.replace("\\_", "_").split("output")[-1]


def test_a_whole_stacks_state_that_does_not_fit_a_layer_names_its_row(tmp_path, rnncalc):
    """Row 1 of torch's h0 is layer 1's backward direction, whose h is P = 2 long (projected)."""
    import rnncalc as library

    path = tmp_path / "s.yaml"
    path.write_text("cell: lstm\nbidirectional: true\nweights: 0.5\nx: [1, 2]\nlayers:\n"
                    "  - {forward: {hidden: 3}, backward: {hidden: 3, proj: 2}}\n")
    h0 = [[[0.0] * 3], [[0.0] * 3]]
    message = "shape (3,) makes the projection size P = 3, but proj: 2 makes it 2"
    assert rnncalc("lstm", path, "--h0", json.dumps(h0))[::2] == (2, f"rnncalc: --h0 [1]: {message}\n")
    with pytest.raises(library.InputError) as refused:
        library.trace("lstm", str(path), h0=np.array(h0))
    assert str(refused.value) == f"keyword h0 [1]: {message}"
