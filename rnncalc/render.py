"""Everything Rich draws: the trace's header and step tables, the check summary, the equations page."""

from __future__ import annotations

import os

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Span, Text

from .errors import InputError
from .cells import ACT_SYMBOL, Cell, symbolic
from .formats import fmt_array, fmt_norm, fmt_norm2, header_facts, parameter_rows, substituted
from .problem import Problem
from .text import printable, spelled

# Styles, named once.
TITLE = "bold"
QUANTITY = "bold cyan"
EQUATION = "green"
DIM = "dim"
ROUNDED = "bold magenta"
WARN = "bold yellow"
BAD = "bold red"
GOOD = "bold green"
GRADIENT = "bold blue"  # the ∂L/∂· symbols of the backward pass
BAR = "blue"  # the bars of the gradient's journey; their length, not their colour, carries the number

LARGE = 16  # arrays with more entries are summarised in the header
LARGE_GRADIENT = 256  # a weight's gradient with more entries (16×16) is summarised in the backward tables
BAR_WIDTH = 40  # characters of the longest bar in the gradient's journey
BAR_DECADES = 6  # the journey's log scale spans at least this many powers of ten
JOURNEY_ROWS = 60  # a longer run's journey shows every k-th step, so at most this many rows
BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a character cell
PIPE_WIDTH = 120
MIN_WIDTH = 60  # narrower terminals (COLUMNS=12) get this width and wrap the lines themselves


def html(renderables, width=PIPE_WIDTH) -> str:
    """The renderables as an HTML fragment in the terminal's colours: what a notebook shows."""
    import io

    console = Console(file=io.StringIO(), width=width, record=True, force_terminal=True, color_system="truecolor",
                      force_jupyter=False, highlight=False, markup=False, emoji=False)  # in a kernel: not shown itself
    for item in renderables:
        console.print(item)
    return console.export_html(inline_styles=True, code_format='<pre style="font-family:monospace">{code}</pre>')


class _Console(Console):
    """A console that, on a stream without the notation's symbols (PYTHONIOENCODING=ascii), spells each
    text in ASCII before drawing it, so that the columns of a table still line up."""

    def print(self, *objects, **kw):
        if not self.encoding.startswith("utf"):
            objects = [_spelled_tree(o) for o in objects]  # before the tables measure their columns
        super().print(*objects, **kw)

    def render(self, renderable, options=None):
        if not self.encoding.startswith("utf"):
            renderable = _spelled_tree(renderable)
        return super().render(renderable, options)


def _spelled_tree(obj):
    """A renderable of ours with every text in it spelled in ASCII."""
    if isinstance(obj, str):
        return "".join(spelled(obj))
    if isinstance(obj, Text):
        return ascii_text(obj) if not obj.plain.isascii() else obj
    if isinstance(obj, Table):
        obj.title, obj.caption = _spelled_tree(obj.title), _spelled_tree(obj.caption)
        for column in obj.columns:
            column.header = _spelled_tree(column.header)
            column._cells = [_spelled_tree(cell) for cell in column._cells]
    elif isinstance(obj, Panel):
        obj.renderable, obj.title = _spelled_tree(obj.renderable), _spelled_tree(obj.title)
    elif isinstance(obj, Group):
        obj.renderables[:] = [_spelled_tree(r) for r in obj.renderables]
    return obj


def ascii_text(text: Text) -> Text:
    """text spelled in ASCII (σ → sigma), each style kept on the characters it covered."""
    pieces = spelled(text.plain)
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    shown = text.copy()
    shown.plain = "".join(pieces)
    shown.spans = [Span(starts[s.start], starts[s.end], s.style) for s in text.spans]
    return shown


def make_console(file=None, no_color=False, width=None, record=False) -> Console:
    """The one console factory: tests fix width and colour here. Output to a pipe or file is not
    wrapped at 80 columns but at PIPE_WIDTH, unless COLUMNS says otherwise; never narrower than MIN_WIDTH.
    Strings are shown as they are: no markup, no emoji codes."""
    console = _Console(file=file, no_color=no_color, color_system=None if no_color else "auto", width=width,
                       highlight=False, markup=False, emoji=False, record=record)
    if width is None and not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    console.width = max(console.width, MIN_WIDTH)
    return console


# ---------------------------------------------------------------- the trace

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
        return f"choose them with --steps {first}:{last}, or see all with {every}"

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
            self.console.print(Text(f"{last - first + 1} steps not shown, t = {first} to {last}: "
                                    f"{self.unshown(first, last)}", style=DIM))
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


# ---------------------------------------------------------------- the backward pass

def loss_formula(problem: Problem) -> str:
    """The loss --grad differentiates, as an equation: L = ½ Σ_t ‖y_t − target_t‖²."""
    loss, v = problem.loss, problem.cell.visible
    q = "y" if "K" in problem.sizes else v
    every = np.ndim(loss.target) == 2  # a target for every step, not for the final one only
    return {
        "sum": f"L = Σ_k {v}_T[k]",
        "mse": f"L = ½ Σ_t ‖{q}_t − target_t‖²" if every else f"L = ½ ‖{q}_T − target‖²",
        "dot": f"L = Σ_t ⟨target_t, {q}_t⟩" if every else f"L = ⟨target, {q}_T⟩",
        "xent": "L = −Σ_t log y_t[k_t]",
    }[loss.kind]


def backward_table(problem: Problem, record, jacobian_norm, T, came_from=None, final="T",
                   whole="--format json") -> Table:
    """One step of backpropagation through time: ∂L/∂ of each state in total, of each pre-activation and of
    x_t, with their norms; ‖∂v_T/∂v_t‖₂; and this step's part of each parameter's gradient (a large one
    counted, with where to see it whole). A layer of a stack says where its states' gradient came from
    (came_from) and which step is its last (final: "1" for a backward direction)."""
    cell, digits, t, v = problem.cell, problem.digits, record.t, problem.cell.visible
    table = Table(title=Text(f"backward step t = {t}"), title_justify="left", title_style=TITLE, box=box.SIMPLE_HEAD)
    table.add_column("", style=GRADIENT, no_wrap=True, overflow="fold")
    table.add_column("", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    table.add_column("norm ‖·‖₂", justify="right", overflow="fold")
    for key, value in record.values.items():
        if key == "dx":
            label, what = "∂L/∂x_t", "passed on to the input x_t"
        elif key.endswith("_pre"):
            eq = cell.equation(key[1:-len("_pre")])
            label = f"∂L/∂{eq.symbol.removesuffix('_t')}_pre"
            what = f"at the argument of {ACT_SYMBOL[eq.act] or eq.act} in {eq.symbol}"
        else:
            label = f"∂L/∂{key[1:]}_t"
            what = came_from or ("in total: from the loss" if t == T else f"in total: from step {t + 1} and the loss")
        table.add_row(label, what, fmt_array(value, digits), fmt_norm2(value))
    table.add_row(f"∂{v}_{final}/∂{v}_t", f"how much {v}_t still moves {v}_{final}", "", fmt_norm(jacobian_norm),
                  end_section=True)
    contributions = {name: step_part(record, name, problem.params[name].shape) for name in problem.params}
    for n, (name, g) in enumerate(problem.as_given(contributions).items()):
        table.add_row(f"∂L/∂{name}", f"step {t}'s part" if n == 0 else "", fmt_gradient(g, digits, whole), "")
    return table


def step_part(record, name, shape):
    """The step's part of ∂L/∂name, or, for a matrix fmt_gradient summarises, a stand-in of its shape that
    holds no memory (a 2048×2048 outer product is 32 MB)."""
    if len(shape) == 2 and shape[0] * shape[1] > LARGE_GRADIENT:
        return np.broadcast_to(np.nan, shape)
    return record.part(name) if name in record.factors else np.zeros(shape)  # none: only pinned quantities used it


def fmt_gradient(g, digits, whole="--format json") -> str:
    """A gradient's numbers; for a matrix of more than LARGE_GRADIENT entries, where to find them, whole
    (vectors are shown whole, as the trace shows the states)."""
    return fmt_array(g, digits) if g.ndim < 2 or g.size <= LARGE_GRADIENT else f"{g.size} numbers: see {whole}"


def whole_at(view) -> str:
    """Where a gradient the tables count is shown whole: the format that holds it, or the trace's attribute
    (view.hints == "api")."""
    return "the trace's .grad" if view.hints == "api" else "--format json"


def gradient_table(problem: Problem, grads, whole="--format json") -> Table:
    """∂L/∂θ for each parameter as the input named it (W_f given concatenated: [∂L/∂W_fh ∂L/∂W_fx]) and
    ∂L/∂ of each initial state; a large one counted, with where to see it whole."""
    digits = problem.digits
    table = Table(title=Text("the gradient of L"), title_justify="left", title_style=TITLE, box=box.SIMPLE_HEAD)
    table.add_column("", style=GRADIENT, no_wrap=True, overflow="fold")
    table.add_column("shape", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    for name, g in problem.as_given(grads.params).items():
        table.add_row(f"∂L/∂{name}", "×".join(map(str, g.shape)), fmt_gradient(g, digits, whole))
    for key, g in grads.init.items():
        table.add_row(f"∂L/∂{key[:-1]}_0", "×".join(map(str, g.shape)), fmt_array(g, digits))
    return table


def journey_chart(problem: Problem, grads, final="T") -> Table:
    """The gradient's journey back through time: for each step ‖∂L/∂v_t‖₂, ‖∂v_T/∂v_t‖₂ and a bar of the
    latter on a log scale, so a vanishing gradient shows as bars that shorten going back from t = T
    (from t = 1, final="1", for the backward direction of a bidirectional layer)."""
    v, norms = problem.cell.visible, grads.jacobian_norms
    T = len(norms)
    every = -(-T // JOURNEY_ROWS)  # ceil(T / JOURNEY_ROWS)
    low, high = log_range(norms)
    caption = (f"bars on a log scale from {power_of_ten(low)} (no bar) to {power_of_ten(high)} (full bar)"
               + (f"; every {every}th step" if every > 1 else ""))
    table = Table(title=Text("the gradient's journey back through time"), title_justify="left", title_style=TITLE,
                  caption=Text(caption), caption_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("t", justify="right", overflow="fold")
    table.add_column(f"‖∂L/∂{v}_t‖₂", justify="right", overflow="fold")
    table.add_column(f"‖∂{v}_{final}/∂{v}_t‖₂", justify="right", overflow="fold")
    table.add_column(f"log₁₀ ‖∂{v}_{final}/∂{v}_t‖₂", style=BAR, no_wrap=True, min_width=BAR_WIDTH, overflow="fold")
    others = grads.state_norms  # the LSTM's ‖∂c_T/∂c_t‖₂
    for s in others:
        table.add_column(f"‖∂{s}_{final}/∂{s}_t‖₂", justify="right", overflow="fold")
    for t in sorted({*range(1, T + 1, every), T}):
        dv = grads.steps[t - 1].values[f"d{v}"]
        table.add_row(str(t), fmt_norm2(dv), fmt_norm(norms[t - 1]), log_bar(norms[t - 1], low, high),
                      *(fmt_norm(n[t - 1]) for n in others.values()))
    return table


def log_range(norms):
    """The powers of ten the journey's scale runs between: the run's range, at least BAR_DECADES wide."""
    positive = norms[norms > 0]
    high = int(np.ceil(np.log10(positive.max()))) if positive.size else 0
    low = int(np.floor(np.log10(positive.min()))) if positive.size else high
    return min(low, high - BAR_DECADES), high


def log_bar(value, low, high) -> str:
    """A bar of BAR_WIDTH · (log₁₀ value − low) / (high − low) characters, to an eighth; none for 0."""
    if value <= 0:
        return ""
    eighths = round(8 * BAR_WIDTH * (np.log10(value) - low) / (high - low))
    full, part = divmod(max(eighths, 0), 8)
    return BLOCKS[-1] * full + (BLOCKS[part] if part else "")


def power_of_ten(k: int) -> str:
    """10 to the k, with a superscript exponent: 10⁻⁶."""
    return "10" + str(k).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def check_summary(records, width: int = 80) -> Table:
    """rnncalc check: a row a problem, with its verdict and what was checked or what went wrong. A file
    name is never cut: it wraps, keeping every character, when `width` is too narrow for it; up to half
    the room goes to it whole before the problem's name and the message wrap."""
    heading = "checked, or what went wrong"
    labels = [_check_label(r) for r in records]
    wanted = [max(4, *(len(r["file"]) for r in records)) if records else 4, max(7, *map(len, labels), 0),
              max(20, *(len(r["message"]) for r in records)) if records else 20]
    verdict_width = max(7, *(len(r["verdict"]) for r in records)) if records else 7
    room = max(18, width - 13 - verdict_width)  # less 4 columns' padding, 5 rules and the verdict column
    widths = [None] * 3
    if sum(wanted) > room:  # wrap the message and the problem's name before the file's name
        widths[0] = min(wanted[0], room // 2)
        widths[1] = min(wanted[1], max(min(7, room // 5), (room - widths[0]) // 3))
        widths[2] = room - widths[0] - widths[1]
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("file", overflow="fold", width=widths[0])
    table.add_column("problem", overflow="fold", width=widths[1])
    table.add_column("verdict", no_wrap=True, width=verdict_width if widths[2] else None)
    table.add_column(heading, overflow="fold", width=widths[2])
    for r in records:
        verdict = r["verdict"]
        style = GOOD if verdict == "pass" else BAD if verdict in ("fail", "error", "non-finite") else DIM
        table.add_row(printable(r["file"]), printable(_check_label(r)), Text(verdict, style=style),
                      printable(r["message"]))
    return table


def _check_label(record):
    """A problem's name, else its number in the file (#2); nothing for a file that could not be read."""
    if record["problem"] is not None:
        return record["problem"]
    return f"#{record['index']}" if record["index"] is not None else ""


# ---------------------------------------------------------------- equations

def equations_panel(cell: Cell) -> Panel:
    """The cell's equations in computation order and its parameters with their shapes."""
    eqs = Table(box=None, show_header=False, pad_edge=False)
    eqs.add_column(style=EQUATION, overflow="fold")
    eqs.add_column(style=DIM, overflow="fold")
    for eq in cell.equations:
        if not eq.is_squash:
            eqs.add_row(eq.text(cell), eq.doc)
    params = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("parameter", "shape", "role"):
        params.add_column(column, style=QUANTITY if column == "parameter" else None, overflow="fold")
    for spec in cell.params:
        params.add_row(spec.name, symbolic(spec.shape), spec.doc)
    for s in cell.states:
        params.add_row(s.init_key, symbolic((s.dim,)), f"initial {s.doc} {s.name}_0, 0 by default")
    notes = [f"{name} = [{a} {b}], shape {symbolic(cell.concatenated_shape(name))}, may replace {a} and {b}"
             for name, (a, b) in cell.concatenated.items()]
    notes.append(f"pin: holds {' '.join(eq.name for eq in cell.equations)} at a value, e.g. "
                 f"--pin {cell.equations[0].name}=0 or --pin {cell.equations[0].name}@2:3=0")
    return Panel(Group(eqs, Text(""), params, Text("\n".join(notes), style=DIM)),
                 title=f"{cell.name}: {cell.title}", title_align="left", expand=False)


# ---------------------------------------------------------------- --save-svg and --save-html

def save_recorded(console, view):
    """Write the recorded table as SVG and HTML as asked; a file the system refuses is bad input."""
    for flag, path in view.saves():
        content = (console.export_svg(title="rnncalc", clear=False) if flag == "--save-svg"
                   else console.export_html(clear=False))
        try:
            with open(path, "w", encoding="utf-8") as out:
                out.write(content)
        except OSError as e:
            raise InputError(f"{flag} {path}", f"cannot be written: {e.strerror or e}") from None
