"""The shadow check of ``migrate new`` / ``migrate check``: each migration goes up, down and
up again on a scratch database, and a migration failing any step is never written.

The broken migrations are made by injecting ops into the planner's result through its
public API (``pgwarden.planner.plan``, ``Plan``, ``Op``, the renderer registry), as a
planner bug would produce them; nothing is edited on disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

import pgwarden.planner
from pgwarden.apply import files
from pgwarden.apply.shadow import SCRATCH_PREFIX, SHADOW_ENV
from pgwarden.planner import Op, Plan
from pgwarden.render.sql import Statement, renders
from tests.cli.helpers import run_main, run_process
from tests.migrations.helpers import fetch

ROOT = Path(__file__).resolve().parents[2]

V1 = """
[enums.Status]
values = ["DRAFT", "PUBLISHED"]

[tables.Post.columns]
id     = { type = "integer", identity = "by default", primary_key = true }
title  = { type = "text" }
status = { type = "Status", default = "DRAFT" }

[[tables.Post.indexes]]
columns = ["title"]
where = "status = 'PUBLISHED'"
"""

V2 = V1.replace('values = ["DRAFT", "PUBLISHED"]', 'values = ["DRAFT", "REVIEW", "PUBLISHED"]')


@dataclass(frozen=True, slots=True)
class GhostDown(Op):
    """Harmless up; its reverse drops an index that never existed (a down that fails)."""

    table: str

    @property
    def description(self) -> str:
        return f"touch {self.table} (injected: its down is broken)"

    def reverse(self) -> tuple[Op, ...]:
        return (DropGhost(),)


@dataclass(frozen=True, slots=True)
class DropGhost(Op):
    @property
    def description(self) -> str:
        return "drop index ghost_idx (injected)"

    def reverse(self) -> tuple[Op, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class StrayIndex(Op):
    """An up that builds what the spec does not have (the result is not the spec)."""

    table: str

    @property
    def description(self) -> str:
        return f"create index stray_idx on {self.table} (injected)"

    def reverse(self) -> tuple[Op, ...]:
        return (DropGhost(),)


@renders(GhostDown)
def _ghost_down(op: GhostDown) -> list[Statement]:
    return [Statement(sql.SQL("COMMENT ON TABLE {} IS NULL").format(sql.Identifier(op.table)))]


@renders(DropGhost)
def _drop_ghost(_op: DropGhost) -> list[Statement]:
    return [Statement(sql.SQL("DROP INDEX {}").format(sql.Identifier("ghost_idx")))]


@renders(StrayIndex)
def _stray(op: StrayIndex) -> list[Statement]:
    return [
        Statement(
            sql.SQL("CREATE INDEX {} ON {} ({})").format(
                sql.Identifier("stray_idx"), sql.Identifier(op.table), sql.Identifier("title")
            )
        )
    ]


def _inject(monkeypatch: pytest.MonkeyPatch, extra: Op) -> None:
    real = pgwarden.planner.plan

    def broken(current: Any, target: Any, options: Any = None) -> Plan:
        return Plan((*real(current, target, options).ops, extra))

    monkeypatch.setattr(pgwarden.planner, "plan", broken)


def _leftovers(server: str) -> list[str]:
    """Scratch databases this process made and did not drop."""
    rows = fetch(
        server,
        "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE %s",
        (f"{SCRATCH_PREFIX}{os.getpid()}\\_%",),
    )
    return [str(r[0]) for r in rows]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "app.toml").write_text(V1)
    yield tmp_path


def _new(project: Path, server: str, name: str) -> Any:
    return run_main(
        "--schema",
        "schema",
        "migrate",
        "--dir",
        "migrations",
        "new",
        name,
        "--shadow-database-url",
        server,
        cwd=project,
    )


def _tree(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}


def test_a_good_migration_passes_and_is_written(project: Path, pg_server: str) -> None:
    first = _new(project, pg_server, "init")
    assert first.code == 0, first.output
    assert "shadow check passed" in first.out
    (project / "schema" / "app.toml").write_text(V2)
    second = _new(project, pg_server, "add_review")
    assert second.code == 0, second.output
    assert (project / "migrations" / "0002_add_review" / "up.sql").exists()
    checked = run_main(
        "--schema", "schema", "migrate", "--dir", "migrations", "check", cwd=project,
        env={SHADOW_ENV: pg_server},
    )  # fmt: skip
    assert checked.code == 0, checked.output
    assert "0001_init: ok (up, down, up)" in checked.out
    assert "0002_add_review: ok (up, down, up)" in checked.out
    assert _leftovers(pg_server) == []


def test_a_down_that_fails_is_refused_with_its_step_and_error(
    project: Path, pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _new(project, pg_server, "init").code == 0
    before = _tree(project / "migrations")
    (project / "schema" / "app.toml").write_text(V2)
    _inject(monkeypatch, GhostDown("Post"))
    refused = _new(project, pg_server, "add_review")
    assert refused.code == 1, refused.output
    assert '0002_add_review failed the shadow check at step "down"' in refused.err
    assert 'index "ghost_idx" does not exist' in refused.err
    assert "DROP INDEX" in refused.err  # the statement that failed
    assert "nothing was written" in refused.err
    assert "Traceback" not in refused.output
    assert _tree(project / "migrations") == before
    assert _leftovers(pg_server) == []


def test_an_up_that_misses_the_spec_is_refused(
    project: Path, pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inject(monkeypatch, StrayIndex("Post"))
    refused = _new(project, pg_server, "init")
    assert refused.code == 1, refused.output
    assert 'failed the shadow check at step "verify up"' in refused.err
    assert "stray_idx" in refused.err
    assert not (project / "migrations").exists() or _tree(project / "migrations") == {}
    assert _leftovers(pg_server) == []


def test_check_names_the_broken_migration_of_a_history(
    project: Path, pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _new(project, pg_server, "init").code == 0
    (project / "schema" / "app.toml").write_text(V2)
    _inject(monkeypatch, GhostDown("Post"))
    written = run_main(
        "--schema", "schema", "migrate", "--dir", "migrations", "new", "add_review",
        "--no-check", cwd=project,
    )  # fmt: skip
    assert written.code == 0, written.output  # --no-check writes it unproven
    monkeypatch.undo()
    checked = run_main(
        "--schema", "schema", "migrate", "--dir", "migrations", "check",
        "--shadow-database-url", pg_server, cwd=project,
    )  # fmt: skip
    assert checked.code == 1, checked.output
    assert "0001_init: ok (up, down, up)" in checked.out
    assert '0002_add_review failed the shadow check at step "down"' in checked.err
    assert 'index "ghost_idx" does not exist' in checked.err
    assert _leftovers(pg_server) == []


def test_check_refuses_a_spec_change_without_its_migration(project: Path, pg_server: str) -> None:
    assert _new(project, pg_server, "init").code == 0
    (project / "schema" / "app.toml").write_text(V2)
    checked = run_main(
        "--schema", "schema", "migrate", "--dir", "migrations", "check",
        "--shadow-database-url", pg_server, cwd=project,
    )  # fmt: skip
    assert checked.code == 1 and "changes no migration holds" in checked.err, checked.output


def test_basefly_history_holds_up(pg_server: str) -> None:
    checked = run_process(
        "--schema", "schema", "migrate", "--dir", "migrations", "check", cwd=ROOT,
        env={SHADOW_ENV: pg_server},
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for name in (
        "0001_saasfly",
        "0002_blueprint",
        "0003_audit",
        "0004_fk_indexes",
        "0005_tombstone",
        "0006_tombstone_restore",
    ):
        assert f"{name}: ok (up, down, up)" in checked.stdout
    assert files.load_migrations(ROOT / "migrations")[-1].name == "0006_tombstone_restore"


@pytest.mark.slow
def test_without_a_shadow_url_the_embedded_server_is_used(
    project: Path, embedded_state_dir: Path
) -> None:
    from pgwarden.db import embedded_status

    state = embedded_state_dir
    try:
        done = run_process(
            "--schema", "schema", "migrate", "--dir", "migrations", "new", "init",
            "--state-dir", str(state), cwd=project, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "shadow check passed" in done.stdout
        url = embedded_status(state).url
        assert url is not None
        assert (
            fetch(url, "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden_shadow%'")
            == []
        )
    finally:
        stopped = run_process("--state-dir", str(state), "db", "stop", cwd=project)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
