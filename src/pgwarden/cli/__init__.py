"""The ``pgwarden`` command line: a thin click layer over the pipeline stages.

Exit codes: 0 ok / no change; 1 findings, drift or a refused plan; 2 bad input
or usage. A :class:`~pgwarden.errors.PgwardenError` is printed without a
traceback (DSN passwords masked).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from pgwarden import __version__
from pgwarden.db import mask_secrets, resolve_url
from pgwarden.errors import PgwardenError


@dataclass
class Context:
    """Options shared by every command (set on the group)."""

    schema_dir: Path
    database_url: str | None
    pg_schema: str
    state_dir: Path

    def url(self) -> str:
        """The database URL, starting the embedded server when none was given."""
        return resolve_url(self.database_url, self.state_dir)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pgwarden")
@click.option(
    "--schema",
    "schema_dir",
    type=click.Path(path_type=Path),
    default=Path("schema"),
    show_default=True,
    help="Directory of spec TOML files (all *.toml files merge into one schema).",
)
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="PostgreSQL URL (or DATABASE_URL). Absent: the embedded server under .pgwarden/.",
)
@click.option(
    "--pg-schema",
    default="public",
    show_default=True,
    help="The Postgres namespace pgwarden governs.",
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=Path(".pgwarden"),
    show_default=True,
    help="Where the embedded server keeps its data.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    schema_dir: Path,
    database_url: str | None,
    pg_schema: str,
    state_dir: Path,
) -> None:
    """pgwarden: a declarative spec governs your PostgreSQL schema.

    The spec (schema/*.toml) is the single source of truth; pgwarden validates it,
    renders and inspects DDL, generates versioned migrations, lints spec,
    migrations and data access, and generates typed Python accessors.
    """
    ctx.obj = Context(schema_dir, database_url, pg_schema, state_dir)


def main() -> None:
    """Entry point: run the group, turning user errors into messages and exit codes."""
    try:
        # standalone_mode=False returns Exit codes instead of raising them
        result = cli.main(standalone_mode=False)
        if isinstance(result, int):
            sys.exit(result)
    except PgwardenError as exc:
        click.echo(f"error: {mask_secrets(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


# Command modules register themselves on `cli` when imported.
from pgwarden.cli import (  # noqa: E402
    db_cmds,
    docs_cmds,
    fleet_cmds,
    generate_cmds,
    import_cmds,
    inspect_cmds,
    lint_cmds,
    migrate_cmds,
    render_cmds,
    spec_cmds,
)

__all__ = [
    "Context",
    "cli",
    "db_cmds",
    "docs_cmds",
    "fleet_cmds",
    "generate_cmds",
    "import_cmds",
    "inspect_cmds",
    "lint_cmds",
    "main",
    "migrate_cmds",
    "pass_ctx",
    "render_cmds",
    "spec_cmds",
]
