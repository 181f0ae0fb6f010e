"""Pictures of a run, drawn with matplotlib from its --format json document: each quantity's units over t
(lines for H ≤ 8, a heatmap above), a stack's top output, and with --grad the gradient's journey on a log scale.

matplotlib is an optional extra (pip install 'rnncalc[plot]'), imported by nothing else and here only when a
picture is drawn. Every line and image holds the document's own numbers: a line's y data, or an image's
array (units × steps), is the quantity's values at t = 1..T, and each artist's gid names what it shows
("f[0]", "f" for a heatmap, "f_unpinned[0]", "journey ‖∂L/∂h_t‖₂"), so that a test or a script can read them back.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .cells import CELLS, symbol
from .errors import InputError

FORMATS = (".png", ".svg", ".pdf")
INSTALL = "pip install 'rnncalc[plot]'"
LINES_UP_TO = 8  # units drawn as lines; more, as a heatmap
PANEL_HEIGHT = 1.9  # inches a panel
PINNED = "#f2c14e"  # the steps a quantity is pinned at, shaded


def check_target(path: str, flag: str = "--plot") -> None:
    """InputError unless path names a picture matplotlib writes and matplotlib is installed."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{flag} {path}", f"expected a file ending in {', '.join(FORMATS)}, found "
                                           f"'{suffix or 'no extension'}'")
    require(flag)


def require(where: str) -> None:
    """InputError, saying how to install it, when matplotlib is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        raise InputError(where, f"drawing needs matplotlib: {INSTALL}")


def save(doc: dict, path: str) -> None:
    """The run's figure written to path, in the format its extension names."""
    fig = figure(doc)
    try:
        fig.savefig(path, format=Path(path).suffix.lower()[1:])
    except OSError as e:
        raise InputError(f"--plot {path}", f"cannot be written: {e.strerror or e}") from None


def figure(doc: dict):
    """The run's figure: a panel a quantity (a stack: each layer and direction's states and pinned quantities,
    then the top output and y), then with --grad the gradient's journey (a stack: each direction's)."""
    from matplotlib.figure import Figure

    from matplotlib.ticker import MaxNLocator

    panels = list(_panels(doc))
    fig = Figure(figsize=(8, PANEL_HEIGHT * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    symbols = {eq.name: eq.symbol for eq in CELLS[doc["cell"]]().equations} if doc["cell"] in CELLS else {}
    for ax, (draw, *args) in zip(axes, panels):
        draw(ax, *args, symbols)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel("t")
    return fig


def _panels(doc):
    """(draw, arguments...) for each panel, in the order shown."""
    if "layers" in doc:
        for part in doc["layers"]:
            label = f"layer {part['layer']} · {part['direction']}: "
            states = _states(doc["cell"])
            names = [n for n in _names(part["steps"]) if n in states or f"{n}_unpinned" in part["steps"][0]]
            yield from ((_quantity, part["steps"], name, label, part.get("pins", [])) for name in names)
        T = len(doc["output"])
        yield _series, list(range(1, T + 1)), doc["output"], "output", "top output o_t"
        if "y" in doc and doc["output_layer"].get("head") == "final":  # one y, of the final states
            yield _series, [T], doc["y"], "y", "output y of the final states"
        elif "y" in doc:
            yield _series, list(range(1, T + 1)), doc["y"], "y", "output y_t"
        for part in doc.get("backward", []):
            yield _journey, part["steps"], part["jacobian_norms"], {}, f"layer {part['layer']} · {part['direction']}: "
        return
    for name in _names(doc["steps"]):
        yield _quantity, doc["steps"], name, "", doc.get("pins", [])
    if "backward" in doc:
        others = {k.removeprefix("jacobian_norms_"): v for k, v in doc.items() if k.startswith("jacobian_norms_")}
        yield _journey, doc["backward"], doc["jacobian_norms"], others, ""


def _states(cell):
    return [s.name for s in CELLS[cell]().states] if cell in CELLS else []


def _names(steps):
    """The quantities of the steps in computation order: no pre-activation, exact or unpinned value."""
    first = steps[0]
    return [k for k in first if k not in ("t", "x", "ties")
            and not k.endswith(("_pre", "_exact", "_unpinned"))]


def _quantity(ax, steps, name, label, pins, symbols):
    """name's units over t: lines (or a heatmap), each pinned step shaded and what the equation gave dotted."""
    ts = [s["t"] for s in steps]
    order = sorted(range(len(ts)), key=ts.__getitem__)  # a backward direction's records are in time order too
    ts = [ts[i] for i in order]
    values = [steps[i][name] for i in order]
    shown = symbols.get(name) or symbol(name)
    _series(ax, ts, values, name, f"{label}{shown}", symbols)
    if f"{name}_unpinned" not in steps[0]:
        return
    held = [p for p in pins if p["name"] == name]
    unpinned = [steps[i][f"{name}_unpinned"] for i in order]
    for t, v, u in zip(ts, values, unpinned):
        if v != u:
            ax.axvspan(t - 0.5, t + 0.5, color=PINNED, alpha=0.35, lw=0)
    if len(values[0]) <= LINES_UP_TO:
        for k in range(len(values[0])):
            ax.plot(ts, [u[k] for u in unpinned], ":", color="grey", gid=f"{name}_unpinned[{k}]",
                    label="equation" if k == 0 else None)
    steps_text = ", ".join(f" at {p['steps']}" if p["steps"] else " at every step" for p in held)
    ax.set_title(f"{label}{shown}, pinned{steps_text} (shaded; dotted: the equation's value)",
                 loc="left", fontsize=9)


def _series(ax, ts, values, name, title, symbols=None):
    """Rows of values (one a step) over t: a line a unit, or a heatmap of units × steps above LINES_UP_TO."""
    width = len(values[0])
    if width <= LINES_UP_TO:
        for k in range(width):
            ax.plot(ts, [v[k] for v in values], marker="." if len(ts) <= 50 else None, gid=f"{name}[{k}]",
                    label=f"[{k}]")
        if 1 < width:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    else:
        image = ax.imshow([[v[k] for v in values] for k in range(width)], aspect="auto", origin="lower",
                          interpolation="nearest", extent=(ts[0] - 0.5, ts[-1] + 0.5, -0.5, width - 0.5))
        image.set_gid(name)
        ax.figure.colorbar(image, ax=ax, pad=0.01)
        ax.set_ylabel("unit")
    ax.set_title(title, loc="left", fontsize=9)


def _journey(ax, records, norms, others, label, symbols=None):
    """‖∂L/∂v_t‖₂ and ‖∂v_T/∂v_t‖₂ (and the LSTM's ‖∂c_T/∂c_t‖₂) over t, on a log scale."""
    import math

    v = next(k[1:] for k in records[0] if k.startswith("d"))  # the visible state's key comes first: dh, ds
    ts = [r["t"] for r in records]
    dv = [math.sqrt(sum(g * g for g in r[f"d{v}"])) for r in records]
    series = [(f"‖∂L/∂{v}_t‖₂", dv), (f"‖∂{v}_T/∂{v}_t‖₂", norms),
              *((f"‖∂{s}_T/∂{s}_t‖₂", n) for s, n in others.items())]
    for text, ys in series:
        ax.plot(ts, ys, marker="." if len(ts) <= 50 else None, gid=f"journey {text}", label=text)
    ax.set_yscale("log")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title(f"{label}the gradient's journey back through time (log scale)", loc="left", fontsize=9)


