"""Make tests/reference/torch_forward.json: PyTorch's forward pass as a stored reference for rnncalc.

Each case is a one-sequence (batch 1) run of torch.nn.RNN (tanh or relu), torch.nn.LSTM or
torch.nn.GRU in float64, with seeded random weights and nonzero initial states. The case stores the problem in
rnncalc's course names (W_fh, b_f, s0, ...; converted here from torch's packed layout, without
importing rnncalc, so the reference stays independent) and torch's output: h_t for every step,
and for the LSTM the final memory cell c_T.

Rerun, from the repository root, with torch installed:

    python tests/reference/make_torch_reference.py

Importing this module needs no torch; cases() imports it and returns the list written to the file.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("torch_forward.json")
SEED = 6089  # chosen so each relu case both clips to 0 and passes values through

# (cell, activation, H, D, T): both cells, both RNN activations, scalar and vector sizes.
SPECS = [
    ("rnn", "tanh", 1, 1, 5),
    ("rnn", "tanh", 3, 2, 6),
    ("rnn", "relu", 1, 1, 5),
    ("rnn", "relu", 4, 3, 6),
    ("lstm", None, 1, 1, 5),
    ("lstm", None, 2, 3, 4),
    ("lstm", None, 4, 2, 7),
    ("gru", None, 1, 1, 5),
    ("gru", None, 3, 2, 6),
]


def _rnn_problem(m, activation):
    """nn.RNN -> rnncalc rnn: s_t = act(W_ss s_{t-1} + W_sx x_t + b_s)."""
    p = {
        "cell": "rnn",
        "W_ss": m.weight_hh_l0.tolist(),  # (H, H), acts on s_{t-1}
        "W_sx": m.weight_ih_l0.tolist(),  # (H, D), acts on x_t
        "b_s": (m.bias_ih_l0 + m.bias_hh_l0).tolist(),  # torch keeps two biases; rnncalc one
    }
    if activation == "relu":
        p["activation"] = "relu"
    return p


def _lstm_problem(m, H):
    """nn.LSTM -> rnncalc lstm. torch stacks the four gates' rows in the order i, f, g, o
    (g is the candidate c̃): rows [k*H, (k+1)*H) of weight_ih_l0 (4H, D), weight_hh_l0 (4H, H)
    and of each bias belong to gate k. rnncalc's gate letters are i, f, c (candidate), o."""
    b = m.bias_ih_l0 + m.bias_hh_l0
    p = {"cell": "lstm"}
    for k, gate in enumerate("ifco"):  # torch's i, f, g, o -> rnncalc's i, f, c, o
        rows = slice(k * H, (k + 1) * H)
        p[f"W_{gate}h"] = m.weight_hh_l0[rows].tolist()  # (H, H), acts on h_{t-1}
        p[f"W_{gate}x"] = m.weight_ih_l0[rows].tolist()  # (H, D), acts on x_t
        p[f"b_{gate}"] = b[rows].tolist()
    return p


def _gru_problem(m, H):
    """nn.GRU -> rnncalc gru (PyTorch's equations are rnncalc's default). torch stacks the rows of
    the gates r, z, n. The two biases add up for r and z; for the candidate n they stay apart,
    since torch's b_hn sits inside the reset: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))."""
    p = {"cell": "gru"}
    for k, gate in enumerate("rzn"):
        rows = slice(k * H, (k + 1) * H)
        p[f"W_{gate}h"] = m.weight_hh_l0[rows].tolist()  # (H, H), acts on h_{t-1}
        p[f"W_{gate}x"] = m.weight_ih_l0[rows].tolist()  # (H, D), acts on x_t
        if gate == "n":
            p["b_n"], p["b_nh"] = m.bias_ih_l0[rows].tolist(), m.bias_hh_l0[rows].tolist()
        else:
            p[f"b_{gate}"] = (m.bias_ih_l0[rows] + m.bias_hh_l0[rows]).tolist()
    return p


def cases():
    """Every reference case, as the list stored in torch_forward.json."""
    import torch

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(SEED)
    out = []
    with torch.no_grad():
        for cell, activation, H, D, T in SPECS:
            if cell == "rnn":
                m = torch.nn.RNN(D, H, nonlinearity=activation, batch_first=False)
            elif cell == "gru":
                m = torch.nn.GRU(D, H, batch_first=False)
            else:
                m = torch.nn.LSTM(D, H, batch_first=False)
            # Small weights keep the pre-activations near the unsaturated middle of σ and tanh.
            scale = 0.8 / (H + D) ** 0.5
            for w in m.parameters():
                w.uniform_(-scale, scale)
            x = torch.randn(T, 1, D)  # (T, batch 1, D)
            h0 = torch.empty(1, 1, H).uniform_(0.1, 0.9) * torch.where(torch.rand(1, 1, H) < 0.5, -1.0, 1.0)
            if cell == "rnn":
                problem = _rnn_problem(m, activation)
                problem["s0"] = h0[0, 0].tolist()
                hs, _ = m(x, h0)
                c_final = None
            elif cell == "gru":
                problem = _gru_problem(m, H)
                problem["h0"] = h0[0, 0].tolist()
                hs, _ = m(x, h0)
                c_final = None
            else:
                problem = _lstm_problem(m, H)
                c0 = torch.empty(1, 1, H).uniform_(-1.5, 1.5)
                problem["h0"], problem["c0"] = h0[0, 0].tolist(), c0[0, 0].tolist()
                hs, (_, cT) = m(x, (h0, c0))
                c_final = cT[0, 0].tolist()
            problem["x"] = x[:, 0, :].tolist()  # T steps, each a list of D numbers
            name = f"{cell}_{activation}_H{H}_D{D}_T{T}" if cell == "rnn" else f"{cell}_H{H}_D{D}_T{T}"
            case = {"name": name, "cell": cell, "problem": problem, "h": hs[:, 0, :].tolist()}
            if c_final is not None:
                case["c_final"] = c_final
            if activation == "relu":  # a relu case that never clips (or always does) tests nothing of relu
                flat = hs.flatten().tolist()
                assert 0.0 in flat and sum(v > 0 for v in flat) >= 2, f"{name}: pick another SEED"
            out.append(case)
    return out


if __name__ == "__main__":
    data = cases()
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data)} cases to {OUT}")
