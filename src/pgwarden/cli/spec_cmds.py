"""``pgwarden validate``: load and check the spec, report every problem at once."""

from __future__ import annotations

import click

from pgwarden.cli.context import Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@cli.command(
    "validate",
    epilog=examples(
        "pgwarden validate",
        "pgwarden validate --schema db/spec --database-url postgresql://localhost/app",
        "pgwarden validate --offline   # the static checks only, no server",
    ),
)
@click.option(
    "--offline",
    is_flag=True,
    help="Skip the proof on a server (also: PGWARDEN_OFFLINE=1).",
)
@shared_options("schema", "database_url", "state_dir", "env")
@pass_ctx
def validate_command(ctx: Context, offline: bool) -> None:
    """Check the spec (--schema): syntax, keys, types, references, names, what
    Postgres refuses at CREATE time -- then prove it on a server.

    The proof renders the whole schema into a scratch database on the embedded
    server (or the --database-url server) inside a transaction that is always
    rolled back, every object in a savepoint of its own, so that every object the
    server refuses is reported with its file:line, path, the server's message and
    hint. A passed proof is cached by the spec under --state-dir; `migrate new`,
    `sql`, `generate` and `docs` run the same proof first.

    Prints a one-line summary when the spec is valid. Otherwise prints every
    problem as ``file:line: path: message`` with its fix, and exits 2.
    """
    from pgwarden.errors import SpecError
    from pgwarden.spec.load import load_schema

    schema_dir = ctx.schema_dir
    try:
        schema = load_schema(schema_dir)
        proved = False
        if not offline:
            from pgwarden.cli.proof import prove_spec

            proved = prove_spec(ctx, schema)
    except SpecError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{_plural(len(err.problems), 'problem')} in {schema_dir}", err=True)
        raise click.exceptions.Exit(2) from None
    how = "proved on the server" if proved else "not proved on a server"
    click.echo(
        f"{schema_dir}: valid ({_plural(len(schema.tables), 'table')}, "
        f"{_plural(len(schema.enums), 'enum')}, {_plural(len(schema.sources), 'file')}; "
        f"{how})"
    )
