"""Fleet fixtures: every real server the machine has (the per-worker one, plus the
machine's PostgreSQL 15 when it answers), and a small migration history + spec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.fleet.helpers import PG15_URL, server_key, write_history


@pytest.fixture(scope="session")
def fleet_servers(pg_server: str) -> list[str]:
    servers = [pg_server]
    try:
        with psycopg.connect(PG15_URL, autocommit=True, connect_timeout=3):
            pass
    except psycopg.Error:
        return servers  # the machine's server is down: the embedded one carries the test
    if server_key(PG15_URL) != server_key(pg_server):
        servers.append(PG15_URL)
    return servers


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """tmp_path with migrations/ (0001-0003) and schema/ matching them."""
    write_history(tmp_path)
    yield tmp_path
