"""An idle target costs one query; targets from [tool.pgwarden.fleet] (a control query)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from pgwarden.apply import files
from pgwarden.apply.fleet.rollout import apply_target
from pgwarden.apply.fleet.targets import Target
from pgwarden.apply.runner import Runner
from tests.fleet.helpers import databases, fleet, history_rows, report


def _transactions(server: str, dbname: str) -> int:
    """Committed + rolled-back transactions of ``dbname``, once its backends have exited
    (a backend flushes its statistics when it ends)."""
    with psycopg.connect(server, autocommit=True) as conn:
        for _ in range(100):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (dbname,)
            ).fetchone()
            if row == (0,):
                break
            time.sleep(0.05)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (dbname,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_an_idle_target_costs_one_query(project: Path, pg_server: str) -> None:
    migrations = files.load_migrations(project / "migrations")
    with databases([pg_server], 1) as (url,):
        dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        target = Target(label="t", url=url)
        first = apply_target(target, migrations, "wave")
        assert first.status == "applied" and first.version_after == 3
        # what connecting alone costs (the server counts its start-up transaction)
        before = _transactions(pg_server, str(dbname))
        psycopg.connect(url, autocommit=True).close()
        connecting = _transactions(pg_server, str(dbname)) - before
        before = _transactions(pg_server, str(dbname))
        idle = apply_target(target, migrations, "wave")
        assert (idle.status, idle.version_before, idle.version_after) == ("current", 3, 3)
        assert _transactions(pg_server, str(dbname)) - before == connecting + 1
        # what a plain `migrate apply` costs on the same idle database, for contrast
        before = _transactions(pg_server, str(dbname))
        assert Runner(url, migrations).apply() == []
        assert _transactions(pg_server, str(dbname)) - before > connecting + 3


def test_targets_from_a_control_query(project: Path, pg_server: str) -> None:
    with databases([pg_server], 3) as (control, *tenants):
        with psycopg.connect(control, autocommit=True) as conn:
            conn.execute("CREATE TABLE tenants (url text NOT NULL)")
            for url in tenants:
                conn.execute("INSERT INTO tenants VALUES (%s)", (url,))
        (project / "pyproject.toml").write_text(
            '[tool.pgwarden.fleet]\nquery = "SELECT url FROM tenants ORDER BY url"\nparallel = 2\n',
            encoding="utf-8",
        )
        done = fleet(project, control, "apply", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert report(done)["summary"]["applied"] == 2
        for url in tenants:
            assert history_rows(url) == [(1, "applied"), (2, "applied"), (3, "applied")]
        assert history_rows(control) == []  # the control database is not a target
