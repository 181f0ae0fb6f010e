"""rnncalc's speed and memory, as ratios against references run side by side on this machine.

    python bench/bench.py            # everything (a few minutes)
    python bench/bench.py --quick    # fewer repetitions and a shorter memory run

Prints one table: each scenario, rnncalc's time, the references' (`python -c "import numpy"` for
start-up; a careful hand-written numpy loop, bench/hand_lstm.py; for the full trace a plain numpy loop
writing each step with json.dumps, and the same loop writing each step with orjson.dumps,
bench/trace_reference.py; PyTorch float64 and float32 when torch is
installed; for --grad the same run without it; for --steps with many ranges one range), the ratio, the
target it is held to, and by how much rnncalc's numbers and the reference's agree (|Δ|).
Times are medians of whole-process runs, except PyTorch's, which time its forward pass alone
(its import alone takes over a second).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PY = sys.executable
RNNCALC = [PY, "-m", "rnncalc"]
SEED = ["lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5"]


# As an installed tool runs: with its modules' bytecode cached (a first, untimed run writes it).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(commands, repeat):
    """Median wall times of the commands, run in turn (after one untimed run of each), so that a busy machine
    slows each alike."""
    times = [[] for _ in commands]
    for cmd in commands:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    for _ in range(repeat):
        for cmd, spent in zip(commands, times):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def trace_numbers(text, form):
    """Every number of a jsonl or csv trace, in order, and its keys (the JSON keys or the CSV header)."""
    if form == "csv":
        header, *lines = text.splitlines()
        return np.array([[float(v) for v in line.split(",")] for line in lines]), header
    records = [json.loads(line) for line in text.splitlines()]
    keys = list(records[0])
    return np.array([[r["t"], *(v for k in keys[1:] for v in r[k])] for r in records]), keys


def orjson_seconds(numbers):
    """The time orjson takes to write the numbers, a (T, k) array, as the shortest round-tripping text."""
    import orjson

    start = time.perf_counter()
    orjson.dumps(numbers, option=orjson.OPT_SERIALIZE_NUMPY)
    return time.perf_counter() - start


def peak_rss_mb(cmd):
    """Peak resident memory of cmd, in MB, as GNU time reports it."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    result = subprocess.run([gnu_time, "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, check=True, env=ENV)
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def write_problem(directory, T, D, H, seed=0, npz=False):
    """An LSTM problem with random weights: parameters as YAML (or .npz), inputs as .npy."""
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(H + D)
    params = {"cell": "lstm"}
    for g in "fioc":
        params[f"W_{g}h"] = (rng.standard_normal((H, H)) * scale).tolist()
        params[f"W_{g}x"] = (rng.standard_normal((H, D)) * scale).tolist()
        params[f"b_{g}"] = (rng.standard_normal(H) * 0.1).tolist()
    path = Path(directory) / f"lstm_{T}_{D}_{H}"
    if npz:
        np.savez(path.with_suffix(".npz"), **{k: np.array(v) for k, v in params.items() if k != "cell"})
    else:
        path.with_suffix(".yaml").write_text(json.dumps(params))  # JSON is YAML, and as fast to write
    np.save(path.with_suffix(".npy"), rng.standard_normal((T, D)))
    return path.with_suffix(".npz" if npz else ".yaml"), path.with_suffix(".npy"), params


def seconds_of(cmd):
    """The wall time of one run of cmd."""
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    return time.perf_counter() - start


def lstm_params(rng, H, D):
    scale = 1 / np.sqrt(H + D)
    params = {}
    for g in "fioc":
        params[f"W_{g}h"] = (rng.standard_normal((H, H)) * scale).tolist()
        params[f"W_{g}x"] = (rng.standard_normal((H, D)) * scale).tolist()
        params[f"b_{g}"] = (rng.standard_normal(H) * 0.1).tolist()
    return params


def write_stack(directory, T, D, H, seed=0):
    """A 2-layer bidirectional LSTM with random weights as YAML, its inputs as .npy."""
    rng = np.random.default_rng(seed)
    layers = [{d: lstm_params(rng, H, D if n == 0 else 2 * H) for d in ("forward", "backward")} for n in range(2)]
    path = Path(directory) / "stack.yaml"
    path.write_text(json.dumps({"cell": "lstm", "bidirectional": True, "layers": layers}))
    x_path = Path(directory) / "stack_x.npy"
    np.save(x_path, rng.standard_normal((T, D)))
    return path, x_path, layers


def torch_stack_seconds(layers, x_path):
    """PyTorch's nn.LSTM(num_layers=2, bidirectional=True) forward pass alone in float64 on one thread, in a
    process of its own, and its output at t = T; None without torch."""
    script = """if True:
        import json, statistics, sys, time
        import numpy as np, torch
        torch.set_num_threads(1)
        layers = json.load(sys.stdin)
        X = torch.tensor(np.load(sys.argv[1]), dtype=torch.float64)[:, None, :]  # (T, batch 1, D)
        H = len(layers[0]["forward"]["b_f"])
        m = torch.nn.LSTM(X.shape[-1], H, num_layers=2, bidirectional=True).double()
        with torch.no_grad():  # torch's gate order is i, f, g, o; _reverse is the backward direction
            for n, layer in enumerate(layers):
                for suffix, d in (("", "forward"), ("_reverse", "backward")):
                    p = layer[d]
                    getattr(m, f"weight_hh_l{n}{suffix}").copy_(torch.tensor(np.vstack([p[f"W_{g}h"] for g in "ifco"])))
                    getattr(m, f"weight_ih_l{n}{suffix}").copy_(torch.tensor(np.vstack([p[f"W_{g}x"] for g in "ifco"])))
                    getattr(m, f"bias_ih_l{n}{suffix}").copy_(torch.tensor(np.concatenate([p[f"b_{g}"] for g in "ifco"])))
                    getattr(m, f"bias_hh_l{n}{suffix}").zero_()
            times = []
            for _ in range(3):
                start = time.perf_counter()
                out, _ = m(X)
                times.append(time.perf_counter() - start)
        print(json.dumps([statistics.median(times), out[-1, 0].tolist()]))
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    result = subprocess.run([PY, "-c", script, str(x_path)], input=json.dumps(layers), capture_output=True,
                            text=True, check=True)
    seconds, last = json.loads(result.stdout)
    return seconds, np.array(last)


def torch_seconds(params, x_path, dtype_name):
    """PyTorch nn.LSTM's forward pass alone, single thread, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    dtype = getattr(torch, dtype_name)
    X = torch.tensor(np.load(x_path), dtype=dtype)[:, None, :]  # (T, batch 1, D)
    H = len(params["b_f"])
    m = torch.nn.LSTM(X.shape[-1], H).to(dtype)
    with torch.no_grad():  # torch's gate order is i, f, g, o
        m.weight_hh_l0.copy_(torch.tensor(np.vstack([params[f"W_{g}h"] for g in "ifco"])))
        m.weight_ih_l0.copy_(torch.tensor(np.vstack([params[f"W_{g}x"] for g in "ifco"])))
        m.bias_ih_l0.copy_(torch.tensor(np.concatenate([params[f"b_{g}"] for g in "ifco"])))
        m.bias_hh_l0.zero_()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            m(X)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(name, ours, ref, ratio_target, other=("", "")):
    ratio = ours / ref
    verdict = "met" if ratio <= ratio_target else "NOT met"
    return [name, f"{ours:.3f} s", f"{ref:.3f} s", *other, f"{ratio:.2f}×", f"≤ {ratio_target}× {verdict}"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter memory run")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    rows = []

    # 1. Start-up: every call from a shell pays it. Each scenario alternates with the reference, so that the
    # machine's speed, which drifts by tens of percent on a shared host, is the same for both.
    numpy_import = [PY, "-c", "import numpy"]
    seed_file = [*RNNCALC, "lstm", str(HERE.parent / "samples" / "seed.yaml")]
    for name, cmd, target in [("rnncalc --version", [*RNNCALC, "--version"], 1.0),
                              ("rnncalc --help", [*RNNCALC, "--help"], 1.5),
                              ("seed example, --format json", [*RNNCALC, *SEED, "--format", "json"], 1.6),
                              ("seed example, table", [*RNNCALC, *SEED], 2.0),
                              ("samples/seed.yaml, --format json", [*seed_file, "--format", "json"], 1.6),
                              ("samples/seed.yaml, table", seed_file, 2.0)]:
        rows.append(row(name, *timed([cmd, numpy_import], repeat), target))

    # 2. The engine on a long sequence, against a careful hand-written numpy loop loading the same files.
    with tempfile.TemporaryDirectory() as tmp:
        for T, D, H, target in [(20000, 64, 128, 1.1), (1000, 1, 1, None), (1000, 16, 32, None),
                                (1000, 256, 512, None)]:
            yaml_path, x_path, params = write_problem(tmp, T, D, H, npz=H > 128)  # big parameters: .npz
            cmd = [*RNNCALC, "lstm", str(yaml_path), "--x-file", str(x_path), "--last", "--format", "json"]
            hand = [PY, str(HERE / "hand_lstm.py"), str(yaml_path), str(x_path)]
            ours_h = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)["final"]["h"]
            hand_h = json.loads(subprocess.run(hand, capture_output=True, text=True, check=True).stdout)["h"]
            agree = float(np.max(np.abs(np.array(ours_h) - np.array(hand_h))))
            reps = max(3, repeat // 3)
            ours, ref = timed([cmd, hand], reps)
            f64, f32 = torch_seconds(params, x_path, "float64"), torch_seconds(params, x_path, "float32")
            torch_cols = tuple("—" if v is None else f"{v:.3f} s" for v in (f64, f32))
            name = f"LSTM T={T} D={D} H={H} {yaml_path.suffix} --last (|Δh| {agree:.0e})"
            rows.append(row(name, ours, ref, target or float("inf"), torch_cols))
            if target is None:
                rows[-1][-1] = "(for reference)"

    # 3. The full trace: every quantity of every step, against a plain numpy loop writing each step with
    # json.dumps (or a CSV row), and the same loop writing each step with orjson.dumps, all reading the same
    # files and writing to /dev/null.
    with tempfile.TemporaryDirectory() as tmp:
        yaml_path, x_path, _ = write_problem(tmp, 20000, 4, 8)
        for form in ("jsonl", "csv"):
            cmd = [*RNNCALC, "lstm", str(yaml_path), "--x-file", str(x_path), "--format", form]
            refs = [[PY, str(HERE / "trace_reference.py"), str(yaml_path), str(x_path), form, writer]
                    for writer in ("json", "orjson")]
            ours_numbers, ours_keys = trace_numbers(subprocess.run(cmd, capture_output=True, text=True,
                                                                   check=True).stdout, form)
            agree = []
            for ref_cmd in refs:
                ref_numbers, ref_keys = trace_numbers(subprocess.run(ref_cmd, capture_output=True, text=True,
                                                                     check=True).stdout, form)
                assert ours_keys == ref_keys and ours_numbers.shape == ref_numbers.shape, (ours_keys, ref_keys)
                agree.append(float(np.max(np.abs(ours_numbers - ref_numbers))))
            ours, by_json, by_orjson = timed([cmd, *refs], max(3, repeat // 3))
            rows.append(row(f"LSTM T=20000 D=4 H=8 every quantity as {form} (|Δ| {agree[0]:.0e})", ours, by_json,
                            0.3))
            rows.append(row(f"  the same, ref.: each step by orjson.dumps (|Δ| {agree[1]:.0e})", ours, by_orjson,
                            1.0))
            # Each writes every number as its shortest text that reads back as the same float64. orjson's own
            # time for the trace's numbers, in this process, is the floor of rnncalc and of the orjson loop:
            numbers = np.ascontiguousarray(ours_numbers)
            floor = min(orjson_seconds(numbers) for _ in range(3))
            rows.append(row(f"  orjson.dumps of its {numbers.size:,} numbers alone", floor, by_orjson, float("inf")))
            rows[-1][-1] = "(the floor of both)"

    # 4. Memory and time while streaming: a million steps of a size-8 LSTM as JSON lines to /dev/null, read
    # from a text file (in blocks of 256 steps) and from stdin (-x -, a block of the lines that have arrived,
    # each answered as it arrives).
    steps = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        x_txt = Path(tmp) / "x.txt"
        x_txt.write_text("\n".join(f"{v:.6f}" for v in np.sin(np.arange(steps) / 10)))
        cmd = [*RNNCALC, "lstm", "--weights", "0.3", "--hidden", "8", "--x-file", str(x_txt), "--format", "jsonl"]
        start = time.perf_counter()
        rss = peak_rss_mb(cmd)
        seconds = time.perf_counter() - start
        live = [*RNNCALC, "lstm", "--weights", "0.3", "--hidden", "8", "-x", "-", "--format", "jsonl"]
        start = time.perf_counter()  # through a pipe, as `cat x.txt | rnncalc ... -x -` streams it
        cat = subprocess.Popen(["cat", str(x_txt)], stdout=subprocess.PIPE)
        subprocess.run(live, stdin=cat.stdout, stdout=subprocess.DEVNULL, check=True, env=ENV)
        cat.stdout.close()
        cat.wait()
        stdin_seconds = time.perf_counter() - start

    # 5. The backward pass, against the forward trace of the same problem as JSON (rnncalc without --grad).
    with tempfile.TemporaryDirectory() as tmp:
        for T, H, target in [(200, 128, 3.0), (200, 512, None), (1, 2048, None)]:
            path, x_path, _ = write_problem(tmp, T, 8, H, npz=H > 128)
            forward = [*RNNCALC, "lstm", str(path), "--x-file", str(x_path), "--format", "json"]
            reps = max(3, repeat // 3) if target else 1
            ours, ref = timed([[*forward, "--grad"], forward], reps)
            rows.append(row(f"--grad json, LSTM T={T} D=8 H={H} {path.suffix} (ref.: without --grad)", ours, ref,
                            target or float("inf")))
            if target is None:
                rows[-1][-1] = "(for reference)"
            else:
                grad_rss = peak_rss_mb([*forward, "--grad"])

    # 6. --steps with many ranges: k = 17,000 single steps over T = 100,000, against the same number of
    # steps as one range, so that only the selection differs.
    with tempfile.TemporaryDirectory() as tmp:
        x_path = Path(tmp) / "x.npy"
        np.save(x_path, np.sin(np.arange(100_000) / 10)[:, None])
        chosen = sorted(set(np.random.default_rng(0).integers(1, 100_000, 17_000).tolist()))
        many = ",".join(map(str, np.random.default_rng(1).permutation(chosen).tolist()))  # in no order
        base = [*RNNCALC, "rnn", "--weights", "0.5", "--x-file", str(x_path), "--format", "jsonl", "--steps"]
        reps = max(3, repeat // 3)
        ours, ref = timed([[*base, many], [*base, f"1:{len(chosen)}"]], reps)
        rows.append(row(f"--steps with {len(chosen):,} ranges, T=100,000 (ref.: one range)", ours, ref, 1.5))

    # 7. A stack on the engine: a 2-layer bidirectional LSTM, D = 8, H = 64, T = 20,000, against PyTorch's
    # nn.LSTM(num_layers=2, bidirectional=True) forward pass in float64 on one thread; and its peak memory for
    # --last and jsonl beside one direction of its first layer run as a single layer.
    with tempfile.TemporaryDirectory() as tmp:
        stack_path, x_path, layers = write_stack(tmp, 20000, 8, 64)
        single_path, _, _ = write_problem(tmp, 20000, 8, 64)
        stack_cmd = [*RNNCALC, "lstm", str(stack_path), "--x-file", str(x_path)]
        single_cmd = [*RNNCALC, "lstm", str(single_path), "--x-file", str(x_path)]
        last = ["--last", "--format", "jsonl"]
        memory = {name: (peak_rss_mb([*stack_cmd, *flags]), peak_rss_mb([*single_cmd, *flags]))
                  for name, flags in (("--last", last), ("jsonl", ["-f", "jsonl"]))}
        for H in (64, 16, 128):  # the target's network, and two sizes beside it for reference
            if H != 64:
                stack_path, x_path, layers = write_stack(tmp, 20000, 8, H)
                stack_cmd = [*RNNCALC, "lstm", str(stack_path), "--x-file", str(x_path)]
            ours = statistics.median(seconds_of([*stack_cmd, *last]) for _ in range(max(3, repeat // 3)))
            reference = torch_stack_seconds(layers, x_path)
            if reference is None:
                break
            o = json.loads(subprocess.run([*stack_cmd, "--last", "-f", "json"], capture_output=True, text=True,
                                          check=True).stdout)["output"][-1]
            agree = float(np.max(np.abs(np.array(o) - reference[1])))
            rows.append(row(f"2-layer bidirectional LSTM T=20000 D=8 H={H} --last jsonl (|Δo| {agree:.0e}; "
                            "ref.: PyTorch f64 forward)", ours, reference[0], 1.0 if H == 64 else float("inf")))
            if H != 64:
                rows[-1][-1] = "(for reference)"

    header = ["scenario", "rnncalc", "reference", "PyTorch f64", "PyTorch f32", "ratio", "target"]
    table = [header] + [r if len(r) == 7 else r[:3] + ["", ""] + r[3:] for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    print(f"rnncalc benchmark: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    for r in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    fast = seconds / steps * 1_000_000 < 20
    print(f"streaming {steps:,} steps of an H = 8 LSTM as jsonl from a file: peak {rss:.0f} MB (target < 100 MB: "
          f"{'met' if rss < 100 else 'NOT met'}), {seconds:.1f} s, {seconds / steps * 1e6:.0f} µs a step "
          f"(target 10^6 steps < 20 s: {'met' if fast else 'NOT met'})")
    per_million = stdin_seconds / steps * 1e6
    print(f"the same from stdin (-x -), {steps:,} steps, each answered as it arrives: {stdin_seconds:.1f} s, "
          f"{per_million:.0f} µs a step (target 10^6 steps < 20 s: {'met' if per_million < 20 else 'NOT met'})")
    print(f"--grad --format json of the T = 200, D = 8, H = 128 LSTM: peak {grad_rss:.0f} MB (target < 400 MB: "
          f"{'met' if grad_rss < 400 else 'NOT met'})")
    held = 2 * 20000 * 2 * 64 * 8 / 1e6  # the states a bidirectional stack holds: T · 2H numbers, two layers
    for name, (stack_mb, single_mb) in memory.items():
        print(f"the 2-layer bidirectional LSTM, T = 20,000, H = 64, {name}: peak {stack_mb:.0f} MB, one direction of "
              f"its first layer alone {single_mb:.0f} MB (target < 100 MB + its states' {held:.0f} MB: "
              f"{'met' if stack_mb < 100 + held else 'NOT met'})")


if __name__ == "__main__":
    main()
