"""Backpropagation through time, checked three ways: central finite differences of the forward pass
for every cell, variant, output layer and loss; a one-step LSTM gradient derived by hand; and PyTorch
autograd's gradients, stored in tests/reference/torch_grad.json by make_torch_grad_reference.py."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import CELL_FORMS, LIVE_TORCH
from rnncalc import cells, mathops
from rnncalc.backward import Loss, backward, step_keys
from rnncalc.engine import Rounding, run

VARIANTS = {label: (lambda name=name, keywords=keywords: cells.CELLS[name](**keywords))
            for label, (name, keywords) in CELL_FORMS.items()}
H, D, K, T = 3, 2, 3, 4
P = 2  # a projected LSTM's h_t: not H, so that a state taken for (H,) is caught
SIZES = {"H": H, "D": D, "K": K, "P": P}


def make_cell(variant, output):
    cell = VARIANTS[variant]()
    return cell.with_output(output) if output else cell


def random_problem(cell, seed, scale=0.8):
    """Gaussian weights, biases, initial states and inputs: params, init, xs (T, D)."""
    rng = np.random.default_rng(seed)
    params = {p.name: scale * rng.standard_normal([SIZES[d] for d in p.shape]) for p in cell.params}
    init = {s.name: rng.standard_normal(SIZES[s.dim]) for s in cell.states}
    return params, init, rng.standard_normal((T, D))


def forward(cell, params, init, xs):
    return list(run(cell, params, init, xs, Rounding()))


def loss_value(cell, steps, kind, target):
    """L written out from its definition, independently of rnncalc.backward."""
    q = np.array([s.values["y" if "y" in s.values else cell.visible] for s in steps])  # (T, K or H)
    if kind == "sum":
        return np.sum(steps[-1].values[cell.visible])
    if kind == "xent":
        return -sum(math.log(y[k]) for y, k in zip(q, target))
    if np.ndim(target) == 1:  # the final step only
        q = q[-1]
    return 0.5 * np.sum((q - target) ** 2) if kind == "mse" else np.sum(target * q)


def central_difference(f, array, eps=1e-6):
    """df/darray by (f(a + ε) − f(a − ε)) / 2ε, one component at a time (array is perturbed in place)."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        old = array[i]
        array[i] = old + eps
        up = f()
        array[i] = old - eps
        down = f()
        array[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


LOSSES = [  # (kind, target shape): per step (T, ·) or the final step only (·,)
    ("sum", None), ("mse", "per-step"), ("mse", "final"), ("dot", "per-step"), ("dot", "final"), ("xent", "per-step")]
CASES = [(v, o, kind, shape) for v in VARIANTS for o in (None, "softmax", "sigmoid", "linear")
         for kind, shape in LOSSES if kind != "xent" or o == "softmax"]


@pytest.mark.parametrize("variant, output, kind, shape", CASES,
                         ids=[f"{v}-{o or 'bare'}-{k}-{s or ''}".rstrip("-") for v, o, k, s in CASES])
def test_gradients_match_central_differences(variant, output, kind, shape):
    # float64 central differences with ε = 1e-6 are good to about 1e-9 relative (ε² f''' truncation,
    # 1e-16 |L| / ε rounding), so rtol 1e-7 (plus that rounding floor) checks rnncalc to the FD's accuracy.
    cell = make_cell(variant, output)
    params, init, xs = random_problem(cell, seed=sorted(VARIANTS).index(variant))
    width = K if output else SIZES[cell.visible_dim]
    rng = np.random.default_rng(1)
    target = {"sum": None, "xent": rng.integers(0, K, T),
              "mse": rng.standard_normal((T, width) if shape == "per-step" else width)}
    target["dot"] = target["mse"]
    loss = Loss(kind, target[kind])
    grads = backward(cell, params, init, xs, forward(cell, params, init, xs), loss)

    def L():
        return loss_value(cell, forward(cell, params, init, xs), kind, loss.target)

    assert grads.loss == pytest.approx(L(), rel=1e-14)
    floor = 1e-9 * max(1.0, abs(grads.loss))

    def check(actual, array, what):
        np.testing.assert_allclose(actual, central_difference(L, array), rtol=1e-7, atol=floor, err_msg=what)

    for name in cell.param_names:
        check(grads.params[name], params[name], name)
    for s in cell.states:
        check(grads.init[s.init_key], init[s.name], s.init_key)
    check(np.array([step.values["dx"] for step in grads.steps]), xs, "dx")


def test_step_records_hold_the_per_step_cotangents():
    cell = cells.lstm("fio").with_output("softmax")
    params, init, xs = random_problem(cell, seed=3)
    grads = backward(cell, params, init, xs, forward(cell, params, init, xs), Loss("xent", np.array([0, 2, 1, 1])))
    assert step_keys(cell) == ["dh", "dc", "df_pre", "di_pre", "dc_tilde_pre", "do_pre", "dy_pre", "dx"]
    assert [s.t for s in grads.steps] == [1, 2, 3, 4]
    assert all(list(s.values) == step_keys(cell) for s in grads.steps)
    for name in cell.param_names:  # the per-step contributions add up to the gradient
        np.testing.assert_allclose(sum(s.contributions[name] for s in grads.steps), grads.params[name],
                                   rtol=1e-15, atol=1e-15)
    # dL/dh_2 and dL/dc_2 in total, by nudging a state after step 2 and computing the rest of L from there.
    # h_2 feeds y_2 = softmax(W_y h_2 + b_y) and step 3; c_2 also feeds o_2 = σ(... + P_o ⊙ c_2) and
    # h_2 = o_2 ⊙ tanh(c_2) within step 2, so those are recomputed when c_2 moves.
    steps = forward(cell, params, init, xs)
    h_2, c_2, o_pre = (steps[1].values[k].copy() for k in ("h", "c", "o_pre"))

    def L_after_step_2(h, c):
        y_2 = mathops.softmax(params["W_y"] @ h + params["b_y"])
        y_3, y_4 = (s.values["y"] for s in forward(cell, params, {"h": h, "c": c}, xs[2:]))
        return -math.log(y_2[2]) - math.log(y_3[1]) - math.log(y_4[1])

    def L_of_c():
        o = mathops.sigmoid(o_pre + params["P_o"] * (c - c_2))
        return L_after_step_2(o * np.tanh(c), c)

    h, c = h_2.copy(), c_2.copy()
    dh = central_difference(lambda: L_after_step_2(h, c_2), h)
    dc = central_difference(L_of_c, c)
    np.testing.assert_allclose(grads.steps[1].values["dh"], dh, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(grads.steps[1].values["dc"], dc, rtol=1e-7, atol=1e-9)


def sig(z):
    return 1 / (1 + math.exp(-z))


def test_one_step_scalar_lstm_by_hand():
    # L = h_1 with W_fh = 0.5, W_fx = -1, b_f = 0.2, W_ih = 1, W_ix = 0.5, b_i = 0, W_oh = -0.5, W_ox = 1,
    # b_o = 0.1, W_ch = 0.8, W_cx = -0.6, b_c = 0, h_0 = 0.5, c_0 = -1, x_1 = 2:
    #   f = σ(0.25 − 2 + 0.2) = σ(-1.55)    i = σ(0.5 + 1) = σ(1.5)    o = σ(-0.25 + 2 + 0.1) = σ(1.85)
    #   c̃ = tanh(0.4 − 1.2) = tanh(-0.8)    c = f·c_0 + i·c̃ = -f + i·c̃    h = o·tanh(c)
    # Backwards:
    #   dL/dc     = o (1 − tanh² c)                     (through h = o tanh c)
    #   dL/df_pre = dL/dc · c_0 · f (1 − f)             (c = f c_0 + ..., f = σ(f_pre))
    #   dL/dW_fx  = dL/df_pre · x_1 = 2 dL/df_pre       (f_pre = W_fh h_0 + W_fx x_1 + b_f)
    #   dL/dc_0   = dL/dc · f
    #   dL/dW_oh  = tanh(c) · o (1 − o) · h_0
    values = dict(W_fh=0.5, W_fx=-1, b_f=0.2, W_ih=1, W_ix=0.5, b_i=0, W_oh=-0.5, W_ox=1, b_o=0.1,
                  W_ch=0.8, W_cx=-0.6, b_c=0)
    f, i, o, c_tilde = sig(-1.55), sig(1.5), sig(1.85), math.tanh(-0.8)
    c = -f + i * c_tilde
    dc = o * (1 - math.tanh(c) ** 2)
    df_pre = dc * -1 * f * (1 - f)

    cell = cells.lstm()
    params = {p.name: np.full((1, 1) if p.kind == "weight" else (1,), float(values[p.name])) for p in cell.params}
    init, xs = {"h": np.array([0.5]), "c": np.array([-1.0])}, np.array([[2.0]])
    grads = backward(cell, params, init, xs, forward(cell, params, init, xs))
    assert grads.loss == pytest.approx(o * math.tanh(c), abs=1e-15)
    assert grads.params["W_fx"][0, 0] == pytest.approx(2 * df_pre, abs=1e-12)
    assert grads.steps[0].values["df_pre"][0] == pytest.approx(df_pre, abs=1e-12)
    assert grads.init["c0"][0] == pytest.approx(dc * f, abs=1e-12)
    assert grads.params["W_oh"][0, 0] == pytest.approx(math.tanh(c) * o * (1 - o) * 0.5, abs=1e-12)


def test_one_step_projected_lstm_by_hand():
    # H = 2, P = 1, D = 1, L = h_1: m = o ⊙ tanh(c), h = W_hm m with W_hm = [1.5, −2], h_0 = 0.5, c_0 = (−1, 0.5),
    # x_1 = 2. Each gate's pre-activation W_?h h_0 + W_?x x_1 + b_?, unit by unit:
    #   f_pre = (0.25 − 2 + 0.2, 0 + 1 + 0)  = (−1.55, 1)      i_pre = (0.5 + 1, 0.2 + 0.1)    = (1.5, 0.3)
    #   o_pre = (−0.25 + 2 + 0.1, 0.5 − 1)  = (1.85, −0.5)     c̃_pre = (0.4 − 1.2, 0.6 − 0.2) = (−0.8, 0.4)
    # Backwards from dL/dh = 1:
    #   dL/dW_hm = mᵀ                dL/dm = W_hmᵀ = (1.5, −2)
    #   dL/do_pre = dL/dm ⊙ tanh(c) ⊙ o (1 − o)          dL/dc = dL/dm ⊙ o (1 − tanh² c)
    #   dL/dc_0 = dL/dc ⊙ f           dL/df_pre = dL/dc ⊙ c_0 ⊙ f (1 − f)
    #   dL/dh_0 = Σ_gates W_?hᵀ dL/d?_pre, dL/dW_oh = dL/do_pre h_0ᵀ
    W = {"W_fh": [0.5, 0], "W_fx": [-1, 0.5], "b_f": [0.2, 0], "W_ih": [1, 0.4], "W_ix": [0.5, 0], "b_i": [0, 0.1],
         "W_oh": [-0.5, 1], "W_ox": [1, -0.5], "b_o": [0.1, 0], "W_ch": [0.8, 0], "W_cx": [-0.6, 0.3], "b_c": [0, -0.2]}
    c_0, W_hm = [-1, 0.5], [1.5, -2]
    f, i, o = [sig(z) for z in (-1.55, 1)], [sig(z) for z in (1.5, 0.3)], [sig(z) for z in (1.85, -0.5)]
    c_tilde = [math.tanh(z) for z in (-0.8, 0.4)]
    c = [f[k] * c_0[k] + i[k] * c_tilde[k] for k in range(2)]
    m = [o[k] * math.tanh(c[k]) for k in range(2)]
    dm = W_hm
    do_pre = [dm[k] * math.tanh(c[k]) * o[k] * (1 - o[k]) for k in range(2)]
    dc = [dm[k] * o[k] * (1 - math.tanh(c[k]) ** 2) for k in range(2)]
    df_pre = [dc[k] * c_0[k] * f[k] * (1 - f[k]) for k in range(2)]
    di_pre = [dc[k] * c_tilde[k] * i[k] * (1 - i[k]) for k in range(2)]
    dc_tilde_pre = [dc[k] * i[k] * (1 - c_tilde[k] ** 2) for k in range(2)]
    dh_0 = sum(W[f"W_{g}h"][k] * d[k] for g, d in zip("fioc", (df_pre, di_pre, do_pre, dc_tilde_pre)) for k in range(2))

    cell = cells.lstm(projection=True)
    params = {name: np.array(v, float).reshape(2, 1) if name.startswith("W_") else np.array(v, float)
              for name, v in W.items()}
    params["W_hm"] = np.array([W_hm])  # (P, H)
    init, xs = {"h": np.array([0.5]), "c": np.array(c_0, float)}, np.array([[2.0]])
    grads = backward(cell, params, init, xs, forward(cell, params, init, xs))
    assert grads.loss == pytest.approx(1.5 * m[0] - 2 * m[1], abs=1e-15)
    np.testing.assert_allclose(grads.params["W_hm"], [m], rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.params["W_oh"], np.array(do_pre).reshape(2, 1) * 0.5, rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.params["W_fx"], np.array(df_pre).reshape(2, 1) * 2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.init["c0"], [dc[k] * f[k] for k in range(2)], rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.init["h0"], [dh_0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.steps[0].values["dc_tilde_pre"], dc_tilde_pre, rtol=0, atol=1e-15)


@pytest.mark.parametrize("projection", [False, True], ids=["lstm", "projected"])
def test_the_memory_cells_journey_matches_finite_differences(projection):
    # ‖∂c_T/∂c_t‖₂ by nudging c_t, letting the rest of step t follow (h_t = o_t ⊙ tanh(c_t), or W_hm of that), and
    # running the steps after t from there. With a projection c_t has H = 3 numbers and h_t P = 2.
    cell = cells.lstm(projection=projection)
    params, init, xs = random_problem(cell, seed=13)
    steps = forward(cell, params, init, xs)
    norms = backward(cell, params, init, xs, steps, every_state=True).state_norms["c"]
    assert norms.shape == (T,) and norms[-1] == 1.0

    def c_T(t, c):
        m = steps[t - 1].values["o"] * np.tanh(c)
        h = params["W_hm"] @ m if projection else m
        return forward(cell, params, {"h": h, "c": c}, xs[t:])[-1].values["c"]

    for t in range(1, T):
        c = steps[t - 1].values["c"].copy()
        J = np.zeros((H, H))
        for j in range(H):
            e = np.eye(H)[j] * 1e-6
            J[:, j] = (c_T(t, c + e) - c_T(t, c - e)) / 2e-6
        assert norms[t - 1] == pytest.approx(np.linalg.norm(J, 2), rel=1e-7), t


# ---------------------------------------------------------------- PyTorch autograd

REFERENCE = Path(__file__).parent / "reference"
TORCH_CASES = json.loads((REFERENCE / "torch_grad.json").read_text())


def torch_case_gradients(case):
    """rnncalc's forward pass and gradients for a stored case: (steps, Gradients)."""
    problem = case["problem"]
    cell = cells.rnn(problem["activation"]) if case["cell"] == "rnn" else getattr(cells, case["cell"])()
    params = {name: np.array(problem[name], dtype=float) for name in cell.param_names}
    init = {s.name: np.array(problem[s.init_key], dtype=float) for s in cell.states}
    xs = np.array(problem["x"], dtype=float)
    steps = forward(cell, params, init, xs)
    target = case["loss"].get("target")
    loss = Loss(case["loss"]["kind"], None if target is None else np.array(target))
    return cell, steps, backward(cell, params, init, xs, steps, loss)


def close(actual, expected, what=""):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c["name"] for c in TORCH_CASES])
def test_matches_torch_autograd(case):
    cell, steps, grads = torch_case_gradients(case)
    close([s.values[cell.visible] for s in steps], case["h"], "forward pass")
    close(grads.loss, case["value"], "loss")
    for name in cell.param_names:
        close(grads.params[name], case["grad"][name], name)
    for key, value in grads.init.items():
        close(value, case["grad"][key], key)
    close([s.values["dx"] for s in grads.steps], case["grad"]["x"], "x")
    assert set(case["grad"]) == {*cell.param_names, *grads.init, "x"}


@LIVE_TORCH
def test_stored_gradients_are_what_the_script_makes(torch):
    spec = importlib.util.spec_from_file_location("make_torch_grad_reference", REFERENCE / "make_torch_grad_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.cases()
    assert [c["name"] for c in fresh] == [c["name"] for c in TORCH_CASES]
    for new, old in zip(fresh, TORCH_CASES):
        assert new.keys() == old.keys() and new["grad"].keys() == old["grad"].keys()
        assert new["loss"]["kind"] == old["loss"]["kind"]
        for key, value in old["problem"].items():
            if isinstance(value, str):
                assert new["problem"][key] == value, (old["name"], key)
            else:
                close(new["problem"][key], value, key)
        for key in ("value", "h"):
            close(new[key], old[key], key)
        for key, value in old["grad"].items():
            close(new["grad"][key], value, key)


# ---------------------------------------------------------------- Jacobians ∂v_T/∂v_t

@pytest.mark.parametrize("variant", VARIANTS)
def test_jacobian_norms_match_finite_differences(variant):
    # J_t = ∂v_T/∂v_t by nudging v_t (c_t held, for the LSTM) and running the steps after t from there.
    cell = make_cell(variant, None)
    params, init, xs = random_problem(cell, seed=7)
    steps = forward(cell, params, init, xs)
    norms = backward(cell, params, init, xs, steps).jacobian_norms
    assert norms.shape == (T,) and norms[-1] == 1.0  # ∂v_T/∂v_T = I
    v = cell.visible
    for t in range(1, T):
        states = {s.name: steps[t - 1].values[s.name].copy() for s in cell.states}
        n = SIZES[cell.visible_dim]
        J = np.zeros((n, n))
        for j in range(n):
            def v_T():
                return forward(cell, params, states, xs[t:])[-1].values[v].copy()
            states[v][j] += 1e-6
            up = v_T()
            states[v][j] -= 2e-6
            down = v_T()
            states[v][j] += 1e-6
            J[:, j] = (up - down) / 2e-6
        assert norms[t - 1] == pytest.approx(np.linalg.norm(J, 2), rel=1e-7), t


def test_jacobian_norms_are_the_largest_singular_values_at_h_64():
    # An RNN of H = 64: J_t = ∂s_T/∂s_t = D_T W D_{T-1} W ⋯ D_{t+1} W with D_k = diag(1 − s_k²), W = W_ss,
    # multiplied out here independently of the reverse pass; ‖J_t‖₂ from numpy's SVD (np.linalg.norm(·, 2)).
    # The two products round differently in the last bits, so they agree to a few ulps (1.8e-15 at most over
    # 40 seeds), not to all bits.
    cell = cells.rnn()
    rng = np.random.default_rng(5)
    W = rng.standard_normal((64, 64)) / 8
    params = {"W_ss": W, "W_sx": rng.standard_normal((64, 2)) / 8, "b_s": rng.standard_normal(64) / 10}
    init, xs = {"s": rng.standard_normal(64) / 2}, rng.standard_normal((6, 2))
    steps = forward(cell, params, init, xs)
    norms = backward(cell, params, init, xs, steps).jacobian_norms
    J = np.eye(64)
    for t in range(6, 0, -1):  # J is J_t here
        assert norms[t - 1] == pytest.approx(np.linalg.norm(J, 2), rel=4e-15), t
        J = J * (1 - steps[t - 1].values["s"] ** 2) @ W  # J_{t-1} = J_t D_t W


@pytest.mark.parametrize("variant", ["lstm", "gru"])
def test_jacobian_norms_on_a_thread_have_the_same_bits(variant, monkeypatch):
    # From H = THREADED_NORMS on, each eigenvalue problem is solved on a second thread: the same operations.
    from rnncalc import backward as module
    cell = make_cell(variant, None)
    rng = np.random.default_rng(9)
    params = {p.name: rng.standard_normal([{"H": 64, "D": 2}[d] for d in p.shape]) / 8 for p in cell.params}
    init = {s.name: rng.standard_normal(64) for s in cell.states}
    xs = rng.standard_normal((7, 2))
    steps = forward(cell, params, init, xs)
    threaded = backward(cell, params, init, xs, steps)
    monkeypatch.setattr(module, "THREADED_NORMS", 65)
    inline = backward(cell, params, init, xs, steps)
    assert threaded.jacobian_norms.tobytes() == inline.jacobian_norms.tobytes()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(threaded.params.values(), inline.params.values()))


def test_an_error_in_the_sweep_drops_the_norms_not_started(monkeypatch):
    # Ctrl-C (or any error) during the reverse sweep goes on at once: the norm being solved on the thread is
    # left to finish, the one queued behind it is never started, and the thread ends.
    import threading

    cell = cells.lstm()
    rng = np.random.default_rng(3)
    params = {p.name: rng.standard_normal([{"H": 64, "D": 2}[d] for d in p.shape]) / 8 for p in cell.params}
    init, xs = {s.name: np.zeros(64) for s in cell.states}, rng.standard_normal((6, 2))
    steps = forward(cell, params, init, xs)
    before = threading.active_count()
    solve, vjp, started, calls, gate = mathops.scaled_spectral_norm, mathops.activation_vjp, [], [], threading.Event()

    def held(m, u):
        started.append(1)
        gate.wait(10)
        return solve(m, u)

    def failing(*args):
        calls.append(1)
        if len(calls) == 12:  # five vjps a step: step t = 4 of 6, after J_5 and J_4 were handed over
            raise KeyboardInterrupt
        return vjp(*args)

    monkeypatch.setattr(mathops, "scaled_spectral_norm", held)
    monkeypatch.setattr(mathops, "activation_vjp", failing)
    with pytest.raises(KeyboardInterrupt):
        backward(cell, params, init, xs, steps)
    gate.set()
    for _ in range(500):
        if threading.active_count() == before:
            break
        threading.Event().wait(0.01)
    assert threading.active_count() == before and started == [1]


def test_vanishing_gradient_in_a_contracting_rnn():
    # ‖W_ss‖₂ < 1 and |tanh'| ≤ 1: J_t = J_{t+1} diag(1 − s²_{t+1}) W_ss shrinks at every step back.
    cell = cells.rnn()
    params, init, xs = random_problem(cell, seed=11)
    params["W_ss"] *= 0.5 / np.linalg.norm(params["W_ss"], 2)
    xs = np.random.default_rng(0).standard_normal((12, D))
    norms = backward(cell, params, init, xs, forward(cell, params, init, xs)).jacobian_norms
    assert np.all(np.diff(norms) > 0)  # increasing in t: decreasing going back in time
    assert norms[0] < 0.5 ** 11


@pytest.mark.parametrize("seed", range(5))
def test_open_forget_gate_carries_the_gradient_back(seed):
    # With f_t = σ(30) = 1 − 1e-13, c_T = c_{t+1} + (what later steps add), so h_t reaches h_T through
    # c_{t+1}, with gain 1 from there on: ‖∂h_T/∂h_t‖ ≈ ‖diag(o_T tanh'(c_T)) ∂c_{t+1}/∂h_t‖ for every t < T.
    # x = 0, W_fh = W_oh = 0 and small W_ih, W_ch (0.02 N(0, 1)) keep the gates at t + 1 the same for every t,
    # and the routes that also pass through later h's small (each hop costs ~ 0.02). The same cell with
    # f = σ(0) = ½ halves the gradient at every step back.
    cell = cells.lstm()
    params, init, _ = random_problem(cell, seed=seed, scale=1.0)
    params["W_fh"][:] = params["W_oh"][:] = params["b_c"][:] = 0
    params["W_ih"] *= 0.02
    params["W_ch"] *= 0.02
    xs = np.zeros((12, D))

    def norms(b_f):
        params["b_f"] = np.full(H, b_f)
        return backward(cell, params, init, xs, forward(cell, params, init, xs)).jacobian_norms

    open_gate, half_gate = norms(30.0), norms(0.0)
    assert open_gate[-1] == half_gate[-1] == 1.0
    assert open_gate[:-1].max() / open_gate[:-1].min() < 1.25  # t = 1..11: near constant
    assert half_gate[0] / half_gate[-2] < 0.5 ** 9 * 10  # 10 steps back: about ½^10
    assert np.all(np.diff(half_gate) > 0)


# ---------------------------------------------------------------- what backward refuses

def test_xent_needs_a_softmax_output():
    cell = cells.rnn().with_output("sigmoid")
    params, init, xs = random_problem(cell, seed=0)
    with pytest.raises(ValueError, match="loss xent needs a softmax output layer y_t; this rnn cell has a sigmoid"):
        backward(cell, params, init, xs, forward(cell, params, init, xs), Loss("xent", np.zeros(T)))


def test_rounded_steps_are_refused():
    cell = cells.lstm()
    params, init, xs = random_problem(cell, seed=0)
    steps = list(run(cell, params, init, xs, Rounding("sign", "sign")))
    with pytest.raises(ValueError, match="step 1: f_exact is rounded"):
        backward(cell, params, init, xs, steps)


def test_target_of_the_wrong_shape():
    cell = cells.gru()
    params, init, xs = random_problem(cell, seed=0)
    with pytest.raises(ValueError, match=r"loss mse: target of shape \(2,\); expected \(4, 3\)"):
        backward(cell, params, init, xs, forward(cell, params, init, xs), Loss("mse", np.zeros(2)))
