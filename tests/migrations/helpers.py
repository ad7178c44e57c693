"""Build migration directories by hand and run the real ``pgwarden`` CLI on them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from pgwarden.apply import files

PGWARDEN = [sys.executable, "-m", "pgwarden"]


def write_migration(directory: Path, name: str, up: str, down: str | None = None) -> Path:
    path = directory / name
    path.mkdir(parents=True)
    (path / files.UP).write_text(up, encoding="utf-8")
    if down is not None:
        (path / files.DOWN).write_text(down, encoding="utf-8")
    files.write_sum(directory)
    return path


def run_cli(
    url: str,
    directory: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DATABASE_URL", None)
    return subprocess.run(
        [*PGWARDEN, "--database-url", url, "migrate", "--dir", str(directory), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=300,
    )


def fetch(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query.encode(), params or None).fetchall()


def history(url: str) -> list[tuple[int, str, str]]:
    return [
        (int(r[0]), str(r[1]), str(r[2]))
        for r in fetch(url, "SELECT version, name, status FROM pgwarden.migrations ORDER BY 1")
    ]
