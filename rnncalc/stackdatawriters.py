"""A stack's run as machine-readable text: --format json (one document), jsonl and csv (a record a step of each
direction, then of the top output), and -q, each number exact."""

from __future__ import annotations

import numpy as np

from .datawriters import CsvWriter, JsonlWriter, check_records, csv_header, json_items, pin_records, record, step_lines
from .exacttext import dump, dump_array, exact_lines, number_list, row_texts
from .network import layer_view, top_names
from .runner import NullWriter
from .stackoutput import StackWriter, final_y, output_rows, step_y


class Json(StackWriter):
    """One document, written as the run goes: the stack's facts, a record per layer and direction with its
    steps (in time order) and final state, the top output, and with --grad the loss, gradients and backward
    steps; then the checks."""
    time_order = True

    def start(self, stack):
        super().start(stack)
        first = stack.layers[0].problem
        r = first.rounding
        facts = {"cell": stack.cell, "bidirectional": stack.bidirectional,
                 **({"merge": stack.merge} if stack.merge != "concat" else {}),
                 "num_layers": max(layer.number for layer in stack.layers), "input_size": first.sizes["D"],
                 "output_width": stack.width,
                 "rounding": {"sigmoid": r.sigmoid, "tanh": r.tanh, "state": "nearest" if r.state else "none"}}
        self.out.write("{\n" + "".join(f"  {dump(k)}: {dump(v)},\n" for k, v in facts.items()) + '  "layers": [\n')
        self.parts = 0

    def part(self, layer):
        return _JsonPart(self, layer)

    def output(self, result):
        write = self.out.write
        write("\n  ],\n")
        _rows(write, "output", result.output)
        if result.y is not None:
            layer = {"size": len(self.stack.output["b_y"]), "output": self.stack.output["act"],
                     **({"head": "final"} if self.stack.head == "final" else {})}
            write(f',\n  "output_layer": {dump(layer)},\n')
            _rows(write, "y", result.y)

    def finish(self, result):
        write = self.out.write
        if result.loss is not None:
            write(f',\n  "loss": {dump(result.loss)}')
            records = [{"layer": part.layer.number, "direction": part.layer.direction,
                        **{name: np.asarray(g, dtype=float) for name, g in
                           {**part.layer.problem.as_given(part.gradients.params), **part.gradients.init}.items()}}
                       for part in result.parts]
            body = ['    "layers": [\n' + ",\n".join(f"      {dump(r)}" for r in records) + "\n    ]"]
            body += [f"    {dump(name)}: {dump_array(g)}" for name, g in result.output_grads.items()]
            write(',\n  "grad": {\n' + ",\n".join(body) + "\n  }")
            items = []
            T = len(result.output)
            for part in result.parts:
                shown = set(part.summary.shown) if part.summary.shown else None
                steps = [f"      {dump({'t': rec.t, **{k: np.ravel(v) for k, v in rec.values.items()}})}"
                         for rec in part.gradients.steps if (shown is None or rec.t in shown)
                         and _json_shown(self.view, part.layer, rec.t, T)]
                head = dump({"layer": part.layer.number, "direction": part.layer.direction})[:-1]
                items.append(f'    {head}, "steps": [\n' + ",\n".join(steps) + "\n     ],\n"
                             f'     "jacobian_norms": {number_list(part.gradients.jacobian_norms)}}}')
            write(',\n  "backward": [\n' + ",\n".join(items) + "\n  ]")
        checks = result.every_check
        if checks:
            write(',\n  "expect": [\n' + ",\n".join(f"    {dump(r)}" for r in check_records(checks)) + "\n  ]")
        write("\n}\n")


def _blocks(rows, size=256):
    """rows in lists of at most size, so that no more than a block's text is held at once."""
    rows = list(rows)
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def _rows(write, key, a):
    """"key": [a row a line], written a block of rows at a time."""
    write(f'  "{key}": [\n')
    for n, rows in enumerate(_blocks(range(len(a)))):
        write((",\n" if n else "") + ",\n".join(f"    [{r}]" for r in row_texts(a[rows], ", ")))
    write("\n  ]")


def _json_shown(view, layer, t, T):
    """Whether a backward step of a direction is in the JSON: as its forward step is."""
    final = T if layer.direction == "forward" else 1
    if view.last:
        return t == final
    if view.steps is not None:
        return t in view.steps
    return True


class _JsonPart:
    """One direction's record in the document: its facts, its steps a block at a time, its final state."""

    def __init__(self, doc, layer):
        self.doc, self.layer, self.out, self.view = doc, layer, doc.out, layer_view(doc.view)
        self.lines, self.first = None, True

    def start(self, problem):
        self.problem = problem
        r = problem.rounding
        head = {"layer": self.layer.number, "direction": self.layer.direction, "hidden_size": problem.sizes["H"],
                **({"proj_size": problem.sizes["P"]} if "P" in problem.sizes else {}),
                "input_size": problem.sizes["D"], **problem.cell.options,
                "rounding": {"sigmoid": r.sigmoid, "tanh": r.tanh, "state": "nearest" if r.state else "none"},
                **({"pins": pin_records(problem.cell)} if problem.cell.pins else {})}
        self.out.write((",\n" if self.doc.parts else "") + f'    {dump(head)[:-1]}, "steps": [\n')
        self.doc.parts += 1
        self.lines = step_lines(problem, self.view.only)

    def step(self, step, checks):
        self.out.write(("" if self.first else ",\n") + "      " + dump(record(self.problem, step, self.view.only)))
        self.first = False

    def write_rows(self, block, rows, ties):
        if rows:
            self.out.write(("" if self.first else ",\n") + json_items(self.lines.text(block, rows, ties), "      "))
            self.first = False

    def finish(self, summary):
        self.out.write(f'\n     ],\n     "final": {dump({k: np.ravel(v) for k, v in summary.final.items()})}}}')


def _prefix(layer):
    return f'"layer": {layer.number}, "direction": "{layer.direction}", '


class _Records(StackWriter):
    """jsonl and csv: each direction's records in time order, then the top output's, a block of steps at a time,
    in the writer's template of a record (template(names, sizes), its numbers sep apart), and y of the final
    states (final(y))."""
    time_order = True
    sep = ", "

    def output(self, result):
        ys, last = step_y(self.stack, result), final_y(self.stack, result)
        for rows in _blocks(output_rows(self.view, len(result.output))):
            index = [t - 1 for t in rows]
            self.output_rows(rows, result.output[index], None if ys is None else ys[index])
        if last is not None and "y" in top_names(self.stack, self.view):
            self.final(last)

    def output_rows(self, ts, o, y):
        """The top output's records of the steps ts: o (n, width) and y (n, K) or None, the keys --only names."""
        values = {"output": o, "y": y}
        names = [name for name in top_names(self.stack, self.view) if values[name] is not None]
        if not names or not len(ts):
            return
        fields = [ts, *(row_texts(values[name], self.sep) for name in names)]
        line = self.template(names, [values[name].shape[1] for name in names])
        self.out.write("".join([line % r for r in zip(*fields)]))
        self.out.flush()


class Jsonl(_Records):
    """One object a step, saying its layer and direction; then one a step of the top output (and y)."""

    def part(self, layer):
        view = layer_view(self.view)
        return NullWriter() if view.only == () else JsonlWriter(self.out, view, prefix=_prefix(layer))

    def template(self, names, sizes):
        return '{"t": %d' + "".join(f', "{name}": [%s]' for name in names) + "}\n"

    def final(self, y):
        self.out.write(dump({"head": "final", "y": y}) + "\n")


class Csv(_Records):
    """One header for every row: layer, direction, t and each quantity's components, the widest of any direction;
    a row a step of each direction, then a row a step of the top output (layer "output")."""
    sep = ","

    def start(self, stack):
        from . import engine

        super().start(stack)
        widths = {}
        only = self.view.only
        for layer in stack.layers:
            p = layer.problem
            layout = engine.Program(p.cell, p.params, p.rounding).layout
            for key, size in [("x", p.sizes["D"]), *((k, sl.stop - sl.start) for k, sl in layout.items())]:
                if only is None or key in only:
                    widths[key] = max(widths.get(key, 0), size)
        for name in top_names(stack, self.view):
            widths[name] = stack.width if name == "output" else stack.output["W_y"].shape[0]
        self.widths = widths
        self.out.write(csv_header(list(widths), list(widths.values()), ("layer", "direction", "t")))

    def line(self, first, names, sizes):
        """A row's template under the stack's header: first (the layer and direction), %d for t, a %s for each
        of names (sizes numbers), "" in every column of the header that they do not fill."""
        have = dict(zip(names, sizes))
        fields = [*first, "%d"]
        for key, n in self.widths.items():
            size = have.get(key, 0)
            fields += ["%s"] * (size > 0) + [""] * (n - size)
        return ",".join(fields) + "\n"

    def part(self, layer):
        first, view = [str(layer.number), layer.direction], layer_view(self.view)
        if view.only == ():
            return NullWriter()
        return CsvWriter(self.out, view, lambda names, sizes: self.line(first, names, sizes), header=False)

    def template(self, names, sizes):
        return self.line(["output", ""], names, sizes)

    def final(self, y):  # y of the final states: a row of its own, with no t
        line = self.line(["y", ""], ["y"], [len(y)]).replace("%d", "", 1)
        self.out.write(line % row_texts(y[None], ",")[0])


class Quiet(StackWriter):
    """-q: the top output at t = T (or y_T, as --only names), one number a line."""

    def part(self, layer):
        return NullWriter()

    def finish(self, result):
        values = {"output": result.output[-1], **({"y": result.y[-1]} if result.y is not None else {})}
        names = self.view.only or ("output",)
        self.out.write("".join(exact_lines(values[name]) for name in names))
