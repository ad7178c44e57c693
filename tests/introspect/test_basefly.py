"""The Basefly worked example against a real server: applied, inspected back
equal, and the constraints behave as the blueprint says."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.spec.load import load_schema
from pgwarden.spec.model import Schema
from tests.introspect.ddl import apply_ddl, pipeline_render

BASEFLY = Path(__file__).resolve().parents[2] / "schema" / "basefly.toml"


@pytest.fixture
def basefly() -> Schema:
    return load_schema(BASEFLY)


@pytest.fixture
def conn(database_url: str, basefly: Schema) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as c:
        apply_ddl(c, basefly, pipeline_render)
        yield c


def test_basefly_inspects_back_equal(conn: psycopg.Connection[Any], basefly: Schema) -> None:
    db = inspect_schema(conn)
    expected = canonicalize(basefly, conn, render=pipeline_render)
    assert format_diff(schema_diff(expected, db)) == ""
    assert db == expected
    assert {t.name for t in db.tables} == {
        "User",
        "Account",
        "Session",
        "VerificationToken",
        "Customer",
        "K8sClusterConfig",
    }
    assert {e.name for e in db.enums} == {"SubscriptionPlan", "Status"}


def _user(conn: psycopg.Connection[Any], email: str) -> str:
    row = conn.execute('INSERT INTO "User" (email) VALUES (%s) RETURNING id', (email,)).fetchone()
    assert row is not None
    return str(row[0])


def test_deleting_a_user_with_a_customer_is_refused(conn: psycopg.Connection[Any]) -> None:
    user = _user(conn, "a@example.com")
    conn.execute('INSERT INTO "Customer" ("authUserId", plan) VALUES (%s, \'PRO\')', (user,))
    # PostgreSQL 15 reports ON DELETE RESTRICT as foreign_key_violation (23503),
    # 18 as restrict_violation (23001); both name the foreign key
    with pytest.raises(
        (errors.ForeignKeyViolation, errors.RestrictViolation),
        match='foreign key constraint "Customer_authUserId_fkey"',
    ):
        conn.execute('DELETE FROM "User" WHERE id = %s', (user,))
    # a user without billing rows goes, and cascades to accounts
    other = _user(conn, "b@example.com")
    conn.execute(
        'INSERT INTO "Account" ("userId", type, provider, "providerAccountId")'
        " VALUES (%s, 'oauth', 'github', '1')",
        (other,),
    )
    conn.execute('DELETE FROM "User" WHERE id = %s', (other,))
    assert conn.execute('SELECT count(*) FROM "Account"').fetchone() == (0,)


def _cluster(conn: psycopg.Connection[Any], user: str, name: str) -> int:
    row = conn.execute(
        'INSERT INTO "K8sClusterConfig" (name, location, "authUserId", plan)'
        " VALUES (%s, 'eu', %s, 'PRO') RETURNING id",
        (name, user),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_one_active_cluster_per_plan_and_user(conn: psycopg.Connection[Any]) -> None:
    user = _user(conn, "c@example.com")
    first = _cluster(conn, user, "one")
    with pytest.raises(errors.UniqueViolation):
        _cluster(conn, user, "two")
    # soft-delete the first: the same (plan, authUserId) is free again
    conn.execute('UPDATE "K8sClusterConfig" SET "deletedAt" = now() WHERE id = %s', (first,))
    _cluster(conn, user, "two")
    rows = conn.execute(
        'SELECT count(*), count("deletedAt") FROM "K8sClusterConfig" WHERE "authUserId" = %s',
        (user,),
    ).fetchone()
    assert rows == (2, 1)


@pytest.mark.parametrize("table", ["Customer", "K8sClusterConfig"])
def test_updated_at_changes_on_update(conn: psycopg.Connection[Any], table: str) -> None:
    user = _user(conn, f"{table}@example.com")
    if table == "Customer":
        conn.execute('INSERT INTO "Customer" ("authUserId") VALUES (%s)', (user,))
    else:
        _cluster(conn, user, "c")
    query = f'SELECT "createdAt", "updatedAt" FROM "{table}"'
    before = conn.execute(query).fetchone()
    assert before is not None and before[0] == before[1]
    time.sleep(0.01)  # timestamp(3): make the next now() visibly later
    conn.execute(f'UPDATE "{table}" SET name = %s', ("renamed",))
    after = conn.execute(query).fetchone()
    assert after is not None
    assert after[0] == before[0]
    assert after[1] > before[1]
