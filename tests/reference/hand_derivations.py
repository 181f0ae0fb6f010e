"""The samples' expected numbers, derived with plain Python floats and the math module: no numpy, no
rnncalc, each equation written out as the lecture writes it, one unit at a time.

    python tests/reference/hand_derivations.py

prints every sample's values to 4 decimals, the precision of the expect: blocks in samples/; the
tests (tests/test_hand_derivations.py) check these values against the samples and against rnncalc's
full-precision output. lstm_vector.yaml's numbers come from PyTorch instead (make_torch_reference.py).
"""

import math


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def sign(z):
    """σ and tanh rounded to their saturated limit, as --round sign does: the sign of z (½ or 0 at z = 0)."""
    return (z > 0) - (z < 0)


def matvec(W, v):
    return [sum(w * x for w, x in zip(row, v)) for row in W]


def add(*vectors):
    return [sum(parts) for parts in zip(*vectors)]


def seed():
    """The all-ones LSTM, x = 5, h = c = 1, σ and tanh rounded to their limits (--round sign)."""
    z = 1 * 1 + 1 * 5 + 0  # every gate and the candidate: W_?h h + W_?x x + b_? = 6
    f = i = o = 1 if sign(z) > 0 else 0  # σ(6) rounded up
    c_tilde = sign(z)  # tanh(6) rounded to 1
    c = f * 1 + i * c_tilde  # 1 + 1 = 2
    h = o * sign(c)  # tanh(2) rounded to 1
    exact_h = sigmoid(6) * math.tanh(sigmoid(6) * 1 + sigmoid(6) * math.tanh(6))  # 0.9613, unrounded
    return {"h": [h], "c": [c], "h unrounded": [exact_h]}


def lstm_homework():
    """6.86x: f = σ(-100), i = σ(100 x + 100), o = σ(100 x), c̃ = tanh(-100 h + 50 x); h rounded each step."""
    h = c = 0.0
    hs = []
    for x in [0, 0, 1, 1, 1, 0]:
        f = sigmoid(-100)
        i = sigmoid(100 * x + 100)
        o = sigmoid(100 * x)
        c_tilde = math.tanh(-100 * h + 50 * x)
        c = f * c + i * c_tilde
        h = round(o * math.tanh(c))  # to the nearest integer, ties (±0.5) to 0
        hs.append(h)
    return {"h": hs}


def gated():
    """Two units: g = σ(W_gs s + W_gx x + b_g), s̃ = tanh(W_ss s + W_sx x + b_s), s = (1 − g) s + g s̃."""
    W_gs, W_gx, b_g = [[0.5, 0.0], [0.0, 0.5]], [[0.0], [1.0]], [-3.0, 0.0]
    W_ss, W_sx, b_s = [[0.8, -0.4], [0.3, 0.9]], [[1.0], [-1.0]], [0.0, 0.1]
    s = [1.0, -1.0]
    states = []
    for x in [1, 0.5, -2]:
        g = [sigmoid(z) for z in add(matvec(W_gs, s), matvec(W_gx, [x]), b_g)]
        s_tilde = [math.tanh(z) for z in add(matvec(W_ss, s), matvec(W_sx, [x]), b_s)]
        s = [(1 - g_k) * s_k + g_k * t_k for g_k, s_k, t_k in zip(g, s, s_tilde)]
        states.append(s)
    return {"s": states}


def rnn_softmax():
    """s = tanh(W_ss s + W_sx x + b_s), y = softmax(W_y s + b_y) with three classes."""
    W_ss, W_sx, b_s = [[0.5, -0.3], [0.2, 0.4]], [[1.0], [-0.5]], [0.0, 0.1]
    W_y, b_y = [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0, 0.0, 0.5]
    s = [0.0, 0.0]
    ys = []
    for x in [1, -1, 0.5]:
        s = [math.tanh(z) for z in add(matvec(W_ss, s), matvec(W_sx, [x]), b_s)]
        e = [math.exp(z) for z in add(matvec(W_y, s), b_y)]
        ys.append([v / sum(e) for v in e])
    return {"y": ys}


def rnn_exercises():
    """tanh: s = tanh(0.5 s + 0.5 x) from s = 1; relu: s = max(0, s + x) from s = 0."""
    s, tanh_states = 1.0, []
    for x in [1, 0, -1]:
        s = math.tanh(0.5 * s + 0.5 * x)
        tanh_states.append(s)
    s, relu_states = 0.0, []
    for x in [1, -2, 3]:
        s = max(0.0, s + x)
        relu_states.append(s)
    return {"tanh s": tanh_states, "relu s": relu_states}


ALTERNATING = [1, -1] * 10  # the 20 inputs of the vanishing-gradient pair


def vanishing_rnn():
    """s = tanh(0.5 s + x); going back a step multiplies ∂s_T/∂s_t by 0.5 (1 − s_t²)."""
    s, states = 0.0, []
    for x in ALTERNATING:
        s = math.tanh(0.5 * s + x)
        states.append(s)
    # ∂s_T/∂s_1 = Π_{t=2..T} 0.5 (1 − s_t²): s_t depends on s_{t-1} through tanh's slope at step t
    journey = math.prod(0.5 * (1 - st * st) for st in states[1:])
    exploding = 1.5 ** (len(ALTERNATING) - 1)  # linear, W_ss = 1.5: ∂s_T/∂s_1 = 1.5^(T−1)
    return {"s": [states[-1]], "|ds_T/ds_1|": [journey], "|ds_T/ds_1| linear 1.5": [exploding]}


def vanishing_lstm():
    """The gates see only their biases: f = σ(4), i = σ(0), o = σ(1); c̃ = tanh(0.5 h + x)."""
    f, i, o = sigmoid(4), sigmoid(0), sigmoid(1)
    h = c = 0.0
    for x in ALTERNATING:
        c_tilde = math.tanh(0.5 * h + x)
        c = f * c + i * c_tilde
        h = o * math.tanh(c)
    return {"h": [h], "c": [c]}


DERIVATIONS = {"seed": seed, "lstm_homework": lstm_homework, "gated": gated, "rnn_softmax": rnn_softmax,
               "rnn_exercises": rnn_exercises, "vanishing_rnn": vanishing_rnn, "vanishing_lstm": vanishing_lstm}


def derive():
    """{sample: {quantity: values}} for every derivation above."""
    return {name: derivation() for name, derivation in DERIVATIONS.items()}


def _shown(v):
    if isinstance(v, list):
        return [_shown(x) for x in v]
    return f"{v:.4f}" if not isinstance(v, float) or abs(v) >= 1e-3 else f"{v:.4e}"


if __name__ == "__main__":
    for sample, values in derive().items():
        for quantity, value in values.items():
            print(f"{sample:15} {quantity:24} {_shown(value)}".replace("'", ""))
