"""``pgwarden inspect`` and ``pgwarden roundtrip``: read a live database back as a spec."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pgwarden.cli.context import DATABASE, Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli

if TYPE_CHECKING:
    from pgwarden.introspect import Difference
    from pgwarden.introspect.canonical import Renderer
    from pgwarden.spec.model import Schema


def render_schema(schema: Schema) -> str:
    """The DDL of ``schema`` (the renderer is imported when a roundtrip runs)."""
    from pgwarden.render.sql import render_schema as render

    return render(schema)


@cli.command(
    epilog=examples(
        "pgwarden inspect --env staging --pg-schema app -o schema/app.toml",
        "pgwarden inspect -u postgresql://app@db/app --pg-schema public --pg-schema billing",
        "pgwarden inspect > live.toml && diff live.toml schema/app.toml",
    ),
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the spec TOML to this file instead of standard output.",
)
@shared_options(*DATABASE)
@pass_ctx
def inspect(ctx: Context, output: Path | None) -> None:
    """Print the live schema (--pg-schema) as spec TOML.

    --pg-schema may be repeated: the first is the default namespace, the others'
    objects are named schema-qualified (billing.Invoice).

    Reads the catalogs with a fixed number of queries in one REPEATABLE READ
    snapshot; see docs/introspection.md for what is and is not read.
    """
    from pgwarden.db import connect, mask_dsn
    from pgwarden.errors import DatabaseError
    from pgwarden.introspect import inspect_schema
    from pgwarden.spec.dump import dump_schema

    # the first --pg-schema is the default namespace; the others come qualified
    pg_schema, *also = ctx.pg_schemas
    url = ctx.url()
    with connect(url) as conn:
        for name in (pg_schema, *also):
            row = conn.execute(
                "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (name,)
            ).fetchone()
            if row is None:
                raise DatabaseError(
                    f"schema {name!r} does not exist in {mask_dsn(url)}\n"
                    "  fix: pass the namespace to read with --pg-schema"
                )
        schema = inspect_schema(conn, pg_schema, also=also)
    text = dump_schema(schema, readable=True)
    if schema.unmanaged:
        # nothing is left out silently: what the spec cannot govern, as TOML comments
        listed = "".join(f"#   {line}\n" for line in schema.unmanaged)
        text = (
            "# Not governed by this spec (acknowledge with [schema] ignore = [...], "
            "docs/introspection.md):\n" + listed + "\n" + text
        )
        click.echo(f"{len(schema.unmanaged)} objects not governed (listed at the top)", err=True)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(
            f"wrote {output}: {len(schema.tables)} tables, {len(schema.enums)} enums", err=True
        )


@cli.command(
    epilog=examples(
        "pgwarden roundtrip",
        "pgwarden roundtrip -u postgresql://postgres@localhost/postgres",
        "pgwarden roundtrip --schema imported",
    ),
)
@shared_options("database_url", "schema", "state_dir", "env")
@pass_ctx
def roundtrip(ctx: Context) -> None:
    """Create the spec in a scratch database, inspect it back and compare.

    The scratch database lives on the server of --database-url (the embedded
    server when none is given) and is dropped afterwards. Exit 1 with a
    difference per object when the database does not match the spec.
    """
    from pgwarden.introspect import format_diff
    from pgwarden.spec.load import load_schema

    schema_dir = ctx.schema_dir
    spec = load_schema(schema_dir)
    label = f"{schema_dir}/" if schema_dir.is_dir() else str(schema_dir)
    diffs, actual = roundtrip_schema(spec, ctx.url())
    if not diffs:
        click.echo(
            f"{label} matches the database: {len(actual.tables)} tables, {len(actual.enums)} enums"
        )
        return
    click.echo(f"{label} does not match the database ({len(diffs)} differences):")
    click.echo(format_diff(diffs))
    raise click.exceptions.Exit(1)


def roundtrip_schema(
    spec: Schema, server_url: str, *, render: Renderer | None = None
) -> tuple[list[Difference], Schema]:
    """Create ``spec`` in a fresh scratch database, read it back, diff with the spec.

    Returns the differences (canonicalized spec vs database) and the inspected
    schema. ``render`` defaults to :func:`pgwarden.render.sql.render_schema`.
    """
    import psycopg
    from psycopg import sql

    from pgwarden.db import connect, mask_secrets
    from pgwarden.errors import DatabaseError
    from pgwarden.introspect import canonicalize, inspect_schema, schema_diff
    from pgwarden.introspect.canonical import SEARCH_PATH_FIRST
    from pgwarden.spec.citus import local_only

    if render is None:
        render = render_schema
    with _scratch_database(server_url) as url, connect(url) as conn:
        # a plain server: Citus placement is neither created nor inspected (scale-out.md)
        ddl = render(local_only(spec))
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(spec.name))
                )
                conn.execute(SEARCH_PATH_FIRST, (spec.name,))
                conn.execute(ddl)  # rendered DDL: identifiers quoted by the renderer
        except psycopg.Error as exc:
            raise DatabaseError(
                f"the rendered DDL failed: {mask_secrets(str(exc)).strip()}\n"
                "  fix: correct the object named above in the spec (`pgwarden sql` shows the DDL)"
            ) from None
        actual = inspect_schema(conn, spec.name, also=[n.name for n in spec.schemas])
        expected = canonicalize(spec, conn, render=render)
    return schema_diff(expected, actual), actual


@contextmanager
def _scratch_database(server_url: str) -> Iterator[str]:
    import uuid

    import psycopg
    from psycopg import sql

    from pgwarden.db import connect, mask_dsn, mask_secrets, with_dbname
    from pgwarden.errors import DatabaseError

    name = f"pgwarden_roundtrip_{uuid.uuid4().hex[:12]}"
    with connect(server_url) as admin:
        try:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
            )
        except psycopg.Error as exc:
            raise DatabaseError(
                f"cannot create a scratch database on {mask_dsn(server_url)}: "
                f"{mask_secrets(str(exc)).strip()}\n"
                "  fix: use a role with CREATEDB, or the embedded server (no --database-url)"
            ) from None
    try:
        yield with_dbname(server_url, name)
    finally:
        with connect(server_url) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
