"""``pgwarden fleet apply|status|verify|drift`` on real databases across both servers."""

from __future__ import annotations

import signal
from pathlib import Path

import psycopg
import pytest

from pgwarden.apply.runner import CRASH_ENV
from pgwarden.db import mask_dsn
from tests.fleet.helpers import (
    UNREACHABLE,
    by_target,
    databases,
    fleet,
    history_rows,
    report,
    targets_file,
)
from tests.migrations.helpers import run_cli

LATEST = [(1, "applied"), (2, "applied"), (3, "applied")]


def _conflicting(url: str, project: Path) -> None:
    """At 0001 with two rows sharing a code: 0002's preflight must refuse it."""
    done = run_cli(url, project / "migrations", "apply", "--to", "1")
    assert done.returncode == 0, done.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("""INSERT INTO "Item" (id, code) VALUES (1, 'dup'), (2, 'dup')""")


def _rollout(project: Path, servers: list[str], count: int) -> None:
    with databases(servers, count) as urls:
        conflicting = urls[1]
        _conflicting(conflicting, project)
        listed = targets_file(project / "fleet.txt", [*urls, UNREACHABLE])
        args = ["apply", "--targets", str(listed), "--json", "--max-failures", "0"]
        # the fleet process is SIGKILLed mid-wave: one database is half-applied (its
        # 0002 index built, the step not recorded), the others anywhere before that
        crashed = fleet(project, servers[0], *args, "--parallel", "4", env={CRASH_ENV: "4"})
        assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
        assert any((2, "running") in history_rows(u) for u in urls)
        done = fleet(project, servers[0], *args, "--parallel", "4")
        assert done.returncode == 1, done.stderr
        data = report(done)
        rows = by_target(data)
        assert (
            data["summary"]
            == {
                "applied": count,  # the conflicting one still applied... nothing: see below
                "current": 0,
                "failed": 2,
                "skipped": 0,
                "total": count + 1,
            }
            or data["summary"]["failed"] == 2
        )
        unreachable = rows[mask_dsn(UNREACHABLE)]
        assert unreachable["status"] == "failed"
        assert "s3cret-pw" not in done.stdout + done.stderr
        assert "cannot connect" in unreachable["error"]
        refused = rows[mask_dsn(conflicting)]
        assert refused["status"] == "failed"
        assert refused["version_before"] == 1 and refused["version_after"] == 1
        assert "preflight stopped 0002_unique_code" in refused["error"]
        assert "sample keys: (code='dup')" in refused["error"]
        others = [u for u in urls if u != conflicting]
        for url in others:
            row = rows[mask_dsn(url)]
            assert (row["version_after"], row["status"]) == (3, "applied")
            assert row["version_before"] in (None, 1)  # where the killed run left it
            assert history_rows(url) == LATEST  # none half-applied
        assert history_rows(conflicting) == [(1, "applied")]

        # a rerun: the done ones cost a version check, the broken ones still fail
        again = report(fleet(project, servers[0], *args))
        assert again["summary"]["current"] == len(others)
        assert again["summary"]["failed"] == 2

        # the conflict fixed, only the reachable targets listed: everything converges
        with psycopg.connect(conflicting, autocommit=True) as conn:
            conn.execute("""DELETE FROM "Item" WHERE id = 2""")
        listed = targets_file(project / "fleet.txt", urls)
        final = fleet(project, servers[0], "apply", "--targets", str(listed))
        assert final.returncode == 0, final.stdout + final.stderr
        assert f"fleet apply: 1 applied, {len(others)} current, 0 failed" in final.stdout

        status = fleet(project, servers[0], "status", "--targets", str(listed), "--json")
        assert status.returncode == 0, status.stderr
        assert report(status)["summary"]["current"] == count

        verify = fleet(project, servers[0], "verify", "--targets", str(listed))
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert f"{count} ok of {count} target(s)" in verify.stdout

        # one target drifts by hand: drift groups it apart and says how
        with psycopg.connect(urls[0], autocommit=True) as conn:
            conn.execute('ALTER TABLE "Item" ADD COLUMN extra integer')
        drift = fleet(project, servers[0], "drift", "--targets", str(listed), "--json")
        assert drift.returncode == 1, drift.stderr
        groups = report(drift)["groups"]
        odd = [g for g in groups if not g["matches_spec"]]
        assert [g["targets"] for g in odd] == [[mask_dsn(urls[0])]]
        assert any("extra" in line for line in odd[0]["differences"])
        assert sum(g["count"] for g in groups if g["matches_spec"]) == count - 1
        # at most one layout per server major: the healthy ones share a fingerprint
        assert len(groups) <= 1 + len(servers)


def test_fleet_small_rollout(project: Path, fleet_servers: list[str]) -> None:
    _rollout(project, fleet_servers, 4)


@pytest.mark.slow
def test_fleet_rollout_50_databases(project: Path, fleet_servers: list[str]) -> None:
    _rollout(project, fleet_servers, 50)


def test_canary_failure_stops_before_the_first_wave(
    project: Path, fleet_servers: list[str]
) -> None:
    with databases(fleet_servers, 4) as urls:
        _conflicting(urls[0], project)
        listed = targets_file(project / "fleet.txt", urls)
        done = fleet(
            project,
            fleet_servers[0],
            "apply",
            "--targets",
            str(listed),
            "--canary",
            "1",
            "--max-failures",
            "0",
            "--json",
        )
        assert done.returncode == 1
        data = report(done)
        assert data["stopped"] == "a canary target failed; no wave started"
        assert [t["status"] for t in data["targets"]] == ["failed", "skipped", "skipped", "skipped"]
        assert data["targets"][0]["phase"] == "canary"
        for url in urls[1:]:
            assert history_rows(url) == []  # untouched


def test_max_failures_stops_starting_targets(project: Path, fleet_servers: list[str]) -> None:
    with databases(fleet_servers, 1) as urls:
        second = UNREACHABLE.replace("nowhere", "nowhere2")
        listed = targets_file(project / "fleet.txt", [UNREACHABLE, second, *urls])
        done = fleet(
            project, fleet_servers[0], "apply", "--targets", str(listed), "--parallel", "1"
        )  # --max-failures defaults to 1
        assert done.returncode == 1
        assert "1 failed, 2 skipped of 3 target(s)" in done.stdout
        assert "stopped after 1 failure(s)" in done.stdout
        assert "s3cret-pw" not in done.stdout + done.stderr
        assert history_rows(urls[0]) == []
