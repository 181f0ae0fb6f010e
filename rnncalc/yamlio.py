"""Reading problem documents: YAML 1.2 data within limits, or the arrays of an .npz file.

YAML is read from the parser's events, never through PyYAML's composer or constructor: scalars by the
YAML 1.2 core schema (017 is 17; 0b101, 1_000, 1:30, yes and on are text), keys as written, no tags but
the core ones, and every limit checked as the events arrive, so an oversized or malicious document is
refused before it is built: its values counted as its aliases expand them, its nesting, its integers'
digits and its number of documents.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

from .errors import InputError
from .text import clipped

MAX_YAML_BYTES = 16 * 2**20  # larger parameters belong in .npz, longer inputs in --x-file or -x -
MAX_NUMBERS = 2**22  # the most values one key may hold, aliases expanded
MAX_DOCUMENT_NUMBERS = 2**23  # the most 16 MiB of YAML could spell out, "0," each: aliases add none
MAX_DEPTH = 16  # lists and mappings inside each other
MAX_DIGITS = 4300  # an integer's digits, as Python's int() allows
MAX_DOCUMENTS = 1000  # documents in one file for rnncalc check

_CORE = "tag:yaml.org,2002:"
DECIMAL = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"  # 17, 1.5, 1e-3, .5: YAML 1.2's decimals
_DECIMAL = re.compile(DECIMAL)
_BASED = re.compile(r"0o[0-7]+|0x[0-9a-fA-F]+")
_SPECIAL = {f"{sign}.{word}": float(f"{sign}inf") for sign in ("", "+", "-") for word in ("inf", "Inf", "INF")}
_SPECIAL.update({f".{word}": math.nan for word in ("nan", "NaN", "NAN")})
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


class _Refused(ValueError):
    """A scalar the core schema refuses; the caller adds where it is."""


def _plain(text):
    """A plain (untagged, unquoted) scalar by the YAML 1.2 core schema: a number (17, 1.5, 1e-3, .inf,
    0o17, 0x1F), null, a boolean (true, false), else text."""
    if _DECIMAL.fullmatch(text):
        if "." in text or "e" in text or "E" in text:
            return float(text)
        return _integer(text, text.lstrip("+-"), 10)
    if text in _SPECIAL:
        return _SPECIAL[text]
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _BASED.fullmatch(text):
        return _integer(text, text[2:], 8 if text[1] == "o" else 16)
    return text


def _integer(text, digits, base):
    if len(digits) > MAX_DIGITS:
        raise _Refused(f"an integer of {len(digits):,} digits; rnncalc reads at most {MAX_DIGITS:,}")
    return int(digits if base != 10 else text, base)


def _tagged(text, tag):
    """A scalar with an explicit core tag (!!str, !!int, !!float, !!bool, !!null), held to its tag."""
    name = tag[len(_CORE):]
    if name == "str":
        return text
    value = _plain(text)
    ok = {"int": type(value) is int, "float": type(value) in (int, float), "bool": type(value) is bool,
          "null": value is None}
    if not ok[name]:
        raise _Refused(f"'{clipped(text)}' is not a YAML 1.2 {name}")
    # an integer beyond float64 stays one, to be refused as such where a number is read
    return float(value) if name == "float" and abs(value) <= sys.float_info.max else value


def _refuse_tag(tag):
    return _Refused(f"the tag {clipped(tag.replace(_CORE, '!!'))} is refused: rnncalc reads plain YAML data "
                    "(numbers, lists, mappings) only")


def _scalar(event):
    tag = event.tag
    if tag is None:
        return _plain(event.value) if event.implicit[0] else event.value
    if tag == "!":
        return event.value
    if tag.startswith(_CORE) and tag[len(_CORE):] in ("str", "int", "float", "bool", "null"):
        return _tagged(event.value, tag)
    raise _refuse_tag(tag)


class Document:
    """One YAML document: its data and the line of each top-level key."""
    __slots__ = ("data", "source", "lines")

    def __init__(self, data, source: str, lines=None):
        self.data, self.source, self.lines = data, source, {} if lines is None else lines

    def where(self, key):
        line = self.lines.get(key)
        if not self.source:
            return key
        return f"{self.source}:{line}: {clipped(key)}" if line else f"{self.source}: {clipped(key)}"


def is_stack(doc) -> bool:
    """Whether doc is a layers: problem, a stacked or bidirectional network (rnncalc.stack runs it)."""
    return isinstance(doc, Document) and isinstance(doc.data, dict) and "layers" in doc.data


class _Open:
    """A list or mapping being read: its value, anchor, the document's count when it began, and (for
    a mapping) the key waiting for its value."""
    __slots__ = ("value", "anchor", "start", "key")

    def __init__(self, value, anchor, start):
        self.value, self.anchor, self.start, self.key = value, anchor, start, None


def _parser(text):
    """A YAML event parser over text: libyaml's when PyYAML has it, else PyYAML's own. PyYAML is imported
    here, when a document is first read, so that a problem given by flags alone starts without it."""
    try:
        from yaml.cyaml import CParser  # libyaml's parser: events only, no composer
    except ImportError:  # PyYAML without libyaml: its own scanner and parser
        from yaml import SafeLoader as CParser
    return CParser(text)


def _document(next_event, source) -> Document:
    """The document whose DocumentStartEvent was just read, built from its events up to DocumentEndEvent.

    Every value is counted as it arrives — an alias as the values it repeats — and the count of the
    current top-level key and of the document checked against their limits before anything more is read.
    """
    from yaml.events import (AliasEvent, DocumentEndEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                             SequenceEndEvent, SequenceStartEvent)

    anchors = {}  # name -> (value, values it holds, its text when a scalar)
    stack = []  # the open lists and mappings, outermost first
    lines = {}
    total = 0  # values read so far, aliases expanded
    key_start, key_where = 0, source  # the top-level key being read: the count when it began, its place
    root = None
    while True:
        event = next_event()
        kind = type(event)
        try:
            if kind is ScalarEvent or kind is AliasEvent:
                if kind is ScalarEvent:
                    value, n, text = _scalar(event), 1, event.value
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1, text)
                else:
                    if event.anchor not in anchors:
                        open_anchor = any(o.anchor == event.anchor for o in stack)
                        raise _Refused(f"the alias *{clipped(event.anchor)} " + (
                            "is inside the value it names" if open_anchor else "names no anchor before it"))
                    value, n, text = anchors[event.anchor]
                total += n
                if total - key_start > MAX_NUMBERS:
                    raise InputError(key_where, f"holds more than {MAX_NUMBERS:,} values (an alias counts as "
                                                "the values it repeats), the limit for one key")
                if total > MAX_DOCUMENT_NUMBERS:
                    raise InputError(source, f"holds more than {MAX_DOCUMENT_NUMBERS:,} values (an alias "
                                             "counts as the values it repeats), the limit for one document")
            elif kind is SequenceStartEvent or kind is MappingStartEvent:
                tag = event.tag
                if tag not in (None, "!", _CORE + ("seq" if kind is SequenceStartEvent else "map")):
                    raise _refuse_tag(tag)
                if len(stack) == MAX_DEPTH:
                    raise _Refused(f"lists and mappings nested more than {MAX_DEPTH} deep")
                stack.append(_Open([] if kind is SequenceStartEvent else {}, event.anchor, total))
                continue
            elif kind is SequenceEndEvent or kind is MappingEndEvent:
                done = stack.pop()
                value, n, text = done.value, total - done.start, None
                if done.anchor is not None:
                    anchors[done.anchor] = (value, n, None)
            elif kind is DocumentEndEvent:
                return Document(root, source, lines)
            else:
                raise _Refused(f"unexpected {kind.__name__}")
            if not stack:
                root = value
                continue
            top = stack[-1]
            if type(top.value) is list:
                top.value.append(value)
            elif top.key is None:
                if text is None:
                    raise _Refused(f"keys must be names such as W_fh, found a "
                                   f"{'list' if type(value) is list else 'mapping'}")
                if text in top.value:
                    first = f" (first at line {lines[text]})" if len(stack) == 1 else ""
                    raise _Refused(f"key '{clipped(text)}' given twice{first}")
                top.key = text
                if len(stack) == 1:
                    lines[text] = event.start_mark.line + 1
                    key_start, key_where = total, f"{source}:{lines[text]}: {clipped(text)}"
            else:
                top.value[top.key] = value
                top.key = None
        except _Refused as e:
            raise InputError(f"{source}:{event.start_mark.line + 1}", str(e)) from None


def load_documents(text: str, source: str, max_documents: int = MAX_DOCUMENTS) -> list[Document]:
    """Every document in text, at most max_documents; a YAML error becomes an InputError naming source and line."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError(source, _too_long())
    plain = _json_document(text, source)
    if plain is not None:
        return [plain]
    return _yaml_documents(text, source, max_documents)


def _yaml_documents(text, source, max_documents):
    import yaml
    from yaml.events import StreamEndEvent

    docs, parser = [], None
    try:
        parser = _parser(text)
        parser.get_event()  # StreamStartEvent
        while not isinstance(parser.get_event(), StreamEndEvent):  # DocumentStartEvent
            if len(docs) == max_documents:
                many = "more than one YAML document" if max_documents == 1 else \
                    f"more than {max_documents:,} YAML documents"
                raise InputError(source, f"holds {many}; " + (
                    "a cell command reads one (rnncalc check runs them all)" if max_documents == 1
                    else "split it into several files"))
            docs.append(_document(parser.get_event, source))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if "maximum nesting depth" in problem:  # PyYAML ≥ 6.0.4 stops at its own depth, far past MAX_DEPTH
            raise InputError(where, f"lists and mappings nested more than {MAX_DEPTH} deep") from None
        raise InputError(where, f"not valid YAML: {problem}") from None
    finally:
        if parser is not None:
            parser.dispose()
    return docs


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
