"""A stack's run written as the view asks, as network.run_stack hands it over: the writer of the format's family
(stacktables, stackwriteups, stackdatawriters), each layer and direction written by the single layer's writer."""

from __future__ import annotations

from .runner import NullWriter
from .stackdatawriters import Csv, Json, Jsonl, Quiet
from .stackoutput import StackWriter
from .stackwriteups import Documents


class Unwritten(StackWriter):
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
        from .stacktables import Tables  # Rich, which the other formats do without

        return Tables(console, view)
    return {"markdown": Documents, "latex": Documents, "json": Json, "jsonl": Jsonl, "csv": Csv}[view.format](out, view)


def check_quiet_names(stack, view):
    """-q on a stack prints the top output: --only may name output, or y with W_y."""
    from .errors import InputError

    known = ["output", *(["y"] if stack.output else [])]
    for name in view.only or () if view.quiet else ():
        if name not in known:
            raise InputError(f"--only {name}", "-q on a stack prints the top output (output, or y with W_y)")
