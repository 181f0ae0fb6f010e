"""What every stack writer shares: its calls, as network.run_stack makes them, and the top output's rows shown and
what it is, in words.

Each writer has start(stack), part(layer) -> the single-layer writer of that direction, done(part),
output(result) and finish(result). time_order: the writer wants a backward direction's steps from t = 1 up.
"""

from __future__ import annotations

from .runner import TABLE_STEPS


def output_rows(view, T):
    """The t of the top output's rows shown: --last's T, --steps's, in a table the first TABLE_STEPS and T, and
    in a write-up, as in the others, every t."""
    if view.last or view.quiet:
        return [T]
    if view.steps is not None:
        return [t for t in range(1, T + 1) if t in view.steps]
    if view.format == "table":
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


def final_t(layer):
    """The t of a direction's final step: "1" for a backward direction, which reads x_1 last."""
    return "1" if layer.direction == "backward" else "T"


class StackWriter:
    """A stack writer that writes nothing of its own at done(), output() and finish() unless it says so."""
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
