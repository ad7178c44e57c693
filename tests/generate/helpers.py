"""Shared helpers for the generate tests: render a schema into an importable
package, create its tables on a real server, count statements, dump contents."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.generators.engine import render
from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema
from pgwarden.spec.model import Schema

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "generated"
BASEFLY_SERVICES = {"K8sClusterConfig": "k8s_cluster"}


def basefly_schema() -> Schema:
    return load_schema(REPO / "schema")


def basefly_package() -> ModuleType:
    """The committed generated/basefly_db package."""
    if str(GENERATED) not in sys.path:
        sys.path.insert(0, str(GENERATED))
    return importlib.import_module("basefly_db.sync")


def build_package(
    schema: Schema, root: Path, services: dict[str, str] | None = None, name: str | None = None
) -> tuple[str, ModuleType, ModuleType]:
    """Render ``schema`` under ``root`` with a unique name; return (name, sync, aio)."""
    name = name or f"gen_{uuid.uuid4().hex[:10]}"
    render(schema, name, sources=["tests/schema.toml"], services=services).write(root / name)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return (
        name,
        importlib.import_module(f"{name}.sync"),
        importlib.import_module(f"{name}.aio"),
    )


def create(url: str, schema: Schema) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema.name)))
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema.name)))
        conn.execute(render_schema(schema))


class CountingCursor(psycopg.Cursor[Any]):
    """Records every statement the generated code sends (a psycopg hook, no mock)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        log = getattr(self.connection, "statements", None)
        if log is not None:
            log.append(query)
        return super().execute(query, params, **kwargs)


class CountingConnection(psycopg.Connection[Any]):
    statements: list[Any]


def counting_connect(url: str) -> CountingConnection:
    conn = CountingConnection.connect(url, autocommit=True, cursor_factory=CountingCursor)
    conn.statements = []
    return conn


def dump(conn: psycopg.Connection[Any], schema: str = "public") -> dict[str, list[str]]:
    """Every table's rows as text, sorted: a byte-for-byte snapshot of the contents."""
    tables = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
        (schema,),
    ).fetchall()
    out: dict[str, list[str]] = {}
    for (table,) in tables:
        rows = conn.execute(
            sql.SQL("SELECT t::text FROM {}.{} AS t").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchall()
        out[table] = sorted(r[0] for r in rows)
    return out


def orphans(conn: psycopg.Connection[Any], schema: Schema) -> list[str]:
    """Rows whose foreign key points at nothing (should never exist; the server enforces it)."""
    found = []
    for t in schema.tables:
        for fk in t.foreign_keys:
            cond = sql.SQL(" AND ").join(
                sql.SQL("p.{} = c.{}").format(sql.Identifier(r), sql.Identifier(c))
                for c, r in zip(fk.columns, fk.ref_columns, strict=True)
            )
            notnull = sql.SQL(" AND ").join(
                sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in fk.columns
            )
            q = sql.SQL(
                "SELECT count(*) FROM {}.{} c WHERE {} AND NOT EXISTS "
                "(SELECT 1 FROM {}.{} p WHERE {})"
            ).format(
                sql.Identifier(schema.name),
                sql.Identifier(t.name),
                notnull,
                sql.Identifier(schema.name),
                sql.Identifier(fk.ref_table),
                cond,
            )
            row = conn.execute(q).fetchone()
            if row and row[0]:
                found.append(f"{t.name}.{fk.name}: {row[0]}")
    return found
