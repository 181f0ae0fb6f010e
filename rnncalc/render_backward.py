"""The backward pass drawn by Rich: a table a step from t = T back, the gradient of L, the gradient's journey."""

from __future__ import annotations

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from .cells import ACT_SYMBOL
from .formats import fmt_array, fmt_norm, fmt_norm2
from .problem import Problem
from .render_console import BAR, GRADIENT, TITLE

LARGE_GRADIENT = 256  # a weight's gradient with more entries (16×16) is summarised in the backward tables
BAR_WIDTH = 40  # characters of the longest bar in the gradient's journey
BAR_DECADES = 6  # the journey's log scale spans at least this many powers of ten
JOURNEY_ROWS = 60  # a longer run's journey shows every k-th step, so at most this many rows
BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a character cell


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
