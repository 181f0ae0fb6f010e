"""A Trace in a real Jupyter kernel: shown once, as HTML, with every layer's numbers and the API's hints.

The notebook runs through nbclient in an ipykernel kernel of this very Python (sys.executable), from a
kernel spec written to a temporary folder, so that no kernel installed on the machine is used or changed.
"""

import html
import json
import re
import sys

import pytest

import rnncalc

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402  (after the skips above)
from jupyter_client.manager import KernelManager  # noqa: E402

# T = 13 > TABLE_STEPS, so the tables leave steps 11 and 12 out and say where to find them. Each direction
# has weights of its own, so that each layer's numbers are its own.
SINGLE = dict(W_ss=0.5, W_sx=1, x=[[0.1 * k] for k in range(1, 14)], grad=True, loss="sum")
STACK = {"cell": "rnn", "bidirectional": True, "x": [[0.1 * k] for k in range(1, 14)], "W_y": [[1.0, -0.5], [0.3, 0.8]],
         "layers": [{"forward": {"W_ss": 0.5, "W_sx": 1.0}, "backward": {"W_ss": 0.4, "W_sx": -0.7}},
                    {"forward": {"W_ss": 0.2, "W_sx": [[0.3, 0.1]]}, "backward": {"W_ss": -0.3, "W_sx": [[-0.2, 0.4]]}}]}

CELLS = {
    "setup": f"import rich, rnncalc\nSINGLE = {SINGLE!r}\nSTACK = {STACK!r}",
    "assigned": 't = rnncalc.trace("rnn", **SINGLE)',
    "single": "t",
    "stack assigned": 's = rnncalc.trace("rnn", STACK, grad=True, loss="sum")',
    "stack": "s",
    "stack forward": 'rnncalc.trace("rnn", STACK)',
    "rich.print": "rich.print(s)",
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{cell name: its outputs} from running CELLS as a notebook in a kernel of sys.executable."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "rnncalc-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "rnncalc tests", "language": "python",
        "env": {"IPYTHONDIR": str(folder / "ipython")},  # no profile of the machine's own
    }))
    manager = KernelManager(kernel_name="rnncalc-test", connection_file=str(folder / "connection.json"),
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in CELLS.values()])
    nbclient.NotebookClient(notebook, km=manager, timeout=120, startup_timeout=120).execute()
    return dict(zip(CELLS, (cell.outputs for cell in notebook.cells)))


def shown_html(cell_outputs):
    """The one HTML the cell shows: it must show exactly one, and print nothing."""
    assert [o.output_type for o in cell_outputs if o.output_type == "stream"] == []
    htmls = [o.data["text/html"] for o in cell_outputs if "text/html" in o.get("data", {})]
    assert len(htmls) == 1 and len(cell_outputs) == 1, [o.output_type for o in cell_outputs]
    return htmls[0]


def plain(fragment):
    """The text an HTML fragment shows."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def sections(text):
    """{heading: the text under it} for each heading rule of a stack's tables (layer 2 · backward, output)."""
    parts = re.split(r"^(layer \d+ · \w+(?:: backward pass)?|output) ─+ *$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_an_assignment_shows_nothing(outputs):
    assert outputs["assigned"] == [] and outputs["stack assigned"] == []


def test_a_trace_shows_once_with_its_numbers_and_backward_tables(outputs):
    text = plain(shown_html(outputs["single"]))
    doc = rnncalc.trace("rnn", **SINGLE).to_dict()
    for t in (1, 10, 13):  # the shown steps' states: 13 is the last
        assert f"{doc['steps'][t - 1]['s'][0]:.4f}" in text
    assert "backward step t = 13" in text and "backward step t = 1 " in text
    assert f"{doc['grad']['W_ss'][0][0]:.4f}" in text
    assert "2 steps not shown, t = 11 to 12: every step is in the trace's .steps" in text
    assert "--steps" not in text and "--format" not in text


def test_a_stack_shows_once_every_layer_and_direction_with_its_numbers(outputs):
    doc = rnncalc.trace("rnn", STACK, grad=True, loss="sum").to_dict()
    shown = sections(plain(shown_html(outputs["stack"])))
    assert list(shown) == ["layer 1 · forward", "layer 1 · backward", "layer 2 · forward", "layer 2 · backward",
                           "output", *(f"layer {r['layer']} · {r['direction']}: backward pass" for r in doc["layers"])]
    for index, record in enumerate(doc["layers"]):
        heading = f"layer {record['layer']} · {record['direction']}"
        last = 13 if record["direction"] == "forward" else 1  # a backward direction reads x_1 last
        [final] = [step["s"][0] for step in record["steps"] if step["t"] == last]
        assert f"{final:.4f}" in shown[heading], heading
        assert f'every step is in the trace\'s .layers[{index}]["steps"]' in shown[heading]
        backward = shown[f"{heading}: backward pass"]
        assert backward.count("backward step t = ") == 11  # the first ten computed and the last, in every direction
        assert f"{doc['grad']['layers'][index]['b_s'][0]:.4f}" in backward
    assert f"{doc['output'][-1][0]:.4f}" in shown["output"] and f"{doc['y'][-1][0]:.4f}" in shown["output"]
    assert 'every step is in the trace\'s .to_dict()["output"] and ["y"]' in shown["output"]
    text = "".join(shown.values())
    assert "--steps" not in text and "--format" not in text


def test_a_stack_without_grad_shows_no_backward_tables(outputs):
    shown = sections(plain(shown_html(outputs["stack forward"])))
    assert list(shown) == ["layer 1 · forward", "layer 1 · backward", "layer 2 · forward", "layer 2 · backward",
                           "output"]


def test_rich_print_shows_the_tables_once(outputs):
    assert "layer 2 · backward: backward pass" in plain(shown_html(outputs["rich.print"]))
