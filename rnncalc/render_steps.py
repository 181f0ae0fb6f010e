"""The trace drawn by Rich: the header of the cell and its parameters, a table a step lined up with the others, the
final state and the checks; then, with --grad, the backward pass."""

from __future__ import annotations

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .formats import fmt_array, header_facts, parameter_rows, substituted
from .problem import Problem
from .render_backward import backward_table, gradient_table, journey_chart, loss_formula, whole_at
from .render_console import BAD, DIM, EQUATION, GOOD, PIPE_WIDTH, QUANTITY, ROUNDED, TITLE, WARN
from .text import printable

LARGE = 16  # arrays with more entries are summarised in the header


def header(problem: Problem, width: int = PIPE_WIDTH) -> Panel:
    """The cell, its sizes, the rounding and every parameter in force, with where each came from; the
    facts are laid out in lines of `width` characters at most, each fact whole on one line."""
    params = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("parameter", "shape", "value", "from"):
        params.add_column(column, style=QUANTITY if column == "parameter" else None, overflow="fold")
    for names, shape, shown, origin in parameter_rows(problem, LARGE):
        params.add_row(names, shape, shown, Text(printable(origin), style=DIM if origin.startswith("default") else ""))
    for pin in problem.cell.pins:
        steps = f"at steps {pin.steps}" if pin.steps else "at every step"
        params.add_row(Text(f"{pin.name} pinned", style=WARN), str(len(pin.value)),
                       fmt_array(np.array(pin.value), problem.digits), steps)
    title = Text(problem.cell.title, style=TITLE)
    line = problem.cell.title
    for fact in header_facts(problem):
        fact = printable(fact)
        if cell_len(f"{line}   {fact}") <= width - 4:  # the panel's borders and padding
            title.append(f"   {fact}")
            line += f"   {fact}"
        else:
            title.append(f"\n{fact}")
            line = fact
    return Panel(Group(title, params), title="rnncalc", title_align="left",
                 box=box.ROUNDED, expand=False)


def gate_style(value) -> str:
    """A gate's value shaded by how open it is: grey when closed, bright green when open."""
    a = float(np.mean(value))
    if not 0.0 <= a <= 1.0:
        return ""
    low, high = (110, 110, 110), (40, 220, 90)
    r, g, b = (round(lo + a * (hi - lo)) for lo, hi in zip(low, high))
    return f"rgb({r},{g},{b})"


def step_table(problem: Problem, step, checks=(), only=None, widths=None) -> Table:
    """Every quantity of one step in computation order: equation, numbers, pre-activation, value;
    a checked value carries ✓, or ✗ and the expected value.

    widths, a list kept from step to step, gathers for each column the widest content so far and the
    width numbers in (-10, 10) would need: keep_widths gives the columns those widths, so the steps line up."""
    cell, digits = problem.cell, problem.digits
    rounded = problem.rounding.active
    marks = {c.name: c for c in checks}
    table = Table(title=f"step t = {step.t}   x_t = {fmt_array(step.x, digits)}", title_justify="left",
                  title_style=TITLE, box=box.SIMPLE_HEAD)
    table.add_column("", style=QUANTITY, no_wrap=True, overflow="fold")
    table.add_column("equation, then with numbers", overflow="fold")
    table.add_column("pre-act.", justify="right", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    if rounded:
        table.add_column("rounded", justify="right", style=ROUNDED, overflow="fold")
    v = step.values
    for eq in cell.equations:
        if only is not None and eq.name not in only and f"{eq.name}_pre" not in only:
            continue
        equation = Text(eq.rhs(cell), style=EQUATION)
        equation.append(f"\n= {substituted(eq, step, digits)}", style="")
        pre = Text(fmt_array(v[f"{eq.name}_pre"], digits) if eq.records_pre else "")
        _mark(pre, marks.get(f"{eq.name}_pre"), digits)
        exact_key = f"{eq.name}_exact"
        held = eq.name in step.pinned
        value = Text(fmt_array(v[eq.name] if held else v.get(exact_key, v[eq.name]), digits),
                     style=gate_style(v[eq.name]) if eq.act == "sigmoid" else "")
        symbol = Text(eq.symbol)
        if held:  # the pinned value passed on, and what the equation gave beside it
            symbol.append("\npinned", style=WARN)
            value.append(f"\nequation: {fmt_array(v[f'{eq.name}_unpinned'], digits)}", style=DIM)
        row = [symbol, equation, pre, value]
        if rounded:
            shown = Text(fmt_array(v[eq.name], digits) if exact_key in v and not held else "")
            if eq.name in step.ties:
                shown.append(" tie", style=WARN)
            row.append(shown)
        _mark(row[-1] if rounded and exact_key in v else value, marks.get(eq.name), digits)
        table.add_row(*row)
        if widths is not None:
            widths.extend([(0, 0)] * (len(row) - len(widths)))
            number = fmt_array(np.full(np.shape(v[eq.name]), -1 / 3), digits)
            if any(e.name == eq.name for e in problem.expect):
                number += " ✓"
            roomy = [eq.symbol, eq.rhs(cell) + "\n= " + substituted(eq, step, digits, _roomy(problem)),
                     number if eq.records_pre else "", number, number if exact_key in v else ""]
            if problem.steps == 1:  # no other step to line up with
                roomy = [""] * 5
            for i, text in enumerate(row):
                seen, room = widths[i]
                widths[i] = (max(seen, _width(text)), max(room, _width(text), _width(roomy[i])))
    return table


class Fitted:
    """A renderable laid out for the width it is finally drawn at: build(width) gives it."""

    def __init__(self, build):
        self.build = build

    def __rich_console__(self, console, options):
        yield self.build(options.max_width)


def keep_widths(table: Table, widths, room: int):
    """Give the table's columns the widths kept from earlier steps, as far as they fit in `room`
    characters: the roomy ones, else those seen so far; the equations wrap when even those do not fit."""
    if not widths:  # no row kept any (--only x: the step's x alone)
        return
    overhead = 3 * len(table.columns) + 1  # padding, rules and edges of box.SIMPLE_HEAD
    headers = [_width(Text(column.header)) for column in table.columns]
    for tier in (1, 0):
        chosen = [max(pair[tier], header) for pair, header in zip(widths, headers)]
        fits = room - overhead - chosen[0] - sum(chosen[2:])  # what the equations can have
        if fits >= chosen[1] or tier == 0 and fits >= 12:
            chosen[1] = min(chosen[1], fits)
            for column, width in zip(table.columns, chosen):
                column.min_width = width
            table.columns[1].max_width = chosen[1]  # the equations wrap, so that no number is cut short
            return


def _roomy(problem):
    """A number's text as wide as any in (-10, 10), for the quantities that change from step to step;
    the parameters, which do not, as they are."""
    params = [id(a) for a in problem.params.values()]

    def operand(a, digits):
        if id(a) in params:
            return None
        return fmt_array(np.full(np.shape(a), -1 / 3), digits)
    return operand


def _width(text) -> int:
    plain = text.plain if isinstance(text, Text) else str(text)
    return max(cell_len(line) for line in plain.split("\n"))


def _mark(text: Text, check, digits):
    if check is None:
        return
    if check.ok:
        text.append(" ✓", style=GOOD)
    else:
        text.append(f" ✗ expected {fmt_array(check.expected, digits)}", style=BAD)


class TableWriter:
    """The Rich trace: the header, a table per step shown, the final state and the checks."""

    def __init__(self, console, view, final="T", steps=".steps"):
        self.console, self.view = console, view
        self.final = final  # the t of the final step: "1" for a stack's backward direction, which reads x_1 last
        self.steps = steps  # where a Trace keeps every step of this layer

    def unshown(self, first, last) -> str:
        """Where to see the steps t = first..last that the tables leave out: the flags that choose them, or
        the trace's attribute that holds them (view.hints == "api")."""
        if self.view.hints == "api":
            return f"every step is in the trace's {self.steps}"
        every = "--format json" if self.problem.loss is not None else "--format jsonl or csv"
        chosen = f"them with --steps {first}:{last}" if last > first else f"it with --steps {first}"
        return f"choose {chosen}, or see all with {every}"

    def start(self, problem):
        self.problem = problem
        if self.view.header:
            self.console.print(Fitted(lambda width: header(problem, width)))

    def step(self, step, checks):
        backward = self.final == "1"
        # the last step shown so far; a backward direction's steps come from t = T down
        shown = getattr(self, "shown", self.problem.steps + 1 if backward else 0)
        first, last = (step.t + 1, shown - 1) if backward else (shown + 1, step.t - 1)
        if first <= last and self.view.steps is None and not self.view.last:  # a long run's cut
            hidden = f"{last - first + 1} steps not shown, t = {first} to {last}" if last > first else \
                f"1 step not shown, t = {first}"
            self.console.print(Text(f"{hidden}: {self.unshown(first, last)}", style=DIM))
            self.console.print()
        self.shown = step.t
        self.widths = getattr(self, "widths", [])
        table, widths = step_table(self.problem, step, checks, self.view.only, self.widths), list(self.widths)
        self.console.print(Fitted(lambda width: keep_widths(table, widths, width) or table))

    def finish(self, summary):
        digits, console = self.problem.digits, self.console
        if summary.broken is None:
            parts = [f"{name}_{self.final} = {fmt_array(value, digits)}" for name, value in summary.final.items()]
            console.print(Text("final: " + "   ".join(parts), style=TITLE))
        if summary.checks:
            failed = [c for c in summary.checks if not c.ok]
            if failed:
                console.print(Text(f"✗ {len(failed)} of {len(summary.checks)} expected values do not hold",
                                   style=BAD))
            else:
                console.print(Text(f"✓ all {len(summary.checks)} expected values hold", style=GOOD))
        if summary.gradients is not None:
            self.backward(summary)

    def backward(self, summary):
        """The backward pass: L, a table per step shown from t = T back, the gradient, the journey."""
        problem, grads, console = self.problem, summary.gradients, self.console
        console.print(Text(f"backward pass: {loss_formula(problem)} = {fmt_array(grads.loss, problem.digits)}",
                           style=TITLE))
        T, shown = len(grads.steps), set(summary.shown)
        for record, norm in zip(reversed(grads.steps), reversed(grads.jacobian_norms)):
            if record.t in shown:
                console.print(backward_table(problem, record, norm, T, whole=whole_at(self.view)))
        if len(shown) < T:
            console.print(Text(f"{T - len(shown)} of {T} backward steps not shown, as above", style=DIM))
        console.print(gradient_table(problem, grads, whole_at(self.view)))
        console.print(journey_chart(problem, grads))
