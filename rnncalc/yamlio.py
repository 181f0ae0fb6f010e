"""Reading YAML safely: a safe loader only, YAML 1.2 numbers, no repeated keys, key line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .errors import InputError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):
    """A safe loader that reads 1e-3 and -2E+5 as numbers and refuses a key given twice."""

    source = "<string>"

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise InputError(f"{self.source}:{line}",
                                     f"key '{key_node.value}' given twice (first at line {seen[key_node.value]})")
                seen[key_node.value] = line
        return super().construct_mapping(node, deep)


# PyYAML follows YAML 1.1, where a float needs a dot; YAML 1.2 (and every user) reads 1e-3 as a number.
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


@dataclass
class Document:
    """One YAML document: its data and the line of each top-level key."""
    data: object
    source: str
    lines: dict = field(default_factory=dict)

    def where(self, key):
        line = self.lines.get(key)
        return f"{self.source}:{line}: {key}" if line else f"{self.source}: {key}"


def load_documents(text: str, source: str) -> list[Document]:
    """Every document in text; a YAML error becomes an InputError naming source and line."""
    loader = Loader(text)
    loader.source = source
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            lines = {}
            if isinstance(node, yaml.MappingNode):
                lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
            docs.append(Document(loader.construct_document(node), source, lines))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(where, f"not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    return docs


def parse_flow(text: str, where: str):
    """A flag's value in YAML flow syntax: 5, 1e-3, [1, 2], [[1, 2], [3, 4]]; a bare 0,1,1 is a list."""
    stripped = text.strip()
    if "," in stripped and not stripped.startswith(("[", "{")):
        stripped = f"[{stripped}]"
    try:
        docs = load_documents(stripped, where)
    except InputError as e:
        raise InputError(where, f"cannot read '{text}': {e.message}") from None
    if len(docs) != 1:
        raise InputError(where, f"cannot read '{text}' as a value")
    return docs[0].data
