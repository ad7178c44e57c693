"""Views and materialized views in the spec: loading, validation errors with
file:line, path and fix, and dump -> load giving back the same model."""

from __future__ import annotations

from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import ColumnType, ViewColumn
from tests.spec.test_validate import FILE, line_of, one

SPEC = '''
[tables.User.columns]
id = { type = "integer", primary_key = true }
email = { type = "text" }
plan = { type = "text" }
deletedAt = { type = "timestamptz", nullable = true }

[views.ActiveUser]
definition = """
SELECT u.id, u.email
  FROM "User" u  WHERE u."deletedAt" IS NULL"""
columns = { id = "integer", email = { type = "text", comment = "login" } }
comment = "users not deleted"
security_barrier = true
check_option = "local"

[views.ActiveEmail]
definition = "SELECT email FROM \\"ActiveUser\\""

[materialized_views.PlanCount]
definition = "SELECT plan, count(*) AS users FROM \\"User\\" GROUP BY plan"
refresh = "concurrently"
with_data = false

[[materialized_views.PlanCount.indexes]]
columns = ["plan"]
unique = true
'''


def test_views_load() -> None:
    s = load_schema_text(SPEC, FILE)
    views = {v.name: v for v in s.views}
    active = views["ActiveUser"]
    assert active.definition == (
        'SELECT u.id, u.email FROM "User" AS u WHERE u."deletedAt" IS NULL'
    )
    assert active.columns == (
        ViewColumn("id", ColumnType("integer")),
        ViewColumn("email", ColumnType("text"), "login"),
    )
    assert active.security_barrier and active.check_option == "local"
    assert views["ActiveEmail"].columns is None
    counts = views["PlanCount"]
    assert counts.materialized and not counts.with_data and counts.refresh == "concurrently"
    assert [i.name for i in counts.indexes] == ["PlanCount_plan_idx"]


def test_dump_loads_back_equal_with_multiline_definitions() -> None:
    s = load_schema_text(SPEC, FILE)
    text = dump_schema(s)
    assert load_schema_text(text, FILE) == s
    assert dump_schema(load_schema_text(text, FILE)) == text
    # what the server prints (pretty, several lines) survives byte for byte
    pretty = 'SELECT id,\n    email\n   FROM "User"\n  WHERE "deletedAt" IS NULL'
    from dataclasses import replace

    from pgwarden.spec.load import load_texts

    server_like = replace(s, views=tuple(replace(v, definition=pretty) for v in s.views[:1]))
    dumped = dump_schema(server_like)
    assert '"""\nSELECT id,\n    email' in dumped
    reloaded = load_texts([(FILE, dumped)])
    assert reloaded.views[0].definition == 'SELECT id, email FROM "User" WHERE "deletedAt" IS NULL'


def test_view_selecting_a_missing_column() -> None:
    text = SPEC.replace("SELECT u.id, u.email", "SELECT u.id, u.emial")
    p = one(text, "views.ActiveUser.definition", "column 'emial'", line=line_of(text, "definition"))
    assert p.hint == "did you mean 'email'?"


def test_view_reading_a_missing_table() -> None:
    text = SPEC.replace('FROM \\"User\\" GROUP', 'FROM \\"Users\\" GROUP')
    p = one(text, "materialized_views.PlanCount.definition", "reads 'Users'")
    assert p.hint == "did you mean 'User'?"


def test_concurrent_refresh_needs_a_unique_index() -> None:
    text = SPEC.replace("unique = true\n", "")
    one(text, "materialized_views.PlanCount.refresh", "needs a unique index")


def test_bad_view_entries() -> None:
    base = '[tables.T.columns]\na = { type = "integer" }\n'
    one(base + '[views.V]\ndefinition = "DELETE FROM t"\n', "views.V.definition", "SELECT")
    one(base + '[views.V]\ndefinition = "SELECT 1; SELECT 2"\n', "views.V.definition", "one")
    one(base + "[views.V]\ncomment = 'x'\n", "views.V", "definition")
    one(
        base + '[views.V]\ndefinition = "SELECT a FROM \\"T\\""\nwith_data = false\n',
        "views.V.with_data",
        "unknown key",
    )
    one(
        base + '[views.T]\ndefinition = "SELECT 1 AS a"\n',
        "views.T",
        "already used",
    )


def test_a_populated_materialized_view_over_an_unpopulated_one() -> None:
    # found by the convergence property (views drawn): the spec validated, and
    # CREATE MATERIALIZED VIEW failed on the server ("has not been populated")
    text = SPEC + (
        '\n[views.Plans]\ndefinition = "SELECT plan FROM \\"PlanCount\\""\n'
        '\n[materialized_views.Top]\ndefinition = "SELECT plan FROM \\"Plans\\""\n'
    )
    p = one(text, "materialized_views.Top.with_data", "'PlanCount'", "WITH NO DATA")
    assert "with_data = false" in (p.hint or "")
    # both unpopulated: valid
    load_schema_text(text + "with_data = false\n", FILE)
