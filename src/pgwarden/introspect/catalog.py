"""Read Postgres namespaces from the catalogs into the schema model.

The number of catalog statements is fixed (one per object kind, see
``QUERIES``) whatever the table count: each query returns flat tuple rows for
every inspected namespace and Python groups them by object. All of them run in
one REPEATABLE READ, READ ONLY transaction, so they see a single snapshot even
while DDL runs concurrently. Expressions are Postgres's own text
(``pg_get_expr`` / ``pg_get_indexdef`` for expression keys), read with the
default namespace as the only ``search_path`` entry so names inside it print
unqualified, as a spec writes them. No SQL is parsed on this path: operator
classes, collations and key options come from ``pg_index``'s arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from pgwarden.errors import DatabaseError
from pgwarden.introspect.build import Rows, build_schema
from pgwarden.spec.model import Schema

#: The catalog queries, in the order they run (files in ``introspect/queries``).
QUERIES: tuple[str, ...] = (
    "namespaces",
    "extensions",
    "enums",
    "types",
    "tables",
    "constraints",
    "indexes",
    "triggers",
    "policies",
    "views",
    "partitions",
    "functions",
    "sequences",
    "unmanaged",
)


@cache
def query_text(name: str) -> str:
    """The SQL of one catalog query (package data)."""
    return (resources.files("pgwarden.introspect") / "queries" / f"{name}.sql").read_text(
        encoding="utf-8"
    )


def inspect_schema(
    conn: psycopg.Connection[Any],
    schema_name: str = "public",
    *,
    also: Sequence[str] = (),
    visible: Sequence[str] = (),
) -> Schema:
    """Read namespace ``schema_name`` (and the namespaces in ``also``) into a
    normalized :class:`Schema`. Objects outside ``schema_name`` are named
    ``namespace.name``.

    Expressions are printed with ``search_path`` = ``schema_name`` and then
    ``visible``: what is on the path prints unqualified (``<->``), anything else
    qualified (``OPERATOR(public.<->)``, ``'[1,2]'::public.vector``).
    ``canonicalize`` inspects its scratch copy with the real default namespace
    visible, so an extension installed there prints as it does in the database.

    With an idle connection the queries run in their own REPEATABLE READ READ
    ONLY transaction. Inside a caller's open transaction they use that
    transaction's snapshot (``canonicalize`` relies on this to read objects it
    has not committed).
    """
    namespaces = [schema_name, *(s for s in also if s != schema_name)]
    params = {"schemas": namespaces, "default": schema_name}
    rows: dict[str, Rows] = {}
    with _snapshot(conn), conn.cursor() as cur:
        cur.execute("SELECT current_setting('search_path')")
        saved = cur.fetchone()
        cur.execute(
            "SELECT set_config('search_path', "
            "array_to_string(ARRAY(SELECT quote_ident(n) FROM unnest(%s::text[]) AS n), ', '),"
            " true)",
            ([schema_name, *visible],),
        )
        for name in QUERIES:
            cur.execute(query_text(name), params)
            rows[name] = cur.fetchall()
        if saved is not None:  # only matters inside a caller's transaction
            cur.execute("SELECT set_config('search_path', %s, true)", (saved[0],))
    return build_schema(schema_name, tuple(namespaces[1:]), rows)


@contextmanager
def _snapshot(conn: psycopg.Connection[Any]) -> Iterator[None]:
    status = conn.info.transaction_status
    if status == TransactionStatus.INTRANS:
        yield
        return
    if status != TransactionStatus.IDLE:
        raise DatabaseError(
            "cannot inspect: the connection is in a failed or busy transaction\n"
            "  fix: roll back the transaction before inspecting"
        )
    saved = (conn.isolation_level, conn.read_only)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    try:
        with conn.transaction():
            yield
    finally:
        conn.isolation_level, conn.read_only = saved
