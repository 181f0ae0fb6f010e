"""--pin NAME=VALUE: a quantity of the cell held at a value, forward and backward.

Where the expected numbers come from: the equations worked by hand with a quantity replaced by its pinned
value (in the comments), and central finite differences of the pinned forward pass for the gradients of
every cell form and of a bidirectional stack: a pinned quantity is a constant, so the loss of the pinned
problem is a function of the parameters whose derivative --grad must give.
"""

import csv
import io
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncalc import trace
from conftest import CELL_FORMS, bits
from rnncalc import cells
from rnncalc.backward import Loss, backward
from rnncalc.cells import Pin
from rnncalc.engine import Rounding, run
from test_backward import H, SIZES, T, central_difference, loss_value, random_problem


def sig(z):
    return 1 / (1 + math.exp(-z))


# ---------------------------------------------------------------- forward: by hand

def test_gated_rnn_with_g_pinned_to_0_keeps_its_state(rnncalc_json):
    # s_t = (1 − g_t) s_{t-1} + g_t s̃_t with g_t = 0: s_t = 1·s_{t-1} + 0·s̃_t = s_{t-1}, exactly, at every step;
    # g's own equation is still shown beside it: σ(0.5 s_{t-1} + 0.5 x_t) with s_{t-1} = 1.
    doc = rnncalc_json("gated", "--weights", "0.5", "--s0", "1", "-x", "1,2,3", "--pin", "g=0")
    assert doc["pins"] == [{"name": "g", "steps": None, "value": [0.0]}]
    for step, x in zip(doc["steps"], (1, 2, 3)):
        assert step["s"] == [1.0] and step["g"] == [0.0]
        assert step["g_unpinned"] == pytest.approx([sig(0.5 + 0.5 * x)], rel=1e-15)
        assert step["s_tilde"] == pytest.approx([math.tanh(0.5 + 0.5 * x)], rel=1e-15)
    assert doc["final"] == {"s": [1.0]}


def test_a_pin_at_some_steps_holds_there_only(rnncalc_json):
    # g pinned to 0 at t = 2: s_2 = s_1; at t = 1 and 3 the cell's own g: s_1 = (1 − g_1) + g_1 tanh(1),
    # g_1 = σ(1); s_3 = (1 − g_3) s_2 + g_3 tanh(0.5 s_2 + 1.5), g_3 = σ(0.5 s_2 + 1.5).
    doc = rnncalc_json("gated", "--weights", "0.5", "--s0", "1", "-x", "1,2,3", "--pin", "g@2=0")
    s1 = (1 - sig(1)) + sig(1) * math.tanh(1)
    g3 = sig(0.5 * s1 + 1.5)
    s3 = (1 - g3) * s1 + g3 * math.tanh(0.5 * s1 + 1.5)
    values = [step["s"][0] for step in doc["steps"]]
    assert values == pytest.approx([s1, s1, s3], rel=1e-15) and values[1] == values[0]
    assert [step["g"][0] == step["g_unpinned"][0] for step in doc["steps"]] == [True, False, True]
    assert doc["pins"] == [{"name": "g", "steps": "2", "value": [0.0]}]


def test_lstm_with_f_1_and_i_0_keeps_c_and_its_gradient_flat(rnncalc_json):
    # f_t = 1, i_t = 0: c_t = 1·c_{t-1} + 0·c̃_t = c_0 at every t; h_t = o_t tanh(c_0), o_t = σ(0.5 h_{t-1} + 0.5 x_t).
    # Backward: c_t = c_{t-1} with f held, so ∂c_T/∂c_t = I: ‖∂c_T/∂c_t‖₂ = 1 at every t.
    doc = rnncalc_json("lstm", "--weights", "0.5", "--c0", "0.8", "-x", "1,-1,2,0", "--pin", "f=1", "--pin", "i=0",
                       "--grad", "--journey", "every")
    h = 0.0
    for step, x in zip(doc["steps"], (1, -1, 2, 0)):
        assert step["c"] == [0.8]
        h = sig(0.5 * h + 0.5 * x) * math.tanh(0.8)
        assert step["h"][0] == pytest.approx(h, rel=1e-15)
    assert doc["jacobian_norms_c"] == [1.0, 1.0, 1.0, 1.0]
    for record in doc["backward"]:  # nothing flows through a pinned gate
        assert record["df_pre"] == [0.0] and record["di_pre"] == [0.0]


def test_the_unpinned_lstm_journey_fades(rnncalc_json):
    doc = rnncalc_json("lstm", "samples/vanishing_lstm.yaml", "--grad", "--journey", "every", "-p", "b_f=-4",
                       "--no-expect")
    norms = doc["jacobian_norms_c"]
    assert norms[-1] == 1.0 and norms[0] < 1e-6  # f = σ(−4) ≈ 0.018 a step
    assert all(a < b for a, b in zip(norms, norms[1:]))


def test_a_pinned_value_is_exact_and_other_rounding_still_applies(rnncalc_json):
    # --round sign: σ and tanh give 0, ½ or 1 and −1, 0, 1; g is pinned to 0.3, not rounded:
    # s_1 = 0.7·1 + 0.3·sign(0.5 + 0.5) = 1, s_2 = 0.7·1 + 0.3·sign(0.5 − 1) = 0.7 − 0.3 = 0.4.
    doc = rnncalc_json("gated", "--weights", "0.5", "--s0", "1", "-x", "1,-2", "--pin", "g=0.3", "--round", "sign")
    assert [step["g"] for step in doc["steps"]] == [[0.3], [0.3]]
    assert [step["g_unpinned"] for step in doc["steps"]] == [[1.0], [0.0]]  # sign σ(±0.5): what the cell would pass on
    assert [step["s_tilde"] for step in doc["steps"]] == [[1.0], [-1.0]]
    assert [step["s"][0] for step in doc["steps"]] == pytest.approx([1.0, 0.4], rel=1e-15)


def test_a_vector_pin_and_a_pin_of_the_state(rnncalc_json):
    # H = 2: f pinned to [1, 0]; and h pinned at t = 1 to [0.5, -0.5], which step 2 reads as h_{t-1}.
    doc = rnncalc_json("lstm", "--weights", "0.5", "--hidden", "2", "-x", "1,2", "--pin", "f=[1,0]",
                       "--pin", "h@1=[0.5,-0.5]")
    assert [step["f"] for step in doc["steps"]] == [[1.0, 0.0]] * 2
    assert doc["steps"][0]["h"] == [0.5, -0.5] and doc["steps"][0]["h_unpinned"] != [0.5, -0.5]
    # f_2's pre-activation reads the pinned h_1: 0.5·(0.5 − 0.5) + 0.5·2 = 1 for both units
    assert doc["steps"][1]["f_pre"] == [1.0, 1.0]


def test_every_output_gives_the_same_bits(rnncalc, rnncalc_json):
    args = ["lstm", "samples/lstm_vector.yaml", "--pin", "f@2:3=[0.25,1]", "--pin", "c_tilde@1=0", "--no-expect"]
    doc = rnncalc_json(*args)
    status, out, _ = rnncalc(*args, "-f", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert bits(lines) == bits(doc["steps"])
    status, out, _ = rnncalc(*args, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [float(r["f[0]"]) for r in rows] == [s["f"][0] for s in doc["steps"]]
    assert [float(r["f_unpinned[1]"]) for r in rows] == [s["f_unpinned"][1] for s in doc["steps"]]
    status, out, _ = rnncalc(*args, "-q")
    assert [float(v) for v in out.split()] == doc["final"]["h"]
    status, out, _ = rnncalc(*args, "-f", "json", "--steps", "3")
    assert bits(json.loads(out)["steps"]) == bits(doc["steps"][2:3])
    api = trace("lstm", "samples/lstm_vector.yaml", pin={"f@2:3": [0.25, 1], "c_tilde@1": 0},
                        expect={})
    assert bits(api.to_dict()["steps"]) == bits(doc["steps"])


def test_the_table_marks_a_pinned_row_and_shows_the_equation_beside_it(rnncalc):
    status, out, _ = rnncalc("gated", "--weights", "0.5", "--s0", "1", "-x", "1,2", "--pin", "g@2=0", "--no-color")
    assert status == 0
    step2 = out[out.index("step t = 2"):]
    assert "pinned" in step2 and f"equation: {sig(0.5 * ((1 - sig(1)) + sig(1) * math.tanh(1)) + 1):.4f}" in step2
    assert "pinned" not in out[out.index("step t = 1"):out.index("step t = 2")]
    assert "g pinned" in out and "at steps 2" in out  # the header


def test_pin_in_yaml_and_as_p_is_the_same_key(rnncalc_json, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("weights: 0.5\ns0: 1\nx: [1, 2, 3]\npin: {g@2:3: 0}\n")
    by_file = rnncalc_json("gated", path)
    by_p = rnncalc_json("gated", "--weights", "0.5", "--s0", "1", "-x", "1,2,3", "-p", "pin={g@2:3: 0}")
    by_flag = rnncalc_json("gated", "--weights", "0.5", "--s0", "1", "-x", "1,2,3", "--pin", "g@2:3=0")
    assert bits(by_file["steps"]) == bits(by_p["steps"]) == bits(by_flag["steps"])


def test_a_stream_is_pinned_as_it_arrives(rnncalc, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n2\n3\n"))
    status, out, _ = rnncalc("gated", "--weights", "0.5", "--s0", "1", "-x", "-", "-f", "jsonl", "--pin", "g@2:3=0")
    steps = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and steps[0]["s"] == steps[1]["s"] == steps[2]["s"]


# ---------------------------------------------------------------- bad pins: one line, status 2

@pytest.mark.parametrize("args, message", [
    (["--pin", "gg=0"], "--pin gg: no quantity 'gg' to pin; did you mean g?"),
    (["--pin", "q=0"], "--pin q: no quantity 'q' to pin; the gated cell computes g s_tilde s"),
    (["--pin", "g=[1,2]"], "--pin g: expected shape (1,) (H,), the length of g, found (2,)"),
    (["--pin", "g@5=0"], "--pin g@5: step 5 is past the last step, T = 3"),
    (["--pin", "g@0=0"], "--pin g@0: expected steps from 1 on, first ≤ last, found '0'"),
    (["--pin", "g@2=0", "--pin", "g@1:3=1"], "--pin g@1:3: pins g at a step that --pin g@2 pins too; "
                                             "give each step one value"),
    (["--pin", "g"], "--pin: expected NAME=VALUE or NAME@STEPS=VALUE, found 'g'"),
    (["--pin", "g=x"], "--pin g: expected a number, found the text 'x'"),
    (["--pin", "g=0", "-p", "pin={g: 1}"], "--param pin: also given by --pin; give it once"),
    (["-p", "pin=[1]"], "--param pin: expected a mapping such as {g: 0} or {f@3:5: 1}, found a list"),
])
def test_a_bad_pin_is_one_line(rnncalc, args, message):
    status, out, err = rnncalc("gated", "--weights", "0.5", "-x", "1,2,3", *args)
    assert (status, out, err) == (2, "", f"rnncalc: {message}\n")


def test_what_the_equation_gives_is_still_computed_and_checked(rnncalc):
    # g_1's pre-activation 1e308·10 overflows; the pin replaces g_1, but g_unpinned is shown, so it is reported.
    status, out, err = rnncalc("gated", "--weights", "0.5", "-p", "W_gx=1e308", "-x", "10,1", "--pin", "g@1=0",
                               "-f", "json")
    assert (status, out, err) == (3, "", "rnncalc: g_pre is not finite at step 1; the weights or inputs are too "
                                         "large for float64\n")


def test_a_pin_past_a_stream_is_found_when_it_ends(rnncalc, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n2\n"))
    status, _, err = rnncalc("gated", "--weights", "0.5", "-x", "-", "-f", "jsonl", "--pin", "g@4=0")
    assert status == 2 and err == "rnncalc: --pin g@4: step 4 is past the last step, T = 2\n"


# ---------------------------------------------------------------- backward: finite differences

PINNED = {  # (quantity, steps as counts or None for every step, value) for each cell
    "rnn": [("s", ((2, 2),), 0.3)],
    "gated": [("g", ((1, 2),), 0.0), ("s_tilde", ((4, 4),), 0.5)],
    "lstm": [("f", None, 1.0), ("i", ((2, 3),), 0.0), ("c_tilde", ((4, 4),), -0.5)],
    "lstm-projection": [("f", None, 1.0), ("m", ((2, 2),), 0.2), ("h", ((3, 3),), -0.5)],  # m has H numbers, h P
    "gru": [("z", ((2, 3),), 0.9), ("n", ((1, 1),), 0.2)],
}


@pytest.mark.parametrize("form", sorted(CELL_FORMS))
@pytest.mark.parametrize("kind", ["sum", "mse"])
def test_pinned_gradients_match_central_differences(form, kind):
    # float64 central differences (ε = 1e-6) are good to about 1e-9 relative: rtol 1e-7, as test_backward.
    name, keywords = CELL_FORMS[form]
    cell = cells.CELLS[name](**keywords)
    pinned = PINNED.get(form, PINNED.get(name, [(cell.equations[0].name, ((2, 3),), 0.5)]))
    pins = [Pin(q, (v,) * SIZES[cell.equation(q).dim], counts, "") for q, counts, v in pinned]
    cell = cell.with_pins(pins)
    params, init, xs = random_problem(cell, seed=7)
    target = np.random.default_rng(2).standard_normal((T, SIZES[cell.visible_dim])) if kind == "mse" else None
    loss = Loss(kind, target)

    def steps():
        return list(run(cell, params, init, xs, Rounding()))

    grads = backward(cell, params, init, xs, steps(), loss)

    def L():
        return loss_value(cell, steps(), kind, target)

    floor = 1e-9 * max(1.0, abs(grads.loss))
    for p in cell.param_names:
        np.testing.assert_allclose(grads.params[p], central_difference(L, params[p]), rtol=1e-7, atol=floor, err_msg=p)
    for s in cell.states:
        np.testing.assert_allclose(grads.init[s.init_key], central_difference(L, init[s.name]), rtol=1e-7,
                                   atol=floor, err_msg=s.init_key)
    np.testing.assert_allclose([r.values["dx"] for r in grads.steps], central_difference(L, xs), rtol=1e-7,
                               atol=floor, err_msg="dx")


@pytest.mark.parametrize("kind", ["xent", "mse"])
def test_a_pinned_output_layer_matches_central_differences(kind):
    # y pinned at t = 2: mse reads y, a constant there; xent reads the logits y_pre, which the pin leaves as they are.
    cell = cells.rnn().with_output("softmax")
    cell = cell.with_pins([Pin("y", (0.2, 0.3, 0.5), ((2, 2),), "2")])
    params, init, xs = random_problem(cell, seed=11)
    rng = np.random.default_rng(4)
    target = rng.integers(0, 3, T) if kind == "xent" else rng.standard_normal((T, 3))

    def steps():
        return list(run(cell, params, init, xs, Rounding()))

    grads = backward(cell, params, init, xs, steps(), Loss(kind, target))

    def L():
        if kind == "mse":
            return loss_value(cell, steps(), kind, target)
        return -sum(float(z[k] - np.log(np.sum(np.exp(z)))) for z, k in
                    zip((s.values["y_pre"] for s in steps()), target))

    for p in cell.param_names:
        np.testing.assert_allclose(grads.params[p], central_difference(L, params[p]), rtol=1e-7, atol=1e-9, err_msg=p)


def test_a_pinned_quantity_passes_nothing_to_its_inputs():
    # f pinned at every step: W_fh, W_fx and b_f reach L only through f, so their gradient is exactly 0.
    cell = cells.lstm().with_pins([Pin("f", (0.7,) * H, None, "")])
    params, init, xs = random_problem(cell, seed=3)
    grads = backward(cell, params, init, xs, list(run(cell, params, init, xs, Rounding())))
    for p in ("W_fh", "W_fx", "b_f"):
        assert not grads.params[p].any()
    assert all(not r.values["df_pre"].any() for r in grads.steps)


# ---------------------------------------------------------------- a stack

STACK = {
    "cell": "lstm", "bidirectional": True, "x": [[0.1, -0.4], [0.3, 0.2], [-0.5, 0.6], [0.2, 0.1]],
    "loss": "dot", "target": [[0.3, -0.2], [0.5, 0.1], [-0.4, 0.2], [0.1, 0.7]],
}


def stack_problem(seed=5):
    rng = np.random.default_rng(seed)
    layers = []
    for width in (2, 2):  # D = 2, then forward ‖ backward of H = 1
        layer = {}
        for direction in ("forward", "backward"):
            layer[direction] = {p.name: (0.7 * rng.standard_normal([{"H": 1, "D": width}[d] for d in p.shape])).tolist()
                                for p in cells.lstm().params}
        layers.append(layer)
    layers[0]["backward"]["pin"] = {"f@2:3": 1, "i@3": 0}
    layers[1]["forward"]["pin"] = {"c_tilde@1": 0.25}
    return {**STACK, "layers": layers}


def test_a_stack_pins_each_direction_at_the_input_it_reads():
    t = trace("lstm", stack_problem())
    back = t.layers[1]
    assert (back["layer"], back["direction"]) == (1, "backward")
    assert [s["f"] == [1.0] for s in back["steps"]] == [False, True, True, False]  # t = 2, 3: the inputs read
    assert [s["i"] == [0.0] for s in back["steps"]] == [False, False, True, False]
    assert t.layers[2]["steps"][0]["c_tilde"].tolist() == [0.25]


def test_a_stack_pin_by_address(rnncalc, tmp_path):
    problem = stack_problem()
    del problem["layers"][0]["backward"]["pin"]
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps(problem))
    status, out, err = rnncalc("lstm", path, "-f", "json", "--pin", "layers.1.backward.f@2:3=1",
                               "--pin", "layers.1.backward.i@3=0")
    assert status == 0, err
    assert bits(json.loads(out)["layers"]) == bits(trace("lstm", stack_problem()).to_dict()["layers"])
    status, _, err = rnncalc("lstm", path, "--pin", "f=1")
    assert status == 2 and err == ("rnncalc: --pin f: a stack's quantities are each layer's: address one, "
                                   "e.g. --pin layers.1.forward.f=1\n")
    status, _, err = rnncalc("lstm", path, "--pin", "layers.3.forward.f=1")
    assert status == 2 and err == "rnncalc: --pin layers.3.forward.f: the stack has layers 1–2\n"


def test_stack_gradients_with_pins_match_central_differences():
    problem = stack_problem()
    grads = trace("lstm", problem, grad=True).grad["layers"]
    for layer, direction, key in [(0, "backward", "W_fh"), (0, "backward", "b_i"), (0, "backward", "W_cx"),
                                  (0, "forward", "W_ix"), (1, "forward", "b_c"), (1, "forward", "W_ch")]:
        array = np.array(problem["layers"][layer][direction][key], dtype=float)

        def f():
            problem["layers"][layer][direction][key] = array.tolist()
            return _dot(problem)

        expected = central_difference(f, array)
        problem["layers"][layer][direction][key] = array.tolist()
        actual = next(g[key] for g in grads if (g["layer"], g["direction"]) == (layer + 1, direction))
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-9, err_msg=f"{layer + 1} {direction} {key}")
    # f pinned at t = 2, 3 and i at 3 of layer 1 backward: b_f's gradient comes from t = 1 and 4 alone
    assert np.all(np.isfinite(grads[1]["b_f"]))


def _dot(problem):
    """L = Σ_t ⟨target_t, o_t⟩ of the stack's top output, from its JSON."""
    doc = trace("lstm", problem).to_dict()
    return float(np.sum(np.array(problem["target"]) * np.array(doc["output"])))


# ---------------------------------------------------------------- properties, the template and the equations page

finite = st.floats(-3, 3, allow_nan=False)


@given(st.lists(finite, min_size=3, max_size=3), st.lists(finite, min_size=1, max_size=6), finite)
def test_g_pinned_to_0_keeps_any_gated_state(weights, xs, s0):
    # s_t = (1 − 0) ⊙ s_{t-1} + 0 ⊙ s̃_t = s_{t-1}: bit for bit, whatever the weights and inputs.
    cell = cells.gated().with_pins([Pin("g", (0.0,), None, "")])
    params = {"W_gs": np.array([[weights[0]]]), "W_gx": np.array([[weights[1]]]), "b_g": np.array([weights[2]]),
              "W_ss": np.array([[weights[1]]]), "W_sx": np.array([[weights[0]]]), "b_s": np.array([weights[2]])}
    steps = list(run(cell, params, {"s": np.array([s0])}, np.array(xs)[:, None], Rounding()))
    assert all(step.values["s"][0] == s0 for step in steps)


@given(st.lists(finite, min_size=1, max_size=6), finite, finite)
def test_f_1_and_i_0_keep_any_lstm_memory(xs, c0, w):
    cell = cells.lstm().with_pins([Pin("f", (1.0,), None, ""), Pin("i", (0.0,), None, "")])
    params = {p.name: np.full((1, 1) if p.kind == "weight" else (1,), w) for p in cell.params}
    steps = list(run(cell, params, {"h": np.zeros(1), "c": np.array([c0])}, np.array(xs)[:, None], Rounding()))
    assert all(step.values["c"][0] == c0 for step in steps)


def test_init_and_the_equations_page_name_the_key(rnncalc):
    status, out, _ = rnncalc("init", "lstm")
    assert status == 0 and "# pin: {f: 0}  # hold a quantity (f i o c_tilde c tanh_c h) at a value" in out
    status, out, _ = rnncalc("equations", "gru")
    assert status == 0 and "pin: holds r z n h at a value, e.g. --pin r=0" in out


def test_every_view_says_a_pin_holds(rnncalc, tmp_path):
    # A stack's JSON names the pins of each direction as a single layer's names its own; the write-ups mark
    # the pinned row with what the equation gave (g_pre = 0.5·1 + 0.5·1 = 1 at t = 1: σ(1) = 0.7311).
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps(stack_problem()))
    status, out, err = rnncalc("lstm", path, "-f", "json")
    assert status == 0, err
    pins = {(r["layer"], r["direction"]): r.get("pins") for r in json.loads(out)["layers"]}
    assert pins == {(1, "forward"): None, (2, "backward"): None,
                    (1, "backward"): [{"name": "f", "steps": "2:3", "value": [1.0]}, {"name": "i", "steps": "3", "value": [0.0]}],
                    (2, "forward"): [{"name": "c_tilde", "steps": "1", "value": [0.25]}]}
    single = json.loads(rnncalc("lstm", "--weights", "0.5", "-x", "1,2", "--pin", "f@2=1", "-f", "json")[1])
    assert single["pins"] == [{"name": "f", "steps": "2", "value": [1.0]}]
    for fmt in ("markdown", "latex"):
        status, out, err = rnncalc("gated", "--weights", "0.5", "--s0", "1", "-x", "1", "--pin", "g=0", "-f", fmt)
        assert status == 0 and "pinned; equation: 0.7311" in out, err
