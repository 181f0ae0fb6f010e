"""A stack's run written as the view asks: a heading and the single-layer trace for each layer and direction
(tables, Markdown, LaTeX), or one JSON document, JSON lines or CSV rows that say which layer and direction
each step is; then the top output, the checks and, with --grad, the gradient through every layer."""

from __future__ import annotations

import csv
import json

import numpy as np

from . import formats
from .formats import fmt_array, fmt_exact, floats, nested, record
from .report import TABLE_STEPS, Check, Summary, check_names, matches
from .stack import Stack, backward_stack, run_stack


def report_stack(stack: Stack, view, out, fail) -> int:
    """Run the stack, write it to out as the view asks, report a failure with fail(message); the exit status."""
    for layer in stack.layers if not view.quiet else ():  # -q checks its own names: output, y
        check_names(layer.problem, view.only)
    if view.steps is not None:
        view.steps.check(len(stack.xs))
    trace = run_stack(stack)
    if trace.broken is not None:
        label, t, key = trace.broken
        fail(f"{label}: {key} is not finite at step {t}; the weights or inputs are too large for float64")
        return 3
    grads = None
    if stack.loss is not None:
        with np.errstate(all="ignore"):
            grads = backward_stack(stack, trace)
        bad = _nonfinite(grads)
        if bad:
            fail(f"{bad} is not finite; the weights or inputs are too large for float64")
            return 3
    checks = {layer.label: _layer_checks(stack, layer, trace) for layer in stack.layers}
    checks["output"] = _output_checks(stack, trace)
    every = [c for cs in checks.values() for c in cs]
    if view.quiet:
        names = view.only or ("output",)
        values = {"output": trace.output[-1], **({"y": trace.y[-1]} if trace.y is not None else {})}
        missing = [n for n in names if n not in values]
        if missing:
            fail(f"--only {missing[0]}: -q on a stack prints the top output (output, or y with W_y)")
            return 2
        out.write("".join(f"{fmt_exact(v)}\n" for name in names for v in floats(values[name])))
    elif view.format == "table":
        _tables(stack, trace, grads, checks, view)
    elif view.format in ("markdown", "latex"):
        _documents(stack, trace, checks, view, out)
    elif view.format == "json":
        out.write(_json(stack, trace, grads, checks, view))
    else:
        _rows(stack, trace, view, out)
    failed = [c for c in every if not c.ok]
    if failed:
        fail(f"{len(failed)} of {len(every)} expected values do not hold; first: "
             f"{failed[0].describe(stack.digits, stack.atol)}")
        return 1
    return 0


def shown(view, layer, t, T):
    """Whether step t of a direction is shown: --steps, --last (the direction's final step: t = T forward,
    t = 1 backward), or a table's first TABLE_STEPS steps and its final one."""
    final = T if layer.direction == "forward" else 1
    if view.last:
        return t == final
    if view.steps is not None:
        return t in view.steps
    if view.format in ("table", "markdown", "latex"):
        return t <= TABLE_STEPS or t == final
    return True


def _layer_checks(stack, layer, trace):
    steps = trace.steps[layer.label]
    final = steps[-1] if layer.direction == "forward" else steps[0]
    checks = []
    for e in layer.problem.expect:
        for step in ([final] if e.final_only else steps[:len(e.values)]):
            expected = e.values[0 if e.final_only else step.t - 1]
            actual = np.ravel(step.values[e.name])
            checks.append(Check(f"{layer.label}: {e.name}", step.t, expected, actual,
                                matches(actual, expected, stack.digits, stack.atol)))
    return checks


def _output_checks(stack, trace):
    checks = []
    values = {"output": trace.output, "y": trace.y}
    T = len(trace.output)
    for e in stack.expect:
        rows = [T] if e.final_only else range(1, len(e.values) + 1)
        for n, t in enumerate(rows):
            actual = values[e.name][t - 1]
            checks.append(Check(e.name, t, e.values[n], actual, matches(actual, e.values[n], stack.digits, stack.atol)))
    return checks


def _step_checks(checks, label, t):
    """The checks of one step, named by the quantity alone as the single-layer writers expect."""
    return [Check(c.name.split(": ", 1)[1], c.t, c.expected, c.actual, c.ok) for c in checks[label] if c.t == t]


def _nonfinite(grads):
    for label, g in grads.layers.items():
        for name, value in {**g.params, **g.init}.items():
            if not np.all(np.isfinite(value)):
                return f"{label}: d{name}"
    for name, value in grads.output.items():
        if not np.all(np.isfinite(value)):
            return f"d{name}"
    return None if np.isfinite(grads.loss) else "the loss L"


# ---------------------------------------------------------------- tables

def _tables(stack, trace, grads, checks, view):
    from rich.text import Text

    from . import render

    console = render.make_console(no_color=view.no_color, record=bool(view.save_svg or view.save_html))
    T = len(trace.output)
    for layer in stack.layers:
        console.rule(Text(layer.label, style=render.TITLE), align="left")
        if layer.direction == "backward":
            v = layer.problem.cell.visible
            console.print(Text(f"computed from t = {T} down to 1: each step reads x_t, and its {v}_{{t-1}} is the "
                               f"state after x_{{t+1}}", style=render.DIM))
        writer = render.TableWriter(console, view)
        writer.start(layer.problem)
        steps = trace.steps[layer.label]
        summary = Summary(total=T)
        for step in (steps if layer.direction == "forward" else steps[::-1]):
            if shown(view, layer, step.t, T):
                writer.step(step, _step_checks(checks, layer.label, step.t))
                summary.shown.append(step.t)
        final = steps[-1] if layer.direction == "forward" else steps[0]
        summary.final = {s.name: final.values[s.name] for s in layer.problem.cell.states}
        summary.checks = [Check(c.name.split(": ", 1)[1], c.t, c.expected, c.actual, c.ok)
                          for c in checks[layer.label]]
        if view.steps is None and not view.last:
            summary.hidden = T - len(summary.shown)
        _finish(console, stack, layer, summary, grads, view)
    console.rule(Text("output", style=render.TITLE), align="left")
    what = "forward ‖ backward" if stack.bidirectional else "its visible state"
    console.print(Text(f"the top layer's output o_t ({what}), t = 1..{T}", style=render.DIM))
    if stack.output:
        act = stack.output["act"]
        console.print(Text(f"y_t = {act}(W_y o_t + b_y), W_y = {fmt_array(stack.output['W_y'], stack.digits)}, "
                           f"b_y = {fmt_array(stack.output['b_y'], stack.digits)}", style=render.DIM))
    for t in range(1, T + 1):
        if view.last and t != T or view.steps is not None and t not in view.steps:
            continue
        line = f"t = {t}   o_t = {fmt_array(trace.output[t - 1], stack.digits)}"
        if trace.y is not None:
            line += f"   y_t = {fmt_array(trace.y[t - 1], stack.digits)}"
        for c in checks["output"]:
            if c.t == t:
                line += "  ✓" if c.ok else f"  ✗ expected {fmt_array(c.expected, stack.digits)}"
        console.print(line)
    if grads is not None:
        console.print(Text(f"L = {fmt_array(grads.loss, stack.digits)}", style=render.TITLE))
        for name, g in grads.output.items():
            console.print(f"∂L/∂{name} = {fmt_array(g, stack.digits)}")
    render.save_recorded(console, view)


def _finish(console, stack, layer, summary, grads, view):
    """After a direction's steps: the steps not shown, its final state (after x_T forward, after x_1
    backward), its checks, and with --grad its backward pass."""
    from rich.text import Text

    from . import render

    p, T, digits = layer.problem, summary.total, stack.digits
    final = "T" if layer.direction == "forward" else "1"
    if summary.hidden:
        every = "--format json" if grads is not None else "--format jsonl or csv"
        console.print(Text(f"{summary.hidden} of {T} steps not shown: choose them with --steps A:B, or see all "
                           f"with {every}", style=render.DIM))
    console.print(Text("final: " + "   ".join(f"{name}_{final} = {fmt_array(value, digits)}"
                                              for name, value in summary.final.items()), style=render.TITLE))
    failed = [c for c in summary.checks if not c.ok]
    if summary.checks:
        console.print(Text(f"✗ {len(failed)} of {len(summary.checks)} expected values do not hold" if failed
                           else f"✓ all {len(summary.checks)} expected values hold",
                           style=render.BAD if failed else render.GOOD))
    if grads is None:
        return
    g = grads.layers[layer.label]
    top = layer.number == max(other.number for other in stack.layers)
    above = "the loss" if top else f"layer {layer.number + 1}'s ∂L/∂x_t"
    console.print(Text(f"backward pass of {layer.label}: ∂L/∂{p.cell.visible}_t from {above}", style=render.TITLE))
    order = g.steps[::-1] if layer.direction == "forward" else g.steps  # as backpropagation meets them
    norms = dict(zip([r.t for r in g.steps], g.jacobian_norms))
    shown = set(summary.shown)
    for record in order:
        if record.t in shown:
            later = record.t + 1 if layer.direction == "forward" else record.t - 1
            came = f"in total: from {above}" + (f" and step {later}" if 1 <= later <= T else "")
            console.print(render.backward_table(p, record, norms[record.t], T, came_from=came, final=final))
    if len(shown) < T:
        console.print(Text(f"{T - len(shown)} of {T} backward steps not shown, as above", style=render.DIM))
    console.print(render.gradient_table(p, g))
    console.print(render.journey_chart(p, g, final=final))


def _documents(stack, trace, checks, view, out):
    T = len(trace.output)
    for layer in stack.layers:
        if view.format == "markdown":
            out.write(f"\n### {layer.label}\n")
        else:
            out.write(f"\n\\subsection*{{layer {layer.number}, {layer.direction}}}\n")
        writer = formats.WRITERS[view.format](out, view)
        writer.start(layer.problem)
        steps = trace.steps[layer.label]
        for step in (steps if layer.direction == "forward" else steps[::-1]):
            if shown(view, layer, step.t, T):
                writer.step(step, _step_checks(checks, layer.label, step.t))


# ---------------------------------------------------------------- JSON, JSON lines, CSV

def _layer_records(stack, trace, view):
    """(layer, its step records in time order) for each layer and direction."""
    T = len(trace.output)
    for layer in stack.layers:
        yield layer, [record(layer.problem, s, view.only) for s in trace.steps[layer.label]
                      if shown(view, layer, s.t, T)]


def _json(stack, trace, grads, checks, view):
    first = stack.layers[0].problem
    r = first.rounding
    doc = {"cell": stack.cell, "bidirectional": stack.bidirectional,
           "num_layers": max(layer.number for layer in stack.layers), "input_size": first.sizes["D"],
           "output_width": stack.width,
           "rounding": {"sigmoid": r.sigmoid, "tanh": r.tanh, "state": "nearest" if r.state else "none"}}
    layers = []
    for layer, records in _layer_records(stack, trace, view):
        p = layer.problem
        steps = trace.steps[layer.label]
        final = steps[-1] if layer.direction == "forward" else steps[0]
        layers.append({"layer": layer.number, "direction": layer.direction, "hidden_size": p.sizes["H"],
                       "input_size": p.sizes["D"], **p.cell.options, "steps": records,
                       "final": {s.name: floats(final.values[s.name]) for s in p.cell.states}})
    doc["layers"] = layers
    doc["output"] = [floats(o) for o in trace.output]
    if trace.y is not None:
        doc.update({"output_layer": {"size": len(stack.output["b_y"]), "output": stack.output["act"]},
                    "y": [floats(y) for y in trace.y]})
    if grads is not None:
        doc["loss"] = grads.loss + 0.0  # −0.0 (xent of certain classes: −Σ 0) written 0.0
        doc["grad"] = {"layers": [
            {"layer": layer.number, "direction": layer.direction,
             **{name: nested(g) for name, g in {**layer.problem.as_given(grads.layers[layer.label].params),
                                                **grads.layers[layer.label].init}.items()}}
            for layer in stack.layers], **{name: nested(g) for name, g in grads.output.items()}}
        T = len(trace.output)
        doc["backward"] = [{"layer": layer.number, "direction": layer.direction,
                            "steps": [{"t": rec.t, **{k: floats(v) for k, v in rec.values.items()}}
                                      for rec in grads.layers[layer.label].steps if shown(view, layer, rec.t, T)],
                            "jacobian_norms": floats(grads.layers[layer.label].jacobian_norms)}
                           for layer in stack.layers]
    every = [c for cs in checks.values() for c in cs]
    if every:
        doc["expect"] = formats.check_records(every)
    return _layout(doc)


def _dump(value):
    return json.dumps(value, allow_nan=False)


AFTER_STEPS = ("final", "jacobian_norms")  # a layer's keys written on lines of their own after its steps


def _layout(doc):
    """The document with a line for each top-level key, each layer's record and step, each gradient record and
    each check: readable, and each line still one JSON value."""
    lines = []
    for key, value in doc.items():
        if key in ("layers", "backward"):
            items = []
            for item in value:
                head = _dump({k: v for k, v in item.items() if k not in ("steps", *AFTER_STEPS)})[:-1]
                steps = ",\n".join(f"      {_dump(step)}" for step in item["steps"])
                tail = "".join(f',\n     "{k}": {_dump(item[k])}' for k in AFTER_STEPS if k in item) + "}"
                items.append(f'    {head}, "steps": [\n{steps}\n     ]{tail}')
            lines.append(f'  "{key}": [\n' + ",\n".join(items) + "\n  ]")
        elif key == "grad":
            body = [f'    "layers": [\n' + ",\n".join(f"      {_dump(r)}" for r in value["layers"]) + "\n    ]"]
            body += [f"    {_dump(name)}: {_dump(g)}" for name, g in value.items() if name != "layers"]
            lines.append('  "grad": {\n' + ",\n".join(body) + "\n  }")
        elif key in ("output", "y", "expect"):
            lines.append(f'  "{key}": [\n' + ",\n".join(f"    {_dump(row)}" for row in value) + "\n  ]")
        else:
            lines.append(f"  {_dump(key)}: {_dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _rows(stack, trace, view, out):
    """jsonl: one object a step, with its layer and direction; csv: the same as rows under one header."""
    rows = [{"layer": layer.number, "direction": layer.direction, **rec}
            for layer, records in _layer_records(stack, trace, view) for rec in records]
    if view.format == "jsonl":
        out.write("".join(json.dumps(row, allow_nan=False) + "\n" for row in rows))
        return
    widths = {}
    for row in rows:
        row.pop("ties", None)
        for key, value in row.items():
            if isinstance(value, list):
                widths[key] = max(widths.get(key, 0), len(value))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["layer", "direction", "t"] + [f"{k}[{i}]" for k, n in widths.items() for i in range(n)])
    for row in rows:
        cells = [row["layer"], row["direction"], row["t"]]
        for key, n in widths.items():
            value = row.get(key, [])
            cells += [repr(v) for v in value] + [""] * (n - len(value))
        writer.writerow(cells)
