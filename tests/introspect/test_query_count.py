"""Introspection issues a fixed number of statements whatever the table count.

Counted twice, independently: a cursor factory that sees every ``execute`` on
the connection, and libpq's protocol trace, which records every message the
client actually sends to the server (a statement that bypassed the cursor
would still show up there as a Query or Parse message).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq, sql

from pgwarden.introspect import QUERIES, inspect_schema
from tests.pg import temp_database


def _make_tables(conn: psycopg.Connection[Any], count: int) -> None:
    """``count`` tables with one of each object kind the model reads, per table."""
    conn.execute("CREATE TYPE state AS ENUM ('on', 'off')")
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    statements: list[sql.Composable] = []
    for n in range(count):
        table = sql.Identifier(f"T{n}")
        statements.append(
            sql.SQL(
                "CREATE TABLE {t} (id serial PRIMARY KEY, name text NOT NULL UNIQUE,"
                " s state DEFAULT 'on', parent integer REFERENCES {t} (id),"
                " CHECK (length(name) > 0));"
                "CREATE INDEX ON {t} (lower(name)) WHERE s = 'on';"
                "COMMENT ON TABLE {t} IS 'table';"
                "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;"
                "CREATE POLICY p ON {t} USING (s = 'on');"
                "ALTER TABLE {t} ADD EXCLUDE USING gist (name gist_trgm_ops WITH =);"
                "CREATE INDEX ON {t} USING gin (name gin_trgm_ops);"
                "CREATE VIEW {v} AS SELECT id, name FROM {t} WHERE s = 'on';"
                "CREATE MATERIALIZED VIEW {m} AS SELECT s, count(*) FROM {t} GROUP BY s;"
                "CREATE UNIQUE INDEX ON {m} (s);"
                "COMMENT ON VIEW {v} IS 'view'"
            ).format(t=table, v=sql.Identifier(f"V{n}"), m=sql.Identifier(f"M{n}"))
        )
    conn.execute(sql.SQL(";").join(statements))


class _Counting(psycopg.Cursor[Any]):
    calls = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        type(self).calls += 1
        return super().execute(*args, **kwargs)


def _count(url: str, tmp: Path) -> tuple[int, int, int]:
    """(cursor executes, statements on the wire, tables read) for one inspection."""
    trace_file = tmp / "trace.txt"
    with psycopg.connect(url, autocommit=True) as conn:
        _Counting.calls = 0
        conn.cursor_factory = _Counting
        with trace_file.open("w") as fh:
            conn.pgconn.trace(fh.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            schema = inspect_schema(conn)
            conn.pgconn.untrace()
    trace = trace_file.read_text()
    # frontend messages that start a statement: simple Query or extended-protocol Parse
    wire = len(re.findall(r"^F\t\d+\t(?:Query|Parse)\t", trace, re.MULTILINE))
    assert len(schema.views) == 2 * len(schema.tables)  # every kind was read
    assert all(t.exclusions for t in schema.tables)
    return _Counting.calls, wire, len(schema.tables)


def test_query_count_is_the_same_for_5_and_200_tables(pg_server: str, tmp_path: Path) -> None:
    results = []
    for count in (5, 200):
        with temp_database(pg_server) as url:
            with psycopg.connect(url, autocommit=True) as conn:
                _make_tables(conn, count)
            results.append(_count(url, tmp_path))
    (small_calls, small_wire, small_tables), (big_calls, big_wire, big_tables) = results
    assert (small_tables, big_tables) == (5, 200)
    assert small_calls == big_calls
    assert small_wire == big_wire
    # the catalog queries, plus saving/setting/restoring search_path, plus BEGIN and COMMIT
    assert small_calls == len(QUERIES) + 3
    assert small_wire == small_calls + 2
