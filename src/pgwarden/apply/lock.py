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


@contextmanager
def migration_lock(
    conn: psycopg.Connection[Any], on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the migration lock for the block (waits for another applier to finish).

    Waiting polls ``pg_try_advisory_lock`` instead of blocking in
    ``pg_advisory_lock``: a blocked waiter sits in a statement with a snapshot,
    and the holder's ``CREATE INDEX CONCURRENTLY`` waits for every such
    snapshot to end -- a deadlock Postgres would break by killing one of them.
    """
    delay = 0.05
    while not _try(conn):
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
                conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def _try(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
    return bool(row and row[0])
