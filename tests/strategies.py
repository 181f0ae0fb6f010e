"""Hypothesis strategies for everything a user can hand rnncalc: YAML problem text, flags, files.

The generators know the input's structure, so that most inputs get past the first check and reach
the deeper ones: a problem is usually a nearly valid one for its cell with a few keys spoiled. Text is
generated as YAML source, not as Python data, so that aliases, tags, odd number spellings, ragged
and mixed-depth lists, markup and control characters arrive as a user would type them.

The keys, cells, options and flags are read from rnncalc itself (the cell registry and the command
line's own parameters), so a new key or flag is fuzzed without editing this file.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import typer
from hypothesis import strategies as st

from rnncalc import cells
from rnncalc.cli import app

CELL_NAMES = sorted(cells.CELLS)
COMMANDS = typer.main.get_command(app).commands


def cell_variants(name):
    """Every form of a cell the equations pages show: the default and each variant."""
    return [cells.CELLS[name](**page) for page in cells.CELLS[name].pages]


def _cell_keys():
    keys = set()
    for name in CELL_NAMES:
        for cell in cell_variants(name):
            keys |= {p.name for p in cell.with_output("softmax").params} | set(cell.concatenated)
            keys |= {s.init_key for s in cell.states}
    return sorted(keys)


CELL_KEYS = _cell_keys()
PROBLEM_KEYS = ["x", "hidden", "input", "round", "round_state", "activation", "output", "variant", "z_weighs",
                "weights", "biases", "cell", "name", "digits", "atol", "expect", "loss", "target", "peepholes"]
ODD_KEYS = ["W_fhh", "w_fh", "u_h", "yes", "no", "on", "1", "~", "null", "''", '"x"', "[red]x", "? x", "<<",
            "W_fh ", "h0:", "\"\\x1b]0;title\\x07\""]

# ---------------------------------------------------------------- numbers, as text

ODD_NUMBERS = [
    # YAML 1.1 forms that YAML 1.2 does not read as numbers, or reads otherwise
    "0x1F", "0X1f", "0o17", "017", "08", "0b101", "1_000", "1:30", "190:20:30", "0x_1", "+0x1",
    # special floats, spelled every way
    ".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", "-.nan", ".NaN", ".NAN", "nan", "NaN", "inf", "-inf",
    "Infinity", "-Infinity",
    # huge, tiny, signed zero
    "1e400", "-1e400", "1e-400", "4.9e-324", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
    "-1.7976931348623157e308", "1.7976931348623159e308", "1e308", "-1e308", "1e-308", "-0", "-0.0", "+0", "0e0",
    # spellings of plain numbers
    "+1", "1.", ".5", "-.5", "1.e3", "1E5", "1e+5", "1e-3", "-2E+5", "0.1e1", "00", "00.5", "1e0_0",
    # not numbers at all
    "12e", "e5", "--1", "1,5", "1 000", "\u0663", "\uff11", "1.2.3", "0x", "yes", "no", "on", "off", "true",
    "False", "~", "null", "''", "[]", "{}", "!!float 1", "!!int 017", "!!str 1", "!!float nan",
]
huge_integers = st.integers(4290, 4400).map(lambda n: "9" * n)  # around the 4,300-digit conversion limit
number_text = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    huge_integers,
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-3, 3).map(repr),
    st.integers(-10, 10).map(str),
    st.integers().map(str),
)

# ---------------------------------------------------------------- text a user may put anywhere

TEXT_PIECES = [
    "[red]", "[/x]", "[/]", "[bold]b[/bold]", "[link=file:///etc/passwd]l[/link]", "[", "]", "\\[x]",
    "\x1b]0;title\x07", "\x1b[2J", "\x1b[31m", "\x1b", "\r", "\n", "\t", "\x00", "\x07", "\x7f", "\x85",
    "\u2028", "\u202e", "\u200b", "\ufeff", "é", "σ", "⊙", "😀", "\\", "'", '"', ":", ": ", "#", " #", "- ",
    "{", "}", ",", "&a", "*a", "!!str", "%", "@", "`", "|", ">", "?", "---", "...", "$(id)", "%s", "{0}",
]
user_text = st.lists(st.one_of(st.sampled_from(TEXT_PIECES), st.text(max_size=3)), max_size=6).map("".join)


def quoted(text):
    """text as a YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------- YAML values, as flow text

TAGS = ["!!float", "!!int", "!!str", "!!bool", "!!null", "!!binary", "!!timestamp", "!!seq", "!!map", "!!set",
        "!!omap", "!!python/object/apply:os.system", "!!python/name:os.system", "!custom", "!<tag:x>", "!"]
ANCHORS = ["a", "b"]

scalar_text = st.one_of(
    number_text,
    number_text,
    user_text.map(quoted),
    user_text,  # unquoted: often not YAML at all
    st.sampled_from(["sign", "nearest", "none", "relu", "softmax", "lstm", "gru", "reset-before", "old",
                     "xent", "mse", "true", "null", "*a", "*b", "*nowhere"]),
    st.tuples(st.sampled_from(TAGS), number_text).map(" ".join),
)


def _flow(children):
    return children.map(lambda items: "[" + ", ".join(items) + "]")


def _flow_map(inner):
    keys = st.sampled_from(["sigmoid", "tanh", "h", "c", "s", "t", "x", "W_fh", "<<", "?"])
    return st.lists(st.tuples(keys, inner), max_size=3).map(
        lambda items: "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}")


def _anchored(node):
    return st.tuples(st.sampled_from(ANCHORS), node).map(lambda av: f"&{av[0]} {av[1]}")


flow_values = st.recursive(
    scalar_text,
    lambda inner: st.one_of(_flow(st.lists(inner, max_size=4)), _flow_map(inner), _anchored(inner)),
    max_leaves=14,
)


def number_lists(dims, numbers=None):
    """A well-formed nested list of the given dimensions, as flow text (numbers, or a number strategy)."""
    numbers = st.floats(-3, 3).map(repr) if numbers is None else numbers
    if not dims:
        return numbers
    return _flow(st.lists(number_lists(dims[1:], numbers), min_size=dims[0], max_size=dims[0]))


@st.composite
def spoiled_lists(draw, dims):
    """A list of the given dimensions with one place spoiled: ragged, deeper, shallower, empty, an odd
    number or a string, an alias or a tag. Returns flow text."""
    def build(dims, spoil_path):
        if not dims:
            return draw(st.floats(-3, 3).map(repr))
        items = [build(dims[1:], spoil_path[1:] if spoil_path and spoil_path[0] == i else None)
                 for i in range(dims[0])]
        if spoil_path is not None and len(spoil_path) == 1:
            i = spoil_path[0] % max(len(items), 1)
            how = draw(st.sampled_from(["drop", "extra", "deeper", "shallower", "empty", "odd", "text", "alias",
                                        "tag", "mapping", "null"]))
            if how == "drop" and items:
                del items[i]
            elif how == "extra":
                items.insert(i, items[i] if items else "1")
            elif how == "deeper" and items:
                items[i] = f"[{items[i]}]"
            elif how == "shallower" and items:
                items[i] = draw(st.floats(-3, 3).map(repr))
            elif how == "empty" and items:
                items[i] = "[]"
            elif how == "odd" and items:
                items[i] = draw(number_text)
            elif how == "text" and items:
                items[i] = quoted(draw(user_text))
            elif how == "alias" and items:
                items[0] = f"&a {items[0]}"
                items[i if i else -1] = "*a"
            elif how == "tag" and items:
                items[i] = f"{draw(st.sampled_from(TAGS))} {items[i]}"
            elif how == "mapping" and items:
                items[i] = "{a: 1}"
            elif how == "null" and items:
                items[i] = "null"
        return "[" + ", ".join(items) + "]"

    depth = draw(st.integers(1, len(dims)))
    path = [draw(st.integers(0, max(d - 1, 0))) for d in dims[:depth]]
    return build(dims, path)


def sizes():
    return st.fixed_dictionaries({"H": st.integers(1, 3), "D": st.integers(1, 3), "K": st.integers(1, 3),
                                  "P": st.integers(1, 3), "T": st.integers(1, 4)})


def _shape(param, n):
    return [n[s] for s in param.shape]


# ---------------------------------------------------------------- problem documents

@st.composite
def problem_texts(draw, cell_name=None):
    """(cell name, YAML text): a problem for the cell, usually nearly valid, with a few keys spoiled,
    odd keys, aliases, tags, comments, a BOM, CRLF line ends or several documents."""
    name = cell_name or draw(st.sampled_from(CELL_NAMES))
    cell = draw(st.sampled_from(cell_variants(name)))
    n = draw(sizes())
    lines = []
    if draw(st.booleans()):
        lines.append(f"cell: {draw(st.sampled_from([name, name, *CELL_NAMES, quoted('[red]x')]))}")
    fill = draw(st.sampled_from(["weights", "each", "concatenated"]))
    if fill == "weights":
        lines.append(f"weights: {draw(st.one_of(st.floats(-1, 1).map(repr), number_text))}")
    params = list(cell.params)
    if draw(st.booleans()):
        params = list(cell.with_output(draw(st.sampled_from(cells.OUTPUTS))).params)
    joined = {}
    if fill == "concatenated":  # W_f = [W_fh W_fx], shape (H, H+D), or (H, P+D) with a projection
        for name_joined, pair in cell.concatenated.items():
            joined.update(dict.fromkeys(pair, name_joined))
            rows, cols = cell.concatenated_shape(name_joined)
            lines.append(f"{name_joined}: {draw(number_lists([n[rows], n[cols.removesuffix('+D')] + n['D']]))}")
    for p in params:
        if fill == "weights" and p.kind == "weight" and p.name not in ("W_y",) or p.name in joined:
            continue
        if p.kind == "bias" and draw(st.booleans()):
            continue
        lines.append(f"{p.name}: {draw(number_lists(_shape(p, n)))}")
    for s in cell.states:
        if draw(st.booleans()):
            lines.append(f"{s.init_key}: {draw(number_lists([n[s.dim]], st.floats(-1, 1).map(repr)))}")
    x_dims = [n["T"], n["D"]]
    lines.append("x: " + draw(st.one_of(number_lists(x_dims), spoiled_lists(x_dims),
                                        spoiled_lists([n["T"], n["D"], 1]), flow_values)))
    for _ in range(draw(st.integers(0, 3))):  # spoil, add or repeat keys
        key = draw(st.sampled_from(CELL_KEYS + PROBLEM_KEYS + ODD_KEYS))
        value = draw(st.one_of(flow_values, spoiled_lists([n["H"], n["H"]]), number_text, user_text.map(quoted)))
        lines.insert(draw(st.integers(0, len(lines))), f"{key}: {value}")
    for _ in range(draw(st.integers(0, 2))):
        decoration = draw(st.sampled_from(["# " + draw(user_text).replace("\n", " "), "---", "...", "%YAML 1.2",
                                           "<<: {W_fh: 1}", "? x\n: 1", "  ", "\t"]))
        lines.insert(draw(st.integers(0, len(lines))), decoration)
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = draw(st.sampled_from(["\ufeff", "", "%YAML 1.2\n---\n", "--- !!map\n"])) + text
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("\n", "\r\n")
    return name, text


# ---------------------------------------------------------------- flags, read off the command line

def _options(command):
    """{flag: choices or None} and the switches of one command, from its Click parameters."""
    valued, switches = {}, []
    for p in COMMANDS[command].params:
        if not p.opts[0].startswith("-"):
            continue
        if getattr(p, "is_flag", False):
            switches.extend(p.opts + list(p.secondary_opts))
        else:
            valued[p.opts[0]] = tuple(getattr(p.type, "choices", ()) or ())
    return valued, switches


FILE_FLAGS = {"--x-file", "--target-file", "--save-svg", "--save-html"}  # given paths by the tests

flag_text = st.one_of(
    flow_values,
    number_text,
    user_text,
    st.lists(number_text, min_size=1, max_size=4).map(",".join),
    st.tuples(st.sampled_from(CELL_KEYS + ODD_KEYS), flow_values).map("=".join),
    st.sampled_from(["-", "", " ", "1:3", "2:", ":", "0", "-1", "3:1", "1,4", "h,c", "h", "s", "y", "h=1,2",
                     "c=2", "h=1", "t=1", "=1", "x"]),
)


@st.composite
def cell_flags(draw, name):
    """A list of command-line words for the cell command name: its flags with fitting or odd values."""
    valued, switches = _options(name)
    words = []
    for flag in draw(st.lists(st.sampled_from(sorted(set(valued) - FILE_FLAGS)), max_size=5)):
        choices = valued[flag]
        value = draw(st.one_of(st.sampled_from(choices), flag_text) if choices else flag_text)
        words += [flag, value] if draw(st.integers(0, 7)) else [f"{flag}={value}"]
    words += draw(st.lists(st.sampled_from(switches), max_size=2))
    return words


# ---------------------------------------------------------------- odd files

class FileMaker:
    """Writes one file into a folder and returns its path; shown by what it writes when a test fails."""

    def __init__(self, description, write, text=""):
        self.description, self.write, self.text = description, write, text  # text: what it writes, if text

    def __call__(self, folder):
        return self.write(folder)

    def __repr__(self):
        return f"FileMaker({self.description!r})"


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for member, data in members.items():
            z.writestr(member, data)


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


DTYPES = ["float64", "float32", "float16", "int8", "int64", "uint8", "bool", "complex128", "object", "U3",
          "datetime64[s]", "longdouble"]


@st.composite
def npz_files(draw, names):
    """A function writing an .npz (or something named .npz) of members drawn from names, into a folder."""
    kind = draw(st.sampled_from(["arrays", "arrays", "arrays", "npy", "text", "empty", "truncated", "not npy",
                                 "nested"]))
    members = draw(st.dictionaries(st.sampled_from(names), st.tuples(
        st.lists(st.integers(0, 3), max_size=3), st.sampled_from(DTYPES),
        st.sampled_from([0.5, 1, -1, np.nan, np.inf, 1e300, 70000])), max_size=5))

    def array(shape, dtype, fill):
        with np.errstate(all="ignore"):
            if dtype == "object":
                return np.array([{"a": 1}] * int(np.prod(shape)), dtype=object).reshape(shape)
            if dtype.startswith("datetime") or dtype == "U3":
                return np.zeros(shape, dtype=dtype)
            return np.full(shape, fill).astype(dtype)

    def write(folder):
        path = folder / "p.npz"
        arrays = {k: array(*v) for k, v in members.items()}
        if kind == "arrays":
            np.savez(path, **arrays)
        elif kind == "npy":
            np.save(folder / "p.npy", next(iter(arrays.values()), np.ones(2)))
            os.replace(folder / "p.npy", path)
        elif kind == "text":
            path.write_text("W_ss: 1\nx: 1\n")
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "truncated":
            np.savez(path, **(arrays or {"x": np.ones(3)}))
            path.write_bytes(path.read_bytes()[:-20])
        elif kind == "not npy":
            _zip(path, {"x.txt": "1 2 3", "W_ss.npy": b"\x93NUMPY garbage"})
        else:
            _zip(path, {"dir/x.npy": _npy_bytes(np.ones(2)), "../W_ss.npy": _npy_bytes(np.ones((1, 1)))})
        return path

    return FileMaker(f"{kind} .npz of {members}", write)


def _fifo(folder, content):
    """A named pipe that a thread fills with content once, as `mkfifo p; printf ... > p &` would."""
    import threading

    path = folder / "fifo.yaml"
    os.mkfifo(path)

    def fill():
        try:
            with open(path, "w") as f:
                f.write(content)
        except OSError:
            pass

    threading.Thread(target=fill, daemon=True).start()
    return path


def _special(where):
    if isinstance(where, str):
        return FileMaker(where, lambda folder: where)
    return FileMaker("a directory", where)


def _text_file(name, data):
    def write(folder):
        path = folder / name
        (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
        return path
    return FileMaker(f"{name} holding {data[:40]!r}", write, data if isinstance(data, str) else "")


def _symlink(target):
    def write(folder):
        link = folder / "link.yaml"
        link.symlink_to(target if isinstance(target, str) else folder / "link.yaml")
        return link
    return FileMaker(f"a symbolic link to {target or 'itself'}", write)


ODD_FILES = [
    _special("/dev/null"), _special("/proc/self/mem"), _special(lambda folder: folder), _special("/nonexistent/p"),
    _symlink("/nonexistent"), _symlink(None),  # a dangling link, a link to itself
    _text_file("p.yaml", b"\xff\xfe W\x00_\x00s\x00s\x00:\x00 \x001\x00"),  # UTF-16 with a BOM
    _text_file("p.yaml", b"W_ss: 1\nname: caf\xe9\n"),  # latin-1
    _text_file("p.yaml", b"\x00\x01\x02\x03"), _text_file("p.yaml", b"\x89PNG\r\n\x1a\n"),
    _text_file("p.csv", "1,2\n3\n"), _text_file("p.csv", "a,b\n1,2\n"), _text_file("p.txt", "1 2\n\n3 4\n"),
    _text_file("p.txt", "nan\ninf\n"), _text_file("p.txt", ""), _text_file("p.txt", "9" * 5000 + "\n"),
    _text_file("p.npy", b"\x93NUMPY\x01\x00garbage"),
]


def odd_files(names=("x", "W_ss", "W_sx", "h0", "s0", "weight_ih_l0", "kernel", "arr_0")):
    """A function writing one odd file into a folder and returning its path: .npz variants, FIFOs, unreadable
    files, directories, odd encodings, .npy/.csv/.txt inputs that are almost right."""
    fifo = problem_texts().map(lambda p: FileMaker(f"a FIFO fed {p[1][:200]!r}", lambda folder: _fifo(folder, p[1]),
                                                   p[1]))
    return st.one_of(st.sampled_from(ODD_FILES), npz_files(list(names)), fifo)


def _named(name):
    def write(folder):
        (folder / "p.yaml").write_text("W_ss: 1\n")
        return folder / name
    return FileMaker(name, write)


odd_outputs = st.sampled_from([
    _special("/dev/full"), _special("/dev/null"), _special(lambda folder: folder), _special("/nonexistent/p.svg"),
    _symlink("/nonexistent/p.svg"), _named("p.yaml"), _named("[red]p.svg"), _named("[/x].html"),
    _named("\x1b[2Jp.svg"), _named("no folder/p.svg"), _named(""),
])


# ---------------------------------------------------------------- faults of the machine around a run

# Command lines that write each kind of output (tables, every format, help, templates, refusals), run
# from the repository's root. LONG_X is replaced by a file of 3,000 steps, LONG_X_400 by one of 400: more
# output than a pipe holds.
FAULT_COMMANDS = [
    *[["lstm", "samples/seed.yaml", "-f", fmt, "--no-expect"]
      for fmt in ("table", "json", "jsonl", "csv", "markdown", "latex")],
    ["lstm", "samples/seed.yaml", "-q"], ["rnn", "samples/vanishing_rnn.yaml", "--grad"],
    ["gated", "samples/gated.yaml", "--save-svg", "SAVE"], ["equations"], ["init", "gru", "--hidden", "3"],
    ["check", "samples"], ["convert", "tests/reference/convert_lstm_H2_D3.npz", "--from", "pytorch"], ["--help"],
    ["lstm", "--help"], ["--version"], ["rnn", "missing.yaml"], ["lstm", "samples/seed.yaml", "-p", "W_fhh=1"],
    ["rnn", "-", "--weights", "0.5"], ["rnn", "--weights", "0.5", "-x", "-"],
    *[["rnn", "--weights", "0.5", "--x-file", "LONG_X", "-f", fmt] for fmt in ("jsonl", "csv", "json")],
    *[["rnn", "--weights", "0.5", "--x-file", "LONG_X_400", "-f", fmt, "--steps", "1:"]
      for fmt in ("table", "markdown")],
]
FAULTS = ["stdout /dev/full", "stdout closed", "stderr /dev/full", "stderr closed", "stdin closed", "broken pipe",
          "PYTHONIOENCODING=ascii", "PYTHONIOENCODING=latin-1", "LC_ALL=C", "COLUMNS=0", "COLUMNS=12", "TERM=dumb"]


# ---------------------------------------------------------------- every key as -p, and where it may go

def every_key(cell_name):
    """Every YAML key a problem of this cell may hold, read off the cell's description and the known keys:
    a key added to either is fuzzed and tested without a word."""
    from rnncalc.problemkeys import OPTION_KEYS

    entry = cells.CELLS[cell_name]
    keys = set(OPTION_KEYS) | {"W_y", "b_y"}
    for page in entry.pages:
        cell = entry(**page)
        keys |= {*cell.param_names, *cell.concatenated, *(s.init_key for s in cell.states)}
    return sorted(keys)


STACK_FILE = "x: [1, 2]\nweights: 0.5\nlayers:\n  - {hidden: 2}\n  - {hidden: 1}\n"
BIDIRECTIONAL_FILE = "x: [1, 2]\nweights: 0.5\nbidirectional: true\nlayers:\n  - {forward: {}, backward: {}}\n"


@st.composite
def param_flags(draw, cell_name, stack=False):
    """-p KEY=V words: KEY any key of the cell (addressed to a layer of a stack, or not), or an odd one; V
    a valid, odd or pasted value."""
    from rnncalc.stack import top_keys

    keys = every_key(cell_name)
    if stack:
        layer = st.tuples(st.sampled_from(["1", "2", "3"]), st.sampled_from(["", "forward.", "backward."]),
                          st.sampled_from(keys)).map(lambda a: f"layers.{a[0]}.{a[1]}{a[2]}")
        key = st.one_of(layer, st.sampled_from(sorted({*top_keys(cell_name), *keys})))
    else:
        key = st.one_of(st.sampled_from(keys), st.sampled_from(ODD_KEYS))
    value = st.one_of(flow_values, number_text, printed_arrays(), st.sampled_from(["0.5", "[0.5, 0.5]", "true",
                                                                                   "sign", "linear", "2", "{h: 1}"]))
    words = []
    for k, v in draw(st.lists(st.tuples(key, value), min_size=1, max_size=4)):
        words += ["-p", f"{k}={v}"]
    return words


# ---------------------------------------------------------------- arrays as numpy and PyTorch print them

@st.composite
def printed_arrays(draw, depths=st.integers(1, 19)):
    """An array as numpy or PyTorch print it, nested at and past the depth limit; sometimes wrapped in
    array(...) or tensor(..., dtype=...), sometimes with numpy's ... elision."""
    depth = draw(depths)
    numbers = draw(st.lists(st.sampled_from(["0", "1.", "-0.5", "1e-3", "nan", "inf", "2.5000"]), min_size=1,
                            max_size=3))
    text = " ".join(numbers)
    for _ in range(depth):
        text = f"[{text}]"
    wrap = draw(st.sampled_from(["{}", "array({})", "tensor({}, dtype=torch.float64)", "np.array({})",
                                 "{}...", "[{}\n {}]"]))
    return wrap.format(text, text)


# ---------------------------------------------------------------- file names with control characters

NAME_PIECES = ["\x1b[31m", "\x1b]0;t\x07", "\x07", "\u202e", "\n", "\r", "\t", "\x7f", "\x85", "\u200b", "\ufeff",
               "é", "σ", "1", "0.1", "weights", "file", "(", ")", "[red]", "|", "_", "%", "&", "$", "\\", "{", "}"]
odd_names = st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=5).map("".join)


# ---------------------------------------------------------------- what a program may pass the library

def _masked(values, mask):
    return np.ma.masked_array(np.array(values, dtype=float), mask=mask)


api_values = st.one_of(
    st.lists(st.floats(-2, 2), min_size=1, max_size=4).flatmap(
        lambda v: st.lists(st.booleans(), min_size=len(v), max_size=len(v)).map(lambda m: _masked(v, m))),
    st.just(np.ma.masked),
    st.sampled_from([np.array(1.5), np.array([1, 2], dtype=object), np.array(["a"]), np.array([1 + 1j]),
                     np.array([True, False]), np.array([[1.0, 2.0]]), np.array([np.nan]), np.zeros((0,)),
                     np.zeros((2, 1, 1)), np.float32(0.5), np.int64(3), np.bool_(True), np.str_("a\nb"),
                     np.datetime64("2020"), np.array([1, 2]).view([("a", int)]), np.array([2**70], dtype=object)]),
    st.lists(st.one_of(st.floats(-2, 2), st.just(np.float64(1.0)), st.just(np.ma.masked)), max_size=3),
    st.builds(tuple, st.lists(st.floats(-2, 2), max_size=3)),
    st.sampled_from([None, {1, 2}, range(3), b"1", "a\x1b[2Jb", {"h": np.ma.masked}, {1: 2}]),
)
