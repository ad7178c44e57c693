"""Test helpers for real PostgreSQL servers (no mocks, ever).

``DATABASE_URL`` picks the server; without it each pytest worker starts its own
embedded PostgreSQL 18 in a temp dir. Every test gets its own database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.db import with_dbname


def server_version(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
        assert row is not None
        return int(row[0])


@contextmanager
def temp_database(server_url: str, prefix: str = "pgw") -> Iterator[str]:
    """Create a fresh database on the server; drop it afterwards. Yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield with_dbname(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def reset_schema(conn: psycopg.Connection[Any], schema: str = "public") -> None:
    """Drop and recreate one namespace: a cheap fresh start inside one database."""
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def drop_namespaces(conn: psycopg.Connection[Any], names: Iterable[str]) -> None:
    """Drop these namespaces (and everything in them) where they exist."""
    for name in names:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def offered_extensions(conn: psycopg.Connection[Any], wanted: Iterable[str]) -> tuple[str, ...]:
    """Those of ``wanted`` the server can install (``pg_available_extensions``): random
    specs draw types only from extensions the server offers (pgvector is installed
    with the embedded PostgreSQL 18, not with Debian's 15)."""
    rows = conn.execute(
        "SELECT name FROM pg_available_extensions WHERE name = ANY(%s) ORDER BY name",
        (list(wanted),),
    ).fetchall()
    return tuple(str(r[0]) for r in rows)
