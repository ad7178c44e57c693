"""``pgwarden docs``: generate the Data Blueprint (docs/blueprint.md) from the spec."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from pgwarden.cli import Context, cli, pass_ctx
from pgwarden.generators.blueprint import render_blueprint
from pgwarden.spec.load import load_schema


@cli.command("docs")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("docs/blueprint.md"),
    show_default=True,
    help="Where the blueprint is written (or compared, with --check).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when the file differs from what the spec generates.",
)
@click.option("--title", default="Data Blueprint", show_default=True, help="Document title.")
@pass_ctx
def docs_cmd(ctx: Context, output: Path, check: bool, title: str) -> None:
    """Generate the Data Blueprint from the spec: models, relations and delete rules,
    enums, indexes, an ER diagram, and an integrity checklist computed by lint."""
    schema = load_schema(ctx.schema_dir)
    text = render_blueprint(schema, title=title)
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current == text:
            click.echo(f"{output} is up to date")
            return
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"{output} (committed)",
            f"{output} (generated)",
            n=1,
        )
        click.echo("".join(list(diff)[:60]), err=True)
        click.echo(f"{output} is stale: run `pgwarden docs` and commit the result", err=True)
        raise click.exceptions.Exit(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists() and output.read_text(encoding="utf-8") == text:
        click.echo(f"{output} is up to date")
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")
