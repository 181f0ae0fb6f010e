"""The cell commands (rnn, gated, lstm, gru and any cell added): their options, declared once for every cell, and
a run from the flags to the library's calculate()."""

from __future__ import annotations

import inspect
import sys
from typing import Annotated, Optional

import typer

from .cells import CELLS
from .cli_values import (Format, Journey, LossKind, Output, RoundMode, choice_enum, chosen, no_color_asked,
                         tolerance, whole_number)
from .cli_words import spelled_flags


def _calculate(cell_name: str, file, states: dict, **o):
    from .commands import calculate
    from .errors import InputError
    from .problem import Flags
    from .runner import Selection, View

    flags = Flags(
        x=o["x"], x_file=o["x_file"], states={k: v for k, v in states.items() if v is not None},
        params=o["param"] or [], weights=o["weights"], biases=o["biases"], hidden=o["hidden"], input=o["input"],
        round=chosen(o["round"]), round_sigmoid=chosen(o["round_sigmoid"]), round_tanh=chosen(o["round_tanh"]),
        round_state=o["round_state"],
        options={key: chosen(o.get(key)) for key in ("output", *(opt.key for opt in CELLS[cell_name].options))},
        expect=o["expect"] or [], no_expect=o["no_expect"], digits=o["digits"], atol=o["atol"],
        grad=o["grad"], loss=chosen(o["loss"]), target=o["target"], target_file=o["target_file"],
        journey=chosen(o["journey"]),
        pins=o["pin"] or [],
    )
    if o["quiet"] and o["steps"] is not None:
        raise InputError("--steps", "-q prints only the final step; give one of them")
    only = tuple(dict.fromkeys(n.strip() for n in o["only"].split(","))) if o["only"] else None
    _refuse_long_names(cell_name, only)
    view = View(
        format=o["format"].value, last=o["last"], quiet=o["quiet"], no_color=no_color_asked(o["no_color"]),
        only=only,
        steps=None if o["steps"] is None else Selection.parse(o["steps"]),
        save_svg=o["save_svg"], save_html=o["save_html"], header=not o["no_header"], spelled=spelled_flags(),
        plot=o["plot"],
    )
    inputs = [("problem file", file), ("--x-file", o["x_file"]), ("--target-file", o["target_file"])]
    calculate(cell_name, file, o["problem"], flags, view, inputs, sys.stdout)


def _refuse_long_names(cell_name, names):
    """An --only name longer than any quantity's, refused with its first characters only."""
    from .errors import InputError
    from .text import clipped

    for name in names or ():
        if len(name) > 60:
            raise InputError("--only", f"no quantity '{clipped(name)}'; the {cell_name} cell has "
                                       f"{' '.join(CELLS[cell_name]().quantities)}")


# The options every cell command takes, as (name, annotation); the state flags are added per cell.
COMMON = [
    ("file", Annotated[Optional[str], typer.Argument(metavar="[FILE]", help="YAML problem file (or .npz); - "
                                                     "reads it from stdin.",
                                                     show_default=False)], None),
    ("problem", Annotated[Optional[str], typer.Option(metavar="NAME|N", help="Run this problem of a file holding "
                                                      "several (separated by ---): its name: or its number from "
                                                      "1.", show_default=False)], None),
    ("x", Annotated[Optional[str], typer.Option("-x", "--x", metavar="STEPS",
                                                help="Input sequence: 5, or 0,0,1,1, or [[1,2],[3,4]]; "
                                                "- reads one step a line from stdin.", show_default=False)], None),
    ("x_file", Annotated[Optional[str], typer.Option("--x-file", metavar="FILE",
                                                     help="Input sequence from a .npy, .csv or .txt "
                                                     "file, one step a row.", show_default=False)], None),
    ("weights", Annotated[Optional[str], typer.Option(metavar="V", help="Fill every weight not given with this number.",
                                                      show_default=False)], None),
    ("biases", Annotated[Optional[str], typer.Option(metavar="V", help="Fill every bias not given (default 0).",
                                                     show_default=False)], None),
    ("param", Annotated[Optional[list[str]], typer.Option("-p", "--param", help="NAME=VALUE, VALUE in YAML flow "
                                                          "syntax, e.g. -p W_fh=[[1,0],[0,1]]; repeatable. In a "
                                                          "layers: file, address a layer: -p "
                                                          "layers.2.backward.W_fh=... .",
                                                          show_default=False)], None),
    ("hidden", Annotated[Optional[int], typer.Option(parser=whole_number(1), metavar="H",
                                                     help="Hidden size H (else read off the shapes).",
                                                     show_default=False)], None),
    ("input", Annotated[Optional[int], typer.Option(parser=whole_number(1), metavar="D",
                                                    help="Input size D (else read off the shapes).",
                                                    show_default=False)], None),
    ("round", Annotated[Optional[RoundMode], typer.Option(help="Round σ and tanh: nearest integer, or their "
                                                          "sign limit.", show_default=False)], None),
    ("round_sigmoid", Annotated[Optional[RoundMode], typer.Option(help="Round σ only.", show_default=False)], None),
    ("round_tanh", Annotated[Optional[RoundMode], typer.Option(help="Round tanh only.", show_default=False)], None),
    ("round_state", Annotated[Optional[bool], typer.Option("--round-state/--no-round-state", help="Round the "
                                                           "visible state to the nearest integer every step "
                                                           "(ties to even: ±0.5 → 0).", show_default=False)], None),
    ("output", Annotated[Optional[Output], typer.Option(help="Output layer function, when W_y is given "
                                                        "(default softmax).", show_default=False)], None),
    ("expect", Annotated[Optional[list[str]], typer.Option(metavar="NAME=V1,V2,...",
                                                           help="NAME=V1,V2,...: the value of a quantity at each "
                                                           "step (or one value: the final step); repeatable. "
                                                           "Replaces the file's expect:. Exit status 1 when one "
                                                           "does not hold.", show_default=False)], None),
    ("no_expect", Annotated[bool, typer.Option("--no-expect", help="Leave out the file's expect: values.")], False),
    ("pin", Annotated[Optional[list[str]], typer.Option("--pin", metavar="NAME=VALUE", help="Hold a quantity the "
                                                        "equations compute at a value (a number fills it), e.g. "
                                                        "--pin g=0, or at some steps: --pin f@3:5=1; "
                                                        "repeatable. In a layers: file: --pin "
                                                        "layers.2.backward.f=1.", show_default=False)], None),
    ("atol", Annotated[Optional[float], typer.Option(parser=tolerance, metavar="TOL",
                                                     help="Compare expected values within this tolerance "
                                                     "instead of at the digits shown.", show_default=False)], None),
    ("grad", Annotated[bool, typer.Option("--grad", help="After the trace, backpropagate through time: a table "
                                          "per step from t = T back, each parameter's gradient, and how the "
                                          "gradient's size changes going back.")], False),
    ("loss", Annotated[Optional[LossKind], typer.Option(help="What --grad differentiates: sum (of the final "
                                                        "state's components; the default), or mse, xent or dot "
                                                        "against --target.", show_default=False)], None),
    ("journey", Annotated[Optional[Journey], typer.Option(help="Whose ‖∂s_T/∂s_t‖ --grad finds: visible (the "
                                                          "default) or every state's, the LSTM's c too.",
                                                          show_default=False)], None),
    ("target", Annotated[Optional[str], typer.Option(metavar="VALUES",
                                                     help="The loss's target: one per step or one for the final "
                                                     "step, e.g. 0,1,1 or [[0.1,0.2],[0.3,0.4]]; for xent a class "
                                                     "index per step.", show_default=False)], None),
    ("target_file", Annotated[Optional[str], typer.Option(metavar="FILE",
                                                          help="The target from a .npy or .csv file, one step a "
                                                          "row.", show_default=False)], None),
    ("format", Annotated[Format, typer.Option("--format", "-f", help="Output format.")], Format.table),
    ("only", Annotated[Optional[str], typer.Option(metavar="NAMES", help="Show only these quantities, e.g. h,c.",
                                                   show_default=False)], None),
    ("steps", Annotated[Optional[str], typer.Option(metavar="STEPS",
                                                    help="Show only these steps: 3, 10:20 (10 to 20, both "
                                                    "included), 5: (5 on), 1,4,9.",
                                                    show_default=False)], None),
    ("last", Annotated[bool, typer.Option("--last", help="Show only the final step.")], False),
    ("quiet", Annotated[bool, typer.Option("-q", "--quiet", help="Print only the final step's visible state (or "
                                           "the --only quantities, in order), one number a line.")], False),
    ("digits", Annotated[Optional[int], typer.Option(parser=whole_number(0, 17), metavar="N",
                                                     help="Decimals shown, and compared by "
                                                     "--expect (default 4).", show_default=False)], None),
    ("no_color", Annotated[bool, typer.Option("--no-color", help="Plain text, no colour (also NO_COLOR=1).")], False),
    ("no_header", Annotated[bool, typer.Option("--no-header", help="Leave out the table's header (the cell, the "
                                               "sizes and the parameters).")], False),
    ("save_svg", Annotated[Optional[str], typer.Option(metavar="FILE", help="Also save the table as an SVG picture.",
                                                       show_default=False)], None),
    ("save_html", Annotated[Optional[str], typer.Option(metavar="FILE", help="Also save the table as an HTML page.",
                                                        show_default=False)], None),
    ("plot", Annotated[Optional[str], typer.Option(metavar="FILE", help="Also draw the run (.png, .svg or .pdf): "
                                                   "each quantity's units over t and, with --grad, the gradient's "
                                                   "journey. Needs pip install 'rnncalc[plot]'.",
                                                   show_default=False)], None),
]


def cell_command(cell_name: str):
    entry = CELLS[cell_name]
    cell = entry()
    state_keys = [s.init_key for s in cell.states]
    options = list(COMMON)
    options[2:2] = [(k, Annotated[Optional[str], typer.Option(f"--{k}", metavar="V", help=f"Initial {s.doc} {s.name}_0 "
                                                               "(default 0).", show_default=False)], None)
                    for k, s in zip(state_keys, cell.states)]
    after_output = options.index(next(o for o in options if o[0] == "output")) + 1
    for k, option in enumerate(entry.options):
        annotation = Optional[choice_enum(option.key.title().replace("_", ""), option.choices)]
        options.insert(after_output + k, (option.key, Annotated[
            annotation, typer.Option(option.flag, help=f"{option.help}; default {option.choices[0]}.",
                                     show_default=False)], None))

    matrix = next((p.name for p in cell.params if len(p.shape) == 2), cell.params[0].name)
    vector = next((p.name for p in cell.params if len(p.shape) == 1), None)
    examples = f"-p {matrix}=[[1,0],[0,1]]" + (f" or -p {vector}=0.5" if vector else "")
    options = [(name, Annotated[Optional[list[str]], typer.Option("-p", "--param", metavar="NAME=VALUE", help=(
        f"A parameter, VALUE in YAML flow syntax or as numpy prints it, e.g. {examples}; repeatable."),
        show_default=False)], default) if name == "param" else (name, annotation, default)
               for name, annotation, default in options]

    def command(**kw):
        states = {k: kw.pop(k) for k in state_keys}
        _calculate(cell_name, kw.pop("file"), states, **kw)

    command.__signature__ = inspect.Signature([
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, annotation, default in options])
    command.__doc__ = (f"Trace the {cell.title}: every quantity of every step.\n\n\b\n"
                       + "\n".join(eq.text(cell) for eq in cell.equations if not eq.is_squash)
                       + f"\n\nExample: {entry.example}"
                       + f"\n\nBackpropagation through time: {entry.grad_example}")
    return command
