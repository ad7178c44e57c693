"""The runner against a real server: history, resume after a crash, locking, tamper."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from pgwarden.apply import files
from pgwarden.apply.lock import LOCK_KEY
from pgwarden.apply.runner import CRASH_ENV, Runner
from tests.migrations.helpers import PGWARDEN, fetch, history, run_cli, write_migration
from tests.pg import reset_schema

CREATE_T = """
-- pgwarden:step atomic=true description="create t"
CREATE TYPE "mood" AS ENUM ('happy', 'sad');
CREATE TABLE "t" ("id" integer PRIMARY KEY, "email" text NOT NULL, "n" integer);
-- pgwarden:step atomic=true description="seed t"
INSERT INTO "t" SELECT g, 'user' || g || '@x', NULL FROM generate_series(1, 500) g;
"""
DROP_T = """
-- pgwarden:step atomic=true description="drop t"
DROP TABLE "t";
DROP TYPE "mood";
"""

# Several atomic runs separated by non-transactional steps: every kind of boundary.
MULTI = """
-- pgwarden:step atomic=true description="add column t.code"
ALTER TABLE "t" ADD COLUMN "code" text;
-- pgwarden:step atomic=true description="backfill t.code"
UPDATE "t" SET "code" = 'c' || "id";
-- pgwarden:step atomic=false description="unique index t_code_key"
SET lock_timeout = '5s';
CREATE UNIQUE INDEX CONCURRENTLY "t_code_key" ON "t" ("code");
-- pgwarden:step atomic=true description="attach t_code_key"
ALTER TABLE "t" ADD CONSTRAINT "t_code_key" UNIQUE USING INDEX "t_code_key";
-- pgwarden:step atomic=false description="index t_email_idx"
CREATE INDEX CONCURRENTLY "t_email_idx" ON "t" ("email");
-- pgwarden:step atomic=true description="check n"
ALTER TABLE "t" ADD CONSTRAINT "t_n_check" CHECK ("n" > 0) NOT VALID;
-- pgwarden:step atomic=true description="validate n"
ALTER TABLE "t" VALIDATE CONSTRAINT "t_n_check";
-- pgwarden:step atomic=false description="enum value"
ALTER TYPE "mood" ADD VALUE 'meh' BEFORE 'sad';
"""
MULTI_DOWN = """
-- pgwarden:step atomic=true description="drop check"
ALTER TABLE "t" DROP CONSTRAINT "t_n_check";
-- pgwarden:step atomic=false description="drop t_email_idx"
DROP INDEX CONCURRENTLY "t_email_idx";
-- pgwarden:step atomic=true description="drop code"
ALTER TABLE "t" DROP COLUMN "code";
"""
MULTI_STEPS = 8


def _project(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    write_migration(d, "0001_create_t", CREATE_T, DROP_T)
    write_migration(d, "0002_code", MULTI, MULTI_DOWN)
    write_migration(
        d,
        "0003_audit",
        'CREATE TABLE "audit" ("id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);',
        'DROP TABLE "audit";',
    )
    return d


def _columns(url: str, table: str) -> list[str]:
    return [
        r[0]
        for r in fetch(
            url,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
    ]


def _index_validity(url: str) -> dict[str, bool]:
    rows = fetch(
        url,
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    )
    return {str(r[0]): bool(r[1]) for r in rows}


def _assert_final_state(url: str) -> None:
    assert history(url) == [
        (1, "0001_create_t", "applied"),
        (2, "0002_code", "applied"),
        (3, "0003_audit", "applied"),
    ]
    assert _columns(url, "t") == ["id", "email", "n", "code"]
    assert fetch(url, "SELECT count(*), count(DISTINCT code) FROM t") == [(500, 500)]
    valid = _index_validity(url)
    assert valid["t_code_key"] and valid["t_email_idx"]
    constraints = {r[0] for r in fetch(url, "SELECT conname FROM pg_constraint WHERE convalidated")}
    assert {"t_code_key", "t_n_check", "t_pkey"} <= constraints
    labels = fetch(url, "SELECT enumlabel FROM pg_enum ORDER BY enumsortorder")
    assert [r[0] for r in labels] == ["happy", "meh", "sad"]
    steps = fetch(
        url, "SELECT version, count(*) FROM pgwarden.migration_steps GROUP BY 1 ORDER BY 1"
    )
    assert steps == [(1, 2), (2, MULTI_STEPS), (3, 1)]


def test_apply_status_down_round_trip(database_url: str, tmp_path: Path) -> None:
    d = _project(tmp_path)
    out = run_cli(database_url, d, "status")
    assert out.returncode == 0, out.stderr
    assert "0002_code" in out.stdout and "pending" in out.stdout

    out = run_cli(database_url, d, "apply", "--to", "1")
    assert out.returncode == 0, out.stderr
    assert history(database_url) == [(1, "0001_create_t", "applied")]

    out = run_cli(database_url, d, "apply")
    assert out.returncode == 0, out.stderr
    assert "applied 0002_code" in out.stdout
    _assert_final_state(database_url)
    who = fetch(
        database_url,
        "SELECT applied_by = current_user, client_host IS NOT NULL, os_user IS NOT NULL,"
        " finished_at >= started_at, duration_ms >= 0, checksum FROM pgwarden.migrations"
        " WHERE version = 2",
    )
    assert who == [(True, True, True, True, True, files.migration_checksum(d / "0002_code"))]
    step_rows = fetch(
        database_url,
        "SELECT step, atomic, started_at <= finished_at FROM pgwarden.migration_steps"
        " WHERE version = 2 AND direction = 'up' ORDER BY step",
    )
    assert step_rows == [
        (0, True, True),
        (1, True, True),
        (2, False, True),
        (3, True, True),
        (4, False, True),
        (5, True, True),
        (6, True, True),
        (7, False, True),
    ]

    out = run_cli(database_url, d, "apply")
    assert out.returncode == 0 and "nothing to apply" in out.stdout

    out = run_cli(database_url, d, "down", "--to", "1")
    assert out.returncode == 0, out.stderr
    assert history(database_url) == [(1, "0001_create_t", "applied")]
    assert _columns(database_url, "t") == ["id", "email", "n"]
    assert "t_email_idx" not in _index_validity(database_url)
    assert fetch(database_url, "SELECT count(*) FROM pgwarden.migration_steps WHERE version > 1")[
        0
    ] == (0,)

    out = run_cli(database_url, d, "apply")
    assert out.returncode == 0, out.stderr
    _assert_final_state(database_url)


def _invariants_after_crash(url: str) -> None:
    """Whatever the crash point: nothing is recorded applied that is not fully there."""
    rows = history(url) if fetch(url, "SELECT to_regclass('pgwarden.migrations')")[0][0] else []
    for version, _name, status in rows:
        recorded = fetch(
            url,
            "SELECT step FROM pgwarden.migration_steps WHERE version = %s ORDER BY 1",
            (version,),
        )
        steps = [r[0] for r in recorded]
        assert steps == list(range(len(steps))), "recorded steps are a prefix"
        total = {1: 2, 2: MULTI_STEPS, 3: 1}[version]
        if status == "applied":
            assert len(steps) == total
        else:
            assert status == "running" and len(steps) < total
    applied = {v for v, _n, s in rows if s == "applied"}
    if 2 in applied:
        assert "code" in _columns(url, "t")
        assert _index_validity(url).get("t_email_idx") is True
    if 1 not in {v for v, _n, _s in rows}:
        assert fetch(url, "SELECT to_regclass('public.t')")[0][0] is None


@pytest.mark.slow
def test_crash_at_every_boundary_then_resume(database_url: str, tmp_path: Path) -> None:
    d = _project(tmp_path)
    url = database_url
    point = 1
    while True:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS pgwarden CASCADE")
            reset_schema(conn)
        crashed = run_cli(url, d, "apply", env={CRASH_ENV: str(point)})
        if crashed.returncode == 0:
            assert point > 2 * MULTI_STEPS, "the crash hook never fired"
            _assert_final_state(url)
            break
        assert crashed.returncode == -9, crashed.stderr  # SIGKILL
        _invariants_after_crash(url)
        # resume in-process: the same runner the CLI drives, without the start-up cost
        Runner(url, files.load_migrations(d)).apply()
        _assert_final_state(url)
        point += 1


def test_invalid_index_from_failed_concurrent_build_is_rebuilt(
    database_url: str, tmp_path: Path
) -> None:
    d = tmp_path / "m"
    write_migration(d, "0001_create_t", CREATE_T)
    write_migration(
        d,
        "0002_unique_email",
        "-- pgwarden:step atomic=true\nUPDATE t SET n = 1;\n"
        "-- pgwarden:step atomic=false\n"
        'CREATE UNIQUE INDEX CONCURRENTLY "t_email_key" ON t (email);\n'
        "-- pgwarden:step atomic=true\n"
        "ALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE USING INDEX t_email_key;\n",
    )
    assert run_cli(database_url, d, "apply", "--to", "1").returncode == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE t SET email = 'dup@x' WHERE id IN (7, 8)")
    failed = run_cli(database_url, d, "apply")
    assert failed.returncode == 1
    assert "0002_unique_email" in failed.stderr and "t_email_key" in failed.stderr
    assert "0002_unique_email is half-applied" in failed.stderr
    assert "rerun `pgwarden migrate apply`" in failed.stderr
    assert "pgwarden migrate resolve --applied 2" in failed.stderr
    assert history(database_url)[-1] == (2, "0002_unique_email", "running")
    assert _index_validity(database_url)["t_email_key"] is False  # what the failed build left

    status = run_cli(database_url, d, "status")
    assert "running (1/3 steps done" in status.stdout

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE t SET email = 'eight@x' WHERE id = 8")
    resumed = run_cli(database_url, d, "apply")
    assert resumed.returncode == 0, resumed.stderr
    assert "INVALID index" in resumed.stdout
    assert _index_validity(database_url)["t_email_key"] is True
    assert history(database_url)[-1] == (2, "0002_unique_email", "applied")


@pytest.mark.slow
def test_eight_concurrent_appliers_apply_each_migration_once(
    database_url: str, tmp_path: Path
) -> None:
    d = tmp_path / "m"
    write_migration(
        d,
        "0001_log",
        'CREATE TABLE "log" ("version" integer NOT NULL);\nINSERT INTO "log" VALUES (1);',
    )
    for v in range(2, 6):
        write_migration(
            d,
            f"{v:04d}_step{v}",
            f'INSERT INTO "log" VALUES ({v});\nSELECT pg_sleep(0.05);\n'
            f'CREATE INDEX CONCURRENTLY "log_{v}_idx" ON "log" ("version");',
        )
    cmd = [*PGWARDEN, "--database-url", database_url, "migrate", "--dir", str(d), "apply"]
    # hold the migration lock until all eight are connected, so they really race
    with psycopg.connect(database_url, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        procs = [
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(8)
        ]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = gate.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            if row and row[0] >= 8:
                break
            time.sleep(0.05)
        time.sleep(0.5)
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, results
    assert all("waiting for another pgwarden applier" in out for out, _err in results)
    assert fetch(database_url, 'SELECT version, count(*) FROM "log" GROUP BY 1 ORDER BY 1') == [
        (v, 1) for v in range(1, 6)
    ]
    assert [r[2] for r in history(database_url)] == ["applied"] * 5
    assert sum(out.count("applied 0") for out, _err in results) == 5


def test_tamper_and_merge_are_refused_by_name(database_url: str, tmp_path: Path) -> None:
    d = _project(tmp_path)
    assert run_cli(database_url, d, "apply", "--to", "2").returncode == 0

    up = d / "0002_code" / "up.sql"
    original = up.read_text()
    up.write_text(original.replace("'c' || \"id\"", "'k' || \"id\""))
    refused = run_cli(database_url, d, "apply")
    assert refused.returncode == 1
    assert "0002_code/up.sql: edited after it was written" in refused.stderr

    # even with the sum rewritten, the database remembers what it applied
    files.write_sum(d)
    refused = run_cli(database_url, d, "apply")
    assert refused.returncode == 1
    assert "0002_code: changed after it was applied" in refused.stderr
    assert "Traceback" not in refused.stderr
    status = run_cli(database_url, d, "status")
    assert status.returncode == 1 and "changed" in status.stdout
    up.write_text(original)
    files.write_sum(d)

    write_migration(d, "0003_other_branch", 'CREATE TABLE "other" ("id" int);')
    refused = run_cli(database_url, d, "apply")
    assert refused.returncode == 1
    assert "0003_audit" in refused.stderr and "0003_other_branch" in refused.stderr
    assert history(database_url) == [
        (1, "0001_create_t", "applied"),
        (2, "0002_code", "applied"),
    ]


PREFLIGHT_UP = """
-- pgwarden:preflight table="child" description="rows whose parent_id has no parent"
SELECT c."id", c."parent_id" FROM "child" c
WHERE c."parent_id" IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "parent" p WHERE p."id" = c."parent_id")
-- pgwarden:fix
DELETE FROM "child" c WHERE NOT EXISTS (SELECT 1 FROM "parent" p WHERE p."id" = c."parent_id");
-- pgwarden:step atomic=true description="fk child.parent_id"
ALTER TABLE "child" ADD CONSTRAINT "child_parent_id_fkey"
  FOREIGN KEY ("parent_id") REFERENCES "parent" ("id") NOT VALID;
-- pgwarden:step atomic=true description="validate"
ALTER TABLE "child" VALIDATE CONSTRAINT "child_parent_id_fkey";
"""


def test_preflight_stops_before_any_change(database_url: str, tmp_path: Path) -> None:
    d = tmp_path / "m"
    write_migration(
        d,
        "0001_tables",
        'CREATE TABLE "parent" ("id" int PRIMARY KEY);\n'
        'CREATE TABLE "child" ("id" int PRIMARY KEY, "parent_id" int);\n'
        'INSERT INTO "parent" VALUES (1), (2);\n'
        'INSERT INTO "child" SELECT g, 1 + g % 5 FROM generate_series(1, 20) g;',
    )
    write_migration(d, "0002_fk", PREFLIGHT_UP)
    out = run_cli(database_url, d, "apply")
    assert out.returncode == 1
    assert "preflight stopped 0002_fk (nothing was changed)" in out.stderr
    assert "child: 12 row(s): rows whose parent_id has no parent" in out.stderr
    assert "sample keys: (id=2, parent_id=3)" in out.stderr
    assert 'fix: DELETE FROM "child"' in out.stderr
    assert history(database_url) == [(1, "0001_tables", "applied")]
    assert fetch(database_url, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == [(0,)]

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('DELETE FROM "child" WHERE "parent_id" > 2')
    out = run_cli(database_url, d, "apply")
    assert out.returncode == 0, out.stderr
    assert history(database_url)[-1] == (2, "0002_fk", "applied")


@pytest.mark.parametrize("broken", ["missing", "renamed"])
def test_applied_migration_missing_from_directory(
    database_url: str, tmp_path: Path, broken: str
) -> None:
    d = _project(tmp_path)
    assert run_cli(database_url, d, "apply").returncode == 0
    import shutil

    if broken == "missing":
        shutil.rmtree(d / "0003_audit")
    else:
        (d / "0003_audit").rename(d / "0003_audit_log")
    files.write_sum(d)
    out = run_cli(database_url, d, "apply")
    assert out.returncode == 1
    assert "0003_audit" in out.stderr


def test_lock_timeout_fails_cleanly_and_a_rerun_applies(database_url: str, tmp_path: Path) -> None:
    d = tmp_path / "m"
    write_migration(d, "0001_create_t", CREATE_T)
    write_migration(
        d,
        "0002_add",
        "-- pgwarden:step atomic=true\nSET lock_timeout = '200ms';\n"
        'ALTER TABLE "t" ADD COLUMN "extra" integer;\n'
        '-- pgwarden:step atomic=true\nUPDATE "t" SET "extra" = 1;\n',
    )
    assert run_cli(database_url, d, "apply", "--to", "1").returncode == 0
    with psycopg.connect(database_url) as holder:
        holder.execute('LOCK TABLE "t" IN ACCESS SHARE MODE')  # a long reader
        failed = run_cli(database_url, d, "apply")
        holder.rollback()
    assert failed.returncode == 1
    assert "lock timeout" in failed.stderr and "rerun `pgwarden migrate apply`" in failed.stderr
    assert "nothing of it is recorded" in failed.stderr
    assert history(database_url) == [(1, "0001_create_t", "applied")]
    assert "extra" not in _columns(database_url, "t")
    assert run_cli(database_url, d, "apply").returncode == 0
    assert fetch(database_url, 'SELECT count(*) FROM "t" WHERE "extra" = 1') == [(500,)]


def test_down_without_down_sql_and_mixed_states_are_refused(
    database_url: str, tmp_path: Path
) -> None:
    d = tmp_path / "m"
    write_migration(d, "0001_create_t", CREATE_T)  # no down.sql
    assert run_cli(database_url, d, "down").stdout.strip() == "nothing to revert"
    assert run_cli(database_url, d, "apply").returncode == 0
    refused = run_cli(database_url, d, "down")
    assert refused.returncode == 1 and "0001_create_t: has no down.sql" in refused.stderr
    assert history(database_url) == [(1, "0001_create_t", "applied")]


DEFERRED_UP = """
-- pgwarden:step atomic=true description="add t.flag"
ALTER TABLE "t" ADD COLUMN "flag" boolean;
-- pgwarden:step atomic=true description="backfill"
UPDATE "t" SET "flag" = ("id" % 2 = 0) WHERE "id" > {skip};
-- pgwarden:preflight table="t" description="rows whose flag is NULL"
SELECT "id" FROM "t" WHERE "flag" IS NULL ORDER BY "id"
-- pgwarden:fix
UPDATE "t" SET "flag" = false WHERE "flag" IS NULL;
-- pgwarden:step atomic=true description="flag NOT NULL"
ALTER TABLE "t" ALTER COLUMN "flag" SET NOT NULL;
"""


def test_check_on_a_column_added_in_the_same_transaction(database_url: str, tmp_path: Path) -> None:
    d = tmp_path / "m"
    write_migration(d, "0001_create_t", CREATE_T)
    write_migration(d, "0002_flag", DEFERRED_UP.format(skip=3))
    stopped = run_cli(database_url, d, "apply")
    assert stopped.returncode == 1
    assert "preflight stopped 0002_flag (nothing was changed)" in stopped.stderr
    assert "t: 3 row(s): rows whose flag is NULL" in stopped.stderr
    assert "sample keys: (id=1); (id=2); (id=3)" in stopped.stderr
    # the whole atomic run rolled back with it
    assert "flag" not in _columns(database_url, "t")
    assert history(database_url) == [(1, "0001_create_t", "applied")]

    d2 = tmp_path / "m2"
    write_migration(d2, "0001_create_t", CREATE_T)
    write_migration(d2, "0002_flag", DEFERRED_UP.format(skip=0))
    fixed = run_cli(database_url, d2, "apply")
    assert fixed.returncode == 0, fixed.stderr
    assert fetch(database_url, 'SELECT count(*) FROM "t" WHERE "flag"') == [(250,)]


@pytest.mark.slow
def test_crash_during_down_then_resume(database_url: str, tmp_path: Path) -> None:
    d = _project(tmp_path)
    point = 1
    while True:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS pgwarden CASCADE")
            reset_schema(conn)
        runner = Runner(database_url, files.load_migrations(d))
        runner.apply()
        crashed = run_cli(database_url, d, "down", "--to", "1", env={CRASH_ENV: str(point)})
        if crashed.returncode == 0:
            assert point > 4, "the crash hook never fired"
            break
        assert crashed.returncode == -9, crashed.stderr
        states = dict((v, s) for v, _n, s in history(database_url))
        assert states[1] == "applied"
        assert all(s in ("applied", "reverting") for s in states.values())
        # a half-reverted database refuses apply until down finishes
        if "reverting" in states.values():
            refused = run_cli(database_url, d, "apply")
            assert refused.returncode == 1 and "half-reverted" in refused.stderr
        runner.down(to=1)
        assert history(database_url) == [(1, "0001_create_t", "applied")]
        assert _columns(database_url, "t") == ["id", "email", "n"]
        assert "t_email_idx" not in _index_validity(database_url)
        assert fetch(database_url, "SELECT count(*) FROM pgwarden.migration_steps") == [(2,)]
        point += 1
