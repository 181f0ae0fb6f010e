"""Running a problem and writing what the view asks for: the steps selected, the expected values
checked, and a non-finite result caught at the first step and quantity it appears in."""

from __future__ import annotations

import bisect
import math
import sys
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np

from . import engine
from .errors import InputError
from .reading import past_last, pins_past, step_ranges

TABLE_STEPS = 10  # a table of a long sequence shows the first TABLE_STEPS steps and the last
PROGRESS_STEPS = 2000  # runs at least this long show a progress bar on a terminal's stderr


class Selection:
    """Which steps to show: --steps 3, 10:20 (inclusive), 5:, :4 or 1,3,7.

    The ranges are kept sorted and merged into disjoint spans, so `t in selection` takes a comparison or
    two for t asked one after another (a run asks t = 1, 2, ...) and a binary search otherwise: k ranges
    over T steps cost O(k log k + T).
    """

    def __init__(self, ranges, text=""):
        self.ranges, self.text = tuple(ranges), text  # ((first, last or None), ...) as given
        spans = []
        for first, last in sorted((first, math.inf if last is None else last) for first, last in self.ranges):
            if spans and first <= spans[-1][1] + 1:
                spans[-1][1] = max(spans[-1][1], last)
            else:
                spans.append([first, last])
        self._firsts = [first for first, _ in spans]
        self._lasts = [last for _, last in spans]
        self._at = 0  # the span the last question fell in or before

    @classmethod
    def parse(cls, text: str):
        return cls(step_ranges(text), text)

    def check(self, T):
        """InputError when a step named is past T, the last: nothing would be shown for it."""
        t = past_last(self.ranges, T)
        if t is not None:
            raise InputError("--steps", f"step {t} is past the last step, T = {T}")

    def __contains__(self, t):
        firsts, at = self._firsts, self._at
        if not firsts:
            return False
        if t < firsts[at] or at + 2 < len(firsts) and firsts[at + 2] <= t:  # out of order, or a jump: search
            at = max(bisect.bisect_right(firsts, t) - 1, 0)
        elif at + 1 < len(firsts) and firsts[at + 1] <= t:
            at += 1
        self._at = at
        return firsts[at] <= t <= self._lasts[at]

    def __eq__(self, other):
        return isinstance(other, Selection) and (self.ranges, self.text) == (other.ranges, other.text)

    def __repr__(self):
        return f"Selection({self.ranges!r}, {self.text!r})"


class View(SimpleNamespace):
    """What to show and how: the command line's output options, given by keyword; the class says each
    one's default. (The records on the command line's path are plain classes: a dataclass costs every
    call its start-up.)"""
    format = "table"
    only = None  # the quantities named, in the order named
    steps = None  # a Selection
    last = False
    quiet = False
    no_color = False
    save_svg = None
    save_html = None
    header = True  # the table's header: the cell, the sizes, the parameters
    hints = "cli"  # what the table's notes point to for what it leaves out: "cli", flags; "api", a Trace's attributes
    plot = None  # --plot FILE: also draw the run (.png, .svg, .pdf)
    spelled = {}  # how the command line spelled a flag that has two spellings: {"-q": "--quiet", "--format": "-f"}

    def flag(self, name):
        """A flag as the user typed it (--quiet for -q), for messages."""
        return self.spelled.get(name, name)

    def saves(self):
        """(flag, path) for each picture of the table asked for: --save-svg, --save-html."""
        return [(flag, path) for flag, path in (("--save-svg", self.save_svg), ("--save-html", self.save_html))
                if path is not None]

    def written(self):
        """(flag, path) of every file written beside the output: the pictures of the table, and --plot's."""
        return self.saves() + ([("--plot", self.plot)] if self.plot is not None else [])


class Check:
    """An expectation at one step: the value expected, the value computed, and whether they agree."""
    __slots__ = ("name", "t", "expected", "actual", "ok")

    def __init__(self, name: str, t: int, expected, actual, ok: bool):
        self.name, self.t, self.expected, self.actual, self.ok = name, t, expected, actual, ok

    def describe(self, digits, atol=None, keys=("--digits ", "--atol")):
        """'h at t = 1 is 0.9613, expected 0.961', and the digits at which it would hold, if any, named as
        keys spells the two settings where the user gives them: flags (--digits 3, --atol), a file's
        keys (digits: 3, atol:) or the library's keywords (digits=3, atol=)."""
        from .exacttext import dump_array, fmt_exact
        from .formats import fmt_array

        def whole(a):
            return fmt_exact(a.item()) if np.size(a) == 1 else dump_array(a)
        actual, expected = fmt_array(self.actual, digits), fmt_array(self.expected, digits)
        if actual == expected:  # they differ beyond the digits shown (a tolerance was given): show them whole
            actual, expected = whole(self.actual), whole(self.expected)
        text = f"{self.name} at t = {self.t} is {actual}, expected {expected}"
        fewer = None if atol is not None else holds_at(self.actual, self.expected, digits)
        return text if fewer is None else f"{text} (holds at {keys[0]}{fewer}, or give {keys[1]})"


class Summary(SimpleNamespace):
    """What a run found, by keyword: the final states, the checks, the steps counted, shown (by t, kept for
    tables and --grad) and hidden, the (t, key) of the first non-finite quantity, the gradients with --grad."""
    total = hidden = count_shown = 0
    broken = None
    gradients = None

    def __init__(self, **given):
        super().__init__(**{"final": {}, "checks": [], "shown": [], **given})

    @property
    def failed(self):
        return [c for c in self.checks if not c.ok]


def matches(actual, expected, digits, atol):
    """Whether a value holds as expected: within atol when given, else equal once both are rounded
    to the precision the computed value is shown with (so --digits 0 checks an answer given to the
    nearest integer, and 1.2346e+12 one written as the table writes it)."""
    if atol is not None:
        return bool(np.all(np.abs(actual - expected) <= atol))
    actual, expected = np.ravel(actual), np.ravel(expected)
    return all(_as_shown(e, a, digits) == _as_shown(a, a, digits) for a, e in zip(actual, expected))


def _as_shown(v, like, digits):
    """v rounded (half to even, as the formats round) to the last decimal place that `like` shows with
    `digits`: digits decimals, or digits decimals of the mantissa where |like| ≥ 1e12 is written
    1.2346e+12; v itself when either is not finite."""
    v, like = float(v), float(like)
    if not (math.isfinite(v) and math.isfinite(like)):
        return v
    if like == 0 or abs(like) < 1e12:
        return float(f"{v:.{digits}f}")
    from decimal import ROUND_HALF_EVEN, Context, Decimal

    place = int(f"{like:.{digits}e}".rsplit("e", 1)[1]) - digits  # 1.2346e+12 at 4 digits: 10^8
    return float(Decimal(v).quantize(Decimal(1).scaleb(place), ROUND_HALF_EVEN, Context(prec=800)))


def holds_at(actual, expected, digits):
    """The most digits below `digits` at which the expected value, written to that many decimals (of the
    mantissa, where the value is shown as 1.2346e+12), holds; None when there are none. 0.9613 against
    0.961 holds at 3 digits, against 0.7 at none (0.7 is not a value written to 0 decimals, though both
    round to 1)."""
    pairs = list(zip(np.ravel(actual), np.ravel(expected)))
    for fewer in range(digits - 1, -1, -1):
        if all(_as_shown(e, a, fewer) == e for a, e in pairs) and matches(actual, expected, fewer, None):
            return fewer
    return None


def check_names(problem, only):
    """--only's names, each a quantity of the cell (or x)."""
    import difflib

    known = ["x", *problem.cell.quantities]
    known += [f"{eq.name}_exact" for eq in problem.cell.equations if problem.rounding.rounds(eq, problem.cell)]
    for name in only or ():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; the {problem.cell.name} cell has {' '.join(known)}"
            raise InputError("--only", f"no quantity '{name}'{hint}")


def run(problem, view: View, writer, progress=None, backward=False) -> Summary:
    """Run the problem, pass each step the view selects to the writer, and return the summary.

    Every view runs the same loop (engine.blocks); the steps it shows are read out of its blocks.
    A writer with a write_rows(block, indices, ties) method takes the shown steps of a block at once.
    backward: the steps run from x_T down to x_1, as a stack's backward direction reads them (problem.xs an
    array), each step's t the input it read.
    """
    return finished(runner(problem, view, writer, progress, backward))


def finished(run, each=None):
    """Drive a runner to its end, each(block, good) seeing every block it yields; its Summary."""
    while True:
        try:
            block, good = next(run)
        except StopIteration as stop:
            return stop.value
        if each is not None:
            each(block, good)


def runner(problem, view: View, writer, progress=None, backward=False):
    """run() as a generator: each block is yielded, with how many of its rows are good (all but those from a
    non-finite one on), once the writer has its steps; the Summary is its return value. A stack's layer above
    reads a layer's blocks as they come."""
    check_names(problem, view.only)
    if view.steps is not None and problem.steps is not None:
        view.steps.check(problem.steps)
    summary = Summary()
    writer.start(problem)
    # A stream from stdin (-x -) is answered a step as each line arrives, unless only the last step is
    # shown (--last, -q); a value expected at the final step is checked when the stream ends.
    live = problem.live and not view.last and not view.quiet
    default_cut = view.format == "table" and view.steps is None and not view.last and not live
    per_step = [e for e in problem.expect if not e.final_only]
    expected_steps = max((len(e.values) for e in per_step), default=0)
    grad = problem.loss is not None
    keep_shown = grad or default_cut
    wants_steps = getattr(writer, "wants_steps", True)
    recorded, block, n = [], None, 0

    def shown(t, last, count):
        """Whether the step reading x_t, the count-th computed, is shown: a table's cut keeps the first computed
        (t = 1, 2, ... forward; t = T, T − 1, ... backward), those with expected values, and the last."""
        if view.last or view.quiet:
            return last
        if view.steps is not None:
            return t in view.steps
        if default_cut:
            return last or count <= TABLE_STEPS or t <= expected_steps
        return True

    blocks = engine.blocks(problem.cell, problem.params, problem.init, problem.xs, problem.rounding,
                           live=live, backward=backward)
    for block in blocks:
        broken = block.nonfinite()
        n = len(block) if broken is None else broken[0] + 1
        times = block.times
        end = block.t0 + n - 1
        summary.total = end
        if progress is not None:
            progress(end)
        last = block.last and broken is None and n == len(block)
        ties = block.ties()
        rows = ([] if not wants_steps and not keep_shown else
                list(range(n)) if not (view.last or view.quiet or view.steps is not None or default_cut) else
                [n - 1] * last if view.last or view.quiet else
                [i for i in range(n) if shown(times[i], last and i == n - 1, block.t0 + i)])
        checks = _checks(problem, block, n, last, broken) if problem.expect else {}
        for cs in checks.values():
            summary.checks += cs
        if broken is not None and rows and rows[-1] == n - 1 and view.format not in ("table", "markdown", "latex"):
            rows.pop()  # a non-finite step is shown only in the tables, which can show it
        if grad:
            recorded += [block.step(i, ties[i]) for i in range(n)]
        if wants_steps:
            if hasattr(writer, "write_rows"):
                writer.write_rows(block, rows, ties)
            else:
                for i in rows:
                    writer.step(block.step(i, ties[i]), checks.get(i, []))
        if keep_shown:
            summary.shown += times[rows].tolist()
        summary.count_shown += len(rows)
        yield block, n if broken is None else broken[0]
        if broken is not None:
            summary.broken = (int(times[broken[0]]), broken[1])
            break
        if last:
            summary.final = block.states(n - 1)
    if live and block is not None and summary.broken is None:  # the stream ended: its final step is known
        summary.final = block.states(n - 1)
        for cs in _checks(problem, block, n, True, None, final_only=True).values():
            summary.checks += cs
    if view.steps is not None and summary.broken is None:
        view.steps.check(summary.total)  # a stream, whose T is known only now
    if problem.steps is None and summary.broken is None:
        pins_past(problem.cell, summary.total)
    for e in problem.expect:
        if not e.final_only and summary.broken is None and len(e.values) != summary.total:
            raise InputError(e.where, f"expected one value per step ({summary.total}) or one for the final "
                             f"step; found {len(e.values)}")
    if default_cut:
        summary.hidden = summary.total - summary.count_shown
    if grad and summary.broken is None:
        summary.gradients = _backward(problem, recorded)
        summary.broken = nonfinite_gradient(summary.gradients, problem.cell.visible)
    if summary.broken is None:
        writer.finish(summary)
    return summary


def _backward(problem, steps):
    """Backpropagation through time of problem.loss over every step of the run."""
    from .backward import backward

    xs = np.array([step.x for step in steps])  # (T, D): problem.xs may have been a stream, now consumed
    with np.errstate(all="ignore"):  # an overflow is reported as a non-finite gradient, as in the forward pass
        return backward(problem.cell, problem.params, problem.init, xs, steps, problem.loss,
                        every_state=problem.journey == "every")


def nonfinite_gradient(grads, v):
    """(t, key) of the first non-finite number backpropagation met, going back from t = T; else None.
    v names the visible state (h, or s).

    A step's part of dL/dθ is looked at only when dL/dθ itself is not finite: a non-finite part (inf or
    nan) makes the sum non-finite too, so finite sums mean finite parts."""
    if not np.isfinite(grads.loss):
        return len(grads.steps), "the loss L"
    from .backward import contribution

    suspects = {name for name, g in grads.params.items() if not np.all(np.isfinite(g))}
    for record, norm in zip(reversed(grads.steps), reversed(grads.jacobian_norms)):
        with np.errstate(all="ignore"):
            contributions = {f"d{name}": contribution(terms) for name, terms in record.factors.items()
                             if name in suspects}
        for key, value in {**record.values, **contributions, f"‖∂{v}_T/∂{v}_t‖₂": norm}.items():
            if not np.all(np.isfinite(value)):
                return record.t, key
    for name, value in {**grads.params, **grads.init}.items():
        if not np.all(np.isfinite(value)):
            return 1, f"d{name}"
    return None


def _checks(problem, block, n, last, broken, final_only=False):
    """{row: [Check, ...]} for the rows of the block that an expectation covers (none from a broken row on)."""
    checks = {}
    good = n if broken is None else broken[0]
    times = block.times
    for e in problem.expect:
        if final_only and not e.final_only:
            continue
        if e.final_only:
            rows = [n - 1] if last else []
        elif block.end is None:  # t = t0 + i
            rows = range(0, min(good, len(e.values) - block.t0 + 1))
        else:
            rows = [i for i in range(good) if times[i] <= len(e.values)]
        for i in rows:
            t = int(times[i])
            expected = e.values[0 if e.final_only else t - 1]
            actual = block.values(e.name)[i].copy()
            checks.setdefault(i, []).append(Check(e.name, t, expected, actual,
                                                  matches(actual, expected, problem.digits, problem.atol)))
    return dict(sorted(checks.items()))


class NullWriter:
    """Writes nothing: for rnncalc check, which only wants the verdict, and a stack's layers when --only names
    none of their quantities."""
    wants_steps = False

    def start(self, problem):
        pass

    def step(self, step, checks):
        pass

    def finish(self, summary):
        pass


@contextmanager
def progress_bar(total):
    """A callback that draws a progress bar on stderr, for a long run whose output goes to a file or
    pipe while stderr is a terminal; otherwise None. The bar is gone when the run ends."""
    terminal_stderr = sys.stderr is not None and sys.stderr.isatty()  # None: started with stderr closed
    if total is None or total < PROGRESS_STEPS or not terminal_stderr or sys.stdout.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("steps", total=total)
        yield lambda t: bar.update(task, completed=t)
