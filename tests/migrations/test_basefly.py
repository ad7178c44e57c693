"""Basefly's real history in migrations/: saasfly's original schema, the blueprint, then
audit logging."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from pgwarden.apply import files
from tests.migrations.helpers import fetch, history, run_cli

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "migrations"
SAASFLY = REPO / "tests" / "fixtures" / "saasfly_before" / "saasfly.toml"


SAASFLY_DATA = """
INSERT INTO "User" (id, email) VALUES ('u1', 'a@x'), ('u2', 'b@x'), ('u3', 'c@x');
INSERT INTO "Customer" ("authUserId", name, plan) VALUES
  ('u1', 'A', 'PRO'), ('ghost-1', 'G1', 'FREE'), ('u2', 'B', NULL), ('ghost-2', 'G2', NULL);
INSERT INTO "K8sClusterConfig" (id, name, location, "authUserId", plan, "delete") VALUES
  (1, 'c1', 'eu', 'u1', 'FREE', false),
  (2, 'c2', 'eu', 'u1', 'FREE', true),       -- same plan and user, but deleted
  (3, 'c3', 'us', 'u2', 'PRO', true),
  (4, 'c4', 'us', 'u3', 'BUSINESS', false),
  (5, 'c5', 'us', 'ghost-3', 'FREE', false),
  (6, 'c6', 'ap', 'ghost-3', 'PRO', true),
  (7, 'c7', 'ap', 'u2', 'FREE', false);
"""


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(url, MIGRATIONS, *args, cwd=REPO)


def test_history_is_basefly(tmp_path: Path) -> None:
    names = [m.name for m in files.load_migrations(MIGRATIONS)]
    assert names == [
        "0001_saasfly",
        "0002_blueprint",
        "0003_audit",
        "0004_fk_indexes",
        "0005_tombstone",
        "0006_tombstone_restore",
    ]
    up = (MIGRATIONS / "0002_blueprint" / "up.sql").read_text()
    assert 'ADD COLUMN "deletedAt"' in up and 'DROP COLUMN "delete"' in up
    assert up.index('SET "deletedAt"') < up.index('DROP COLUMN "delete"')
    assert "NOT VALID" in up and "VALIDATE CONSTRAINT" in up
    assert 'UNIQUE INDEX CONCURRENTLY "K8sClusterConfig_plan_authUserId_key"' in up
    fk = (MIGRATIONS / "0004_fk_indexes" / "up.sql").read_text()
    for name, table in (("Account_userId_idx", "Account"), ("Session_userId_idx", "Session")):
        assert f'CREATE INDEX CONCURRENTLY "{name}" ON "{table}" ("userId")' in fk
    guards = (MIGRATIONS / "0005_tombstone" / "up.sql").read_text()
    for table, column in (("K8sClusterConfig", "authUserId"), ("Session", "userId")):
        name = f"{table}_{column}_tombstone"
        assert f'CREATE TRIGGER "{name}" BEFORE INSERT OR UPDATE OF "{column}"' in guards
    # 0006 recreates the one guard of a soft-delete table so that it also fires on restore
    restore = (MIGRATIONS / "0006_tombstone_restore" / "up.sql").read_text()
    assert restore.count("CREATE TRIGGER") == 1
    assert (
        'CREATE TRIGGER "K8sClusterConfig_authUserId_tombstone" BEFORE INSERT OR UPDATE OF '
        '"authUserId", "deletedAt"'
    ) in restore
    first = (MIGRATIONS / "0001_saasfly" / "up.sql").read_text()
    assert "FOREIGN KEY" in first and "authUserId_fkey" not in first


def test_regenerating_gives_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "regen"
    env = {**os.environ, "PGWARDEN": f"{sys.executable} -m pgwarden"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        ["sh", str(MIGRATIONS / "regenerate.sh"), str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    committed = {
        p.relative_to(MIGRATIONS): p.read_bytes() for p in files.migration_files(MIGRATIONS)
    }
    regenerated = {p.relative_to(out): p.read_bytes() for p in files.migration_files(out)}
    assert sorted(regenerated) == sorted(committed)
    for rel, data in committed.items():
        assert regenerated[rel] == data, f"{rel} differs when regenerated"
    assert (out / files.SUM_FILE).read_bytes() == (MIGRATIONS / files.SUM_FILE).read_bytes()


def test_applies_from_empty_and_verify_reports_no_drift(database_url: str) -> None:
    out = _cli(database_url, "apply")
    assert out.returncode == 0, out.stderr
    assert history(database_url) == [
        (1, "0001_saasfly", "applied"),
        (2, "0002_blueprint", "applied"),
        (3, "0003_audit", "applied"),
        (4, "0004_fk_indexes", "applied"),
        (5, "0005_tombstone", "applied"),
        (6, "0006_tombstone_restore", "applied"),
    ]
    verify = _cli(database_url, "verify")
    assert verify.returncode == 0, verify.stderr
    assert "no drift" in verify.stdout

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "Customer" ADD COLUMN "note" text')
        conn.execute('DROP INDEX "Customer_authUserId_idx"')
    drift = _cli(database_url, "verify")
    assert drift.returncode == 1
    assert "Customer" in drift.stderr and "note" in drift.stderr
    assert "Customer_authUserId_idx" in drift.stderr
    assert "Traceback" not in drift.stderr
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "Customer" DROP COLUMN "note"')
        conn.execute('CREATE INDEX "Customer_authUserId_idx" ON "Customer" ("authUserId")')

    # down all the way and up again: down.sql is a real inverse
    down = _cli(database_url, "down", "--to", "0")
    assert down.returncode == 0, down.stderr
    assert fetch(database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [
        (0,)
    ]
    assert _cli(database_url, "apply").returncode == 0
    assert _cli(database_url, "verify").returncode == 0


def test_orphans_stop_the_preflight_then_backfill_is_right(database_url: str) -> None:
    assert _cli(database_url, "apply", "--to", "1").returncode == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SAASFLY_DATA.encode())
    before_columns = fetch(
        database_url,
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY 1, 2",
    )

    dry = _cli(database_url, "apply", "--dry-run")
    assert dry.returncode == 1
    steps = len(files.load_migrations(MIGRATIONS)[1].up.steps)
    assert f"0002_blueprint: {steps} step(s) to run" in dry.stdout
    assert "[outside a transaction]" in dry.stdout
    assert "Customer: 2 row(s): orphan rows" in dry.stderr

    stopped = _cli(database_url, "apply")
    assert stopped.returncode == 1
    report = stopped.stderr
    assert "preflight stopped 0002_blueprint (nothing was changed)" in report
    assert "Customer: 2 row(s): orphan rows in Customer (authUserId)" in report
    assert "K8sClusterConfig: 2 row(s): orphan rows in K8sClusterConfig (authUserId)" in report
    assert "ghost-1" in report and "ghost-2" in report and "ghost-3" in report
    assert "fix: -- delete the orphans" in report and 'DELETE FROM "Customer"' in report
    # nothing changed: same columns, no FK, no history beyond 0001
    assert history(database_url) == [(1, "0001_saasfly", "applied")]
    after_columns = fetch(
        database_url,
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY 1, 2",
    )
    assert after_columns == before_columns
    assert fetch(
        database_url, "SELECT count(*) FROM pg_constraint WHERE conname LIKE '%authUserId_fkey'"
    ) == [(0,)]

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""DELETE FROM "Customer" WHERE "authUserId" LIKE 'ghost-%'""")
        conn.execute("""DELETE FROM "K8sClusterConfig" WHERE "authUserId" LIKE 'ghost-%'""")
        flags = dict(conn.execute('SELECT id, "delete" FROM "K8sClusterConfig"').fetchall())
        started = conn.execute("SELECT now()").fetchone()
    assert started is not None
    dry = _cli(database_url, "apply", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "preflight deferred to its step: duplicate groups" in dry.stdout
    assert history(database_url) == [(1, "0001_saasfly", "applied")]
    applied = _cli(database_url, "apply")
    assert applied.returncode == 0, applied.stderr
    rows = dict(fetch(database_url, 'SELECT id, "deletedAt" FROM "K8sClusterConfig" ORDER BY id'))
    assert sorted(rows) == sorted(flags) == [1, 2, 3, 4, 7]
    for cluster, flagged in flags.items():
        deleted_at = rows[cluster]
        if flagged:
            assert isinstance(deleted_at, datetime), cluster
            assert deleted_at >= started[0].replace(tzinfo=None, microsecond=0), cluster
        else:
            assert deleted_at is None, cluster
    assert "delete" not in {
        r[0]
        for r in fetch(
            database_url,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'K8sClusterConfig'",
        )
    }
    assert _cli(database_url, "verify").returncode == 0

    with psycopg.connect(database_url, autocommit=True) as conn:
        # the partial unique index: one active cluster per (plan, user) ...
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                """INSERT INTO "K8sClusterConfig" (name, location, "authUserId", plan)"""
                """ VALUES ('again', 'eu', 'u1', 'FREE')"""
            )
        # ... and the FK now refuses orphans
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("""INSERT INTO "Customer" ("authUserId", name) VALUES ('ghost-9', 'x')""")

    # down to saasfly refills the flag from deletedAt (the old spec's backfill): no
    # cluster comes back undeleted, none is deleted that was not
    reverted = _cli(database_url, "down", "--to", "1")
    assert reverted.returncode == 0, reverted.stderr
    assert dict(fetch(database_url, 'SELECT id, "delete" FROM "K8sClusterConfig"')) == flags


def test_baseline_a_pushed_database(database_url: str) -> None:
    from pgwarden.render.sql import render_schema
    from pgwarden.spec.load import load_schema

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render_schema(load_schema(SAASFLY)).encode())  # what `db push` made
        conn.execute('ALTER TABLE "Customer" ADD COLUMN "legacy" text')
    refused = _cli(database_url, "baseline", "--to", "1")
    assert refused.returncode == 1
    assert "does not match 0001_saasfly" in refused.stderr and "legacy" in refused.stderr
    assert fetch(database_url, "SELECT count(*) FROM pgwarden.migrations") == [(0,)]

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "Customer" DROP COLUMN "legacy"')
    marked = _cli(database_url, "baseline", "--to", "1")
    assert marked.returncode == 0, marked.stderr
    assert history(database_url) == [(1, "0001_saasfly", "baseline")]
    status = _cli(database_url, "status")
    assert "0001_saasfly" in status.stdout and "baseline" in status.stdout
    assert "pending" in status.stdout

    assert _cli(database_url, "apply").returncode == 0
    assert history(database_url)[-1] == (6, "0006_tombstone_restore", "applied")
    assert _cli(database_url, "verify").returncode == 0
    again = _cli(database_url, "baseline")
    assert again.returncode == 1 and "already has migration history" in again.stderr


def test_a_check_on_a_new_column_runs_before_its_step(database_url: str) -> None:
    """The partial unique's duplicate check reads deletedAt, which 0002 itself adds."""
    assert _cli(database_url, "apply", "--to", "1").returncode == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO "User" (id) VALUES ('u1');
            INSERT INTO "K8sClusterConfig" (id, name, location, "authUserId", plan, "delete")
            VALUES (1, 'a', 'eu', 'u1', 'PRO', false), (2, 'b', 'eu', 'u1', 'PRO', false),
                   (3, 'c', 'eu', 'u1', 'PRO', true)"""
        )
    stopped = _cli(database_url, "apply")
    assert stopped.returncode == 1
    assert "preflight stopped 0002_blueprint (earlier steps are committed" in stopped.stderr
    assert "K8sClusterConfig: 1 row(s): duplicate groups" in stopped.stderr
    assert "(PRO,u1)" in stopped.stderr
    assert history(database_url)[-1] == (2, "0002_blueprint", "running")
    status = _cli(database_url, "status")
    assert "0002_blueprint" in status.stdout and "running" in status.stdout

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""UPDATE "K8sClusterConfig" SET "deletedAt" = now() WHERE id = 2""")
    resumed = _cli(database_url, "apply")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming 0002_blueprint" in resumed.stdout
    assert history(database_url)[-1] == (6, "0006_tombstone_restore", "applied")
    assert _cli(database_url, "verify").returncode == 0


def test_history_applies_into_another_namespace(database_url: str) -> None:
    """Rendered SQL is unqualified; --pg-schema picks the namespace through search_path."""

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pgwarden", "--database-url", database_url,
             "--pg-schema", "app", "migrate", "--dir", str(MIGRATIONS), *args],
            cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert cli("apply").returncode == 0
    assert cli("verify").returncode == 0
    tables = fetch(
        database_url,
        "SELECT schemaname, count(*) FROM pg_tables"
        " WHERE schemaname IN ('public', 'app') GROUP BY 1",
    )
    assert tables == [("app", 7)]  # Basefly's six and the audit log
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO app."User" (id) VALUES ('u1')""")
    assert fetch(database_url, "SELECT table_name, op FROM app.pgwarden_audit") == [
        ("User", "insert")
    ]
