"""``pgwarden import prisma PATH``: turn a ``schema.prisma`` into a pgwarden spec."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from pgwarden.cli.context import examples
from pgwarden.cli.group import cli

if TYPE_CHECKING:
    from pgwarden.spec.model import Schema


def _dump(schema: Schema) -> str:
    # the spec dumper belongs to the spec stage; looked up late so the importer
    # itself works (and is testable) on its own
    dump = cast(
        "Callable[[Schema], str]", importlib.import_module("pgwarden.spec.dump").dump_schema
    )
    return dump(schema)


@cli.group(
    "import",
    epilog=examples(
        "pgwarden import prisma prisma/schema.prisma -o schema/",
        "pgwarden import prisma schema.prisma --implicit-m2m primary-key --strict",
    ),
)
def import_group() -> None:
    """Import a schema written for another tool into a pgwarden spec."""


@import_group.command(
    "prisma",
    epilog=examples(
        "pgwarden import prisma prisma/schema.prisma",
        "pgwarden import prisma prisma/schema.prisma -o schema/",
        "pgwarden import prisma schema.prisma --implicit-m2m primary-key --strict",
    ),
)
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--output",
    "-o",
    type=click.Path(),
    default=None,
    help="Spec file to write, or a directory (an existing one, or a path ending in /): "
    "writes <name>.toml in it. Default: standard output.",
)
@click.option(
    "--implicit-m2m",
    type=click.Choice(["unique-index", "primary-key"]),
    default="unique-index",
    show_default=True,
    help="Join tables of implicit many-to-many relations: a unique index (Prisma 5 and "
    "earlier) or a primary key (Prisma 6).",
)
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings.")
def import_prisma_cmd(path: Path, output: str | None, implicit_m2m: str, strict: bool) -> None:
    """Write the pgwarden spec equivalent to the Prisma schema at PATH.

    Names follow Prisma's conventions, so the spec describes the database that
    `prisma migrate` / `prisma db push` built. Warnings (file:line) go to
    stderr: read them, each one is something the spec does differently.
    """
    from pgwarden.importers.prisma import M2MStyle, import_prisma

    result = import_prisma(path, cast(M2MStyle, implicit_m2m))
    text = _dump(result.schema)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is None:
        click.echo(text, nl=False)
    else:
        as_dir = output.endswith(("/", os.sep)) or Path(output).is_dir()
        target = Path(output) / f"{path.stem}.toml" if as_dir else Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        tables, enums = len(result.schema.tables), len(result.schema.enums)
        click.echo(f"wrote {target} ({tables} tables, {enums} enums)", err=True)
    if strict and result.warnings:
        raise click.exceptions.Exit(1)
