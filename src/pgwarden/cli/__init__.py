"""The ``pgwarden`` command line: a thin click layer over the pipeline stages.

Exit codes: 0 ok / no change; 1 findings, drift or a refused plan; 2 bad input
or usage; 130 interrupted (Ctrl-C). A :class:`~pgwarden.errors.PgwardenError` is
printed without a traceback (passwords masked).

Start-up is kept cheap: this package imports only click and the standard library;
each command imports the stages it runs (psycopg, pglast, sqlglot, jinja2, rich)
when it runs (``tests/cli/test_startup.py`` checks the import set).
"""

from __future__ import annotations

import signal
import sys

_said: list[str] = []  # the one interrupt line, once written


def _interrupted_at_startup(signum: int, frame: object) -> None:
    _say("interrupted while starting: nothing was changed")
    raise SystemExit(130)


def _say(line: str) -> None:
    if not _said:
        _said.append(line)
        sys.stderr.write(f"{line}\n")


def _redeliver(hook: sys.UnraisableHookArgs) -> None:
    """``sys.unraisablehook``: a Ctrl-C that landed in a finalizer (``__del__``, a
    generator's close) is only reported there and then lost; deliver it again, to
    land where it stops the command. Anything else goes to the previous hook."""
    exc_type = getattr(hook, "exc_type", None)
    ours = exc_type is KeyboardInterrupt or (exc_type is SystemExit and bool(_said))
    if not ours:
        _previous_unraisablehook(hook)
        return
    if signal.getsignal(signal.SIGINT) is _interrupted_again:
        signal.signal(signal.SIGINT, _interrupt)  # that first one was lost
    if not hasattr(signal, "setitimer"):
        os.kill(os.getpid(), signal.SIGINT)
        return
    # sent from here, the handler would run inside this hook, whose exceptions Python
    # swallows too ("Exception ignored in sys.unraisablehook"): send it from a timer
    # that fires once the hook has returned (landing in a finalizer again comes back)
    signal.signal(signal.SIGALRM, _deliver_late)
    signal.setitimer(signal.ITIMER_REAL, 0.001)


def _deliver_late(signum: int, frame: object) -> None:
    """SIGALRM set by :func:`_redeliver`: the lost Ctrl-C, where it stops the command."""
    os.kill(os.getpid(), signal.SIGINT)


# Before any other import: a Ctrl-C while pgwarden starts exits 130 without a traceback.
# (Only what Python runs before this line -- its own start-up, the console script's
# two imports -- is out of reach: docs/cli.md, "Ctrl-C".)
signal.signal(signal.SIGINT, _interrupted_at_startup)

import contextlib  # noqa: E402
import os  # noqa: E402

_previous_unraisablehook = sys.unraisablehook
sys.unraisablehook = _redeliver

if os.environ.get("PGWARDEN_TEST_INTERRUPT") == "startup":  # test hook: Ctrl-C mid-import
    os.kill(os.getpid(), signal.SIGINT)

import click  # noqa: E402

from pgwarden.cli.context import Context, examples, pass_ctx, shared_options  # noqa: E402
from pgwarden.cli.group import cli, interrupt_note, set_interrupt_note  # noqa: E402
from pgwarden.errors import PgwardenError  # noqa: E402


def _mask(text: str) -> str:
    from pgwarden.db import mask_secrets

    return mask_secrets(text)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the group, turning user errors into messages and exit codes.

    Ctrl-C at any moment from here on ends in one line and exit 130: the first one
    raises KeyboardInterrupt (so transactions roll back and the note reads the
    database's state), a second one exits at once, and once the command is done a
    Ctrl-C during the interpreter's exit (thread joins, atexit) exits too. ``argv``
    given (a call from Python, not the process's entry point): the caller's SIGINT
    handler is put back afterwards.
    """
    previous = signal.getsignal(signal.SIGINT)
    if argv is not None:
        _said.clear()  # a call from Python: each call may say its own line
    try:
        try:
            signal.signal(signal.SIGINT, _interrupt)
            code = _run(argv)
        finally:
            if signal.getsignal(signal.SIGINT) is _interrupt:  # no Ctrl-C so far
                signal.signal(signal.SIGINT, _interrupted_while_exiting)
    except KeyboardInterrupt:  # also one raised inside _run's own error printing
        code = _report_interrupt()
    if argv is not None:
        signal.signal(signal.SIGINT, previous)
    sys.exit(code)


def _run(argv: list[str] | None) -> int:
    """The command's exit code; KeyboardInterrupt propagates to :func:`main`."""
    try:
        # standalone_mode=False returns Exit codes instead of raising them
        result = cli.main(args=argv, prog_name="pgwarden", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Abort:  # click turns a Ctrl-C at a prompt into Abort
        return _report_interrupt()
    except PgwardenError as exc:
        click.echo(f"error: {_mask(str(exc))}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        _show_usage_error(exc)
        return 2 if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a bug: say so in one masked line (the traceback on request)
        if os.environ.get("PGWARDEN_TRACEBACK"):
            import traceback

            click.echo(_mask(traceback.format_exc()), err=True)
        click.echo(f"internal error: {type(exc).__name__}: {_mask(str(exc))}", err=True)
        click.echo(
            "  this is a bug in pgwarden: please report it with the command you ran "
            "(PGWARDEN_TRACEBACK=1 shows the traceback)",
            err=True,
        )
        return 3


def _interrupt(signum: int, frame: object) -> None:
    """The first Ctrl-C: unwind (rolling back what is under way); the next one exits."""
    signal.signal(signal.SIGINT, _interrupted_again)
    raise KeyboardInterrupt


def _interrupted_again(signum: int, frame: object) -> None:
    _last_line(
        "interrupted again: exiting at once; what was under way is rolled back by "
        "the server (`pgwarden migrate status` shows where a migration stopped)"
    )


def _interrupted_while_exiting(signum: int, frame: object) -> None:
    _last_line("interrupted while exiting: the command had finished")


def _last_line(text: str) -> None:
    """Write ``text`` and end the process with 130, from a signal handler: no
    exception may escape (it could surface as a traceback where it lands)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _said:  # the one line is out already
        os._exit(130)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reentrant flush: those bytes are lost
            stream.flush()
    os.write(2, f"{text}\n".encode())
    os._exit(130)


def _show_usage_error(exc: click.ClickException) -> None:
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        click.echo(exc.ctx.get_usage(), err=True)
        hint = f"Try '{exc.ctx.command_path} {exc.ctx.help_option_names[0]}' for help."
        click.echo(hint, err=True)
    click.echo(f"Error: {_mask(exc.format_message())}", err=True)


def _report_interrupt() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the line
    try:
        note = _mask(interrupt_note())
    except Exception as exc:  # the note reads state; never let it hide the exit code
        note = f"the database state is unknown ({type(exc).__name__})"
    _say(f"interrupted: {note}")
    return 130


# Command modules register themselves on `cli` when their command runs (group.LAZY).

__all__ = [
    "Context",
    "cli",
    "examples",
    "main",
    "pass_ctx",
    "set_interrupt_note",
    "shared_options",
]
