"""The ``pgwarden`` click group every command module registers on."""

from __future__ import annotations

from collections.abc import Callable

import click

from pgwarden import __version__
from pgwarden.cli.context import examples, new_context, shared_options

#: What an interrupted command tells the user about the database; commands that
#: change it replace this (see :func:`set_interrupt_note`).
_interrupt_note: list[str | Callable[[], str]] = ["nothing in the database was changed"]


def set_interrupt_note(note: str | Callable[[], str]) -> None:
    """What to print after "interrupted:" on Ctrl-C: a text, or a callable giving one."""
    _interrupt_note[0] = note


def interrupt_note() -> str:
    note = _interrupt_note[0]
    return note() if callable(note) else note


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "pgwarden validate",
        "pgwarden migrate apply -u postgresql://app@db.internal/app",
        "pgwarden --env staging migrate status --json",
    ),
)
@click.version_option(__version__, prog_name="pgwarden")
@shared_options()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pgwarden: a declarative spec governs your PostgreSQL schema.

    The spec (schema/*.toml) is the single source of truth; pgwarden validates it,
    renders and inspects DDL, generates versioned migrations, lints spec,
    migrations and data access, and generates typed Python accessors.

    The options below work here and after each subcommand that uses them (the
    subcommand's value wins). Commands find the project by walking up to the
    pyproject.toml with [tool.pgwarden]; `pgwarden init` starts one.
    """
    ctx.obj = new_context(ctx)
