"""A synthetic schema of N tables for the benchmarks.

Each table has ten columns (identity key, enum, numeric with a CHECK, jsonb,
timestamps, a soft-delete column and two foreign keys to earlier tables,
t[(i-1)//2] and t[i//3], so FK paths are O(log N) deep), a UNIQUE constraint,
a partial unique index, an expression index and an index per foreign key.
One enum per ten tables. Deterministic for a given N. ``mutate`` derives a
target schema that changes 10% of the tables.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import psycopg
from pglast import split

from pgwarden.render.sql import render_schema
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

T = ColumnType


def table_name(i: int) -> str:
    return f"t{i:05d}"


def enum_name(k: int) -> str:
    return f"status_{k:04d}"


def _table(i: int, n_enums: int) -> Table:
    name = table_name(i)
    enum = enum_name(i % n_enums)
    cols = (
        Column("id", T("bigint"), identity="by default"),
        Column("name", T("text")),
        Column("email", T("text"), nullable=True),
        Column("status", T(enum), default=f"'a{i % n_enums}'"),
        Column("amount", T("numeric", (12, 2)), default="0"),
        Column("payload", T("jsonb"), nullable=True),
        Column("created_at", T("timestamptz"), default="now()"),
        Column("deleted_at", T("timestamptz"), nullable=True),
        Column("parent_id", T("bigint"), nullable=True),
        Column("other_id", T("bigint"), nullable=True),
    )
    fks: list[ForeignKey] = []
    indexes = [
        Index(
            f"{name}_email_key",
            (IndexElement(column="email"),),
            unique=True,
            where="deleted_at IS NULL",
        ),
        Index(f"{name}_lower_name_idx", (IndexElement(expression="lower(name)"),)),
    ]
    if i > 0:
        fks.append(
            ForeignKey(f"{name}_parent_id_fkey", ("parent_id",), table_name((i - 1) // 2), ("id",))
        )
        indexes.append(Index(f"{name}_parent_id_idx", (IndexElement(column="parent_id"),)))
        fks.append(
            ForeignKey(
                f"{name}_other_id_fkey",
                ("other_id",),
                table_name(i // 3),
                ("id",),
                on_delete="set null",
            )
        )
        indexes.append(Index(f"{name}_other_id_idx", (IndexElement(column="other_id"),)))
    return Table(
        name=name,
        columns=cols,
        primary_key=PrimaryKey(f"{name}_pkey", ("id",)),
        uniques=(UniqueConstraint(f"{name}_name_key", ("name",)),),
        foreign_keys=tuple(fks),
        checks=(CheckConstraint(f"{name}_amount_check", "amount >= 0"),),
        indexes=tuple(indexes),
    )


def synthetic_schema(n_tables: int) -> Schema:
    """``n_tables`` tables of ten columns each, linked by foreign keys."""
    n_enums = max(1, n_tables // 10)
    enums = tuple(Enum(enum_name(k), tuple(f"{c}{k}" for c in "abcd")) for k in range(n_enums))
    tables = tuple(_table(i, n_enums) for i in range(n_tables))
    return Schema(tables=tables, enums=enums).normalized()


def mutate(schema: Schema, fraction: float = 0.1) -> Schema:
    """The same schema with ``fraction`` of its tables changed, one change each,
    cycling through: add a column, drop a column, change a type, add an index,
    change a CHECK, drop a foreign key, make a column NOT NULL, add a default."""
    tables = list(schema.tables)
    step = max(1, round(1 / fraction))
    for n, i in enumerate(range(0, len(tables), step)):
        t = tables[i]
        kind = n % 8
        if kind == 0:
            t = replace(t, columns=(*t.columns, Column("note", T("text"), nullable=True)))
        elif kind == 1:
            t = replace(t, columns=tuple(c for c in t.columns if c.name != "payload"))
        elif kind == 2:
            t = replace(
                t,
                columns=tuple(
                    replace(c, type=T("numeric", (14, 2))) if c.name == "amount" else c
                    for c in t.columns
                ),
            )
        elif kind == 3:
            idx = Index(f"{t.name}_created_at_idx", (IndexElement(column="created_at"),))
            t = replace(t, indexes=(*t.indexes, idx))
        elif kind == 4:
            t = replace(t, checks=(CheckConstraint(f"{t.name}_amount_check", "amount >= 1"),))
        elif kind == 5:
            t = replace(t, foreign_keys=t.foreign_keys[1:])
        elif kind == 6:
            t = replace(
                t,
                columns=tuple(
                    replace(c, nullable=False) if c.name == "email" else c for c in t.columns
                ),
            )
        else:
            t = replace(
                t,
                columns=tuple(
                    replace(c, default="'{}'") if c.name == "payload" else c for c in t.columns
                ),
            )
        tables[i] = t
    return replace(schema, tables=tuple(tables)).normalized()


def create_schema(conn: psycopg.Connection[Any], schema: Schema, batch: int = 200) -> None:
    """Run ``render_schema(schema)`` on an autocommit connection, ``batch`` statements
    per transaction: one transaction for 1,000 tables would need more lock slots
    than the default ``max_locks_per_transaction`` gives."""
    statements = split(render_schema(schema))
    for i in range(0, len(statements), batch):
        with conn.transaction():
            for stmt in statements[i : i + batch]:
                conn.execute(stmt)


def changed_tables(a: Schema, b: Schema) -> int:
    old = {t.name: t for t in a.tables}
    return sum(1 for t in b.tables if old.get(t.name) != t)


def main(argv: list[str] | None = None) -> None:
    """Print the synthetic schema as spec TOML (needs the spec dumper) or as DDL."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tables", type=int, default=10)
    p.add_argument("--format", choices=("toml", "sql"), default="sql")
    args = p.parse_args(argv)
    schema = synthetic_schema(args.tables)
    if args.format == "toml":
        from pgwarden.spec.dump import dump_schema

        print(dump_schema(schema))
    else:
        print(render_schema(schema))


if __name__ == "__main__":
    main()
