"""The convergence property on a real server: plan(a, b) applied to a gives b,
a second plan is empty, and the reverse plan brings a back."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest
from hypothesis import assume, given, settings

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.model import Schema
from tests.pg import drop_namespaces, offered_extensions, reset_schema
from tests.planner.derive import evolved_pairs
from tests.planner.helpers import (
    apply_plan,
    create,
    preflight_violations,
    seed_rows,
    truncate_all,
    untouched_rows,
)
from tests.render.samples import hostile
from tests.strategies import EXTENSION_TYPES, NAMESPACES, schema_pairs

ALL = PlanOptions(allow_destructive=True)
LAST = [""]  # the last comparison, for a readable failure
SEEDED: list[int] = []  # rows inserted per example


def _any_column_order(s: Schema) -> Schema:
    """Columns sorted: Postgres appends a re-added column at the end, so a down that
    restores a dropped column cannot restore its position (documented)."""
    return replace(
        s,
        tables=tuple(
            replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name))) for t in s.tables
        ),
    )


def _pg_keeps_every_unique(s: Schema) -> bool:
    """CREATE TABLE silently drops a UNIQUE that repeats the primary key (tests.strategies
    can draw one); such a spec cannot round-trip whatever the planner does."""
    return not any(
        t.primary_key is not None and u.columns == t.primary_key.columns
        for t in s.tables
        for u in t.uniques
    )


def _converge(url: str, a: Schema, b: Schema) -> None:
    assume(_pg_keeps_every_unique(a) and _pg_keeps_every_unique(b))
    also = sorted({n.name for n in (*a.schemas, *b.schemas)})
    with psycopg.connect(url, autocommit=True) as conn:
        drop_namespaces(conn, NAMESPACES)
        reset_schema(conn)
        create(conn, a)
        SEEDED.append(seed_rows(conn, a))
        up = plan(a, b, ALL)
        if preflight_violations(conn, up):
            truncate_all(conn, a)  # the preflight said no; the empty path must still work
        before = untouched_rows(conn, a, b)
        if not apply_plan(conn, up, ALL, make_room=True):
            assert untouched_rows(conn, a, b) == before
        got = inspect_schema(conn, also=also)
        want = canonicalize(b, conn)
        LAST[0] = "up:\n" + up.describe() + "\n" + format_diff(schema_diff(want, got))
        assert got == want
        assert not plan(got, want, ALL), plan(got, want, ALL).describe()
        down = up.reverse()
        if preflight_violations(conn, down):
            truncate_all(conn, b)
        apply_plan(conn, down, ALL, make_room=True)
        back, want_a = inspect_schema(conn, also=also), canonicalize(a, conn)
        LAST[0] = "down:\n" + down.describe() + "\n" + format_diff(schema_diff(want_a, back))
        assert _any_column_order(back) == _any_column_order(want_a)


@pytest.mark.slow
def test_plan_converges_and_reverses(database_url: str) -> None:
    """Every object kind (tests.strategies ``every_kind``), extension types from the
    extensions this server offers."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        offered = offered_extensions(conn, EXTENSION_TYPES)

    @settings(max_examples=30)
    @given(pair=schema_pairs(every_kind=True, extensions=offered))
    def check(pair: tuple[Schema, Schema]) -> None:
        _converge(database_url, *pair)

    check()


@pytest.mark.slow
@settings(max_examples=30)
@given(pair=evolved_pairs())
def test_renames_keys_and_enum_edits_converge(
    database_url: str, pair: tuple[Schema, Schema]
) -> None:
    """Renames, widening, keys/FKs/checks on tables with rows, enum insert/remove,
    identity, triggers, RLS (tests/planner/derive.py)."""
    _converge(database_url, *pair)


def test_the_harness_seeds_rows(database_url: str) -> None:
    # the property is only as strong as the rows it starts from
    schema = hostile()
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, schema)
        assert seed_rows(conn, schema) >= 3
        row = conn.execute('SELECT count(*) FROM "naïve table"').fetchone()
        assert row is not None and row[0] >= 1
