"""``pgwarden validate``: load and check the spec, report every problem at once."""

from __future__ import annotations

import click

from pgwarden.cli import Context, cli, pass_ctx
from pgwarden.errors import SpecError
from pgwarden.spec.load import load_schema


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@cli.command("validate")
@pass_ctx
def validate_command(ctx: Context) -> None:
    """Check the spec (--schema): syntax, keys, types, references, names.

    Prints a one-line summary when the spec is valid. Otherwise prints every
    problem as ``file:line: path: message`` with its fix, and exits 2.
    """
    try:
        schema = load_schema(ctx.schema_dir)
    except SpecError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{_plural(len(err.problems), 'problem')} in {ctx.schema_dir}", err=True)
        raise click.exceptions.Exit(2) from None
    click.echo(
        f"{ctx.schema_dir}: valid ({_plural(len(schema.tables), 'table')}, "
        f"{_plural(len(schema.enums), 'enum')}, {_plural(len(schema.sources), 'file')})"
    )
