"""The imported spec describes the database Prisma builds: checked on a real server.

The expected DDL (``fixtures/saasfly_prisma.sql``) is written by hand from
Prisma's documented conventions, not produced by pgwarden; the imported model
must match the catalog it leaves behind, and (once rendered by pgwarden) must
build the same catalog itself.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg import sql

from pgwarden.apply.canonical import canonicalize
from pgwarden.importers.prisma import import_prisma, import_prisma_text
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.render.sql import render_schema
from pgwarden.spec.model import Schema

HERE = Path(__file__).parent
SAASFLY = HERE.parent / "fixtures" / "saasfly_before" / "schema.prisma"
PRISMA_DDL = HERE / "fixtures" / "saasfly_prisma.sql"
CONSTRUCTS = HERE / "fixtures" / "constructs.prisma"


def without_defaults(schema: Schema) -> Schema:
    return replace(
        schema,
        tables=tuple(
            replace(t, columns=tuple(replace(c, default=None) for c in t.columns))
            for t in schema.tables
        ),
    )


def apply(conn: psycopg.Connection[Any], ddl: str) -> None:
    conn.execute(cast(Any, ddl))  # a trusted fixture, several statements


def test_saasfly_import_matches_the_database_prisma_builds(database_url: str) -> None:
    imported = import_prisma(SAASFLY).schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply(conn, PRISMA_DDL.read_text())
        prisma_db = inspect_schema(conn)
        # structure: tables, columns, types, nullability, serial, keys, indexes, names
        diffs = schema_diff(without_defaults(imported), without_defaults(prisma_db))
        assert not diffs, format_diff(diffs, "imported", "prisma")
        # defaults: set each column's default to the imported expression on the
        # very table Prisma made; the catalog must not change
        with conn.transaction(force_rollback=True):
            for table in imported.tables:
                for column in table.columns:
                    if column.identity == "serial":
                        continue
                    target = sql.Identifier(table.name), sql.Identifier(column.name)
                    if column.default is None:
                        action = sql.SQL("DROP DEFAULT")
                    else:
                        action = sql.SQL("SET DEFAULT {}").format(sql.SQL(column.default))
                    conn.execute(
                        sql.SQL("ALTER TABLE {} ALTER COLUMN {} ").format(*target) + action
                    )
            after = inspect_schema(conn)
        assert not schema_diff(prisma_db, after), format_diff(
            schema_diff(prisma_db, after), "prisma", "imported defaults"
        )
        assert prisma_db == after


def test_saasfly_import_renders_the_same_catalog(database_url: str, pg_server: str) -> None:
    render = render_schema
    from tests.pg import temp_database

    imported = import_prisma(SAASFLY).schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply(conn, PRISMA_DDL.read_text())
        prisma_db = inspect_schema(conn)
    with temp_database(pg_server) as url, psycopg.connect(url, autocommit=True) as conn:
        apply(conn, render(imported))
        ours = inspect_schema(conn)
    diffs = schema_diff(prisma_db, ours)
    assert not diffs, format_diff(diffs, "prisma", "pgwarden")


def test_constructs_round_trip_through_a_real_server(database_url: str) -> None:
    """Imported, rendered, applied, inspected: equal to the import (expressions canonical)."""
    render = render_schema
    imported = import_prisma(CONSTRUCTS).schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply(conn, render(imported))
        inspected = inspect_schema(conn)
        expected = canonicalize(imported, conn, render=render)
    diffs = schema_diff(expected, inspected)
    assert not diffs, format_diff(diffs, "imported", "database")


def test_relation_mode_foreign_keys_round_trip(database_url: str) -> None:
    """Without relationMode = "prisma" the relations are real foreign keys, Prisma-named."""
    render = render_schema
    source = (
        'datasource db {\n  provider = "postgresql"\n  url = env("U")\n}\n'
        'model User {\n  id String @id @default(dbgenerated("gen_random_uuid()")) @db.Uuid\n'
        "  clusters Cluster[]\n}\n"
        "model Cluster {\n  id Int @id @default(autoincrement())\n"
        "  ownerId String? @db.Uuid\n"
        "  owner User? @relation(fields: [ownerId], references: [id])\n"
        "  @@index([ownerId])\n}\n"
    )
    imported = import_prisma_text(source).schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply(conn, render(imported))
        inspected = inspect_schema(conn)
        row = conn.execute(
            "SELECT confdeltype, confupdtype FROM pg_constraint WHERE conname = %s",
            ("Cluster_ownerId_fkey",),
        ).fetchone()
    assert row == ("n", "c")  # optional relation: ON DELETE SET NULL ON UPDATE CASCADE
    cluster = inspected.table("Cluster")
    assert cluster is not None and [f.name for f in cluster.foreign_keys] == [
        "Cluster_ownerId_fkey"
    ]
