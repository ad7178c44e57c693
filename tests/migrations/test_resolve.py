"""``pgwarden migrate resolve`` on every stuck state the runner can leave: a half-applied
migration (a failed non-atomic step after committed ones) and a half-reverted one (a
failed down step), each repaired by hand, resolved either way, then applied / verified
clean; and the refusals when the database does not match the claim."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgwarden.apply import history as h
from pgwarden.apply.runner import ApplyError, Runner
from pgwarden.errors import PgwardenError, RefusedError
from tests.migrations.helpers import fetch, history, run_cli
from tests.migrations.lifecycle import assert_at, history_of, runner, spec

A = """
[tables.t.columns]
id = { type = "integer", primary_key = true }
email = { type = "text" }
"""
B = (
    A
    + """nick = { type = "text", nullable = true }

[[tables.t.indexes]]
columns = ["email"]
unique = true
"""
)


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for stmt in statements:
            conn.execute(stmt.encode())


def _half_applied(url: str, directory: Path) -> None:
    """0002 stopped after its ADD COLUMN: a writer inserted a duplicate email after the
    preflight passed, so the concurrent unique build failed (an INVALID index left)."""
    runner(url, directory).apply(1)
    _execute(url, "INSERT INTO t SELECT g, 'u' || g FROM generate_series(1, 100) g")

    def race(stmt: str) -> None:
        if "CREATE UNIQUE INDEX CONCURRENTLY" in stmt:
            _execute(url, "INSERT INTO t VALUES (101, 'u1')")

    with pytest.raises(ApplyError) as failed:
        runner(url, directory, trace=race).apply()
    text = str(failed.value)
    assert "0002_step2 is half-applied" in text
    assert "rerun `pgwarden migrate apply`" in text
    assert "pgwarden migrate resolve --applied 2" in text
    assert "pgwarden migrate resolve --rolled-back 2" in text
    assert history(url)[-1] == (2, "0002_step2", "running")


def _half_reverted(url: str, directory: Path) -> None:
    """0002's down stopped after DROP INDEX CONCURRENTLY: a view someone made by hand
    reads the column the next step drops."""
    runner(url, directory).apply()
    _execute(url, "INSERT INTO t VALUES (1, 'a', 'x')", "CREATE VIEW nicks AS SELECT nick FROM t")
    with pytest.raises(ApplyError) as failed:
        runner(url, directory).down()
    text = str(failed.value)
    assert "0002_step2 is half-reverted" in text
    assert "rerun `pgwarden migrate down`" in text
    assert "pgwarden migrate resolve --rolled-back 2" in text
    assert history(url)[-1] == (2, "0002_step2", "reverting")
    with pytest.raises(RefusedError, match=r"(?s)half-reverted.*resolve --applied 2"):
        runner(url, directory).apply()


def _resolutions(url: str) -> list[tuple[int, str, str, str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [(v, res, was, actor) for v, res, was, _by, actor, _at in h.resolutions(conn)]


def _up_down_up(url: str, directory: Path, a: object, b: object) -> None:
    """After a resolve the migration behaves like any other."""
    runner(url, directory).apply()
    assert_at(url, b)  # type: ignore[arg-type]
    runner(url, directory).down()
    assert_at(url, a)  # type: ignore[arg-type]
    runner(url, directory).apply()
    assert_at(url, b)  # type: ignore[arg-type]


def test_half_applied_repaired_forward_then_resolved_applied(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = spec(A), spec(B)
    directory = history_of(tmp_path / "migrations", a, b)
    _half_applied(database_url, directory)

    # the INVALID index the failed build left is what the model alone would not show
    with pytest.raises(RefusedError) as refused:
        runner(database_url, directory).resolve(2, "applied")
    assert "does not match 0002_step2/snapshot.toml" in str(refused.value)
    assert "t_email_idx on t: INVALID" in str(refused.value)
    assert history(database_url)[-1] == (2, "0002_step2", "running")

    _execute(database_url, "DELETE FROM t WHERE id = 101", "DROP INDEX t_email_idx")
    with pytest.raises(RefusedError, match=r"table t\.index t_email_idx: only in the spec"):
        runner(database_url, directory).resolve(2, "applied")
    assert _resolutions(database_url) == []

    _execute(database_url, 'CREATE UNIQUE INDEX "t_email_idx" ON t (email)')
    monkeypatch.setenv(h.ACTOR_ENV, "alice")
    resolved = runner(database_url, directory).resolve(2, "applied")
    assert resolved.name == "0002_step2"
    assert history(database_url)[-1] == (2, "0002_step2", "applied")
    assert _resolutions(database_url) == [(2, "applied", "running", "alice")]
    by = fetch(database_url, "SELECT resolved_by FROM pgwarden.migrations WHERE version = 2")
    assert by == [(f"{_current_user(database_url)} (alice)",)]
    assert runner(database_url, directory).apply() == []
    assert_at(database_url, b)
    _up_down_up(database_url, directory, a, b)


def test_half_applied_undone_by_hand_then_resolved_rolled_back(
    database_url: str, tmp_path: Path
) -> None:
    a, b = spec(A), spec(B)
    directory = history_of(tmp_path / "migrations", a, b)
    _half_applied(database_url, directory)
    with pytest.raises(RefusedError) as refused:
        runner(database_url, directory).resolve(2, "rolled_back")
    assert "does not match 0001_step1/snapshot.toml" in str(refused.value)
    assert "nick" in str(refused.value)

    _execute(
        database_url,
        "DROP INDEX t_email_idx",
        "ALTER TABLE t DROP COLUMN nick",
        "DELETE FROM t WHERE id = 101",
    )
    runner(database_url, directory).resolve(2, "rolled_back")
    assert history(database_url) == [(1, "0001_step1", "applied")]
    assert fetch(database_url, "SELECT count(*) FROM pgwarden.migration_steps WHERE version = 2")[
        0
    ] == (0,)
    assert [r[:3] for r in _resolutions(database_url)] == [(2, "rolled_back", "running")]
    assert_at(database_url, a)
    _up_down_up(database_url, directory, a, b)


def test_half_reverted_resolved_either_way(database_url: str, tmp_path: Path) -> None:
    a, b = spec(A), spec(B)
    directory = history_of(tmp_path / "migrations", a, b)
    _half_reverted(database_url, directory)
    # repaired by hand back to applied: the view goes, the dropped index comes back
    _execute(database_url, "DROP VIEW nicks")
    with pytest.raises(RefusedError, match="only in the spec"):
        runner(database_url, directory).resolve(2, "applied")
    _execute(database_url, 'CREATE UNIQUE INDEX "t_email_idx" ON t (email)')
    runner(database_url, directory).resolve(2, "applied")
    assert history(database_url)[-1] == (2, "0002_step2", "applied")
    assert fetch(
        database_url, "SELECT count(*) FROM pgwarden.migration_steps WHERE direction = 'down'"
    ) == [(0,)]
    assert_at(database_url, b)
    # the down progress was forgotten: a later down runs every step again
    runner(database_url, directory).down()
    assert_at(database_url, a)
    runner(database_url, directory).apply()
    assert_at(database_url, b)

    # and half-reverted again, this time finished by hand
    _execute(database_url, "CREATE VIEW nicks AS SELECT nick FROM t")
    with pytest.raises(ApplyError):
        runner(database_url, directory).down()
    _execute(database_url, "DROP VIEW nicks", "ALTER TABLE t DROP COLUMN nick")
    runner(database_url, directory).resolve(2, "rolled_back")
    assert history(database_url) == [(1, "0001_step1", "applied")]
    assert [r[1:3] for r in _resolutions(database_url)] == [
        ("applied", "reverting"),
        ("rolled_back", "reverting"),
    ]
    assert_at(database_url, a)
    runner(database_url, directory).apply()
    assert_at(database_url, b)


def test_resolve_refuses_a_migration_that_is_not_stuck(database_url: str, tmp_path: Path) -> None:
    directory = history_of(tmp_path / "migrations", spec(A), spec(B))
    with pytest.raises(RefusedError, match="0002_step2 is pending"):
        runner(database_url, directory).resolve(2, "applied")
    runner(database_url, directory).apply()
    with pytest.raises(RefusedError, match="0002_step2 is applied in this database"):
        runner(database_url, directory).resolve(2, "rolled_back")
    with pytest.raises(PgwardenError, match="no migration numbered 0007"):
        runner(database_url, directory).resolve(7, "applied")
    with pytest.raises(PgwardenError, match="--force is not needed"):
        runner(database_url, directory).resolve(2, "applied", force=True)


def test_resolve_cli_and_a_hand_written_migration_needs_force(
    database_url: str, tmp_path: Path
) -> None:
    from tests.migrations.helpers import write_migration

    d = tmp_path / "m"
    write_migration(d, "0001_t", 'CREATE TABLE "t" ("id" integer PRIMARY KEY, "e" text);')
    write_migration(
        d,
        "0002_e",
        "-- pgwarden:step atomic=true\nUPDATE t SET e = 'x';\n"
        "-- pgwarden:step atomic=false\n"
        'CREATE UNIQUE INDEX CONCURRENTLY "t_e_key" ON t (e);\n',
    )
    assert run_cli(database_url, d, "apply", "--to", "1").returncode == 0
    _execute(database_url, "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    failed = run_cli(database_url, d, "apply")
    assert failed.returncode == 1 and "resolve --rolled-back 2" in failed.stderr
    status = run_cli(database_url, d, "status")
    assert "`migrate resolve` after a hand repair" in status.stdout

    both = run_cli(database_url, d, "resolve", "--applied", "2", "--rolled-back", "2")
    assert both.returncode == 2 and "exactly one of --applied N or --rolled-back N" in both.stderr
    unchecked = run_cli(database_url, d, "resolve", "--applied", "2")
    assert unchecked.returncode == 1
    assert "0002_e/snapshot.toml does not exist" in unchecked.stderr
    assert "--force" in unchecked.stderr

    _execute(database_url, "DROP INDEX t_e_key", "UPDATE t SET e = 'u' || id")
    _execute(database_url, 'CREATE UNIQUE INDEX "t_e_key" ON t (e)')
    forced = run_cli(
        database_url, d, "resolve", "--applied", "2", "--force", env={h.ACTOR_ENV: "deploy-bot"}
    )
    assert forced.returncode == 0, forced.stderr
    assert "resolved 0002_e as applied (it was running, 1 step(s) recorded)" in forced.stdout
    assert history(database_url)[-1] == (2, "0002_e", "applied")
    rows = fetch(
        database_url, "SELECT resolution, checked, actor FROM pgwarden.migration_resolutions"
    )
    assert rows == [("applied", False, "deploy-bot")]
    assert run_cli(database_url, d, "apply").stdout.strip() == "nothing to apply"
    helped = run_cli(database_url, d, "resolve", "--help")
    assert helped.returncode == 0 and "pgwarden migrate resolve --applied 3" in helped.stdout


def test_history_tables_of_an_older_install_are_upgraded(database_url: str, tmp_path: Path) -> None:
    """An install made before `resolve` existed: its migrations table lacks the columns."""
    directory = history_of(tmp_path / "migrations", spec(A), spec(B))
    runner(database_url, directory).apply(1)
    _execute(
        database_url,
        "ALTER TABLE pgwarden.migrations DROP COLUMN resolved_at, DROP COLUMN resolved_by",
        "DROP TABLE pgwarden.migration_resolutions",
    )
    assert [s.state for s in runner(database_url, directory).status()] == ["applied", "pending"]
    Runner(database_url, runner(database_url, directory).migrations).apply()
    cols = fetch(
        database_url,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'pgwarden'"
        " AND table_name = 'migrations' AND column_name LIKE 'resolved%' ORDER BY 1",
    )
    assert cols == [("resolved_at",), ("resolved_by",)]
    assert fetch(database_url, "SELECT count(*) FROM pgwarden.migration_resolutions") == [(0,)]


def _current_user(url: str) -> str:
    return str(fetch(url, "SELECT current_user")[0][0])
