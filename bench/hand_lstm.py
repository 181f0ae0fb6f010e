"""The reference for bench.py: a careful hand-written numpy LSTM loop that loads the same files the same way.

    python bench/hand_lstm.py PARAMS.yaml|PARAMS.npz X.npy

Parameters from YAML through PyYAML's C loader (or .npz), inputs from .npy. The four gates stacked into
one (4H, H) matrix; every input projection in one matmul before the loop, the bias added there;
preallocated buffers and their views made once; in-place ufuncs, σ(z) = ½(1 + tanh(z/2)).
Prints the final h as JSON.
"""

import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as rnncalc runs: one BLAS thread unless told otherwise
import numpy as np  # noqa: E402
import yaml  # noqa: E402


def main(params_path, x_path):
    if params_path.endswith(".npz"):
        p = dict(np.load(params_path))
    else:
        with open(params_path) as f:
            p = yaml.load(f, Loader=yaml.CSafeLoader)
    X = np.load(x_path)
    gates = "fioc"
    Wh = np.vstack([np.array(p[f"W_{g}h"], dtype=float) for g in gates])  # (4H, H)
    Wx = np.vstack([np.array(p[f"W_{g}x"], dtype=float) for g in gates])  # (4H, D)
    b = np.concatenate([np.array(p[f"b_{g}"], dtype=float) for g in gates])  # (4H,)
    H = Wh.shape[1]
    P = X @ Wx.T  # (T, D) @ (D, 4H): every input projection at once
    P += b
    h, c = np.zeros(H), np.zeros(H)
    z, tmp = np.empty(4 * H), np.empty(H)
    gates_sig, g = z[:3 * H], z[3 * H:]  # f, i, o | c̃
    f, i, o = z[:H], z[H:2 * H], z[2 * H:3 * H]
    for p_t in P:
        np.matmul(Wh, h, out=z)  # (4H, H) @ (H,)
        z += p_t
        gates_sig *= 0.5
        np.tanh(gates_sig, out=gates_sig)
        gates_sig += 1.0
        gates_sig *= 0.5
        np.tanh(g, out=g)
        c *= f
        np.multiply(i, g, out=tmp)
        c += tmp
        np.tanh(c, out=tmp)
        np.multiply(o, tmp, out=h)
    print(json.dumps({"h": h.tolist()}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
