"""The history tables: which migrations a database is at, and how far a running one got.

``pgwarden.migrations`` has one row per migration that is applied, being applied
(``running``: a crash left non-transactional progress) or being reverted
(``reverting``). ``pgwarden.migration_steps`` records each finished step, so a
resumed apply skips exactly the steps that committed. A row reaches
``applied`` only in the transaction that finishes the migration's last step.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg import sql

from pgwarden import __version__

HISTORY_SCHEMA = "pgwarden"
Status = Literal["running", "applied", "baseline", "reverting"]
Direction = Literal["up", "down"]

_DDL = """
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    status text NOT NULL
        CHECK (status IN ('running', 'applied', 'baseline', 'reverting')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    duration_ms bigint,
    applied_by text NOT NULL DEFAULT current_user,
    client_addr text DEFAULT inet_client_addr()::text,
    client_host text,
    os_user text,
    pgwarden_version text
);
CREATE TABLE IF NOT EXISTS {schema}.migration_steps (
    version integer NOT NULL,
    direction text NOT NULL CHECK (direction IN ('up', 'down')),
    step integer NOT NULL,
    description text NOT NULL,
    atomic boolean NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (version, direction, step)
);
"""


@dataclass(frozen=True, slots=True)
class HistoryRow:
    version: int
    name: str
    checksum: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    applied_by: str
    client_host: str | None
    os_user: str | None


def _schema(name: str = HISTORY_SCHEMA) -> sql.Identifier:
    return sql.Identifier(name)


def ensure_tables(conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA) -> None:
    """Create the history schema and tables when missing (call under the lock)."""
    with conn.transaction():
        conn.execute(sql.SQL(_DDL).format(schema=_schema(schema)))


def tables_exist(conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
        " WHERE schemaname = %s AND tablename = 'migration_steps')",
        (schema,),
    ).fetchone()
    return bool(row and row[0])


def read(conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA) -> dict[int, HistoryRow]:
    if not tables_exist(conn, schema=schema):
        return {}
    rows = conn.execute(
        sql.SQL(
            "SELECT version, name, checksum, status, started_at, finished_at, duration_ms,"
            " applied_by, client_host, os_user FROM {}.migrations ORDER BY version"
        ).format(_schema(schema))
    ).fetchall()
    return {r[0]: HistoryRow(*r) for r in rows}


def steps_done(
    conn: psycopg.Connection[Any],
    version: int,
    direction: Direction,
    *,
    schema: str = HISTORY_SCHEMA,
) -> set[int]:
    if not tables_exist(conn, schema=schema):
        return set()
    rows = conn.execute(
        sql.SQL("SELECT step FROM {}.migration_steps WHERE version = %s AND direction = %s").format(
            _schema(schema)
        ),
        (version, direction),
    ).fetchall()
    return {int(r[0]) for r in rows}


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = os.environ.get("USER", "unknown")
    return socket.gethostname(), user


def start(
    conn: psycopg.Connection[Any],
    version: int,
    name: str,
    checksum: str,
    status: Status,
    *,
    schema: str = HISTORY_SCHEMA,
) -> None:
    """Insert (or keep) the row of a migration about to change the database."""
    host, user = _who()
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.migrations (version, name, checksum, status, client_host, os_user,"
            " pgwarden_version) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (version) DO UPDATE SET status = EXCLUDED.status"
        ).format(_schema(schema)),
        (version, name, checksum, status, host, user, __version__),
    )


def record_step(
    conn: psycopg.Connection[Any],
    version: int,
    direction: Direction,
    step: int,
    description: str,
    atomic: bool,
    started_at: datetime,
    *,
    schema: str = HISTORY_SCHEMA,
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.migration_steps"
            " (version, direction, step, description, atomic, started_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(_schema(schema)),
        (version, direction, step, description, atomic, started_at),
    )


def finish_up(conn: psycopg.Connection[Any], version: int, *, schema: str = HISTORY_SCHEMA) -> None:
    """Mark a migration applied (in the transaction of its last step)."""
    conn.execute(
        sql.SQL(
            "UPDATE {}.migrations SET status = 'applied', finished_at = clock_timestamp(),"
            " duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint"
            " WHERE version = %s"
        ).format(_schema(schema)),
        (version,),
    )


def finish_down(
    conn: psycopg.Connection[Any], version: int, *, schema: str = HISTORY_SCHEMA
) -> None:
    """Forget a reverted migration (in the transaction of its last down step)."""
    for table in ("migration_steps", "migrations"):
        conn.execute(
            sql.SQL("DELETE FROM {}.{} WHERE version = %s").format(
                _schema(schema), sql.Identifier(table)
            ),
            (version,),
        )


def baseline(
    conn: psycopg.Connection[Any],
    version: int,
    name: str,
    checksum: str,
    *,
    schema: str = HISTORY_SCHEMA,
) -> None:
    host, user = _who()
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.migrations (version, name, checksum, status, finished_at,"
            " duration_ms, client_host, os_user, pgwarden_version)"
            " VALUES (%s, %s, %s, 'baseline', clock_timestamp(), 0, %s, %s, %s)"
        ).format(_schema(schema)),
        (version, name, checksum, host, user, __version__),
    )


def summary(
    conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA
) -> dict[int, tuple[str, str, str]]:
    """``version -> (name, checksum, status)`` in one round trip (empty: no history yet).

    What a fleet's idle check reads: a database whose every migration is
    ``applied`` with the expected checksum needs nothing else (no lock).
    Needs an autocommit connection (a missing table aborts a transaction).
    """
    try:
        rows = conn.execute(
            sql.SQL("SELECT version, name, checksum, status FROM {}.migrations").format(
                _schema(schema)
            )
        ).fetchall()
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        return {}
    return {int(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}
