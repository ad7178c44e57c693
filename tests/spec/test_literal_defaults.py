"""Literal defaults are checked against their column's type and range (issue 20
item 4, issue 19 item 2): ok/err pairs with file:line, path and fix, and a
property that the static verdict is Postgres's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from pgwarden.errors import SpecError
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import ColumnType
from pgwarden.spec.types import parse_type, type_sql
from pgwarden.spec.values import LEFT_TO_SERVER, MovingValue, judge

FILE = "schema/app.toml"


def _spec(column: str) -> str:
    return (
        '[enums.Plan]\nvalues = ["FREE", "PRO"]\n\n[tables.T.columns]\n'
        'id = { type = "integer", primary_key = true }\n'
        f"c = {{ {column} }}\n"
    )


ERR = [
    ('type = "integer", default = "abc"', "'abc' is not a valid integer"),
    ('type = "smallint", default = 99999', "99999 is out of range for smallint (-32768..32767)"),
    ('type = "bigint", default_sql = "9223372036854775808"', "out of range for bigint"),
    ('type = "numeric(5,2)", default = 1234.5', "1234.5 does not fit numeric(5,2)"),
    ('type = "numeric(4,2)", default = "99.995"', "'99.995' does not fit numeric(4,2)"),
    ('type = "numeric(3)", default = "Infinity"', "cannot hold an infinite value"),
    ('type = "real", default = 1e39', "1e+39 is out of range for real"),
    ('type = "double precision", default = "1e400"', "'1e400' is out of range"),
    ('type = "boolean", default = "maybe"', "'maybe' is not a boolean"),
    ('type = "boolean", default = "o"', "'o' is not a boolean"),
    ('type = "date", default = "2024-02-30"', "day 30 does not exist in 2024-02"),
    ('type = "date", default = "2023-13-01"', "month 13 does not exist"),
    ('type = "date", default = "31/01/2024"', "not an ISO 8601 date: write YYYY-MM-DD"),
    ('type = "timestamp", default = "2024-01-31 25:00"', "time of day is out of range"),
    ('type = "timestamptz", default = "yesterday"', "read once, when the table is created"),
    ('type = "time", default = "12:00+02"', "a time without time zone takes no offset"),
    ('type = "uuid", default = "not-a-uuid"', "'not-a-uuid' is not a uuid"),
    ('type = "uuid", default_sql = "42"', "a number default on a column of type uuid"),
    ('type = "integer", default_sql = "TRUE"', "a boolean default on a column of type integer"),
    ('type = "Plan", default_sql = "\'FRE\'"', "'FRE' is not a value of enum Plan"),
    ('type = "Plan[]", default = ["FREE", "GOLD"]', "'GOLD' is not a value of enum Plan"),
    ('type = "varchar(3)", default = "abcdef"', "6 characters, longer than varchar(3)"),
    ('type = "char", default = "ab"', "longer than char"),
    ('type = "integer[]", default = ["1", "x"]', "array element 'x' is not a valid integer"),
    ('type = "jsonb", default = "{bad"', "is not valid JSON"),
    ('type = "json", default = "NaN"', "is not valid JSON"),
    ('type = "bytea", default = "\\\\xzz"', "is not bytea input"),
]

OK = [
    'type = "integer", default = " 42 "',
    'type = "integer", default = -2147483648',
    'type = "smallint", default = 32767',
    'type = "integer", default_sql = "1.5"',  # Postgres rounds, as an insert would
    'type = "numeric(4,2)", default = "99.994"',
    'type = "numeric(5,2)", default = "NaN"',
    'type = "numeric", default = "1e400"',
    'type = "real", default = 3.4e38',
    'type = "double precision", default = "-Infinity"',
    'type = "boolean", default = " YES "',
    'type = "boolean", default = "of"',
    'type = "boolean", default = "1"',
    'type = "date", default = "2024-02-29"',
    'type = "date", default = "0001-01-01 BC"',
    'type = "date", default = "infinity"',
    'type = "timestamp", default = "2024-01-31T12:00:00.123"',
    'type = "timestamptz", default = "2024-01-31 12:00:00 Europe/Paris"',
    'type = "timestamptz", default = "2024-01-31 12:00:00Z"',
    'type = "time", default = "24:00:00"',
    'type = "timetz", default = "12:34:56+05:30"',
    'type = "uuid", default = "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"',
    'type = "uuid", default = "A0EEBC999C0B4EF8BB6D6BB9BD380A11"',
    'type = "Plan", default = "PRO"',
    'type = "Plan[]", default = ["FREE"]',
    'type = "varchar(3)", default = "abc   "',  # excess trailing spaces are cut
    'type = "text[]", default = []',
    'type = "integer[]", default_sql = "\'{1,NULL,3}\'"',
    'type = "jsonb", default = "{\\"a\\": [1, null]}"',
    'type = "bytea", default = "\\\\x00 ff"',
    'type = "bytea", default = "ab\\\\\\\\c\\\\001"',
    'type = "interval", default = "1 day"',
    'type = "text", default_sql = "42"',
]


@pytest.mark.parametrize(("column", "words"), ERR)
def test_a_literal_default_that_does_not_fit_is_an_error(column: str, words: str) -> None:
    with pytest.raises(SpecError) as err:
        load_schema_text(_spec(column), FILE)
    (problem,) = err.value.problems
    assert problem.path == "tables.T.columns.c.default", str(problem)
    assert problem.line == 6 and str(problem).startswith(f"{FILE}:6: tables.T.columns.c.default:")
    assert words in problem.message, str(problem)
    assert problem.hint


@pytest.mark.parametrize("column", OK)
def test_a_literal_default_that_fits_loads(column: str) -> None:
    load_schema_text(_spec(column), FILE)


# ---------------------------------------------------------------------- Postgres agrees

_TYPES = [
    "smallint",
    "integer",
    "bigint",
    "numeric(5,2)",
    "numeric",
    "real",
    "double precision",
    "boolean",
    "date",
    "timestamp",
    "timestamptz",
    "time",
    "timetz",
    "uuid",
    "varchar(3)",
    "char(2)",
    "jsonb",
    "json",
    "bytea",
    "integer[]",
    "boolean[]",
    "date[]",
]
_WORDS = [
    "0",
    "-1",
    "+7",
    "32767",
    "32768",
    "-32769",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "1.5",
    "0x1F",
    "1_000",
    "999.994",
    "999.995",
    "-999.995",
    "1e3",
    "1e39",
    "1e-50",
    "1e400",
    ".5",
    "5.",
    "NaN",
    "Infinity",
    "-inf",
    "t",
    "f",
    "yes",
    "n",
    "on",
    "o",
    "off",
    "tru",
    "maybe",
    "2024-02-29",
    "2023-02-29",
    "2024-12-31",
    "2024-1-5",
    "0001-01-01 BC",
    "2024-01-31 12:00",
    "2024-01-31T23:59:59.999",
    "2024-01-31 24:00:00",
    "2024-01-31 12:00:00+02",
    "2024-01-31 12:00:00Z",
    "12:00",
    "12:60",
    "24:00:00",
    "23:59:60",
    "12:00:00+02",
    "epoch",
    "infinity",
    "allballs",
    "00000000-0000-0000-0000-000000000001",
    "{00000000-0000-0000-0000-000000000001}",
    "0000-0000-0000-0000-0000-0000-0000-0001",
    "00000000000000000000000000000001",
    "0000000-0000-0000-0000-000000000001",
    "abc",
    "ab ",
    "abcd",
    '{"a": 1}',
    "[1, 2]",
    "{bad",
    "\\x00ff",
    "\\x0",
    "a\\\\b",
    "a\\b",
    "{1,2,NULL}",
    "{t,f}",
    "{2024-01-01}",
    "{1,x}",
    "{}",
    "",
    " ",
]


@pytest.fixture(scope="module")
def conn(pg_server: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_server, autocommit=True) as c:
        yield c


def _postgres_accepts(conn: psycopg.Connection[Any], t: ColumnType, text: str) -> bool:
    """Create a column with this default and insert a row that uses it."""
    table = sql.Identifier(f"d_{uuid.uuid4().hex[:8]}")
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET LOCAL DateStyle = 'ISO, MDY'")
            conn.execute(
                sql.SQL("CREATE TEMP TABLE {} (c {} DEFAULT {})").format(
                    table, type_sql(t), sql.Literal(text)
                )
            )
            conn.execute(sql.SQL("INSERT INTO {} DEFAULT VALUES").format(table))
    except psycopg.Error:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_TYPES), st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)))
@example("real", "0x1F")  # strtod reads C99 hex floats on every version (found by this test)
@example("double precision", "-0x1.8p3")
@example("real", "0x1p200")  # hex, but out of range for real
@example("time", "12:00:00+02")  # Postgres drops the offset; refused here on purpose
def test_the_static_verdict_is_postgres_verdict(
    conn: psycopg.Connection[Any], type_text: str, text: str
) -> None:
    t = parse_type(type_text)
    try:
        problem = judge(text, t)
    except MovingValue:
        return  # 'now' and friends: valid input, refused on purpose
    if problem == LEFT_TO_SERVER:
        return
    accepted = _postgres_accepts(conn, t, text)
    if problem is None:
        # accepted here: Postgres must create it and insert with it
        assert accepted, f"{text!r} as {type_text} was accepted but Postgres refuses it"
    elif not any(n in problem for n in ("ISO 8601", "PostgreSQL 16+", "takes no offset")):
        # refused here (but for the deliberate narrowings: ISO dates only, no syntax
        # that only some servers read, no offset on a time without time zone, which
        # Postgres drops silently): Postgres refuses too
        assert not accepted, f"{text!r} as {type_text}: refused ({problem}) but Postgres takes it"


def test_array_elements_keep_what_postgres_does_not_skip() -> None:
    """array_in skips only ' \\t\\n\\r\\v\\f'; Python's isspace() also takes \\x1f (a found
    case: the enum value '0\\x1f' in an array default was read as '0')."""
    from pgwarden.spec.values import parse_array

    assert parse_array("{0\x1f}") == ["0\x1f"]
    assert parse_array(" { a , b\t}\n") == ["a", "b"]
