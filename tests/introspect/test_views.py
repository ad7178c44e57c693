"""Views and materialized views end to end on a real server: render, apply,
inspect back equal; the planner recreates the views a column change touches (in
dependency order, saying why), rebuilds a changed materialized view with its
indexes, converges, and its reverse goes back."""

from __future__ import annotations

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.planner.helpers import apply_plan
from tests.spec.test_views import SPEC


def test_views_round_trip(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
        assert format_diff(schema_diff(db, back), "database", "dump") == ""
        row = conn.execute(
            "SELECT relispopulated FROM pg_class WHERE relname = 'PlanCount'"
        ).fetchone()
        assert row == (False,)  # WITH NO DATA
    views = {v.name: v for v in db.views}
    assert views["ActiveUser"].definition.startswith("SELECT ")  # 15 qualifies u.id, 18 not
    assert "email" in views["ActiveUser"].definition
    assert views["ActiveUser"].security_barrier
    assert [c.name for c in views["ActiveEmail"].columns or ()] == ["email"]
    assert [i.name for i in views["PlanCount"].indexes] == ["PlanCount_plan_idx"]


def test_a_column_change_under_views_recreates_them_in_order(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace('email = { type = "text" }', 'email = { type = "varchar(320)" }').replace(
            'email = { type = "text", comment = "login" }',
            'email = { type = "varchar(320)", comment = "login" }',
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(
            inspect_schema(conn), canonicalize(after, conn), PlanOptions(allow_destructive=True)
        )
        text = up.describe()
        assert 'drop view "ActiveEmail" (to recreate it: it reads ActiveUser' in text
        assert 'drop view "ActiveUser" (to recreate it: it reads User.email, which changes)' in text

        # dependents go first and come back last
        def at(words: str) -> int:
            return next(n for n, line in enumerate(text.splitlines()) if words in line)

        assert at('drop view "ActiveEmail"') < at('drop view "ActiveUser"')
        assert at('recreate view "ActiveUser"') < at('recreate view "ActiveEmail"')
        assert "PlanCount" not in text  # it does not read email
        apply_plan(conn, up)
        db = inspects_equal(conn, after)
        assert not plan(db, canonicalize(after, conn))
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)


def test_dropping_a_column_a_view_reads_and_the_view(database_url: str) -> None:
    before = load_schema_text(SPEC)
    text = SPEC.replace('plan = { type = "text" }\n', "")
    text = text[: text.index("[materialized_views.PlanCount]")]
    after = load_schema_text(text + '[schema]\nacknowledge_loss = ["User.plan"]\n')
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(inspect_schema(conn), canonicalize(after, conn))
        assert 'drop materialized view "PlanCount"' in up.describe()
        apply_plan(conn, up)
        inspects_equal(conn, after)


def test_materialized_view_change_rebuilds_with_indexes(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace("count(*) AS users", "count(*) AS members"))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(inspect_schema(conn), canonicalize(after, conn))
        assert 'recreate materialized view "PlanCount" (its definition changes)' in up.describe()
        apply_plan(conn, up)
        db = inspects_equal(conn, after)
        pc = next(v for v in db.views if v.name == "PlanCount")
        assert [c.name for c in pc.columns or ()] == ["plan", "members"]
        assert [i.name for i in pc.indexes] == ["PlanCount_plan_idx"]
        # a comment alone is a comment, not a rebuild
        commented = load_schema_text(
            SPEC.replace("count(*) AS users", "count(*) AS members").replace(
                'refresh = "concurrently"', 'refresh = "concurrently"\ncomment = "per plan"'
            )
        )
        small = plan(db, canonicalize(commented, conn))
        assert [op.description for op in small] == ['set comment on "PlanCount"']


def test_a_view_made_by_hand_is_drift(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        conn.execute('CREATE VIEW "Sneaky" AS SELECT 1 AS one')
        diffs = schema_diff(canonicalize(spec, conn), inspect_schema(conn))
    assert [d.render() for d in diffs] == ["view Sneaky: only in the database"]


ENUM_UNDER_VIEWS = """
[enums.Plan]
values = ["free", "pro", "gone"]

[tables.Account.columns]
id = { type = "integer", primary_key = true }
plan = { type = "Plan" }
"with.dot" = { type = "text", nullable = true }

[[tables.Account.indexes]]
columns = ["with.dot"]

[views.Paying]
definition = "SELECT id, plan FROM \\"Account\\" WHERE plan <> 'free'"

[views.PayingIds]
definition = 'SELECT id FROM "Paying"'

[materialized_views.PerPlan]
definition = 'SELECT plan, count(*) AS n FROM "Account" GROUP BY plan'

[[materialized_views.PerPlan.indexes]]
columns = ["plan"]
unique = true
"""


def test_an_enum_recreated_under_views_moves_them_both_ways(database_url: str) -> None:
    # found by the convergence property (views drawn): ALTER COLUMN ... TYPE of the
    # recreate was refused under a view; the recreate now drops and recreates the
    # views over its columns (and their readers), in the up and in the derived down
    before = load_schema_text(ENUM_UNDER_VIEWS)
    after = load_schema_text(
        ENUM_UNDER_VIEWS.replace('"pro", "gone"]', '"pro"]').replace(
            '[[tables.Account.indexes]]\ncolumns = ["with.dot"]\n', ""
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        conn.execute("INSERT INTO \"Account\" VALUES (1, 'free'), (2, 'pro')")
        up = plan(
            inspect_schema(conn), canonicalize(after, conn), PlanOptions(allow_destructive=True)
        )
        # the index of column "with.dot" is "Account_with.dot_idx", in the default
        # namespace (its DROP INDEX named schema "Account_with")
        assert 'drop index "Account_with.dot_idx"' in up.describe()
        apply_plan(conn, up, PlanOptions(allow_destructive=True))
        inspects_equal(conn, after)
        assert conn.execute("SELECT n FROM \"PerPlan\" WHERE plan = 'pro'").fetchone() == (1,)
        apply_plan(conn, up.reverse(), PlanOptions(allow_destructive=True))
        inspects_equal(conn, before)
        # a value added is a recreate in the down: the same views move there
        added = load_schema_text(ENUM_UNDER_VIEWS.replace('"gone"]', '"gone", "new"]'))
        up = plan(inspect_schema(conn), canonicalize(added, conn))
        apply_plan(conn, up)
        inspects_equal(conn, added)
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)


def test_forgetting_declared_columns_removes_their_comments(database_url: str) -> None:
    """Undeclared view columns carry no comment (a fresh CREATE VIEW gives none), so
    dropping a view's `columns` table plans the comment's removal; found by the
    every-kind convergence property (the plan was empty, the catalog kept 'login')."""
    declared = 'columns = { id = "integer", email = { type = "text", comment = "login" } }\n'
    assert declared in SPEC
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace(declared, ""))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        # spec to spec, as `migrate new` plans from the last snapshot
        up = plan(before, after)
        assert up.describe() == '- remove comment on "ActiveUser"."email"'
        apply_plan(conn, up)
        db = inspects_equal(conn, after)
        assert not plan(db, canonicalize(after, conn))
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)
