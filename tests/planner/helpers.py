"""Apply plans to a real database the way a runner would (one step at a time)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from pgwarden.planner import Plan, PlanOptions
from pgwarden.render.sql import render_plan, render_schema
from pgwarden.spec.model import Schema


def apply_plan(
    conn: psycopg.Connection[Any], plan: Plan, options: PlanOptions | None = None
) -> None:
    """Run every step in autocommit: its SET statements, then the statement."""
    for step in render_plan(plan, options):
        for setting in step.settings:
            conn.execute(setting)  # rendered SET: unit under test
        try:
            conn.execute(step.sql)  # rendered step: unit under test
        except psycopg.Error as exc:
            raise AssertionError(f"step failed: {step.description}\n{step.sql}\n{exc}") from exc


def create(conn: psycopg.Connection[Any], schema: Schema) -> None:
    with conn.transaction():
        conn.execute(render_schema(schema))  # rendered DDL


def seed_rows(conn: psycopg.Connection[Any], schema: Schema, per_table: int = 2) -> int:
    """Insert rows made of defaults where the table allows it; returns how many went in."""
    inserted = 0
    for t in schema.tables:
        for _ in range(per_table):
            try:
                with conn.transaction():
                    conn.execute(
                        sql.SQL("INSERT INTO {} DEFAULT VALUES").format(sql.Identifier(t.name))
                    )
                inserted += 1
            except psycopg.Error:
                break
    return inserted


def preflight_violations(conn: psycopg.Connection[Any], plan: Plan) -> int:
    total = 0
    for check in plan.preflights():
        row = conn.execute(check.sql).fetchone()  # planner's preflight SQL
        assert row is not None
        total += int(row[0])
    return total


def truncate_all(conn: psycopg.Connection[Any], schema: Schema) -> None:
    if schema.tables:
        conn.execute(
            sql.SQL("TRUNCATE {} CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(t.name) for t in schema.tables)
            )
        )
