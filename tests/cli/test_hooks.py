"""The pre-commit hooks (.pre-commit-hooks.yaml), each entry run in a temporary git
repository as pre-commit would run it; and lint's GitLab Code Quality report."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pgwarden.apply.shadow import SHADOW_ENV
from tests.cli.helpers import run_main

ROOT = Path(__file__).resolve().parents[2]


def hooks() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(data, list)
    return {h["id"]: h for h in data}


def run_hook(hook: dict[str, Any], repo: Path, server: str) -> subprocess.CompletedProcess[str]:
    """The hook's entry as pre-commit runs it; the migrate check's scratch database goes on
    the test's server (a user's hook uses the embedded one)."""
    argv = shlex.split(hook["entry"])
    assert argv[0] == "pgwarden"  # the console script pre-commit installs
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGWARDEN_ENV")}
    return subprocess.run(
        [sys.executable, "-m", "pgwarden", *argv[1:]],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, SHADOW_ENV: server},
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, pg_server: str) -> Path:
    root = tmp_path_factory.mktemp("hooked")
    git(root, "init", "-q")
    for args in (["init"], ["generate"], ["docs"], ["migrate", "new", "initial"]):
        assert run_main(*args, cwd=root, env={SHADOW_ENV: pg_server}).code == 0, args
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def test_the_hooks_are_declared_for_pre_commit() -> None:
    found = hooks()
    assert {
        "pgwarden-lint",
        "pgwarden-generate-check",
        "pgwarden-docs-check",
        "pgwarden-migrate-check",
    } <= set(found)
    for hook in found.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert hook["name"] and hook["description"]
    lint_files = re.compile(found["pgwarden-lint"]["files"])
    for path in ("schema/app.toml", "migrations/0002_x/up.sql", "src/app/db.py"):
        assert lint_files.search(path), path
    assert not lint_files.search("README.md")
    migrate_files = re.compile(found["pgwarden-migrate-check"]["files"])
    for path in ("schema/app.toml", "migrations/0002_x/down.sql", "migrations/pgwarden.sum"):
        assert migrate_files.search(path), path
    assert not migrate_files.search("src/app/db.py")


def test_every_hook_passes_on_a_clean_project(repo: Path, pg_server: str) -> None:
    for hook_id, hook in hooks().items():
        done = run_hook(hook, repo, pg_server)
        assert done.returncode == 0, (hook_id, done.stdout, done.stderr)


def test_the_hooks_fail_on_what_they_guard(repo: Path, pg_server: str) -> None:
    migration = repo / "migrations" / "0002_index"
    migration.mkdir()
    (migration / "up.sql").write_text('CREATE INDEX "Note_body_idx" ON "Note" ("body");\n')
    lint = run_hook(hooks()["pgwarden-lint"], repo, pg_server)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert re.search(
        r"0002_index/up\.sql:1:1: error: .*\[create-index-non-concurrently\]", lint.stdout
    )
    git(repo, "clean", "-fdq")
    # a hand-written migration whose down fails
    broken = repo / "migrations" / "0002_extra"
    broken.mkdir()
    (broken / "up.sql").write_text('CREATE TABLE "Extra" (id integer);\n')
    (broken / "down.sql").write_text('DROP TABLE "Extar";\n')
    assert run_main("migrate", "hash", cwd=repo).code == 0
    checked = run_hook(hooks()["pgwarden-migrate-check"], repo, pg_server)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert '0002_extra failed the shadow check at step "down"' in checked.stderr
    assert 'table "Extar" does not exist' in checked.stderr
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "clean", "-fdq")
    spec = repo / "schema" / "app.toml"
    body = 'body      = { type = "text" }'
    spec.write_text(spec.read_text().replace(body, body + '\ntitle     = { type = "text" }'))
    for hook_id in ("pgwarden-generate-check", "pgwarden-docs-check"):
        done = run_hook(hooks()[hook_id], repo, pg_server)
        assert done.returncode == 1, (hook_id, done.stdout, done.stderr)
        assert "stale" in done.stdout + done.stderr
    unmigrated = run_hook(hooks()["pgwarden-migrate-check"], repo, pg_server)
    assert unmigrated.returncode == 1, unmigrated.stdout + unmigrated.stderr
    assert "changes no migration holds" in unmigrated.stderr
    git(repo, "checkout", "-q", "--", ".")


def test_lint_reports_gitlab_code_quality(tmp_path: Path) -> None:
    sql = tmp_path / "0001.sql"
    sql.write_text('CREATE INDEX "i" ON "t" ("a");\nVACUUM FULL "t";\n')
    first = run_main("lint", "--format", "gitlab", str(sql), cwd=tmp_path)
    second = run_main("lint", "--format", "gitlab", str(sql), cwd=tmp_path)
    assert first.code == 1 and first.out == second.out
    issues = json.loads(first.out)
    assert len(issues) >= 2
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] == str(sql) and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["check_name"] for i in issues} >= {"create-index-non-concurrently"}
