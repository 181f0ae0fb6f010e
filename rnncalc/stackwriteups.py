"""A stack's run as a write-up, --format markdown or latex: a heading and the single layer's write-up for each
direction, then the top output and the checks."""

from __future__ import annotations

from . import writeups
from .formats import fmt_array
from .network import layer_view, top_names
from .runner import NullWriter
from .stackoutput import StackWriter, final_read, final_t, final_y, joined, output_rows, step_y


class Documents(StackWriter):
    """Markdown or LaTeX: a heading and the single layer's write-up for each direction, then the top output."""

    def part(self, layer):
        view = layer_view(self.view)
        if view.only == ():  # --only names the top output's keys alone
            return NullWriter()
        if self.view.format == "markdown":
            self.out.write(f"\n### {layer.label}\n")
        else:
            self.out.write(f"\n\\subsection*{{layer {layer.number}, {layer.direction}}}\n")
        return writeups.WRITERS[self.view.format](self.out, view, final=final_t(layer))

    def output(self, result):
        stack, digits, out, names = self.stack, self.stack.digits, self.out, top_names(self.stack, self.view)
        if not names:  # --only names a layer's quantities alone
            return
        ys, last = step_y(stack, result), final_y(stack, result)
        y, o = ys is not None and "y" in names, "output" in names
        marks, final_marks = {}, []
        for c in result.checks:
            mark = "✓" if c.ok else f"✗ expected {fmt_array(c.expected, digits)}"
            (final_marks if last is not None and c.name == "y" else marks.setdefault(c.t, [])).append(mark)
        rows = [(str(t), fmt_array(result.output[t - 1], digits), fmt_array(ys[t - 1], digits) if y else "",
                 " ".join(marks.get(t, []))) for t in output_rows(self.view, len(result.output)) if o or y]
        reads = "" if last is None or "y" not in names else \
            f"y = {stack.output['act']}(W_y {final_read(stack)} + b_y) = {fmt_array(last, digits)} " \
            f"{' '.join(final_marks)}"
        checked = any(r[3] for r in rows)
        head = ["t"] + ["o_t"] * o + ["y_t"] * y + ["check"] * checked
        what = joined(stack)
        if self.view.format == "markdown":
            out.write(f"\n### output\n\nThe top layer's output o_t ({what})"
                      + (f", y_t = {stack.output['act']}(W_y o_t + b_y)" if y else "") + "\n\n")
            if rows:
                out.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
            for r in rows:
                cells = [r[0]] + [f"`{r[1]}`"] * o + [f"`{r[2]}`"] * y + [r[3]] * checked
                out.write("| " + " | ".join(cells) + " |\n")
            if reads:
                out.write(f"\n{reads.rstrip()}\n")
            return
        from .writeups import latex_math, latex_number, latex_text

        out.write(f"\n\\subsection*{{output}}\n{latex_text(f'The top layer output o_t ({what})')}\n")
        if rows:
            out.write(f"\\begin{{tabular}}{{{'r' + 'l' * (len(head) - 1)}}}\n\\hline\n"
                      + " & ".join(f"${latex_math(h)}$" if h != "check" else h for h in head) + r" \\" + "\n\\hline\n")
        for r in rows:
            cells = [r[0]] + [f"${latex_number(latex_math(r[1]))}$"] * o + [f"${latex_number(latex_math(r[2]))}$"] * y
            cells += [latex_text(r[3])] * checked
            out.write(" & ".join(cells) + r" \\" + "\n")
        if rows:
            out.write("\\hline\n\\end{tabular}\n")
        if reads:
            out.write(f"\n\\noindent {latex_text(reads.rstrip())}\n")

    def finish(self, result):
        checks = result.every_check
        if not checks:
            return
        failed = [c for c in checks if not c.ok]
        line = (f"✗ {len(failed)} of {len(checks)} expected values do not hold" if failed
                else f"✓ all {len(checks)} expected values hold")
        if self.view.format == "latex":
            line = "\\noindent " + writeups.latex_text(line)
        self.out.write(f"\n{line}\n")
