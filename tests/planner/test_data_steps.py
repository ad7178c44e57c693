"""Data steps: the seed's own history, saasfly's ``delete`` flag -> ``deletedAt``."""

from __future__ import annotations

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import RefusedError
from pgwarden.introspect import inspect_schema
from pgwarden.planner import ops as o
from pgwarden.planner import plan
from pgwarden.render.sql import render_plan
from pgwarden.spec.load import load_schema_text
from tests.planner.helpers import apply_plan, create

SAASFLY = """
[tables.K8sClusterConfig.columns]
id     = { type = "integer", identity = "by default", primary_key = true }
name   = { type = "text" }
# going back down, the flag is rebuilt from the timestamp
delete = { type = "boolean", default = false, backfill = '"deletedAt" IS NOT NULL' }
"""

BLUEPRINT = """
[schema]
acknowledge_loss = ["K8sClusterConfig.delete"]

[tables.K8sClusterConfig.columns]
id        = { type = "integer", identity = "by default", primary_key = true }
name      = { type = "text" }

[tables.K8sClusterConfig.columns.deletedAt]
type = "timestamp(3)"
nullable = true
backfill = 'CASE WHEN "delete" THEN now() END'
"""


def test_the_plan_adds_fills_then_drops() -> None:
    up = plan(load_schema_text(SAASFLY), load_schema_text(BLUEPRINT))
    kinds = [type(op) for op in up]
    assert kinds == [o.AddColumn, o.Backfill, o.DropColumn]
    sql = [s.sql for s in render_plan(up)]
    assert sql == [
        'ALTER TABLE "K8sClusterConfig" ADD COLUMN "deletedAt" timestamp(3) without time zone',
        'UPDATE "K8sClusterConfig" SET "deletedAt" = (CASE WHEN delete THEN now() END)',
        'ALTER TABLE "K8sClusterConfig" DROP COLUMN "delete"',
    ]
    assert up[1].hazards == {"data_step"}


def test_dropping_the_flag_needs_consent() -> None:
    unacknowledged = BLUEPRINT.replace('acknowledge_loss = ["K8sClusterConfig.delete"]', "")
    with pytest.raises(RefusedError) as err:
        plan(load_schema_text(SAASFLY), load_schema_text(unacknowledged))
    assert "column K8sClusterConfig.delete (boolean)" in str(err.value)


def test_backfill_is_right_row_by_row_and_down_restores_the_flag(database_url: str) -> None:
    saasfly, blueprint = load_schema_text(SAASFLY), load_schema_text(BLUEPRINT)
    up = plan(saasfly, blueprint)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, saasfly)
        conn.execute(
            """INSERT INTO "K8sClusterConfig" (name, delete)
               SELECT 'c' || g, g % 3 = 0 FROM generate_series(1, 30) g"""
        )
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(blueprint, conn)
        rows = conn.execute(
            """SELECT name, "deletedAt" IS NOT NULL FROM "K8sClusterConfig" ORDER BY id"""
        ).fetchall()
        assert rows == [(f"c{g}", g % 3 == 0) for g in range(1, 31)]

        down = up.reverse()
        assert [type(op) for op in down] == [
            o.AddColumn,
            o.Backfill,
            o.SetNotNull,
            o.DropColumn,
        ]
        apply_plan(conn, down)
        assert inspect_schema(conn) == canonicalize(saasfly, conn)
        rows = conn.execute(
            """SELECT name, delete FROM "K8sClusterConfig" ORDER BY id"""
        ).fetchall()
        assert rows == [(f"c{g}", g % 3 == 0) for g in range(1, 31)]


def test_a_not_null_column_with_backfill_is_added_nullable_filled_then_constrained(
    database_url: str,
) -> None:
    a = load_schema_text('[tables.T.columns]\nid = { type = "integer", primary_key = true }\n')
    b = load_schema_text(
        '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n'
        "twice = { type = \"integer\", backfill = 'id * 2' }\n"
    )
    up = plan(a, b)
    assert [type(op) for op in up] == [o.AddColumn, o.Backfill, o.SetNotNull]
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute('INSERT INTO "T" SELECT generate_series(1, 10)')
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(b, conn)
        row = conn.execute('SELECT bool_and(twice = id * 2) FROM "T"').fetchone()
        assert row == (True,)
