"""The reference for bench.py: a hand-optimised numpy LSTM loop that loads the same files the same way.

    python bench/hand_lstm.py PARAMS.yaml|PARAMS.npz X.npy

Parameters from YAML (through PyYAML's C loader when present) or .npz, inputs from .npy; all input
projections in one matmul, the four gates stacked into one (4H × H) matrix; prints the final h as JSON.
"""

import json
import sys

import numpy as np
import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def main(params_path, x_path):
    if params_path.endswith(".npz"):
        p = dict(np.load(params_path))
    else:
        with open(params_path) as f:
            p = yaml.load(f, Loader=Loader)
    X = np.load(x_path)
    gates = "fioc"
    Wh = np.vstack([np.array(p[f"W_{g}h"], dtype=float) for g in gates])  # (4H, H)
    Wx = np.vstack([np.array(p[f"W_{g}x"], dtype=float) for g in gates])  # (4H, D)
    b = np.concatenate([np.array(p[f"b_{g}"], dtype=float) for g in gates])
    H = Wh.shape[1]
    P = X @ Wx.T + b  # (T, 4H): every input projection at once
    h, c = np.zeros(H), np.zeros(H)
    for z_x in P:
        z = z_x + Wh @ h
        f = 0.5 * (1.0 + np.tanh(0.5 * z[:H]))
        i = 0.5 * (1.0 + np.tanh(0.5 * z[H:2 * H]))
        o = 0.5 * (1.0 + np.tanh(0.5 * z[2 * H:3 * H]))
        c = f * c + i * np.tanh(z[3 * H:])
        h = o * np.tanh(c)
    print(json.dumps({"h": h.tolist()}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
