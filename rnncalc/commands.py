"""What each command does, as the command line calls it: a cell command's run, from its file and flags to
what it writes, and check's record for each problem. Failures come back as an exit status and one line."""

from __future__ import annotations

import os
from pathlib import Path

from .cells import CELLS
from .errors import ExpectationError, InputError, NonFiniteError
from .yamlio import read_document


# ---------------------------------------------------------------- a cell command

def calculate(cell_name, file, chosen, flags, view, inputs, out) -> None:
    """A cell command: check the view, read the problem file (its problem `chosen` by name or number, when
    given; a layers: file is a stack), build the problem with the flags, run it and write it to out; report
    a failure with fail(message). The exit status. inputs: (name, path) of each file read, which
    --save-svg and --save-html may not overwrite."""
    from .problem import build
    from .yamlio import is_stack

    check_view(view, flags.grad)
    check_saves(view, inputs)
    if view.plot is not None:
        from .plot import check_target
        check_target(view.plot)
    if file == "-" and flags.x == "-":
        raise InputError("-x -", "standard input holds the problem file (FILE -), so it cannot also hold the "
                                 "steps; give the problem as a file, or the steps with -x or --x-file")
    document = read_document(file, chosen)
    if is_stack(document):  # a layers: file, stacked or bidirectional
        from .stack import build_stack
        return report_stack(build_stack(cell_name, document, flags), view, out)
    return report(build(cell_name, document, flags), view, out)


def check_view(view, grad=False):
    quiet, fmt = view.flag("-q"), view.flag("--format")
    if grad and (view.quiet or view.format not in ("table", "json")):
        other = quiet if view.quiet else f"{fmt} {view.format}"
        raise InputError("--grad", f"shows the backward pass as tables or as JSON; instead of {other}, use "
                                   f"{fmt} json (its loss, grad and backward keys) or the table")
    saving = [flag for flag, _ in view.saves()]
    if saving and (view.format != "table" or view.quiet):
        raise InputError(saving[0], f"keeps the rendered table, so it needs {fmt} table without {quiet}")
    if view.quiet and view.format != "table":
        raise InputError(quiet, f"prints only the final state; it cannot be combined with {fmt} {view.format}")
    if view.last and view.steps is not None:
        raise InputError("--last", "--steps already chooses the steps shown; give one of them")


def check_saves(view, inputs):
    """Each --save-svg/--save-html path is a file that can be written, and neither an input nor the other
    output (through a symbolic or hard link too): refused before anything is read or written."""
    taken = [(name, path) for name, path in inputs if path not in (None, "-")]
    for flag, path in view.written():
        where, p = f"{flag} {path}", Path(path)
        if not path:
            raise InputError(flag, "expected a file name, found ''")
        if p.is_dir():
            raise InputError(where, "is a directory; give a file name")
        if not p.parent.is_dir():
            raise InputError(where, f"no such folder '{p.parent}'")
        if not os.access(p if p.exists() else p.parent, os.W_OK):
            raise InputError(where, "cannot be written: permission denied")
        for name, other in taken:
            if _same_file(p, Path(other)):
                raise InputError(where, f"is also the {name}; saving would overwrite it")
        taken.append((f"{flag} file", path))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet
        return a.resolve() == b.resolve()


def report(problem, view, out) -> None:
    """Run the problem and write it to out as the view asks; NonFiniteError or ExpectationError when the run
    overflowed or an expected value does not hold."""
    from . import datawriters, runner

    console = None
    if view.quiet:
        from .datawriters import QuietWriter

        writer = QuietWriter(out, view)
    elif view.format == "table":
        from .render_console import make_console
        from .render_steps import TableWriter

        console = make_console(no_color=view.no_color, record=bool(view.save_svg or view.save_html))
        writer = TableWriter(console, view)
    elif view.format in ("markdown", "latex"):
        from .writeups import WRITERS

        writer = WRITERS[view.format](out, view)
    else:
        writer = datawriters.WRITERS[view.format](out, view)
    if view.plot is not None and problem.live:  # the picture shows the whole run: the stream is read first
        import numpy as np
        problem.xs = np.array(list(problem.xs), dtype=float).reshape(-1, problem.sizes["D"])  # (T, D)
        problem.live, problem.steps = False, len(problem.xs)
    with runner.progress_bar(problem.steps) as tick:
        summary = runner.run(problem, view, writer, tick)
    _outcome(summary.broken, summary.checks, problem, view, console,
             lambda: _document(lambda v, out: runner.run(problem, v, datawriters.JsonWriter(out, v))))


def report_stack(stack, view, out) -> None:
    """Run a stack and write it to out as the view asks; NonFiniteError or ExpectationError as report()."""
    from . import network, stackformats

    stackformats.check_quiet_names(stack, view)
    if view.steps is not None and not stack.live:  # a stream's steps are checked when it ends
        view.steps.check(len(stack.xs))
    console = None
    if view.format == "table" and not view.quiet:
        from .render_console import make_console

        console = make_console(no_color=view.no_color, record=bool(view.save_svg or view.save_html))
    if view.plot is not None and stack.live:  # the picture shows the whole run: the stream is read first
        import numpy as np
        stack.xs = np.array(list(stack.xs), dtype=float).reshape(-1, stack.layers[0].problem.sizes["D"])  # (T, D)
        stack.live = False
    result = network.run_stack(stack, view, stackformats.writer_for(view, out, console))
    broken = result.broken and (result.broken[1], f"{result.broken[0]}: {result.broken[2]}")
    _outcome(broken, result.every_check, stack, view, console,
             lambda: _document(lambda v, out: network.run_stack(stack, v, stackformats.writer_for(v, out, None))))


def _document(run):
    """The --format json document of a run, run(view, out) writing it."""
    import io
    import json

    from .runner import View

    out = io.StringIO()
    run(View(format="json"), out)
    return json.loads(out.getvalue())


def _outcome(broken, checks, problem, view, console, document=None):
    """After a run: NonFiniteError when it broke off (its table not saved, its picture not drawn), else the table
    saved and the run drawn (from its JSON document, document()) as the view asks, and ExpectationError when an
    expected value does not hold."""
    if broken is not None:
        raise NonFiniteError.at(*broken)
    if console is not None:
        from .render_console import save_recorded

        save_recorded(console, view)
    if view.plot is not None and document is not None:
        from .plot import save

        save(document(), view.plot)
    if any(not c.ok for c in checks):
        raise ExpectationError(checks, problem.digits, problem.atol)


# ---------------------------------------------------------------- check

def template(cell_name: str, h: int, d: int, proj: int | None = None) -> str:
    """rnncalc init: the cell's YAML template at H and D (and the projection's P, for a projected LSTM), within
    the sizes a cell command reads and the size of a YAML problem."""
    import math

    from .reading import MAX_SIZE
    from .yamltemplate import yaml_template
    from .yamlio import MAX_YAML_BYTES

    for flag, name, n in (("--hidden", "hidden size H", h), ("--input", "input size D", d),
                          ("--proj", "projection size P", proj)):
        if n is not None and n > MAX_SIZE:
            raise InputError(flag, f"the {name} = {n} is over rnncalc's limit of {MAX_SIZE}")
    entry = CELLS[cell_name]
    sizes = {"H": h, "D": d}
    if proj is not None:
        cell = entry(**entry.implied({"proj"})) if entry.implied else entry()
        if cell.visible_dim != "P":
            raise InputError(f"--proj {proj}", f"is the size of a projected LSTM's h_t; the {cell_name} cell has none")
        sizes["P"] = proj
    else:
        cell = entry()
    numbers = sum(math.prod(sizes[dim] for dim in p.shape) for p in cell.params if "K" not in p.shape)
    too_big = InputError(f"--hidden {h} --input {d}", f"the template would be over {MAX_YAML_BYTES // 2**20} MiB, "
                                                      "the most a YAML problem may hold; give parameters this "
                                                      "large in an .npz file")
    if 3 * numbers > MAX_YAML_BYTES:  # "0, " a number
        raise too_big
    text = yaml_template(cell, sizes)
    if len(text.encode()) > MAX_YAML_BYTES:
        raise too_big
    return text


def check_problems(paths) -> list[dict]:
    """Run every problem in the files and folders (a path, or a list of them) and check its expect:
    values: a record a problem (see rnncalc.check). A path that does not exist is an InputError; a
    value that would hold at fewer digits names the file's keys digits: and atol: in its hint."""
    import re

    from .problemkeys import cell_hint
    from .text import clipped

    listed = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    if isinstance(listed, (bytes, dict)) or not hasattr(listed, "__iter__"):
        raise InputError("paths", f"expected a path or a list of paths of YAML files and folders, found "
                                  f"{type(paths).__name__}")
    listed = list(listed)
    for path in listed:
        if not isinstance(path, (str, os.PathLike)):
            raise InputError("paths", f"expected paths of YAML files and folders, found {clipped(repr(path))} "
                                      f"({type(path).__name__})")
        if not os.path.lexists(path):
            raise InputError(os.fspath(path), "no such file or folder")
    records = [record for file in problem_files(listed) for record in check_file(file)]
    for r in records:  # said as the files' keys, which check reads
        cell = re.search(r"each problem names its cell \(.*\), found the text '(.*)'$", r["message"])
        if cell:
            r["message"] += cell_hint(cell[1])
        r["message"] = re.sub(r"\(holds at --digits ([0-9]+), or give --atol\)$", r"(holds at digits: \1, or give atol:)",
                              r["message"])
    return records




def problem_files(paths):
    """The files to check: each path given, a folder replaced by its YAML files, recursively, sorted."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found = sorted((f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file()),
                           key=lambda f: f.relative_to(p).parts)
            yield from (str(f) for f in found) if found else [(str(path), "is a folder with no *.yaml or *.yml files")]
        else:
            yield str(path)


def check_file(file):
    """rnncalc check's records for each problem of one file: file, problem, index, verdict, checked,
    failed, message."""
    from .problem import Flags, build
    from .runner import NullWriter, View, run
    from .yamlio import is_stack
    from .text import clipped
    from .reading import kind_of
    from .yamlio import load_documents, read_text

    def record(problem, index, verdict, checked=0, failed=0, message=""):
        return {"file": name, "problem": problem, "index": index, "verdict": verdict, "checked": checked,
                "failed": failed, "message": message}

    if isinstance(file, tuple):  # a folder without problems
        name = file[0]
        yield record(None, None, "error", message=f"{file[0]}: {file[1]}")
        return
    name = file
    try:
        docs = load_documents(*read_text(file))
    except InputError as e:
        yield record(None, None, "error", message=str(e))
        return
    if not docs:
        yield record(None, None, "error", message=f"{file}: holds no problem; expected YAML documents, each "
                                                  "a mapping with a cell: key")
    for n, doc in enumerate(docs, start=1):
        data = doc.data if isinstance(doc.data, dict) else {}
        named = data.get("name")
        label = clipped(named) if isinstance(named, (str, int, float)) else None
        try:
            cell = data.get("cell")
            if not isinstance(cell, str) or cell not in CELLS:
                raise InputError(doc.where("cell"), f"each problem names its cell ({', '.join(CELLS)}), "
                                                    f"found {kind_of(cell)}")
            if is_stack(doc):
                yield record(label, n, *_check_stack(cell, doc))
                continue
            problem = build(cell, doc, Flags())
            summary = run(problem, View(format="check"), NullWriter())
        except InputError as e:
            yield record(label, n, "error", message=str(e))
            continue
        checked, failed = len(summary.checks), len(summary.failed)
        if summary.broken is not None:
            t, key = summary.broken
            yield record(label, n, "non-finite", checked, failed, f"{key} is not finite at t = {t}")
        elif failed:
            yield record(label, n, "fail", checked, failed,
                         summary.failed[0].describe(problem.digits, problem.atol))
        elif checked:
            yield record(label, n, "pass", checked, 0, f"{checked} value{'s' * (checked != 1)} as expected")
        else:
            yield record(label, n, "ran", 0, 0, "no expect: nothing checked")


def _check_stack(cell, doc):
    """rnncalc check's verdict, checked, failed and message for a layers: problem."""
    from .network import run_stack
    from .problem import Flags
    from .runner import View
    from .stack import build_stack
    from .stackformats import Unwritten

    stack = build_stack(cell, doc, Flags())
    result = run_stack(stack, View(format="check"), Unwritten())
    if result.broken is not None:
        label, t, key = result.broken
        return "non-finite", 0, 0, f"{label}: {key} is not finite at t = {t}"
    checks, failed = result.every_check, result.failed
    if failed:
        return "fail", len(checks), len(failed), failed[0].describe(stack.digits, stack.atol)
    n = len(checks)
    return ("pass", n, 0, f"{n} value{'s' * (n != 1)} as expected") if n else ("ran", 0, 0, "no expect: nothing checked")
