"""The words of the command line: kept while it runs, for messages that name a flag as it was typed; checked before
Click reads them, for mistakes Click would take for something else; and Click's own messages completed."""

from __future__ import annotations

import os

import typer

from .cells import CELLS
from .cli_values import decimal_number


TYPED = []  # the words of the command line being run, for messages that name a flag as it was typed


def spelled_flags() -> dict:
    """{-q: --quiet, --format: -f} where the command line spelled them so."""
    return {short: long for short, long in (("-q", "--quiet"), ("--format", "-f")) if long in TYPED}


def refuse_split_params(args):
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


def refuse_split_values(command, args):
    """-x 5 3, a list given as two arguments: refused before 3 is taken for FILE, unless 3 is a file."""
    from .errors import InputError
    from .text import clipped

    if not args or args[0] not in CELLS:
        return
    listed = {"-x", "--x", "--target", *(f"--{s.init_key}" for s in CELLS[args[0]]().states)}
    for flag, value, following in zip(args, args[1:], args[2:]):
        if flag in listed and decimal_number(following) is not None and decimal_number(value) is not None \
                and not os.path.lexists(following):
            raise InputError(flag, f"takes one value, found '{clipped(value)}' and then '{clipped(following)}'; "
                                   f"did you mean {flag} {value},{following}?")


def refuse_params_as_options(command, args):
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


def choices_hint(command, args, e) -> str:
    """The choices of an option given without its value (--round), which Click's message leaves out."""
    sub = _subcommand(command, args)
    name = getattr(e, "option_name", None)
    if sub is None or name is None or "requires an argument" not in e.format_message():
        return ""
    param = next((p for p in sub.params if name in getattr(p, "opts", ())), None)
    choices = getattr(getattr(param, "type", None), "choices", None)
    return f"; choose one of {', '.join(map(str, choices))}" if choices else ""


def refuse_repeated_options(command, args):
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


def usage_hint(e) -> str:
    ctx = getattr(e, "ctx", None)
    return f" (see {ctx.command_path} --help)" if ctx is not None else ""
