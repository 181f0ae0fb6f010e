"""rnncalc init: a cell's problem as a commented YAML template, every key at its shape, zeros throughout."""

from __future__ import annotations

from .cells import CELLS, Cell, symbolic


SIZE_FLAGS = {"P": "--proj P"}  # the flag of rnncalc init that gives a size only some forms of a cell have


def yaml_template(cell: Cell, sizes: dict) -> str:
    """A commented YAML problem for the cell with every key at its shape, zeros throughout; sizes holds H, D
    and, for a projected LSTM, P."""
    h, d = sizes["H"], sizes["D"]
    projection = f", projection size P = {sizes['P']}" if "P" in sizes else ""
    lines = [f"# rnncalc {cell.name}: {cell.title}, hidden size H = {h}{projection}, input size D = {d}.",
             f"# Run it with: rnncalc {cell.name} FILE   (flags override these keys)",
             "#"]
    lines += [f"#   {eq.text(cell)}" for eq in cell.equations if not eq.is_squash]
    lines.append("#")
    if cell.concatenated:
        lines.append("# Instead of the pairs below, a weight may be given concatenated, acting on [state; x]:")
        lines += [f"#   {name}: {symbolic(cell.concatenated_shape(name))} = [{a} {b}]"
                  for name, (a, b) in cell.concatenated.items()]
    lines += ["# A single number fills a whole matrix or vector.", "",
              f"cell: {cell.name}", f"hidden: {h}", *([f"proj: {sizes['P']}"] if "P" in sizes else []),
              f"input: {d}", ""]
    for spec in cell.params:
        shape = tuple(sizes[s] for s in spec.shape)
        value = _yaml_zeros(shape)
        lines.append(f"{spec.name}: {value}  # {symbolic(spec.shape)}: {spec.doc}")
    lines.append("")
    for s in cell.states:
        lines.append(f"{s.init_key}: {_yaml_zeros((sizes[s.dim],))}  # {symbolic((s.dim,))}: initial {s.doc}, "
                     "0 if absent")
    lines.append(f"x: {_yaml_zeros((3, d)) if d > 1 else '[0, 0, 0]'}  # one entry per step, each a list of D numbers "
                 "(or a number when D = 1)")
    lines += ["", "round: none  # none | nearest | sign, or {sigmoid: sign, tanh: none}",
              "round_state: false  # round the visible state to the nearest integer every step",
              f"# pin: {{{cell.equations[0].name}: 0}}  # hold a quantity ({' '.join(eq.name for eq in cell.equations)})"
              " at a value; NAME@2:3 at those steps"]
    entry = CELLS[cell.name]
    for option in entry.options:
        lines.append(f"{option.key}: {cell.options.get(option.key, option.choices[0])}  # {' | '.join(option.choices)}")
    optional = {}
    for page in entry.pages:
        optional.update({p.name: p for p in entry(**page).params if p.name not in cell.param_names})
    if optional:
        lines.append("# Optional parameters, each used only when given:")
        for p in optional.values():
            unknown = [SIZE_FLAGS[s] for s in p.shape if s not in sizes]
            if unknown:  # a size this form does not have: the template of the form that has it
                lines.append(f"# {p.name}  # {symbolic(p.shape)}: {p.doc}; rnncalc init {cell.name} {unknown[0]} "
                             "writes that form")
            else:
                lines.append(f"# {p.name}: {_yaml_zeros(tuple(sizes[s] for s in p.shape))}  # {symbolic(p.shape)}: "
                             f"{p.doc}")
    lines += ["# Optional output layer y_t = softmax(W_y v_t + b_y), v the visible state:",
              f"# W_y: [[0, ...]]  # {symbolic(('K', cell.visible_dim))}", "# b_y: [0, ...]     # (K,)",
              "# output: softmax  # softmax | sigmoid | linear"]
    return "\n".join(lines) + "\n"


def _yaml_zeros(shape):
    if len(shape) == 1:
        return "[" + ", ".join(["0"] * shape[0]) + "]"
    return "[" + ", ".join(_yaml_zeros(shape[1:]) for _ in range(shape[0])) + "]"
