"""Property test on a real server: for random sequences of INSERT / UPDATE / DELETE
on an audited table, the log has exactly one row per row that changed, and
replaying it (insert ``after``, merge ``after`` into the keyed row, remove on
delete) rebuilds the table -- every column but the secret one, whose value the
log never holds."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema_text
from tests.pg import reset_schema

SPEC = load_schema_text(
    """
[tables.Item]
audit = true
[tables.Item.columns]
id     = { type = "integer", primary_key = true }
name   = { type = "text", nullable = true }
qty    = { type = "integer", default = 0 }
price  = { type = "numeric(10,2)", nullable = true }
tags   = { type = "text[]", default = [] }
meta   = { type = "jsonb", nullable = true }
token  = { type = "text", nullable = true, secret = "hashed" }
"""
)
COLUMNS = ("name", "qty", "price", "tags", "meta", "token")
SECRET = "tok-"

texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
values: dict[str, st.SearchStrategy[Any]] = {
    "name": st.none() | texts,
    "qty": st.integers(-1000, 1000),
    "price": st.none() | st.decimals(-9999, 9999, places=2, allow_nan=False),
    "tags": st.lists(texts, max_size=3),
    "meta": st.none() | st.dictionaries(st.sampled_from("abc"), st.integers(0, 3), max_size=2),
    "token": st.none() | st.integers(0, 99).map(lambda n: f"{SECRET}{n}"),
}
keys = st.integers(1, 4)
changes = st.fixed_dictionaries({}, optional=values)
ops: st.SearchStrategy[list[tuple[str, int, dict[str, Any]]]] = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), keys, changes),
        st.tuples(st.just("update"), keys, changes),
        st.tuples(st.just("delete"), keys, st.just({})),
    ),
    max_size=12,
)


def _param(column: str, value: Any) -> Any:
    return Jsonb(value) if column == "meta" and value is not None else value


DEFAULTS: dict[str, Any] = {
    "name": None,
    "qty": 0,
    "price": None,
    "tags": [],
    "meta": None,
    "token": None,
}


def _expected_rows(sequence: list[tuple[str, int, dict[str, Any]]]) -> int:
    """How many rows change: the number of log rows there must be."""
    rows: dict[int, dict[str, Any]] = {}
    count = 0
    for op, key, row in sequence:
        if op == "insert" and key not in rows:
            rows[key] = {**DEFAULTS, **row}
            count += 1
        elif op == "update" and key in rows:
            new = {**rows[key], **row}
            count += new != rows[key]
            rows[key] = new
        elif op == "delete" and key in rows:
            del rows[key]
            count += 1
    return count


def _run(conn: psycopg.Connection[Any], op: str, key: int, row: dict[str, Any]) -> None:
    cols = sorted(row)
    if op == "insert":
        names = ", ".join(['"id"', *(f'"{c}"' for c in cols)])
        marks = ", ".join(["%s"] * (len(cols) + 1))
        text = f'INSERT INTO "Item" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING'
        conn.execute(text.encode(), [key, *(_param(c, row[c]) for c in cols)])
    elif op == "update" and cols:
        sets = ", ".join(f'"{c}" = %s' for c in cols)
        conn.execute(
            f'UPDATE "Item" SET {sets} WHERE id = %s'.encode(),
            [*(_param(c, row[c]) for c in cols), key],
        )
    elif op == "delete":
        conn.execute('DELETE FROM "Item" WHERE id = %s', (key,))


@settings(max_examples=30)
@given(ops)
def test_replaying_the_log_rebuilds_the_table(
    database_url: str, sequence: list[tuple[str, int, dict[str, Any]]]
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        reset_schema(conn)
        conn.execute("SET search_path = public")
        conn.execute(render_schema(SPEC).encode())
        for op, key, row in sequence:
            _run(conn, op, key, row)
        # column values as the log's JSON sees them, keyed by id
        table = {
            r[0]["id"]: {k: v for k, v in r[0].items() if k != "token"}
            for r in conn.execute('SELECT to_jsonb(i) FROM "Item" i').fetchall()
        }
        log = conn.execute(
            "SELECT op, row_key, changed, before, after, to_jsonb(a)::text"
            " FROM pgwarden_audit a ORDER BY id"
        ).fetchall()

    assert len(log) == _expected_rows(sequence)
    replay: dict[int, dict[str, Any]] = {}
    for op, row_key, changed, before, after, text in log:
        assert SECRET not in text
        key = row_key["id"]
        if op == "insert":
            assert key not in replay and changed == ["id", "name", *COLUMNS[1:]]
            assert "token" not in after
            replay[key] = after
        elif op == "update":
            assert key in replay and changed
            # a real change of each named column (secret: named, no value)
            assert set(before) == set(after) == set(changed) - {"token"}
            assert all(replay[key][c] == before[c] for c in before)
            assert all(before[c] != after[c] for c in before)
            replay[key] = {**replay[key], **after}
        else:
            assert op == "delete" and replay.pop(key) == before
    assert replay == table
    json.dumps(replay)  # plain JSON all the way
