"""User triggers end to end on a real server: spec -> SQL -> apply -> inspect gives
the spec back (timing, events, UPDATE OF, WHEN, FOR EACH, transition tables,
arguments, comments); changes converge and go back down; pgwarden's own and constraint
triggers are not read as the user's; a trigger made by hand is drift."""

from __future__ import annotations

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.planner.helpers import apply_plan
from tests.spec.test_triggers import SPEC


def _converge(conn: psycopg.Connection[object], before: Schema, after: Schema) -> str:
    apply_ddl(conn, before, pipeline_render)
    inspects_equal(conn, before)
    up = plan(inspect_schema(conn), canonicalize(after, conn), PlanOptions(allow_destructive=True))
    apply_plan(conn, up)
    db = inspects_equal(conn, after)
    assert not plan(db, canonicalize(after, conn))
    apply_plan(conn, up.reverse())
    inspects_equal(conn, before)
    return up.describe()


def test_triggers_round_trip(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
        assert format_diff(schema_diff(db, back), "database", "dump") == ""
        conn.execute("INSERT INTO \"Account\" (balance, status) VALUES (1, 'a')")
        try:
            conn.execute("INSERT INTO \"Account\" (balance, status) VALUES (-1, 'a')")
        except psycopg.errors.RaiseException as exc:
            assert "negative balance" in str(exc)
        else:
            raise AssertionError("the guard trigger did not fire")
    triggers = {g.name: g for g in db.tables[0].triggers}
    assert triggers["account_guard"].columns == ("balance",)
    assert triggers["account_guard"].arguments == ("strict", "it's")
    assert triggers["account_guard"].comment == "no negative balances"
    assert triggers["account_changes"].old_table == "old_rows"
    assert triggers["account_truncate"].events == ("truncate",)
    assert db.unmanaged == ()


def test_changing_adding_and_dropping_triggers_converge(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace('when = "NEW.balance < 0"', 'when = "NEW.balance < -100"')
        .replace('events = ["truncate"]', 'events = ["truncate"]\ncomment = "watch"')
        .replace('name = "account_status"', 'name = "account_state"')
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        text = _converge(conn, before, after)
    assert 'drop trigger "account_guard" on "Account" (to recreate it: its definition' in text
    assert 'drop trigger "account_status"' in text
    assert 'create trigger "account_state"' in text


def test_a_column_under_a_trigger_changes(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace('"numeric(12,2)"', '"numeric(14,2)"'))
    with psycopg.connect(database_url, autocommit=True) as conn:
        text = _converge(conn, before, after)
    assert "(to recreate it: it reads Account.balance, which changes)" in text


def test_own_and_constraint_triggers_are_not_the_users(database_url: str) -> None:
    spec = load_schema_text(
        SPEC.replace(
            'status = { type = "text" }',
            'status = { type = "text" }\n'
            'updatedAt = { type = "timestamptz", default_sql = "now()", maintained = "on_update" }',
        ).replace(
            "[tables.Account.columns]", "[tables.Account]\naudit = true\n\n[tables.Account.columns]"
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        inspects_equal(conn, spec)
        conn.execute(
            'CREATE CONSTRAINT TRIGGER "late_check" AFTER INSERT ON "Account" '
            'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "count_changes"()'
        )
        conn.execute('CREATE VIEW "V" AS SELECT id FROM "Account"')
        conn.execute(
            'CREATE TRIGGER "v_ins" INSTEAD OF INSERT ON "V" FOR EACH ROW '
            'EXECUTE FUNCTION "count_changes"()'
        )
        db = inspect_schema(conn)
    assert sorted(g.name for g in db.tables[0].triggers) == [
        "account_changes",
        "account_guard",
        "account_status",
        "account_truncate",
    ]
    assert db.unmanaged == (
        "trigger late_check on Account: a constraint trigger",
        "trigger v_ins on V: a trigger on a view or foreign table",
    )


def test_a_trigger_made_by_hand_is_drift(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        conn.execute(
            'CREATE TRIGGER "sneaky" AFTER DELETE ON "Account" '
            'FOR EACH ROW EXECUTE FUNCTION "count_changes"()'
        )
        diffs = [d.render() for d in schema_diff(canonicalize(spec, conn), inspect_schema(conn))]
    assert diffs == ["table Account.trigger sneaky: only in the database"]


def test_a_users_trigger_named_like_its_function_is_the_users(database_url: str) -> None:
    """``set_updated_at`` BEFORE UPDATE FOR EACH ROW calling ``set_updated_at()`` has the
    shape of pgwarden's maintained-column trigger, but not its name (table + column):
    it is read as the user's trigger, and its function as the user's function."""
    spec = load_schema_text(
        SPEC
        + """
[functions.set_updated_at]
language = "plpgsql"
returns = "trigger"
body = "BEGIN NEW.status := 'touched'; RETURN NEW; END"

[[tables.Account.triggers]]
name = "set_updated_at"
function = "set_updated_at"
timing = "before"
events = ["update"]
for_each = "row"
"""
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
    assert "set_updated_at" in {g.name for g in db.tables[0].triggers}
    assert "set_updated_at" in {f.name for f in db.functions}
