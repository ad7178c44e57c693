from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pgwarden.db import connect, mask_dsn, mask_secrets
from pgwarden.errors import DatabaseError


def _pgwarden(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # a CI-like minimal environment; /usr/sbin holds useradd, which the embedded
    # wheel needs as root on a machine where its system user does not exist yet
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(state.parent)}
    return subprocess.run(
        [sys.executable, "-m", "pgwarden", "--state-dir", str(state), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_embedded_server_lifecycle(embedded_state_dir: Path) -> None:
    state = embedded_state_dir
    assert _pgwarden(state, "db", "status").returncode == 1
    started = _pgwarden(state, "db", "start")
    assert started.returncode == 0, started.stderr
    try:
        url = started.stdout.strip()
        assert url.startswith("postgresql://")
        with psycopg.connect(url) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
        assert row is not None and int(row[0]) >= 180000
        status = _pgwarden(state, "db", "status")
        assert status.returncode == 0 and "running" in status.stdout
        # a second start reuses the running server
        assert _pgwarden(state, "db", "start").stdout.strip() == url
        assert _pgwarden(state, "db", "url").stdout.strip() == url
    finally:
        stopped = _pgwarden(state, "db", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    # no library noise (platformdirs warns without XDG_RUNTIME_DIR, as in CI)
    assert "Warning" not in stopped.stderr + started.stderr + status.stderr
    assert _pgwarden(state, "db", "status").returncode == 1
    assert "not running" in _pgwarden(state, "db", "stop").stdout


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://bob:s3cr%40t@db.example:5432/app",
        "postgres://bob:s3cr%40t@db.example/app?sslmode=require",
        "postgresql://db.example/app?user=bob&password=s3cr%40t",
        "host=db.example user=bob password=s3cr%40t dbname=app",
        "host=db.example password='s3cr%40t with space' dbname=app",
    ],
)
def test_passwords_never_survive_masking(dsn: str) -> None:
    assert "s3cr" not in mask_dsn(dsn)
    assert "s3cr" not in mask_secrets(f"could not connect using {dsn}: refused")


def test_connection_error_is_masked_and_has_no_traceback(tmp_path: Path) -> None:
    url = "postgresql://bob:hunter2@127.0.0.1:1/nodb"
    done = _pgwarden(tmp_path / "state", "--database-url", url, "db", "url")
    assert done.returncode == 0
    assert done.stdout.strip() == "postgresql://bob:***@127.0.0.1:1/nodb"
    with pytest.raises(DatabaseError) as info:
        connect(url, connect_timeout=2)
    assert "hunter2" not in str(info.value)
    assert "fix:" in str(info.value)
