"""Functions and procedures end to end on a real server: spec -> SQL -> apply ->
inspect gives the spec back (bodies byte for byte); a body change is a CREATE OR
REPLACE that converges and goes back down; a signature change is a drop and a
create; extension functions and pgwarden's own trigger functions are not read as
the user's; a changed body or a function made by hand is drift."""

from __future__ import annotations

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.planner.helpers import apply_plan
from tests.spec.test_functions import SPEC


def test_functions_round_trip(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        # the dump of the database loads back to the database
        back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
        assert format_diff(schema_diff(db, back), "database", "dump") == ""
        assert conn.execute("SELECT is_email('a@b'), user_count()").fetchone() == (True, 0)
        conn.execute("CALL reset_plans('PRO')")
    fns = {f.name: f for f in db.functions}
    assert fns["bump"].body == next(f for f in spec.functions if f.name == "bump").body
    assert fns["bump"].arguments == 'p "Plan", n integer DEFAULT 1'
    assert fns["user_count"].search_path == ("public", "pg_temp")
    assert fns["reset_plans"].kind == "procedure"
    assert db.unmanaged == ()


def test_a_body_change_replaces_in_place_and_goes_back(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace("LIKE '%@%'", "LIKE '%_@_%'"))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(inspect_schema(conn), canonicalize(after, conn))
        assert [op.description for op in up] == ['replace function "is_email"(value text): body']
        apply_plan(conn, up)  # the check that calls it stays in place
        db = inspects_equal(conn, after)
        assert not plan(db, canonicalize(after, conn))
        assert conn.execute("SELECT is_email('@')").fetchone() == (False,)
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)


def test_a_signature_change_drops_and_creates(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace('returns = "SETOF text"', 'returns = "text"').replace(
            "RETURN NEXT p::text || n;", "RETURN p::text || n;"
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(inspect_schema(conn), canonicalize(after, conn))
        text = up.describe()
        assert "(to recreate it: its signature changes)" in text
        assert 'recreate function "bump"' in text
        apply_plan(conn, up)
        db = inspects_equal(conn, after)
        assert not plan(db, canonicalize(after, conn))
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)


def test_adding_and_dropping_functions_converge(database_url: str) -> None:
    full = load_schema_text(SPEC)
    bare = load_schema_text(SPEC[: SPEC.index("[[tables.User.checks]]")])
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, bare, pipeline_render)
        up = plan(inspect_schema(conn), canonicalize(full, conn))
        apply_plan(conn, up)
        inspects_equal(conn, full)
        apply_plan(conn, up.reverse())
        db = inspects_equal(conn, bare)
        assert db.functions == ()


def test_extension_and_own_functions_are_not_the_users(database_url: str) -> None:
    spec = load_schema_text(
        "[extensions]\npg_trgm = {}\n\n"
        + SPEC.replace(
            'plan = { type = "Plan", default = "FREE" }',
            'plan = { type = "Plan", default = "FREE" }\n'
            'updatedAt = { type = "timestamptz", default_sql = "now()", maintained = "on_update" }',
        ).replace("[tables.User.columns]", "[tables.User]\naudit = true\n\n[tables.User.columns]")
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
    assert sorted(f.name for f in db.functions) == [
        "bump",
        "is_email",
        "reset_plans",
        "user_count",
    ]


def test_a_changed_body_or_a_function_made_by_hand_is_drift(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        conn.execute(
            "CREATE OR REPLACE FUNCTION is_email(value text) RETURNS boolean"
            " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT true$$"
        )
        conn.execute("CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        diffs = [d.render() for d in schema_diff(canonicalize(spec, conn), inspect_schema(conn))]
    assert diffs == [
        "function is_email: body: spec \"SELECT $1 LIKE '%@%'\" vs database 'SELECT true'",
        "function sneaky: only in the database",
    ]
