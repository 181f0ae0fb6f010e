"""Numbers as machine-readable text, written by orjson at C speed: each the shortest text that reads back as
the same float64, in orjson's notation (1e-7, 0.000016365, 1e+16, 0.30000000000000004), −0 written 0.0. JSON
keeps json.dumps's spacing (", " and ": ") and stays ASCII. A number that is not finite is never written:
orjson would write it null, so that is refused as the bug it would be (a run stops at a non-finite step, and
exits with status 3, before it is written).

One number, one array, one JSON value, or the rows of a block of steps from one line template.
"""

from __future__ import annotations

import numpy as np


def number_list(a, sep=", ") -> str:
    """A number, or an array of any shape, as JSON: 1.5, [1.0, 0.5], [[1.0, 0.0], [0.0, 1.0]]; sep between
    numbers ("," for CSV's cells)."""
    import orjson  # here, where a number is written: a run that writes none (a table) does not load it

    a = np.asarray(a, dtype=float)
    if not np.isfinite(a).all():  # orjson would write it null
        raise ValueError(f"a number that is not finite reached a writer: {a!r}")
    a = float(a) + 0.0 if a.ndim == 0 else np.ascontiguousarray(a) + 0.0  # + 0.0: −0.0 is written 0.0
    text = orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY)
    return (text if sep == "," else text.replace(b",", sep.encode())).decode()


def fmt_exact(v: float) -> str:
    """v as the shortest text that reads back as the same float64, without ".0" on a whole number.

    >>> fmt_exact(1.0), fmt_exact(-0.0), fmt_exact(0.1 + 0.2), fmt_exact(1e16), fmt_exact(1e-7)
    ('1', '0', '0.30000000000000004', '1e+16', '1e-7')

    Not machine-readable when v is not finite ("inf", "nan"), as a message may show one.
    """
    if not np.isfinite(v):
        return str(float(v))
    text = number_list(float(v))
    return text[:-2] if text.endswith(".0") else text


def exact_lines(a) -> str:
    """Each number of an array on a line of its own, as fmt_exact writes it.

    >>> exact_lines(np.array([1.0, -0.0, 2.5e-7]))
    '1\\n0\\n2.5e-7\\n'
    """
    if np.size(a) == 0:
        return ""
    text = number_list(np.ravel(a), ",").strip("[]")
    return "".join(v[:-2] + "\n" if v.endswith(".0") else v + "\n" for v in text.split(","))


def dump(value) -> str:
    """A JSON value (dicts, lists, strings, numbers, numpy arrays, True, None) as text with json.dumps's
    spacing; strings as json.dumps writes them (non-ASCII as \\u escapes: valid JSON in any encoding), numbers
    as orjson does.

    >>> dump({"t": 1, "h": [0.5, -0.0, 1e-7], "ties": ["f"], "name": "σ", "ok": True, "problem": None})
    '{"t": 1, "h": [0.5, 0.0, 1e-7], "ties": ["f"], "name": "\\\\u03c3", "ok": true, "problem": null}'
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{dump(str(k))}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        import json

        return json.dumps(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (list, tuple)) and value and (not isinstance(value[0], (float, int)) or
                                                       isinstance(value[0], bool)):
        return "[" + ", ".join(map(dump, value)) + "]"  # names, records, lists
    return number_list(value)


def dump_array(a) -> str:
    """An array as JSON (number_list), a block of its rows at a time, so a 2048×2048 matrix's text is built
    in pieces of a few thousand numbers."""
    a = np.asarray(a, dtype=float)
    if a.ndim < 2 or a.size <= 65536:
        return number_list(a)
    step = max(1, 65536 // (a.size // len(a)))
    return "[" + ", ".join(number_list(a[i:i + step])[1:-1] for i in range(0, len(a), step)) + "]"


def row_texts(a, sep) -> list:
    """Each row of a 2-d array as its numbers' text, sep between them: [[1.0, 2.0], [3.0, 0.0]] ->
    ["1.0, 2.0", "3.0, 0.0"] with sep ", ". One orjson call for the whole array."""
    text = number_list(a, sep)
    return text[2:-2].split("]" + sep + "[")


class BlockRows:
    """The steps of a block as text, one line a step, from one template with a %d for t and a %s for each
    group of numbers: x, then each quantity, in the order of the block's layout (those `only` names).
    line(names, sizes) makes the template; the numbers of a group are written sep apart, by orjson, one
    call for each group of a few thousand steps. With ties=True a final %s takes each step's ties."""

    def __init__(self, only, line, sep=", ", ties=False):
        self.only, self.line, self.sep, self.ties = only, line, sep, ties
        self.program = None

    def _compile(self, block):
        """The groups and the line template, from the first block's layout."""
        self.program = block.program
        layout = block.program.layout
        self.keys = [k for k in layout if self.only is None or k in self.only]
        self.with_x = self.only is None or "x" in self.only
        self.names = ["x"] * self.with_x + self.keys
        self.sizes = [block.x.shape[1]] * self.with_x + [layout[k].stop - layout[k].start for k in self.keys]
        self.columns = np.concatenate([np.arange(layout[k].start, layout[k].stop) for k in self.keys]
                                      or [np.zeros(0, dtype=int)])
        edges = np.cumsum([0, *self.sizes]).tolist()
        self.slices = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]  # each group's columns of a row
        self.template = self.line(self.names, self.sizes)
        first, *between = self.template.split("%s")
        self.glue = [first, *(text % () for text in between)]  # the template's text before and between groups

    def text(self, block, rows, ties=None):
        """The lines of the given rows of the block, a few thousand numbers at a time (so memory stays small)."""
        if not len(rows):
            return ""
        if self.program is not block.program:
            self._compile(block)
        step = max(1, 65536 // (1 + sum(self.sizes)))
        return "".join(self._lines(block, rows[i:i + step], ties) for i in range(0, len(rows), step))

    def _lines(self, block, rows, ties):
        """The lines of rows. A few (a line of a stream): one orjson call for all their numbers, cut into groups,
        each line from the template. More: a call a group, and one join of the lines' pieces: before each group
        of each line the template's text there (the first piece with the line's t), then the group's numbers."""
        rows = np.asarray(rows)
        table = block.data[rows][:, self.columns]  # (n, the quantities' columns)
        if self.with_x:
            table = np.hstack([block.x[rows], table])
        times = block.times[rows].tolist()
        marks = [[dump(list(ties[i]))] for i in rows] if self.ties else [()] * len(rows)
        if len(rows) < 8:
            sep, slices, template = self.sep, self.slices, self.template
            return "".join([template % (t, *[sep.join(v[s]) for s in slices], *m)
                            for t, v, m in zip(times, (row.split(",") for row in row_texts(table, ",")), marks)])
        texts = [row_texts(table[:, s], self.sep) for s in self.slices]
        if self.ties:
            texts.append([m[0] for m in marks])
        n, glue, every = len(rows), self.glue, 2 * len(texts) + 1
        pieces = [None] * (n * every)
        pieces[0::every] = [glue[0] % t for t in times]
        for k, text in enumerate(texts):
            pieces[2 * k + 1::every] = text
            pieces[2 * k + 2::every] = [glue[k + 1]] * n
        return "".join(pieces)
