"""The ``pgwarden`` click group every command module registers on."""

from __future__ import annotations

import importlib
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
    """The one line an interrupt prints: what state the database is in, what continues."""
    note = _interrupt_note[0]
    return note() if callable(note) else note


class LazyGroup(click.Group):
    """A group some of whose commands live in modules imported only when the command
    runs (or its own --help is asked): ``pgwarden --help`` lists them from the short
    help given here, so a heavy command module costs nothing to the others."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy
        """name -> (module that registers the command on import, short help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name][0])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                stand_in = click.Command(name, help=self.lazy[name][1])  # click's truncation
                rows.append((name, stand_in.get_short_help_str(limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


#: Every command, by the module that registers it when imported, and its short help
#: (the command's own, checked by tests/cli/test_startup.py): `pgwarden lint` imports
#: lint_cmds alone and `pgwarden --version` none of them.
LAZY = {
    "db": (
        "pgwarden.cli.db_cmds",
        "Manage the embedded PostgreSQL server (used when no --database-url is given).",
    ),
    "docs": (
        "pgwarden.cli.docs_cmds",
        "Generate the Data Blueprint from the spec: models, relations and delete rules, "
        "enums, indexes, the application's query patterns, an ER diagram, and an "
        "integrity checklist computed by lint.",
    ),
    "fleet": (
        "pgwarden.cli.fleet_cmds",
        "One spec governing many databases: roll migrations out in waves, report, compare.",
    ),
    "generate": (
        "pgwarden.cli.generate_cmds",
        "Generate typed Python accessors and services from the spec.",
    ),
    "import": (
        "pgwarden.cli.import_cmds",
        "Import a schema written for another tool into a pgwarden spec.",
    ),
    "init": ("pgwarden.cli.init_cmds", "Start a pgwarden project in DIRECTORY (default: here)."),
    "inspect": ("pgwarden.cli.inspect_cmds", "Print the live schema (--pg-schema) as spec TOML."),
    "lint": (
        "pgwarden.cli.lint_cmds",
        "Lint the spec, migrations and Python data access (default: the project's paths).",
    ),
    "migrate": (
        "pgwarden.cli.migrate_cmds",
        "Versioned migrations generated from the spec, and the runner that applies them.",
    ),
    "roundtrip": (
        "pgwarden.cli.inspect_cmds",
        "Create the spec in a scratch database, inspect it back and compare.",
    ),
    "sql": (
        "pgwarden.cli.render_cmds",
        "Print the full DDL for the spec (--schema): enums, tables, indexes, foreign keys, "
        "triggers, RLS, comments.",
    ),
    "validate": (
        "pgwarden.cli.spec_cmds",
        "Check the spec (--schema): syntax, keys, types, references, names, what "
        "Postgres refuses at CREATE time -- then prove it on a server.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=LAZY,
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
