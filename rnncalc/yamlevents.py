"""YAML 1.2 data built from PyYAML's parser events, within limits.

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

from .errors import InputError
from .text import clipped

MAX_NUMBERS = 2**22  # the most values one key may hold, aliases expanded
MAX_DOCUMENT_NUMBERS = 2**23  # the most 16 MiB of YAML could spell out, "0," each: aliases add none
MAX_DEPTH = 16  # lists and mappings inside each other
MAX_DIGITS = 4300  # an integer's digits, as Python's int() allows

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


def yaml_documents(text, source, max_documents):
    """Every YAML document in text, at most max_documents, each built from its events; a YAML error becomes
    an InputError naming source and line."""
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
