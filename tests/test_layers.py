"""The README's module map is the package's: every module listed, each importing only those above it,
and each list of choices defined once."""

import ast
import re
from pathlib import Path

from rnncalc import choices, cli_values, datawriters, writeups

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rnncalc"


def readme_order():
    text = (ROOT / "README.md").read_text()
    block = text.split("\n## How it is built\n", 1)[1].split("```")[1]
    return re.findall(r"^rnncalc/(\w+)\.py", block, re.M)


def imports(module):
    """The package's modules that module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnncalc"):
            found.add("rnncalc")  # the package imported by its name from inside
        elif isinstance(node, ast.Import) and any(a.name.startswith("rnncalc") for a in node.names):
            found.add("rnncalc")
    return found - {"__version__"}


def test_every_module_is_on_the_map():
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert sorted(readme_order()) == modules


def test_each_module_imports_only_those_above_it():
    order = readme_order()
    for module in order:
        below = {m for m in imports(module) if m not in order[:order.index(module)]}
        assert not below, f"rnncalc/{module}.py imports {', '.join(sorted(below))}, not above it in the README"


def test_nothing_is_imported_from_a_private_module():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            private = [n for n in names if n != "__future__" and any(p.startswith("_") for p in n.split("."))]
            assert not private, f"{path.name} imports {private[0]}"


def test_no_module_imports_another_modules_private_names():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("rnncalc")):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, f"{path.name} imports {', '.join(private)} from {node.module}"


def test_the_command_line_offers_the_cores_choices():
    assert [f.value for f in cli_values.Format] == list(choices.FORMATS) == ["table", *datawriters.WRITERS,
                                                                            *writeups.WRITERS]
    assert [m.value for m in cli_values.RoundMode] == list(choices.ROUND_MODES)
    assert [f.value for f in cli_values.Framework] == list(choices.FRAMEWORKS)
    assert [f.value for f in cli_values.CheckFormat] == list(choices.CHECK_FORMATS)
