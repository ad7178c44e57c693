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


def _interrupted_at_startup(signum: int, frame: object) -> None:
    sys.stderr.write("interrupted while starting: nothing was changed\n")
    raise SystemExit(130)


# Before any heavy import: a Ctrl-C while pgwarden starts exits 130 without a traceback.
signal.signal(signal.SIGINT, _interrupted_at_startup)

import os  # noqa: E402

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
    """Entry point: run the group, turning user errors into messages and exit codes."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    try:
        # standalone_mode=False returns Exit codes instead of raising them
        result = cli.main(args=argv, prog_name="pgwarden", standalone_mode=False)
        if isinstance(result, int):
            code = result
    except KeyboardInterrupt:
        code = _report_interrupt()
    except click.exceptions.Abort:  # click turns a Ctrl-C at a prompt into Abort
        code = _report_interrupt()
    except PgwardenError as exc:
        click.echo(f"error: {_mask(str(exc))}", err=True)
        code = exc.exit_code
    except click.ClickException as exc:
        _show_usage_error(exc)
        code = 2 if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
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
        code = 3
    sys.exit(code)


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
    click.echo(f"interrupted: {note}", err=True)
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
