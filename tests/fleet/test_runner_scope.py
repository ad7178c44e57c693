"""A Runner scoped to a tenant: its own namespace, history schema and advisory lock."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pgwarden.apply import files, history
from pgwarden.apply.lock import LOCK_KEY, lock_key, migration_lock
from pgwarden.apply.runner import Runner
from tests.migrations.helpers import fetch, write_migration


def test_tenant_histories_are_separate(database_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "0001_init", 'CREATE TABLE "Item" (id integer PRIMARY KEY);')
    migrations = files.load_migrations(tmp_path)
    for tenant in ("tenant_a", "tenant_b"):
        runner = Runner(database_url, migrations, schema=tenant, history_schema=f"pgw_{tenant}")
        assert [m.name for m in runner.apply()] == ["0001_init"]
        # the second tenant is not "already applied" by the first one's history
    tables = fetch(
        database_url,
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'Item' ORDER BY 1",
    )
    assert tables == [("tenant_a",), ("tenant_b",)]
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert history.summary(conn) == {}  # the database's own history is untouched
        a = history.summary(conn, schema="pgw_tenant_a")
        assert [(v, s[0], s[2]) for v, s in a.items()] == [(1, "0001_init", "applied")]
    again = Runner(database_url, migrations, schema="tenant_a", history_schema="pgw_tenant_a")
    assert again.apply() == []


def test_lock_keys_are_per_history(database_url: str) -> None:
    assert lock_key("pgwarden") == LOCK_KEY
    assert len({lock_key("pgwarden"), lock_key("pgw_a"), lock_key("pgw_b")}) == 3
    with (
        psycopg.connect(database_url, autocommit=True) as one,
        psycopg.connect(database_url, autocommit=True) as two,
        migration_lock(one, key=lock_key("pgw_a")),
    ):
        # another tenant's lock is free; the same tenant's is taken
        assert two.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("pgw_b"),)).fetchone()
        row = two.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("pgw_a"),)).fetchone()
        assert row == (False,)
