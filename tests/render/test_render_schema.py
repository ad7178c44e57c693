"""render_schema against a real server: the DDL creates what the model says."""

from __future__ import annotations

from typing import Any

import pglast
import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import inspect_schema
from pgwarden.planner import plan
from pgwarden.render.sql import render_schema, render_statements
from pgwarden.spec.model import Schema
from tests.render.samples import basefly, hostile


def _apply(url: str, ddl: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    with conn.transaction():
        conn.execute(ddl)  # rendered DDL: the unit under test
    return conn


@pytest.mark.parametrize("make", [basefly, hostile])
def test_round_trip_through_the_catalog(database_url: str, make: Any) -> None:
    schema = make()
    with _apply(database_url, render_schema(schema)) as conn:
        assert inspect_schema(conn) == canonicalize(schema, conn)


@pytest.mark.parametrize("make", [basefly, hostile])
def test_deterministic_and_equal_to_the_plan_from_empty(make: Any) -> None:
    schema = make()
    first = render_schema(schema)
    assert first == render_schema(make())
    assert first == render_statements(plan(Schema(), schema)).rstrip("\n") + "\n"
    # reordered input renders the same bytes (the model's canonical order)
    shuffled = Schema(tables=tuple(reversed(schema.tables)), enums=tuple(reversed(schema.enums)))
    assert render_schema(shuffled) == first


@pytest.mark.parametrize("make", [basefly, hostile])
def test_every_statement_parses_with_postgres_parser(make: Any) -> None:
    stmts = pglast.parse_sql(render_schema(make()))
    kinds = {type(s.stmt).__name__ for s in stmts}
    assert {"CreateEnumStmt", "CreateStmt", "IndexStmt", "AlterTableStmt"} <= kinds


def test_hostile_identifiers_are_quoted(database_url: str) -> None:
    ddl = render_schema(hostile())
    assert 'CREATE TABLE "Tä""ble one"' in ddl
    assert "'hap''py'" in ddl
    with _apply(database_url, ddl) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'r' ORDER BY relname"
        ).fetchall()
        assert [r[0] for r in rows] == ['Tä"ble one', "naïve table"]
        labels = conn.execute(
            "SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum"
        ).fetchone()
        assert labels is not None and labels[0] == ["hap'py", "sad ☹", 'q"uote']
        comment = conn.execute('SELECT col_description(\'"Tä""ble one"\'::regclass, 2)').fetchone()
        assert comment == ("it's",)


def test_basefly_rules_hold_in_sql(database_url: str) -> None:
    with _apply(database_url, render_schema(basefly())) as conn:
        conn.execute("INSERT INTO \"User\" (id) VALUES ('u1')")
        conn.execute("""INSERT INTO "Customer" ("authUserId") VALUES ('u1')""")
        # PostgreSQL 18 reports RESTRICT as 23001; older servers as 23503
        with pytest.raises(
            (psycopg.errors.RestrictViolation, psycopg.errors.ForeignKeyViolation)
        ) as refused:
            conn.execute("DELETE FROM \"User\" WHERE id = 'u1'")
        assert refused.value.diag.constraint_name == "Customer_authUserId_fkey"
        ins = """INSERT INTO "K8sClusterConfig" (name, "authUserId", "deletedAt")
                 VALUES (%s, 'u1', %s)"""
        conn.execute(ins, ("a", None))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(ins, ("b", None))
        conn.execute("""UPDATE "K8sClusterConfig" SET "deletedAt" = now()""")
        conn.execute(ins, ("c", None))


def test_on_update_trigger_stamps_unless_the_app_sets_it(database_url: str) -> None:
    with _apply(database_url, render_schema(basefly())) as conn:
        conn.execute("INSERT INTO \"User\" (id) VALUES ('u1')")
        conn.execute(
            """INSERT INTO "Customer" ("authUserId", "updatedAt")
               VALUES ('u1', '2000-01-01')"""
        )
        conn.execute("""UPDATE "Customer" SET "stripeCustomerId" = 's1'""")
        row = conn.execute("""SELECT "updatedAt" > '2020-01-01' FROM "Customer" """).fetchone()
        assert row == (True,)
        conn.execute("""UPDATE "Customer" SET "updatedAt" = '2001-01-01'""")
        row = conn.execute("""SELECT "updatedAt"::date::text FROM "Customer" """).fetchone()
        assert row == ("2001-01-01",)


def test_rls_policy_filters_rows(database_url: str) -> None:
    with _apply(database_url, render_schema(basefly())) as conn:
        conn.execute("CREATE ROLE pgw_app_role")
        try:
            conn.execute("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO pgw_app_role")
            conn.execute("INSERT INTO \"User\" (id) VALUES ('u1'), ('u2')")
            conn.execute(
                """INSERT INTO "K8sClusterConfig" (name, "authUserId")
                   VALUES ('a', 'u1'), ('b', 'u2')"""
            )
            with conn.transaction():
                conn.execute("SET LOCAL ROLE pgw_app_role")
                conn.execute("SELECT set_config('app.user_id', 'u2', true)")
                rows = conn.execute('SELECT name FROM "K8sClusterConfig"').fetchall()
            assert rows == [("b",)]
        finally:
            conn.execute("DROP OWNED BY pgw_app_role")
            conn.execute("DROP ROLE pgw_app_role")
