"""The command line: each command parses its flags, calls the library, and turns InputError into one line.

numpy, the engine and Rich rendering are imported inside the commands, so --help and --version
start fast.
"""

from __future__ import annotations

from . import streams

streams.exit_on_interrupt(starting=True)  # before the imports below, which are most of start-up

import inspect
import os
import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from . import __version__, choices
from .cells import CELLS, OUTPUTS
from .errors import EXIT_EXPECTATION, EXIT_INPUT, EXIT_NONFINITE, EXIT_OK


app = typer.Typer(
    add_completion=True,
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Calculate and trace recurrent-network cells (RNN, gated RNN, LSTM, GRU) step by step.",
)


def _choices(name, values):
    return Enum(name, [(v, v) for v in values], type=str)


RoundMode = _choices("RoundMode", choices.ROUND_MODES)
Format = _choices("Format", choices.FORMATS)
CheckFormat = _choices("CheckFormat", choices.CHECK_FORMATS)
Output = _choices("Output", OUTPUTS)
LossKind = _choices("LossKind", choices.LOSS_KINDS)
Journey = _choices("Journey", choices.JOURNEYS)
CellName = _choices("CellName", CELLS)
Framework = _choices("Framework", choices.FRAMEWORKS)
ConvertCell = _choices("ConvertCell", choices.CONVERTED_CELLS)
Direction = _choices("Direction", choices.DIRECTIONS)


def _whole(low: int, high: Optional[int] = None):
    """A parser for a whole-number flag, written as YAML 1.2 writes one: 17 (not 1_7, 0x11 or 17.0)."""
    def parse(text) -> int:
        import re

        from .text import clipped

        if isinstance(text, int):  # a default
            return text
        if re.fullmatch(r"\s*[-+]?[0-9]{1,18}\s*", text):
            n = int(text)
            if low <= n and (high is None or n <= high):
                return n
        span = f"from {low} to {high}" if high is not None else f"≥ {low}"
        raise typer.BadParameter(f"expected a whole number {span}, found '{clipped(text)}'")
    return parse


def _decimal(text):
    """text as a finite float when YAML 1.2 reads it as a decimal number (1, 1.5, 1e-3; not 1_0 or inf)."""
    import math
    import re

    from .yamlio import DECIMAL

    if re.fullmatch(rf"\s*{DECIMAL}\s*", text) and math.isfinite(float(text)):
        return float(text)
    return None


def _tolerance(text) -> float:
    """--atol: a finite number ≥ 0, as the file's atol: must be."""
    from .text import clipped

    value = text if isinstance(text, float) else _decimal(text)
    if value is None or value < 0:
        raise typer.BadParameter(f"expected a tolerance, a finite number ≥ 0, found '{clipped(text)}'")
    return value


def _finite(text) -> float:
    """A real-number flag: a finite number."""
    from .text import clipped

    value = text if isinstance(text, float) else _decimal(text)
    if value is None:
        raise typer.BadParameter(f"expected a finite number, found '{clipped(text)}'")
    return value


def _version(value: bool):
    if value:
        typer.echo(f"rnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
):
    """Calculate and trace recurrent-network cells (RNN, gated RNN, LSTM, GRU) step by step.

    Example: rnncalc lstm --weights 1 --h0 1 --c0 1 -x 5 --round sign
    """
    if ctx.invoked_subcommand is None:  # bare rnncalc: the help, as --help prints it
        typer.echo(ctx.get_help())


# ---------------------------------------------------------------- the cell commands

def _value(enum_or_none):
    return None if enum_or_none is None else enum_or_none.value


def _calculate(cell_name: str, file, states: dict, **o):
    from .commands import calculate
    from .errors import InputError
    from .problem import Flags
    from .runner import Selection, View

    flags = Flags(
        x=o["x"], x_file=o["x_file"], states={k: v for k, v in states.items() if v is not None},
        params=o["param"] or [], weights=o["weights"], biases=o["biases"], hidden=o["hidden"], input=o["input"],
        round=_value(o["round"]), round_sigmoid=_value(o["round_sigmoid"]), round_tanh=_value(o["round_tanh"]),
        round_state=o["round_state"],
        options={key: _value(o.get(key)) for key in ("output", *(opt.key for opt in CELLS[cell_name].options))},
        expect=o["expect"] or [], no_expect=o["no_expect"], digits=o["digits"], atol=o["atol"],
        grad=o["grad"], loss=_value(o["loss"]), target=o["target"], target_file=o["target_file"],
        journey=_value(o["journey"]),
        pins=o["pin"] or [],
    )
    if o["quiet"] and o["steps"] is not None:
        raise InputError("--steps", "-q prints only the final step; give one of them")
    only = tuple(dict.fromkeys(n.strip() for n in o["only"].split(","))) if o["only"] else None
    _refuse_long_names(cell_name, only)
    view = View(
        format=o["format"].value, last=o["last"], quiet=o["quiet"], no_color=_no_color(o["no_color"]),
        only=only,
        steps=None if o["steps"] is None else Selection.parse(o["steps"]),
        save_svg=o["save_svg"], save_html=o["save_html"], header=not o["no_header"], spelled=_spelled(),
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


def _no_color(flag: bool) -> bool:
    return flag or bool(os.environ.get("NO_COLOR"))


# The options every cell command takes, as (name, annotation); the state flags are added per cell.
COMMON = [
    ("file", Annotated[Optional[str], typer.Argument(metavar="[FILE]", help="YAML problem file (or .npz); - "
                                                     "reads it from stdin.",
                                                     show_default=False)], None),
    ("problem", Annotated[Optional[str], typer.Option(metavar="NAME|N", help="Run this problem of a file holding "
                                                      "several (separated by ---): its name: or its number from "
                                                      "1.", show_default=False)], None),
    ("x", Annotated[Optional[str], typer.Option("-x", "--x", metavar="STEPS", help="Input sequence: 5, or 0,0,1,1, or [[1,2],[3,4]]; "
                                                "- reads one step a line from stdin.", show_default=False)], None),
    ("x_file", Annotated[Optional[str], typer.Option("--x-file", metavar="FILE", help="Input sequence from a .npy, .csv or .txt "
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
    ("hidden", Annotated[Optional[int], typer.Option(parser=_whole(1), metavar="H", help="Hidden size H (else read off the shapes).",
                                                     show_default=False)], None),
    ("input", Annotated[Optional[int], typer.Option(parser=_whole(1), metavar="D", help="Input size D (else read off the shapes).",
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
    ("expect", Annotated[Optional[list[str]], typer.Option(metavar="NAME=V1,V2,...", help="NAME=V1,V2,...: the value of a quantity at each "
                                                           "step (or one value: the final step); repeatable. "
                                                           "Replaces the file's expect:. Exit status 1 when one "
                                                           "does not hold.", show_default=False)], None),
    ("no_expect", Annotated[bool, typer.Option("--no-expect", help="Leave out the file's expect: values.")], False),
    ("pin", Annotated[Optional[list[str]], typer.Option("--pin", metavar="NAME=VALUE", help="Hold a quantity the "
                                                        "equations compute at a value (a number fills it), e.g. "
                                                        "--pin g=0, or at some steps: --pin f@3:5=1; "
                                                        "repeatable. In a layers: file: --pin "
                                                        "layers.2.backward.f=1.", show_default=False)], None),
    ("atol", Annotated[Optional[float], typer.Option(parser=_tolerance, metavar="TOL", help="Compare expected values within this tolerance "
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
    ("target", Annotated[Optional[str], typer.Option(metavar="VALUES", help="The loss's target: one per step or one for the final "
                                                     "step, e.g. 0,1,1 or [[0.1,0.2],[0.3,0.4]]; for xent a class "
                                                     "index per step.", show_default=False)], None),
    ("target_file", Annotated[Optional[str], typer.Option(metavar="FILE", help="The target from a .npy or .csv file, one step a "
                                                          "row.", show_default=False)], None),
    ("format", Annotated[Format, typer.Option("--format", "-f", help="Output format.")], Format.table),
    ("only", Annotated[Optional[str], typer.Option(metavar="NAMES", help="Show only these quantities, e.g. h,c.",
                                                   show_default=False)], None),
    ("steps", Annotated[Optional[str], typer.Option(metavar="STEPS", help="Show only these steps: 3, 10:20 (10 to 20, both "
                                                    "included), 5: (5 on), 1,4,9.",
                                                    show_default=False)], None),
    ("last", Annotated[bool, typer.Option("--last", help="Show only the final step.")], False),
    ("quiet", Annotated[bool, typer.Option("-q", "--quiet", help="Print only the final step's visible state (or "
                                           "the --only quantities, in order), one number a line.")], False),
    ("digits", Annotated[Optional[int], typer.Option(parser=_whole(0, 17), metavar="N", help="Decimals shown, and compared by "
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


def _cell_command(cell_name: str):
    entry = CELLS[cell_name]
    cell = entry()
    state_keys = [s.init_key for s in cell.states]
    options = list(COMMON)
    options[2:2] = [(k, Annotated[Optional[str], typer.Option(f"--{k}", metavar="V", help=f"Initial {s.doc} {s.name}_0 "
                                                               "(default 0).", show_default=False)], None)
                    for k, s in zip(state_keys, cell.states)]
    after_output = options.index(next(o for o in options if o[0] == "output")) + 1
    for k, option in enumerate(entry.options):
        annotation = Optional[_choices(option.key.title().replace("_", ""), option.choices)]
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


for _name in CELLS:
    app.command(_name)(_cell_command(_name))


def _first_sentences():
    """Each command's first sentence whole in rnncalc --help, where Click would cut it at 45 characters."""
    for info in app.registered_commands:
        info.short_help = info.callback.__doc__.split("\n\n")[0].replace("\n", " ").split(". ")[0].rstrip(".") + "."


# ---------------------------------------------------------------- init and equations

@app.command()
def init(
    cell: Annotated[CellName, typer.Argument(help="The cell.")],
    hidden: Annotated[int, typer.Option(parser=_whole(1), metavar="H", help="Hidden size H.")] = 1,
    input: Annotated[int, typer.Option(parser=_whole(1), metavar="D", help="Input size D.")] = 1,
    proj: Annotated[Optional[int], typer.Option(parser=_whole(1), metavar="P",
                                                help="Projection size P: an LSTM with h_t = W_hm m_t.")] = None,
):
    """Print a commented YAML problem for CELL with every key at its shape.

    Example: rnncalc init lstm --hidden 2 > problem.yaml
    """
    from .commands import template

    sys.stdout.write(template(cell.value, hidden, input, proj))


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

    console = make_console(no_color=_no_color(no_color))
    for name in [cell.value] if cell else CELLS:
        for page in CELLS[name].pages:
            console.print(equations_panel(CELLS[name](**page)))


@app.command()
def check(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="YAML files, each holding one problem or "
                                               "several separated by ---, and folders: every *.yaml and *.yml "
                                               "inside, recursively, in sorted order.")],
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="A table, or a JSON list with a record "
                                                "a problem.")] = CheckFormat.table,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain text, no colour.")] = False,
):
    """Run every problem in the files and folders and check its expect: values; one row per problem.

    Each problem names its cell (cell: lstm) and may have a name, digits and expect. Exit status 1
    when an expected value does not hold, 2 when a problem cannot be read, 3 when one went non-finite.

    Example: rnncalc check samples/
    """
    from .commands import check_problems

    records = check_problems(paths)
    if format is CheckFormat.json:
        from .exacttext import dump

        body = ",\n".join("  " + dump(r) for r in records)
        typer.echo(f"[\n{body}\n]" if records else "[]")
    else:
        from .render import check_summary, make_console

        console = make_console(no_color=_no_color(no_color))
        console.print(check_summary(records, console.width))
    bad = [r["verdict"] for r in records if r["verdict"] not in ("pass", "ran")]
    if bad:
        counts = ", ".join(f"{bad.count(v)} {v}" for v in ("error", "non-finite", "fail") if v in bad)
        _fail(f"{len(bad)} of {len(records)} problems did not pass ({counts})"
              + ("; see the summary above" if format is CheckFormat.table else ""))
    for status, verdict in ((EXIT_INPUT, "error"), (EXIT_NONFINITE, "non-finite"), (EXIT_EXPECTATION, "fail")):
        if verdict in bad:
            raise typer.Exit(status)


Activation = _choices("Activation", CELLS["rnn"].option("activation").choices)
Head = _choices("Head", choices.HEADS)
GruVariant = _choices("GruVariant", next(o.choices for o in CELLS["gru"].options if o.key == "variant"))


@app.command()
def convert(
    file: Annotated[str, typer.Argument(help="A trained layer's or model's weights: .npz, .pt/.pth (a state_dict), "
                                        ".keras or .weights.h5.")],
    source: Annotated[Optional[Framework], typer.Option("--from", help="The framework that saved the arrays "
                                                        "(else told by the file).", show_default=False)] = None,
    cell: Annotated[Optional[ConvertCell], typer.Option(help="The layer's cell (else told by the shapes).",
                                                        show_default=False)] = None,
    layer: Annotated[Optional[int], typer.Option(parser=_whole(0), metavar="N", help="Write this layer only, counted from 0 at the "
                                                 "input (PyTorch's _lN); else every layer.",
                                                 show_default=False)] = None,
    direction: Annotated[Optional[Direction], typer.Option(help="With --layer, which direction of a "
                                                           "bidirectional layer (default forward).",
                                                           show_default=False)] = None,
    activation: Annotated[Optional[Activation], typer.Option(help="An RNN layer's activation, which its arrays "
                                                             "do not store (default tanh).",
                                                             show_default=False)] = None,
    forget_bias: Annotated[Optional[float], typer.Option(parser=_finite, metavar="FLOAT", help="TensorFlow LSTMCell's forget_bias, added into "
                                                         "b_f (default 1.0, as TensorFlow's).",
                                                         show_default=False)] = None,
    output: Annotated[Optional[Output], typer.Option(help="The activation of the model's output layer (a Dense "
                                                     "or nn.Linear), which its arrays do not store (default linear).",
                                                     show_default=False)] = None,
    head: Annotated[Optional[Head], typer.Option(help="What the output layer reads, where the file does not say: "
                                                 "steps (the top output at every step, as fc(output) or "
                                                 "return_sequences=True) or final (the final state).",
                                                 show_default=False)] = None,
    variant: Annotated[Optional[GruVariant], typer.Option(help="A bias-free Keras GRU's reset_after, which its "
                                                          "arrays do not store: reset-after (reset_after=True, "
                                                          "Keras's default) or reset-before (False).",
                                                          show_default=False)] = None,
):
    """Print a trained layer's or model's weights as rnncalc YAML, in the course's names.

    Give a PyTorch state_dict as saved by torch.save(model.state_dict(), 'model.pt') (read with torch, when
    installed) or as an .npz, np.savez('lstm.npz', **{k: v.numpy() for k, v in model.state_dict().items()});
    a Keras model saved by model.save('model.keras') or model.save_weights('model.weights.h5') (read with h5py:
    pip install 'rnncalc[keras]'), a Keras layer's np.savez('lstm.npz', *layer.get_weights()), or a Keras
    model's np.savez('model.npz', **{w.path: w.numpy() for w in model.weights}). A model of several layers or
    two directions becomes one layers: file; an nn.Linear or Dense after it, its output layer.

    Example: rnncalc convert model.pt > model.yaml
    """
    from .convert import convert_file

    text, notes = convert_file(file, _value(source), cell.value if cell else None, layer, _value(direction),
                               _value(activation), forget_bias, _value(output), _value(head), _value(variant))
    for note in notes:
        _fail(f"note: {note}")
    sys.stdout.write(text)


# ---------------------------------------------------------------- entry point

def _fail(message: str):
    """One line on stderr; user text in it is escaped, so it stays one line and cannot drive a terminal."""
    from .text import printable

    streams.write_error(f"rnncalc: {printable(message)}")


_first_sentences()


_TYPED = []  # the words of the command line being run, for messages that name a flag as it was typed


def _spelled() -> dict:
    """{-q: --quiet, --format: -f} where the command line spelled them so."""
    return {short: long for short, long in (("-q", "--quiet"), ("--format", "-f")) if long in _TYPED}


def run(argv=None) -> int:
    """Run the command line and return its exit status; bad input is one line on stderr, status 2."""
    from .errors import ExpectationError, InputError, NonFiniteError

    if sys.stdout is None:
        _fail("standard output is closed; redirect it to a file or to /dev/null")
        return EXIT_INPUT
    args = sys.argv[1:] if argv is None else argv
    _TYPED[:] = args
    named = args[1:] if args[:1] == ["--"] else args  # rnncalc -- lstm ...: the command is named after --
    command = _click_group(named)
    try:
        _refuse_split_params(named)
        _refuse_split_values(command, named)
        _refuse_params_as_options(command, named)
        _refuse_repeated_options(command, named)
        result = command.main(args=argv, prog_name="rnncalc", standalone_mode=False)
        sys.stdout.flush()
    except InputError as e:
        _fail(str(e))
        return EXIT_INPUT
    except (ExpectationError, NonFiniteError) as e:  # what was written stands; the verdict follows it
        _fail(str(e))
        try:
            sys.stdout.flush()
        except OSError as closed:
            if streams.is_broken_pipe(closed):
                return streams.pipe_closed()
            raise
        return EXIT_EXPECTATION if isinstance(e, ExpectationError) else EXIT_NONFINITE
    except typer.TyperException as e:  # Click's usage errors, raised by the Click typer bundles
        hint = _choices_hint(command, named, e)
        _fail(" ".join(e.format_message().split()).rstrip("." if hint else "") + hint + _usage_hint(e))
        return EXIT_INPUT if e.exit_code == 2 else e.exit_code
    except (streams.Interrupted, KeyboardInterrupt):
        return streams.INTERRUPTED
    except (OSError, SystemExit) as e:
        if streams.is_broken_pipe(e):
            return streams.pipe_closed()
        if isinstance(e, SystemExit):
            raise
        _fail(_os_error(e))
        if e.filename is None:
            streams.silence(sys.__stdout__)
        return EXIT_INPUT
    return result if isinstance(result, int) else EXIT_OK


def _click_group(args):
    """The app as a Click group. When the first argument names a command, the group holds that command
    alone: Typer builds a command by reading its function's signature, and building all of them costs a
    one-shot call several milliseconds."""
    import copy

    chosen = [info for info in app.registered_commands if args and _command_name(info) == args[0]]
    if chosen:
        one = copy.copy(app)
        one.registered_commands = chosen
        return typer.main.get_command(one)
    return typer.main.get_command(app)


def _command_name(info) -> str:
    return info.name or typer.main.get_command_name(info.callback.__name__)


def _os_error(e: OSError) -> str:
    """What the system refused: a file named by the error, else standard output."""
    reason = e.strerror or str(e)
    if e.filename is not None:
        return f"{e.filename}: {reason}"
    return f"cannot write the output: {reason}"


def _refuse_split_params(args):
    """-p W_fh 2, a parameter's value given as the next argument: refused before 2 is taken for FILE."""
    from .errors import InputError
    from .text import clipped

    if not args or args[0] not in CELLS:
        return
    for flag, name, following in zip(args, args[1:], args[2:]):
        if flag in ("-p", "--param") and "=" not in name and (not following.startswith("-")
                                                               or following[1:2].isdigit()):
            raise InputError("--param", f"expected NAME=VALUE, found '{clipped(name)}'; did you mean "
                                        f"-p {clipped(name)}={clipped(following)}?")


def _subcommand(command, args):
    """The command that args name, a cell command or another; None for none."""
    return command.commands.get(args[0]) if args and hasattr(command, "commands") else None


def _refuse_split_values(command, args):
    """-x 5 3, a list given as two arguments: refused before 3 is taken for FILE, unless 3 is a file."""
    from .errors import InputError
    from .text import clipped

    if not args or args[0] not in CELLS:
        return
    listed = {"-x", "--x", "--target", *(f"--{s.init_key}" for s in CELLS[args[0]]().states)}
    for flag, value, following in zip(args, args[1:], args[2:]):
        if flag in listed and _decimal(following) is not None and _decimal(value) is not None \
                and not os.path.lexists(following):
            raise InputError(flag, f"takes one value, found '{clipped(value)}' and then '{clipped(following)}'; "
                                   f"did you mean {flag} {value},{following}?")


def _refuse_params_as_options(command, args):
    """--W_ss 1, a parameter given as an option of its own: refused with its -p spelling."""
    from .errors import InputError
    from .text import clipped

    sub = _subcommand(command, args)
    if sub is None or args[0] not in CELLS:
        return
    known = {opt for param in sub.params for opt in getattr(param, "opts", ())}
    unknown = [arg for arg in args if arg.startswith("--") and arg.partition("=")[0] not in known]
    if not unknown or "--" in args:  # the names of every cell's parameters are looked up only for an unknown option
        return
    names = {name for entry in CELLS.values() for page in entry.pages
             for name in (*entry(**page).param_names, *entry(**page).concatenated)} | {"W_y", "b_y", "name"}
    for arg, following in zip(args, [*args[1:], None]):
        option, sep, value = arg.partition("=")
        if option.startswith("--") and option not in known and option[2:] in names:
            value = value if sep else following if following is not None and not following.startswith("--") else "V"
            kind = "a key" if option == "--name" else "a parameter"
            raise InputError(option, f"no such option; {kind} is given as -p {option[2:]}={clipped(value)}")


def _choices_hint(command, args, e) -> str:
    """The choices of an option given without its value (--round), which Click's message leaves out."""
    sub = _subcommand(command, args)
    name = getattr(e, "option_name", None)
    if sub is None or name is None or "requires an argument" not in e.format_message():
        return ""
    param = next((p for p in sub.params if name in getattr(p, "opts", ())), None)
    choices = getattr(getattr(param, "type", None), "choices", None)
    return f"; choose one of {', '.join(map(str, choices))}" if choices else ""


def _refuse_repeated_options(command, args):
    """An option that takes one value, given twice (-x 1 -x 2): refused, as the first value would be
    dropped without a word. Repeatable options (-p, --expect) and switches may come several times."""
    from .errors import InputError

    sub = _subcommand(command, args)
    if sub is None:
        return
    try:
        group = typer.Context(command, **command.context_settings)  # so that -h is known, as in the run itself
        _, _, order = sub.make_parser(typer.Context(sub, parent=group)).parse_args(list(args[1:]))
    except typer.TyperException:
        return  # a usage error, which the command itself reports
    seen = set()
    for param in order:
        if param.param_type_name != "option" or param.multiple or param.is_flag or param.count:
            continue
        if param.name in seen:
            flag = _as_typed(param.opts, args)
            raise InputError(flag, "given twice; give it once")
        seen.add(param.name)


def _as_typed(opts, args) -> str:
    """The spelling of an option that the user typed (-x, -x1, --x=1), else its longest."""
    for arg in args:
        for opt in opts:
            if arg == opt or arg.startswith(opt + "=") or len(opt) == 2 and arg.startswith(opt) and arg[1] != "-":
                return opt
    return max(opts, key=len)


def _usage_hint(e) -> str:
    ctx = getattr(e, "ctx", None)
    return f" (see {ctx.command_path} --help)" if ctx is not None else ""


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread():
    """numpy's BLAS on one thread, unless the environment chose a number: rnncalc's matrices are small, so a
    pool of threads saves little, and on a busy machine its waiting threads cost several times the work
    (the backward pass of an LSTM with H = 128 ran 3× slower on two threads of a loaded two-core machine).
    Read when numpy loads, which no command has done yet."""
    if not any(name in os.environ for name in BLAS_THREADS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def entry():
    one_blas_thread()
    streams.use_ascii_fallbacks()
    streams.raise_on_interrupt()
    try:
        status = run()
        streams.exit_on_interrupt()
    except streams.Interrupted:  # while run() reported something else
        status = streams.INTERRUPTED
    sys.exit(status)
