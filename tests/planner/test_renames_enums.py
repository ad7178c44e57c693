"""Declared renames (never drop + add), enums done fully, consent, determinism."""

from __future__ import annotations

import re

import psycopg
import pytest
from hypothesis import given, settings

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import RefusedError
from pgwarden.introspect import inspect_schema
from pgwarden.planner import PlanOptions, plan
from pgwarden.planner import ops as o
from pgwarden.render.preflight import preflight
from pgwarden.render.sql import render_plan
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.planner.derive import evolved_pairs
from tests.planner.helpers import apply_plan, create
from tests.strategies import schema_pairs

OLD = """
[enums.Plan]
values = ["FREE", "PREMIUM", "GONE"]

[tables.Cluster]
comment = "clusters"
[tables.Cluster.columns]
id    = { type = "integer", primary_key = true }
owner = { type = "text", comment = "who" }
plan  = { type = "Plan", default = "FREE" }
[[tables.Cluster.indexes]]
columns = ["owner"]
"""

NEW = """
[enums.SubscriptionPlan]
renamed_from = "Plan"
values = ["FREE", "STARTER", { name = "PRO", renamed_from = "PREMIUM" }, "GONE", "BUSINESS"]

[tables.K8sClusterConfig]
renamed_from = "Cluster"
comment = "clusters"
[tables.K8sClusterConfig.columns]
id         = { type = "integer", primary_key = true }
authUserId = { type = "text", renamed_from = "owner", comment = "who" }
plan       = { type = "SubscriptionPlan", default = "FREE" }
[[tables.K8sClusterConfig.indexes]]
columns = ["authUserId"]
"""


def test_renames_are_renames() -> None:
    up = plan(load_schema_text(OLD), load_schema_text(NEW))
    kinds = {type(op) for op in up}
    assert not kinds & {o.DropTable, o.DropColumn, o.DropEnum, o.RecreateEnum, o.DropIndex}
    assert [op.description for op in up] == [
        'rename enum "Plan" to "SubscriptionPlan"',
        "rename value 'PREMIUM' of enum \"SubscriptionPlan\" to 'PRO'",
        'rename table "Cluster" to "K8sClusterConfig"',
        'rename column "K8sClusterConfig"."owner" to "authUserId"',
        'rename constraint "Cluster_pkey" of "K8sClusterConfig" to "K8sClusterConfig_pkey"',
        'rename index "Cluster_owner_idx" to "K8sClusterConfig_authUserId_idx"',
        "add value 'STARTER' to enum \"SubscriptionPlan\" after 'FREE'",
        "add value 'BUSINESS' to enum \"SubscriptionPlan\" after 'GONE'",
    ]


def test_renames_keep_the_data_and_reverse(database_url: str) -> None:
    old, new = load_schema_text(OLD), load_schema_text(NEW)
    up = plan(old, new)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, old)
        conn.execute("""INSERT INTO "Cluster" VALUES (1, 'u1', 'PREMIUM'), (2, 'u2', 'FREE')""")
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(new, conn)
        rows = conn.execute(
            """SELECT id, "authUserId", plan::text FROM "K8sClusterConfig" ORDER BY id"""
        ).fetchall()
        assert rows == [(1, "u1", "PRO"), (2, "u2", "FREE")]
        labels = conn.execute(
            "SELECT array_agg(enumlabel ORDER BY enumsortorder)::text[] FROM pg_enum"
        ).fetchone()
        assert labels == (["FREE", "STARTER", "PRO", "GONE", "BUSINESS"],)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(old, conn)
        rows = conn.execute(
            """SELECT id, owner, plan::text FROM "Cluster" ORDER BY id"""
        ).fetchall()
        assert rows == [(1, "u1", "PREMIUM"), (2, "u2", "FREE")]


def test_swapped_names_go_through_a_temporary_name() -> None:
    a = load_schema_text('[tables.T.columns]\nx = { type = "integer" }\ny = { type = "text" }\n')
    b = load_schema_text(
        "[tables.T.columns]\n"
        'y = { type = "integer", renamed_from = "x" }\nx = { type = "text", renamed_from = "y" }\n'
    )
    sql = [s.sql for s in render_plan(plan(a, b))]
    assert sql[::2] == [
        'ALTER TABLE "T" RENAME COLUMN "x" TO "x__pgwarden_tmp"',
        'ALTER TABLE "T" RENAME COLUMN "y" TO "x"',
        'ALTER TABLE "T" RENAME COLUMN "x__pgwarden_tmp" TO "y"',
    ]
    # each NOT NULL constraint PostgreSQL 18 named after the column goes along
    renamed = [re.findall(r"VALUES \(''(\w+)'', ''(\w+)''\)", s) for s in sql[1::2]]
    assert renamed == [
        [("T_x_not_null", "T_x__pgwarden_tmp_not_null")],
        [("T_y_not_null", "T_x_not_null")],
        [("T_x__pgwarden_tmp_not_null", "T_y_not_null")],
    ]


def test_removing_an_enum_value_recreates_the_type_after_a_preflight(database_url: str) -> None:
    old = load_schema_text(OLD)
    new = load_schema_text(OLD.replace(', "GONE"]', "]"))
    with pytest.raises(RefusedError) as err:
        plan(old, new)
    assert "enum Plan: value(s) 'GONE' removed (used by Cluster.plan)" in str(err.value)
    up = plan(old, new, PlanOptions(acknowledged=("Plan.GONE",)))
    (recreate,) = [op for op in up if isinstance(op, o.RecreateEnum)]
    check = preflight(recreate)
    assert check is not None
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, old)
        conn.execute("""INSERT INTO "Cluster" VALUES (1, 'u1', 'GONE'), (2, 'u2', 'FREE')""")
        row = conn.execute(check.sql).fetchone()
        assert row == (1, ["Cluster.plan=GONE"])
        conn.execute("""UPDATE "Cluster" SET plan = 'PREMIUM' WHERE plan = 'GONE'""")
        assert conn.execute(check.sql).fetchone() == (0, None)
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(new, conn)
        rows = conn.execute("""SELECT plan::text FROM "Cluster" ORDER BY id""").fetchall()
        assert rows == [("PREMIUM",), ("FREE",)]
        # down puts the value back (in its place)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(old, conn)


def test_enum_value_inserted_before_the_first() -> None:
    old = load_schema_text('[enums.E]\nvalues = ["B", "C"]\n')
    new = load_schema_text('[enums.E]\nvalues = ["A", "B", "C"]\n')
    (step,) = render_plan(plan(old, new))
    assert step.sql == "ALTER TYPE \"E\" ADD VALUE 'A' BEFORE 'B'"
    assert not step.atomic


def test_destructive_refusal_names_every_loss() -> None:
    old = load_schema_text(
        '[tables.Keep.columns]\nid = { type = "integer" }\n'
        'code = { type = "varchar(20)" }\nlegacy = { type = "text", nullable = true }\n'
        '[tables.Old.columns]\nid = { type = "integer" }\n'
    )
    new = load_schema_text(
        '[tables.Keep.columns]\nid = { type = "integer" }\ncode = { type = "varchar(5)" }\n'
    )
    with pytest.raises(RefusedError) as err:
        plan(old, new)
    message = str(err.value)
    assert "refusing 3 destructive changes" in message
    assert "table Old and all its rows (id integer)" in message
    assert "column Keep.legacy (text)" in message
    assert "column Keep.code: varchar(20) narrowed to varchar(5)" in message
    assert "--allow-destructive" in message
    assert err.value.exit_code == 1
    # consent by flag, or item by item
    assert plan(old, new, PlanOptions(allow_destructive=True))
    assert plan(old, new, PlanOptions(acknowledged=("Old", "Keep.legacy", "Keep.code")))
    with pytest.raises(RefusedError):
        plan(old, new, PlanOptions(acknowledged=("Old", "Keep.legacy")))


def test_widening_is_not_destructive() -> None:
    old = load_schema_text(
        '[tables.T.columns]\na = { type = "varchar(5)" }\nb = { type = "integer" }\n'
    )
    new = load_schema_text(
        '[tables.T.columns]\na = { type = "varchar(50)" }\nb = { type = "bigint" }\n'
    )
    up = plan(old, new)
    assert [type(op) for op in up] == [o.AlterColumnType, o.AlterColumnType]
    assert up[0].hazards == frozenset()  # varchar widening is catalog-only
    assert up[1].hazards == {"rewrites_table", "long_lock"}


@settings(max_examples=40)
@given(pair=schema_pairs())
def test_plans_are_deterministic(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    opts = PlanOptions(allow_destructive=True)
    first = render_plan(plan(a, b, opts))
    assert render_plan(plan(a, b, opts)) == first
    assert not plan(a, a, opts) and not plan(b, b, opts)


def test_recreate_keeps_the_comment_both_ways(database_url: str) -> None:
    old = load_schema_text('[enums.E]\nvalues = ["a", "b", "c"]\ncomment = "old"\n')
    new = load_schema_text('[enums.E]\nvalues = ["c", "a"]\ncomment = "new"\n')
    up = plan(old, new, PlanOptions(allow_destructive=True))
    assert [type(op) for op in up] == [o.RecreateEnum, o.SetComment]
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, old)
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(new, conn)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(old, conn)


@settings(max_examples=60)
@given(pair=schema_pairs() | evolved_pairs())
def test_consent_refuses_exactly_the_destructive_ops(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    full = plan(a, b, PlanOptions(allow_destructive=True))
    losses = [op.loss() or op.description for op in full if op.destructive]
    if not losses:
        assert plan(a, b) == full
        return
    with pytest.raises(RefusedError) as err:
        plan(a, b)
    message = str(err.value)
    assert f"refusing {len(losses)} destructive change" in message
    assert all(loss in message for loss in losses)


def test_a_tenant_policy_follows_its_table_rename(database_url: str) -> None:
    body = '[tables.{t}.columns]\nid = {{ type = "integer", primary_key = true }}\n'
    body += 'owner = {{ type = "text" }}\n'
    old = load_schema_text(
        '[tables.Cluster]\ntenant = { column = "owner", setting = "app.user_id" }\n'
        + body.format(t="Cluster")
    )
    new = load_schema_text(
        '[tables.Fleet]\nrenamed_from = "Cluster"\n'
        'tenant = { column = "owner", setting = "app.user_id" }\n' + body.format(t="Fleet")
    )
    up = plan(old, new)
    assert [op.description for op in up if isinstance(op, o.RenamePolicy)] == [
        'rename policy "Cluster_tenant" on "Fleet" to "Fleet_tenant"'
    ]
    assert not any(isinstance(op, o.DropPolicy | o.CreatePolicy) for op in up)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, old)
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(new, conn)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(old, conn)


def test_renaming_a_column_an_expression_names(database_url: str) -> None:
    old = load_schema_text(
        '[tables.T]\nsoft_delete = "deletedAt"\n[tables.T.columns]\n'
        'id = { type = "integer", primary_key = true }\nname = { type = "text" }\n'
        'deletedAt = { type = "timestamptz", nullable = true }\n'
        '[[tables.T.indexes]]\ncolumns = ["name"]\nunique = true\n'
        '[[tables.T.checks]]\nname = "named"\nexpression = \'length("name") > 0\'\n'
    )
    new = load_schema_text(
        '[tables.T]\nsoft_delete = "removedAt"\n[tables.T.columns]\n'
        'id = { type = "integer", primary_key = true }\n'
        'label = { type = "text", renamed_from = "name" }\n'
        'removedAt = { type = "timestamptz", nullable = true, renamed_from = "deletedAt" }\n'
        '[[tables.T.indexes]]\ncolumns = ["label"]\nunique = true\n'
        '[[tables.T.checks]]\nname = "named"\nexpression = \'length("label") > 0\'\n'
    )
    up = plan(old, new)
    # expressions follow the rename, so nothing is rebuilt: renames only
    assert {type(op) for op in up} == {o.RenameColumn, o.RenameIndex}
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, old)
        conn.execute("""INSERT INTO "T" VALUES (1, 'a', now()), (2, 'a', NULL)""")
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(new, conn)
        assert not plan(inspect_schema(conn), canonicalize(new, conn))
        rows = conn.execute("""SELECT label, "removedAt" IS NULL FROM "T" ORDER BY id""")
        assert rows.fetchall() == [("a", False), ("a", True)]
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(old, conn)


def test_a_default_follows_its_renamed_enum_value(database_url: str) -> None:
    old = load_schema_text(OLD.replace('default = "FREE"', 'default = "PREMIUM"'))
    new = load_schema_text(NEW.replace('default = "FREE"', 'default = "PRO"'))
    up = plan(old, new)
    assert not any(isinstance(op, o.SetDefault) for op in up)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, old)
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(new, conn)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(old, conn)


TWO_ENUMS = """
[enums.Plan]
values = ["FREE", "PRO"]
[enums.Tier]
values = ["LOW", "HIGH"]
[tables.T.columns]
id   = { type = "integer", primary_key = true }
plan = { type = "Plan", nullable = true }
tier = { type = "Tier", nullable = true }
"""


def test_renaming_one_enum_and_a_value_leaves_the_other_enum_and_its_columns() -> None:
    # A mutant of planner/rewrite.py survived the mutmut run: renaming every non-builtin
    # column type along with the enum (here: tier would become Billing and be "changed").
    target = (
        TWO_ENUMS.replace("[enums.Plan]", '[enums.Billing]\nrenamed_from = "Plan"')
        .replace('["FREE", "PRO"]', '["FREE", { name = "PREMIUM", renamed_from = "PRO" }]')
        .replace('type = "Plan"', 'type = "Billing"')
    )
    up = plan(load_schema_text(TWO_ENUMS), load_schema_text(target))
    assert [op.description for op in up] == [
        'rename enum "Plan" to "Billing"',
        "rename value 'PRO' of enum \"Billing\" to 'PREMIUM'",
    ]
