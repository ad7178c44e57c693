"""Apply plans to a real database the way a runner would (one step at a time)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from pgwarden.introspect import inspect_schema
from pgwarden.planner import Plan, PlanOptions
from pgwarden.render.preflight import preflight, preflights
from pgwarden.render.sql import render_plan, render_schema
from pgwarden.spec.model import Column, Schema, Table
from pgwarden.spec.names import split_name


def apply_plan(
    conn: psycopg.Connection[Any],
    plan: Plan,
    options: PlanOptions | None = None,
    *,
    make_room: bool = False,
) -> bool:
    """Run every step in autocommit: its SET statements, then the statement.

    ``make_room``: before an op whose preflight is only valid at its own step
    (it names something the plan creates or renames), run it, and empty the
    tables when it finds rows that would break the op. Returns whether it did.
    """
    emptied = False
    for op in plan:
        query = preflight(op)
        if query is not None and not query.upfront:
            # a deferred check must be valid right before its op, as the runner runs it
            try:
                row = conn.execute(query.sql).fetchone()  # planner's preflight SQL
            except psycopg.Error as exc:
                raise AssertionError(f"deferred preflight failed: {query.sql}\n{exc}") from exc
            if make_room and row is not None and row[0]:
                truncate_all(conn, inspect_schema(conn, also=_user_namespaces(conn)))
                emptied = True
        for step in render_plan(Plan((op,)), options):
            for setting in step.settings:
                conn.execute(setting)  # rendered SET: unit under test
            try:
                conn.execute(step.sql)  # rendered step: unit under test
            except psycopg.Error as exc:
                raise AssertionError(f"step failed: {step.description}\n{step.sql}\n{exc}") from exc
    return emptied


def _user_namespaces(conn: psycopg.Connection[Any]) -> list[str]:
    """Every namespace but the system's (a second namespace's tables are emptied too)."""
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
        "AND nspname <> 'information_schema' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _values(schema: Schema, enum: str) -> tuple[str, ...] | None:
    e = schema.enum(enum)
    return e.values if e else None


def untouched_rows(conn: psycopg.Connection[Any], a: Schema, b: Schema) -> dict[str, list[str]]:
    """Per table kept as is (same name), the sorted text of the columns both schemas
    have unchanged: what a plan must not alter."""
    out: dict[str, list[str]] = {}
    for t in a.tables:
        tb = b.table(t.name)
        if tb is None or tb.renamed_from is not None:
            continue
        if {p.name for p in t.partitions} - {p.name for p in tb.partitions}:
            continue  # a dropped partition takes its rows with it
        cols = [
            c.name
            for c in t.columns
            if (cb := tb.column(c.name))
            and cb.type == c.type
            # a renamed enum value changes the text of the rows holding it
            and (c.type.is_builtin or _values(a, c.type.name) == _values(b, c.type.name))
        ]
        if not cols:
            continue
        rows = conn.execute(
            sql.SQL("SELECT ROW({})::text AS r FROM {} ORDER BY 1").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in cols),
                sql.Identifier(*split_name(t.name)),
            )
        ).fetchall()
        out[t.name] = [r[0] for r in rows]
    return out


def create(conn: psycopg.Connection[Any], schema: Schema) -> None:
    with conn.transaction():
        conn.execute(render_schema(schema))  # rendered DDL


_SAMPLE: dict[str, str] = {
    "boolean": "true",
    "uuid": "gen_random_uuid()",
    "date": "'2024-01-0{n}'",
    "time": "'12:00:0{n}'",
    "timetz": "'12:00:0{n}+00'",
    "timestamp": "'2024-01-0{n} 12:00'",
    "timestamptz": "'2024-01-0{n} 12:00+00'",
    "interval": "'{n} days'",
    "json": "'{{}}'",
    "jsonb": "'{{\"n\": {n}}}'",
    "bytea": "'\\x0{n}'",
    "inet": "'10.0.0.{n}'",
    "cidr": "'10.{n}.0.0/16'",
}


def _sample(schema: Schema, column: Column, n: int) -> sql.Composable | None:
    t = column.type
    if t.array:
        return sql.SQL("'{}'")
    if not t.is_builtin:
        enum = schema.enum(t.name)
        return sql.Literal(enum.values[n % len(enum.values)]) if enum and enum.values else None
    if t.name in {"text", "varchar", "char", "citext"}:
        return sql.Literal(f"v{n}"[: t.modifiers[0]] if t.modifiers else f"v{n}")
    if t.name in {"smallint", "integer", "bigint", "numeric", "real", "double precision"}:
        return sql.Literal(n)
    text = _SAMPLE.get(t.name)
    return sql.SQL(text.format(n=n)) if text else None


def seed_rows(conn: psycopg.Connection[Any], schema: Schema, per_table: int = 3) -> int:
    """Insert a few rows per table; rows the schema rejects (a key clash, an FK, a
    check) are skipped, and a row is retried with its nullable columns NULL (FKs
    to rows that do not exist). Returns how many went in."""
    inserted = 0
    for _round in range(2):  # a second round finds the parents the first one made
        for t in schema.tables:
            for n in range(1, per_table + 1):
                for null_optional in (False, True):
                    if _insert(conn, schema, t, n + 10 * _round, null_optional):
                        inserted += 1
                        break
    return inserted


def _insert(
    conn: psycopg.Connection[Any], schema: Schema, t: Table, n: int, null_optional: bool
) -> bool:
    cols = [
        c
        for c in t.columns
        if c.generated is None
        and c.identity is None
        and (c.default is None or n % 2)
        and not (null_optional and c.nullable)
    ]
    values = [_sample(schema, c, n) for c in cols]
    if any(v is None for v in values):
        return False
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(*split_name(t.name)),
        sql.SQL(", ").join(sql.Identifier(c.name) for c in cols),
        sql.SQL(", ").join(v for v in values if v is not None),
    )
    if not cols:
        query = sql.SQL("INSERT INTO {} DEFAULT VALUES").format(sql.Identifier(*split_name(t.name)))
    try:
        with conn.transaction():
            conn.execute(query)
    except psycopg.Error:
        return False
    return True


def preflight_violations(conn: psycopg.Connection[Any], plan: Plan) -> int:
    """Violations found by the checks that are valid before the first step."""
    total = 0
    for check in preflights(plan):
        if not check.upfront:
            continue
        row = conn.execute(check.sql).fetchone()  # planner's preflight SQL
        assert row is not None
        total += int(row[0])
    return total


def truncate_all(conn: psycopg.Connection[Any], schema: Schema) -> None:
    if schema.tables:
        conn.execute(
            sql.SQL("TRUNCATE {} CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(*split_name(t.name)) for t in schema.tables)
            )
        )
