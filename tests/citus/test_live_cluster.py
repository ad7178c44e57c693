"""Against a live Citus cluster: runs only when CITUS_DATABASE_URL is set (a coordinator
with workers, citus.shard_replication_factor = 1). Citus cannot be installed on the
machines this project is built on, so the rendering is untested against a live cluster
unless someone points this test at one (docs/scale-out.md says so)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgwarden.planner import plan
from pgwarden.render.sql import render_plan, render_schema
from pgwarden.spec.citus import local_only
from pgwarden.spec.load import load_schema

CITUS_URL = os.environ.get("CITUS_DATABASE_URL")
EXAMPLE = Path(__file__).parents[1] / "fixtures" / "basefly_citus"

pytestmark = pytest.mark.skipif(
    not CITUS_URL,
    reason="CITUS_DATABASE_URL is not set: no Citus cluster here (the Citus rendering is "
    "checked by golden SQL only; see docs/scale-out.md)",
)


@pytest.fixture
def citus() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    assert CITUS_URL is not None
    namespace = f"pgw_citus_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(CITUS_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(namespace)))
        conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(namespace)))
        try:
            yield conn
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(namespace)))


def placements(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, str]:
    rows = conn.execute(
        "SELECT c.relname, p.partmethod FROM pg_dist_partition p"
        " JOIN pg_class c ON c.oid = p.logicalrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace"
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


EXPECTED = {"User": "n", "Account": "h", "Customer": "h", "K8sClusterConfig": "h"}


def test_create_from_empty_on_citus(citus: psycopg.Connection[tuple[object, ...]]) -> None:
    with citus.transaction():
        citus.execute(render_schema(load_schema(EXAMPLE)).encode())
    assert placements(citus) == EXPECTED


def test_distribute_existing_tables_on_citus(
    citus: psycopg.Connection[tuple[object, ...]],
) -> None:
    spec = load_schema(EXAMPLE)
    with citus.transaction():
        citus.execute(render_schema(local_only(spec)).encode())
        citus.execute("""INSERT INTO "User" (id, email) VALUES ('u1', 'a@example.com')""")
        citus.execute(
            """INSERT INTO "K8sClusterConfig" (name, location, "authUserId")"""
            """ VALUES ('c', 'eu', 'u1')"""
        )
    for step in render_plan(plan(local_only(spec), spec)):
        if step.atomic:
            with citus.transaction():
                citus.execute(step.script.encode())
        else:
            citus.execute(step.script.encode())
    assert placements(citus) == EXPECTED
    row = citus.execute("""SELECT count(*) FROM "K8sClusterConfig" WHERE "authUserId" = 'u1'""")
    assert row.fetchone() == (1,)
