"""Online-safe forms on existing tables, plain forms on new ones; applied for real."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import inspect_schema
from pgwarden.planner import PlanOptions, plan
from pgwarden.planner import ops as o
from pgwarden.render.preflight import preflights
from pgwarden.render.sql import render_plan
from pgwarden.spec.model import (
    CheckConstraint,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)
from tests.planner.helpers import apply_plan, create, preflight_violations
from tests.render.samples import INT, TEXT, col

PARENT = Table(
    "Parent", (col("id", INT), col("code")), primary_key=PrimaryKey("Parent_pkey", ("id",))
)
CHILD = Table(
    "Child", (col("id", INT), col("parentId", INT, nullable=True), col("note", nullable=True))
)
BEFORE = Schema(tables=(PARENT, CHILD)).normalized()


def _constrained(t: Table) -> Table:
    return replace(
        t,
        columns=tuple(replace(c, nullable=False) if c.name == "note" else c for c in t.columns),
        primary_key=PrimaryKey(f"{t.name}_pkey", ("id",)),
        uniques=(UniqueConstraint(f"{t.name}_note_key", ("note",)),),
        checks=(CheckConstraint(f"{t.name}_id_check", "(id > 0)"),),
        indexes=(Index(f"{t.name}_parentId_idx", (IndexElement("parentId"),)),),
        foreign_keys=(ForeignKey(f"{t.name}_parentId_fkey", ("parentId",), "Parent", ("id",)),),
    )


AFTER = Schema(tables=(PARENT, _constrained(CHILD))).normalized()


def test_existing_table_gets_the_safe_forms() -> None:
    steps = render_plan(plan(BEFORE, AFTER))
    text = "\n".join(s.sql for s in steps)
    assert 'CREATE INDEX CONCURRENTLY "Child_parentId_idx"' in text
    assert 'CREATE UNIQUE INDEX CONCURRENTLY "Child_note_key"' in text
    assert 'ADD CONSTRAINT "Child_note_key" UNIQUE USING INDEX "Child_note_key"' in text
    assert 'CREATE UNIQUE INDEX CONCURRENTLY "Child_pkey"' in text
    assert 'PRIMARY KEY USING INDEX "Child_pkey"' in text
    assert 'ADD CONSTRAINT "Child_id_check" CHECK ((id > 0)) NOT VALID' in text
    assert 'REFERENCES "Parent" ("id") NOT VALID' in text
    assert 'VALIDATE CONSTRAINT "Child_parentId_fkey"' in text
    assert 'CHECK ("note" IS NOT NULL) NOT VALID' in text
    for s in steps:
        concurrent = "CONCURRENTLY" in s.sql or "VALIDATE" in s.sql
        assert s.atomic is not concurrent, s.sql
        assert s.settings == (
            "SET lock_timeout = '5s'",
            f"SET statement_timeout = '{'0' if concurrent else '5min'}'",
        )
    # VALIDATE runs after every NOT VALID add (a later step)
    first_validate = next(i for i, s in enumerate(steps) if "VALIDATE" in s.sql and "fkey" in s.sql)
    assert all(
        "NOT VALID" not in s.sql or i < first_validate
        for i, s in enumerate(steps)
        if "fkey" in s.sql
    )


def test_new_table_gets_the_plain_forms() -> None:
    text = "\n".join(s.sql for s in render_plan(plan(Schema(), AFTER)))
    assert "CONCURRENTLY" not in text and "NOT VALID" not in text and "VALIDATE" not in text
    assert all(s.atomic for s in render_plan(plan(Schema(), AFTER)))


def test_online_false_uses_plain_forms_everywhere() -> None:
    plain = plan(BEFORE, AFTER, PlanOptions(online=False))
    steps = render_plan(plain)
    assert all(s.atomic for s in steps)
    assert not any("CONCURRENTLY" in s.sql for s in steps)
    # the plain forms on a table with rows: flagged, and still checked first
    assert {"long_lock", "may_fail_on_data"} <= plain.hazards
    assert len(preflights(plain)) == len(preflights(plan(BEFORE, AFTER))) == 5


def test_safe_forms_apply_to_a_table_with_rows(database_url: str) -> None:
    up = plan(BEFORE, AFTER)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, BEFORE)
        conn.execute("""INSERT INTO "Parent" VALUES (1, 'a'), (2, 'b')""")
        conn.execute(
            """INSERT INTO "Child" SELECT g, 1 + g % 2, 'n' || g FROM generate_series(1, 500) g"""
        )
        assert preflight_violations(conn, up) == 0
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(AFTER, conn)
        assert not plan(inspect_schema(conn), canonicalize(AFTER, conn))
        row = conn.execute('SELECT count(*) FROM "Child"').fetchone()
        assert row == (500,)
        # the reverse of the online SET NOT NULL is a plain DROP NOT NULL (reduced)
        down = up.reverse()
        assert sum(isinstance(op, o.DropNotNull) for op in down) == 1
        assert not any(isinstance(op, o.AddCheck) and "not_null" in op.check.name for op in down)
        apply_plan(conn, down)
        assert inspect_schema(conn) == canonicalize(BEFORE, conn)


@pytest.mark.parametrize(
    ("setup", "expected", "sample"),
    [
        # orphan parentId 9, a NULL note, a duplicate note, a non-positive id
        ("""INSERT INTO "Child" VALUES (1, 9, 'x')""", "orphan", "(9)"),
        (
            """INSERT INTO "Child" VALUES (1, 1, NULL)""",
            "NULLs",
            "(0,1)",
        ),  # no key before the plan: ctid
        ("""INSERT INTO "Child" VALUES (1, 1, 'd'), (2, 1, 'd')""", "duplicate", "(d)"),
        ("""INSERT INTO "Child" VALUES (-1, 1, 'x')""", "violating check", "(0,1)"),
    ],
)
def test_preflight_reports_rows_that_would_break(
    database_url: str, setup: str, expected: str, sample: str
) -> None:
    up = plan(BEFORE, AFTER)
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, BEFORE)
        conn.execute("""INSERT INTO "Parent" VALUES (1, 'a')""")
        conn.execute(setup)
        hits = []
        for check in preflights(up):
            row = conn.execute(check.sql).fetchone()
            assert row is not None
            if row[0]:
                hits.append((check, row))
        assert len(hits) == 1, [h[0].description for h in hits]
        check, (count, samples) = hits[0]
        assert expected in check.description and check.table == "Child"
        assert count >= 1 and sample in samples
        assert check.fix_sql
        # the fix SQL (when runnable as written) really fixes it
        if "<" not in check.fix_sql:
            conn.execute(check.fix_sql)
            assert conn.execute(check.sql).fetchone()[0] == 0  # type: ignore[index]
        # and nothing has changed yet: the table still has no constraints
        assert inspect_schema(conn).table("Child") == BEFORE.table("Child")


def test_fk_follows_the_key_it_references_when_that_key_is_rebuilt(database_url: str) -> None:
    a = Schema(
        tables=(
            replace(PARENT, uniques=(UniqueConstraint("Parent_code_key", ("code",)),)),
            replace(
                CHILD,
                columns=(*CHILD.columns, col("code", TEXT, nullable=True)),
                foreign_keys=(ForeignKey("Child_code_fkey", ("code",), "Parent", ("code",)),),
            ),
        )
    ).normalized()
    parent_b = replace(
        PARENT,
        uniques=(UniqueConstraint("Parent_code_key", ("code",), nulls_not_distinct=True),),
    )
    b = Schema(tables=(parent_b, a.tables[0])).normalized()
    up = plan(a, b)
    kinds = [type(op).__name__ for op in up]
    # the FK goes before its key and comes back after the new one
    assert kinds.index("DropConstraint") < kinds.index("AddUnique") < kinds.index("AddForeignKey")
    assert sum(isinstance(op, o.DropConstraint) for op in up) == 2
    with psycopg.connect(database_url, autocommit=True) as conn:
        create(conn, a)
        conn.execute("""INSERT INTO "Parent" VALUES (1, 'a')""")
        conn.execute("""INSERT INTO "Child" (id, "parentId", note, code) VALUES (1, 1, 'n', 'a')""")
        apply_plan(conn, up)
        assert inspect_schema(conn) == canonicalize(b, conn)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(a, conn)


def test_fk_drops_come_before_key_drops_whatever_the_table_order() -> None:
    # the referencing table sorts after the referenced one ("Z..." > "A...")
    key = UniqueConstraint("A_code_key", ("code",))
    parent = Table("A", (col("code"),), uniques=(key,))
    child = Table(
        "Zed",
        (col("code"),),
        foreign_keys=(ForeignKey("Zed_code_fkey", ("code",), "A", ("code",)),),
    )
    a = Schema(tables=(parent, child)).normalized()
    flipped = replace(key, nulls_not_distinct=True)
    b = Schema(tables=(replace(parent, uniques=(flipped,)), child)).normalized()
    drops = [op.constraint.name for op in plan(a, b) if isinstance(op, o.DropConstraint)]
    assert drops == ["Zed_code_fkey", "A_code_key"]
