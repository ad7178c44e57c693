"""A kept sequence whose range narrows past its current value: ``ALTER SEQUENCE``
alone refuses it ("RESTART value (1) cannot be greater than MAXVALUE"); the plan moves
the value to the new START where no value can be handed out twice, and otherwise
fails with Postgres's error (the data decides). Against a real server."""

from __future__ import annotations

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import inspect_schema
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.model import Schema, Sequence, SequenceOptions
from pgwarden.spec.sequences import canonical
from tests.pg import reset_schema
from tests.planner.helpers import apply_plan, create

ALL = PlanOptions(allow_destructive=True)


def _schema(type_name: str = "bigint", **numbers: int | None) -> Schema:
    options = canonical(type_name, SequenceOptions(**numbers))  # type: ignore[arg-type]
    return Schema(sequences=(Sequence("counter", type_name, options),)).normalized()


def _next(conn: psycopg.Connection[object]) -> int:
    row = conn.execute("SELECT nextval('counter')").fetchone()
    assert row is not None
    return int(row[0])


def _move(conn: psycopg.Connection[object], a: Schema, b: Schema) -> None:
    apply_plan(conn, plan(a, b, ALL), ALL)
    assert inspect_schema(conn) == canonicalize(b, conn)
    assert not plan(inspect_schema(conn), canonicalize(b, conn), ALL)


def test_ascending_never_used_turns_descending(database_url: str) -> None:
    # the case the convergence property drew: at 1 (no value handed out), to MAXVALUE -1
    a, b = _schema(), _schema(increment=-1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        reset_schema(conn)
        create(conn, a)
        _move(conn, a, b)
        assert _next(conn) == -1  # the new START
        _move(conn, b, a)  # and back: at -1 (handed out), ascending from 1: disjoint
        # going down handed out -1 only; going up starts at 1: nothing twice
        assert _next(conn) == 1


def test_a_value_before_the_new_range_moves_to_its_start(database_url: str) -> None:
    a, b = _schema(), _schema(min_value=100, start=150)
    with psycopg.connect(database_url, autocommit=True) as conn:
        reset_schema(conn)
        create(conn, a)
        assert [_next(conn) for _ in range(3)] == [1, 2, 3]
        _move(conn, a, b)
        assert _next(conn) == 150
        # a value the narrowed range still holds stays where it is
        c = _schema(min_value=50, max_value=5000, start=60)
        _move(conn, b, c)
        assert _next(conn) == 151


def test_values_handed_out_past_the_new_range_are_not_reused(database_url: str) -> None:
    a, b = _schema("integer"), _schema("integer", max_value=10)
    with psycopg.connect(database_url, autocommit=True) as conn:
        reset_schema(conn)
        create(conn, a)
        conn.execute("SELECT setval('counter', 500)")
        # 1..500 may be in use: every number of 1..10 could repeat one, so no restart
        # is safe and the plan fails with Postgres's error; its steps are one
        # transaction (as in a migration), so nothing changed
        failed = r"RESTART value \(500\) cannot be greater"
        with pytest.raises(AssertionError, match=failed), conn.transaction():
            apply_plan(conn, plan(a, b, ALL), ALL)
        assert inspect_schema(conn) == canonicalize(a, conn)
        assert _next(conn) == 501
