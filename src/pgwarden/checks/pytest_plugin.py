"""pytest plugin (entry point ``pytest11``): fail tests that run N+1 queries.

* ``@pytest.mark.pgwarden_n_plus_one`` (optionally ``threshold=N``) records the
  test body's psycopg statements and fails the test on a repeated query;
* the ``n_plus_one`` fixture does the same and gives the test the
  :class:`~pgwarden.checks.recorder.QueryRecorder` (``.count``, ``.repeated()``,
  ``.unit_of_work()``);
* ``--pgwarden-n-plus-one`` checks every test.

Only the test call is recorded, not fixture setup (creating tables, seeding).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pgwarden.checks.recorder import QueryRecorder

MARKER = "pgwarden_n_plus_one"
_KEY = pytest.StashKey[QueryRecorder]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--pgwarden-n-plus-one``: check every test, not only the marked ones."""
    group = parser.getgroup("pgwarden")
    group.addoption(
        "--pgwarden-n-plus-one",
        action="store_true",
        default=False,
        help="fail every test that repeats a query per item (N+1)",
    )
    parser.addini(
        "pgwarden_n_plus_one_threshold",
        "repeats of one query from one line that count as N+1 (default 3)",
        default="3",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the N+1 marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(threshold=3): fail the test when a query repeats per item (N+1)",
    )


def _threshold(item: pytest.Item) -> int:
    marker = item.get_closest_marker(MARKER)
    if marker is not None and "threshold" in marker.kwargs:
        return int(marker.kwargs["threshold"])
    return int(str(item.config.getini("pgwarden_n_plus_one_threshold")))


def _recorder(item: pytest.Item) -> QueryRecorder:
    if _KEY not in item.stash:
        item.stash[_KEY] = QueryRecorder(threshold=_threshold(item))
    return item.stash[_KEY]


@pytest.fixture
def n_plus_one(request: pytest.FixtureRequest) -> QueryRecorder:
    """The recorder for this test; the test fails if it records an N+1."""
    return _recorder(request.node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Record the queries of a marked test (or of every test with the option) and fail it on an
    N+1."""
    wanted = (
        item.get_closest_marker(MARKER) is not None
        or "n_plus_one" in getattr(item, "fixturenames", ())
        or bool(item.config.getoption("--pgwarden-n-plus-one"))
    )
    if not wanted:
        return (yield)
    recorder = _recorder(item)
    with recorder:
        result = yield
    recorder.assert_no_n_plus_one()
    return result
