"""`--json` for migrate status / verify / apply (one document on stdout, notes on
stderr, the same exit codes), and progress on a terminal: step k/n after a second,
an index build's phase read from pg_stat_progress_create_index, silence with
--quiet or without a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from pgwarden.cli.progress import index_progress
from tests.cli.helpers import run_main
from tests.migrations.helpers import write_migration

CREATE = """
-- pgwarden:step atomic=true description="create t"
CREATE TABLE "t" ("id" integer PRIMARY KEY, "n" integer);
"""
SLOW = """
-- pgwarden:step atomic=true description="fill t"
INSERT INTO "t" SELECT g, g FROM generate_series(1, 1000) g;
-- pgwarden:step atomic=true description="slow step"
SELECT pg_sleep(2.5);
"""


def _project(tmp_path: Path) -> Path:
    assert run_main("init", cwd=tmp_path).code == 0
    down = '-- pgwarden:step atomic=true description="drop t"\nDROP TABLE "t";\n'
    write_migration(tmp_path / "migrations", "0001_create", CREATE, down)
    return tmp_path


def test_json_output_for_status_apply_and_verify(tmp_path: Path, database_url: str) -> None:
    root = _project(tmp_path)
    spec = root / "schema" / "app.toml"
    spec.write_text('[tables.t.columns]\nid = { type = "integer", primary_key = true }\n'
                    'n = { type = "integer", nullable = true }\n')  # fmt: skip
    status = run_main("migrate", "status", "--json", "-u", database_url, cwd=root)
    assert status.code == 0, status.output
    states = json.loads(status.out)["migrations"]
    assert [(s["name"], s["state"]) for s in states] == [("0001_create", "pending")]
    applied = run_main("migrate", "apply", "--json", "-u", database_url, cwd=root)
    assert applied.code == 0, applied.output
    assert json.loads(applied.out) == {
        "applied": [{"version": 1, "name": "0001_create"}],
        "dry_run": False,
    }
    assert "applied 0001_create" in applied.err  # notes stay off stdout
    again = run_main("migrate", "status", "--json", "-u", database_url, cwd=root)
    (state,) = json.loads(again.out)["migrations"]
    assert state["state"] == "applied" and state["steps_total"] == 1
    verify = run_main("migrate", "verify", "--json", "-u", database_url, cwd=root)
    assert verify.code == 0 and json.loads(verify.out)["drift"] is False, verify.output
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "t" ADD COLUMN "extra" text')
    drifted = run_main("migrate", "verify", "--json", "-u", database_url, cwd=root)
    assert drifted.code == 1
    report = json.loads(drifted.out)
    assert report["drift"] is True and any("extra" in d for d in report["differences"])


def _in_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run pgwarden with stdout and stderr on a pseudo-terminal; return (code, screen)."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(COLUMNS="160", TERM="xterm")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgwarden", *args],
        cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_and_silence_otherwise(tmp_path: Path, database_url: str) -> None:
    root = _project(tmp_path)
    empty = '-- pgwarden:step atomic=true description="empty t"\nDELETE FROM "t";\n'
    write_migration(root / "migrations", "0002_slow", SLOW, empty)
    code, screen = _in_a_terminal(["migrate", "apply", "-u", database_url], root)
    assert code == 0, screen
    assert "0002_slow: step 2/2 slow step" in screen and "0:00:0" in screen  # elapsed
    assert "0001_create: step" not in screen  # quick work shows nothing
    assert "applied 0002_slow" in screen
    # --quiet on a terminal, and no terminal at all: no progress
    assert run_main("migrate", "down", "--to", "0", "-u", database_url, cwd=root).code == 0
    code, screen = _in_a_terminal(["migrate", "apply", "--quiet", "-u", database_url], root)
    assert code == 0 and "step 2/2" not in screen and "applied 0002_slow" in screen
    assert run_main("migrate", "down", "--to", "0", "-u", database_url, cwd=root).code == 0
    piped = run_main("migrate", "apply", "-u", database_url, cwd=root)
    assert piped.code == 0 and "step 2/2" not in piped.output


def test_index_progress_reads_the_build_phase(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute('CREATE TABLE "big" ("id" integer)')
        setup.execute('INSERT INTO "big" SELECT g FROM generate_series(1, 20000) g')
    blocker = psycopg.connect(database_url)  # an old snapshot the build must wait out
    blocker.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    blocker.execute('SELECT count(*) FROM "big"')
    builder = psycopg.connect(database_url, autocommit=True)
    pid = builder.info.backend_pid
    build = threading.Thread(
        target=builder.execute, args=('CREATE INDEX CONCURRENTLY "big_id_idx" ON "big" ("id")',)
    )
    build.start()
    seen: list[str] = []
    try:
        with psycopg.connect(database_url, autocommit=True) as watch:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any("waiting" in s for s in seen):
                phase = index_progress(watch, pid)
                if phase is not None:
                    seen.append(phase)
                time.sleep(0.05)
    finally:
        blocker.rollback()
        blocker.close()
        build.join(timeout=60)
        builder.close()
    assert any(s.startswith("waiting for") for s in seen), seen
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert index_progress(conn, pid) is None  # done: no row
