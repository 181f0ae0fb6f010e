"""--plot FILE and Trace.plot(): the figure's data read back and compared with the trace's numbers (no pixels),
and one file of each kind checked to open."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CELL_NAMES
from rnncalc import trace

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"rnn": {"weights": 0.5, "s0": 1}, "gated": {"weights": 0.5, "s0": 1}, "lstm": {"weights": 0.5, "h0": 1},
         "gru": {"weights": 0.5, "h0": 1}}


def artists(fig):
    """Every line's y data and every image's array, by gid."""
    found = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_gid():
                found[line.get_gid()] = (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
        for image in ax.get_images():
            found[image.get_gid()] = np.asarray(image.get_array())
    return found


def by_unit(steps, key):
    return np.array([s[key] for s in steps], dtype=float)  # (T, size)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_each_line_is_a_unit_of_a_quantity(cell):
    t = trace(cell, x=[1, -0.5, 2], grad=True, journey="every", **SMALL.get(cell, {"weights": 0.5}))
    doc, drawn = t.to_dict(), artists(t.plot())
    names = [k for k in doc["steps"][0] if k not in ("t", "x") and not k.endswith(("_pre", "_exact", "_unpinned"))]
    assert names
    for name in names:
        values = by_unit(doc["steps"], name)
        for k in range(values.shape[1]):
            ts, ys = drawn[f"{name}[{k}]"]
            assert ts.tolist() == [1, 2, 3] and ys.tolist() == values[:, k].tolist()
    v = "s" if cell in ("rnn", "gated") else "h"
    _, ys = drawn[f"journey ‖∂{v}_T/∂{v}_t‖₂"]
    assert ys.tolist() == doc["jacobian_norms"]
    _, ys = drawn[f"journey ‖∂L/∂{v}_t‖₂"]
    assert ys.tolist() == [float(np.linalg.norm(r[f"d{v}"])) for r in doc["backward"]]
    if cell == "lstm":
        assert drawn["journey ‖∂c_T/∂c_t‖₂"][1].tolist() == doc["jacobian_norms_c"]


def test_more_than_8_units_are_a_heatmap_of_units_by_steps():
    t = trace("gru", weights=0.1, hidden=9, x=[1, 2, 3, 4])
    drawn = artists(t.plot())
    h = by_unit(t.to_dict()["steps"], "h")  # (T, 9)
    assert drawn["h"].shape == (9, 4) and drawn["h"].tolist() == h.T.tolist()
    assert "h[0]" not in drawn


def test_a_pin_shows_with_what_the_equation_gave():
    t = trace("gated", weights=0.5, s0=1, x=[1, 2, 3], pin={"g@2:3": 0})
    fig = t.plot()
    drawn = artists(fig)
    steps = t.to_dict()["steps"]
    assert drawn["g[0]"][1].tolist() == [steps[0]["g"][0], 0.0, 0.0]
    assert drawn["g_unpinned[0]"][1].tolist() == [s["g_unpinned"][0] for s in steps]
    title = next(ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left").startswith("g_t"))
    assert "pinned at 2:3" in title
    shaded = [p for ax in fig.axes for p in ax.patches]
    assert len(shaded) == 2  # a span a pinned step


def test_a_stack_draws_each_direction_and_the_top_output():
    problem = {"cell": "lstm", "bidirectional": True, "x": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "weights": 0.5,
               "layers": [{"forward": {}, "backward": {"pin": {"f@2": 1}}}], "W_y": [[1, -1]], "output": "linear"}
    t = trace("lstm", problem, grad=True)
    doc, fig = t.to_dict(), t.plot()
    drawn = artists(fig)
    output = np.array(doc["output"])
    assert [drawn[f"output[{k}]"][1].tolist() for k in range(2)] == output.T.tolist()
    assert drawn["y[0]"][1].tolist() == [row[0] for row in doc["y"]]
    backward = doc["layers"][1]
    assert drawn["f[0]"][1].tolist() == [s["f"][0] for s in backward["steps"]]  # the pinned quantity is drawn
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert "layer 1 · backward: h_t" in titles and "layer 1 · forward: h_t" in titles
    assert sum("gradient's journey" in title for title in titles) == 2


def test_an_output_layer_on_the_final_states_draws_its_one_y_at_t_T(rnncalc, tmp_path):
    problem = {"cell": "gru", "bidirectional": True, "x": [0.1, -0.3, 0.5], "weights": 0.5, "head": "final",
               "layers": [{"forward": {}, "backward": {}}], "W_y": [[1, -1], [0.5, 2]]}
    t = trace("gru", problem)
    drawn = artists(t.plot())
    assert [(x.tolist(), y.tolist()) for x, y in (drawn["y[0]"], drawn["y[1]"])] == \
        [([3.0], [t.to_dict()["y"][0][k]]) for k in range(2)]
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps(problem))
    assert rnncalc("gru", path, "--plot", tmp_path / "p.png", "-q")[::2] == (0, "")
    assert (tmp_path / "p.png").stat().st_size > 0


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_the_command_line_writes_each_kind(rnncalc, tmp_path, suffix):
    path = tmp_path / f"run{suffix}"
    status, out, err = rnncalc("lstm", "samples/lstm_vector.yaml", "--grad", "--plot", path, "-f", "json")
    assert status == 0 and err == "" and json.loads(out)["cell"] == "lstm"
    data = path.read_bytes()
    if suffix == ".png":
        import matplotlib.image

        assert data[:8] == b"\x89PNG\r\n\x1a\n" and matplotlib.image.imread(path).ndim == 3
    elif suffix == ".svg":
        assert ET.fromstring(data).tag.endswith("svg")
    else:
        assert data.startswith(b"%PDF")


def test_a_run_that_fails_draws_nothing(rnncalc, tmp_path):
    path = tmp_path / "run.png"
    status, _, err = rnncalc("rnn", "--weights", "1e300", "-x", "1e300", "--activation", "linear", "--plot", path)
    assert status == 3 and not path.exists()
    status, _, err = rnncalc("rnn", "--weights", "1", "-x", "1", "--plot", tmp_path / "run.gif")
    assert (status, err) == (2, f"rnncalc: --plot {tmp_path / 'run.gif'}: expected a file ending in .png, .svg, "
                                ".pdf, found '.gif'\n")
    status, _, err = rnncalc("rnn", "--weights", "1", "-x", "1", "--plot", tmp_path / "no" / "run.png")
    assert status == 2 and err.startswith("rnncalc: --plot") and "no such folder" in err


def test_without_matplotlib_plot_is_refused_in_one_line(rnncalc, tmp_path, monkeypatch):
    import importlib.util

    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else find(name, *a))
    status, out, err = rnncalc("rnn", "--weights", "1", "-x", "1", "--plot", tmp_path / "run.png")
    assert (status, out, err) == (2, "", "rnncalc: --plot: drawing needs matplotlib: pip install 'rnncalc[plot]'\n")


def test_a_run_without_plot_imports_no_matplotlib():
    code = ("import sys; from rnncalc.cli import run; run(['lstm', '--weights', '1', '-x', '5', '--grad']); "
            "print('matplotlib' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert r.stdout.splitlines()[-1] == "False"


@settings(max_examples=max(3, settings().max_examples // 10), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=st.sampled_from(["rnn", "lstm", "gru"]), bidirectional=st.booleans(), layers=st.integers(1, 2),
       head=st.sampled_from([None, "steps", "final"]), merge=st.sampled_from([None, "concat", "sum", "mul"]),
       grad=st.booleans(), pin=st.booleans())
def test_every_kind_of_stack_is_drawn(rnncalc, tmp_path, cell, bidirectional, layers, head, merge, grad, pin):
    """Stacks of every shape, with an output layer reading the steps or the final states, merged as Keras
    merges, with --grad and pins: drawn, or refused in one line."""
    state = {"rnn": "s", "lstm": "h", "gru": "h"}[cell]
    layer = {"forward": {}, "backward": {}} if bidirectional else {}
    width = 2 if bidirectional and merge in (None, "concat") else 1
    problem = {"cell": cell, "bidirectional": bidirectional, "weights": 0.5, "x": [0.1, -0.3, 0.5],
               "layers": [layer] * layers, "W_y": [[1] * width, [-1] * width],
               **({"head": head} if head else {}), **({"merge": merge} if merge and bidirectional else {}),
               **({"pin": {f"layers.1.{'forward.' * bidirectional}{state}@2": 0}} if pin else {})}
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps(problem))
    status, _, err = rnncalc(cell, path, "--plot", tmp_path / "p.svg", "-f", "json", *["--grad"] * grad)
    assert status == 0 and err == "", err
    assert (tmp_path / "p.svg").stat().st_size > 0
