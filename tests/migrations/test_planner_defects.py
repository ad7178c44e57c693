"""The planner defects found replaying a real history (issue 12), each through the real
runner on the server under test: up, down, up again, every catalog name as a plain
CREATE would give it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgwarden.errors import RefusedError
from pgwarden.planner import plan
from tests.migrations.lifecycle import assert_at, history_of, runner, spec


def _up_down_up(url: str, tmp_path: Path, before: str, after: str, rows: str = "") -> None:
    a, b = spec(before), spec(after)
    directory = history_of(tmp_path / "migrations", a, b)
    runner(url, directory).apply(1)
    if rows:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(rows.encode())
    runner(url, directory).apply()
    assert_at(url, b)
    runner(url, directory).down()
    assert_at(url, a)
    runner(url, directory).apply()
    assert_at(url, b)


def test_online_set_not_null_leaves_the_names_of_a_plain_one(
    database_url: str, tmp_path: Path
) -> None:
    # PostgreSQL 18 names the NOT NULL constraint itself T_c_not_null: the online
    # path's temporary check must not take that name (it became T_c_not_null1)
    _up_down_up(
        database_url,
        tmp_path,
        '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n'
        'c = { type = "text", nullable = true }\n',
        '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n'
        'c = { type = "text" }\n',
        """INSERT INTO "T" VALUES (1, 'x'), (2, 'y')""",
    )


PARENT_CHILD = """
[tables.P.columns]
id = {{ type = "{p}", primary_key = true }}

[tables.C.columns]
id = {{ type = "{c}", primary_key = true }}
pid = {{ type = "{c}", nullable = true, references = {{ table = "P" }} }}
"""


def test_fk_is_rebuilt_around_a_type_change_of_both_sides(
    database_url: str, tmp_path: Path
) -> None:
    _up_down_up(
        database_url,
        tmp_path,
        PARENT_CHILD.format(p="integer", c="integer"),
        PARENT_CHILD.format(p="text", c="text"),
        """INSERT INTO "P" VALUES (1), (2); INSERT INTO "C" VALUES (1, 1), (2, NULL)""",
    )


def test_reversed_not_null_check_samples_by_a_key_that_exists(
    database_url: str, tmp_path: Path
) -> None:
    _up_down_up(
        database_url,
        tmp_path,
        '[tables.T.columns]\na = { type = "text", primary_key = true }\n',
        '[tables.T.columns]\nb = { type = "integer", primary_key = true }\n',
    )


def test_fk_preflight_waits_for_the_plans_own_type_change(
    database_url: str, tmp_path: Path
) -> None:
    _up_down_up(
        database_url,
        tmp_path,
        '[tables.P.columns]\nid = { type = "integer", primary_key = true }\n'
        '[tables.C.columns]\nid = { type = "text", primary_key = true }\n',
        '[tables.P.columns]\nid = { type = "integer", primary_key = true }\n'
        '[tables.C.columns]\nid = { type = "integer", primary_key = true, '
        'references = { table = "P" } }\n',
        """INSERT INTO "P" VALUES (1), (2); INSERT INTO "C" VALUES ('1'), ('2')""",
    )


@pytest.mark.parametrize(
    "wider", ["numeric(65,30)", "numeric(12,0)", "numeric(10)", "text", "bigint", "numeric"]
)
def test_integer_widening_needs_no_consent_and_keeps_every_value(
    database_url: str, tmp_path: Path, wider: str
) -> None:
    before = '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n'
    before += 'v = { type = "integer" }\n'
    after = before.replace('v = { type = "integer" }', f'v = {{ type = "{wider}" }}')
    up = plan(spec(before), spec(after))  # no consent given: must not be refused
    assert not any(op.destructive for op in up), up.describe()
    _up_down_up(
        database_url,
        tmp_path,
        before,
        after,
        'INSERT INTO "T" VALUES (1, 2147483647), (2, -2147483648), (3, 0)',
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute('SELECT v::text FROM "T" ORDER BY id').fetchall()
    assert [r[0].split(".")[0] for r in rows] == ["2147483647", "-2147483648", "0"]


@pytest.mark.parametrize("narrower", ["numeric(9,0)", "numeric(12,3)", "varchar(5)", "smallint"])
def test_integer_narrowing_still_needs_consent(narrower: str) -> None:
    before = '[tables.T.columns]\nv = { type = "integer" }\n'
    with pytest.raises(RefusedError, match=r"T\.v"):
        plan(spec(before), spec(before.replace("integer", narrower)))


DROPPED_NOT_NULL = (
    '[tables.T.columns]\nid = { type = "integer", primary_key = true }\nc = { type = "text" }\n',
    '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n',
)


def test_down_of_a_dropped_not_null_column_stops_on_rows_with_the_fix(
    database_url: str, tmp_path: Path
) -> None:
    # the up dropped the values: a plain ADD COLUMN c text NOT NULL would fail on the
    # first row; the down adds it nullable and stops at its preflight with the UPDATE
    from pgwarden.apply.preflight import PreflightError

    a, b = (spec(text) for text in DROPPED_NOT_NULL)
    directory = history_of(tmp_path / "migrations", a, b)
    runner(database_url, directory).apply(1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO "T" VALUES (1, 'x'), (2, 'y')""")
    runner(database_url, directory).apply()
    with pytest.raises(PreflightError) as stopped:
        runner(database_url, directory).down()
    message = str(stopped.value)
    assert "T: 2 row(s): NULLs in T.c" in message, message
    assert 'UPDATE "T" SET "c" = <value>' in message, message
    assert "earlier steps are committed" in message and "migrate down" in message, message
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""UPDATE "T" SET c = 'filled' WHERE c IS NULL""")
    runner(database_url, directory).down()  # resumes at the NOT NULL
    assert_at(database_url, a)


def test_down_of_a_dropped_not_null_column_on_an_empty_table(
    database_url: str, tmp_path: Path
) -> None:
    _up_down_up(database_url, tmp_path, *DROPPED_NOT_NULL)
