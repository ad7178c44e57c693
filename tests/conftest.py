from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from pgwarden.db import start_embedded
from tests.pg import temp_database

settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=False,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server: ``DATABASE_URL`` or a per-worker embedded server."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    # Not under pytest's basetemp: concurrent pytest runs prune each other's
    # numbered temp dirs, which would pull the data directory from under the server.
    data = Path(tempfile.mkdtemp(prefix="pgwarden-test-pg-")) / "pgdata"
    url, server = start_embedded(data, persistent=False)
    try:
        yield url
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()
        shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for this test; dropped afterwards."""
    with temp_database(pg_server) as url:
        yield url
