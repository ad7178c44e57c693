"""Reversing a plan from the state after it (issue 18 item 4): every reversed op is
keyed to the state it runs in, so down works wherever up did."""

from __future__ import annotations

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import inspect_schema
from pgwarden.planner import PlanOptions, plan
from pgwarden.planner import ops as o
from pgwarden.render.preflight import preflights
from pgwarden.spec.load import load_schema_text
from tests.planner.helpers import apply_plan, create, preflight_violations

ALL = PlanOptions(allow_destructive=True)


def test_enum_value_added_while_a_user_of_the_type_goes(database_url: str) -> None:
    """gone(c E), kept(c E), E = (x) -> kept only, E = (x, y). The down's recreate of E
    used to move gone.c before gone existed again (UndefinedTable)."""
    a = load_schema_text(
        '[enums.E]\nvalues = ["x"]\n'
        '[tables.gone.columns]\nc = { type = "E" }\n'
        '[tables.kept.columns]\nc = { type = "E" }\n'
    )
    b = load_schema_text(
        '[enums.E]\nvalues = ["x", "y"]\n[tables.kept.columns]\nc = { type = "E" }\n'
    )
    up = plan(a, b, ALL)
    down = up.reverse()
    (recreate,) = [op for op in down if isinstance(op, o.RecreateEnum)]
    assert [u.table for u in recreate.usages] == ["kept"]
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute("INSERT INTO gone VALUES ('x'); INSERT INTO kept VALUES ('x')")
        apply_plan(conn, up, ALL)
        assert inspect_schema(conn) == canonicalize(b, conn)
        assert preflight_violations(conn, down) == 0
        apply_plan(conn, down, ALL)
        assert inspect_schema(conn) == canonicalize(a, conn)


def test_reversed_checks_sample_by_the_key_the_down_starts_from(database_url: str) -> None:
    a = load_schema_text('[tables.T.columns]\na = { type = "text", primary_key = true }\n')
    b = load_schema_text('[tables.T.columns]\nb = { type = "integer", primary_key = true }\n')
    down = plan(a, b, ALL).reverse()
    keys = {op.row_key for op in down if preflights([op]) and hasattr(op, "row_key")}
    assert keys == {("b",)}, down.describe()
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, b)
        assert preflight_violations(conn, down) == 0  # runs every upfront check
        apply_plan(conn, down, ALL)
        assert inspect_schema(conn) == canonicalize(a, conn)


def test_reversing_twice_gives_the_plan_back() -> None:
    a = load_schema_text('[tables.T.columns]\na = { type = "text", nullable = true }\n')
    b = load_schema_text('[tables.T.columns]\na = { type = "text" }\n')
    up = plan(a, b)
    assert up.reverse().reverse() == up
