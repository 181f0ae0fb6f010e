"""Numbers and a run's facts as a reader sees them, in the tables and the write-ups: to the digits asked,
never "-0", a value rounded for display marked where no decimal shows it; arrays, norms, equations with
their numbers put in, the header's facts and parameters, the final line and the checks' verdict.
"""

from __future__ import annotations

import math

import numpy as np

from . import mathops
from .cells import ACT_SYMBOL


# ---------------------------------------------------------------- numbers

APPROX = "≈"  # marks a value rounded for display when no decimals show it (--digits 0)


def fmt_number(v: float, digits: int) -> str:
    """v to `digits` decimals, never "-0"; trailing zeros are dropped only when v is exactly the
    short number shown, so "1" means exactly one and "1.0000" means one after rounding. With no
    decimals to show it, a value rounded for display is marked ≈.

    >>> fmt_number(1.0, 4), fmt_number(0.9613, 4), fmt_number(1.0, 0), fmt_number(0.9613, 0)
    ('1', '0.9613', '1', '≈1')
    >>> fmt_number(2e12, 0), fmt_number(1.5e12, 0)
    ('2e+12', '≈2e+12')
    """
    if not math.isfinite(v):
        return str(v)
    if v != 0 and abs(v) >= 1e12:
        text = f"{v:.{digits}e}"
        return APPROX + text if digits == 0 and float(text) != v else text
    text = f"{v:.{digits}f}"
    exact = float(text) == v
    if "." in text and exact:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text if exact or "." in text else APPROX + text

def fmt_array(a, digits: int) -> str:
    """A scalar-sized array as a number, a vector as [a, b], a matrix as [[a, b], [c, d]]."""
    a = np.asarray(a, dtype=float)
    if a.size == 1:
        return fmt_number(float(a.reshape(())), digits)
    if a.ndim == 1:
        return "[" + ", ".join(fmt_number(float(v), digits) for v in a) + "]"
    return "[" + ", ".join(fmt_array(row, digits) for row in a) + "]"


# ---------------------------------------------------------------- the header's facts

def header_facts(problem) -> list:
    """The facts the header states after the cell's title: sizes, T, rounding, file, options."""
    from .text import printable

    cell = problem.cell
    facts = ["  ".join(f"{d} = {n}" for d, n in problem.sizes.items()),
             f"T = {problem.steps if problem.steps is not None else 'streamed'}", describe_rounding(problem)]
    if problem.source:
        facts.append(f"file {printable(problem.source)}")
    facts += [f"{key} {value if isinstance(value, str) else ' '.join(value)}" for key, value in cell.options.items()
              if not (isinstance(value, str) and value in cell.title)]  # GRU (reset-before) says its variant
    return facts


def describe_rounding(problem) -> str:
    r = problem.rounding
    if not r.active:
        return "no rounding"
    parts = [f"σ {r.sigmoid}", f"tanh {r.tanh}"]
    if r.state:
        parts.append(f"{problem.cell.visible} to nearest integer")
    return "rounding: " + ", ".join(parts)


def parameter_rows(problem, large: int = 16) -> list:
    """The header's rows, (names, shape, value, from): the parameters and initial states, those of one kind
    that share their value and its source on one row; an array of more than `large` numbers is counted.
    A file's name is shown with its control characters escaped, as "file" where the facts name it."""
    import re

    from .text import printable

    rows = {}  # (kind, shape, value, origin) -> the names sharing them, in order
    for name, value in (*problem.params.items(),
                        *((s.init_key, problem.init[s.name]) for s in problem.cell.states)):
        origin = problem.origins[name]
        if problem.source:  # the file named once, in the header's facts: "file", "W_f (file)", "file weights: 1"
            named = re.fullmatch(rf"(?P<pre>\S+ \()?{re.escape(problem.source)}(?P<post>\)|"
                                 r" (?:weights|biases): .*)?", origin, re.S)
            if named and bool(named["pre"]) == (named["post"] == ")"):
                origin = f"{named['pre'] or ''}file{named['post'] or ''}"
        origin = printable(origin)
        shown = fmt_array(value, problem.digits) if value.size <= large else f"{value.size} numbers"
        rows.setdefault((_kind(name), "×".join(map(str, value.shape)), shown, origin), []).append(name)
    order = [*problem.params, *(s.init_key for s in problem.cell.states)]
    return [(name_range(names, order), shape, shown, origin) for (_, shape, shown, origin), names in rows.items()]


def name_range(names, order) -> str:
    """Names sharing one header row: "W_fh … W_cx" when they are every name of their kind (weights W_,
    biases b_, ...) from the first to the last, else each name.

    >>> name_range(["W_ss", "W_sx"], ["W_ss", "W_sx", "b_s"]), name_range(["W_a", "W_c"], ["W_a", "W_b", "W_c"])
    ('W_ss W_sx', 'W_a W_c')
    >>> name_range(["W_a", "W_b", "W_c"], ["W_a", "b_a", "W_b", "W_c"])
    'W_a … W_c'
    """
    if len(names) < 3 or len({_kind(n) for n in names}) > 1:
        return " ".join(names)
    same = [n for n in order if _kind(n) == _kind(names[0])]
    run = same[same.index(names[0]):same.index(names[-1]) + 1]
    return f"{names[0]} … {names[-1]}" if run == names else " ".join(names)


def _kind(name):
    """W (a weight), b (a bias), P (a peephole) or state (h0, c0, s0)."""
    return name.split("_")[0] if "_" in name else "state"


def final_line(summary, digits, final="T") -> str:
    """final: h_T = 1   c_T = 2 (h_1 for a stack's backward direction, which reads x_1 last)"""
    return "final: " + "   ".join(f"{name}_{final} = {fmt_array(value, digits)}"
                                   for name, value in summary.final.items())


def checks_line(summary) -> str:
    """✓ all 2 expected values hold, or ✗ 1 of 2 expected values do not hold; "" without checks."""
    failed = [c for c in summary.checks if not c.ok]
    if not summary.checks:
        return ""
    if failed:
        return f"✗ {len(failed)} of {len(summary.checks)} expected values do not hold"
    return f"✓ all {len(summary.checks)} expected values hold"


def fmt_norm(v: float) -> str:
    """A norm to 3 significant digits in scientific notation, so sizes decades apart stay readable.

    >>> fmt_norm(0.000123456), fmt_norm(1.0)
    ('1.23e-04', '1.00e+00')
    """
    return f"{v:.2e}"


def fmt_norm2(v) -> str:
    """‖v‖₂ as fmt_norm writes it, also for a finite v whose norm is beyond the float range: its decimal
    exponent is still a float, so ‖[1.5e308, 1.5e308]‖₂ = 1.5e308 √2 is written 2.12e+308, not inf.

    >>> fmt_norm2(np.array([3.0, 4.0])), fmt_norm2(np.array([1.5e308, 1.5e308])), fmt_norm2(np.array([np.inf]))
    ('5.00e+00', '2.12e+308', 'inf')
    """
    n = mathops.norm2(v)
    if not math.isinf(n) or not np.all(np.isfinite(v)):
        return fmt_norm(n)
    log10 = mathops.log10_norm2(v)
    exponent = math.floor(log10)
    mantissa = f"{10 ** (log10 - exponent):.2f}"
    if mantissa == "10.00":
        exponent, mantissa = exponent + 1, "1.00"
    return f"{mantissa}e+{exponent}"


def substituted(eq, step, digits: int, shown=None) -> str:
    """The right-hand side of eq with this step's numbers put in, negative operands in brackets;
    shown(a, digits), when given, writes an operand instead (None: as usual)."""
    def operand(a):
        text = (shown and shown(a, digits)) or fmt_array(a, digits)
        return f"({text})" if text.lstrip(APPROX).startswith("-") else text
    with np.errstate(all="ignore"):  # a product not recorded, recomputed for a non-finite step
        text = eq.expr.subst(step.env, operand)
    return f"{ACT_SYMBOL[eq.act]}({text})" if eq.act is not None else text
