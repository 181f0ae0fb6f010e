"""The cells' arithmetic, checked against values derived by hand (math module, not numpy)."""

import math

import numpy as np
import pytest

from rnncalc import cells
from rnncalc.engine import Rounding, run


def sig(z):
    return 1 / (1 + math.exp(-z))


def lstm_ones(rounding=Rounding()):
    """Every weight 1, biases 0, h_0 = c_0 = 1, one input x_1 = 5."""
    lstm = cells.lstm()
    params = {p.name: np.ones((1, 1)) if p.kind == "weight" else np.zeros(1) for p in lstm.params}
    return list(run(lstm, params, {"h": np.ones(1), "c": np.ones(1)}, np.array([[5.0]]), rounding))


class TestLstmAllOnes:
    """All weights, h and c equal 1 and x = 5: every gate's pre-activation is 1·1 + 1·5 + 0 = 6."""

    def test_exact(self):
        (step,) = lstm_ones()
        v = {k: float(a[0]) for k, a in step.values.items()}
        # f = i = o = σ(6); c̃ = tanh(6); c = σ(6)·1 + σ(6)·tanh(6); h = σ(6)·tanh(c)
        c = sig(6) * 1 + sig(6) * math.tanh(6)
        assert v["f_pre"] == v["i_pre"] == v["o_pre"] == v["c_tilde_pre"] == 6
        assert v["f"] == pytest.approx(sig(6), abs=1e-15)
        assert v["c"] == pytest.approx(c, abs=1e-15)
        assert v["h"] == pytest.approx(sig(6) * math.tanh(c), abs=1e-15)
        assert round(v["h"], 4) == 0.9613

    @pytest.mark.parametrize("mode", ["sign", "nearest"])
    def test_rounded_gives_h_1_c_2(self, mode):
        # Rounded: f = i = o = 1, c̃ = 1, so c = 1·1 + 1·1 = 2 and h = 1·round(tanh 2) = 1.
        (step,) = lstm_ones(Rounding(mode, mode))
        assert step.values["c"].tolist() == [2.0]
        assert step.values["h"].tolist() == [1.0]
        assert step.values["tanh_c_exact"][0] == pytest.approx(math.tanh(2), abs=1e-15)


class TestMitHomework:
    """MIT 6.86x LSTM homework: saturating weights, h_t rounded to the nearest integer every step.
    Published answers: x = 0,0,1,1,1,0 gives h = 0,0,1,-1,1,0; x = 1,1,0,1,1 gives h = 1,-1,0,1,-1."""

    PARAMS = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100, W_oh=0, W_ox=100, b_o=0,
                  W_ch=-100, W_cx=50, b_c=0)

    def hs(self, xs):
        lstm = cells.lstm()
        params = {k: np.full((1, 1) if k.startswith("W") else (1,), float(v)) for k, v in self.PARAMS.items()}
        steps = run(lstm, params, {"h": np.zeros(1), "c": np.zeros(1)}, np.array(xs, float).reshape(-1, 1),
                    Rounding(state=True))
        return [s.values["h"][0] for s in steps]

    def test_first_sequence(self):
        assert self.hs([0, 0, 1, 1, 1, 0]) == [0, 0, 1, -1, 1, 0]

    def test_second_sequence(self):
        assert self.hs([1, 1, 0, 1, 1]) == [1, -1, 0, 1, -1]


class TestGated:
    def test_two_units_one_step(self):
        # s_0 = [1, -1], x_1 = 1 (the values of samples/gated.yaml):
        # g_pre  = [0.5·1, 0.5·-1] + [0, 1] + [-3, 0]                 = [-2.5, 0.5]
        # s̃_pre = [0.8·1 - 0.4·-1, 0.3·1 + 0.9·-1] + [1, -1] + [0, 0.1] = [2.2, -1.5]
        gated = cells.gated()
        params = dict(W_gs=np.diag([0.5, 0.5]), W_gx=np.array([[0.0], [1.0]]), b_g=np.array([-3.0, 0.0]),
                      W_ss=np.array([[0.8, -0.4], [0.3, 0.9]]), W_sx=np.array([[1.0], [-1.0]]),
                      b_s=np.array([0.0, 0.1]))
        (step,) = run(gated, params, {"s": np.array([1.0, -1.0])}, np.array([[1.0]]), Rounding())
        g = [sig(-2.5), sig(0.5)]
        s_tilde = [math.tanh(2.2), math.tanh(-1.5)]
        expected = [(1 - g[0]) * 1 + g[0] * s_tilde[0], (1 - g[1]) * -1 + g[1] * s_tilde[1]]
        np.testing.assert_allclose(step.values["g_pre"], [-2.5, 0.5], atol=1e-15)
        np.testing.assert_allclose(step.values["s_tilde_pre"], [2.2, -1.5], atol=1e-15)
        np.testing.assert_allclose(step.values["s"], expected, rtol=0, atol=1e-15)

    def test_closed_gate_keeps_the_state(self):
        gated = cells.gated()
        params = {p.name: np.zeros((1, 1)) if p.kind == "weight" else np.zeros(1) for p in gated.params}
        params["b_g"] = np.array([-1e6])  # σ(-1e6) = 0 exactly in float64
        steps = list(run(gated, params, {"s": np.array([0.25])}, np.array([[3.0], [-3.0]]), Rounding()))
        assert [s.values["s"][0] for s in steps] == [0.25, 0.25]


class TestRnn:
    @pytest.mark.parametrize("activation, f", [
        ("tanh", math.tanh), ("relu", lambda z: max(z, 0.0)), ("sigmoid", sig), ("linear", lambda z: z)])
    def test_two_steps(self, activation, f):
        # s_1 = f(0.5·1 + 2·1 - 1) = f(1.5); s_2 = f(0.5·s_1 + 2·(-1) - 1)
        rnn = cells.rnn(activation)
        params = {"W_ss": np.array([[0.5]]), "W_sx": np.array([[2.0]]), "b_s": np.array([-1.0])}
        steps = list(run(rnn, params, {"s": np.ones(1)}, np.array([[1.0], [-1.0]]), Rounding()))
        s1 = f(1.5)
        assert steps[0].values["s"][0] == pytest.approx(s1, abs=1e-15)
        assert steps[1].values["s"][0] == pytest.approx(f(0.5 * s1 - 3), abs=1e-15)

    def test_sign_rounding_of_the_state_feeds_the_next_step(self):
        rnn = cells.rnn()
        params = {"W_ss": np.array([[1.0]]), "W_sx": np.array([[1.0]]), "b_s": np.zeros(1)}
        steps = list(run(rnn, params, {"s": np.zeros(1)}, np.array([[0.3], [-0.2], [0.0]]), Rounding(tanh="sign")))
        # s_1 = sign(0.3) = 1; s_2 = sign(1 - 0.2) = 1; s_3 = sign(1 + 0) = 1
        assert [s.values["s"][0] for s in steps] == [1, 1, 1]
        assert steps[0].values["s_exact"][0] == pytest.approx(math.tanh(0.3), abs=1e-15)

    def test_output_layer_softmax(self):
        rnn = cells.rnn().with_output("softmax")
        params = {"W_ss": np.zeros((1, 1)), "W_sx": np.array([[1.0]]), "b_s": np.zeros(1),
                  "W_y": np.array([[1.0], [-1.0]]), "b_y": np.zeros(2)}
        (step,) = run(rnn, params, {"s": np.zeros(1)}, np.array([[0.5]]), Rounding())
        s = math.tanh(0.5)
        expected = [math.exp(s) / (math.exp(s) + math.exp(-s)), math.exp(-s) / (math.exp(s) + math.exp(-s))]
        np.testing.assert_allclose(step.values["y"], expected, rtol=0, atol=1e-15)

    def test_tie_is_flagged(self):
        rnn = cells.rnn("sigmoid")
        params = {"W_ss": np.zeros((1, 1)), "W_sx": np.zeros((1, 1)), "b_s": np.zeros(1)}
        (step,) = run(rnn, params, {"s": np.zeros(1)}, np.array([[1.0]]), Rounding(sigmoid="nearest"))
        assert step.values["s"].tolist() == [0.0] and step.ties == ["s"]  # σ(0) = ½ rounds to 0


def scalar_params(cell, **values):
    return {p.name: np.full((1, 1) if p.kind == "weight" else (1,), float(values[p.name])) for p in cell.params}


class TestGru:
    """One scalar step: W_rh=0.5 W_rx=1 b_r=0, W_zh=-1 W_zx=0.5 b_z=0.2, W_nh=2 W_nx=-1 b_n=0.1,
    h_0 = 0.4, x_1 = 1, so r = σ(0.5·0.4 + 1) = σ(1.2) and z = σ(-0.4 + 0.5 + 0.2) = σ(0.3)."""

    VALUES = dict(W_rh=0.5, W_rx=1, b_r=0, W_zh=-1, W_zx=0.5, b_z=0.2, W_nh=2, W_nx=-1, b_n=0.1, b_nh=0.3)

    def step(self, cell):
        (step,) = run(cell, scalar_params(cell, **self.VALUES), {"h": np.array([0.4])}, np.array([[1.0]]),
                      Rounding())
        return {k: v[0] for k, v in step.values.items()}

    def test_reset_after(self):
        # n = tanh(W_nx x + b_n + r ⊙ (W_nh h + b_nh)) = tanh(-1 + 0.1 + σ(1.2)·(0.8 + 0.3))
        v = self.step(cells.gru())
        r, z = sig(1.2), sig(0.3)
        n = math.tanh(-0.9 + r * 1.1)
        assert (v["r"], v["z"], v["n"]) == (pytest.approx(r, abs=1e-15), pytest.approx(z, abs=1e-15),
                                            pytest.approx(n, abs=1e-15))
        assert v["h"] == pytest.approx((1 - z) * n + z * 0.4, abs=1e-15)

    def test_reset_before(self):
        # n = tanh(W_nx x + W_nh (r ⊙ h) + b_n) = tanh(-1 + 2·(σ(1.2)·0.4) + 0.1)
        v = self.step(cells.gru("reset-before"))
        z = sig(0.3)
        n = math.tanh(-1 + 2 * sig(1.2) * 0.4 + 0.1)
        assert v["n"] == pytest.approx(n, abs=1e-15)
        assert v["h"] == pytest.approx((1 - z) * n + z * 0.4, abs=1e-15)

    def test_z_weighing_the_candidate_is_the_default_with_z_negated(self):
        # σ(-a) = 1 − σ(a): negating z's weights and bias turns one convention into the other.
        negated = {**self.VALUES, **{k: -self.VALUES[k] for k in ("W_zh", "W_zx", "b_z")}}
        cell = cells.gru(z_weighs="new")
        (step,) = run(cell, scalar_params(cell, **negated), {"h": np.array([0.4])}, np.array([[1.0]]), Rounding())
        assert step.values["h"][0] == pytest.approx(self.step(cells.gru())["h"], abs=1e-15)


class TestPeepholeLstm:
    def test_one_step(self):
        # All W = 0.5, biases 0, P_f = 1, P_i = -1, P_o = 2, h_0 = 0, c_0 = 1, x_1 = 1:
        # f = σ(0.5 + 1·1), i = σ(0.5 − 1·1), c̃ = tanh(0.5), c = f·1 + i·c̃, o = σ(0.5 + 2·c)
        cell = cells.lstm("fio")
        values = {p.name: 0.5 if p.kind == "weight" else 0.0 for p in cell.params}
        values.update(P_f=1.0, P_i=-1.0, P_o=2.0)
        (step,) = run(cell, scalar_params(cell, **values), {"h": np.zeros(1), "c": np.ones(1)}, np.array([[1.0]]),
                      Rounding())
        f, i, c_tilde = sig(1.5), sig(-0.5), math.tanh(0.5)
        c = f + i * c_tilde
        o = sig(0.5 + 2 * c)
        assert step.values["c"][0] == pytest.approx(c, abs=1e-15)
        assert step.values["o"][0] == pytest.approx(o, abs=1e-15)
        assert step.values["h"][0] == pytest.approx(o * math.tanh(c), abs=1e-15)
        assert list(step.values)[:8] == ["f_pre", "f", "i_pre", "i", "c_tilde_pre", "c_tilde", "c", "o_pre"]
