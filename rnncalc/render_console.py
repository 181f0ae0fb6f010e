"""The one Rich console: its styles, named once; its width and colour; every text spelled in ASCII where the stream
has no symbols for the notation; what it recorded saved as SVG and HTML."""

from __future__ import annotations

import os

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Span, Text

from .errors import InputError
from .text import spelled

# Styles, named once.
TITLE = "bold"
QUANTITY = "bold cyan"
EQUATION = "green"
DIM = "dim"
ROUNDED = "bold magenta"
WARN = "bold yellow"
BAD = "bold red"
GOOD = "bold green"
GRADIENT = "bold blue"  # the ∂L/∂· symbols of the backward pass
BAR = "blue"  # the bars of the gradient's journey; their length, not their colour, carries the number

PIPE_WIDTH = 120
MIN_WIDTH = 60  # narrower terminals (COLUMNS=12) get this width and wrap the lines themselves


def html(renderables, width=PIPE_WIDTH) -> str:
    """The renderables as an HTML fragment in the terminal's colours: what a notebook shows."""
    import io

    console = Console(file=io.StringIO(), width=width, record=True, force_terminal=True, color_system="truecolor",
                      force_jupyter=False, highlight=False, markup=False, emoji=False)  # in a kernel: not shown itself
    for item in renderables:
        console.print(item)
    return console.export_html(inline_styles=True, code_format='<pre style="font-family:monospace">{code}</pre>')


class _Console(Console):
    """A console that, on a stream without the notation's symbols (PYTHONIOENCODING=ascii), spells each
    text in ASCII before drawing it, so that the columns of a table still line up."""

    def print(self, *objects, **kw):
        if not self.encoding.startswith("utf"):
            objects = [_spelled_tree(o) for o in objects]  # before the tables measure their columns
        super().print(*objects, **kw)

    def render(self, renderable, options=None):
        if not self.encoding.startswith("utf"):
            renderable = _spelled_tree(renderable)
        return super().render(renderable, options)


def _spelled_tree(obj):
    """A renderable of ours with every text in it spelled in ASCII."""
    if isinstance(obj, str):
        return "".join(spelled(obj))
    if isinstance(obj, Text):
        return ascii_text(obj) if not obj.plain.isascii() else obj
    if isinstance(obj, Table):
        obj.title, obj.caption = _spelled_tree(obj.title), _spelled_tree(obj.caption)
        for column in obj.columns:
            column.header = _spelled_tree(column.header)
            column._cells = [_spelled_tree(cell) for cell in column._cells]
    elif isinstance(obj, Panel):
        obj.renderable, obj.title = _spelled_tree(obj.renderable), _spelled_tree(obj.title)
    elif isinstance(obj, Group):
        obj.renderables[:] = [_spelled_tree(r) for r in obj.renderables]
    return obj


def ascii_text(text: Text) -> Text:
    """text spelled in ASCII (σ → sigma), each style kept on the characters it covered."""
    pieces = spelled(text.plain)
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    shown = text.copy()
    shown.plain = "".join(pieces)
    shown.spans = [Span(starts[s.start], starts[s.end], s.style) for s in text.spans]
    return shown


def make_console(file=None, no_color=False, width=None, record=False) -> Console:
    """The one console factory: tests fix width and colour here. Output to a pipe or file is not
    wrapped at 80 columns but at PIPE_WIDTH, unless COLUMNS says otherwise; never narrower than MIN_WIDTH.
    Strings are shown as they are: no markup, no emoji codes."""
    console = _Console(file=file, no_color=no_color, color_system=None if no_color else "auto", width=width,
                       highlight=False, markup=False, emoji=False, record=record)
    if width is None and not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    console.width = max(console.width, MIN_WIDTH)
    return console


# ---------------------------------------------------------------- --save-svg and --save-html

def save_recorded(console, view):
    """Write the recorded table as SVG and HTML as asked; a file the system refuses is bad input."""
    for flag, path in view.saves():
        content = (console.export_svg(title="rnncalc", clear=False) if flag == "--save-svg"
                   else console.export_html(clear=False))
        try:
            with open(path, "w", encoding="utf-8") as out:
                out.write(content)
        except OSError as e:
            raise InputError(f"{flag} {path}", f"cannot be written: {e.strerror or e}") from None
