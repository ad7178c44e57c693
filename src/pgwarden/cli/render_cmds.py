"""``pgwarden sql``: print the DDL that creates the spec's schema from empty."""

from __future__ import annotations

from pathlib import Path

import click

from pgwarden.cli.context import Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli


@cli.command(
    "sql",
    epilog=examples(
        "pgwarden sql",
        "pgwarden sql -o schema.sql",
        'pgwarden sql --schema imported | psql -1 "$DATABASE_URL"',
    ),
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the DDL to this file instead of standard output.",
)
@shared_options("schema", "database_url", "state_dir", "env")
@pass_ctx
def sql_command(ctx: Context, output: Path | None) -> None:
    """Print the full DDL for the spec (--schema): enums, tables, indexes,
    foreign keys, triggers, RLS, comments.

    Names are unqualified (the namespace comes from search_path) and the output
    is byte-identical for the same spec. Every statement is transactional, so
    the text can run in one transaction. The spec is proved on a server first
    (see `pgwarden validate`; PGWARDEN_OFFLINE=1 skips the proof).
    """
    from pgwarden.cli.proof import prove_spec
    from pgwarden.render.sql import render_schema
    from pgwarden.spec.load import load_schema

    schema = load_schema(ctx.schema_dir)
    prove_spec(ctx, schema)
    ddl = render_schema(schema)
    if output is None:
        click.echo(ddl, nl=False)
    else:
        output.write_text(ddl, encoding="utf-8")
