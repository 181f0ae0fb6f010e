"""The command line: each command parses its flags, calls the library, and turns InputError into one line.

numpy, the engine and Rich rendering are imported inside the commands, so --help and --version
start fast.
"""

from __future__ import annotations

import inspect
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click.exceptions import ClickException  # typer 0.28 ships its own Click

from . import __version__
from .cells import CELLS, OPTIONS, OUTPUTS, PAGES

EXIT_OK, EXIT_EXPECTATION, EXIT_INPUT, EXIT_NONFINITE = 0, 1, 2, 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Calculate and trace recurrent-network cells (RNN, gated RNN, LSTM, GRU) step by step.",
)


def _choices(name, values):
    return Enum(name, [(v, v) for v in values], type=str)


class RoundMode(str, Enum):
    none = "none"
    nearest = "nearest"
    sign = "sign"


class Format(str, Enum):
    table = "table"
    json = "json"


Output = _choices("Output", OUTPUTS)
CellName = _choices("CellName", CELLS)


def _version(value: bool):
    if value:
        typer.echo(f"rnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
):
    """Calculate and trace recurrent-network cells (RNN, gated RNN, LSTM, GRU) step by step.

    Example: rnncalc lstm --weights 1 --h0 1 --c0 1 -x 5 --round sign
    """


# ---------------------------------------------------------------- the cell commands

def _value(enum_or_none):
    return None if enum_or_none is None else enum_or_none.value


def _calculate(cell_name: str, file, states: dict, **o):
    from .problem import Flags, build

    flags = Flags(
        x=o["x"], states={k: v for k, v in states.items() if v is not None}, params=o["param"] or [],
        weights=o["weights"], biases=o["biases"], hidden=o["hidden"], input=o["input"],
        round=_value(o["round"]), round_sigmoid=_value(o["round_sigmoid"]), round_tanh=_value(o["round_tanh"]),
        round_state=o["round_state"],
        options={key: _value(o.get(key)) for key in ("output", *OPTIONS[cell_name])},
    )
    doc = _read_document(file)
    problem = build(cell_name, doc, flags)
    raise typer.Exit(_report(problem, o["format"].value, o["digits"], o["no_color"]))


def _report(problem, fmt: str, digits: int, no_color: bool) -> int:
    """Run the problem, print it in the chosen format and return the exit status."""
    from . import engine, render

    steps, broken = [], None
    for step in engine.run(problem.cell, problem.params, problem.init, problem.xs, problem.rounding):
        steps.append(step)
        bad = step.nonfinite()
        if bad is not None:
            broken = (step.t, bad)
            break
    final = {s.name: steps[-1].values[s.name] for s in problem.cell.states}
    if fmt == "json":
        if broken is None:
            typer.echo(render.dumps(render.json_document(problem, steps, final)))
    else:
        console = render.make_console(no_color=no_color or bool(os.environ.get("NO_COLOR")))
        console.print(render.header(problem, digits))
        for step in steps:
            console.print(render.step_table(problem, step, digits))
        if broken is None:
            console.print(render.final_line(problem, final, digits))
    if broken is not None:
        t, key = broken
        _fail(f"{key} is not finite at step {t}; the weights or inputs are too large for float64")
        return EXIT_NONFINITE
    return EXIT_OK


def _read_document(file: Optional[str]):
    from .errors import InputError
    from .yamlio import load_documents

    if file is None:
        return None
    if file == "-":
        text, source = sys.stdin.read(), "<stdin>"
    else:
        path = Path(file)
        if not path.exists():
            raise InputError(file, "no such file")
        if path.is_dir():
            raise InputError(file, "is a directory, not a YAML file")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(file, "is not a text file; expected YAML") from None
        source = file
    if "\0" in text:
        raise InputError(source, "is not a text file; expected YAML")
    docs = load_documents(text, source)
    if len(docs) > 1:
        raise InputError(source, f"holds {len(docs)} YAML documents; a cell command reads one")
    if not docs:
        raise InputError(source, "is empty; expected a mapping of keys such as W_fh, h0 and x "
                                 "(rnncalc init CELL prints a template)")
    return docs[0]


# The options every cell command takes, as (name, annotation); the state flags are added per cell.
COMMON = [
    ("file", Annotated[Optional[str], typer.Argument(help="YAML problem file; - reads it from stdin.",
                                                     show_default=False)], None),
    ("x", Annotated[Optional[str], typer.Option("-x", "--x", help="Input sequence: 5, or 0,0,1,1, or [[1,2],[3,4]].",
                                                show_default=False)], None),
    ("weights", Annotated[Optional[str], typer.Option(help="Fill every weight matrix not given with this number.",
                                                      show_default=False)], None),
    ("biases", Annotated[Optional[str], typer.Option(help="Fill every bias not given (default 0).",
                                                     show_default=False)], None),
    ("param", Annotated[Optional[list[str]], typer.Option("-p", "--param", help="NAME=VALUE, VALUE in YAML flow "
                                                          "syntax, e.g. -p W_fh=[[1,0],[0,1]]; repeatable.",
                                                          show_default=False)], None),
    ("hidden", Annotated[Optional[int], typer.Option(min=1, help="Hidden size H (else read off the shapes).",
                                                     show_default=False)], None),
    ("input", Annotated[Optional[int], typer.Option(min=1, help="Input size D (else read off the shapes).",
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
    ("format", Annotated[Format, typer.Option("--format", "-f", help="Output format.")], Format.table),
    ("digits", Annotated[int, typer.Option(min=0, max=17, help="Decimals shown in tables.")], 4),
    ("no_color", Annotated[bool, typer.Option("--no-color", help="Plain text, no colour.")], False),
]
OPTION_HELP = {
    "activation": "The rnn's activation",
    "variant": "Reset gate after the matmul, r ⊙ (W_nh h + b_nh) as PyTorch and Keras, or before it, "
               "W_nh (r ⊙ h) as Cho et al.",
    "z_weighs": "Whether z_t weighs the old state (PyTorch, Keras) or the candidate n_t",
}

EXAMPLES = {
    "rnn": "rnncalc rnn --weights 0.5 --s0 1 -x 1,0,-1",
    "gated": "rnncalc gated samples/gated.yaml",
    "lstm": "rnncalc lstm --weights 1 --h0 1 --c0 1 -x 5 --round sign",
    "gru": "rnncalc gru --weights 0.5 --h0 1 -x 1,2 --variant reset-before",
}


def _cell_command(cell_name: str):
    cell = CELLS[cell_name]()
    state_keys = [s.init_key for s in cell.states]
    options = list(COMMON)
    options[2:2] = [(k, Annotated[Optional[str], typer.Option(f"--{k}", help=f"Initial {s.doc} {s.name}_0 "
                                                               "(default 0).", show_default=False)], None)
                    for k, s in zip(state_keys, cell.states)]
    for key, choices in OPTIONS[cell_name].items():
        flag = "--" + key.replace("_", "-")
        annotation = Optional[_choices(key.title().replace("_", ""), choices)]
        options.insert(-3, (key, Annotated[annotation, typer.Option(
            flag, help=f"{OPTION_HELP[key]}; default {choices[0]}.", show_default=False)], None))

    def command(**kw):
        states = {k: kw.pop(k) for k in state_keys}
        _calculate(cell_name, kw.pop("file"), states, **kw)

    command.__signature__ = inspect.Signature([
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, annotation, default in options])
    command.__doc__ = (f"Trace the {cell.title}: every quantity of every step.\n\n\b\n"
                       + "\n".join(eq.text(cell) for eq in cell.equations if not eq.is_squash)
                       + f"\n\nExample: {EXAMPLES[cell_name]}")
    return command


for _name in CELLS:
    app.command(_name)(_cell_command(_name))


# ---------------------------------------------------------------- init and equations

@app.command()
def init(
    cell: Annotated[CellName, typer.Argument(help="The cell.")],
    hidden: Annotated[int, typer.Option(min=1, help="Hidden size H.")] = 1,
    input: Annotated[int, typer.Option(min=1, help="Input size D.")] = 1,
):
    """Print a commented YAML problem for CELL with every key at its shape.

    Example: rnncalc init lstm --hidden 2 > problem.yaml
    """
    from .render import yaml_template

    typer.echo(yaml_template(CELLS[cell.value](), {"H": hidden, "D": input}), nl=False)


@app.command()
def equations(
    cell: Annotated[Optional[CellName], typer.Argument(help="The cell; all cells when absent.",
                                                       show_default=False)] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain text, no colour.")] = False,
):
    """Print the equations of CELL (or every cell) and its parameters' shapes.

    Example: rnncalc equations lstm
    """
    from .render import equations_panel, make_console

    console = make_console(no_color=no_color or bool(os.environ.get("NO_COLOR")))
    for name in [cell.value] if cell else CELLS:
        for page in PAGES[name]:
            console.print(equations_panel(CELLS[name](**page)))


class Framework(str, Enum):
    pytorch = "pytorch"
    keras = "keras"


class ConvertCell(str, Enum):
    rnn = "rnn"
    lstm = "lstm"
    gru = "gru"


@app.command()
def convert(
    file: Annotated[str, typer.Argument(help="An .npz of one trained layer's arrays.")],
    source: Annotated[Framework, typer.Option("--from", help="The framework that saved the arrays.")],
    cell: Annotated[Optional[ConvertCell], typer.Option(help="The layer's cell (else told by the shapes).",
                                                        show_default=False)] = None,
    layer: Annotated[int, typer.Option(min=0, help="Which layer of a stacked PyTorch model (the _lN suffix).")] = 0,
):
    """Print a trained layer's weights as rnncalc YAML, in the course's names.

    Example: rnncalc convert lstm.npz --from pytorch > model.yaml
    """
    from .convert import convert_file

    typer.echo(convert_file(file, source.value, cell.value if cell else None, layer), nl=False)


# ---------------------------------------------------------------- entry point

def _fail(message: str):
    typer.echo(f"rnncalc: {message}", err=True)


def run(argv=None) -> int:
    """Run the command line and return its exit status; bad input is one line on stderr, status 2."""
    from .errors import InputError

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="rnncalc", standalone_mode=False)
    except InputError as e:
        _fail(str(e))
        return EXIT_INPUT
    except ClickException as e:
        _fail(" ".join(e.format_message().split()) + _usage_hint(e))
        return EXIT_INPUT if e.exit_code == 2 else e.exit_code
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    return result if isinstance(result, int) else EXIT_OK


def _usage_hint(e) -> str:
    ctx = getattr(e, "ctx", None)
    return f" (see {ctx.command_path} --help)" if ctx is not None else ""


def entry():
    sys.exit(run())
