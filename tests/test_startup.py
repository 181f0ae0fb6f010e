"""A one-shot call imports only what its command needs, and the shortcuts that allow it read the same values."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import deep_only
from rnncalc.errors import InputError
from rnncalc.yamlevents import MAX_DEPTH, yaml_documents
from rnncalc.yamlio import _json_document, _json_numbers, load_documents, parse_flow

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def loaded_after(*args):
    """The top-level packages a command-line run of args leaves imported."""
    code = ("import sys; from rnncalc.cli import run; status = run(sys.argv[1:]); "
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    r = subprocess.run([sys.executable, "-c", code, *args], env=ENV, capture_output=True, text=True, check=True)
    return set(json.loads(r.stdout.splitlines()[-1].replace("'", '"')))


@pytest.mark.parametrize("output", [["--format", "json"], deep_only(["--format", "jsonl"]),
                                    deep_only(["--format", "csv"]), ["-q"]], ids=" ".join)
def test_flags_alone_need_no_yaml_and_plain_formats_no_rich(output):
    loaded = loaded_after("lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5", "-p", "W_fh=[[1]]", *output)
    assert "numpy" in loaded and "yaml" not in loaded and "rich" not in loaded


@pytest.mark.parametrize("output, writes", [(["--format", "json"], True), (["-q"], True), ([], False),
                                            (["--format", "markdown"], False)], ids=["json", "q", "table", "markdown"])
def test_orjson_is_loaded_where_a_machine_readable_number_is_written(output, writes):
    loaded = loaded_after("lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5", *output)
    assert ("orjson" in loaded) == writes


def test_version_and_help_load_neither_numpy_nor_orjson():
    for args in (["--version"], ["--help"]):
        code = ("import sys; from rnncalc.cli import entry; sys.argv = ['rnncalc', *sys.argv[1:]]\n"
                "try:\n    entry()\nexcept SystemExit:\n    pass\n"
                "print(sorted({m.split('.')[0] for m in sys.modules}))")
        r = subprocess.run([sys.executable, "-c", code, *args], env=ENV, capture_output=True, text=True, check=True)
        loaded = set(json.loads(r.stdout.splitlines()[-1].replace("'", '"')))
        assert "numpy" not in loaded and "orjson" not in loaded, args


def test_a_yaml_file_is_read_with_yaml():
    assert "yaml" in loaded_after("lstm", str(ROOT / "samples" / "seed.yaml"), "--format", "json")


numbers = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=False, allow_infinity=False))
nested = st.recursive(numbers, lambda inner: st.lists(inner, max_size=4), max_leaves=12)


@given(nested)
def test_json_shortcut_reads_what_yaml_reads(value):
    text = json.dumps(value)
    by_yaml = load_documents(text, "-x", max_documents=1)[0].data
    shortcut = _json_numbers(text)
    assert shortcut == by_yaml and repr(shortcut) == repr(by_yaml)  # the same values, ints as ints


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
data = st.recursive(st.one_of(numbers, st.booleans(), st.none(), names),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=3),
                    max_leaves=16)


def by_events(text):
    """What the YAML reader reads of text, or the one line it refuses it with."""
    try:
        docs = yaml_documents(text, "f.yaml", 1)
    except InputError as e:
        return str(e)
    return [(d.data, d.lines) for d in docs]


@given(st.dictionaries(names, data, max_size=5), st.sampled_from([None, 0, 1, 2, "\t"]),
       st.booleans(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_json_document_is_read_as_yaml_reads_it(document, indent, ascii_only, line_end):
    """A problem file written by json.dump, on one line or indented, is the same data with its keys on the same
    lines, whether json's parser or YAML's events read it, whatever ends its lines."""
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only).replace("\n", line_end)
    shortcut, expected = _json_document(text, "f.yaml"), by_events(text)
    if shortcut is None:  # left to YAML: a \\u escape, a lone CR, or past a limit that YAML then refuses
        assert "\\u" in text or line_end == "\r" and "\r" in text or isinstance(expected, str)
    else:
        assert [(shortcut.data, shortcut.lines)] == expected and repr(shortcut.data) == repr(expected[0][0])


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', '{"a": {"b": 1, "b": 2}}', '{"a": NaN}', '{"a": Infinity}', '{"a": 1} # note',
    '{"a": 1,}', '{"a": [1, 2,]}', "{'a': 1}", '{"a": 1}\n---\n{"b": 2}', '{"a": "\\ud800"}',
    '{"a": ' + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "}", '{"a": ' + "9" * 5000 + "}", '{a: 1}', '[1, 2]',
    '{\r"a": 1,\r"b": 2\r}'])
def test_anything_but_plain_json_within_the_limits_is_left_to_yaml(text):
    assert _json_document(text, "f.yaml") is None


def test_the_deepest_json_yaml_reads_is_read_as_json():
    text = '{"a": ' + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "}"
    assert _json_document(text, "f.yaml").data == load_documents(text, "f.yaml")[0].data == by_events(text)[0][0]


def test_a_large_weight_file_is_read_by_json():
    """The weights of a 2-layer bidirectional LSTM, H = 64, dumped as JSON: 136,000 numbers."""
    text = json.dumps({"cell": "lstm", "W": [[float(i + j) / 7 for j in range(64)] for i in range(2000)]},
                      indent=1)
    assert _json_document(text, "f.yaml").data == by_events(text)[0][0]


@pytest.mark.parametrize("text", ["1.", ".5", "+1", "1,2,", "[1, [2]", "1e", "0x1F", "017", "1_000",
                                  "[" * 20 + "1" + "]" * 20, "9" * 5000, ".inf"])
def test_anything_else_is_left_to_yaml(text):
    assert _json_numbers(text) is None


def test_a_bare_comma_list_is_a_list_either_way():
    assert parse_flow("0, 1,1", "-x") == [0, 1, 1] == load_documents("[0, 1,1]", "-x")[0].data
