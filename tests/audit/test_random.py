"""Property on a real server: random specs with random ``audit`` flags and secret
markers render and inspect back equal, and the planner turns auditing on and off
(and its reverse back) to exactly the target state."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.render.sql import render_schema, render_statements
from pgwarden.spec import audit
from pgwarden.spec.model import Schema, Table
from tests.pg import reset_schema
from tests.strategies import schemas


@st.composite
def _marked(draw: st.DrawFn, schema: Schema) -> Schema:
    """``schema`` with random audit flags (tables with a key) and secret text columns."""
    tables: list[Table] = []
    for t in schema.tables:
        columns = tuple(
            replace(c, secret="hashed" if draw(st.booleans()) else None)
            if c.type.name == "text" and not c.type.array
            else c
            for c in t.columns
        )
        tables.append(
            replace(t, columns=columns, audit=t.primary_key is not None and draw(st.booleans()))
        )
    return replace(schema, tables=tuple(tables))


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[Schema, Schema]:
    base = draw(schemas(max_tables=4))
    return draw(_marked(base)), draw(_marked(base))


def _agree(conn: psycopg.Connection[Any], spec: Schema) -> None:
    db = inspect_schema(conn, spec.name)
    expected = canonicalize(spec, conn)
    assert format_diff(schema_diff(expected, db)) == ""
    for t in spec.tables:
        if t.audit:  # the trigger redacts exactly the spec's secret columns
            have = db.table(t.name)
            assert have is not None and audit.trigger_args(have) == audit.trigger_args(t)
    logs = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = %s", (audit.LOG_TABLE,))
    assert logs.fetchone() == (1 if audit.has_log(spec) else 0,)


def _apply(conn: psycopg.Connection[Any], ddl: str) -> None:
    if ddl.strip():
        with conn.transaction():
            conn.execute(ddl.encode())


@pytest.mark.slow
def test_random_audit_flags_round_trip_and_plan(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:

        @settings(max_examples=20)
        @given(_pairs())
        def check(pair: tuple[Schema, Schema]) -> None:
            a, b = pair
            reset_schema(conn, a.name)
            conn.execute("SELECT set_config('search_path', quote_ident(%s), false)", (a.name,))
            _apply(conn, render_schema(a))
            _agree(conn, a)
            up = plan(a, b, PlanOptions(allow_destructive=True))
            assert all(type(op).__module__ == "pgwarden.planner.audit" for op in up)
            _apply(conn, render_statements(up))
            _agree(conn, b)
            assert not plan(b, b)
            _apply(conn, render_statements(up.reverse()))
            _agree(conn, a)

        check()
