"""One session-level advisory lock serialises every pgwarden applier of a database.

A session lock (not a transaction lock) because an apply spans many
transactions and non-transactional steps. Postgres releases it when the
session ends, so a killed applier never leaves the database locked.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg

#: A fixed 64-bit key derived from a name, so it cannot clash by accident with an
#: application's small integer keys. Documented in docs/migrations.md.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"pgwarden.migrate").digest()[:8], "big", signed=True)


def lock_key(history_schema: str) -> int:
    """The lock of one history: ``LOCK_KEY`` for the database's ``pgwarden`` history, a
    derived key for another (a tenant schema's), so tenants of one database migrate in
    parallel while each stays serialised."""
    if history_schema == "pgwarden":
        return LOCK_KEY
    digest = hashlib.sha256(b"pgwarden.migrate:" + history_schema.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def migration_lock(
    conn: psycopg.Connection[Any],
    on_wait: Callable[[], None] | None = None,
    *,
    key: int = LOCK_KEY,
) -> Iterator[None]:
    """Hold the migration lock for the block (waits for another applier to finish).

    Waiting polls ``pg_try_advisory_lock`` instead of blocking in
    ``pg_advisory_lock``: a blocked waiter sits in a statement with a snapshot,
    and the holder's ``CREATE INDEX CONCURRENTLY`` waits for every such
    snapshot to end -- a deadlock Postgres would break by killing one of them.
    """
    delay = 0.05
    while not _try(conn, key):
        if on_wait is not None and delay == 0.05:
            on_wait()
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            # if the session is going away, Postgres releases the lock with it
            with suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _try(conn: psycopg.Connection[Any], key: int) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])
