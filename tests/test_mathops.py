"""The elementary functions and the homework rounding rules."""

import math

import numpy as np
import pytest

from rnncalc import mathops


class TestSigmoid:
    def test_known_values(self):
        # σ(0) = 1/2; σ(ln 3) = 1 / (1 + 1/3) = 3/4; σ(-ln 3) = 1/4.
        np.testing.assert_allclose(mathops.sigmoid(np.array([0.0, math.log(3), -math.log(3)])),
                                   [0.5, 0.75, 0.25], rtol=0, atol=1e-16)

    def test_matches_textbook_form(self):
        z = np.linspace(-30, 30, 121)
        np.testing.assert_allclose(mathops.sigmoid(z), [1 / (1 + math.exp(-v)) for v in z], rtol=1e-15)

    def test_extremes_without_warnings(self):
        with np.errstate(all="raise", under="ignore"):  # underflow to 0 is the right answer
            assert mathops.sigmoid(np.array([-1e308, 1e308])).tolist() == [0.0, 1.0]
            assert mathops.tanh(np.array([-1e308, 1e308])).tolist() == [-1.0, 1.0]
            assert mathops.softmax(np.array([1e308, 0.0])).tolist() == [1.0, 0.0]

    def test_tiny_values_keep_relative_precision(self):
        # σ(-40) = e^-40 / (1 + e^-40); 1 - σ(40) would have lost every digit.
        assert mathops.sigmoid(np.array(-40.0)) == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-15)


class TestSoftmax:
    def test_sums_to_one_and_orders(self):
        y = mathops.softmax(np.array([1.0, 2.0, 3.0]))
        e = [math.exp(v) for v in (1, 2, 3)]
        np.testing.assert_allclose(y, [v / sum(e) for v in e], rtol=1e-15)


class TestRounding:
    def test_nearest_sigmoid_ties_to_even(self):
        # σ(0) = 0.5 is a tie and rounds to 0; σ(0.1) = 0.525 rounds to 1.
        z = np.array([0.0, 0.1, -0.1])
        rule, tie_test = mathops.ROUNDERS[("sigmoid", "nearest")]
        a = mathops.sigmoid(z)
        value, tie = rule(z, a), tie_test(z, a)
        assert value.tolist() == [0.0, 1.0, 0.0]
        assert tie.tolist() == [True, False, False]

    def test_nearest_tanh_has_three_values(self):
        z = np.array([-3.0, -0.2, 0.2, 3.0])  # tanh(±0.2) ≈ ±0.197 → 0
        value = mathops.ROUNDERS[("tanh", "nearest")][0](z, mathops.tanh(z))
        assert value.tolist() == [-1.0, 0.0, 0.0, 1.0]

    def test_sign_takes_the_saturated_limit(self):
        z = np.array([-0.001, 0.0, 0.001])
        (rule, tie_test), (tanh_rule, _) = mathops.ROUNDERS[("sigmoid", "sign")], mathops.ROUNDERS[("tanh", "sign")]
        sig, sig_tie = rule(z, mathops.sigmoid(z)), tie_test(z, mathops.sigmoid(z))
        th = tanh_rule(z, mathops.tanh(z))
        assert sig.tolist() == [0.0, 0.5, 1.0]
        assert sig_tie.tolist() == [False, True, False]
        assert th.tolist() == [-1.0, 0.0, 1.0]

    def test_state_rounding_sends_half_to_zero(self):
        h = np.array([0.5, -0.5, 0.51, -1.5, 2.5])
        value, tie = mathops.round_state(h), mathops.tie_nearest(h, h)
        assert value.tolist() == [0.0, 0.0, 1.0, -2.0, 2.0]
        assert tie.tolist() == [True, True, False, True, True]
        assert not np.signbit(value[value == 0]).any()  # never -0


class TestLocalDerivatives:
    """Each activation's derivative against its central difference (f(z + ε) − f(z − ε)) / 2ε, ε = 1e-6."""

    Z = np.array([-3.0, -0.7, 0.2, 1.5, 4.0])  # away from relu's kink at 0

    @pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "linear"])
    def test_matches_central_difference(self, act):
        f, grad = mathops.ACTIVATIONS[act], mathops.ACTIVATION_GRADS[act]
        fd = (f(self.Z + 1e-6) - f(self.Z - 1e-6)) / 2e-6
        np.testing.assert_allclose(grad(self.Z, f(self.Z)), fd, rtol=1e-8, atol=1e-10)

    def test_known_values(self):
        # σ'(0) = ½·½; tanh'(0) = 1; relu' is 0 at and left of the kink, 1 right of it.
        assert mathops.sigmoid_grad(0.0, 0.5) == 0.25
        assert mathops.tanh_grad(0.0, 0.0) == 1.0
        assert mathops.relu_grad(np.array([-1.0, 0.0, 2.0]), None).tolist() == [0.0, 0.0, 1.0]

    def test_softmax_vjp_is_the_jacobian_transposed_times_g(self):
        # ∂y_i/∂z_j = y_i (δ_ij − y_j), so gᵀJ = y ⊙ g − y ⟨g, y⟩.
        z, g = np.array([0.3, -1.2, 2.0, 0.5]), np.array([1.0, -2.0, 0.5, 3.0])
        y = mathops.softmax(z)
        jacobian = np.diag(y) - np.outer(y, y)
        np.testing.assert_allclose(mathops.softmax_vjp(y, g), g @ jacobian, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(mathops.activation_vjp("softmax", z, y, g), g @ jacobian, rtol=1e-14, atol=1e-16)


class TestNorms:
    def test_norm2_scales_before_squaring(self):
        # ‖(3, 4)‖ = 5; ‖(1e308, 1e308)‖ = √2 · 1e308 is finite though its square is not; tiny entries keep digits.
        with np.errstate(all="raise"):
            assert mathops.norm2(np.array([3.0, 4.0])) == 5.0
            assert mathops.norm2(np.array([1e308, 1e308])) == pytest.approx(math.sqrt(2) * 1e308, rel=1e-15)
            assert mathops.norm2(np.array([3e-300, 4e-300])) == pytest.approx(5e-300, rel=1e-15)
            assert mathops.norm2(np.zeros(3)) == 0.0
        assert mathops.norm2(np.array([1.0, np.inf])) == np.inf

    def test_spectral_norm_is_the_largest_singular_value(self):
        rng = np.random.default_rng(0)
        for shape in ((1, 1), (3, 3), (8, 5), (40, 40)):
            J = rng.standard_normal(shape)
            assert mathops.spectral_norm(J) == pytest.approx(np.linalg.svd(J, compute_uv=False)[0], rel=1e-13)
        # rank one: ‖u vᵀ‖₂ = ‖u‖ ‖v‖ = 5 · 1 for u = (3, 4), v = e_1; scaled by 1e300 it stays finite.
        J = np.outer([3.0, 4.0], [1.0, 0.0])
        assert mathops.spectral_norm(J) == pytest.approx(5.0, rel=1e-15)
        assert mathops.spectral_norm(J * 1e300) == pytest.approx(5e300, rel=1e-15)
        assert mathops.spectral_norm(np.array([[1.0, np.nan]])) != mathops.spectral_norm(np.eye(2))  # nan

    def test_log_softmax_where_softmax_underflows(self):
        # log softmax(800, −800) = (−log(1 + e^−1600), −1600 − log(1 + e^−1600)) = (0, −1600) in float64.
        with np.errstate(all="raise", under="ignore"):
            assert mathops.log_softmax(np.array([800.0, -800.0])).tolist() == [0.0, -1600.0]
        z = np.array([0.5, -1.0, 2.0])
        np.testing.assert_allclose(mathops.log_softmax(z), np.log(mathops.softmax(z)), rtol=1e-15)
