"""Plain-text output: numbers as shown, JSON, JSON lines, CSV, Markdown, LaTeX and the YAML template.

Each format is a writer with three calls: start(problem), step(step, checks) for every step shown,
finish(summary). Writers that stream print as each step arrives and keep nothing.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np

from . import mathops
from .cells import ACT_SYMBOL, CELLS, Cell, symbolic


# ---------------------------------------------------------------- numbers

APPROX = "≈"  # marks a value rounded for display when no decimals show it (--digits 0)


def fmt_number(v: float, digits: int) -> str:
    """v to `digits` decimals, never "-0"; trailing zeros are dropped only when v is exactly the
    short number shown, so "1" means exactly one and "1.0000" means one after rounding. With no
    decimals to show it, a value rounded for display is marked ≈.

    >>> fmt_number(1.0, 4), fmt_number(0.9613, 4), fmt_number(1.0, 0), fmt_number(0.9613, 0)
    ('1', '0.9613', '1', '≈1')
    >>> fmt_number(2e12, 0), fmt_number(1.5e12, 0)
    ('2e+12', '≈2e+12')
    """
    if not math.isfinite(v):
        return str(v)
    if v != 0 and abs(v) >= 1e12:
        text = f"{v:.{digits}e}"
        return APPROX + text if digits == 0 and float(text) != v else text
    text = f"{v:.{digits}f}"
    exact = float(text) == v
    if "." in text and exact:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text if exact or "." in text else APPROX + text


def fmt_exact(v: float) -> str:
    """v as the shortest text that reads back as the same float64, without ".0" on a whole number.

    >>> fmt_exact(1.0), fmt_exact(-0.0), fmt_exact(0.1 + 0.2), fmt_exact(1e16)
    ('1', '0', '0.30000000000000004', '1e+16')
    """
    text = repr(float(v) + 0.0)
    return text[:-2] if text.endswith(".0") else text


def fmt_array(a, digits: int) -> str:
    """A scalar-sized array as a number, a vector as [a, b], a matrix as [[a, b], [c, d]]."""
    a = np.asarray(a, dtype=float)
    if a.size == 1:
        return fmt_number(float(a.reshape(())), digits)
    if a.ndim == 1:
        return "[" + ", ".join(fmt_number(float(v), digits) for v in a) + "]"
    return "[" + ", ".join(fmt_array(row, digits) for row in a) + "]"


# ---------------------------------------------------------------- the header's facts

def header_facts(problem) -> list:
    """The facts the header states after the cell's title: sizes, T, rounding, file, options."""
    from .text import printable

    cell = problem.cell
    facts = ["  ".join(f"{d} = {n}" for d, n in problem.sizes.items()),
             f"T = {problem.steps if problem.steps is not None else 'streamed'}", describe_rounding(problem)]
    if problem.source:
        facts.append(f"file {printable(problem.source)}")
    facts += [f"{key} {value if isinstance(value, str) else ' '.join(value)}" for key, value in cell.options.items()
              if not (isinstance(value, str) and value in cell.title)]  # GRU (reset-before) says its variant
    return facts


def describe_rounding(problem) -> str:
    r = problem.rounding
    if not r.active:
        return "no rounding"
    parts = [f"σ {r.sigmoid}", f"tanh {r.tanh}"]
    if r.state:
        parts.append(f"{problem.cell.visible} to nearest integer")
    return "rounding: " + ", ".join(parts)


def parameter_rows(problem, large: int = 16) -> list:
    """The header's rows, (names, shape, value, from): the parameters and initial states, those of one kind
    that share their value and its source on one row; an array of more than `large` numbers is counted.
    A file's name is shown with its control characters escaped, as "file" where the facts name it."""
    import re

    from .text import printable

    rows = {}  # (kind, shape, value, origin) -> the names sharing them, in order
    for name, value in (*problem.params.items(),
                        *((s.init_key, problem.init[s.name]) for s in problem.cell.states)):
        origin = problem.origins[name]
        if problem.source:  # the file named once, in the header's facts: "file", "W_f (file)", "file weights: 1"
            named = re.fullmatch(rf"(?P<pre>\S+ \()?{re.escape(problem.source)}(?P<post>\)|"
                                 r" (?:weights|biases): .*)?", origin, re.S)
            if named and bool(named["pre"]) == (named["post"] == ")"):
                origin = f"{named['pre'] or ''}file{named['post'] or ''}"
        origin = printable(origin)
        shown = fmt_array(value, problem.digits) if value.size <= large else f"{value.size} numbers"
        rows.setdefault((_kind(name), "×".join(map(str, value.shape)), shown, origin), []).append(name)
    order = [*problem.params, *(s.init_key for s in problem.cell.states)]
    return [(name_range(names, order), shape, shown, origin) for (_, shape, shown, origin), names in rows.items()]


def name_range(names, order) -> str:
    """Names sharing one header row: "W_fh … W_cx" when they are every name of their kind (weights W_,
    biases b_, ...) from the first to the last, else each name.

    >>> name_range(["W_ss", "W_sx"], ["W_ss", "W_sx", "b_s"]), name_range(["W_a", "W_c"], ["W_a", "W_b", "W_c"])
    ('W_ss W_sx', 'W_a W_c')
    >>> name_range(["W_a", "W_b", "W_c"], ["W_a", "b_a", "W_b", "W_c"])
    'W_a … W_c'
    """
    if len(names) < 3 or len({_kind(n) for n in names}) > 1:
        return " ".join(names)
    same = [n for n in order if _kind(n) == _kind(names[0])]
    run = same[same.index(names[0]):same.index(names[-1]) + 1]
    return f"{names[0]} … {names[-1]}" if run == names else " ".join(names)


def _kind(name):
    """W (a weight), b (a bias), P (a peephole) or state (h0, c0, s0)."""
    return name.split("_")[0] if "_" in name else "state"


def final_line(summary, digits, final="T") -> str:
    """final: h_T = 1   c_T = 2 (h_1 for a stack's backward direction, which reads x_1 last)"""
    return "final: " + "   ".join(f"{name}_{final} = {fmt_array(value, digits)}"
                                   for name, value in summary.final.items())


def checks_line(summary) -> str:
    """✓ all 2 expected values hold, or ✗ 1 of 2 expected values do not hold; "" without checks."""
    failed = [c for c in summary.checks if not c.ok]
    if not summary.checks:
        return ""
    if failed:
        return f"✗ {len(failed)} of {len(summary.checks)} expected values do not hold"
    return f"✓ all {len(summary.checks)} expected values hold"


def fmt_norm(v: float) -> str:
    """A norm to 3 significant digits in scientific notation, so sizes decades apart stay readable.

    >>> fmt_norm(0.000123456), fmt_norm(1.0)
    ('1.23e-04', '1.00e+00')
    """
    return f"{v:.2e}"


def fmt_norm2(v) -> str:
    """‖v‖₂ as fmt_norm writes it, also for a finite v whose norm is beyond the float range: its decimal
    exponent is still a float, so ‖[1.5e308, 1.5e308]‖₂ = 1.5e308 √2 is written 2.12e+308, not inf.

    >>> fmt_norm2(np.array([3.0, 4.0])), fmt_norm2(np.array([1.5e308, 1.5e308])), fmt_norm2(np.array([np.inf]))
    ('5.00e+00', '2.12e+308', 'inf')
    """
    n = mathops.norm2(v)
    if not math.isinf(n) or not np.all(np.isfinite(v)):
        return fmt_norm(n)
    log10 = mathops.log10_norm2(v)
    exponent = math.floor(log10)
    mantissa = f"{10 ** (log10 - exponent):.2f}"
    if mantissa == "10.00":
        exponent, mantissa = exponent + 1, "1.00"
    return f"{mantissa}e+{exponent}"


def substituted(eq, step, digits: int, shown=None) -> str:
    """The right-hand side of eq with this step's numbers put in, negative operands in brackets;
    shown(a, digits), when given, writes an operand instead (None: as usual)."""
    def operand(a):
        text = (shown and shown(a, digits)) or fmt_array(a, digits)
        return f"({text})" if text.lstrip(APPROX).startswith("-") else text
    with np.errstate(all="ignore"):  # a product not recorded, recomputed for a non-finite step
        text = eq.expr.subst(step.env, operand)
    return f"{ACT_SYMBOL[eq.act]}({text})" if eq.act is not None else text


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
    a row at a time: a 2048×2048 matrix as nested lists takes 130 MB)."""
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
    """The run as the --format json document: its facts, the step records shown, the final state, with --grad
    the loss and gradients (as arrays with lists=False), and the checks."""
    r = problem.rounding
    doc = {"cell": problem.cell.name, "hidden_size": problem.sizes["H"], "input_size": problem.sizes["D"]}
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


def _dump(value) -> str:
    return json.dumps(value, allow_nan=False)  # non-ASCII as \u escapes: valid JSON in any encoding


def dump_array(a) -> str:
    """_dump(nested(a)), built a row at a time."""
    if np.ndim(a) < 2:
        return _dump(nested(a))
    return "[" + ", ".join(dump_array(row) for row in a) + "]"


class BlockText:
    """The steps of a block as text, one line a step, from one template: the numbers of a row are the
    block's columns in the order shown, each written by float.__repr__, the shortest text that reads
    back as the same float64 (as json.dumps writes it)."""

    def __init__(self, problem, only, line, number="%r", sep=", "):
        self.only, self.line, self.number, self.sep = only, line, number, sep
        self.rounded = problem.rounding.active and only is None
        self.program = None

    def _compile(self, block):
        """The columns and the line template, from the first block's layout."""
        self.program = block.program
        layout = block.program.layout
        self.keys = [k for k in layout if self.only is None or k in self.only]
        self.with_x = self.only is None or "x" in self.only
        self.sizes = [block.x.shape[1]] * self.with_x + [layout[k].stop - layout[k].start for k in self.keys]
        self.columns = np.concatenate([np.arange(layout[k].start, layout[k].stop) for k in self.keys]
                                      or [np.zeros(0, dtype=int)])
        self.template = self.line(["x"] * self.with_x + self.keys, self.sizes, self.number, self.sep)

    def text(self, block, rows, ties=None):
        """The lines of the given rows of the block, a few thousand numbers at a time (so memory stays small)."""
        if not rows:
            return ""
        if self.program is not block.program:
            self._compile(block)
        step = max(1, 65536 // (1 + sum(self.sizes)))
        return "".join(self._lines(block, rows[i:i + step], ties) for i in range(0, len(rows), step))

    def _lines(self, block, rows, ties):
        rows = np.asarray(rows)
        parts = [block.times[rows][:, None].astype(float)]  # (n, 1): t, written by %d
        if self.with_x:
            parts.append(block.x[rows])
        parts.append(block.data[rows][:, self.columns])
        table = (np.hstack(parts) + 0.0).tolist()  # + 0.0: -0.0 is written 0.0
        template = self.template
        if self.rounded:
            return "".join(template % (*r, _dump(ties[i])) for r, i in zip(table, rows))
        return "".join([template % tuple(r) for r in table])


def _jsonl_line(names, sizes, number, sep, prefix=""):
    fields = ['"t": %d'] + [f"{_dump(name)}: [{sep.join([number] * size)}]" for name, size in zip(names, sizes)]
    return "{" + prefix.replace("%", "%%") + ", ".join(fields) + "%s}\n"


def _csv_line(names, sizes, number, sep):
    return ",".join(["%d"] + [number] * sum(sizes)) + "\n"


# ---------------------------------------------------------------- writers

class JsonWriter:
    """One document: the run's facts, every step shown, the final state, the checks."""

    def __init__(self, out, view):
        self.out, self.view, self.steps = out, view, []

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        self.steps.append(record(self.problem, step, self.view.only))

    def finish(self, summary):
        doc = json_document(self.problem, self.steps, summary, lists=False)
        write = self.out.write
        for n, (key, value) in enumerate(doc.items()):
            write("{\n" if n == 0 else ",\n")
            if key in ("steps", "expect", "backward") and value:
                body = ",\n".join(f"    {_dump(item)}" for item in value)
                write(f'  "{key}": [\n{body}\n  ]')
            elif key == "grad":  # a gradient at a time: the largest is 2048×2048
                write(f'  "{key}": {{\n')
                for m, (name, g) in enumerate(value.items()):
                    write((",\n" if m else "") + f"    {_dump(name)}: {dump_array(g)}")
                write("\n  }")
            else:
                write(f"  {_dump(key)}: {_dump(value)}")
        write("\n}\n")


def step_lines(problem, only, prefix="") -> BlockText:
    """Each step as a JSON object on a line of its own, as record() makes it; prefix: fields before "t"."""
    rounded = problem.rounding.active and only is None
    ending = ', "ties": %s}' if rounded else "}"
    return BlockText(problem, only, lambda *a: _jsonl_line(*a, prefix=prefix).replace("%s}", ending))


class JsonlWriter:
    """One JSON object per step, written as the step is computed; prefix: fields before "t" (a stack's
    "layer": 1, "direction": "forward", )."""

    def __init__(self, out, view, prefix=""):
        self.out, self.view, self.text, self.prefix = out, view, None, prefix

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        self.out.write(_dump(record(self.problem, step, self.view.only)) + "\n")
        self.out.flush()

    def write_rows(self, block, rows, ties):
        if self.text is None:
            self.text = step_lines(self.problem, self.view.only, self.prefix)
        if rows:
            self.out.write(self.text.text(block, rows, ties))
            self.out.flush()

    def finish(self, summary):
        pass


class CsvWriter:
    """A header row, then one row per step; vector components as h[0], h[1]."""

    def __init__(self, out, view):
        self.out, self.view, self.writer, self.keys = out, view, csv.writer(out, lineterminator="\n"), None
        self.text = None

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        rec = record(self.problem, step, self.view.only)
        rec.pop("ties", None)
        if self.keys is None:
            self.keys = [k for k in rec if k != "t"]
            self.writer.writerow(["t"] + [f"{k}[{i}]" for k in self.keys for i in range(len(rec[k]))])
        self.writer.writerow([step.t] + [repr(v) for k in self.keys for v in rec[k]])
        self.out.flush()

    def write_rows(self, block, rows, ties):
        if not rows:
            return
        if self.keys is None:
            self.step(block.step(rows[0], ties[rows[0]]), [])
            rows = rows[1:]
        if self.text is None:
            self.text = BlockText(self.problem, self.view.only, _csv_line)
            self.text.rounded = False
        if rows:
            self.out.write(self.text.text(block, rows))
            self.out.flush()

    def finish(self, summary):
        pass


class QuietWriter:
    """The final step's visible state (or the quantities --only names, in its order), one number a
    line, each the shortest text that reads back as the same float64: for $(...)."""

    def __init__(self, out, view):
        self.out, self.view, self.last = out, view, None

    def start(self, problem):
        self.names = self.view.only or (problem.cell.visible,)

    def step(self, step, checks):
        self.last = step

    def finish(self, summary):
        values = {"x": self.last.x, **self.last.values, **summary.final}
        self.out.write("".join(f"{fmt_exact(v)}\n" for name in self.names for v in floats(values[name])))


class _DocumentWriter:
    """Per-step tables with the equations, for pasting into a write-up (Markdown or LaTeX)."""

    def __init__(self, out, view, final="T"):
        self.out, self.view, self.final = out, view, final

    def start(self, problem):
        self.problem = problem
        self.digits = problem.digits

    def rows(self, step, checks):
        """(symbol, equation, with numbers, pre-activation, value, rounded, check) for each row shown."""
        marks = {c.name: c for c in checks}
        v = step.values
        for eq in self.problem.cell.equations:
            if self.view.only is not None and eq.name not in self.view.only:
                continue
            exact = v.get(f"{eq.name}_exact", v[eq.name])
            pre = fmt_array(v[f"{eq.name}_pre"], self.digits) if eq.records_pre else ""
            rounded = fmt_array(v[eq.name], self.digits) if f"{eq.name}_exact" in v else ""
            check = marks.get(eq.name)
            mark = "" if check is None else ("✓" if check.ok else f"✗ expected {fmt_array(check.expected, self.digits)}")
            yield (eq.symbol, eq.rhs(self.problem.cell), substituted(eq, step, self.digits), pre,
                   fmt_array(exact, self.digits), rounded, mark)

    def finish(self, summary):
        pass


class MarkdownWriter(_DocumentWriter):
    """The header (cell, facts, parameters), a table a step, the final states and the checks' verdict."""

    def start(self, problem):
        super().start(problem)
        if not self.view.header:
            return
        self.out.write(f"**{problem.cell.title}** · " + " · ".join(header_facts(problem)) + "\n\n")
        self.out.write("| parameter | shape | value | from |\n|---|---|---|---|\n")
        for names, shape, shown, origin in parameter_rows(problem):
            cells = [f"`{names}`", shape, shown, origin]
            self.out.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")

    def finish(self, summary):
        self.out.write(f"\n**{final_line(summary, self.digits, self.final)}**\n")
        if summary.checks:
            self.out.write(f"\n{checks_line(summary)}\n")

    def step(self, step, checks):
        rows = list(self.rows(step, checks))
        extra = [i for i in (5, 6) if any(r[i] for r in rows)]  # the rounded and check columns, when used
        head = ["", "equation", "with numbers", "pre-activation", "value"] + [("rounded", "check")[i - 5] for i in extra]
        self.out.write(f"\n**Step t = {step.t}**, x_t = {fmt_array(step.x, self.digits)}\n\n")
        self.out.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
        for r in rows:
            cells = [f"`{r[0]}`", f"`{r[1]}`", f"`{r[2]}`", *r[3:5], *(r[i] for i in extra)]
            self.out.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")


LATEX_SYMBOLS = {"σ": r"\sigma", "⊙": r"\odot", "−": "-", "·": r"\cdot ", "≈": r"\approx ", "…": r"\ldots ",
                 "×": r"\times ",
                 "tanh": r"\tanh", "softmax": r"\mathrm{softmax}", "relu": r"\mathrm{relu}",
                 "✓": r"\checkmark", "✗": r"$\times$"}


def latex_text(text: str) -> str:
    """Plain text for LaTeX's text mode: its special characters escaped, σ ≈ × … ✓ ✗ as commands.

    >>> print(latex_text("file my_run.yaml: ✗ expected ≈1, 50% (σ sign)"))
    file my\\_run.yaml: $\\times$ expected $\\approx$1, 50\\% ($\\sigma$ sign)
    """
    import re

    special = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    text = re.sub(r"[\\&%$#_{}~^]", lambda m: special.get(m[0], "\\" + m[0]), text)
    for plain, tex in {"σ": r"$\sigma$", "≈": r"$\approx$", "×": r"$\times$", "…": r"\ldots{}",
                       "✓": r"$\checkmark$", "✗": r"$\times$", "−": "-", "·": r"$\cdot$", "—": "---"}.items():
        text = text.replace(plain, tex)
    return text


def latex_number(text: str) -> str:
    """A number as shown, for math mode: ≈1 (rounded for display at --digits 0) as \\approx 1."""
    return text.replace(APPROX, r"\approx ")


def latex_math(text: str) -> str:
    """Course notation as LaTeX math: W_fh -> W_{fh}, σ -> \\sigma, ⊙ -> \\odot."""
    import re

    for plain, tex in LATEX_SYMBOLS.items():
        if plain not in "✓✗":
            text = text.replace(plain, tex)
    text = re.sub("([A-Za-z])\u0303", r"\\tilde{\1}", text)  # h̃ -> \tilde{h}
    text = re.sub(r"([A-Za-z}])_([A-Za-z0-9]{2,})(?![{A-Za-z0-9])", r"\1_{\2}", text)
    return text.replace("[", r"\left[").replace("]", r"\right]")


class LatexWriter(_DocumentWriter):
    """The parameters as a table, a table a step, the final states and the checks' verdict, in ASCII
    for a document with no more than \\documentclass{article} and \\usepackage{amssymb}."""

    def start(self, problem):
        super().start(problem)
        if not self.view.header:
            return
        title = latex_text(problem.cell.title)
        facts = ", ".join(latex_text(f) for f in header_facts(problem))
        out = self.out
        out.write(f"% rnncalc: {title}\n\\begin{{table}}[h]\n\\centering\n\\caption{{{title}: {facts}}}\n")
        out.write("\\begin{tabular}{llll}\n\\hline\nparameter & shape & value & from \\\\\n\\hline\n")
        for names, shape, shown, origin in parameter_rows(problem):
            names = ", ".join(f"${latex_math(n)}$" if n != "…" else r"\ldots" for n in names.split())
            out.write(f"{names} & ${latex_math(shape)}$ & ${latex_math(shown)}$ & "
                      f"{latex_text(origin)} \\\\\n")
        out.write("\\hline\n\\end{tabular}\n\\end{table}\n")

    def finish(self, summary):
        final = ", ".join(f"${latex_math(name)}_{self.final} = {latex_math(fmt_array(value, self.digits))}$"
                          for name, value in summary.final.items())
        self.out.write(f"\n\\noindent final: {final}\n")
        if summary.checks:
            self.out.write(f"\n\\noindent {latex_text(checks_line(summary))}\n")

    def step(self, step, checks):
        rows = list(self.rows(step, checks))
        rounded = any(r[5] for r in rows)
        checked = any(r[6] for r in rows)
        cols = "lllrr" + "r" * rounded + "l" * checked
        head = ["", "equation", "with numbers", "pre-activation", "value"] + ["rounded"] * rounded + ["check"] * checked
        out = self.out
        out.write(f"\n% step t = {step.t}\n\\begin{{table}}[h]\n\\centering\n")
        out.write(f"\\caption{{Step $t = {step.t}$, $x_t = {latex_math(fmt_array(step.x, self.digits))}$}}\n")
        out.write(f"\\begin{{tabular}}{{{cols}}}\n\\hline\n" + " & ".join(head) + r" \\" + "\n\\hline\n")
        for r in rows:
            cells = [f"${latex_math(r[0])}$", f"${latex_math(r[1])}$", f"${latex_math(r[2])}$",
                     f"${latex_number(r[3])}$" if r[3] else "", f"${latex_number(r[4])}$"]
            cells += [f"${latex_number(r[5])}$" if r[5] else ""] * rounded
            if checked:
                cells.append(latex_text(r[6]))
            out.write(" & ".join(cells) + r" \\" + "\n")
        out.write("\\hline\n\\end{tabular}\n\\end{table}\n")


WRITERS = {"json": JsonWriter, "jsonl": JsonlWriter, "csv": CsvWriter, "markdown": MarkdownWriter,
           "latex": LatexWriter}


# ---------------------------------------------------------------- the YAML template

def yaml_template(cell: Cell, sizes: dict) -> str:
    """A commented YAML problem for the cell with every key at its shape, zeros throughout."""
    h, d = sizes["H"], sizes["D"]
    lines = [f"# rnncalc {cell.name}: {cell.title}, hidden size H = {h}, input size D = {d}.",
             f"# Run it with: rnncalc {cell.name} FILE   (flags override these keys)",
             "#"]
    lines += [f"#   {eq.text(cell)}" for eq in cell.equations if not eq.is_squash]
    lines.append("#")
    if cell.concatenated:
        lines.append("# Instead of the pairs below, a weight may be given concatenated, acting on [state; x]:")
        lines += [f"#   {name}: (H, H+D) = [{a} {b}]" for name, (a, b) in cell.concatenated.items()]
    lines += ["# A single number fills a whole matrix or vector.", "",
              f"cell: {cell.name}", f"hidden: {h}", f"input: {d}", ""]
    for spec in cell.params:
        shape = tuple(sizes[s] for s in spec.shape)
        value = _yaml_zeros(shape)
        lines.append(f"{spec.name}: {value}  # {symbolic(spec.shape)}: {spec.doc}")
    lines.append("")
    for s in cell.states:
        lines.append(f"{s.init_key}: {_yaml_zeros((h,))}  # (H,): initial {s.doc}, 0 if absent")
    lines.append(f"x: {_yaml_zeros((3, d)) if d > 1 else '[0, 0, 0]'}  # one entry per step, each a list of D numbers "
                 "(or a number when D = 1)")
    lines += ["", "round: none  # none | nearest | sign, or {sigmoid: sign, tanh: none}",
              "round_state: false  # round the visible state to the nearest integer every step",
              f"# pin: {{{cell.equations[0].name}: 0}}  # hold a quantity ({' '.join(eq.name for eq in cell.equations)})"
              " at a value; NAME@2:3 at those steps"]
    entry = CELLS[cell.name]
    for option in entry.options:
        lines.append(f"{option.key}: {cell.options.get(option.key, option.choices[0])}  # {' | '.join(option.choices)}")
    optional = {}
    for page in entry.pages:
        optional.update({p.name: p for p in entry(**page).params if p.name not in cell.param_names})
    if optional:
        lines.append("# Optional parameters, each used only when given:")
        lines += [f"# {p.name}: {_yaml_zeros(tuple(sizes[s] for s in p.shape))}  # {symbolic(p.shape)}: {p.doc}"
                  for p in optional.values()]
    lines += ["# Optional output layer y_t = softmax(W_y v_t + b_y), v the visible state:",
              "# W_y: [[0, ...]]  # (K, H)", "# b_y: [0, ...]     # (K,)", "# output: softmax  # softmax | sigmoid | linear"]
    return "\n".join(lines) + "\n"


def _yaml_zeros(shape):
    if len(shape) == 1:
        return "[" + ", ".join(["0"] * shape[0]) + "]"
    return "[" + ", ".join(_yaml_zeros(shape[1:]) for _ in range(shape[0])) + "]"
