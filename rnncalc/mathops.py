"""The elementary functions of recurrent cells, as pure numpy.

Every function takes and returns float64 arrays and never warns: arguments as
large as ±1e308 give the limit values, not overflow.
"""

import numpy as np


def sigmoid(z, out=None):
    """σ(z) = 1 / (1 + e^{-z}).

    Stable as it stands: e^{-z} overflows to inf only for z < −709, where σ is below the smallest
    normal float64 and 1/inf = 0; for z = −40 it is 1/(1 + 2.35e17) = 4.25e-18, to within an ulp or two.

    >>> sigmoid(np.array([0.0, -1e308, 1e308]))
    array([0.5, 0. , 1. ])
    """
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore"):
        return sigmoid_into(z, np.empty_like(z) if out is None else out)


def sigmoid_into(z, out):
    """sigmoid(z) into out, in four in-place passes; the caller sets np.errstate (e^{-z} may overflow)."""
    np.negative(z, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    return np.divide(1.0, out, out=out)


def tanh(z, out=None):
    """tanh(z) = (e^{z} − e^{-z}) / (e^{z} + e^{-z}); numpy's is already stable."""
    return np.tanh(np.asarray(z, dtype=float), out=out)


def relu(z, out=None):
    """relu(z) = max(0, z)."""
    return np.maximum(np.asarray(z, dtype=float), 0.0, out=out)


def linear(z, out=None):
    """The identity (−0 made +0)."""
    return np.add(np.asarray(z, dtype=float), 0.0, out=out)


def softmax(z, out=None):
    """softmax(z)_k = e^{z_k} / Σ_j e^{z_j}, shifted by max(z) so no exponent overflows.

    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(np.subtract(z, np.max(z), out=out), out=out)
    return np.divide(e, np.sum(e), out=e)


def log_softmax(z):
    """log softmax(z)_k = z_k − max(z) − log Σ_j e^{z_j − max(z)}: finite wherever z is, even where softmax
    itself underflows to 0.

    >>> log_softmax(np.array([800.0, -800.0]))
    array([    0., -1600.])
    """
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted)))


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "linear": linear, "softmax": softmax}


# Rounding, as homework asks for it.  Each rule maps the pre-activation z and the exact
# value a = act(z) to the rounded value; its tie test says where the rule met a tie.

def round_nearest(z, a, out=None):
    """The value rounded to the nearest integer, ties to even: σ(0) = ½ → 0, tanh = ±½ → 0."""
    return np.add(np.rint(a, out=out), 0.0, out=out)


def tie_nearest(z, a):
    """Where a lies halfway between two integers."""
    return np.abs(a - np.trunc(a)) == 0.5


def round_sign_sigmoid(z, a, out=None):
    """σ's saturated limit: 1 for z > 0, 0 for z < 0, ½ at z = 0 (a tie)."""
    return np.multiply(np.add(np.sign(z, out=out), 1.0, out=out), 0.5, out=out)


def tie_sign_sigmoid(z, a):
    """σ's sign rule ties at z = 0."""
    return z == 0


def round_sign_tanh(z, a, out=None):
    """tanh's saturated limit: sign(z), 0 at z = 0."""
    return np.add(np.sign(z, out=out), 0.0, out=out)


def no_tie(z, a):
    return np.zeros(np.shape(z), dtype=bool)


ROUNDERS = {  # (activation, mode): (rule, tie test)
    ("sigmoid", "nearest"): (round_nearest, tie_nearest),
    ("tanh", "nearest"): (round_nearest, tie_nearest),
    ("sigmoid", "sign"): (round_sign_sigmoid, tie_sign_sigmoid),
    ("tanh", "sign"): (round_sign_tanh, no_tie),
}


def round_state(h, out=None):
    """h rounded to the nearest integer, ties to even (±0.5 → 0)."""
    return round_nearest(h, h, out)


# Local derivatives, for backpropagation.  Each takes the pre-activation z and the value
# a = act(z) (whichever the formula is simpler in) and returns da/dz element-wise.

def sigmoid_grad(z, a):
    """σ'(z) = σ(z) (1 − σ(z)) = a (1 − a).

    >>> sigmoid_grad(np.array([0.0]), np.array([0.5]))
    array([0.25])
    """
    return a * (1.0 - a)


def tanh_grad(z, a):
    """tanh'(z) = 1 − tanh²(z) = 1 − a²."""
    return 1.0 - a * a


def relu_grad(z, a):
    """relu'(z) = 1 where z > 0, else 0 (0 at the kink z = 0, as PyTorch takes it)."""
    return (np.asarray(z) > 0).astype(float)


def linear_grad(z, a):
    """The identity's derivative, 1."""
    return np.ones(np.shape(z))


def softmax_vjp(y, g):
    """gᵀ ∂y/∂z for y = softmax(z): the Jacobian diag(y) − y yᵀ applied to g, which is y ⊙ (g − ⟨g, y⟩);
    for each row of g when g is a stack of rows (n, K).

    >>> softmax_vjp(np.array([0.25, 0.75]), np.array([1.0, 1.0]))  # softmax ignores a constant shift
    array([0., 0.])
    """
    return y * (g - (g @ y)[..., None])


ACTIVATION_GRADS = {"sigmoid": sigmoid_grad, "tanh": tanh_grad, "relu": relu_grad, "linear": linear_grad}


def activation_vjp(act, z, a, g):
    """dL/dz from the cotangent g = dL/da of a = act(z): g ⊙ act'(z) element-wise, softmax_vjp for softmax;
    g may be a stack of rows (n, size), each taken alike."""
    if act == "softmax":
        return softmax_vjp(a, g)
    return g * ACTIVATION_GRADS[act](z, a)


# Norms, never overflowing: a vector or matrix is first divided by a power of two near its largest
# magnitude (exactly: only the exponents change), so its squares stay below 4 and only a norm beyond
# the float range itself is inf.

def merge(kind, a, b):
    """A bidirectional layer's output from its directions' visible states a, b (T, H), as Keras's merge_mode:
    concat [a; b] (T, 2H), sum a + b, ave (a + b) / 2, mul a ⊙ b."""
    if kind == "concat":
        return np.concatenate([a, b], axis=1)
    if kind == "sum":
        return a + b
    if kind == "ave":
        return (a + b) / 2
    return a * b


def merge_vjp(kind, a, b, g):
    """dL/da and dL/db from g = dL/d merge(kind, a, b)."""
    if kind == "concat":
        return g[:, :a.shape[1]], g[:, a.shape[1]:]
    if kind == "sum":
        return g, g
    if kind == "ave":
        return g / 2, g / 2
    return g * b, g * a


def _scale(a):
    """2^(e−1) for max |a| in [2^(e−1), 2^e); 0 for an all-zero a; inf or nan when a holds one."""
    m = float(np.max(np.abs(a))) if np.size(a) else 0.0
    if m == 0.0 or not np.isfinite(m):
        return m
    return float(np.ldexp(1.0, np.frexp(m)[1] - 1))


def norm2(v):
    """‖v‖₂ = √(Σ v_k²), as 2^e ‖v / 2^e‖₂; inf or nan for a v holding one.

    >>> norm2(np.array([3.0, 4.0])), norm2(np.array([1e308, 1e308]))
    (5.0, 1.4142135623730951e+308)
    """
    m = _scale(v)
    if m == 0.0 or not np.isfinite(m):
        return m
    u = np.ravel(v) / m
    with np.errstate(over="ignore"):  # a norm beyond the float range is inf
        return float(m * np.sqrt(u @ u))


def log10_norm2(v):
    """log₁₀ ‖v‖₂ as log₁₀ 2^e + ½ log₁₀ ‖v / 2^e‖₂², finite for a finite v not all zero, also where
    ‖v‖₂ itself is beyond the float range.

    >>> round(log10_norm2(np.array([3e300, 4e300])), 6), round(log10_norm2(np.array([1.5e308, 1.5e308])), 6)
    (300.69897, 308.326606)
    """
    m = _scale(v)
    if m == 0.0 or not np.isfinite(m):
        return float(np.log10(m)) if m == 0.0 else m
    u = np.ravel(v) / m
    return float(np.log10(m) + 0.5 * np.log10(u @ u))


def spectral_norm(J):
    """‖J‖₂, the largest singular value of the matrix J: √λ_max(J Jᵀ), the square root of the largest
    eigenvalue of the Gram matrix (the singular values of J are the square roots of its eigenvalues),
    computed as 2^e ‖J / 2^e‖₂; inf or nan for a J holding one.

    >>> spectral_norm(np.array([[3.0, 0.0], [0.0, -4.0]])), spectral_norm(np.array([[1.0, 1.0], [1.0, 1.0]]))
    (4.0, 2.0)
    """
    m, u = scaled(J)
    return m if u is None else scaled_spectral_norm(m, u)


def scaled(a):
    """(m, a / m) for m = 2^e near max |a| (_scale), a new array; (m, None) when m is 0, inf or nan."""
    m = _scale(a)
    if m == 0.0 or not np.isfinite(m):
        return m, None
    return m, a / m


def scaled_spectral_norm(m, u):
    """m ‖u‖₂ = m √λ_max(u uᵀ), u = J / m from scaled(J): spectral_norm's eigenvalue problem alone."""
    top = max(float(np.linalg.eigvalsh(u @ u.T)[-1]), 0.0)  # (rows, rows), symmetric positive semi-definite
    with np.errstate(over="ignore"):
        return float(m * np.sqrt(top))
