"""Tests for mutants the sampled mutation run left alive (docs/status.md, issue 18):
each was checked by applying the mutant by hand and seeing the test fail."""

from __future__ import annotations

import psycopg

from pgwarden.planner import ops as o
from pgwarden.planner import plan
from pgwarden.render.preflight import preflight
from pgwarden.spec.load import load_schema_text
from tests.planner.helpers import create

T = '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n'


def test_set_not_null_after_a_backfill_samples_rows_by_their_key(database_url: str) -> None:
    """``passes/columns._add_column``: the SET NOT NULL after a backfill samples the
    rows it would fail on by the table's key (``(3)``), not by ``ctid`` (``(0,3)``)."""
    a = load_schema_text(T)
    b = load_schema_text(T + "twice = { type = \"integer\", backfill = 'id * 2' }\n")
    (step,) = [op for op in plan(a, b) if isinstance(op, o.SetNotNull)]
    assert step.row_key == ("id",)
    check = preflight(step)
    assert check is not None and 'ROW("id")' in check.sql
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute('INSERT INTO "T" SELECT generate_series(1, 3)')
        conn.execute('ALTER TABLE "T" ADD COLUMN twice integer')
        assert conn.execute(check.sql).fetchone() == (3, ["(1)", "(2)", "(3)"])


def test_a_late_data_check_samples_by_the_key_the_table_has_then(database_url: str) -> None:
    """``reverse.keyed_forward``'s phase: the SET NOT NULL runs after the key column was
    renamed, so it samples by the target's key (the current one is gone by then)."""
    a = load_schema_text(T)
    b = load_schema_text(
        '[tables.T.columns]\nref = { type = "integer", primary_key = true, renamed_from = "id" }\n'
        "twice = { type = \"integer\", backfill = 'ref * 2' }\n"
    )
    (step,) = [op for op in plan(a, b) if isinstance(op, o.SetNotNull)]
    assert step.row_key == ("ref",)
    check = preflight(step)
    assert check is not None
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute('INSERT INTO "T" SELECT generate_series(1, 2)')
        conn.execute('ALTER TABLE "T" RENAME COLUMN id TO ref')
        conn.execute('ALTER TABLE "T" ADD COLUMN twice integer')
        assert conn.execute(check.sql).fetchone() == (2, ["(1)", "(2)"])


NUMERIC_CASES = [
    ("numeric", "numeric(5,2)", ["0", "1.25", "1.255", "999.99", "999.995", "1000", "-999.99"]),
    ("numeric", "numeric(3)", ["0", "999", "999.4", "999.5", "-1000", "12.5"]),
    ("integer", "numeric(4,1)", ["0", "999", "1000", "-999", "-1000"]),
    ("bigint", "numeric(2)", ["99", "100", "-99", "-100"]),
]


def test_the_numeric_preflight_predicate_matches_what_the_cast_does(database_url: str) -> None:
    """``preflight._does_not_fit``'s numeric branch: true exactly for the values a cast
    to ``numeric(p, s)`` would refuse or round, checked against the server's cast."""
    from psycopg import sql

    from pgwarden.render.preflight import _does_not_fit
    from pgwarden.spec.types import parse_type

    with psycopg.connect(database_url, autocommit=True) as conn:
        for old, new, values in NUMERIC_CASES:
            pred = _does_not_fit(sql.Identifier("v"), parse_type(old), parse_type(new))
            assert pred is not None, (old, new)
            for value in values:
                lit = sql.SQL("{}::{}").format(sql.Literal(value), sql.SQL(old))
                try:
                    same = conn.execute(
                        sql.SQL("SELECT ({l})::{n} = {l}").format(l=lit, n=sql.SQL(new))
                    ).fetchone()
                    damaged = same != (True,)
                except psycopg.errors.NumericValueOutOfRange:
                    damaged = True
                query = sql.SQL("SELECT {p} FROM (SELECT {l} AS v) AS t").format(p=pred, l=lit)
                assert conn.execute(query).fetchone() == (damaged,), (old, new, value)


def test_describe_lists_each_ops_hazards_then_non_atomic() -> None:
    """``Plan.describe``'s flag suffix, letter for letter: hazards sorted, then
    ``non-atomic``; no brackets for an op with neither."""
    from pgwarden.planner import PlanOptions

    cols = T + 'x = { type = "integer" }\n'
    a = load_schema_text(cols + 'y = { type = "text" }\nw = { type = "integer" }\n')
    b = load_schema_text(
        cols + 'w = { type = "bigint" }\nz = { type = "text", nullable = true }\n'
        '[[tables.T.indexes]]\ncolumns = ["x"]\nunique = true\n'
    )
    assert plan(a, b, PlanOptions(allow_destructive=True)).describe().splitlines() == [
        '- add column "T"."z" text',
        '- change type of "T"."w" from integer to bigint  [long_lock, rewrites_table]',
        '- drop column "T"."y"  [destructive]',
        '- create unique index "T_x_idx" on "T" concurrently  [may_fail_on_data, non-atomic]',
    ]


def test_an_enum_recreated_under_a_generated_column_of_its_type(database_url: str) -> None:
    """``passes/enums._context``: a generated column of the enum's type that reads an
    enum column is recomputed with the table (dropped and added again), not retyped in
    place (Postgres refuses ALTER TYPE on a generated column)."""
    from pgwarden.apply.canonical import canonicalize
    from pgwarden.introspect import inspect_schema
    from pgwarden.planner import PlanOptions
    from tests.planner.helpers import apply_plan

    def spec(values: str) -> str:
        return (
            f"[enums.E]\nvalues = [{values}]\n"
            + T
            + 's = { type = "E" }\n'
            + 'g = { type = "E", nullable = true, generated = "s" }\n'
        )

    a, b = load_schema_text(spec('"x", "y", "z"')), load_schema_text(spec('"x", "y"'))
    options = PlanOptions(acknowledged=("E.z",))
    up = plan(a, b, options)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute("""INSERT INTO "T" (id, s) VALUES (1, 'x'), (2, 'y')""")
        apply_plan(conn, up, options)
        assert inspect_schema(conn) == canonicalize(b, conn)
        rows = conn.execute('SELECT id, s::text, g::text FROM "T" ORDER BY id').fetchall()
        assert rows == [(1, "x", "x"), (2, "y", "y")]


def test_a_referenced_unique_constraint_rebuilt_takes_its_foreign_key_along(
    database_url: str,
) -> None:
    """``passes/constraints._keys``: an FK that references a unique constraint (not the
    primary key) goes before the constraint is rebuilt and comes back after; else
    Postgres refuses the DROP CONSTRAINT (other objects depend on it)."""
    from pgwarden.apply.canonical import canonicalize
    from pgwarden.introspect import inspect_schema
    from tests.planner.helpers import apply_plan

    def spec(nulls_not_distinct: str) -> str:
        return (
            '[tables.P.columns]\nid = { type = "integer", primary_key = true }\n'
            'code = { type = "text" }\n'
            f'[[tables.P.uniques]]\ncolumns = ["code"]\nnulls_not_distinct = {nulls_not_distinct}\n'
            '[tables.C.columns]\nid = { type = "integer", primary_key = true }\n'
            'code = { type = "text", references = { table = "P", column = "code" } }\n'
        )

    a, b = load_schema_text(spec("false")), load_schema_text(spec("true"))
    up = plan(a, b)
    kinds = [type(op).__name__ for op in up]
    assert kinds.index("DropConstraint") < kinds.index("AddUnique")
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute("""INSERT INTO "P" VALUES (1, 'a'); INSERT INTO "C" VALUES (1, 'a')""")
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(b, conn)
