"""Down is correct wherever up is: an enum recreate moves every object that mentions the
type (partial and expression indexes, checks, defaults, generated columns, policies)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.migrations.lifecycle import assert_at, history_of, runner, spec

BLOG = """
[enums.PostStatus]
values = [{values}]

[tables.Post.columns]
id = {{ type = "integer", primary_key = true }}
title = {{ type = "text" }}
status = {{ type = "PostStatus", default = "DRAFT" }}
tags = {{ type = "PostStatus[]", nullable = true }}
live = {{ type = "boolean", generated = "status = 'PUBLISHED'", nullable = true }}

[[tables.Post.indexes]]
columns = ["id"]
where = "status = 'PUBLISHED'"

[[tables.Post.indexes]]
name = "Post_draft_idx"
columns = [{{ expression = "(status = 'DRAFT')" }}]

[[tables.Post.checks]]
name = "Post_published_titled"
expression = "status <> 'PUBLISHED' OR title <> ''"

[tables.Post]
rls = {{ enabled = true }}

[[tables.Post.policies]]
name = "published_only"
command = "select"
using = "status = 'PUBLISHED'"
"""

ROWS = """INSERT INTO "Post" (id, title, status, tags) VALUES
  (1, 'a', 'DRAFT', NULL), (2, 'b', 'PUBLISHED', '{DRAFT,PUBLISHED}')"""


def _blog(*values: str) -> str:
    return BLOG.format(values=", ".join(f'"{v}"' for v in values))


def test_enum_value_added_under_a_partial_index_goes_up_down_up(
    database_url: str, tmp_path: Path
) -> None:
    """The issue's scenario: down used to fail with ``operator does not exist:
    "PostStatus" = "PostStatus__pgwarden_old"`` and strand the migration half-reverted."""
    a = spec(_blog("DRAFT", "PUBLISHED"))
    b = spec(_blog("DRAFT", "PUBLISHED", "ARCHIVED"))
    directory = history_of(tmp_path / "migrations", a, b)
    runner(database_url, directory).apply(1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(ROWS)
    for _ in range(2):
        runner(database_url, directory).apply()
        assert_at(database_url, b)
        runner(database_url, directory).down()
        assert_at(database_url, a)
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute('SELECT id, status::text, live FROM "Post" ORDER BY id').fetchall()
    assert rows == [(1, "DRAFT", False), (2, "PUBLISHED", True)]


def test_enum_value_removed_and_reordered_under_every_dependent(
    database_url: str, tmp_path: Path
) -> None:
    a = spec(_blog("DRAFT", "PUBLISHED", "ARCHIVED"))
    b = spec(_blog("PUBLISHED", "DRAFT"))  # ARCHIVED goes, the rest swap places
    directory = history_of(tmp_path / "migrations", a, b)
    runner(database_url, directory).apply(1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(ROWS)
    runner(database_url, directory).apply()
    assert_at(database_url, b)
    runner(database_url, directory).down()
    assert_at(database_url, a)
    runner(database_url, directory).apply()
    assert_at(database_url, b)


TRIGGERED = """
[enums.PostStatus]
values = [{values}]

[functions.stamp_post]
language = "plpgsql"
returns = "trigger"
body = "BEGIN NEW.title := NEW.title || '!'; RETURN NEW; END"

[tables.Post.columns]
id = {{ type = "integer", primary_key = true }}
title = {{ type = "text" }}
status = {{ type = "PostStatus", default = "DRAFT" }}

[[tables.Post.triggers]]
name = "Post_published"
function = "stamp_post"
timing = "before"
events = ["update"]
when = "NEW.status = 'PUBLISHED'"

[[tables.Post.triggers]]
name = "Post_status_changed"
function = "stamp_post"
timing = "before"
events = ["update"]
columns = ["status"]
"""


def test_enum_recreated_under_triggers_that_name_its_column(
    database_url: str, tmp_path: Path
) -> None:
    """Postgres refuses to retype a column a trigger's WHEN or UPDATE OF names
    ("cannot alter type of a column used in a trigger definition"): the recreate
    drops those triggers first and creates them again on the new type."""

    def triggered(*values: str) -> str:
        return TRIGGERED.format(values=", ".join(f'"{v}"' for v in values))

    a = spec(triggered("DRAFT", "PUBLISHED", "ARCHIVED"))
    b = spec(triggered("PUBLISHED", "DRAFT"))
    directory = history_of(tmp_path / "migrations", a, b)
    runner(database_url, directory).apply(1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO "Post" (id, title, status) VALUES (1, 'a', 'DRAFT')""")
    for _ in range(2):
        runner(database_url, directory).apply()
        assert_at(database_url, b)
        runner(database_url, directory).down()
        assert_at(database_url, a)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""UPDATE "Post" SET status = 'PUBLISHED' WHERE id = 1""")
        title = conn.execute('SELECT title FROM "Post" WHERE id = 1').fetchone()
    assert title == ("a!!",)  # both triggers still fire
