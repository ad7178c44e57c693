"""The runtime N+1 recorder and its pytest plugin, against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import psycopg
import pytest

from pgwarden.checks.recorder import NPlusOneError, QueryRecorder, statement_fingerprint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def conn(database_url: str) -> psycopg.Connection[tuple[object, ...]]:
    with psycopg.connect(database_url, autocommit=True) as c:
        c.execute("CREATE TABLE item (id bigint PRIMARY KEY, name text)")
        c.execute("INSERT INTO item SELECT g, 'n' || g FROM generate_series(1, 20) g")
        yield c


def test_fingerprint_normalises_literals_and_parameters() -> None:
    a = statement_fingerprint("SELECT name FROM item WHERE id = 1")
    b = statement_fingerprint("select name from item where id = %s")
    c = statement_fingerprint("SELECT name FROM item WHERE id = %(id)s")
    d = statement_fingerprint("SELECT id FROM item WHERE name = 'x'")
    assert a == b == c
    assert a != d


def test_loop_per_item_is_reported_at_its_line(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    with QueryRecorder(threshold=3) as rec:
        for i in range(1, 6):
            conn.execute("SELECT name FROM item WHERE id = %s", (i,)).fetchone()
            loop_line = sys._getframe().f_lineno - 1
    (r,) = rec.repeated()
    assert (Path(r.file).name, r.line, r.count) == ("test_recorder.py", loop_line, 5)
    with pytest.raises(NPlusOneError, match="ran 5 times"):
        rec.assert_no_n_plus_one()


def test_batched_rewrite_is_clean(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    with QueryRecorder(threshold=3) as rec:
        rows = conn.execute("SELECT id, name FROM item WHERE id = ANY(%s)", ([1, 2, 3, 4, 5],))
        names = {r[0]: r[1] for r in rows}
        with conn.cursor() as cur:
            cur.executemany("UPDATE item SET name = %s WHERE id = %s", [("x", i) for i in names])
    assert rec.repeated() == []
    assert rec.count == 2
    rec.assert_no_n_plus_one()


def test_units_of_work_and_threshold(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    with QueryRecorder(threshold=3) as rec:
        for i in range(4):
            with rec.unit_of_work():  # one request per item: 1 query each
                conn.execute("SELECT name FROM item WHERE id = %s", (i,))
        for i in range(2):  # under the threshold
            conn.execute("SELECT id FROM item WHERE name = %s", (str(i),))
    assert rec.repeated() == []
    assert rec.count == 6


def test_recorder_restores_psycopg_and_filters_connections(
    conn: psycopg.Connection[tuple[object, ...]], database_url: str
) -> None:
    original = psycopg.Cursor.execute
    with psycopg.connect(database_url) as other, QueryRecorder(connections=(conn,)) as rec:
        assert psycopg.Cursor.execute is not original
        for i in range(5):
            other.execute("SELECT %s::int", (i,))
        conn.execute("SELECT 1")
    assert psycopg.Cursor.execute is original
    assert rec.count == 1


def test_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry = data["project"]["entry-points"]["pytest11"]
    assert entry == {"pgwarden": "pgwarden.checks.pytest_plugin"}


PLUGIN_TESTS = """
import os
import psycopg
import pytest

URL = os.environ["PGWARDEN_TEST_URL"]


@pytest.fixture
def conn():
    with psycopg.connect(URL, autocommit=True) as c:
        c.execute("CREATE TEMP TABLE item (id bigint PRIMARY KEY, name text)")
        c.execute("INSERT INTO item SELECT g, 'n' || g FROM generate_series(1, 10) g")
        yield c


@pytest.mark.pgwarden_n_plus_one
def test_n_plus_one_loop(conn):
    for i in range(1, 11):
        conn.execute("SELECT name FROM item WHERE id = %s", (i,)).fetchone()  # LOOP


@pytest.mark.pgwarden_n_plus_one
def test_batched(conn):
    rows = conn.execute("SELECT id, name FROM item WHERE id = ANY(%s)", (list(range(1, 11)),))
    assert len(rows.fetchall()) == 10


def test_fixture_catches_it_too(conn, n_plus_one):
    for i in range(1, 4):
        conn.execute("SELECT name FROM item WHERE id = %s", (i,))


@pytest.mark.pgwarden_n_plus_one(threshold=5)
def test_under_a_raised_threshold(conn):
    for i in range(1, 4):
        conn.execute("SELECT name FROM item WHERE id = %s", (i,))
"""


def test_pytest_plugin_fails_the_n_plus_one_test_and_passes_the_batched_one(
    tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "test_app.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    env = {
        **os.environ,
        "PGWARDEN_TEST_URL": database_url,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "pgwarden.checks.pytest_plugin", "-q", "-rf"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "2 failed, 2 passed" in out, out
    assert "FAILED test_app.py::test_n_plus_one_loop" in out
    assert "FAILED test_app.py::test_fixture_catches_it_too" in out
    loop_line = PLUGIN_TESTS.splitlines().index(
        next(line for line in PLUGIN_TESTS.splitlines() if line.endswith("# LOOP"))
    )
    assert f"test_app.py:{loop_line + 1}: n-plus-one-query ran 10 times" in out, out


def test_skip_reports_the_application_line_not_the_library_line(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    from tests.checks import dal

    with QueryRecorder() as plain:
        for i in range(4):
            dal.item_name(conn, i)
    with QueryRecorder(skip=(dal.__file__,)) as skipping:
        for i in range(4):
            dal.item_name(conn, i)
            app_line = sys._getframe().f_lineno - 1
    (lib,) = plain.repeated()
    (app,) = skipping.repeated()
    assert Path(lib.file).name == "dal.py"
    assert (Path(app.file).name, app.line) == ("test_recorder.py", app_line)


def test_async_connections_are_recorded(database_url: str) -> None:
    import asyncio

    async def run() -> QueryRecorder:
        async with await psycopg.AsyncConnection.connect(database_url) as aconn:
            with QueryRecorder() as rec:
                for i in range(3):
                    cur = await aconn.execute("SELECT %s::int", (i,))
                    await cur.fetchone()
            return rec

    rec = asyncio.run(run())
    (r,) = rec.repeated()
    assert r.count == 3 and Path(r.file).name == "test_recorder.py"
