"""Citus rendering: golden SQL for the Basefly worked example (created from empty, and
an existing Basefly distributed in place), the fallbacks, and sequential mode."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from pglast import parse_sql

from pgwarden.planner import plan
from pgwarden.planner.citus import DistributeTable, Sequential
from pgwarden.render.sql import render_plan, render_schema
from pgwarden.spec.citus import local_only
from pgwarden.spec.load import load_schema, load_schema_text
from pgwarden.spec.model import Schema

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "basefly_citus"
#: Set to rewrite the golden files after a reviewed change of the rendering.
REGENERATE = os.environ.get("PGWARDEN_REGENERATE_GOLDEN") == "1"


def golden(name: str, text: str) -> None:
    path = EXAMPLE / name
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} differs (review, then regenerate)"
    for statement in text.split(";\n"):
        if statement.strip() and not statement.strip().startswith("--"):
            parse_sql(statement)  # every statement is SQL Postgres's parser reads


def steps_text(current: Schema, target: Schema) -> str:
    out = []
    for step in render_plan(plan(current, target)):
        mode = "atomic" if step.atomic else "outside a transaction"
        out.append(f"-- {step.description} [{mode}]\n{step.sql};\n")
    return "\n".join(out)


def test_created_from_empty() -> None:
    ddl = render_schema(load_schema(EXAMPLE))
    golden("create.sql", ddl)
    # new tables are empty: the blocking form, inside the transaction of CREATE TABLE
    assert "create_distributed_table_concurrently" not in ddl
    assert ddl.index("create_reference_table") < ddl.index("create_distributed_table")
    # foreign keys after every placement
    assert ddl.rindex("create_distributed_table") < ddl.index("FOREIGN KEY")


def test_existing_basefly_distributed_in_place() -> None:
    spec = load_schema(EXAMPLE)
    text = steps_text(local_only(spec), spec)
    golden("distribute.sql", text)
    assert text.count("create_distributed_table_concurrently") == 3
    assert "[outside a transaction]\nSELECT create_distributed_table_concurrently" in text
    # keys to and from the placed tables: dropped first, re-added NOT VALID, validated
    first_call = text.index("SELECT create_reference_table")
    assert text.index('DROP CONSTRAINT "Account_userId_fkey"') < first_call
    assert text.index('ADD CONSTRAINT "Account_userId_fkey"') > text.rindex("_concurrently(")
    assert 'VALIDATE CONSTRAINT "Account_userId_fkey"' in text


def test_down_undistributes() -> None:
    spec = load_schema(EXAMPLE)
    down = render_plan(plan(local_only(spec), spec).reverse())
    calls = [s.sql for s in down if "undistribute_table" in s.sql]
    assert calls == [
        "SELECT undistribute_table('\"K8sClusterConfig\"'::regclass)",
        "SELECT undistribute_table('\"Customer\"'::regclass)",
        "SELECT undistribute_table('\"Account\"'::regclass)",
        "SELECT undistribute_table('\"User\"'::regclass)",
    ]


def test_a_new_distributed_table_in_a_later_migration() -> None:
    spec = load_schema(EXAMPLE)
    grown = load_schema_text(
        (EXAMPLE / "basefly.toml").read_text(encoding="utf-8")
        + """
[tables.Invoice]
distribution = { column = "authUserId", colocate_with = "Customer" }
primary_key = ["authUserId", "id"]
[tables.Invoice.columns]
id = { type = "bigint" }
authUserId = { type = "text", references = { table = "User" } }
""",
        "basefly.toml",
    )
    ops = plan(spec, grown).ops
    (dist,) = [op for op in ops if isinstance(op, DistributeTable)]
    assert dist == DistributeTable("Invoice", "authUserId", "Customer", concurrently=False)
    steps = render_plan(ops)
    (call,) = [s for s in steps if "create_distributed_table" in s.sql]
    assert call.atomic  # shares the CREATE TABLE's transaction
    assert call.sql == (
        "SELECT create_distributed_table('\"Invoice\"'::regclass, 'authUserId', "
        "colocate_with => '\"Customer\"')"
    )


def test_sequential_mode_where_ddl_and_writes_mix() -> None:
    spec = load_schema(EXAMPLE)
    cluster = spec.table("K8sClusterConfig")
    session = spec.table("Session")
    assert cluster is not None and session is not None
    text = (EXAMPLE / "basefly.toml").read_text(encoding="utf-8")
    # a new NOT NULL column with a backfill on a distributed table, and a change to a
    # local one in the same migration
    grown = load_schema_text(
        text.replace(
            'deletedAt  = { type = "timestamptz(3)", nullable = true }',
            'deletedAt  = { type = "timestamptz(3)", nullable = true }\n'
            'region     = { type = "text", nullable = true, backfill = "\'eu\'" }',
        ).replace(
            'expires      = { type = "timestamptz(3)" }',
            'expires      = { type = "timestamptz(3)" }\n'
            'agent        = { type = "text", nullable = true }',
        ),
        "basefly.toml",
    )
    ops = plan(spec, grown).ops
    wrapped = [op.inner.description for op in ops if isinstance(op, Sequential)]
    assert any("backfill" in d and "K8sClusterConfig" in d for d in wrapped), wrapped
    assert any("add column" in d and "K8sClusterConfig" in d for d in wrapped), wrapped
    assert not any("Session" in d for d in wrapped)  # a local table is not wrapped
    steps = render_plan(ops)
    sets = [s for s in steps if s.sql.startswith("SET LOCAL citus.multi_shard_modify_mode")]
    assert sets and all(s.atomic for s in sets)
    # the down migration keeps the SET before the op it guards
    down = [s.sql for s in render_plan(plan(spec, grown).reverse())]
    drop = next(i for i, s in enumerate(down) if 'DROP COLUMN "region"' in s)
    assert down[drop - 1] == "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"


def test_no_citus_no_change() -> None:
    spec = local_only(load_schema(EXAMPLE))
    assert "create_" not in render_schema(spec).replace("CREATE", "")
    assert replace(spec, name="public") == spec


def test_snapshots_keep_the_placement() -> None:
    # migrate new plans from snapshot.toml (a dump): the markers must survive it
    from pgwarden.spec.dump import dump_schema

    spec = load_schema(EXAMPLE)
    again = load_schema_text(dump_schema(spec), "snapshot.toml")
    assert [(t.name, t.distribution, t.reference) for t in again.tables] == [
        (t.name, t.distribution, t.reference) for t in spec.tables
    ]
    assert plan(spec, again).ops == ()


def test_the_example_round_trips_on_plain_postgres(pg_server: str) -> None:
    from pgwarden.cli.inspect_cmds import roundtrip_schema

    differences, _actual = roundtrip_schema(load_schema(EXAMPLE), pg_server)
    assert differences == []
