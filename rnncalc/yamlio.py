"""Reading problem files: a file's text within its size limit, a document that is one JSON object read by json's
parser to the data YAML reads from it, else YAML by yamlevents; a flag's value in flow syntax; the one
problem of several that --problem picks; the arrays of an .npz file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import InputError
from .text import clipped
from .yamlevents import MAX_DEPTH, MAX_DOCUMENT_NUMBERS, MAX_NUMBERS, Document, yaml_documents

MAX_YAML_BYTES = 16 * 2**20  # larger parameters belong in .npz, longer inputs in --x-file or -x -
MAX_DOCUMENTS = 1000  # documents in one file for rnncalc check


def is_stack(doc) -> bool:
    """Whether doc is a layers: problem, a stacked or bidirectional network (rnncalc.stack runs it)."""
    return isinstance(doc, Document) and isinstance(doc.data, dict) and "layers" in doc.data


def load_documents(text: str, source: str, max_documents: int = MAX_DOCUMENTS) -> list[Document]:
    """Every document in text, at most max_documents; a YAML error becomes an InputError naming source and line."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError(source, _too_long())
    plain = _json_document(text, source)
    if plain is not None:
        return [plain]
    return yaml_documents(text, source, max_documents)


_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's white space
# a character YAML refuses, or reads as a line break where JSON does not (NEL, LS, PS)
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _NotPlain(ValueError):
    """JSON that the YAML reader should read instead: a key given twice, NaN or Infinity."""


def _unique(pairs):
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _NotPlain
    return data


def _not_plain(_):
    raise _NotPlain


def _json_document(text, source):
    """A document that is one JSON object, read by json's C parser (about five times faster than YAML's events,
    for the weights of a large model): YAML 1.2 reads JSON as the same data, its numbers, strings, true,
    false and null being the core schema's. None for anything else, anything near a limit, a key given
    twice, a \\u escape, or a character YAML refuses or reads as a line break: the YAML reader then reads or
    refuses it."""
    start = _SPACE.match(text, 1 if text.startswith("\ufeff") else 0).end()
    if text[start:start + 1] != "{" or "\\u" in text or _UNPRINTABLE.search(text, start) \
            or text.count("\r") != text.count("\r\n"):  # a lone CR ends a line for YAML
        return None
    import json
    from json.decoder import scanstring

    scan = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_not_plain).scan_once
    data, lines, line, counted = {}, {}, 1, 0
    i = _SPACE.match(text, start + 1).end()
    try:
        while text[i:i + 1] != "}" or data:
            if text[i:i + 1] != '"':
                return None
            line, counted = line + text.count("\n", counted, i), i
            key, i = scanstring(text, i + 1)
            i = _SPACE.match(text, i).end()
            if key in data or text[i:i + 1] != ":":
                return None
            data[key], i = scan(text, _SPACE.match(text, i + 1).end())
            lines[key] = line
            i = _SPACE.match(text, i).end()
            if text[i:i + 1] == "}":
                break
            if text[i:i + 1] != ",":
                return None
            i = _SPACE.match(text, i + 1).end()
    except (ValueError, StopIteration, RecursionError):  # not JSON, or an integer longer than int() reads
        return None
    if _SPACE.match(text, i + 1).end() != len(text):
        return None
    counts = [1 + _count(value, 1) for value in data.values()]  # as the YAML reader counts: keys and scalars
    if max(counts, default=0) - 1 > MAX_NUMBERS or sum(counts) > MAX_DOCUMENT_NUMBERS:
        return None
    return Document(data, source, lines)


def _count(value, depth):
    """The scalars and keys in value, as the YAML reader counts them; past MAX_DEPTH, more than any limit."""
    kind = type(value)
    if kind is not list and kind is not dict:
        return 1
    if depth >= MAX_DEPTH:
        return MAX_DOCUMENT_NUMBERS + 1
    if kind is dict:
        return sum(1 + _count(v, depth + 1) for v in value.values())
    kinds = set(map(type, value))
    if list in kinds or dict in kinds:
        return sum(_count(v, depth + 1) for v in value)
    return len(value)


def _too_long():
    return (f"is over {MAX_YAML_BYTES // 2**20} MiB, the limit for a YAML problem; give large parameters "
            "as .npz and long inputs with --x-file or -x -")


def read_text(file: str) -> tuple[str, str]:
    """The text of a problem file (- for stdin) and the name to show for it, read no further than the
    size limit: an endless stream or device is refused once it passes it."""
    source = "<stdin>" if file == "-" else file
    if file == "-":
        if sys.stdin is None:
            raise InputError(source, "standard input is closed; give a file or pipe the input in")
        stream = getattr(sys.stdin, "buffer", sys.stdin)  # a text stream when tests replace stdin
    else:
        path = Path(file)
        if not path.exists():
            raise InputError(file, "no such file")
        if path.is_dir():
            raise InputError(file, "is a directory, not a YAML file")
    try:
        if file == "-":
            data = stream.read(MAX_YAML_BYTES + 1)
        else:
            with path.open("rb") as f:
                data = f.read(MAX_YAML_BYTES + 1)
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise InputError(source, "is not a text file; expected YAML") from None
    except OSError as e:
        raise InputError(source, f"cannot be read: {e.strerror or e}") from None
    if len(data) > MAX_YAML_BYTES:
        raise InputError(source, _too_long())
    if "\0" in text:
        raise InputError(source, "is not a text file; expected YAML")
    return text, source


def parse_flow(text: str, where: str):
    """A flag's value in YAML flow syntax: 5, 1e-3, [1, 2], [[1, 2], [3, 4]]; a bare 0,1,1 is a list; or
    an array as numpy or PyTorch print it: [0 0 1], array([1., 0.]), tensor([0.5000, -0.5000])."""
    from .pasted import NotPrinted, OverLimit, looks_printed, read_printed

    stripped = text.strip()
    if looks_printed(stripped):
        try:
            return read_printed(stripped, MAX_NUMBERS, MAX_DEPTH)
        except OverLimit as e:
            raise InputError(where, str(e)) from None
        except NotPrinted as e:
            raise InputError(where, f"cannot read '{clipped(stripped)}' as an array: {e}") from None
    if "," in stripped and stripped[:1] in "-+.0123456789":  # 0,1,1: a bare list of numbers (not !!seq [1, 2])
        stripped = f"[{stripped}]"
    numbers = _json_numbers(stripped)
    if numbers is not None:
        return numbers
    try:
        docs = load_documents(stripped, where, max_documents=1)
    except InputError as e:
        raise InputError(where, f"cannot read '{clipped(text)}': {e.message}") from None
    if len(docs) != 1:
        raise InputError(where, f"cannot read '{clipped(text)}' as a value")
    return docs[0].data


_JSON_NUMBERS = re.compile(r"[-+.0-9eE,\[\]\s]*")


def _json_numbers(text):
    """A flag's number or nested lists of numbers read as JSON, which spells them as a subset of YAML 1.2
    flow syntax with the same values (17 an int, 1.5 and 1e-3 floats), without loading a YAML parser;
    None for anything else or anything near a limit (the YAML reader then reads or refuses it)."""
    if not _JSON_NUMBERS.fullmatch(text) or len(text) >= 2 * MAX_NUMBERS - 1:  # so at most MAX_NUMBERS values
        return None
    import json

    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or an integer of more digits than int() reads
        return None
    return value if _depth(value) <= MAX_DEPTH else None


def _depth(value):
    """How deep lists nest in value: 0 for a number, 1 for a flat list."""
    if type(value) is not list:
        return 0
    return 1 + max((_depth(v) for v in value if type(v) is list), default=0)


def read_document(file: str | None, chosen: str | None = None) -> Document | None:
    """The problem in a YAML file (- for stdin) or an .npz file: its only one, or the one --problem names;
    None for no file."""
    if file is None:
        if chosen is not None:
            raise InputError("--problem", "picks a problem out of a file; give the file")
        return None
    if file.endswith(".npz"):
        if chosen is not None:
            raise InputError("--problem", "picks a document of a YAML file; an .npz file holds one problem")
        from .npyio import npz_values  # numpy, only for an .npz
        return Document(npz_values(file), file)
    docs = load_documents(*read_text(file))
    source = docs[0].source if docs else file
    if not docs:
        raise InputError("<stdin>" if file == "-" else file, "is empty; expected a mapping of keys such as "
                         "W_fh, h0 and x (rnncalc init CELL prints a template)")
    if chosen is not None:
        return pick_document(docs, chosen, source)
    if len(docs) > 1:
        raise InputError(source, f"holds {len(docs)} YAML documents; choose one with --problem NAME or "
                                 f"--problem N (1 to {len(docs)}), or run them all with rnncalc check")
    return docs[0]


def pick_document(docs, chosen: str, source: str):
    """The document --problem names: by its name: key, or by its number from 1."""
    names = [d.data.get("name") if isinstance(d.data, dict) else None for d in docs]
    matches = [d for d, name in zip(docs, names) if name is not None and str(name) == chosen]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputError(f"--problem {clipped(chosen)}", f"{len(matches)} problems in {source} have this name; give "
                                                f"its number instead (1 to {len(docs)})")
    if re.fullmatch(r"\s*[0-9]+\s*", chosen):
        n = int(chosen) if len(chosen.strip()) <= 18 else 0  # longer is no problem's number, nor int()'s
        if 1 <= n <= len(docs):
            return docs[n - 1]
        raise InputError(f"--problem {clipped(chosen.strip())}",
                         f"{source} holds {len(docs)} problem{'s' * (len(docs) != 1)}; "
                         f"expected a number from 1 to {len(docs)} or a name")
    known = [repr(clipped(n)) for n in names if n is not None]
    shown = ", ".join(known[:10]) + (", …" if len(known) > 10 else "")
    listed = f"; its problems are named {shown}" if known else "; none is named"
    raise InputError(f"--problem {clipped(chosen)}", f"no problem of this name in {source}{listed} (or give a number "
                                            f"from 1 to {len(docs)})")
