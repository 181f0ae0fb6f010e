"""Write-ups: Markdown and LaTeX, what the table shows (the cell, its facts and parameters, a table a step
with its equations, the final states and the checks' verdict), ready to paste into a document.

Each is a writer with three calls: start(problem), step(step, checks) for every step shown, finish(summary).
"""

from __future__ import annotations

from .formats import APPROX, checks_line, final_line, fmt_array, header_facts, parameter_rows, substituted


class _DocumentWriter:
    """Per-step tables with the equations, for pasting into a write-up (Markdown or LaTeX)."""

    def __init__(self, out, view, final="T"):
        self.out, self.view, self.final = out, view, final

    def start(self, problem):
        self.problem = problem
        self.digits = problem.digits

    def rows(self, step, checks):
        """(symbol, equation, with numbers, pre-activation, value, rounded, check) for each row shown."""
        marks = {c.name: c for c in checks}
        v = step.values
        for eq in self.problem.cell.equations:
            if self.view.only is not None and eq.name not in self.view.only:
                continue
            exact = v.get(f"{eq.name}_exact", v[eq.name])
            pre = fmt_array(v[f"{eq.name}_pre"], self.digits) if eq.records_pre else ""
            rounded = fmt_array(v[eq.name], self.digits) if f"{eq.name}_exact" in v else ""
            check = marks.get(eq.name)
            mark = "" if check is None else ("✓" if check.ok else f"✗ expected {fmt_array(check.expected, self.digits)}")
            if eq.name in getattr(step, "pinned", ()):  # the pinned value passed on; what the equation gave beside it
                pin = f"pinned; equation: {fmt_array(v[f'{eq.name}_unpinned'], self.digits)}"
                mark = f"{pin}; {mark}" if mark else pin
            yield (eq.symbol, eq.rhs(self.problem.cell), substituted(eq, step, self.digits), pre,
                   fmt_array(exact, self.digits), rounded, mark)

    def finish(self, summary):
        pass


class MarkdownWriter(_DocumentWriter):
    """The header (cell, facts, parameters), a table a step, the final states and the checks' verdict."""

    def start(self, problem):
        super().start(problem)
        if not self.view.header:
            return
        self.out.write(f"**{problem.cell.title}** · " + " · ".join(header_facts(problem)) + "\n\n")
        self.out.write("| parameter | shape | value | from |\n|---|---|---|---|\n")
        for names, shape, shown, origin in parameter_rows(problem):
            cells = [f"`{names}`", shape, shown, origin]
            self.out.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")

    def finish(self, summary):
        self.out.write(f"\n**{final_line(summary, self.digits, self.final)}**\n")
        if summary.checks:
            self.out.write(f"\n{checks_line(summary)}\n")

    def step(self, step, checks):
        rows = list(self.rows(step, checks))
        extra = [i for i in (5, 6) if any(r[i] for r in rows)]  # the rounded and check columns, when used
        head = ["", "equation", "with numbers", "pre-activation", "value"] + [("rounded", "check")[i - 5] for i in extra]
        self.out.write(f"\n**Step t = {step.t}**, x_t = {fmt_array(step.x, self.digits)}\n\n")
        self.out.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
        for r in rows:
            cells = [f"`{r[0]}`", f"`{r[1]}`", f"`{r[2]}`", *r[3:5], *(r[i] for i in extra)]
            self.out.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")


LATEX_SYMBOLS = {"σ": r"\sigma", "⊙": r"\odot", "−": "-", "·": r"\cdot ", "≈": r"\approx ", "…": r"\ldots ",
                 "×": r"\times ", "‖": r"\| ",
                 "tanh": r"\tanh", "softmax": r"\mathrm{softmax}", "relu": r"\mathrm{relu}",
                 "✓": r"\checkmark", "✗": r"$\times$"}


def latex_text(text: str) -> str:
    """Plain text for LaTeX's text mode: its special characters escaped, σ ≈ × … ✓ ✗ as commands.

    >>> print(latex_text("file my_run.yaml: ✗ expected ≈1, 50% (σ sign)"))
    file my\\_run.yaml: $\\times$ expected $\\approx$1, 50\\% ($\\sigma$ sign)
    """
    import re

    special = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    text = re.sub(r"[\\&%$#_{}~^]", lambda m: special.get(m[0], "\\" + m[0]), text)
    for plain, tex in {"σ": r"$\sigma$", "≈": r"$\approx$", "×": r"$\times$", "…": r"\ldots{}",
                       "✓": r"$\checkmark$", "✗": r"$\times$", "−": "-", "·": r"$\cdot$", "—": "---",
                       "‖": r"$\|$", "⊙": r"$\odot$"}.items():
        text = text.replace(plain, tex)
    return text


def latex_number(text: str) -> str:
    """A number as shown, for math mode: ≈1 (rounded for display at --digits 0) as \\approx 1."""
    return text.replace(APPROX, r"\approx ")


def latex_math(text: str) -> str:
    """Course notation as LaTeX math: W_fh -> W_{fh}, σ -> \\sigma, ⊙ -> \\odot."""
    import re

    for plain, tex in LATEX_SYMBOLS.items():
        if plain not in "✓✗":
            text = text.replace(plain, tex)
    text = re.sub("([A-Za-z])\u0303", r"\\tilde{\1}", text)  # h̃ -> \tilde{h}
    text = re.sub(r"([A-Za-z}])_([A-Za-z0-9]{2,})(?![{A-Za-z0-9])", r"\1_{\2}", text)
    return text.replace("[", r"\left[").replace("]", r"\right]")


class LatexWriter(_DocumentWriter):
    """The parameters as a table, a table a step, the final states and the checks' verdict, in ASCII
    for a document with no more than \\documentclass{article} and \\usepackage{amssymb}."""

    def start(self, problem):
        super().start(problem)
        if not self.view.header:
            return
        title = latex_text(problem.cell.title)
        facts = ", ".join(latex_text(f) for f in header_facts(problem))
        out = self.out
        out.write(f"% rnncalc: {title}\n\\begin{{table}}[h]\n\\centering\n\\caption{{{title}: {facts}}}\n")
        out.write("\\begin{tabular}{llll}\n\\hline\nparameter & shape & value & from \\\\\n\\hline\n")
        for names, shape, shown, origin in parameter_rows(problem):
            names = ", ".join(f"${latex_math(n)}$" if n != "…" else r"\ldots" for n in names.split())
            out.write(f"{names} & ${latex_math(shape)}$ & ${latex_math(shown)}$ & "
                      f"{latex_text(origin)} \\\\\n")
        out.write("\\hline\n\\end{tabular}\n\\end{table}\n")

    def finish(self, summary):
        final = ", ".join(f"${latex_math(name)}_{self.final} = {latex_math(fmt_array(value, self.digits))}$"
                          for name, value in summary.final.items())
        self.out.write(f"\n\\noindent final: {final}\n")
        if summary.checks:
            self.out.write(f"\n\\noindent {latex_text(checks_line(summary))}\n")

    def step(self, step, checks):
        rows = list(self.rows(step, checks))
        rounded = any(r[5] for r in rows)
        checked = any(r[6] for r in rows)
        cols = "lllrr" + "r" * rounded + "l" * checked
        head = ["", "equation", "with numbers", "pre-activation", "value"] + ["rounded"] * rounded + ["check"] * checked
        out = self.out
        out.write(f"\n% step t = {step.t}\n\\begin{{table}}[h]\n\\centering\n")
        out.write(f"\\caption{{Step $t = {step.t}$, $x_t = {latex_math(fmt_array(step.x, self.digits))}$}}\n")
        out.write(f"\\begin{{tabular}}{{{cols}}}\n\\hline\n" + " & ".join(head) + r" \\" + "\n\\hline\n")
        for r in rows:
            cells = [f"${latex_math(r[0])}$", f"${latex_math(r[1])}$", f"${latex_math(r[2])}$",
                     f"${latex_number(r[3])}$" if r[3] else "", f"${latex_number(r[4])}$"]
            cells += [f"${latex_number(r[5])}$" if r[5] else ""] * rounded
            if checked:
                cells.append(latex_text(r[6]))
            out.write(" & ".join(cells) + r" \\" + "\n")
        out.write("\\hline\n\\end{tabular}\n\\end{table}\n")

WRITERS = {"markdown": MarkdownWriter, "latex": LatexWriter}
