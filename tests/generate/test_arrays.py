"""Array columns hold NULL elements (Postgres has no way to forbid them in the type), so
the generated accessors decode them as None and type every array as ``list[T | None]``."""

from __future__ import annotations

import typing
from pathlib import Path

import psycopg

from pgwarden.spec.load import load_schema_text
from tests.generate.helpers import build_package, create

SPEC = """
[enums.Mood]
values = ["happy", "sad"]

[tables.Diary.columns]
id    = { type = "integer", primary_key = true }
moods = { type = "Mood[]" }
maybe = { type = "Mood[]", nullable = true }
tags  = { type = "text[]", nullable = true }
"""


def test_enum_array_with_null_element(database_url: str, tmp_path: Path) -> None:
    schema = load_schema_text(SPEC, "tests/arrays.toml")
    create(database_url, schema)
    name, sync, _ = build_package(schema, tmp_path)
    models = __import__(f"{name}.models", fromlist=["x"])
    enums = __import__(f"{name}.enums", fromlist=["x"])
    Mood = enums.Mood
    hints = typing.get_type_hints(models.Diary, vars(models))
    # list[Mood | None], list[Mood | None] | None, list[str | None] | None
    assert typing.get_origin(hints["moods"]) is list
    assert typing.get_args(hints["moods"]) == (Mood | None,)
    assert typing.get_args(hints["maybe"]) == (hints["moods"], type(None))
    assert typing.get_args(typing.get_args(hints["tags"])[0]) == (str | None,)
    with psycopg.connect(database_url, autocommit=True) as conn:
        # written by someone else, straight SQL: NULL elements in enum and text arrays
        conn.execute(
            "INSERT INTO \"Diary\" VALUES (1, ARRAY['happy', NULL, 'sad']::\"Mood\"[], "
            "ARRAY[NULL]::\"Mood\"[], ARRAY[NULL, 'x'])"
        )
        d = sync.Database(conn)
        row = d.diary.get(1)
        assert row is not None
        assert row.moods == [Mood.HAPPY, None, Mood.SAD]
        assert isinstance(row.moods[0], Mood) and isinstance(row.moods[2], Mood)
        assert row.maybe == [None] and row.tags == [None, "x"]
        assert d.diary.page(limit=5) == [row]
        # and through the accessor's own write path, NULL elements survive the cast
        written = d.diary.insert({"id": 2, "moods": [None, Mood.SAD], "maybe": None})
        assert written.moods == [None, Mood.SAD] and written.maybe is None
        assert d.diary.get(2) == written
        text = conn.execute('SELECT moods::text FROM "Diary" WHERE id = 2').fetchone()
        assert text == ("{NULL,sad}",)
