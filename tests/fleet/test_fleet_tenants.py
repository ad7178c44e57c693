"""Schema-per-tenant: the spec's objects in every matching schema of one database, each
tenant with its own history and lock; a SIGKILL of the fleet mid-wave, then a rerun."""

from __future__ import annotations

import signal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgwarden.apply.fleet.targets import tenant_history
from pgwarden.apply.runner import CRASH_ENV
from tests.fleet.helpers import fleet, history_rows, report

LATEST = [(1, "applied"), (2, "applied"), (3, "applied")]


def _tenants(url: str, count: int) -> list[str]:
    names = [f"tenant_{i:02d}" for i in range(count)]
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        conn.execute("CREATE SCHEMA other")  # does not match the pattern
    return names


def _tenant_rollout(project: Path, url: str, count: int) -> None:
    names = _tenants(url, count)
    args = ("--schemas", "tenant_%", "--parallel", "4")

    # the fleet process is SIGKILLed in the middle of a tenant's 0002 (its
    # CREATE INDEX CONCURRENTLY ran, the step is not recorded yet)
    crashed = fleet(project, url, "apply", *args, "--json", env={CRASH_ENV: "4"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    states = {n: history_rows(url, tenant_history(n)) for n in names}
    assert any((2, "running") in rows for rows in states.values()), states
    assert any(rows != LATEST for rows in states.values())

    status = report(fleet(project, url, "status", *args, "--json"))
    assert status["summary"]["half-applied"] >= 1
    assert status["summary"]["total"] == count

    done = fleet(project, url, "apply", *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = report(done)
    assert data["summary"]["failed"] == 0 and data["summary"]["skipped"] == 0
    assert all(t["version_after"] == 3 for t in data["targets"])
    notes = [n for t in data["targets"] for n in t["notes"]]
    # the interrupted tenants resumed: the index their killed run built is kept
    assert any("already done: CREATE UNIQUE INDEX" in n for n in notes), notes
    for name in names:
        assert history_rows(url, tenant_history(name)) == LATEST
    assert history_rows(url) == []  # the database's own history was never used
    with psycopg.connect(url, autocommit=True) as conn:
        invalid = conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()
        assert invalid == (0,)
        other = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'other'").fetchone()
        assert other == (0,)

    verify = fleet(project, url, "verify", *args)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"{count} ok of {count} target(s)" in verify.stdout
    drift = report(fleet(project, url, "drift", *args, "--json"))
    assert [g["count"] for g in drift["groups"]] == [count]
    assert drift["clean"] is True


def test_tenants_crash_and_resume(project: Path, database_url: str) -> None:
    _tenant_rollout(project, database_url, 6)


@pytest.mark.slow
def test_50_tenants_crash_and_resume(project: Path, database_url: str) -> None:
    _tenant_rollout(project, database_url, 50)


def test_no_matching_schema_is_an_error(project: Path, database_url: str) -> None:
    done = fleet(project, database_url, "apply", "--schemas", "tenant_%")
    assert done.returncode == 2
    assert "no schema of" in done.stderr and "matches 'tenant_%'" in done.stderr
