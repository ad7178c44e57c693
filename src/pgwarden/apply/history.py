"""The history tables: which migrations a database is at, and how far a running one got.

``pgwarden.migrations`` has one row per migration that is applied, being applied
(``running``: a crash left non-transactional progress) or being reverted
(``reverting``). ``pgwarden.migration_steps`` records each finished step, so a
resumed apply skips exactly the steps that committed. A row reaches
``applied`` only in the transaction that finishes the migration's last step.

``pgwarden.migration_resolutions`` keeps every ``pgwarden migrate resolve`` (who
declared which half-done migration applied or rolled back, and when); it is an
audit trail, never deleted. Tables and columns added after the first release are
added to an existing install by :func:`ensure_tables` (``_UPGRADES``).
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
    pgwarden_version text,
    resolved_at timestamptz,
    resolved_by text
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
CREATE TABLE IF NOT EXISTS {schema}.backfill_progress (
    version integer NOT NULL,
    direction text NOT NULL CHECK (direction IN ('up', 'down')),
    step integer NOT NULL,
    batches integer NOT NULL,
    rows_done bigint NOT NULL,
    last_key text[],
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (version, direction, step)
);
CREATE TABLE IF NOT EXISTS {schema}.migration_resolutions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    resolution text NOT NULL CHECK (resolution IN ('applied', 'rolled_back')),
    from_status text NOT NULL,
    steps_done integer NOT NULL,
    checked boolean NOT NULL,
    resolved_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_by text NOT NULL DEFAULT current_user,
    actor text NOT NULL,
    client_host text,
    pgwarden_version text
);
"""

#: Columns a table of an older install lacks: ``(table, column, type)``. Added by
#: :func:`ensure_tables` when missing (read from the catalog first, so an up-to-date
#: install takes no lock).
_UPGRADES: tuple[tuple[str, str, str], ...] = (
    ("migrations", "resolved_at", "timestamptz"),
    ("migrations", "resolved_by", "text"),
)

#: Who ran pgwarden when it is not the OS user (a CI job, a deploy bot): recorded by
#: ``migrate resolve`` beside the database user.
ACTOR_ENV = "PGWARDEN_ACTOR"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One row of ``pgwarden.migrations``: a migration's checksum, status and who ran it when."""

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
    resolved_by: str | None = None


def _schema(name: str = HISTORY_SCHEMA) -> sql.Identifier:
    return sql.Identifier(name)


def ensure_tables(conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA) -> None:
    """Create the history schema and tables when missing (call under the lock)."""
    with conn.transaction():
        conn.execute(sql.SQL(_DDL).format(schema=_schema(schema)))
        have = {
            (str(r[0]), str(r[1]))
            for r in conn.execute(
                "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a"
                " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
                " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND a.attnum > 0 AND NOT a.attisdropped",
                (schema,),
            ).fetchall()
        }
        for table, column, kind in _UPGRADES:
            if (table, column) not in have:
                conn.execute(
                    sql.SQL("ALTER TABLE {}.{} ADD COLUMN IF NOT EXISTS {} {}").format(
                        _schema(schema),
                        sql.Identifier(table),
                        sql.Identifier(column),
                        sql.SQL(kind),  # a constant of _UPGRADES
                    )
                )


def tables_exist(conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA) -> bool:
    """The history tables exist in ``schema`` (a database never migrated has none)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
        " WHERE schemaname = %s AND tablename = 'migration_steps')",
        (schema,),
    ).fetchone()
    return bool(row and row[0])


def read(conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA) -> dict[int, HistoryRow]:
    """Every recorded migration by version (empty when the history does not exist yet)."""
    if not tables_exist(conn, schema=schema):
        return {}
    rows = conn.execute(
        sql.SQL(
            "SELECT version, name, checksum, status, started_at, finished_at, duration_ms,"
            " applied_by, client_host, os_user, {} FROM {}.migrations ORDER BY version"
        ).format(
            # an install older than `resolve` has no column yet (read-only commands
            # do not upgrade the tables)
            sql.SQL("resolved_by" if _has_column(conn, schema, "resolved_by") else "NULL"),
            _schema(schema),
        )
    ).fetchall()
    return {r[0]: HistoryRow(*r) for r in rows}


def _has_column(conn: psycopg.Connection[Any], schema: str, column: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
        " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = 'migrations' AND a.attname = %s"
        " AND NOT a.attisdropped)",
        (schema, column),
    ).fetchone()
    return bool(row and row[0])


def steps_done(
    conn: psycopg.Connection[Any],
    version: int,
    direction: Direction,
    *,
    schema: str = HISTORY_SCHEMA,
) -> set[int]:
    """The steps of a half-done migration already run in this direction (a rerun skips them)."""
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
    """Record that a step ran: the runner calls it in the transaction of an atomic step, so
    the record commits with the change; after a non-atomic one, in its own."""
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
    for table in ("backfill_progress", "migration_steps", "migrations"):
        conn.execute(
            sql.SQL("DELETE FROM {}.{} WHERE version = %s").format(
                _schema(schema), sql.Identifier(table)
            ),
            (version,),
        )


def backfill_done(
    conn: psycopg.Connection[Any],
    version: int,
    direction: Direction,
    step: int,
    *,
    schema: str = HISTORY_SCHEMA,
) -> tuple[tuple[str, ...] | None, int, int]:
    """A batched step's committed progress: (last key, rows done, batches); (None, 0, 0)
    before its first batch."""
    row = conn.execute(
        sql.SQL(
            "SELECT last_key, rows_done, batches FROM {}.backfill_progress"
            " WHERE version = %s AND direction = %s AND step = %s"
        ).format(_schema(schema)),
        (version, direction, step),
    ).fetchone()
    if row is None:
        return None, 0, 0
    return (tuple(row[0]) if row[0] is not None else None), int(row[1]), int(row[2])


def record_batch(
    conn: psycopg.Connection[Any],
    version: int,
    direction: Direction,
    step: int,
    last_key: tuple[str, ...] | None,
    rows: int,
    *,
    schema: str = HISTORY_SCHEMA,
) -> None:
    """Count one committed batch (call in the batch's own transaction)."""
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.backfill_progress (version, direction, step, batches, rows_done,"
            " last_key) VALUES (%s, %s, %s, 1, %s, %s) ON CONFLICT (version, direction, step)"
            " DO UPDATE SET batches = backfill_progress.batches + 1,"
            " rows_done = backfill_progress.rows_done + EXCLUDED.rows_done,"
            " last_key = EXCLUDED.last_key, updated_at = clock_timestamp()"
        ).format(_schema(schema)),
        (version, direction, step, rows, list(last_key) if last_key is not None else None),
    )


def actor() -> str:
    """Who is running pgwarden: ``$PGWARDEN_ACTOR`` when set, else the OS user."""
    return os.environ.get(ACTOR_ENV, "").strip() or _who()[1]


def resolve(
    conn: psycopg.Connection[Any],
    row: HistoryRow,
    resolution: Literal["applied", "rolled_back"],
    steps_done: int,
    *,
    checked: bool,
    schema: str = HISTORY_SCHEMA,
) -> None:
    """Record ``migrate resolve`` (call in one transaction): the migration becomes
    ``applied`` (its down progress forgotten) or is forgotten as never applied."""
    s = _schema(schema)
    host, _user = _who()
    who = actor()
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.migration_resolutions (version, name, checksum, resolution,"
            " from_status, steps_done, checked, actor, client_host, pgwarden_version)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(s),
        (
            row.version,
            row.name,
            row.checksum,
            resolution,
            row.status,
            steps_done,
            checked,
            who,
            host,
            __version__,
        ),
    )
    if resolution == "rolled_back":
        finish_down(conn, row.version, schema=schema)
        return
    for table in ("migration_steps", "backfill_progress"):
        conn.execute(
            sql.SQL("DELETE FROM {}.{} WHERE version = %s AND direction = 'down'").format(
                s, sql.Identifier(table)
            ),
            (row.version,),
        )
    conn.execute(
        sql.SQL(
            "UPDATE {}.migrations SET status = 'applied', finished_at = clock_timestamp(),"
            " resolved_at = clock_timestamp(), resolved_by = current_user || ' (' || %s || ')'"
            " WHERE version = %s"
        ).format(s),
        (who, row.version),
    )


def resolutions(
    conn: psycopg.Connection[Any], *, schema: str = HISTORY_SCHEMA
) -> list[tuple[int, str, str, str, str, datetime]]:
    """``(version, resolution, from_status, resolved_by, actor, resolved_at)``, oldest first."""
    rows = conn.execute(
        sql.SQL(
            "SELECT version, resolution, from_status, resolved_by, actor, resolved_at"
            " FROM {}.migration_resolutions ORDER BY id"
        ).format(_schema(schema))
    ).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5]) for r in rows]


def baseline(
    conn: psycopg.Connection[Any],
    version: int,
    name: str,
    checksum: str,
    *,
    schema: str = HISTORY_SCHEMA,
) -> None:
    """Record a migration as applied without running it (``migrate baseline``)."""
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
