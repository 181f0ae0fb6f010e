"""The pages drawn by Rich for the commands that trace nothing: rnncalc equations' page of a cell, and rnncalc
check's summary, a row a problem."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .cells import Cell, symbolic
from .render_console import BAD, DIM, EQUATION, GOOD, QUANTITY
from .text import printable

def equations_panel(cell: Cell) -> Panel:
    """The cell's equations in computation order and its parameters with their shapes."""
    eqs = Table(box=None, show_header=False, pad_edge=False)
    eqs.add_column(style=EQUATION, overflow="fold")
    eqs.add_column(style=DIM, overflow="fold")
    for eq in cell.equations:
        if not eq.is_squash:
            eqs.add_row(eq.text(cell), eq.doc)
    params = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("parameter", "shape", "role"):
        params.add_column(column, style=QUANTITY if column == "parameter" else None, overflow="fold")
    for spec in cell.params:
        params.add_row(spec.name, symbolic(spec.shape), spec.doc)
    for s in cell.states:
        params.add_row(s.init_key, symbolic((s.dim,)), f"initial {s.doc} {s.name}_0, 0 by default")
    notes = [f"{name} = [{a} {b}], shape {symbolic(cell.concatenated_shape(name))}, may replace {a} and {b}"
             for name, (a, b) in cell.concatenated.items()]
    notes.append(f"pin: holds {' '.join(eq.name for eq in cell.equations)} at a value, e.g. "
                 f"--pin {cell.equations[0].name}=0 or --pin {cell.equations[0].name}@2:3=0")
    return Panel(Group(eqs, Text(""), params, Text("\n".join(notes), style=DIM)),
                 title=f"{cell.name}: {cell.title}", title_align="left", expand=False)


def check_summary(records, width: int = 80) -> Table:
    """rnncalc check: a row a problem, with its verdict and what was checked or what went wrong. A file
    name is never cut: it wraps, keeping every character, when `width` is too narrow for it; up to half
    the room goes to it whole before the problem's name and the message wrap."""
    heading = "checked, or what went wrong"
    labels = [_check_label(r) for r in records]
    wanted = [max(4, *(len(r["file"]) for r in records)) if records else 4, max(7, *map(len, labels), 0),
              max(20, *(len(r["message"]) for r in records)) if records else 20]
    verdict_width = max(7, *(len(r["verdict"]) for r in records)) if records else 7
    room = max(18, width - 13 - verdict_width)  # less 4 columns' padding, 5 rules and the verdict column
    widths = [None] * 3
    if sum(wanted) > room:  # wrap the message and the problem's name before the file's name
        widths[0] = min(wanted[0], room // 2)
        widths[1] = min(wanted[1], max(min(7, room // 5), (room - widths[0]) // 3))
        widths[2] = room - widths[0] - widths[1]
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("file", overflow="fold", width=widths[0])
    table.add_column("problem", overflow="fold", width=widths[1])
    table.add_column("verdict", no_wrap=True, width=verdict_width if widths[2] else None)
    table.add_column(heading, overflow="fold", width=widths[2])
    for r in records:
        verdict = r["verdict"]
        style = GOOD if verdict == "pass" else BAD if verdict in ("fail", "error", "non-finite") else DIM
        table.add_row(printable(r["file"]), printable(_check_label(r)), Text(verdict, style=style),
                      printable(r["message"]))
    return table


def _check_label(record):
    """A problem's name, else its number in the file (#2); nothing for a file that could not be read."""
    if record["problem"] is not None:
        return record["problem"]
    return f"#{record['index']}" if record["index"] is not None else ""
