"""The machine-readable writers: --format json, jsonl and csv, and -q. Every number is written as orjson
writes it (exacttext), the shortest text that reads back as the same float64; a block of steps at a time.

Each is a writer with three calls: start(problem), step(step, checks) for every step shown, finish(summary);
write_rows(block, rows, ties) takes the steps shown of a block at once.
"""

from __future__ import annotations

import numpy as np

from .exacttext import BlockRows, dump, dump_array, exact_lines, number_list


def floats(a):
    """An array as a flat list of Python floats; + 0.0 turns -0.0 into 0.0."""
    return (np.ravel(a) + 0.0).tolist()


def selected_keys(step, only):
    return [k for k in step.values if only is None or k in only]


def record(problem, step, only=None) -> dict:
    """One step as JSON-ready data: t, x, then every quantity (or those in `only`)."""
    rec = {"t": step.t}
    if only is None or "x" in only:
        rec["x"] = floats(step.x)
    rec.update((k, floats(step.values[k])) for k in selected_keys(step, only))
    if problem.rounding.active and only is None:
        rec["ties"] = list(step.ties)
    return rec


def nested(a):
    """An array as nested lists of Python floats of its shape; -0.0 becomes 0.0."""
    return (np.asarray(a, dtype=float) + 0.0).tolist()


def gradient_record(problem, summary, lists=True) -> dict:
    """--grad as JSON-ready data: L; dL/dθ for each parameter as the input named it (a concatenated W_f as
    the block [dL/dW_fh dL/dW_fx]) and for each initial state; the step records of the steps shown, in time
    order; and ‖∂v_T/∂v_t‖₂ for t = 1..T. With lists=False the gradients stay arrays (dump_array writes one
    a block of rows at a time: a 2048×2048 matrix as nested lists takes 130 MB)."""
    grads = summary.gradients
    shown = set(summary.shown)
    return {
        "loss": grads.loss + 0.0,  # −0.0 (xent of certain classes: −Σ 0) written 0.0
        "grad": {name: nested(g) if lists else g
                 for name, g in {**problem.as_given(grads.params), **grads.init}.items()},
        "backward": [{"t": r.t, **{k: floats(v) for k, v in r.values.items()}} for r in grads.steps if r.t in shown],
        "jacobian_norms": floats(grads.jacobian_norms),
        **{f"jacobian_norms_{s}": floats(norms) for s, norms in grads.state_norms.items()},
    }


def pin_records(cell) -> list:
    """Each pin as JSON-ready data: the quantity, the steps it holds at as given (null: every step), its value."""
    return [{"name": p.name, "steps": p.steps or None, "value": [v + 0.0 for v in p.value]} for p in cell.pins]


def check_records(checks) -> list:
    return [{"name": c.name, "t": c.t, "expected": floats(c.expected), "actual": floats(c.actual), "ok": c.ok}
            for c in checks]


def json_document(problem, steps, summary, lists=True) -> dict:
    """The run as the --format json document: its facts, the steps shown (their records, or JsonWriter's text
    of them, a line a step), the final state, with --grad the loss and gradients (as arrays with lists=False),
    and the checks."""
    r = problem.rounding
    doc = {"cell": problem.cell.name, "hidden_size": problem.sizes["H"],
           **({"proj_size": problem.sizes["P"]} if "P" in problem.sizes else {}), "input_size": problem.sizes["D"]}
    if "K" in problem.sizes:
        doc["output_size"] = problem.sizes["K"]
    doc.update(problem.cell.options)
    doc["rounding"] = {"sigmoid": r.sigmoid, "tanh": r.tanh, "state": "nearest" if r.state else "none"}
    if problem.cell.pins:
        doc["pins"] = pin_records(problem.cell)
    doc["steps"] = steps
    doc["final"] = {name: floats(value) for name, value in summary.final.items()}
    if summary.gradients is not None:
        doc.update(gradient_record(problem, summary, lists))
    if summary.checks:
        doc["expect"] = check_records(summary.checks)
    return doc


def step_lines(problem, only, prefix="") -> BlockRows:
    """Each step as a JSON object on a line of its own, as record() makes it; prefix: fields before "t"."""
    ties = problem.rounding.active and only is None

    def line(names, sizes):
        fields = ['"t": %d', *(f"{dump(name)}: [%s]" for name in names), *['"ties": %s'] * ties]
        return "{" + prefix.replace("%", "%%") + ", ".join(fields) + "}\n"
    return BlockRows(only, line, ", ", ties)


def csv_header(names, sizes, first=("t",)) -> str:
    """The CSV header: first, then each quantity's components, h[0], h[1]."""
    return ",".join([*first, *(f"{k}[{i}]" for k, n in zip(names, sizes) for i in range(n))]) + "\n"


def json_items(text, indent) -> str:
    """Lines of JSON objects (a step a line) as the items of a JSON list, each on a line of its own."""
    return indent + text[:-1].replace("\n", ",\n" + indent)


class JsonWriter:
    """One document: the run's facts, every step shown, the final state, the checks."""

    def __init__(self, out, view):
        self.out, self.view, self.steps = out, view, []

    def start(self, problem):
        self.problem = problem
        self.lines = step_lines(problem, self.view.only)

    def step(self, step, checks):
        self.steps.append(dump(record(self.problem, step, self.view.only)) + "\n")

    def write_rows(self, block, rows, ties):
        self.steps.append(self.lines.text(block, rows, ties))

    def finish(self, summary):
        doc = json_document(self.problem, "".join(self.steps), summary, lists=False)
        write = self.out.write
        for n, (key, value) in enumerate(doc.items()):
            write("{\n" if n == 0 else ",\n")
            if key == "steps":
                write(f'  "steps": [\n{json_items(value, "    ")}\n  ]' if value else '  "steps": []')
            elif key in ("expect", "backward") and value:
                body = ",\n".join(f"    {dump(item)}" for item in value)
                write(f'  "{key}": [\n{body}\n  ]')
            elif key == "grad":  # a gradient at a time: the largest is 2048×2048
                write(f'  "{key}": {{\n')
                for m, (name, g) in enumerate(value.items()):
                    write((",\n" if m else "") + f"    {dump(name)}: {dump_array(g)}")
                write("\n  }")
            else:
                write(f"  {dump(key)}: {dump(value)}")
        write("\n}\n")


class JsonlWriter:
    """One JSON object per step, written as the step is computed; prefix: fields before "t" (a stack's
    "layer": 1, "direction": "forward", )."""

    def __init__(self, out, view, prefix=""):
        self.out, self.view, self.text, self.prefix = out, view, None, prefix

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        self.out.write("{" + self.prefix + dump(record(self.problem, step, self.view.only))[1:] + "\n")
        self.out.flush()

    def write_rows(self, block, rows, ties):
        if self.text is None:
            self.text = step_lines(self.problem, self.view.only, self.prefix)
        if rows:
            self.out.write(self.text.text(block, rows, ties))
            self.out.flush()

    def finish(self, summary):
        pass


def csv_line(names, sizes) -> str:
    """A CSV row's template: t, then a group of numbers for each quantity."""
    return ",".join(["%d", *["%s"] * len(names)]) + "\n"


class CsvWriter:
    """A header row, then one row per step; vector components as h[0], h[1]; the numbers of a row as orjson
    writes them, comma-separated. line(names, sizes): the rows' template (csv_line); header: whether to write
    the header row (a stack writes one for all its layers)."""

    def __init__(self, out, view, line=csv_line, header=True):
        self.out, self.view, self.line, self.header = out, view, line, header
        self.keys, self.text = None, None

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        rec = record(self.problem, step, self.view.only)
        rec.pop("ties", None)
        names = [k for k in rec if k != "t"]
        sizes = [len(rec[k]) for k in names]
        if self.keys is None:
            self.keys = names
            self.out.write(csv_header(names, sizes) if self.header else "")
        self.out.write(self.line(names, sizes) % (step.t, *(number_list(rec[k], ",")[1:-1] for k in names)))
        self.out.flush()

    def write_rows(self, block, rows, ties):
        if not rows:
            return
        if self.text is None:
            self.text = BlockRows(self.view.only, self.line, ",")
        text = self.text.text(block, rows)
        if self.keys is None:
            self.keys = self.text.names
            text = (csv_header(self.text.names, self.text.sizes) if self.header else "") + text
        self.out.write(text)
        self.out.flush()

    def finish(self, summary):
        pass


class QuietWriter:
    """The final step's visible state (or the quantities --only names, in its order), one number a
    line, each the shortest text that reads back as the same float64, without ".0" on a whole number: for
    $(...)."""

    def __init__(self, out, view):
        self.out, self.view, self.last = out, view, None

    def start(self, problem):
        self.names = self.view.only or (problem.cell.visible,)

    def step(self, step, checks):
        self.last = step

    def finish(self, summary):
        values = {"x": self.last.x, **self.last.values, **summary.final}
        self.out.write("".join(exact_lines(values[name]) for name in self.names))


WRITERS = {"json": JsonWriter, "jsonl": JsonlWriter, "csv": CsvWriter}
