"""Helpers for lifecycle tests: histories written by the planner, run by the real runner,
and the catalog read back with every constraint and index name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from pgwarden.apply import files
from pgwarden.apply.canonical import canonicalize
from pgwarden.apply.generate import write_migration
from pgwarden.apply.runner import Runner
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema


def spec(text: str) -> Schema:
    return load_schema_text(text)


def history_of(directory: Path, *targets: Schema) -> Path:
    """``migrations/`` with one migration per target (each planned from the previous)."""
    directory.mkdir(parents=True, exist_ok=True)
    for n, target in enumerate(targets, 1):
        write_migration(directory, f"step{n}", target, allow_destructive=True)
    return directory


def runner(url: str, directory: Path, **kwargs: Any) -> Runner:
    return Runner(url, files.load_migrations(directory), **kwargs)


def names(conn: psycopg.Connection[Any], schema: str = "public") -> list[tuple[str, str, str]]:
    """(table, kind, name) of every constraint (NOT NULL ones too on PostgreSQL 18)
    and every index of the namespace, sorted: what a plain CREATE would name them."""
    rows = conn.execute(
        "SELECT c.conrelid::regclass::text, c.contype::text, c.conname"
        " FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n"
        " ON n.oid = c.connamespace WHERE n.nspname = %s AND c.conrelid <> 0"
        " UNION ALL SELECT tablename, 'index', indexname FROM pg_catalog.pg_indexes"
        " WHERE schemaname = %s ORDER BY 1, 2, 3",
        (schema, schema),
    ).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def fresh_names(url: str, schema: Schema) -> list[tuple[str, str, str]]:
    """The names a database created directly from ``schema`` has (in a scratch namespace)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS pgw_fresh CASCADE")
        conn.execute("CREATE SCHEMA pgw_fresh")
        conn.execute("SET search_path TO pgw_fresh")
        with conn.transaction():
            conn.execute(render_schema(schema).encode())
        found = [(t.removeprefix("pgw_fresh."), k, n) for t, k, n in names(conn, "pgw_fresh")]
        conn.execute("DROP SCHEMA pgw_fresh CASCADE")
        return found


def assert_at(url: str, schema: Schema) -> None:
    """The database is exactly ``schema``: the model and every catalog name."""
    with psycopg.connect(url, autocommit=True) as conn:
        got = inspect_schema(conn)
        want = canonicalize(schema, conn)
        assert got == want, format_diff(schema_diff(want, got))
        have = names(conn)
    assert have == fresh_names(url, schema)
