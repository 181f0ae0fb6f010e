"""The process's standard streams and signals: Ctrl-C, a closed pipe, a full disk, a closed stream and
an encoding without the notation's symbols each end the command with its status and at most one line."""

from __future__ import annotations

import errno
import io
import os
import sys

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
PIPE_CLOSED = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader went away


def _is_the_command(starting=True) -> bool:
    """Whether this process is the rnncalc command itself (not a program that imports rnncalc)."""
    program = sys.argv[0] if sys.argv else ""
    return not starting or "rnncalc" in (os.path.basename(program), os.path.basename(os.path.dirname(program)))


def _quiet_interrupt(kind, value, traceback):
    """Ctrl-C in the command before its handler is set (importing the signal module takes milliseconds):
    status 130 without a traceback, as later."""
    if issubclass(kind, KeyboardInterrupt):
        os._exit(INTERRUPTED)
    sys.__excepthook__(kind, value, traceback)


if _is_the_command():
    sys.excepthook = _quiet_interrupt

import signal  # noqa: E402  (after the hook above)


class Interrupted(BaseException):
    """Ctrl-C while a command runs; not a KeyboardInterrupt, which Click would turn into its own output."""


def _exit_now(signum, frame):
    os._exit(INTERRUPTED)


def _raise_interrupted(signum, frame):
    signal.signal(signal.SIGINT, _exit_now)  # a second Ctrl-C, while the first unwinds, ends at once
    raise Interrupted


def exit_on_interrupt(starting=False):
    """From here on Ctrl-C ends the process at once, status 130: for start-up and shutdown, where there is
    nothing to clean up. A SIGINT ignored by the parent (a background job) stays ignored. When starting,
    only in the rnncalc command itself (not in a program that imports rnncalc)."""
    if not _is_the_command(starting):
        return
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _raise_interrupted):
        signal.signal(signal.SIGINT, _exit_now)


def raise_on_interrupt():
    """While a command runs, Ctrl-C raises Interrupted, so open files and a progress bar are closed."""
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _exit_now):
        signal.signal(signal.SIGINT, _raise_interrupted)


def use_ascii_fallbacks():
    """Streams that cannot encode the notation (PYTHONIOENCODING=ascii, latin-1) spell it in ASCII."""
    import codecs

    from .text import ASCII_CODEC, ERRORS, can_encode

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not can_encode(stream):
            try:
                ascii_stream = codecs.lookup(stream.encoding).name == "ascii"
            except LookupError:
                ascii_stream = False
            if ascii_stream:  # Click would write UTF-8 to a stream it finds named ASCII (--help)
                stream.reconfigure(encoding=ASCII_CODEC, errors=ERRORS)
            else:
                stream.reconfigure(errors=ERRORS)


def stdin_text(where: str):
    """Standard input as UTF-8 text, a byte-order mark first passed over as in a file, and a byte that is
    not UTF-8 kept as a lone surrogate for its reader to refuse with its line; InputError when it is closed."""
    from .errors import InputError

    if sys.stdin is None:
        raise InputError(where, "standard input is closed; give a file or pipe the input in")
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a text stream (tests)
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="surrogateescape")


def is_broken_pipe(e: BaseException) -> bool:
    """A write to a reader that has gone (rnncalc ... | head -1), also as Click's exit after one."""
    if isinstance(e, SystemExit):
        e = e.__context__
    return isinstance(e, OSError) and e.errno == errno.EPIPE


def silence(stream) -> None:
    """Point the stream's file descriptor at /dev/null, so that writing what is left of its buffer at exit
    neither fails nor prints "Exception ignored"."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def pipe_closed() -> int:
    """The reader of stdout went away: stop quietly with status 141."""
    silence(sys.__stdout__)
    return PIPE_CLOSED


def write_error(line: str) -> None:
    """One line on stderr; nothing, and no later complaint, when stderr is closed or full."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        silence(sys.__stderr__)
