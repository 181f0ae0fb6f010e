"""rnncalc as a library: trace a cell, check problem files, and run a problem for the command line.

    >>> import rnncalc
    >>> t = rnncalc.trace("lstm", weights=1, h0=1, c0=1, x=[5], round="sign")
    >>> t.final["h"]
    array([1.])

Each keyword is a YAML key of a problem file; given with a file (or a mapping), it overrides the file's
key as a flag does on the command line. Bad input raises InputError with the command line's message.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cells import CELLS
from .errors import EXIT_EXPECTATION, EXIT_NONFINITE, EXIT_OK, InputError, NonFiniteError
from .yamlio import Document, read_document

CHECK_VERDICTS = ("pass", "ran", "fail", "error", "non-finite")


# ---------------------------------------------------------------- trace

def trace(cell, problem=None, /, *, grad=False, **keys) -> Trace:
    """Run CELL on a problem, a YAML or .npz path or a mapping of YAML keys, with the keywords (YAML keys
    too) overriding it; grad=True adds the backward pass, as --grad does.

    Raises InputError on bad input and NonFiniteError when a result overflows. Expected values that do
    not hold do not raise: see Trace.failed.
    """
    from .problem import Flags, build
    from .report import View, run
    from .stack import is_stack

    if cell not in CELLS:
        raise InputError("cell", f"expected one of {', '.join(CELLS)}, found {cell!r}")
    document = _document(problem, keys)
    flags = Flags(grad=grad)
    if is_stack(document):
        return _stack_trace(cell, document, flags)
    built = build(cell, document, flags)
    keeper = _Keeper()
    summary = run(built, View(format="json"), keeper)
    if summary.broken is not None:
        raise NonFiniteError.at(*summary.broken)
    return Trace(built, keeper.steps, summary)


def _document(problem, keys) -> Document | None:
    """The problem as a Document, the keywords put over its keys."""
    if problem is None:
        base = Document({}, "")
    elif isinstance(problem, (str, Path)):
        base = read_document(str(problem))
    elif isinstance(problem, dict):
        base = Document(dict(problem), "")
    else:
        raise InputError("problem", f"expected a path to a YAML or .npz file or a mapping of keys, "
                                    f"found {type(problem).__name__}")
    if not keys:
        return None if problem is None else base
    if not isinstance(base.data, dict):
        return base  # build says what is wrong with it
    data = {**base.data, **{key: _plain(value) for key, value in keys.items()}}
    return _Keywords(data, base.source, {k: n for k, n in base.lines.items() if k not in keys}, frozenset(keys))


@dataclass
class _Keywords(Document):
    """A document whose keys given as keywords are named as such in errors."""
    keywords: frozenset = frozenset()

    def where(self, key):
        return f"keyword {key}" if key in self.keywords else super().where(key)


def _plain(value):
    """A keyword's value as YAML would give it: numpy scalars as numbers, tuples as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _Keeper:
    """A writer that keeps each step shown, with its checks, for the Trace."""

    def __init__(self):
        self.steps = []

    def start(self, problem):
        pass

    def step(self, step, checks):
        self.steps.append((step, checks))

    def finish(self, summary):
        pass


class Trace:
    """A run of a cell: its steps, its final state and, with grad=True, its gradients.

    to_dict() is the document `rnncalc CELL ... --format json` prints; in Jupyter (or rich.print) a
    Trace shows the step tables the terminal shows.
    """

    def __init__(self, problem, steps, summary):
        from .formats import json_document, record

        self.problem, self._steps, self.summary = problem, steps, summary
        self._doc = json_document(problem, [record(problem, step) for step, _ in steps], summary)

    def to_dict(self) -> dict:
        """The --format json document, as plain Python data."""
        return json.loads(json.dumps(self._doc))

    @property
    def final(self) -> dict:
        """The final states by name: {"h": array([...]), "c": array([...])}."""
        return {name: np.array(value) for name, value in self._doc["final"].items()}

    @property
    def steps(self) -> list:
        """Each step's t and x and its quantities by their JSON keys, as numpy arrays."""
        return [{k: v if k in ("t", "ties") else np.array(v) for k, v in rec.items()} for rec in self._doc["steps"]]

    @property
    def grad(self) -> dict | None:
        """dL/dθ for each parameter as the problem named it, and for each initial state; None without grad."""
        grad = self._doc.get("grad")
        return None if grad is None else {name: np.array(g) for name, g in grad.items()}

    @property
    def loss(self) -> float | None:
        return self._doc.get("loss")

    @property
    def failed(self) -> list:
        """The expected values that do not hold, as the JSON document's expect records."""
        return [c for c in self._doc.get("expect", []) if not c["ok"]]

    def __repr__(self):
        final = "   ".join(f"{k}_T = {np.array2string(v, precision=4)}" for k, v in self.final.items())
        return f"<rnncalc.Trace {self.problem.cell.title}, T = {self.summary.total}: {final}>"

    def _renderables(self):
        """What the terminal's table shows: the header, the first steps and the last, the final state."""
        from .render import TableWriter
        from .report import TABLE_STEPS, Summary, View

        collected = _Collect()
        writer = TableWriter(collected, View())
        writer.start(self.problem)
        total = self.summary.total
        shown = [(step, checks) for step, checks in self._steps if step.t <= TABLE_STEPS or step.t == total]
        for step, checks in shown:
            writer.step(step, checks)
        summary = Summary(final=self.summary.final, checks=self.summary.checks, total=total,
                          hidden=total - len(shown), shown=[step.t for step, _ in shown],
                          gradients=self.summary.gradients)
        writer.finish(summary)
        return collected.items

    def __rich_console__(self, console, options):
        yield from self._renderables()

    def _repr_html_(self):
        return _html(self._renderables())


class _Collect:
    """Stands in for a console: keeps what is printed."""

    def __init__(self):
        self.items = []

    def print(self, *renderables, **_):
        self.items.extend(renderables)


def _html(renderables) -> str:
    from .render import make_console

    console = make_console(file=io.StringIO(), width=120, record=True)
    for item in renderables:
        console.print(item)
    return console.export_html(inline_styles=True, code_format="<pre style=\"font-family:monospace\">{code}</pre>")


class StackTrace:
    """A run of a stacked or bidirectional network; to_dict() is its --format json document."""

    def __init__(self, doc, table):
        self._doc, self._table = doc, table

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self._doc))

    @property
    def layers(self) -> list:
        return self.to_dict()["layers"]

    @property
    def final(self) -> dict:
        """The top layer's output at t = T."""
        return {"output": np.array(self._doc["output"][-1])}

    @property
    def failed(self) -> list:
        return [c for c in self._doc.get("expect", []) if not c["ok"]]

    def __rich_console__(self, console, options):
        from rich.text import Text
        yield Text(self._table)

    def _repr_html_(self):
        from rich.text import Text
        return _html([Text(self._table)])


def _stack_trace(cell, document, flags):
    from .report import View
    from .stack import build_stack
    from .stackview import report_stack

    stack = build_stack(cell, document, flags)
    texts = {}
    for form in ("json", "table"):
        out, messages = io.StringIO(), []
        if form == "table":
            from contextlib import redirect_stdout
            with redirect_stdout(out):
                status = report_stack(stack, View(no_color=True), out, messages.append)
        else:
            status = report_stack(stack, View(format="json"), out, messages.append)
        if status == 3:
            raise NonFiniteError(messages[0])
        if status == 2:
            raise InputError("", messages[0])
        texts[form] = out.getvalue()
    return StackTrace(json.loads(texts["json"]), texts["table"])


# ---------------------------------------------------------------- the command line's runs

def calculate(cell_name, file, chosen, flags, view, inputs, out, fail) -> int:
    """A cell command: check the view, read the problem file (its problem `chosen` by name or number, when
    given; a layers: file is a stack), build the problem with the flags, run it and write it to out; report
    a failure with fail(message). The exit status. inputs: (name, path) of each file read, which
    --save-svg and --save-html may not overwrite."""
    from .problem import build
    from .stack import is_stack

    check_view(view, flags.grad)
    check_saves(view, inputs)
    document = read_document(file, chosen)
    if is_stack(document):  # a layers: file, stacked or bidirectional
        from .stack import build_stack
        from .stackview import report_stack
        return report_stack(build_stack(cell_name, document, flags), view, out, fail)
    return report(build(cell_name, document, flags), view, out, fail)


def check_view(view, grad=False):
    if grad and (view.quiet or view.format not in ("table", "json")):
        other = "-q" if view.quiet else f"--format {view.format}"
        raise InputError("--grad", f"shows the backward pass as tables or as JSON (--format json); it cannot be "
                                   f"combined with {other}")
    saving = [flag for flag, path in (("--save-svg", view.save_svg), ("--save-html", view.save_html)) if path]
    if saving and (view.format != "table" or view.quiet):
        raise InputError(saving[0], "keeps the rendered table, so it needs --format table without -q")
    if view.quiet and view.format != "table":
        raise InputError("-q", f"prints only the final state; it cannot be combined with --format {view.format}")
    if view.last and view.steps is not None:
        raise InputError("--last", "--steps already chooses the steps shown; give one of them")


def _saves(view):
    return [(flag, path) for flag, path in (("--save-svg", view.save_svg), ("--save-html", view.save_html)) if path]


def check_saves(view, inputs):
    """Each --save-svg/--save-html path is a file that can be written, and neither an input nor the other
    output (through a symbolic or hard link too): refused before anything is read or written."""
    taken = [(name, path) for name, path in inputs if path not in (None, "-")]
    for flag, path in _saves(view):
        where, p = f"{flag} {path}", Path(path)
        if p.is_dir():
            raise InputError(where, "is a directory; give a file name")
        if not p.parent.is_dir():
            raise InputError(where, f"no such folder '{p.parent}'")
        if not os.access(p if p.exists() else p.parent, os.W_OK):
            raise InputError(where, "cannot be written: permission denied")
        for name, other in taken:
            if _same_file(p, Path(other)):
                raise InputError(where, f"is also the {name}; saving would overwrite it")
        taken.append((f"{flag} file", path))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet
        return a.resolve() == b.resolve()


def _save(console, view):
    """Write the recorded table as SVG and HTML as asked; a file the system refuses is bad input."""
    for flag, path in _saves(view):
        content = (console.export_svg(title="rnncalc", clear=False) if flag == "--save-svg"
                   else console.export_html(clear=False))
        try:
            with open(path, "w", encoding="utf-8") as out:
                out.write(content)
        except OSError as e:
            raise InputError(f"{flag} {path}", f"cannot be written: {e.strerror or e}") from None


def report(problem, view, out, fail) -> int:
    """Run the problem, write it to out as the view asks, report a failure with fail(message); the exit status."""
    from . import formats, report

    console = None
    if view.quiet:
        writer = formats.QuietWriter(out, view)
    elif view.format == "table":
        from . import render

        console = render.make_console(no_color=view.no_color, record=bool(view.save_svg or view.save_html))
        writer = render.TableWriter(console, view)
    else:
        writer = formats.WRITERS[view.format](out, view)
    with report.progress_bar(problem.steps) as tick:
        summary = report.run(problem, view, writer, tick)
    if console is not None:
        _save(console, view)
    if summary.broken is not None:
        fail(str(NonFiniteError.at(*summary.broken)))
        return EXIT_NONFINITE
    if summary.failed:
        first = summary.failed[0]
        fail(f"{len(summary.failed)} of {len(summary.checks)} expected values do not hold; first: "
              f"{first.describe(problem.digits, problem.atol)}")
        return EXIT_EXPECTATION
    return EXIT_OK


# ---------------------------------------------------------------- check

def check_problems(paths) -> list[dict]:
    """Run every problem in the files and folders and check its expect: values: a record a problem, as
    rnncalc check --format json prints it, with file, problem (its name, or None), index (its document
    number, from 1), verdict (pass, ran, fail, error or non-finite), checked and failed (counts of values)
    and message (what was checked, or what went wrong)."""
    return [record for file in problem_files([paths] if isinstance(paths, (str, Path)) else paths)
            for record in check_file(file)]


check = check_problems  # rnncalc.check


def problem_files(paths):
    """The files to check: each path given, a folder replaced by its YAML files, recursively, sorted."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found = sorted((f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file()),
                           key=lambda f: f.relative_to(p).parts)
            yield from (str(f) for f in found) if found else [(str(path), "is a folder with no *.yaml or *.yml files")]
        else:
            yield str(path)


def check_file(file):
    """rnncalc check's records for each problem of one file: file, problem, index, verdict, checked,
    failed, message."""
    from .problem import Flags, build
    from .report import NullWriter, View, run
    from .stack import is_stack
    from .yamlio import load_documents, read_text

    def record(problem, index, verdict, checked=0, failed=0, message=""):
        return {"file": name, "problem": problem, "index": index, "verdict": verdict, "checked": checked,
                "failed": failed, "message": message}

    if isinstance(file, tuple):  # a folder without problems
        name = file[0]
        yield record(None, None, "error", message=f"{file[0]}: {file[1]}")
        return
    name = file
    try:
        docs = load_documents(*read_text(file))
    except InputError as e:
        yield record(None, None, "error", message=str(e))
        return
    for n, doc in enumerate(docs, start=1):
        data = doc.data if isinstance(doc.data, dict) else {}
        label = None if data.get("name") is None else str(data["name"])
        try:
            cell = data.get("cell")
            if cell not in CELLS:
                raise InputError(doc.where("cell"), f"each problem names its cell ({', '.join(CELLS)}), "
                                                    f"found {cell!r}")
            if is_stack(doc):
                yield record(label, n, *_check_stack(cell, doc))
                continue
            problem = build(cell, doc, Flags())
            summary = run(problem, View(format="check"), NullWriter())
        except InputError as e:
            yield record(label, n, "error", message=str(e))
            continue
        checked, failed = len(summary.checks), len(summary.failed)
        if summary.broken is not None:
            t, key = summary.broken
            yield record(label, n, "non-finite", checked, failed, f"{key} is not finite at t = {t}")
        elif failed:
            yield record(label, n, "fail", checked, failed,
                         summary.failed[0].describe(problem.digits, problem.atol))
        elif checked:
            yield record(label, n, "pass", checked, 0, f"{checked} value{'s' * (checked != 1)} as expected")
        else:
            yield record(label, n, "ran", 0, 0, "no expect: nothing checked")


def _check_stack(cell, doc):
    """rnncalc check's verdict, checked, failed and message for a layers: problem."""
    from .problem import Flags
    from .report import View
    from .stack import build_stack
    from .stackview import report_stack

    out, messages = io.StringIO(), []
    status = report_stack(build_stack(cell, doc, Flags()), View(format="json"), out, messages.append)
    if status == EXIT_NONFINITE:
        return "non-finite", 0, 0, messages[0]
    checks = json.loads(out.getvalue()).get("expect", []) if out.getvalue() else []
    failed = sum(not c.get("ok", True) for c in checks)
    if status == EXIT_EXPECTATION:
        return "fail", len(checks), max(failed, 1), messages[0].split("first: ", 1)[-1]
    n = len(checks)
    return ("pass", n, 0, f"{n} value{'s' * (n != 1)} as expected") if n else ("ran", 0, 0, "no expect: nothing checked")
