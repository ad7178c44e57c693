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
        "pgwarden validate --schema db/spec",
        "cd src/app && pgwarden validate   # finds the project upwards",
    ),
)
@shared_options("schema")
@pass_ctx
def validate_command(ctx: Context) -> None:
    """Check the spec (--schema): syntax, keys, types, references, names.

    Prints a one-line summary when the spec is valid. Otherwise prints every
    problem as ``file:line: path: message`` with its fix, and exits 2.
    """
    from pgwarden.errors import SpecError
    from pgwarden.spec.load import load_schema

    schema_dir = ctx.schema_dir
    try:
        schema = load_schema(schema_dir)
    except SpecError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{_plural(len(err.problems), 'problem')} in {schema_dir}", err=True)
        raise click.exceptions.Exit(2) from None
    click.echo(
        f"{schema_dir}: valid ({_plural(len(schema.tables), 'table')}, "
        f"{_plural(len(schema.enums), 'enum')}, {_plural(len(schema.sources), 'file')})"
    )
