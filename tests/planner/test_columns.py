"""Column changes on a table with rows: identity, generated, types, defaults,
the maintained trigger and RLS, each applied for real and inspected back."""

from __future__ import annotations

from typing import Any

import pglast
import psycopg
import pytest
from hypothesis import given, settings

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import RefusedError
from pgwarden.introspect import inspect_schema
from pgwarden.planner import Plan, PlanOptions, plan
from pgwarden.planner import ops as o
from pgwarden.render.preflight import preflight
from pgwarden.render.sql import render_plan
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.pg import server_version
from tests.planner.derive import evolved_pairs
from tests.planner.helpers import apply_plan, create

HEAD = '[tables.T.columns]\nname = { type = "text", nullable = true }\n'


def _spec(column: str) -> Schema:
    return load_schema_text(HEAD + column + "\n")


def _roundtrip(url: str, before: Schema, after: Schema, rows: str, opts: Any = None) -> Any:
    """Create ``before`` with rows, apply the plan, check, apply the reverse, check."""
    up = plan(before, after, opts)
    conn = psycopg.connect(url, autocommit=True)
    create(conn, before)
    conn.execute(rows)
    apply_plan(conn, up)
    assert inspect_schema(conn) == canonicalize(after, conn)
    assert not plan(inspect_schema(conn), canonicalize(after, conn))
    return conn, up


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, "always"),
        (None, "by default"),
        (None, "serial"),
        ("serial", "by default"),
        ("by default", "serial"),
        ("always", "by default"),
        ("serial", None),
        ("always", None),
    ],
)
def test_identity_changes_keep_values_and_do_not_collide(
    database_url: str, old: str | None, new: str | None
) -> None:
    def column(kind: str | None) -> str:
        return (
            'id = { type = "integer" }'
            if kind is None
            else (f'id = {{ type = "integer", identity = "{kind}" }}')
        )

    before, after = _spec(column(old)), _spec(column(new))
    # rows as the application makes them: ids from the sequence when there is one
    rows = (
        """INSERT INTO "T" (name) SELECT 'r' || g FROM generate_series(1, 5) g"""
        if old is not None
        else """INSERT INTO "T" (id, name) SELECT g, 'r' || g FROM generate_series(1, 5) g"""
    )
    conn, up = _roundtrip(database_url, before, after, rows)
    with conn:
        if new is not None:
            # the sequence starts after the existing rows
            row = conn.execute("""INSERT INTO "T" (name) VALUES ('next') RETURNING id""").fetchone()
            assert row == (6,)
            conn.execute("""DELETE FROM "T" WHERE name = 'next'""")
        assert conn.execute('SELECT sum(id) FROM "T"').fetchone() == (15,)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(before, conn)


def test_generated_expression_changes_and_stops(database_url: str) -> None:
    if server_version(database_url) < 170000:
        pytest.skip("ALTER COLUMN ... SET EXPRESSION needs PostgreSQL 17 (docs/planner.md)")
    base = 'n = { type = "integer", nullable = true }\n'
    v1 = _spec(base + 'g = { type = "integer", nullable = true, generated = "n * 2" }')
    v2 = _spec(base + 'g = { type = "integer", nullable = true, generated = "n * 3" }')
    v3 = _spec(base + 'g = { type = "integer", nullable = true }')
    rows = 'INSERT INTO "T" (n) SELECT generate_series(1, 4)'
    conn, up = _roundtrip(database_url, v1, v2, rows)
    with conn:
        assert [type(op) for op in up] == [o.AlterGenerated]
        assert conn.execute('SELECT sum(g) FROM "T"').fetchone() == (30,)
        to_plain = plan(v2, v3)
        apply_plan(conn, to_plain)
        assert inspect_schema(conn) == canonicalize(v3, conn)
        conn.execute('UPDATE "T" SET g = 0 WHERE n = 1')  # a plain column now
        assert conn.execute('SELECT sum(g) FROM "T"').fetchone() == (27,)
    # a plain column cannot become generated in place: drop + add, which loses data
    with pytest.raises(RefusedError, match=r"column T\.g"):
        plan(v3, v1)
    assert [type(op) for op in plan(v3, v1, PlanOptions(acknowledged=("T.g",)))] == [
        o.DropColumn,
        o.AddColumn,
    ]


def test_type_change_with_an_enum_and_a_default(database_url: str) -> None:
    enum = '[enums.E]\nvalues = ["a", "b"]\n'
    before = load_schema_text(enum + HEAD + 'kind = { type = "text", default = "a" }\n')
    after = load_schema_text(enum + HEAD + 'kind = { type = "E", default = "a" }\n')
    with pytest.raises(RefusedError, match=r"column T\.kind: text narrowed to E"):
        plan(before, after)
    rows = """INSERT INTO "T" (kind) VALUES ('a'), ('b')"""
    conn, up = _roundtrip(database_url, before, after, rows, PlanOptions(allow_destructive=True))
    with conn:
        assert conn.execute('SELECT array_agg(kind ORDER BY kind)::text FROM "T"').fetchone() == (
            "{a,b}",
        )
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(before, conn)


def test_maintained_trigger_and_rls_come_and_go(database_url: str) -> None:
    before = _spec('at = { type = "timestamptz", default_sql = "now()" }')
    after = load_schema_text(
        "[tables.T]\nrls = { enabled = true, force = true }\n"
        '[[tables.T.policies]]\nname = "all rows"\nusing = "true"\n'
        + HEAD
        + 'at = { type = "timestamptz", default_sql = "now()", maintained = "on_update" }\n'
    )
    rows = """INSERT INTO "T" (name, at) VALUES ('x', '2000-01-01')"""
    conn, up = _roundtrip(database_url, before, after, rows)
    with conn:
        conn.execute("""UPDATE "T" SET name = 'y'""")
        assert conn.execute("""SELECT at > '2020-01-01' FROM "T" """).fetchone() == (True,)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(before, conn)


@settings(max_examples=40)
@given(pair=evolved_pairs())
def test_every_step_is_one_statement_postgres_can_parse(pair: tuple[Schema, Schema]) -> None:
    up = plan(*pair, PlanOptions(allow_destructive=True))
    for plan_ in (up, up.reverse()):
        for step in render_plan(plan_):
            assert len(pglast.parse_sql(step.sql)) == 1, step.sql
            assert all(len(pglast.parse_sql(s)) == 1 for s in step.settings)


@pytest.mark.parametrize(
    ("old", "new", "bad", "good"),
    [
        ("varchar(20)", "varchar(5)", "'too long!'", "'short'"),
        ("bigint", "integer", "3000000000", "7"),
        ("numeric(10,3)", "numeric(4,1)", "12.25", "123.5"),
        ("timestamp(6)", "timestamp(0)", "'2024-01-01 10:00:00.5'", "'2024-01-01 10:00:01'"),
    ],
)
def test_narrowing_preflight_finds_values_that_do_not_fit(
    database_url: str, old: str, new: str, bad: str, good: str
) -> None:
    before = _spec(f'v = {{ type = "{old}", nullable = true }}')
    after = _spec(f'v = {{ type = "{new}", nullable = true }}')
    (op,) = plan(before, after, PlanOptions(acknowledged=("T.v",)))
    check = preflight(op)
    assert isinstance(op, o.AlterColumnType) and check is not None and check.upfront
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, before)
        conn.execute(f"INSERT INTO \"T\" (name, v) VALUES ('ok', {good}), ('bad', {bad})")
        count, samples = conn.execute(check.sql).fetchone()  # type: ignore[misc]
        assert count == 1 and len(samples) == 1
        conn.execute("""DELETE FROM "T" WHERE name = 'bad'""")
        assert conn.execute(check.sql).fetchone() == (0, None)
        apply_plan(conn, Plan((op,)))
        assert inspect_schema(conn) == canonicalize(after, conn)
