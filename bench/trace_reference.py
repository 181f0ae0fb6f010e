"""The references for the full trace in bench.py: a plain numpy LSTM loop that computes every quantity
rnncalc records (pre-activations, gates, c̃, c, tanh(c), h) and writes each step as one JSON object a line,
or as a CSV row, with json.dumps (the numbers as float.__repr__ writes them), or with orjson.dumps (each
step's arrays handed to orjson as they are, the bytes written straight to stdout).

    python bench/trace_reference.py PARAMS.yaml X.npy jsonl|csv [json|orjson] > OUT

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


def steps(p, X):
    """Each step's record: t, then every quantity as a numpy array, in rnncalc's order."""
    h, c = np.zeros(len(p["b_f"])), np.zeros(len(p["b_f"]))
    for t, x in enumerate(X, start=1):
        rec = {"t": t, "x": x}
        gates = {}
        for g in "fio":
            z = p[f"W_{g}h"] @ h + p[f"W_{g}x"] @ x + p[f"b_{g}"]
            gates[g] = sigmoid(z)
            rec[f"{g}_pre"], rec[g] = z, gates[g]
        z = p["W_ch"] @ h + p["W_cx"] @ x + p["b_c"]
        c_tilde = np.tanh(z)
        c = gates["f"] * c + gates["i"] * c_tilde
        tanh_c = np.tanh(c)
        h = gates["o"] * tanh_c
        rec.update(c_tilde_pre=z, c_tilde=c_tilde, c=c, tanh_c=tanh_c, h=h)
        yield rec


def with_json(records, form):
    out = sys.stdout
    writer = csv.writer(out, lineterminator="\n") if form == "csv" else None
    for rec in records:
        rec = {k: v if k == "t" else v.tolist() for k, v in rec.items()}
        if writer is None:
            out.write(json.dumps(rec) + "\n")
        else:
            if rec["t"] == 1:
                writer.writerow(["t"] + [f"{k}[{i}]" for k, v in rec.items() if k != "t" for i in range(len(v))])
            writer.writerow([rec["t"]] + [repr(v) for k, v in rec.items() if k != "t" for v in v])


def with_orjson(records, form):
    import orjson

    write, numpy = sys.stdout.buffer.write, orjson.OPT_SERIALIZE_NUMPY
    for rec in records:
        if form == "jsonl":
            write(orjson.dumps(rec, option=numpy | orjson.OPT_APPEND_NEWLINE))
            continue
        if rec["t"] == 1:
            write(",".join(["t"] + [f"{k}[{i}]" for k, v in rec.items() if k != "t" for i in range(len(v))]).encode()
                  + b"\n")
        numbers = np.concatenate([v for k, v in rec.items() if k != "t"])
        write(b"%d,%s\n" % (rec["t"], orjson.dumps(numbers, option=numpy)[1:-1]))


def main(params_path, x_path, form, writer="json"):
    with open(params_path) as f:
        p = {k: np.array(v, dtype=float) for k, v in yaml.load(f, Loader=yaml.CSafeLoader).items() if k != "cell"}
    X = np.load(x_path)
    (with_orjson if writer == "orjson" else with_json)(steps(p, X), form)


if __name__ == "__main__":
    main(*sys.argv[1:5])
