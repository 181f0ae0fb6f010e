"""Everything Rich draws: the trace's header and step tables, the check summary, the equations page."""

from __future__ import annotations

import os

import numpy as np
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .cells import Cell, symbolic
from .formats import fmt_array, substituted
from .problem import Problem

# Styles, named once.
TITLE = "bold"
QUANTITY = "bold cyan"
EQUATION = "green"
DIM = "dim"
ROUNDED = "bold magenta"
WARN = "bold yellow"
BAD = "bold red"
GOOD = "bold green"

LARGE = 16  # arrays with more entries are summarised in the header
PIPE_WIDTH = 120


def make_console(file=None, no_color=False, width=None, record=False) -> Console:
    """The one console factory: tests fix width and colour here. Output to a pipe or file is not
    wrapped at 80 columns but at PIPE_WIDTH, unless COLUMNS says otherwise."""
    console = Console(file=file, no_color=no_color, color_system=None if no_color else "auto", width=width,
                      highlight=False, record=record)
    if width is None and not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    return console


# ---------------------------------------------------------------- the trace

def header(problem: Problem) -> Panel:
    """The cell, its sizes, the rounding and every parameter in force, with where each came from."""
    cell, sizes, digits = problem.cell, problem.sizes, problem.digits
    facts = [f"[{TITLE}]{cell.title}[/]", "  ".join(f"{d} = {n}" for d, n in sizes.items()),
             f"T = {problem.steps if problem.steps is not None else 'streamed'}", describe_rounding(problem)]
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


def gate_style(value) -> str:
    """A gate's value shaded by how open it is: grey when closed, bright green when open."""
    a = float(np.mean(value))
    if not 0.0 <= a <= 1.0:
        return ""
    low, high = (110, 110, 110), (40, 220, 90)
    r, g, b = (round(lo + a * (hi - lo)) for lo, hi in zip(low, high))
    return f"rgb({r},{g},{b})"


def step_table(problem: Problem, step, checks=(), only=None) -> Table:
    """Every quantity of one step in computation order: equation, numbers, pre-activation, value;
    a checked value carries ✓, or ✗ and the expected value."""
    cell, digits = problem.cell, problem.digits
    rounded = problem.rounding.active
    marks = {c.name: c for c in checks}
    table = Table(title=f"step t = {step.t}   x_t = {fmt_array(step.x, digits)}", title_justify="left",
                  title_style=TITLE, box=box.SIMPLE_HEAD)
    table.add_column("", style=QUANTITY, no_wrap=True)
    table.add_column("equation, then with numbers")
    table.add_column("pre-act.", justify="right")
    table.add_column("value", justify="right")
    if rounded:
        table.add_column("rounded", justify="right", style=ROUNDED)
    v = step.values
    for eq in cell.equations:
        if only is not None and eq.name not in only and f"{eq.name}_pre" not in only:
            continue
        equation = Text(eq.rhs(cell), style=EQUATION)
        equation.append(f"\n= {substituted(eq, step, digits)}", style="")
        pre = Text(fmt_array(v[f"{eq.name}_pre"], digits) if eq.records_pre else "")
        _mark(pre, marks.get(f"{eq.name}_pre"), digits)
        exact_key = f"{eq.name}_exact"
        value = Text(fmt_array(v.get(exact_key, v[eq.name]), digits),
                     style=gate_style(v[eq.name]) if eq.act == "sigmoid" else "")
        row = [eq.symbol, equation, pre, value]
        if rounded:
            shown = Text(fmt_array(v[eq.name], digits) if exact_key in v else "")
            if eq.name in step.ties:
                shown.append(" tie", style=WARN)
            row.append(shown)
        _mark(row[-1] if rounded and exact_key in v else value, marks.get(eq.name), digits)
        table.add_row(*row)
    return table


def _mark(text: Text, check, digits):
    if check is None:
        return
    if check.ok:
        text.append(" ✓", style=GOOD)
    else:
        text.append(f" ✗ expected {fmt_array(check.expected, digits)}", style=BAD)


class TableWriter:
    """The Rich trace: the header, a table per step shown, the final state and the checks."""
    streams = True

    def __init__(self, console, view):
        self.console, self.view = console, view

    def start(self, problem):
        self.problem = problem
        self.console.print(header(problem))

    def step(self, step, checks):
        self.console.print(step_table(self.problem, step, checks, self.view.only))

    def finish(self, summary):
        digits, console = self.problem.digits, self.console
        if summary.hidden:
            console.print(Text(f"{summary.hidden} of {summary.total} steps not shown: choose them with "
                               "--steps A:B, or see all with --format jsonl or csv", style=DIM))
        if summary.broken is None:
            parts = [f"{name}_T = {fmt_array(value, digits)}" for name, value in summary.final.items()]
            console.print(Text("final: " + "   ".join(parts), style=TITLE))
        if summary.checks:
            failed = [c for c in summary.checks if not c.ok]
            if failed:
                console.print(Text(f"✗ {len(failed)} of {len(summary.checks)} expected values do not hold",
                                   style=BAD))
            else:
                console.print(Text(f"✓ all {len(summary.checks)} expected values hold", style=GOOD))


def check_summary(rows) -> Table:
    """rnncalc check: one row per problem, with its verdict and first mismatch."""
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("file", "problem", "verdict", "first mismatch"):
        table.add_column(column)
    for file, name, verdict, detail in rows:
        style = GOOD if verdict == "pass" else BAD if verdict in ("fail", "error", "non-finite") else DIM
        table.add_row(file, name, Text(verdict, style=style), detail)
    return table


# ---------------------------------------------------------------- equations

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
