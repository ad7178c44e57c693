"""schema_diff names each difference object by object."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.spec.model import (
    Column,
    ColumnType,
    Enum,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Source,
    Table,
)
from tests.introspect.ddl import render

T = ColumnType


def _spec() -> Schema:
    return Schema(
        tables=(
            Table(
                "Customer",
                columns=(
                    Column("id", T("integer"), identity="by default"),
                    Column("plan", T("Plan"), nullable=True, default="'FREE'"),
                    Column("name", T("text")),
                ),
                primary_key=PrimaryKey("Customer_pkey", ("id",)),
                indexes=(Index("Customer_name_idx", (IndexElement(column="name"),)),),
            ),
        ),
        enums=(Enum("Plan", ("FREE", "PRO")),),
    )


def test_equal_schemas_have_no_differences() -> None:
    spec = _spec()
    # intent-only fields never make a difference
    moved = replace(spec, sources=("x.toml",))
    table = replace(spec.tables[0], soft_delete="deletedAt", source=Source("a.toml", "t", 3))
    assert schema_diff(spec, replace(moved, tables=(table,))) == []


def test_drift_in_a_live_database_is_listed_object_by_object(database_url: str) -> None:
    spec = _spec()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render(spec))  # type: ignore[arg-type]
        conn.execute("ALTER TABLE \"Customer\" ALTER COLUMN plan SET DEFAULT 'PRO'")
        conn.execute('ALTER TABLE "Customer" ALTER COLUMN name DROP NOT NULL')
        conn.execute('ALTER TABLE "Customer" ADD COLUMN extra integer')
        conn.execute('DROP INDEX "Customer_name_idx"')
        conn.execute('CREATE INDEX "Customer_name_idx" ON "Customer" (name DESC)')
        conn.execute("ALTER TYPE \"Plan\" ADD VALUE 'BUSINESS'")
        conn.execute("CREATE TABLE other (id integer)")
        db = inspect_schema(conn)
        expected = canonicalize(spec, conn, render=render)
    lines = format_diff(schema_diff(expected, db)).splitlines()
    assert lines == [
        "enum Plan: values: spec ['FREE', 'PRO'] vs database ['FREE', 'PRO', 'BUSINESS']",
        "table Customer.column plan: default: spec '\\'FREE\\'::\"Plan\"' "
        "vs database '\\'PRO\\'::\"Plan\"'",
        "table Customer.column name: nullable: spec False vs database True",
        "table Customer.column extra: only in the database",
        "table Customer.index Customer_name_idx.key 1: descending: spec False vs database True",
        "table other: only in the database",
    ]


def test_column_order_is_not_compared_missing_objects_are() -> None:
    # the column-order rule (pgwarden.planner.column_order, docs/migrations.md)
    spec = _spec()
    table = spec.tables[0]
    swapped = replace(
        table,
        columns=(table.columns[1], table.columns[0], table.columns[2]),
        primary_key=PrimaryKey("other_pkey", ("id",)),
        indexes=(),
    )
    diffs = schema_diff(spec, replace(spec, tables=(swapped,), enums=()))
    assert [str(d) for d in diffs] == [
        "enum Plan: only in the spec",
        "table Customer.primary key: name: spec 'Customer_pkey' vs database 'other_pkey'",
        "table Customer.index Customer_name_idx: only in the spec",
    ]
