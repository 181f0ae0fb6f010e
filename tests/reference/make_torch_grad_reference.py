"""Make tests/reference/torch_grad.json: PyTorch autograd's gradients as a stored reference for rnncalc.

Each case is a one-sequence (batch 1) run of torch.nn.RNN (tanh or relu), torch.nn.LSTM or torch.nn.GRU
in float64, with seeded random weights, nonzero initial states and one of three losses of the visible
states h_1..h_T (s_t for the RNN):

    sum:  L = Σ_k h_T[k]
    mse:  L = ½ Σ_t ‖h_t − target_t‖²     target (T, H)
    dot:  L = Σ_t ⟨target_t, h_t⟩          target (T, H)

The case stores the problem in rnncalc's course names (converted here from torch's packed layout, without
importing rnncalc, so the reference stays independent), the loss, L, and torch's gradient of L with respect
to every parameter (course names), each initial state (s0, or h0 and c0) and the inputs (x, (T, D)).

torch stacks the gates' rows: LSTM i, f, g, o (g is the candidate, rnncalc's c), GRU r, z, n. It keeps two
biases where rnncalc keeps one, b = b_ih + b_hh, except for the GRU candidate, whose b_hn sits inside the
reset (b_n = b_in, b_nh = b_hn). A summed bias's gradient is each torch bias's gradient:
dL/db = dL/db_ih = dL/db_hh.

Rerun, from the repository root, with torch installed:

    python tests/reference/make_torch_grad_reference.py

Importing this module needs no torch; cases() imports it and returns the list written to the file.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("torch_grad.json")
SEED = 8086  # chosen so the relu case both clips to 0 and passes values through

# (cell, activation, H, D, T), each run with every loss.
SPECS = [
    ("rnn", "tanh", 3, 2, 5),
    ("rnn", "relu", 3, 2, 6),
    ("lstm", None, 2, 3, 4),
    ("lstm", None, 3, 2, 6),
    ("gru", None, 2, 2, 5),
    ("gru", None, 3, 2, 4),
]
LOSSES = ("sum", "mse", "dot")
GATES = {"rnn": "s", "lstm": "ifco", "gru": "rzn"}  # rnncalc's letters for torch's row blocks, in torch's order


def course_names(cell, m, H, grad=False):
    """torch's packed parameters (or, with grad, their gradients) -> {course name: nested list}."""
    tensors = m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0
    w_ih, w_hh, b_ih, b_hh = (t.grad for t in tensors) if grad else tensors
    state = "s" if cell == "rnn" else "h"
    p = {}
    for k, gate in enumerate(GATES[cell]):
        rows = slice(k * H, (k + 1) * H)
        p[f"W_{gate}{state}"] = w_hh[rows].tolist()  # (H, H), acts on h_{t-1}
        p[f"W_{gate}x"] = w_ih[rows].tolist()  # (H, D), acts on x_t
        if cell == "gru" and gate == "n":
            p["b_n"], p["b_nh"] = b_ih[rows].tolist(), b_hh[rows].tolist()
        elif grad:  # the gradient of b = b_ih + b_hh is the one both torch biases get
            # torch sums the two in different orders: equal up to rounding
            assert (b_ih[rows] - b_hh[rows]).abs().max() <= 1e-14 * (1 + b_ih[rows].abs().max()), cell
            p[f"b_{gate}"] = b_ih[rows].tolist()
        else:
            p[f"b_{gate}"] = (b_ih[rows] + b_hh[rows]).tolist()
    return p


def cases():
    """Every reference case, as the list stored in torch_grad.json."""
    import torch

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(SEED)
    out = []
    for cell, activation, H, D, T in SPECS:
        if cell == "rnn":
            m = torch.nn.RNN(D, H, nonlinearity=activation)
        else:
            m = torch.nn.GRU(D, H) if cell == "gru" else torch.nn.LSTM(D, H)
        scale = 1.2 / (H + D) ** 0.5  # pre-activations mostly in σ's and tanh's curved middle
        with torch.no_grad():
            for w in m.parameters():
                w.uniform_(-scale, scale)
        x = torch.randn(T, 1, D)  # (T, batch 1, D)
        h0 = torch.empty(1, 1, H).uniform_(-0.9, 0.9)  # (layers 1, batch 1, H)
        c0 = torch.empty(1, 1, H).uniform_(-1.5, 1.5)
        targets = {"mse": torch.randn(T, H), "dot": torch.randn(T, H)}
        for kind in LOSSES:
            m.zero_grad()
            leaves = [t.clone().requires_grad_() for t in (x, h0, c0)]
            x_, h0_, c0_ = leaves
            hs, _ = m(x_, (h0_, c0_)) if cell == "lstm" else m(x_, h0_)
            hs = hs[:, 0, :]  # (T, H)
            if kind == "sum":
                loss = hs[-1].sum()
            elif kind == "mse":
                loss = 0.5 * ((hs - targets[kind]) ** 2).sum()
            else:
                loss = (targets[kind] * hs).sum()
            loss.backward()

            problem = course_names(cell, m, H)
            grads = course_names(cell, m, H, grad=True)
            state = "s" if cell == "rnn" else "h"
            problem[f"{state}0"], grads[f"{state}0"] = h0_[0, 0].tolist(), h0_.grad[0, 0].tolist()
            if cell == "lstm":
                problem["c0"], grads["c0"] = c0_[0, 0].tolist(), c0_.grad[0, 0].tolist()
            problem["x"], grads["x"] = x_[:, 0, :].tolist(), x_.grad[:, 0, :].tolist()  # (T, D)
            if activation:
                problem["activation"] = activation
            spec = {"kind": kind} if kind == "sum" else {"kind": kind, "target": targets[kind].tolist()}
            name = f"{cell}{'_' + activation if activation else ''}_H{H}_D{D}_T{T}_{kind}"
            out.append({"name": name, "cell": cell, "problem": problem, "loss": spec,
                        "value": loss.item(), "h": hs.tolist(), "grad": grads})
            if activation == "relu":  # a relu case that never clips (or always does) tests nothing of relu
                flat = hs.flatten().tolist()
                assert 0.0 in flat and sum(v > 0 for v in flat) >= 2, f"{name}: pick another SEED"
    return out


if __name__ == "__main__":
    data = cases()
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data)} cases to {OUT}")
