"""A stack's run drawn by Rich: a rule and the single layer's tables for each direction, the top output, and with
--grad the backward pass through every layer."""

from __future__ import annotations

from rich.text import Text

from .formats import fmt_array
from .network import layer_view, top_names
from .render_backward import backward_table, gradient_table, journey_chart, whole_at
from .render_console import BAD, DIM, GOOD, TITLE
from .render_steps import Fitted, TableWriter, header
from .runner import NullWriter
from .stackoutput import StackWriter, final_read, final_t, final_y, joined, output_rows, step_y


class Tables(StackWriter):
    """Rich tables: a rule and a table per step for each direction, the top output, the backward pass. A stack
    answering a stream (-x -) shows every layer's header first, then each line's tables, layer by layer, and
    its top output, as the line is answered."""

    def start(self, stack):
        super().start(stack)
        self.live = stack.live
        if self.live and self.view.header and layer_view(self.view).only != ():
            for layer in stack.layers:
                self.out.rule(Text(layer.label, style=TITLE), align="left")
                self.out.print(Fitted(lambda width, p=layer.problem: header(p, width)))

    def part(self, layer):
        view = layer_view(self.view)
        if view.only == ():  # --only names the top output's keys alone
            return NullWriter()
        if self.live:
            return _Answered(self.out, view, layer.label)
        self.out.rule(Text(layer.label, style=TITLE), align="left")
        if layer.direction == "backward":
            v, T = layer.problem.cell.visible, len(self.stack.xs)
            self.out.print(Text(f"computed from t = {T} down to 1: each step reads x_t, and its {v}_{{t-1}} is the "
                                f"state after x_{{t+1}}", style=DIM))
        steps = f'.layers[{self.stack.layers.index(layer)}]["steps"]'
        return TableWriter(self.out, view, final=final_t(layer), steps=steps)

    def output(self, result):
        stack, console, digits = self.stack, self.out, self.stack.digits
        T, names = len(result.output), top_names(stack, self.view)
        if not names:  # --only names a layer's quantities alone
            return
        console.rule(Text("output", style=TITLE), align="left")
        what = joined(stack)
        console.print(Text(f"the top layer's output o_t ({what}), t = 1..{T}", style=DIM))
        y, last = step_y(stack, result), final_y(stack, result)
        if "y" in names:
            reads = "o_t" if last is None else final_read(stack)
            console.print(Text(f"{'y_t' if last is None else 'y'} = {stack.output['act']}(W_y {reads} + b_y), W_y = "
                               f"{fmt_array(stack.output['W_y'], digits)}, "
                               f"b_y = {fmt_array(stack.output['b_y'], digits)}",
                               style=DIM))

        def marks(name, t):
            return "".join("  ✓" if c.ok else f"  ✗ expected {fmt_array(c.expected, digits)}"
                           for c in result.checks if c.t == t and (c.name == name or name is None))
        per_step = "output" in names or y is not None  # with y of the final states alone, no row a step
        rows = output_rows(self.view, T) if per_step else []
        for t in rows:
            console.print(self._line(t, result.output[t - 1], None if y is None else y[t - 1])
                          + marks(None if last is None else "output", t))
        if last is not None and "y" in names:
            console.print(f"y = {fmt_array(last, digits)}" + marks("y", T))
        if per_step and len(rows) < T:
            held = '.to_dict()["output"]' + (' and ["y"]' if y is not None else "")
            every = (f"every step is in the trace's {held}" if self.view.hints == "api"
                     else "choose them with --steps A:B, or see all with --format jsonl or csv")
            console.print(Text(f"{T - len(rows)} of {T} steps of the output not shown: {every}", style=DIM))
        self._verdict(result.checks)

    def _line(self, t, o_t, y_t):
        """Step t of the top output: o_t and y_t (None: none a step), as --only names them."""
        names, digits = top_names(self.stack, self.view), self.stack.digits
        line = f"t = {t}" + f"   o_t = {fmt_array(o_t, digits)}" * ("output" in names)
        return line + (f"   y_t = {fmt_array(y_t, digits)}" if y_t is not None and "y" in names else "")

    def _verdict(self, checks):
        if checks:
            failed = [c for c in checks if not c.ok]
            self.out.print(Text(f"✗ {len(failed)} of {len(checks)} expected values of the output do not hold"
                                if failed else f"✓ all {len(checks)} expected values of the output hold",
                                style=BAD if failed else GOOD))

    def output_rows(self, ts, o, y):
        """A stream's top output, a line a step as each is answered."""
        if top_names(self.stack, self.view):
            for i, t in enumerate(ts):
                self.out.print(Text("output", style=TITLE), "  " + self._line(t, o[i], None if y is None else y[i]))

    def finish(self, result):
        if self.live:  # a stream's checks, once it has ended
            for c in result.checks:
                if not c.ok:
                    self.out.print(Text(f"✗ {c.name} at t = {c.t} is {fmt_array(c.actual, self.stack.digits)}, "
                                        f"expected {fmt_array(c.expected, self.stack.digits)}", style=BAD))
            self._verdict(result.checks)
        if result.loss is None:
            return
        console, stack = self.out, self.stack
        console.print(Text(f"L = {fmt_array(result.loss, stack.digits)}", style=TITLE))
        for name, g in result.output_grads.items():
            console.print(f"∂L/∂{name} = {fmt_array(g, stack.digits)}")
        top = max(layer.number for layer in stack.layers)
        for part in result.parts:
            layer, p, g = part.layer, part.layer.problem, part.gradients
            T, final = len(result.output), final_t(layer)
            above = "the loss" if layer.number == top else f"layer {layer.number + 1}'s ∂L/∂x_t"
            console.rule(Text(f"{layer.label}: backward pass", style=TITLE), align="left")
            console.print(Text(f"∂L/∂{p.cell.visible}_t from {above}", style=DIM))
            order = g.steps[::-1] if layer.direction == "forward" else g.steps  # as backpropagation meets them
            norms = dict(zip([r.t for r in g.steps], g.jacobian_norms))
            shown = set(part.summary.shown)
            for step in order:
                if step.t in shown:
                    later = step.t + 1 if layer.direction == "forward" else step.t - 1
                    came = f"in total: from {above}" + (f" and step {later}" if 1 <= later <= T else "")
                    console.print(backward_table(p, step, norms[step.t], T, came_from=came, final=final,
                                                        whole=whole_at(self.view)))
            if len(shown) < T:
                console.print(Text(f"{T - len(shown)} of {T} backward steps not shown, as above", style=DIM))
            console.print(gradient_table(p, g, whole_at(self.view)))
            console.print(journey_chart(p, g, final=final))


class _Answered(TableWriter):
    """A layer's tables in a stack answering a stream: its header shown with the others' at the start, each
    step's table under the layer's name, and its final state and checks under its rule once the stream ends."""

    def __init__(self, console, view, label):
        super().__init__(console, view)
        self.label = label

    def start(self, problem):
        self.problem = problem

    def step(self, step, checks):
        self.console.print(Text(self.label, style=TITLE))
        super().step(step, checks)

    def finish(self, summary):
        self.console.rule(Text(self.label, style=TITLE), align="left")
        super().finish(summary)
