"""Ctrl-C exits 130 with one line on the database's state and the command that
continues -- during start-up and in the middle of a migration; never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.cli.helpers import run_main, run_process
from tests.migrations.helpers import history, write_migration


def test_ctrl_c_during_startup_exits_130_quietly(tmp_path: Path) -> None:
    done = run_process("--version", cwd=tmp_path, env={"PGWARDEN_TEST_INTERRUPT": "startup"})
    assert done.returncode == 130, done
    assert done.stderr == "interrupted while starting: nothing was changed\n"
    assert "Traceback" not in done.stdout + done.stderr


SLOW = """
-- pgwarden:step atomic=false description="create t"
CREATE TABLE "t" ("id" integer PRIMARY KEY);
-- pgwarden:step atomic=true description="slow backfill"
INSERT INTO "t" SELECT g FROM generate_series(1, 10) g;
SELECT pg_sleep(60);
-- pgwarden:step atomic=true description="never reached"
ALTER TABLE "t" ADD COLUMN "n" integer;
"""


def test_ctrl_c_mid_migration_says_where_it_stopped_and_how_to_resume(
    tmp_path: Path, database_url: str
) -> None:
    assert run_main("init", cwd=tmp_path).code == 0
    write_migration(tmp_path / "migrations", "0001_slow", SLOW)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgwarden", "migrate", "apply", "-u", database_url],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        with psycopg.connect(database_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%'"
                ).fetchone()
                if row and row[0]:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("the slow step never started")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err
    line = [ln for ln in err.splitlines() if ln.startswith("interrupted:")]
    assert len(line) == 1, err
    assert "0001_slow stopped in step 2/3: 1 of its 3 steps are committed" in line[0]
    assert "the step under way rolled back; `pgwarden migrate apply` continues" in line[0]
    assert history(database_url) == [(1, "0001_slow", "running")]
    status = run_main("migrate", "status", "-u", database_url, cwd=tmp_path)
    assert "running (1/3 steps done; `migrate apply` resumes" in status.out, status.output
