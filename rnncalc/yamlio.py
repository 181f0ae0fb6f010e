"""Reading problem documents: YAML safely (a safe loader only, YAML 1.2 numbers, no repeated keys,
key line numbers, a size limit), or the arrays of an .npz file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import streams
from .errors import InputError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_CHARS = 16 * 2**20  # larger parameters belong in .npz, longer inputs in --x-file


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
        if not self.source:
            return key
        return f"{self.source}:{line}: {key}" if line else f"{self.source}: {key}"


def load_documents(text: str, source: str) -> list[Document]:
    """Every document in text; a YAML error becomes an InputError naming source and line."""
    if len(text) > MAX_YAML_CHARS:
        raise InputError(source, f"holds {len(text) / 2**20:.1f} MiB of YAML, over the limit of "
                                 f"{MAX_YAML_CHARS // 2**20} MiB; give large parameters as .npz and long "
                                 "inputs with --x-file")
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
        tag = re.search(r"constructor for the tag '([^']*)'", problem)
        if tag:
            shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise InputError(where, f"the tag {shown} is refused: rnncalc reads plain YAML data "
                                    "(numbers, lists, mappings) only") from None
        raise InputError(where, f"not valid YAML: {problem}") from None
    except RecursionError:
        raise InputError(source, "not valid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return docs


def parse_flow(text: str, where: str):
    """A flag's value in YAML flow syntax: 5, 1e-3, [1, 2], [[1, 2], [3, 4]]; a bare 0,1,1 is a list; or
    an array as numpy or PyTorch print it: [0 0 1], array([1., 0.]), tensor([0.5000, -0.5000])."""
    from .pasted import NotPrinted, looks_printed, read_printed

    stripped = text.strip()
    if looks_printed(stripped):
        try:
            return read_printed(stripped)
        except NotPrinted as e:
            raise InputError(where, f"cannot read '{text.strip()[:60]}' as an array: {e}") from None
    if "," in stripped and not stripped.startswith(("[", "{")):
        stripped = f"[{stripped}]"
    try:
        docs = load_documents(stripped, where)
    except InputError as e:
        raise InputError(where, f"cannot read '{text}': {e.message}") from None
    if len(docs) != 1:
        raise InputError(where, f"cannot read '{text}' as a value")
    return docs[0].data


def load_npz(path: str) -> Document:
    """An .npz of arrays under the YAML keys (W_fh, b_f, h0, x, ...) as a Document; no pickles."""
    import zipfile

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise InputError(path, f"is not a readable .npz of arrays ({e})") from None
    for key, a in data.items():
        if a.dtype.kind in "US" and a.ndim == 0:
            data[key] = str(a)  # an option such as cell or variant, saved as a string
        elif a.dtype.kind not in "iuf":
            raise InputError(f"{path}: {key}", f"expected an array of numbers, found dtype {a.dtype}")
    return Document(data, path)


def read_text(file: str):
    """The text of a problem file (- for stdin) and the name to show for it."""
    source = "<stdin>" if file == "-" else file
    path = Path(file)
    if file != "-" and not path.exists():
        raise InputError(file, "no such file")
    if file != "-" and path.is_dir():
        raise InputError(file, "is a directory, not a YAML file")
    try:
        text = streams.stdin_text(source).read() if file == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(source, "is not a text file; expected YAML") from None
    except OSError as e:
        raise InputError(source, f"cannot be read: {e.strerror or e}") from None
    if "\0" in text:
        raise InputError(source, "is not a text file; expected YAML")
    return text, source


def read_document(file: str | None, chosen: str | None = None) -> Document | None:
    """The problem in a YAML file (- for stdin) or an .npz file: its only one, or the one --problem names;
    None for no file."""
    if file is None:
        if chosen is not None:
            raise InputError("--problem", "picks a problem out of a file; give the file")
        return None
    if file.endswith(".npz"):
        if not Path(file).is_file():
            raise InputError(file, "no such file")
        if chosen is not None:
            raise InputError("--problem", "picks a document of a YAML file; an .npz file holds one problem")
        return load_npz(file)
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
        raise InputError(f"--problem {chosen}", f"{len(matches)} problems in {source} have this name; give "
                                                f"its number instead (1 to {len(docs)})")
    if chosen.strip().isdigit():
        n = int(chosen)
        if 1 <= n <= len(docs):
            return docs[n - 1]
        raise InputError(f"--problem {chosen}", f"{source} holds {len(docs)} problem{'s' * (len(docs) != 1)}; "
                                                f"expected a number from 1 to {len(docs)} or a name")
    known = [str(n) for n in names if n is not None]
    listed = f"; its problems are named {', '.join(repr(n) for n in known)}" if known else "; none is named"
    raise InputError(f"--problem {chosen}", f"no problem of this name in {source}{listed} (or give a number "
                                            f"from 1 to {len(docs)})")
