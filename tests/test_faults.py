"""Faults of the machine and the file system, and user text that must be shown, not interpreted.

A fault of the process itself (a closed or full standard stream, a reader that goes away, a signal, the
encoding Python gives a stream) is met by a real process, with real pipes, devices and signals. Where one
process can meet several cases it does (runs_in_one_process); where each case needs a process of its own,
one case of each runs every time and the rest under the deep profile (conftest.deep_only). Files that
cannot be read or written, and names and text from the user, are the same faults in-process, so they run
there (the rnncalc fixture)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import deep_only

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
ENV.pop("COLUMNS", None)
ENV.pop("PYTHONUNBUFFERED", None)
ENV.pop("NO_COLOR", None)
RNNCALC = [sys.executable, "-m", "rnncalc"]
TIMEOUT = 120  # seconds: a hang fails the test instead of stopping the suite
LONG = ["rnn", "--weights", "0.5", "-x", ",".join(["1"] * 3000)]  # far more output than a pipe holds


def run(*args, env=None, shell_redirect="", input=None, **kw):
    """rnncalc in a child process; shell_redirect (e.g. '>&-') is applied by /bin/sh."""
    env = {**ENV, **(env or {})}
    if shell_redirect:
        command = " ".join(map(_quote, [*RNNCALC, *args])) + " " + shell_redirect
        return subprocess.run(["/bin/sh", "-c", command], env=env, input=input, capture_output=True,
                              timeout=TIMEOUT, **kw)
    return subprocess.run([*RNNCALC, *args], env=env, input=input, capture_output=True, timeout=TIMEOUT, **kw)


def _quote(a):
    import shlex
    return shlex.quote(str(a))


# Runs each command line of the JSON list in argv[1] as the installed script does (entry()), one after
# another in this one process; after each, a NUL byte on each open standard stream, and the statuses last.
ENTRY_AFTER_ENTRY = """
import json, sys
from rnncalc.cli import entry
statuses = []
for args in json.loads(sys.argv.pop(1)):
    sys.argv[1:] = args
    try:
        entry()
    except SystemExit as e:
        statuses.append(e.code)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.write("\\0")
            stream.flush()
sys.stderr.write(json.dumps(statuses))
"""


def runs_in_one_process(commands, env=None, shell_redirect=""):
    """{command line: (status, stdout bytes, stderr bytes)}: the commands run one after another by one
    process, each as the installed script runs it, for faults that leave the process able to go on."""
    script = " ".join(map(_quote, [sys.executable, "-c", ENTRY_AFTER_ENTRY, json.dumps(commands)]))
    r = subprocess.run(["/bin/sh", "-c", f"{script} {shell_redirect}"], env={**ENV, **(env or {})}, cwd=ROOT,
                       capture_output=True, timeout=TIMEOUT)
    *errs, statuses = r.stderr.split(b"\0")
    outs = r.stdout.split(b"\0")[:-1] if r.stdout else [b""] * len(commands)
    assert r.returncode == 0 and len(outs) == len(errs) == len(commands), r.stderr
    return dict(zip(map(" ".join, commands), zip(json.loads(statuses), outs, errs)))


def one_line(stderr) -> str:
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    assert text.count("\n") == 1 and text.startswith("rnncalc: ") and "Traceback" not in text, text
    return text


@pytest.fixture
def problem(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("cell: rnn\nW_ss: 0.5\nW_sx: 1\nx: [1, 2]\n")
    return path


# ---------------------------------------------------------------- outputs that cannot be written

STDOUT_CLOSED = [["rnn", "--weights", "0.5", "-x", "1,2"], ["--version"], ["init", "lstm"], ["equations"]]


@pytest.fixture(scope="module")
def stdout_closed():
    return runs_in_one_process(STDOUT_CLOSED, shell_redirect=">&-")


class TestUnwritableOutput:
    def test_stdout_full(self):
        with open("/dev/full", "w") as full:
            r = subprocess.run([*RNNCALC, "rnn", "--weights", "0.5", "-x", "1,2"], env=ENV, stdout=full,
                               stderr=subprocess.PIPE)
        assert r.returncode == 2
        assert "cannot write the output: No space left on device" in one_line(r.stderr)

    @pytest.mark.parametrize("args", STDOUT_CLOSED, ids=" ".join)
    def test_stdout_closed(self, stdout_closed, args):
        status, _, err = stdout_closed[" ".join(args)]
        assert status == 2
        assert "standard output is closed" in one_line(err)

    def test_stdout_read_only(self, problem):
        r = run("rnn", problem, shell_redirect=f"1<{_quote(problem)}")
        assert r.returncode == 2
        assert "cannot write the output" in one_line(r.stderr)

    @pytest.mark.parametrize("redirect", ["2>&-", deep_only("2>/dev/full")])
    def test_refusal_with_stderr_unwritable_is_still_2(self, redirect):
        r = run("rnn", "--weights", "0.5", "-x", "1,2", "-p", "W_qq=1", shell_redirect=redirect)
        assert r.returncode == 2
        assert r.stdout == b""

    @pytest.mark.parametrize("flag", ["--save-svg", "--save-html"])
    @pytest.mark.parametrize("target, message", [
        ("missing/out.svg", "no such folder"),
        (".", "is a directory"),
        ("/dev/full", "cannot be written: No space left on device"),
    ])
    def test_save_cannot_be_written(self, rnncalc, problem, tmp_path, monkeypatch, flag, target, message):
        monkeypatch.chdir(tmp_path)
        status, out, err = rnncalc("rnn", problem, flag, target)
        assert status == 2
        assert message in one_line(err)

    @pytest.mark.parametrize("flag", ["--save-svg", "--save-html"])
    def test_save_of_a_stack(self, rnncalc, tmp_path, monkeypatch, flag):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "two.yaml").write_text("cell: rnn\nactivation: linear\nx: [1, 1]\nlayers:\n"
                                           "  - {W_ss: 1, W_sx: 1}\n  - {W_ss: 0, W_sx: 1}\n")
        status, out, err = rnncalc("rnn", "two.yaml", flag, "/dev/full")
        assert status == 2 and f"{flag} /dev/full: cannot be written" in one_line(err)
        status, out, err = rnncalc("rnn", "two.yaml", flag, "two.yaml")
        assert status == 2 and "is also the problem file" in one_line(err)
        status, out, err = rnncalc("rnn", "two.yaml", flag, "out")
        assert status == 0 and (tmp_path / "out").stat().st_size > 0

    def test_save_to_an_empty_name(self, rnncalc, problem):
        status, out, err = rnncalc("rnn", problem, "--save-svg", "")
        assert status == 2 and "--save-svg: expected a file name" in one_line(err)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
    def test_save_read_only(self, rnncalc, problem, tmp_path):
        out = tmp_path / "out.svg"
        out.write_text("kept")
        out.chmod(0o444)
        status, _, err = rnncalc("rnn", problem, "--save-svg", out)
        assert status == 2 and "permission denied" in one_line(err)
        assert out.read_text() == "kept"


class TestSaveNeverOverwritesAnInput:
    @pytest.fixture
    def files(self, problem, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "x.txt").write_text("1\n2\n")
        (tmp_path / "target.csv").write_text("0.5\n")
        os.symlink(problem, tmp_path / "link.yaml")
        os.link(problem, tmp_path / "hard.yaml")
        return tmp_path

    @pytest.mark.parametrize("flag", ["--save-svg", "--save-html"])
    @pytest.mark.parametrize("target, what", [
        ("p.yaml", "the problem file"), ("./p.yaml", "the problem file"), ("link.yaml", "the problem file"),
        ("hard.yaml", "the problem file"), ("x.txt", "the --x-file"), ("target.csv", "the --target-file"),
    ])
    def test_refused_before_anything_is_written(self, rnncalc, files, flag, target, what):
        before = {p.name: p.read_bytes() for p in files.iterdir()}
        status, out, err = rnncalc("rnn", "p.yaml", "--x-file", "x.txt", "--grad", "--loss", "mse",
                                   "--target-file", "target.csv", flag, target)
        assert status == 2, err
        assert f"is also {what}" in one_line(err)
        assert out == ""
        assert {p.name: p.read_bytes() for p in files.iterdir()} == before

    def test_svg_and_html_on_one_file(self, rnncalc, files):
        status, _, err = rnncalc("rnn", "p.yaml", "--save-svg", "out", "--save-html", "out")
        assert status == 2 and "is also the --save-svg file" in one_line(err)
        assert not (files / "out").exists()

    def test_both_saved_when_distinct(self, rnncalc, files):
        status, _, err = rnncalc("rnn", "p.yaml", "--save-svg", "t.svg", "--save-html", "t.html")
        assert status == 0, err
        assert (files / "t.svg").read_text().startswith("<svg")
        assert "<html" in (files / "t.html").read_text()


# ---------------------------------------------------------------- inputs that cannot be read

@pytest.fixture(scope="module")
def stdin_closed():
    return runs_in_one_process([["rnn", "-"], ["rnn", "--weights", "1", "-x", "-"]], shell_redirect="<&-")


class TestUnreadableInput:
    def test_stdin_closed(self, stdin_closed):
        status, _, err = stdin_closed["rnn -"]
        assert status == 2 and "<stdin>: standard input is closed" in one_line(err)

    def test_stdin_closed_for_x(self, stdin_closed):
        status, _, err = stdin_closed["rnn --weights 1 -x -"]
        assert status == 2 and "-x -: standard input is closed" in one_line(err)

    @pytest.mark.parametrize("args", [["rnn", "-"], deep_only(["rnn", "--weights", "1", "-x", "-"])],
                             ids=" ".join)
    def test_binary_stdin(self, args):
        r = run(*args, input=bytes(range(256)) * 4)
        assert r.returncode == 2 and "is not a text file" in one_line(r.stderr)

    @pytest.mark.parametrize("args", [["rnn", "/proc/self/mem"],
                                      ["rnn", "--weights", "1", "--x-file", "/proc/self/mem"]])
    def test_read_error(self, rnncalc, args):
        status, _, err = rnncalc(*args)
        assert status == 2 and "/proc/self/mem: cannot be read: Input/output error" in one_line(err)

    def test_read_error_in_check(self, rnncalc, monkeypatch):
        monkeypatch.setenv("COLUMNS", "200")
        status, out, err = rnncalc("check", "/proc/self/mem")
        assert status == 2 and "did not pass (1 error)" in one_line(err)
        assert "/proc/self/mem: cannot be read: Input/output error" in out

    def test_directory(self, rnncalc, tmp_path):
        status, _, err = rnncalc("rnn", tmp_path)
        assert status == 2 and "is a directory" in one_line(err)

    def test_permission_denied_in_process(self, problem, rnncalc, monkeypatch):
        """As test_permission_denied, for a user (root) who may read any file: the system's refusal faked."""
        real_open = Path.open

        def refuse(self, *args, **kw):
            if self == problem:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kw)

        monkeypatch.setattr(Path, "open", refuse)
        status, out, err = rnncalc("rnn", problem)
        assert (status, out) == (2, "")
        assert err == f"rnncalc: {problem}: cannot be read: Permission denied\n"

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
    def test_permission_denied(self, problem):
        problem.chmod(0)
        r = run("rnn", problem)
        assert r.returncode == 2 and "Permission denied" in one_line(r.stderr)


# ---------------------------------------------------------------- a reader that goes away

# A folder name as long as a file system allows, twice: check's table gives it 500 bytes a row, so that
# 120 rows are more than a pipe holds (64 KiB on Linux).
LONG_FOLDER = Path("d" * 255, "e" * 255)
PIPED = [[*LONG, "--format", "jsonl"], [*LONG, "--grad", "--steps", "1:"],
         pytest.param(["check", *[str(LONG_FOLDER / "gated.yaml")] * 120], id="check 120 long names"),
         *(deep_only([*LONG, "--format", fmt]) for fmt in ("json", "csv", "markdown", "latex")),
         deep_only([*LONG, "--steps", "1:"]), deep_only(["init", "lstm", "--hidden", "400"])]


@pytest.mark.parametrize("args", PIPED, ids=lambda a: " ".join(w if len(w) < 40 else "..." for w in a))
def test_broken_pipe_is_quiet(args, tmp_path):
    """More output than a pipe holds, and a reader that leaves after one line: status 141, nothing on stderr."""
    if args[0] == "check":
        (tmp_path / LONG_FOLDER).mkdir(parents=True)
        (tmp_path / LONG_FOLDER / "gated.yaml").write_bytes((ROOT / "samples" / "gated.yaml").read_bytes())
    child = subprocess.Popen([*RNNCALC, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=tmp_path)
    child.stdout.readline()
    child.stdout.close()  # the reader goes away, as head -1 does
    err = child.stderr.read()
    assert child.wait(timeout=TIMEOUT) == 141
    assert err == b""


def test_broken_pipe_unbuffered():
    """Under PYTHONUNBUFFERED=1 a write may end short without an error: status 0 or 141, still quiet."""
    child = subprocess.Popen([*RNNCALC, *LONG, "--format", "jsonl"], env={**ENV, "PYTHONUNBUFFERED": "1"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.readline()
    child.stdout.close()
    err = child.stderr.read()
    assert child.wait(timeout=TIMEOUT) in (0, 141)
    assert err == b""


def test_broken_pipe_in_a_shell_pipeline():
    command = " ".join(map(_quote, [*RNNCALC, *LONG, "--format", "jsonl"])) + " | head -1; exit ${PIPESTATUS[0]}"
    r = subprocess.run(["bash", "-c", command], env=ENV, capture_output=True)
    assert r.returncode in (0, 141)
    assert r.stderr == b""
    assert json.loads(r.stdout)["t"] == 1


# ---------------------------------------------------------------- Ctrl-C

# Runs rnncalc as its installed script does (from rnncalc.cli import entry; entry()), sending itself SIGINT
# the moment the module named in argv[1] starts importing.
INTERRUPT_AT_IMPORT = """
import os, signal, sys
name = sys.argv.pop(1)
class Interrupt:
    def find_spec(self, fullname, path=None, target=None):
        if fullname == name:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv[0] = "rnncalc"
from rnncalc.cli import entry
entry()
"""


def as_a_foreground_job():
    """A child's Ctrl-C as a terminal's foreground job has it, even when the tests run with SIGINT ignored
    (a background job of a script, nohup), which a child would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("module", ["inspect", "typer", deep_only("rich.console"), "numpy", deep_only("yaml"),
                                    "rnncalc.engine"])
def test_ctrl_c_while_starting(module):
    problem = [str(ROOT / "samples" / "seed.yaml")] if module == "yaml" else ["--weights", "1", "-x", "1"]
    r = subprocess.run([sys.executable, "-c", INTERRUPT_AT_IMPORT, module, "lstm", *problem],  # flags need no YAML
                       env=ENV, capture_output=True, timeout=TIMEOUT, preexec_fn=as_a_foreground_job)
    assert r.returncode == 130
    assert r.stderr == b""


def test_ctrl_c_while_reading_stdin():
    child = subprocess.Popen([*RNNCALC, "rnn", "--weights", "1", "-x", "-", "--format", "jsonl"], env=ENV,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=as_a_foreground_job)
    child.stdin.write(b"1\n2\n")  # step 1 is written once step 2 shows it is not the last
    child.stdin.flush()
    assert json.loads(child.stdout.readline())["t"] == 1  # running, now waiting for more lines
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=TIMEOUT) == 130
    assert child.stderr.read() == b""
    child.stdin.close()
    child.stdout.close()
    child.stderr.close()


def test_ctrl_c_while_writing():
    child = subprocess.Popen([*RNNCALC, *LONG, "--format", "jsonl"], env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=as_a_foreground_job)
    child.stdout.readline()  # running; the pipe fills as nobody reads
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=TIMEOUT) == 130
    assert child.stderr.read() == b""
    child.stdout.close()
    child.stderr.close()


def test_ignored_sigint_stays_ignored():
    """A background job started with SIGINT ignored is not stopped by it."""
    script = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); import os; "
              "from rnncalc.cli import entry; os.kill(os.getpid(), signal.SIGINT); sys.argv[1:] = ['--version']; "
              "entry()")
    r = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True)
    assert r.returncode == 0 and r.stdout.startswith(b"rnncalc ")


def test_a_program_importing_rnncalc_keeps_its_ctrl_c():
    script = "import signal, rnncalc.cli; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    r = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True, timeout=TIMEOUT,
                       preexec_fn=as_a_foreground_job)
    assert r.stdout == b"True\n", r.stderr


# ---------------------------------------------------------------- user text is shown, not interpreted

class TestUserText:
    @pytest.mark.parametrize("name", ["[red]/a.yaml", "[/x].yaml", "[bold]b[/bold].yaml", ":smile:.yaml"])
    def test_markup_in_file_names_is_literal(self, rnncalc, tmp_path, monkeypatch, problem, name):
        monkeypatch.chdir(tmp_path)
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(problem.read_text())
        status, out, err = rnncalc("rnn", name, "--no-color")
        assert status == 0, err
        assert f"file {name}" in out

    def test_control_characters_in_a_file_name_are_escaped(self, rnncalc, tmp_path, monkeypatch, problem):
        monkeypatch.chdir(tmp_path)
        name = "a\x1b]0;title\x07b\nc\rd\x9b2J\u202ee.yaml"
        (tmp_path / name).write_text(problem.read_text())
        status, out, err = rnncalc("rnn", name)
        assert status == 0, err
        assert "file a\\x1b]0;title\\x07b\\nc\\rd\\x9b2J\\u202ee.yaml" in out
        assert not set("\x07\r\x9b\u202e") & set(out)
        status, out, err = rnncalc("rnn", name + "-missing")
        assert "a\\x1b]0;title" in one_line(err)

    def test_names_and_values_in_check(self, rnncalc, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "c.yaml").write_text(
            'cell: rnn\nname: "\\e[2J[bold]x[/] \\u202e"\nW_ss: 1\nW_sx: 1\nx: [1]\n---\n'
            'cell: rnn\nname: "[/x]"\nW_ss: 1\nW_sx: 1\nx: [1, "\\e]0;t\\a"]\n')
        status, out, err = rnncalc("check", "c.yaml", "--no-color")
        assert status == 2
        assert "\\x1b[2J[bold]x[/] \\u202e" in out and "[/x]" in out and "\\x1b]0;t\\x07" in out
        assert "\x1b" not in out and "\x07" not in out

    def test_control_characters_in_flags_keep_the_error_one_line(self, rnncalc):
        status, _, err = rnncalc("rnn", "--weights", "1", "-x", "1", "--only", "s\n\x1b[2Jh")
        assert status == 2
        assert "s\\n\\x1b[2Jh" in one_line(err)

    def test_bytes_that_are_not_utf8_in_a_file_name(self, rnncalc, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        status, _, err = rnncalc("rnn", os.fsdecode(b"\xff\xfe.yaml"))  # as Python decodes such an argument
        assert status == 2 and "\\xff\\xfe.yaml: no such file" in one_line(err)


# ---------------------------------------------------------------- streams that cannot encode UTF-8

ASCII_RUNS = [
    ["gated", "samples/gated.yaml"],
    ["gated", "samples/gated.yaml", "--grad"],
    ["lstm", "samples/lstm_vector.yaml", "--format", "markdown"],
    ["lstm", "samples/lstm_vector.yaml", "--format", "latex"],
    ["lstm", "samples/lstm_vector.yaml", "--format", "json"],
    ["lstm", "samples/lstm_vector.yaml", "--format", "csv"],
    ["equations"],
    ["check", "samples/gated.yaml"],
]

ASCII_HELP = ["lstm", "--help"]  # first, as Click meets the stream for the first time
ASCII_REFUSAL = ["rnn", "--weights", "1", "-x", "1", "--only", "σé"]


@pytest.fixture(scope="module")
def ascii_runs():
    """{command line: (status, stdout bytes, stderr bytes)} for ASCII_HELP, each of ASCII_RUNS and
    ASCII_REFUSAL, run by one process whose streams Python opened as ASCII (PYTHONIOENCODING=ascii)."""
    return runs_in_one_process([ASCII_HELP, *ASCII_RUNS, ASCII_REFUSAL], env={"PYTHONIOENCODING": "ascii"})


@pytest.mark.parametrize("args", ASCII_RUNS, ids=" ".join)
def test_ascii_stream_gets_ascii_spellings(ascii_runs, args):
    status, stdout, stderr = ascii_runs[" ".join(args)]
    assert status in (0, 1), stderr
    out = stdout.decode("ascii")  # every byte is ASCII
    if args[0] == "gated" and "--format" not in args:
        assert "sigma(" in out and " * " in out and "ok" in out
        lines = out.splitlines()
        step = lines.index(next(line for line in lines if line.startswith("step t = 1")))
        rule = step + 3  # the rule under step 1's column heads
        columns = [n for n, c in enumerate(lines[rule]) if c in "+|"]
        for line in lines[rule + 1:rule + 7]:  # the rows of step 1 line up with their rule
            assert [n for n, c in enumerate(line) if c == "|"] == columns, line
    if "json" in args:
        assert json.loads(out)["cell"] == "lstm"


def test_latin1_stream():
    r = run("lstm", "samples/lstm_vector.yaml", env={"PYTHONIOENCODING": "latin-1"}, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode("ascii")
    assert "sigma(" in out and "2x2" in out


def test_ascii_error_line(ascii_runs):
    status, _, err = ascii_runs[" ".join(ASCII_REFUSAL)]
    assert status == 2 and "'sigma\\u00e9'" in one_line(err)
    err.decode("ascii")


# ---------------------------------------------------------------- narrow terminals

@pytest.mark.parametrize("columns", ["0", "12", "-5", "abc"])
def test_narrow_terminal_shows_every_value(rnncalc, rnncalc_json, monkeypatch, columns):
    import re

    args = ["lstm", ROOT / "samples" / "lstm_vector.yaml", "--no-color"]
    steps = rnncalc_json(*args)["steps"]
    monkeypatch.setenv("COLUMNS", columns)
    status, out, err = rnncalc(*args)
    assert status == 0, err
    assert "…" not in re.sub(r"\w … \w", "", out)  # nothing cut short; W_fh … W_cx names a range
    shown = re.findall(r"-?\d+\.\d+", out)
    for step in steps:
        for key in ("f", "i", "o", "c_tilde", "c", "h"):
            for v in step[key]:
                assert f"{v:.4f}" in shown, (key, v)



def test_help_on_an_ascii_stream_is_spelled_in_ascii(ascii_runs):
    # Click writes UTF-8 to a stream whose encoding is named ASCII; the help must still be ASCII there.
    status, out, err = ascii_runs[" ".join(ASCII_HELP)]
    assert status == 0 and err == b""
    text = out.decode("ascii")
    assert "sigma(" in text and "σ" not in text


def test_a_piped_stream_is_computed_as_it_arrives_and_gives_a_files_bits(tmp_path):
    # 600 lines piped at once (a byte-order mark first, Windows line ends) arrive in blocks of many lines:
    # the same text as the same numbers read from a file; a bad line refused after every step before it.
    lines = [f"{0.5 * k - 100:.3f},{(-1) ** k * k / 7:.6f}" for k in range(600)]
    text = "\r\n".join(lines) + "\r\n"
    path = tmp_path / "x.txt"
    path.write_text("\n".join(lines) + "\n")
    args = ["lstm", "--weights", "0.3", "--hidden", "3", "-f", "jsonl"]
    piped = subprocess.run([*RNNCALC, *args, "-x", "-"], input=b"\xef\xbb\xbf" + text.encode(), env=ENV,
                           capture_output=True, check=True)
    from_file = subprocess.run([*RNNCALC, *args, "--x-file", str(path)], env=ENV, capture_output=True, check=True)
    assert piped.stdout == from_file.stdout and piped.stdout.count(b"\n") == 600
    broken = "\n".join(lines[:399] + ["1,oops"] + lines[400:]) + "\n"
    done = subprocess.run([*RNNCALC, *args, "-x", "-"], input=broken.encode(), env=ENV, capture_output=True)
    assert done.returncode == 2 and done.stdout == b"".join(from_file.stdout.splitlines(True)[:399])
    assert done.stderr == b"rnncalc: <stdin>:400: expected numbers separated by spaces or commas, found '1,oops'\n"
