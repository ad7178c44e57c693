from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from pgwarden.db import start_embedded
from tests.pg import temp_database

# `validate`, `sql`, `generate`, `docs` and `migrate new` prove the spec on a server
# first; the suite runs them often, so it stays offline unless a test asks for the
# proof (tests/apply/test_proof.py, which unsets this)
os.environ.setdefault("PGWARDEN_OFFLINE", "1")

# Reproducible by default: the "ci" profile draws the same examples on every run (the
# README's command and CI's first pass). .ci/run's second-server pass sets
# HYPOTHESIS_PROFILE=random: fresh examples each run and more of them, so the suite keeps
# exploring; a failure there prints the blob that reproduces it (docs/architecture.md).
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile("random", max_examples=200, print_blob=True, **_COMMON)
settings.register_profile("default", parent=settings.get_profile("ci"))
# while writing a strategy: the ci examples, the first failure as drawn (no shrinking)
settings.register_profile(
    "noshrink",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.generate, Phase.target],
    report_multiple_bugs=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
def embedded_state_dir() -> Iterator[Path]:
    """A ``--state-dir`` for a test that starts its own embedded server.

    Not under pytest's basetemp: as root the server runs as a system user that must
    traverse the path, and every pytest session that starts re-locks
    /tmp/pytest-of-<user> to 0700 (so a concurrent run made initdb fail with
    "Permission denied").
    """
    state = Path(tempfile.mkdtemp(prefix="pgwarden-test-state-")) / "state"
    try:
        yield state
    finally:
        shutil.rmtree(state.parent, ignore_errors=True)


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for this test; dropped afterwards."""
    with temp_database(pg_server) as url:
        yield url
