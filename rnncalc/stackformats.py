"""A stack's run written as the view asks, as network.run_stack hands it over: each layer and direction under a
heading of its own, written by the single layer's writer of the format; then the top output, the checks and,
with --grad, the gradient through every layer.

Each writer has start(stack), part(layer) -> the single-layer writer of that direction, done(part),
output(result) and finish(result). time_order: the writer wants a backward direction's steps from t = 1 up.
"""

from __future__ import annotations

import numpy as np

from . import writeups
from .datawriters import CsvWriter, JsonlWriter, check_records, csv_header, json_items, pin_records, record, step_lines
from .exacttext import dump, dump_array, exact_lines, number_list, row_texts
from .formats import fmt_array
from .runner import TABLE_STEPS, NullWriter


def output_rows(view, T):
    """The t of the top output's rows shown: --last's T, --steps's, or in a table the first TABLE_STEPS and T."""
    if view.last or view.quiet:
        return [T]
    if view.steps is not None:
        return [t for t in range(1, T + 1) if t in view.steps]
    if view.format in ("table", "markdown", "latex"):
        return [t for t in range(1, T + 1) if t <= TABLE_STEPS or t == T]
    return range(1, T + 1)


JOINED = {"concat": "forward ‖ backward", "sum": "forward + backward", "ave": "(forward + backward) / 2",
          "mul": "forward ⊙ backward"}


def joined(stack):
    """What the top output is, in words: forward ‖ backward, forward + backward, ..., or its visible state."""
    return JOINED[stack.merge] if stack.bidirectional else "its visible state"


def step_y(stack, result):
    """y_t at every step (T, K), or None: without an output layer, or when it reads the final states."""
    return result.y if stack.head == "steps" else None


def final_y(stack, result):
    """(K,) y of the final states with head: final, else None."""
    return result.y[0] if stack.head == "final" and result.y is not None else None


def final_read(stack):
    """What an output layer reading the final states reads, in words: [h_T forward ‖ h_1 backward], h_T, ..."""
    v = stack.layers[-1].problem.cell.visible
    if not stack.bidirectional:
        return f"{v}_T"
    ends = f"{v}_T forward", f"{v}_1 backward"
    return {"concat": f"[{ends[0]} ‖ {ends[1]}]", "sum": f"{ends[0]} + {ends[1]}",
            "ave": f"({ends[0]} + {ends[1]}) / 2", "mul": f"{ends[0]} ⊙ {ends[1]}"}[stack.merge]


def _final(layer):
    return "1" if layer.direction == "backward" else "T"


class _Writer:
    time_order = False

    def __init__(self, out, view):
        self.out, self.view = out, view

    def start(self, stack):
        self.stack = stack

    def done(self, part):
        pass

    def output(self, result):
        pass

    def finish(self, result):
        pass


# ---------------------------------------------------------------- tables

class Tables(_Writer):
    """Rich tables: a rule and a table per step for each direction, the top output, the backward pass."""

    def part(self, layer):
        from rich.text import Text

        from . import render

        self.out.rule(Text(layer.label, style=render.TITLE), align="left")
        if layer.direction == "backward":
            v, T = layer.problem.cell.visible, len(self.stack.xs)
            self.out.print(Text(f"computed from t = {T} down to 1: each step reads x_t, and its {v}_{{t-1}} is the "
                                f"state after x_{{t+1}}", style=render.DIM))
        steps = f'.layers[{self.stack.layers.index(layer)}]["steps"]'
        return render.TableWriter(self.out, self.view, final=_final(layer), steps=steps)

    def output(self, result):
        from rich.text import Text

        from . import render

        stack, console, digits = self.stack, self.out, self.stack.digits
        T = len(result.output)
        console.rule(Text("output", style=render.TITLE), align="left")
        what = joined(stack)
        console.print(Text(f"the top layer's output o_t ({what}), t = 1..{T}", style=render.DIM))
        y, last = step_y(stack, result), final_y(stack, result)
        if stack.output:
            reads = "o_t" if last is None else final_read(stack)
            console.print(Text(f"{'y_t' if last is None else 'y'} = {stack.output['act']}(W_y {reads} + b_y), W_y = "
                               f"{fmt_array(stack.output['W_y'], digits)}, b_y = {fmt_array(stack.output['b_y'], digits)}",
                               style=render.DIM))

        def marks(name, t):
            return "".join("  ✓" if c.ok else f"  ✗ expected {fmt_array(c.expected, digits)}"
                           for c in result.checks if c.t == t and (c.name == name or name is None))
        rows = output_rows(self.view, T)
        for t in rows:
            line = f"t = {t}   o_t = {fmt_array(result.output[t - 1], digits)}"
            if y is not None:
                line += f"   y_t = {fmt_array(y[t - 1], digits)}"
            console.print(line + marks(None if last is None else "output", t))
        if last is not None:
            console.print(f"y = {fmt_array(last, digits)}" + marks("y", T))
        if len(rows) < T:
            held = '.to_dict()["output"]' + (' and ["y"]' if y is not None else "")
            every = (f"every step is in the trace's {held}" if self.view.hints == "api"
                     else "choose them with --steps A:B, or see all with --format jsonl or csv")
            console.print(Text(f"{T - len(rows)} of {T} steps of the output not shown: {every}", style=render.DIM))
        checks = [c for c in result.checks]
        if checks:
            failed = [c for c in checks if not c.ok]
            console.print(Text(f"✗ {len(failed)} of {len(checks)} expected values of the output do not hold" if failed
                               else f"✓ all {len(checks)} expected values of the output hold",
                               style=render.BAD if failed else render.GOOD))

    def finish(self, result):
        from rich.text import Text

        from . import render

        if result.loss is None:
            return
        console, stack = self.out, self.stack
        console.print(Text(f"L = {fmt_array(result.loss, stack.digits)}", style=render.TITLE))
        for name, g in result.output_grads.items():
            console.print(f"∂L/∂{name} = {fmt_array(g, stack.digits)}")
        top = max(layer.number for layer in stack.layers)
        for part in result.parts:
            layer, p, g = part.layer, part.layer.problem, part.gradients
            T, final = len(result.output), _final(layer)
            above = "the loss" if layer.number == top else f"layer {layer.number + 1}'s ∂L/∂x_t"
            console.rule(Text(f"{layer.label}: backward pass", style=render.TITLE), align="left")
            console.print(Text(f"∂L/∂{p.cell.visible}_t from {above}", style=render.DIM))
            order = g.steps[::-1] if layer.direction == "forward" else g.steps  # as backpropagation meets them
            norms = dict(zip([r.t for r in g.steps], g.jacobian_norms))
            shown = set(part.summary.shown)
            for step in order:
                if step.t in shown:
                    later = step.t + 1 if layer.direction == "forward" else step.t - 1
                    came = f"in total: from {above}" + (f" and step {later}" if 1 <= later <= T else "")
                    console.print(render.backward_table(p, step, norms[step.t], T, came_from=came, final=final,
                                                        whole=render.whole_at(self.view)))
            if len(shown) < T:
                console.print(Text(f"{T - len(shown)} of {T} backward steps not shown, as above", style=render.DIM))
            console.print(render.gradient_table(p, g, render.whole_at(self.view)))
            console.print(render.journey_chart(p, g, final=final))


# ---------------------------------------------------------------- Markdown and LaTeX

class Documents(_Writer):
    """Markdown or LaTeX: a heading and the single layer's write-up for each direction, then the top output."""

    def part(self, layer):
        if self.view.format == "markdown":
            self.out.write(f"\n### {layer.label}\n")
        else:
            self.out.write(f"\n\\subsection*{{layer {layer.number}, {layer.direction}}}\n")
        return writeups.WRITERS[self.view.format](self.out, self.view, final=_final(layer))

    def output(self, result):
        stack, digits, out = self.stack, self.stack.digits, self.out
        ys, last = step_y(stack, result), final_y(stack, result)
        y = ys is not None
        marks, final_marks = {}, []
        for c in result.checks:
            mark = "✓" if c.ok else f"✗ expected {fmt_array(c.expected, digits)}"
            (final_marks if last is not None and c.name == "y" else marks.setdefault(c.t, [])).append(mark)
        rows = [(str(t), fmt_array(result.output[t - 1], digits), fmt_array(ys[t - 1], digits) if y else "",
                 " ".join(marks.get(t, []))) for t in output_rows(self.view, len(result.output))]
        reads = "" if last is None else \
            f"y = {stack.output['act']}(W_y {final_read(stack)} + b_y) = {fmt_array(last, digits)} {' '.join(final_marks)}"
        checked = any(r[3] for r in rows)
        head = ["t", "o_t"] + ["y_t"] * y + ["check"] * checked
        what = joined(stack)
        if self.view.format == "markdown":
            out.write(f"\n### output\n\nThe top layer's output o_t ({what})"
                      + (f", y_t = {stack.output['act']}(W_y o_t + b_y)" if y else "") + "\n\n")
            out.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
            for r in rows:
                cells = [r[0], f"`{r[1]}`"] + [f"`{r[2]}`"] * y + [r[3]] * checked
                out.write("| " + " | ".join(cells) + " |\n")
            if reads:
                out.write(f"\n{reads.rstrip()}\n")
            return
        from .writeups import latex_math, latex_number, latex_text

        out.write(f"\n\\subsection*{{output}}\n{latex_text(f'The top layer output o_t ({what})')}\n")
        out.write(f"\\begin{{tabular}}{{{'r' + 'l' * (len(head) - 1)}}}\n\\hline\n"
                  + " & ".join(f"${latex_math(h)}$" if h != "check" else h for h in head) + r" \\" + "\n\\hline\n")
        for r in rows:
            cells = [r[0], f"${latex_number(latex_math(r[1]))}$"] + [f"${latex_number(latex_math(r[2]))}$"] * y
            cells += [latex_text(r[3])] * checked
            out.write(" & ".join(cells) + r" \\" + "\n")
        out.write("\\hline\n\\end{tabular}\n")
        if reads:
            out.write(f"\n\\noindent {latex_text(reads.rstrip())}\n")

    def finish(self, result):
        checks = result.every_check
        if not checks:
            return
        failed = [c for c in checks if not c.ok]
        line = (f"✗ {len(failed)} of {len(checks)} expected values do not hold" if failed
                else f"✓ all {len(checks)} expected values hold")
        if self.view.format == "latex":
            line = "\\noindent " + writeups.latex_text(line)
        self.out.write(f"\n{line}\n")


# ---------------------------------------------------------------- JSON, JSON lines, CSV, -q

class Json(_Writer):
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
        self.doc, self.layer, self.out, self.view = doc, layer, doc.out, doc.view
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


class Jsonl(_Writer):
    """One object a step, saying its layer and direction; then one a step of the top output (and y)."""
    time_order = True

    def part(self, layer):
        return JsonlWriter(self.out, self.view, prefix=_prefix(layer))

    def output(self, result):
        ys, last = step_y(self.stack, result), final_y(self.stack, result)
        for rows in _blocks(output_rows(self.view, len(result.output))):
            index = [t - 1 for t in rows]
            self.output_rows(rows, result.output[index], None if ys is None else ys[index])
        if last is not None and self.view.only is None:
            self.out.write(dump({"head": "final", "y": last}) + "\n")

    def output_rows(self, ts, o, y):
        """The top output's records of the steps ts: o (n, width) and y (n, K) or None."""
        if self.view.only is not None or not len(ts):
            return
        fields = [ts, row_texts(o, ", ")]
        line = '{"t": %d, "output": [%s]}\n'
        if y is not None:
            fields.append(row_texts(y, ", "))
            line = '{"t": %d, "output": [%s], "y": [%s]}\n'
        self.out.write("".join([line % r for r in zip(*fields)]))
        self.out.flush()


class Csv(_Writer):
    """One header for every row: layer, direction, t and each quantity's components, the widest of any direction;
    a row a step of each direction, then a row a step of the top output (layer "output")."""
    time_order = True

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
        if only is None:
            widths["output"] = stack.width
            if stack.output:
                widths["y"] = stack.output["W_y"].shape[0]
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
        first = [str(layer.number), layer.direction]
        return CsvWriter(self.out, self.view, lambda names, sizes: self.line(first, names, sizes), header=False)

    def output(self, result):
        ys, last = step_y(self.stack, result), final_y(self.stack, result)
        for rows in _blocks(output_rows(self.view, len(result.output))):
            index = [t - 1 for t in rows]
            self.output_rows(rows, result.output[index], None if ys is None else ys[index])
        if last is not None and "y" in self.widths:  # y of the final states: a row of its own, with no t
            self.out.write(self.line(["y", ""], ["y"], [len(last)]).replace("%d", "", 1) % row_texts(last[None], ",")[0])

    def output_rows(self, ts, o, y):
        """The top output's rows of the steps ts (layer "output"): o (n, width) and y (n, K) or None."""
        if "output" not in self.widths or not len(ts):
            return
        fields = [ts, row_texts(o, ",")]
        if y is not None:
            fields.append(row_texts(y, ","))
        line = self.line(["output", ""], ["output", "y"][:len(fields) - 1], [o.shape[1], *([y.shape[1]] if y is not None else [])])
        self.out.write("".join([line % r for r in zip(*fields)]))
        self.out.flush()


class Quiet(_Writer):
    """-q: the top output at t = T (or y_T, as --only names), one number a line."""

    def part(self, layer):
        return NullWriter()

    def finish(self, result):
        values = {"output": result.output[-1], **({"y": result.y[-1]} if result.y is not None else {})}
        names = self.view.only or ("output",)
        self.out.write("".join(exact_lines(values[name]) for name in names))


class Unwritten(_Writer):
    """Writes nothing: for rnncalc check, which only wants the verdicts."""

    def __init__(self):
        super().__init__(None, None)

    def part(self, layer):
        return NullWriter()


def writer_for(view, out, console=None):
    """The stack's writer for the view: console is the Rich console of a table."""
    if view.quiet:
        return Quiet(out, view)
    if view.format == "table":
        return Tables(console, view)
    return {"markdown": Documents, "latex": Documents, "json": Json, "jsonl": Jsonl, "csv": Csv}[view.format](out, view)


def check_quiet_names(stack, view):
    """-q on a stack prints the top output: --only may name output, or y with W_y."""
    from .errors import InputError

    known = ["output", *(["y"] if stack.output else [])]
    for name in view.only or () if view.quiet else ():
        if name not in known:
            raise InputError(f"--only {name}", "-q on a stack prints the top output (output, or y with W_y)")
