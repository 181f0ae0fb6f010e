"""Turning a Problem and its Steps into what the user reads: Rich tables, JSON, templates, equations."""

from __future__ import annotations

import json
import math
import os

import numpy as np
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .cells import ACT_SYMBOL, OPTIONS, Cell, symbolic
from .problem import Problem

# Styles, named once.
TITLE = "bold"
QUANTITY = "bold cyan"
EQUATION = "green"
DIM = "dim"
ROUNDED = "bold magenta"
WARN = "bold yellow"
BAD = "bold red"

LARGE = 16  # arrays with more entries are summarised in the header
PIPE_WIDTH = 120


def make_console(file=None, no_color=False, width=None) -> Console:
    """The one console factory: tests fix width and colour here. Output to a pipe or file is not
    wrapped at 80 columns but at PIPE_WIDTH, unless COLUMNS says otherwise."""
    console = Console(file=file, no_color=no_color, width=width, highlight=False)
    if width is None and not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    return console


# ---------------------------------------------------------------- numbers

def fmt_number(v: float, digits: int) -> str:
    """v to `digits` decimals, never "-0"; trailing zeros are dropped only when v is exactly the
    short number shown, so "1" means exactly one and "1.0000" means one after rounding."""
    if not math.isfinite(v):
        return str(v)
    if v != 0 and abs(v) >= 1e12:
        return f"{v:.{digits}e}"
    text = f"{v:.{digits}f}"
    if "." in text and float(text) == v:
        text = text.rstrip("0").rstrip(".")
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_array(a, digits: int) -> str:
    """A scalar-sized array as a number, a vector as [a, b], a matrix as [[a, b], [c, d]]."""
    a = np.asarray(a, dtype=float)
    if a.size == 1:
        return fmt_number(float(a.reshape(())), digits)
    if a.ndim == 1:
        return "[" + ", ".join(fmt_number(float(v), digits) for v in a) + "]"
    return "[" + ", ".join(fmt_array(row, digits) for row in a) + "]"


# ---------------------------------------------------------------- table

def header(problem: Problem, digits: int) -> Panel:
    """The cell, its sizes, the rounding and every parameter in force, with where each came from."""
    cell, sizes = problem.cell, problem.sizes
    facts = [f"[{TITLE}]{cell.title}[/]", "  ".join(f"{d} = {n}" for d, n in sizes.items()),
             f"T = {len(problem.xs)}", describe_rounding(problem)]
    if problem.source:
        facts.append(f"file {problem.source}")
    facts += [f"{key} {value if isinstance(value, str) else ' '.join(value)}" for key, value in cell.options.items()]
    params = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("parameter", "shape", "value", "from"):
        params.add_column(column, style=QUANTITY if column == "parameter" else None)
    for name, value in (*problem.params.items(),
                        *((s.init_key, problem.init[s.name]) for s in cell.states)):
        origin = problem.origins[name]
        if problem.source:
            origin = origin.replace(problem.source, "file")
        shown = fmt_array(value, digits) if value.size <= LARGE else f"{value.size} numbers"
        params.add_row(name, "×".join(map(str, value.shape)), shown,
                       Text(origin, style=DIM if origin.startswith("default") else ""))
    return Panel(Group(Text.from_markup("   ".join(facts)), params), title="rnncalc", title_align="left",
                 box=box.ROUNDED, expand=False)


def describe_rounding(problem: Problem) -> str:
    r = problem.rounding
    if not r.active:
        return "no rounding"
    parts = [f"σ {r.sigmoid}", f"tanh {r.tanh}"]
    if r.state:
        parts.append(f"{problem.cell.visible} to nearest integer")
    return "rounding: " + ", ".join(parts)


def step_table(problem: Problem, step, digits: int) -> Table:
    """Every quantity of one step in computation order: equation, numbers, pre-activation, value."""
    cell = problem.cell
    rounded = problem.rounding.active
    fmt = lambda a: fmt_array(a, digits)  # noqa: E731

    def operand(a):
        text = fmt(a)
        return f"({text})" if text.startswith("-") else text
    table = Table(title=f"step t = {step.t}   x_t = {fmt(step.x)}", title_justify="left",
                  title_style=TITLE, box=box.SIMPLE_HEAD)
    table.add_column("", style=QUANTITY, no_wrap=True)
    table.add_column("equation, then with numbers")
    table.add_column("pre-act.", justify="right")
    table.add_column("value", justify="right")
    if rounded:
        table.add_column("rounded", justify="right", style=ROUNDED)
    v = step.values
    for eq in cell.equations:
        subst = eq.expr.subst(step.env, operand)
        if eq.act is not None:
            subst = f"{ACT_SYMBOL[eq.act]}({subst})"
        equation = Text(eq.rhs(cell), style=EQUATION)
        equation.append(f"\n= {subst}", style="")
        pre = fmt(v[f"{eq.name}_pre"]) if eq.records_pre else ""
        exact_key = f"{eq.name}_exact"
        row = [eq.symbol, equation, pre, fmt(v.get(exact_key, v[eq.name]))]
        if rounded:
            mark = Text(fmt(v[eq.name]) if exact_key in v else "")
            if eq.name in step.ties:
                mark.append(" tie", style=WARN)
            row.append(mark)
        table.add_row(*row)
    return table


def final_line(problem: Problem, state: dict, digits: int) -> Text:
    parts = [f"{name}_T = {fmt_array(value, digits)}" for name, value in state.items()]
    return Text("final: " + "   ".join(parts), style=TITLE)


# ---------------------------------------------------------------- JSON

def _floats(a):
    return [float(v) + 0.0 for v in np.ravel(a)]  # + 0.0 turns -0.0 into 0.0


def json_document(problem: Problem, steps, final: dict) -> dict:
    """The whole run as one JSON-ready dict; every quantity a list of floats at full precision."""
    cell, r = problem.cell, problem.rounding
    doc = {"cell": cell.name, "hidden_size": problem.sizes["H"], "input_size": problem.sizes["D"]}
    if "K" in problem.sizes:
        doc["output_size"] = problem.sizes["K"]
    doc.update({k: v for k, v in cell.options.items()})
    doc["rounding"] = {"sigmoid": r.sigmoid, "tanh": r.tanh, "state": "nearest" if r.state else "none"}
    doc["steps"] = [json_step(problem, s) for s in steps]
    doc["final"] = {name: _floats(value) for name, value in final.items()}
    return doc


def json_step(problem: Problem, step) -> dict:
    record = {"t": step.t, "x": _floats(step.x)}
    record.update((k, _floats(v)) for k, v in step.values.items())
    if problem.rounding.active:
        record["ties"] = list(step.ties)
    return record


def dumps(doc: dict) -> str:
    """One top-level key per line and one step per line: valid JSON that a person can scan."""
    def one(value):
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    lines = []
    for key, value in doc.items():
        if key == "steps":
            body = ",\n".join(f"    {one(step)}" for step in value)
            lines.append(f'  "steps": [\n{body}\n  ]')
        else:
            lines.append(f"  {one(key)}: {one(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


# ---------------------------------------------------------------- templates and equations

def yaml_template(cell: Cell, sizes: dict) -> str:
    """A commented YAML problem for the cell with every key at its shape, zeros throughout."""
    h, d = sizes["H"], sizes["D"]
    lines = [f"# rnncalc {cell.name}: {cell.title}, hidden size H = {h}, input size D = {d}.",
             f"# Run it with: rnncalc {cell.name} FILE   (flags override these keys)",
             "#"]
    lines += [f"#   {eq.text(cell)}" for eq in cell.equations if not eq.is_squash]
    lines += ["#", f"# Instead of the pairs below, a weight may be given concatenated, acting on [state; x]:"]
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
              "round_state: false  # round the visible state to the nearest integer every step"]
    for key, choices in OPTIONS[cell.name].items():
        lines.append(f"{key}: {cell.options.get(key, choices[0])}  # {' | '.join(choices)}")
    if cell.name == "lstm":
        lines.append("# Optional peephole weights (H,), each adding P ⊙ c to its gate: P_f, P_i on c_{t-1}, P_o on c_t:")
        lines.append(f"# P_f: {_yaml_zeros((h,))}")
    lines += ["# Optional output layer y_t = softmax(W_y v_t + b_y), v the visible state:",
              "# W_y: [[0, ...]]  # (K, H)", "# b_y: [0, ...]     # (K,)", "# output: softmax  # softmax | sigmoid | linear"]
    return "\n".join(lines) + "\n"


def _yaml_zeros(shape):
    if len(shape) == 1:
        return "[" + ", ".join(["0"] * shape[0]) + "]"
    return "[" + ", ".join(_yaml_zeros(shape[1:]) for _ in range(shape[0])) + "]"


def equations_panel(cell: Cell) -> Panel:
    """The cell's equations in computation order and its parameters with their shapes."""
    eqs = Table(box=None, show_header=False, pad_edge=False)
    eqs.add_column(style=EQUATION)
    eqs.add_column(style=DIM)
    for eq in cell.equations:
        if not eq.is_squash:
            eqs.add_row(eq.text(cell), eq.doc)
    params = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("parameter", "shape", "role"):
        params.add_column(column, style=QUANTITY if column == "parameter" else None)
    for spec in cell.params:
        params.add_row(spec.name, symbolic(spec.shape), spec.doc)
    for s in cell.states:
        params.add_row(s.init_key, "(H,)", f"initial {s.doc} {s.name}_0, 0 by default")
    notes = [f"{name} = [{a} {b}], shape (H, H+D), may replace {a} and {b}"
             for name, (a, b) in cell.concatenated.items()]
    return Panel(Group(eqs, Text(""), params, Text("\n".join(notes), style=DIM)),
                 title=f"{cell.name}: {cell.title}", title_align="left", expand=False)
