"""The command line: each command parses its flags, calls the library, and turns InputError into one line.

numpy, the engine and Rich rendering are imported inside the commands, so --help and --version
start fast.
"""

from __future__ import annotations

from . import streams

streams.exit_on_interrupt(starting=True)  # before the imports below, which are most of start-up

import os
import sys
from typing import Annotated, Optional

import typer

from . import __version__
from .cells import CELLS
from .cli_cells import cell_command
from .cli_values import (Activation, CellName, CheckFormat, ConvertCell, Direction, Framework, GruVariant, Head, Output,
                         chosen, finite_number, no_color_asked, whole_number)
from .cli_words import (TYPED, choices_hint, refuse_params_as_options, refuse_repeated_options, refuse_split_params,
                        refuse_split_values, usage_hint)
from .errors import EXIT_EXPECTATION, EXIT_INPUT, EXIT_NONFINITE, EXIT_OK


app = typer.Typer(
    add_completion=True,
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Calculate and trace recurrent-network cells (RNN, gated RNN, LSTM, GRU) step by step.",
)


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


# ---------------------------------------------------------------- the cell commands, from cli_cells

for _name in CELLS:
    app.command(_name)(cell_command(_name))


def _first_sentences():
    """Each command's first sentence whole in rnncalc --help, where Click would cut it at 45 characters."""
    for info in app.registered_commands:
        info.short_help = info.callback.__doc__.split("\n\n")[0].replace("\n", " ").split(". ")[0].rstrip(".") + "."


# ---------------------------------------------------------------- init and equations

@app.command()
def init(
    cell: Annotated[CellName, typer.Argument(help="The cell.")],
    hidden: Annotated[int, typer.Option(parser=whole_number(1), metavar="H", help="Hidden size H.")] = 1,
    input: Annotated[int, typer.Option(parser=whole_number(1), metavar="D", help="Input size D.")] = 1,
    proj: Annotated[Optional[int], typer.Option(parser=whole_number(1), metavar="P",
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
    from .render_console import make_console
    from .render_pages import equations_panel

    console = make_console(no_color=no_color_asked(no_color))
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
        from .render_console import make_console
        from .render_pages import check_summary

        console = make_console(no_color=no_color_asked(no_color))
        console.print(check_summary(records, console.width))
    bad = [r["verdict"] for r in records if r["verdict"] not in ("pass", "ran")]
    if bad:
        counts = ", ".join(f"{bad.count(v)} {v}" for v in ("error", "non-finite", "fail") if v in bad)
        _fail(f"{len(bad)} of {len(records)} problems did not pass ({counts})"
              + ("; see the summary above" if format is CheckFormat.table else ""))
    for status, verdict in ((EXIT_INPUT, "error"), (EXIT_NONFINITE, "non-finite"), (EXIT_EXPECTATION, "fail")):
        if verdict in bad:
            raise typer.Exit(status)


@app.command()
def convert(
    file: Annotated[str, typer.Argument(help="A trained layer's or model's weights: .npz, .pt/.pth (a state_dict), "
                                        ".keras or .weights.h5.")],
    source: Annotated[Optional[Framework], typer.Option("--from", help="The framework that saved the arrays "
                                                        "(else told by the file).", show_default=False)] = None,
    cell: Annotated[Optional[ConvertCell], typer.Option(help="The layer's cell (else told by the shapes).",
                                                        show_default=False)] = None,
    layer: Annotated[Optional[int], typer.Option(parser=whole_number(0), metavar="N",
                                                 help="Write this layer only, counted from 0 at the "
                                                 "input (PyTorch's _lN); else every layer.",
                                                 show_default=False)] = None,
    direction: Annotated[Optional[Direction], typer.Option(help="With --layer, which direction of a "
                                                           "bidirectional layer (default forward).",
                                                           show_default=False)] = None,
    activation: Annotated[Optional[Activation], typer.Option(help="An RNN layer's activation, which its arrays "
                                                             "do not store (default tanh).",
                                                             show_default=False)] = None,
    forget_bias: Annotated[Optional[float], typer.Option(parser=finite_number, metavar="FLOAT",
                                                         help="TensorFlow LSTMCell's forget_bias, added into "
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

    text, notes = convert_file(file, chosen(source), cell.value if cell else None, layer, chosen(direction),
                               chosen(activation), forget_bias, chosen(output), chosen(head), chosen(variant))
    for note in notes:
        _fail(f"note: {note}")
    sys.stdout.write(text)


# ---------------------------------------------------------------- entry point

def _fail(message: str):
    """One line on stderr; user text in it is escaped, so it stays one line and cannot drive a terminal."""
    from .text import printable

    streams.write_error(f"rnncalc: {printable(message)}")


_first_sentences()


def run(argv=None) -> int:
    """Run the command line and return its exit status; bad input is one line on stderr, status 2."""
    from .errors import ExpectationError, InputError, NonFiniteError

    if sys.stdout is None:
        _fail("standard output is closed; redirect it to a file or to /dev/null")
        return EXIT_INPUT
    args = sys.argv[1:] if argv is None else argv
    TYPED[:] = args
    named = args[1:] if args[:1] == ["--"] else args  # rnncalc -- lstm ...: the command is named after --
    command = _click_group(named)
    try:
        refuse_split_params(named)
        refuse_split_values(command, named)
        refuse_params_as_options(command, named)
        refuse_repeated_options(command, named)
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
        hint = choices_hint(command, named, e)
        _fail(" ".join(e.format_message().split()).rstrip("." if hint else "") + hint + usage_hint(e))
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
