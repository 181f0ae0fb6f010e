"""The reference for the full trace in bench.py: a plain numpy LSTM loop that computes every quantity
rnncalc records (pre-activations, gates, c̃, c, tanh(c), h) and writes each step with json.dumps, as
one JSON object a line, or as a CSV row.

    python bench/trace_reference.py PARAMS.yaml X.npy jsonl|csv > OUT

Parameters through PyYAML's C loader, inputs from .npy, as rnncalc reads them.
"""

import csv
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as rnncalc runs: one BLAS thread unless told otherwise
import numpy as np  # noqa: E402
import yaml  # noqa: E402


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def main(params_path, x_path, form):
    with open(params_path) as f:
        p = {k: np.array(v, dtype=float) for k, v in yaml.load(f, Loader=yaml.CSafeLoader).items() if k != "cell"}
    X = np.load(x_path)
    h, c = np.zeros(len(p["b_f"])), np.zeros(len(p["b_f"]))
    out = sys.stdout
    writer = csv.writer(out, lineterminator="\n") if form == "csv" else None
    for t, x in enumerate(X, start=1):
        rec = {"t": t, "x": x.tolist()}
        gates = {}
        for g in "fio":
            z = p[f"W_{g}h"] @ h + p[f"W_{g}x"] @ x + p[f"b_{g}"]
            gates[g] = sigmoid(z)
            rec[f"{g}_pre"], rec[g] = z.tolist(), gates[g].tolist()
        z = p["W_ch"] @ h + p["W_cx"] @ x + p["b_c"]
        c_tilde = np.tanh(z)
        c = gates["f"] * c + gates["i"] * c_tilde
        tanh_c = np.tanh(c)
        h = gates["o"] * tanh_c
        rec.update(c_tilde_pre=z.tolist(), c_tilde=c_tilde.tolist(), c=c.tolist(), tanh_c=tanh_c.tolist(), h=h.tolist())
        if writer is None:
            out.write(json.dumps(rec) + "\n")
        else:
            if t == 1:
                writer.writerow(["t"] + [f"{k}[{i}]" for k, v in rec.items() if k != "t" for i in range(len(v))])
            writer.writerow([t] + [repr(v) for k, v in rec.items() if k != "t" for v in v])


if __name__ == "__main__":
    main(*sys.argv[1:4])
