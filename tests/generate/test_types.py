"""Exact Python types for every column type, round-tripped through a real server."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import typing
import uuid
from pathlib import Path

import psycopg

from pgwarden.spec.load import load_schema_text
from tests.generate.helpers import build_package, create

SPEC = """
[enums.Mood]
values = ["happy", "sad", "DELETED"]

[tables.Sample.columns]
id       = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
small    = { type = "smallint" }
big      = { type = "bigint", nullable = true }
money    = { type = "numeric(12,2)" }
ratio    = { type = "double precision" }
flag     = { type = "boolean", default = false }
day      = { type = "date" }
clock    = { type = "time" }
naive    = { type = "timestamp(3)" }
aware    = { type = "timestamptz" }
span     = { type = "interval" }
raw      = { type = "bytea" }
doc      = { type = "json", nullable = true }
docb     = { type = "jsonb" }
ip       = { type = "inet", nullable = true }
net      = { type = "cidr", nullable = true }
label    = { type = "varchar(5)" }
code     = { type = "char(2)", nullable = true }
tags     = { type = "text[]", default = [] }
moods    = { type = "Mood[]", nullable = true }
mood     = { type = "Mood" }
ids      = { type = "uuid[]", nullable = true }
"""


def test_every_type_round_trips(database_url: str, tmp_path: Path) -> None:
    schema = load_schema_text(SPEC, "tests/types.toml")
    create(database_url, schema)
    name, sync, _ = build_package(schema, tmp_path)
    models = __import__(f"{name}.models", fromlist=["x"])
    enums = __import__(f"{name}.enums", fromlist=["x"])
    hints = typing.get_type_hints(models.Sample, vars(models))
    assert hints["aware"] is dt.datetime and hints["money"] is decimal.Decimal
    assert hints["big"] == int | None and hints["moods"] == list[enums.Mood | None] | None
    assert models.SampleInsert.__required_keys__ >= {"small", "money", "aware", "mood"}
    assert "flag" in models.SampleInsert.__optional_keys__
    assert "big" in models.SampleInsert.__optional_keys__
    assert models.SamplePatch.__total__ is False

    values = {
        "small": 7,
        "big": 2**40,
        "money": decimal.Decimal("1234.50"),
        "ratio": 0.25,
        "day": dt.date(2024, 2, 29),
        "clock": dt.time(23, 59, 1),
        "naive": dt.datetime(2024, 1, 7, 12, 0, 0, 123000),
        "aware": dt.datetime(2024, 1, 7, 12, 0, tzinfo=dt.UTC),
        "span": dt.timedelta(days=3, seconds=5),
        "raw": b"\x00\xff'\"%s",
        "doc": {"k": [1, 2.5, None, True, "s"]},
        "docb": [{"nested": {"x": "%(y)s"}}],
        "ip": ipaddress.ip_interface("10.0.0.1/8"),
        "net": ipaddress.ip_network("192.168.0.0/24"),
        "label": "abc",
        "code": "xy",
        "tags": ["a", "b'c", ""],
        "moods": [enums.Mood.HAPPY, enums.Mood.SAD],
        "mood": enums.Mood.SAD,
        "ids": [uuid.uuid4()],
    }
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        row = d.sample.insert(values)
        assert isinstance(row.id, uuid.UUID) and row.flag is False
        for key, value in values.items():
            assert getattr(row, key) == value, key
        assert row.naive.tzinfo is None and row.aware.tzinfo is not None
        assert row.moods is not None and all(isinstance(m, enums.Mood) for m in row.moods)
        assert isinstance(row.mood, enums.Mood)
        assert d.sample.get(row.id) == row
        # same keys in every row: the unnest path (array columns left to their defaults)
        flat = {k: v for k, v in values.items() if k not in ("tags", "moods", "ids")}
        batch = d.sample.insert_many([flat, {**flat, "small": 8, "doc": None, "ip": None}])
        assert [b.small for b in batch] == [7, 8] and batch[1].doc is None
        for key, value in flat.items():
            assert getattr(batch[0], key) == value, key
        assert batch[0].tags == [] and batch[0].moods is None
        # a value the column rejects is rejected, not truncated by a cast: by the
        # generated validator, and by the server when the SQL runs without it
        errors = __import__(f"{name}.errors", fromlist=["x"])
        queries = __import__(f"{name}._queries", fromlist=["x"])
        try:
            d.sample.update(row.id, {"label": "toolong"})
        except errors.ValidationError as exc:
            assert [(i.column, i.rule) for i in exc.issues] == [("label", "length")]
        else:
            raise AssertionError("the validator accepted 7 characters for varchar(5)")
        sql = queries.SampleSql
        query = queries.build_update(
            sql.TABLE, sql.COLUMNS, {"label": "toolong"}, sql.KEY, (row.id,), sql.RETURNING
        )
        try:
            conn.execute(*query)
        except psycopg.errors.StringDataRightTruncation:
            pass
        else:
            raise AssertionError("varchar(5) accepted 7 characters")
