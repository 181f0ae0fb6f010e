"""rnncalc as a library: trace a cell, and check problem files.

    >>> import rnncalc
    >>> t = rnncalc.trace("lstm", weights=1, h0=1, c0=1, x=[5], round="sign")
    >>> t.final["h"]
    array([1.])

Each keyword is a YAML key of a problem file; given with a file (or a mapping), it overrides the file's
key as a flag does on the command line. Bad input raises InputError with the command line's message.
"""

from __future__ import annotations

import copy
import io
import json
import os
from collections.abc import Mapping

import numpy as np

from .cells import CELLS
from .errors import InputError, NonFiniteError
from .text import clipped, printable
from .yamlevents import MAX_DEPTH, MAX_NUMBERS, Document
from .yamlio import read_document

# ---------------------------------------------------------------- trace

def trace(cell, problem=None, /, *, grad=False, **keys) -> Trace:
    """Run CELL on a problem, a YAML or .npz path or a mapping of YAML keys, with the keywords (YAML keys
    too) overriding it; grad=True adds the backward pass, as --grad does. pin={"f": 1, "i@2:3": 0} holds
    quantities at a value, as --pin does; Trace.plot() draws the run.

    Raises InputError on bad input and NonFiniteError when a result overflows. Expected values that do
    not hold do not raise: see Trace.failed.
    """
    from .problem import Flags, build
    from .runner import View
    from .yamlio import is_stack

    if not isinstance(cell, str) or cell not in CELLS:
        raise InputError("cell", f"expected one of {', '.join(CELLS)}, found {cell!r}")
    if not isinstance(grad, bool):
        raise InputError("grad", f"expected True or False, found {grad!r}")
    document = _document(problem, keys)
    flags = Flags(grad=grad)
    if is_stack(document):
        return _stack_trace(cell, document, flags)
    return _single_trace(build(cell, document, flags), View(format="json"))


def _document(problem, keys) -> Document | None:
    """The problem as a Document, the keywords put over its keys."""
    if problem is None:
        base = Document({}, "")
    elif isinstance(problem, (str, os.PathLike)):
        try:
            base = read_document(os.fspath(problem))
        except InputError as e:  # a path's newline or escape is shown as text, as on the command line
            raise InputError(printable(e.where), printable(e.message)) from None
    elif isinstance(problem, Mapping):
        base = Document({_key(key): _plain(value, _key(key)) for key, value in problem.items()}, "")
    else:
        raise InputError("problem", f"expected a path to a YAML or .npz file or a mapping of keys, "
                                    f"found {type(problem).__name__}")
    if not keys:
        return None if problem is None else base
    if not isinstance(base.data, dict):
        return base  # build says what is wrong with it
    data = {**base.data, **{_key(key): _plain(value, f"keyword {key}") for key, value in keys.items()}}
    return _Keywords(data, base.source, {k: n for k, n in base.lines.items() if k not in keys}, frozenset(keys))


class _Keywords(Document):
    """A document whose keys given as keywords are named as such in errors."""
    __slots__ = ("keywords",)

    def __init__(self, data, source: str, lines: dict, keywords: frozenset):
        super().__init__(data, source, lines)
        self.keywords = keywords

    def where(self, key):
        return f"keyword {key}" if key in self.keywords else super().where(key)


def _key(key):
    """A mapping's key, which names a YAML key: text, which shows as it is typed."""
    if not isinstance(key, str) or printable(key) != key:
        raise InputError("problem", f"expected keys that are names such as W_fh or x, found the key "
                                    f"{clipped(repr(key))}")
    return key


def _plain(value, where="problem"):
    """A value given from Python as YAML would give it: numpy scalars as numbers, tuples as lists, a
    masked array with nothing masked as its array; held to a YAML value's limits (its values, its nesting).
    A masked value is refused, not read: it is what its maker marked as no data."""
    count = 0

    def plain(value, where, depth):
        nonlocal count
        if _is_tensor(value):  # a PyTorch tensor or parameter, on any device, with or without its graph
            value = value.detach().cpu().numpy()
        elif not isinstance(value, (np.ndarray, np.generic, str, bytes, list, tuple, Mapping)) \
                and hasattr(value, "__array__"):  # anything numpy can read as an array
            value = np.asarray(value)
        if isinstance(value, np.ma.MaskedArray):  # np.ma.masked too, the masked scalar
            masked = int(np.ma.count_masked(value))
            if masked:
                raise InputError(where, f"a masked array with {masked} of {np.size(value)} values masked; rnncalc "
                                        "reads every value, so fill them (e.g. a.filled(0)) or leave them out")
            return np.ma.getdata(value)
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (list, tuple, Mapping)):
            if depth == MAX_DEPTH:
                raise InputError(where, f"lists and mappings nested more than {MAX_DEPTH} deep")
            count += len(value)
            if count > MAX_NUMBERS:
                raise InputError(where, f"holds more than {MAX_NUMBERS:,} values, the limit for one key")
        if isinstance(value, Mapping):
            return {_key(key): plain(v, f"{where} {key}", depth + 1) for key, v in value.items()}
        if isinstance(value, (list, tuple)):
            if all(type(v) in (int, float) for v in value):  # a row of numbers, as it is
                return list(value)
            return [plain(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        return value
    return plain(value, where, 0)


def _is_tensor(value) -> bool:
    return all(hasattr(value, name) for name in ("detach", "cpu", "numpy"))


class _Keeper:
    """A single layer's writer that keeps each step shown, with its checks."""

    def __init__(self):
        self.steps = []

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        self.steps.append((step, checks))

    def finish(self, summary):
        self.summary = summary

    def tables(self):
        """What the terminal's table shows: the header, the first steps and the last, the final state."""
        from .render_steps import TableWriter
        from .runner import TABLE_STEPS, Summary, View

        collected = _Collect()
        writer = TableWriter(collected, View(hints="api"))
        writer.start(self.problem)
        summary, total = self.summary, self.summary.total
        shown = [(step, checks) for step, checks in self.steps if step.t <= TABLE_STEPS or step.t == total]
        for step, checks in shown:
            writer.step(step, checks)
        writer.finish(Summary(final=summary.final, checks=summary.checks, total=total,
                              hidden=total - len(shown), shown=[step.t for step, _ in shown],
                              gradients=summary.gradients))
        return collected.items


class _StackKeeper:
    """A stack's writer that keeps each direction's steps (in the order they were computed), so that the
    run can be handed again to any stack writer (stackformats) without running it again."""
    time_order = False

    def start(self, stack):
        self.stack, self.keepers = stack, []

    def part(self, layer):
        self.keepers.append((layer, _Keeper()))
        return self.keepers[-1][1]

    def done(self, part):
        pass

    def output(self, result):
        pass

    def finish(self, result):
        self.result = result

    def replay(self, writer, shown=lambda layer, t, T: True):
        """Hand the kept run to a stack writer, each direction's steps that shown(layer, t, T) admits; each
        part's summary lists them as shown, as a run for that writer would (the backward tables read it)."""
        T = len(self.stack.xs)
        result = copy.copy(self.result)
        result.parts = []
        writer.start(self.stack)
        for (layer, keeper), part in zip(self.keepers, self.result.parts):
            steps = keeper.steps[::-1] if layer.direction == "backward" and writer.time_order else keeper.steps
            steps = [(step, checks) for step, checks in steps if shown(layer, step.t, T)]
            part = copy.copy(part)
            part.summary = copy.copy(part.summary)
            part.summary.shown = [step.t for step, _ in steps]
            result.parts.append(part)
            w = writer.part(layer)
            w.start(keeper.problem)
            for step, checks in steps:
                w.step(step, checks)
            w.finish(keeper.summary)
            writer.done(part)
        writer.output(result)
        writer.finish(result)

    def tables(self):
        """What the terminal's tables show: each direction's first steps and its final one, the top output."""
        from .runner import TABLE_STEPS, View
        from .stacktables import Tables

        collected = _Collect()
        self.replay(Tables(collected, View(hints="api")),
                    lambda layer, t, T: (t if layer.direction == "forward" else T + 1 - t) <= TABLE_STEPS
                    or t == (T if layer.direction == "forward" else 1))  # the first computed, and the last
        return collected.items


class Trace:
    """A run of a cell, or of a stack of layers: its steps, its final state and, with grad=True, its gradients.

    to_dict() is the document `rnncalc CELL ... --format json` prints; in Jupyter (or rich.print) a
    Trace shows the tables the terminal shows, the first steps and the last, every layer and direction of a
    stack, and the backward pass with grad=True; where they leave steps out, they name the attribute that
    holds them all.
    """

    def __init__(self, doc: dict, kept, title: str, total: int):
        self._doc, self._kept, self._title, self._total = doc, kept, title, total  # kept: the run, for its tables

    def to_dict(self) -> dict:
        """The --format json document, as plain Python data."""
        return json.loads(json.dumps(self._doc))

    @property
    def stacked(self) -> bool:
        return "layers" in self._doc

    @property
    def final(self) -> dict:
        """The final states by name: {"h": array([...]), "c": array([...])}; a stack's top output at t = T,
        {"output": array([...])}, and y_T with an output layer."""
        if self.stacked:
            return {"output": np.array(self._doc["output"][-1]),
                    **({"y": np.array(self._doc["y"][-1])} if "y" in self._doc else {})}
        return {name: np.array(value) for name, value in self._doc["final"].items()}

    @property
    def steps(self) -> list:
        """Each step's t and x and its quantities by their JSON keys, as numpy arrays (a single layer's)."""
        if self.stacked:
            raise AttributeError("a stack's steps are each layer's: see Trace.layers")
        return [_arrays(rec) for rec in self._doc["steps"]]

    @property
    def layers(self) -> list:
        """A stack's records of each layer and direction, as the JSON document's "layers", each step's numbers and
        the final states as numpy arrays (as in Trace.steps)."""
        return [{**layer, "steps": [_arrays(rec) for rec in layer["steps"]],
                 "final": {k: np.array(v) for k, v in layer["final"].items()}}
                for layer in self.to_dict().get("layers", [])]

    @property
    def grad(self) -> dict | None:
        """dL/dθ for each parameter as the problem named it, and for each initial state; None without grad.
        A stack's: {"layers": [{"layer", "direction", and every parameter and initial state}, ...]}, with W_y
        and b_y beside it."""
        grad = self._doc.get("grad")
        if grad is None:
            return None

        def arrays(record):
            return {k: v if k in ("layer", "direction") else np.array(v) for k, v in record.items()}
        return {k: [arrays(r) for r in v] if k == "layers" else np.array(v) for k, v in grad.items()}

    @property
    def loss(self) -> float | None:
        return self._doc.get("loss")

    @property
    def failed(self) -> list:
        """The expected values that do not hold, as the JSON document's expect records."""
        return [c for c in self._doc.get("expect", []) if not c["ok"]]

    def plot(self):
        """The run drawn as --plot draws it, a matplotlib Figure (which a notebook shows): each quantity's units
        over t, a stack's top output, with grad=True the gradient's journey. Needs pip install 'rnncalc[plot]'."""
        from .plot import figure, require

        require("Trace.plot")
        return figure(self._doc)

    def __repr__(self):
        final = "   ".join(f"{k}_T = {np.array2string(v, precision=4)}" for k, v in self.final.items())
        return f"<rnncalc.Trace {self._title}, T = {self._total}: {final}>"

    def __rich_console__(self, console, options):
        yield from self._kept.tables()

    def _repr_html_(self):
        from .render_console import html

        return html(self._kept.tables())


def _arrays(record):
    """A step's record with its numbers as numpy arrays: t (and ties) as they are."""
    return {k: v if k in ("t", "ties") else np.array(v) for k, v in record.items()}


def _single_trace(problem, view):
    from .datawriters import json_document, record
    from .runner import run

    keeper = _Keeper()
    summary = run(problem, view, keeper)
    if summary.broken is not None:
        raise NonFiniteError.at(*summary.broken)
    doc = json_document(problem, [record(problem, step) for step, _ in keeper.steps], summary)
    return Trace(doc, keeper, problem.cell.title, summary.total)


def _stack_trace(cell, document, flags):
    from .network import run_stack
    from .runner import View
    from .stack import build_stack
    from .stackdatawriters import Json

    stack = build_stack(cell, document, flags)
    keeper = _StackKeeper()
    result = run_stack(stack, View(format="json"), keeper)
    if result.broken is not None:
        label, t, key = result.broken
        raise NonFiniteError.at(t, f"{label}: {key}")
    out = io.StringIO()
    keeper.replay(Json(out, View(format="json")))
    doc = json.loads(out.getvalue())
    layers = max(layer.number for layer in stack.layers)
    title = f"{stack.cell} stack of {layers} layer{'s' * (layers > 1)}{', bidirectional' * stack.bidirectional}"
    return Trace(doc, keeper, title, len(stack.xs))


class _Collect:
    """Stands in for a console: keeps what is printed."""

    def __init__(self):
        self.items = []

    def print(self, *renderables, **_):
        self.items.extend(renderables or [""])  # print(): an empty line

    def rule(self, title="", **_):
        from rich.rule import Rule

        self.items.append(Rule(title, align="left"))


# ---------------------------------------------------------------- check

def check(paths) -> list[dict]:
    """Run every problem in the files and folders and check its expect: values: a record a problem, as
    rnncalc check --format json prints it, with file, problem (its name, or None), index (its document
    number, from 1), verdict (pass, ran, fail, error or non-finite), checked and failed (counts of values)
    and message (what was checked, or what went wrong)."""
    from .commands import check_problems

    return check_problems(paths)
