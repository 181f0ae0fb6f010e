"""A stack of layers run on the engine: each direction of each layer a single-layer run, block by block.

    layer 1 reads x_t; layer l+1 reads layer l's visible states v_t,
    [v→_t; v←_t] (forward ‖ backward) when the network is bidirectional, or v→_t + v←_t, their mean or
    v→_t ⊙ v←_t (merge: sum, ave, mul, as Keras's merge_mode);
    a backward direction runs the same cell from x_T down to x_1, its "previous" state the one after x_{t+1};
    the top output o_t is the top layer's visible states, and the readout y_t = act(W_y o_t + b_y).

Each direction runs as one layer does (runner.run), so its steps, checks, final state and non-finite step
are found as for one layer, and each of its blocks goes to the writer as the engine recorded it. A stack
holds its layers' visible states, the next layer's input (T × width numbers), and per step nothing more:
a writer that wants a backward direction's steps in time order gets them by computing each block again
from the state before it, kept for each block (the same operations on the same numbers, so the same bits).
With --grad every step is kept, as for one layer.

The readout is a cell of its own (stackreadout.py), run on the engine and differentiated by backward.py with
the losses one layer uses; with --grad, backpropagation through the stack follows the run (stackbackward.py).
"""

from __future__ import annotations

import copy

import numpy as np

from . import engine, mathops, runner
from .errors import InputError
from .runner import Check
from .stackbackward import backward_stack, nonfinite_gradient
from .stackreadout import output_checks, readout_cell, readout_params, run_readout


TOP = ("output", "y")  # the top output's keys, beside each layer's quantities


def layer_view(view):
    """The view of each direction's own writer and run: --only's names of a layer's quantities (those of the top
    output left out, so possibly none)."""
    if view.only is None:
        return view
    view = copy.copy(view)
    view.only = tuple(name for name in view.only if name not in TOP)
    return view


def top_names(stack, view):
    """The top output's keys written: output, and y with an output layer; of them, those --only names."""
    names = TOP if stack.output else TOP[:1]  # y with an output layer only
    return names if view.only is None else tuple(name for name in names if name in view.only)


class Part:
    """What one direction of one layer found: its summary (final state, checks, steps shown), its steps when
    --grad keeps them, and its gradients."""
    __slots__ = ("layer", "summary", "steps", "gradients")

    def __init__(self, layer, summary, steps):
        self.layer, self.summary, self.steps, self.gradients = layer, summary, steps, None


class StackResult:
    """A stack's run: a Part for each layer and direction (in the stack's order), the top output o (T, width),
    the readout's y (T, K) or None, the checks of the top output, the readout's gradients (dL/dW_y, dL/db_y)
    and L with --grad, and broken: (label, t, key) of the first non-finite quantity, or None."""

    def __init__(self):
        self.parts, self.output, self.y, self.checks = [], None, None, []
        self.loss, self.output_grads, self.broken = None, {}, None

    @property
    def every_check(self):
        return [c for part in self.parts for c in part.summary.checks] + self.checks

    @property
    def failed(self):
        return [c for c in self.every_check if not c.ok]


class _Keep:
    """Sees each block of one direction's run: its visible states in time order, the state before each block
    (to compute a block again), and with --grad every step."""

    def __init__(self, problem, T, backward, steps, into=None):
        # (T, H), or (T, P) projected: into, the direction's columns of its layer's joined output, when given
        self.visible = np.empty((T, problem.visible_size)) if into is None else into
        self.key, self.backward, self.starts = problem.cell.visible, backward, []
        self.steps = [] if steps else None

    def __call__(self, block, good):
        self.starts.append((block.t0, block.init, len(block)))
        if good:  # the rows of t = t0 .. t0 + good − 1, or backward of t = T + 1 − t0 down
            first, last = sorted(int(t) - 1 for t in block.times[[0, good - 1]])
            values = block.values(self.key)[:good]
            self.visible[first:last + 1] = values[::-1] if self.backward else values
        if self.steps is not None:
            ties = block.ties()
            self.steps += [block.step(i, ties[i]) for i in range(good)]


def run_stack(stack, view, writer) -> StackResult:
    """Run every layer in order, each direction over its input, handing the writer each direction's steps as it
    shows them; then the top output and the readout; with --grad the backward pass. The writer's calls:
    start(stack); for each direction part(layer) -> a single layer's writer for runner.run, and done(part) once
    its steps are written; output(result); finish(result)."""
    result = StackResult()
    grad = stack.loss is not None
    if view.quiet:  # -q's --only names the top output, not a layer's quantities
        view = copy.copy(view)
        view.only = None
    _check_names(stack, view.only)
    view = layer_view(view)  # what each direction's run reads of --only
    if stack.live:
        answers = view.format in ("jsonl", "csv", "table") and not (view.quiet or view.last)
        if answers and hasattr(writer, "output_rows"):
            return _run_live(stack, view, writer, result)
        _read_whole(stack)
    xs = stack.xs
    T = len(xs)
    writer.start(stack)
    for number in sorted({layer.number for layer in stack.layers}):
        visible, directions = [], stack.directions(number)
        sizes = [layer.problem.visible_size for layer in directions]
        joined = np.empty((T, sum(sizes))) if len(directions) > 1 and stack.merge == "concat" else None
        for layer, start in zip(directions, np.cumsum([0, *sizes])):  # concat: each writes its columns of joined
            p = layer.problem
            p.xs, p.steps = xs, T
            backward = layer.direction == "backward"
            keep = _Keep(p, T, backward, grad, None if joined is None else joined[:, start:start + p.visible_size])
            part_writer = writer.part(layer)
            replay = backward and getattr(writer, "time_order", False) and getattr(part_writer, "wants_steps", True)
            summary = runner.finished(runner.runner(p, view, runner.NullWriter() if replay else part_writer,
                                                    backward=backward), keep)
            summary.checks = sorted((Check(f"{layer.label}: {c.name}", c.t, c.expected, c.actual, c.ok)
                                     for c in summary.checks), key=lambda c: c.t)
            if summary.broken is not None:
                result.broken = (layer.label, *summary.broken)
                return result
            if replay:
                _replay(p, view, part_writer, keep.starts, summary)
            part = Part(layer, summary, keep.steps)
            result.parts.append(part)
            writer.done(part)
            visible.append(keep.visible)
        xs = joined if joined is not None else \
            mathops.merge(stack.merge, *visible) if len(visible) > 1 else visible[0]  # (T, width)
    result.output = xs
    run_readout(stack, result)
    if result.broken is not None:
        return result
    result.checks = output_checks(stack, result)
    if grad:
        with np.errstate(all="ignore"):
            backward_stack(stack, result)
        result.broken = nonfinite_gradient(result)
        if result.broken is not None:
            return result
    writer.output(result)
    writer.finish(result)
    return result


def _check_names(stack, only):
    """Every name --only gives, a quantity of each layer or a key of the top output, checked before anything is
    written."""
    has = "output and y" if stack.output else "output (and y with an output layer W_y)"
    for name in only or ():
        if name in TOP and (name == "output" or stack.output):
            continue
        for layer in stack.layers:
            try:
                runner.check_names(layer.problem, (name,))
            except InputError as e:
                raise InputError("--only", f"{e.message}; the stack's top output has {has}") from None


def _read_whole(stack):
    """A stream read to its end, for a view that shows the run only then (a table, JSON, --last, -q)."""
    D = stack.layers[0].problem.sizes["D"]
    stack.xs = np.array(list(stack.xs), dtype=float).reshape(-1, D)  # (T, D)
    stack.live = False
    _check_count(stack.expect, len(stack.xs))


def _check_count(expectations, T):
    from .errors import InputError

    for e in expectations:
        if not e.final_only and len(e.values) != T:
            raise InputError(e.where, f"expected one value per step ({T}) or one for the final step; "
                                      f"found {len(e.values)}")


def _run_live(stack, view, writer, result):
    """A one-direction stack over a stream (-x -): each layer reads the one below a step at a time, so every
    line is answered, each layer's record and then the top output's, before the next is read."""
    writer.start(stack)
    rows, summaries = stack.xs, {}  # by layer's label, each Summary once its run ends
    for layer in stack.layers:
        p = layer.problem
        p.xs, p.live, p.steps = rows, True, None
        rows = _Visible(runner.runner(p, view, writer.part(layer)), p.cell.visible, summaries, layer.label)
    readout = engine.Program(readout_cell(stack.output["act"]), readout_params(stack), engine.Rounding(),
                             input_size=stack.width) if stack.output else None
    kept, t = [], 0  # the top output's rows, kept when an expected value reads them
    for o in rows:  # each row pulled from the top layer pulls one through every layer below
        t += 1
        o = np.array(o)[None]  # (1, width)
        y = readout.run(t, {"o": np.zeros(stack.width)}, o).values("y") if readout else None
        if y is not None and not np.all(np.isfinite(y)):
            result.broken = ("output", t, "y")
            return result
        if view.steps is None or t in view.steps:
            writer.output_rows([t], o, y)
        if stack.expect or not kept:
            kept.append((o[0], None if y is None else y[0]))
        else:
            kept[-1] = (o[0], None if y is None else y[0])
    broken = [label for label, summary in summaries.items() if summary.broken is not None]
    if broken:  # the layer below one that broke is not read to its end: the one that broke is named
        result.broken = (broken[0], *summaries[broken[0]].broken)
        return result
    for layer in stack.layers:
        summary = summaries[layer.label]
        summary.checks = [Check(f"{layer.label}: {c.name}", c.t, c.expected, c.actual, c.ok) for c in summary.checks]
        part = Part(layer, summary, None)
        result.parts.append(part)
        writer.done(part)
    if not kept:
        return result
    result.output = np.array([o for o, _ in kept])
    result.y = None if readout is None else np.array([y for _, y in kept])
    if stack.expect:
        _check_count(stack.expect, t)
        result.checks = output_checks(stack, result)
    writer.finish(result)
    return result


class _Visible:
    """The visible state of each step of a layer's run as it is computed, its Summary to summaries at the end;
    ready() while rows of the block computed last are left, so the layer above takes them as one block."""

    def __init__(self, run, key, summaries, label):
        self.run, self.key, self.summaries, self.label, self.left = run, key, summaries, label, 0

    def ready(self) -> bool:
        return self.left > 0

    def __iter__(self):
        while True:
            try:
                block, good = next(self.run)
            except StopIteration as stop:
                self.summaries[self.label] = stop.value
                return
            rows = block.values(self.key)[:good]
            for i, row in enumerate(rows):
                self.left = len(rows) - i - 1
                yield row


def _replay(problem, view, writer, starts, summary):
    """A backward direction's steps for a writer that wants them in time order: each block computed again from
    the state before it, the last computed first, its rows from t = 1 up; the steps shown as runner.run chose."""
    program = engine.Program(problem.cell, problem.params, problem.rounding)
    xs = problem.xs[::-1]  # the order the direction read them
    shown = set(summary.shown) if summary.shown else None
    writer.start(problem)
    for t0, init, n in reversed(starts):
        last = t0 + n - 1 == len(xs)
        rows = [n - 1] * last if shown is None and (view.last or view.quiet) else \
            [i for i in range(n - 1, -1, -1) if _shown(view, len(xs) + 1 - t0 - i, last and i == n - 1, shown)]
        if not rows:  # a block none of whose steps is shown is not computed again
            continue
        block = program.run(t0, init, np.ascontiguousarray(xs[t0 - 1:t0 - 1 + n], dtype=float))
        block.end, block.last = len(xs) + 1, last
        writer.write_rows(block, rows, block.ties())
    writer.finish(summary)


def _shown(view, t, last, shown):
    """Whether the step reading x_t is shown, as runner.run chose (shown: the t it kept, when it kept them)."""
    if shown is not None:
        return t in shown
    if view.last or view.quiet:
        return last
    if view.steps is not None:
        return t in view.steps
    return True
