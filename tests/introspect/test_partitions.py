# ruff: noqa: E501 - spec snippets read best unwrapped
"""Partitioned tables end to end on a real server: rendered with their
partitions, inspected back equal (key and bounds in Postgres's text), dumped and
loaded back equal; the planner adds, rebinds and drops partitions (DETACH ...
CONCURRENTLY outside a transaction when no DEFAULT partition exists), builds an
online index partition by partition (never CREATE INDEX CONCURRENTLY on the
parent), converges, and its reverse goes back."""

from __future__ import annotations

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import RefusedError
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.render.sql import render_plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.pg import reset_schema
from tests.planner.helpers import apply_plan
from tests.spec.test_partitions import SPEC

ROWS = """INSERT INTO "Account" DEFAULT VALUES;
INSERT INTO "Event" (at, "accountId", kind) VALUES
  ('2023-05-01', 1, 'old'), ('2024-05-01', 1, 'now'), ('2031-01-01', 1, 'later');
INSERT INTO "Region" VALUES ('de');
INSERT INTO "Bucket" VALUES (1), (2), (3)"""


def _where(conn: psycopg.Connection[object]) -> dict[str, str]:
    rows = conn.execute('SELECT kind, tableoid::regclass::text FROM "Event"').fetchall()
    return {str(k): str(t) for k, t in rows}


def test_partitions_round_trip(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
        assert format_diff(schema_diff(db, back), "database", "dump") == ""
        conn.execute(ROWS)
        assert _where(conn) == {
            "old": '"Event_old"',
            "now": '"Event_2024"',
            "later": '"Event_other"',
        }
    event = db.table("Event")
    assert event is not None and event.partition_by == "RANGE (at)"
    bounds = {p.name: p.bound for p in event.partitions}
    assert bounds["Event_other"] == "DEFAULT"
    assert bounds["Event_2024"].startswith("FOR VALUES FROM ('2024-01-01 00:00:00")
    assert [p.comment for p in event.partitions] == [None, "before 2024", None]
    # the partitions are not tables of their own in the model
    assert db.table("Event_2024") is None


ADDED = SPEC.replace(
    'name = "Event_other"\ndefault = true',
    'name = "Event_other"\ndefault = true\n\n[[tables.Event.partitions]]\n'
    'name = "Event_2025"\nfrom = "2025-01-01"\nto = "2026-01-01"',
).replace(
    '[[tables.Event.indexes]]\ncolumns = ["accountId"]',
    '[[tables.Event.indexes]]\ncolumns = ["accountId"]\n\n[[tables.Event.indexes]]\ncolumns = ["kind"]',
)


def test_add_a_partition_and_an_online_index(database_url: str) -> None:
    before, after = load_schema_text(SPEC), load_schema_text(ADDED)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        conn.execute(ROWS)
        up = plan(inspect_schema(conn), canonicalize(after, conn))
        text = up.describe()
        assert 'create partition "Event_2025" of "Event"' in text
        assert "partition by partition, concurrently" in text
        steps = render_plan(up)
        sql = [s.sql for s in steps]
        assert not any("CONCURRENTLY" in s and 'ON "Event"' in s for s in sql)
        assert any('ON ONLY "Event"' in s for s in sql)
        concurrent = [s for s in steps if "CREATE INDEX CONCURRENTLY" in s.sql]
        # one per partition, each outside a transaction, then attached
        assert len(concurrent) == 4 and not any(s.atomic for s in concurrent)
        assert sum("ATTACH PARTITION" in s for s in sql) == 4
        apply_plan(conn, up)
        db = inspects_equal(conn, after)
        assert not plan(db, canonicalize(after, conn))
        valid = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = '\"Event_kind_idx\"'::regclass"
        ).fetchone()
        assert valid == (True,)
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)
        assert _where(conn)["later"] == '"Event_other"'


def test_drop_and_rebind_partitions(database_url: str) -> None:
    spec = SPEC.replace(
        'name = "Event_other"\ndefault = true\n',
        'name = "Event_late"\nfrom = "2025-01-01"\nto = "2040-01-01"\n',
    )
    before = load_schema_text(spec)
    dropped = spec.replace(
        '[[tables.Event.partitions]]\nname = "Event_old"\nfrom = "MINVALUE"\nto = "2024-01-01"\ncomment = "before 2024"\n',
        "",
    )
    after = load_schema_text(dropped.replace('to = "2040-01-01"', 'to = "2050-01-01"'))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        conn.execute(ROWS)
        with pytest.raises(RefusedError, match="partition Event_old"):
            plan(inspect_schema(conn), canonicalize(after, conn))
        up = plan(
            inspect_schema(conn),
            canonicalize(after, conn),
            PlanOptions(acknowledged=("Event_old",)),
        )
        text = up.describe()
        assert 'detach concurrently and drop partition "Event_old"' in text
        assert 'rebind partition "Event_late"' in text
        (detach,) = [
            s for s in render_plan(up) if "DETACH PARTITION" in s.sql and "CONCURRENTLY" in s.sql
        ]
        assert not detach.atomic
        apply_plan(conn, up)
        inspects_equal(conn, after)
        assert _where(conn) == {"now": '"Event_2024"', "later": '"Event_late"'}
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)


def test_detach_is_not_concurrent_beside_a_default_partition(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace(
            '[[tables.Event.partitions]]\nname = "Event_old"\nfrom = "MINVALUE"\nto = "2024-01-01"\ncomment = "before 2024"\n',
            "",
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(
            inspect_schema(conn), canonicalize(after, conn), PlanOptions(allow_destructive=True)
        )
        assert 'detach and drop partition "Event_old"' in up.describe()
        apply_plan(conn, up)
        inspects_equal(conn, after)


def test_changing_the_partition_key_is_refused_with_the_way_out(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace('partition_by = "HASH (id)"', 'partition_by = "RANGE (id)"')
        .replace("modulus = 2\nremainder = 0", "from = 0\nto = 10")
        .replace("modulus = 2\nremainder = 1", "from = 10\nto = 20")
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        with pytest.raises(RefusedError, match="declare a new table"):
            plan(inspect_schema(conn), canonicalize(after, conn))


REBIND = """
[tables.Bin]
partition_by = "RANGE (n)"
primary_key = ["n"]

[tables.Bin.columns]
n = { type = "bigint" }

[[tables.Bin.partitions]]
name = "Bin_low"
from = 0
to = 10

[tables.Ref.columns]
id = { type = "integer", primary_key = true }
"""


def test_a_rebind_preflight_counts_the_rows_that_cannot_stay(database_url: str) -> None:
    # found by the convergence property (partitions drawn): DETACH of a rebind
    # failed under a foreign key referencing the partition's rows; the op had the
    # may_fail_on_data hazard and no preflight
    from pgwarden.render.preflight import preflights

    referenced = (
        REBIND + 'bin = { type = "bigint", nullable = true, references = { table = "Bin" } }\n'
    )
    for spec, wider, narrower in ((REBIND, 0, 1), (referenced, 2, 2)):
        with psycopg.connect(database_url, autocommit=True) as conn:
            reset_schema(conn)
            apply_ddl(conn, load_schema_text(spec), pipeline_render)
            conn.execute('INSERT INTO "Bin" VALUES (1), (7)')

            def violations(after: str) -> int:
                up = plan(inspect_schema(conn), canonicalize(load_schema_text(after), conn))
                (check,) = [q for q in preflights(up) if "rebind" in q.description]
                row = conn.execute(check.sql).fetchone()
                assert row is not None
                return int(row[0])

            # both rows fit FROM (0) TO (20); 7 does not fit TO (5); under a foreign
            # key every row counts (DETACH checks the references)
            assert violations(spec.replace("to = 10", "to = 20")) == wider
            assert violations(spec.replace("to = 10", "to = 5")) == narrower


def test_add_beside_a_default_and_drop_under_a_foreign_key_have_preflights(
    database_url: str,
) -> None:
    # the same family as the rebind: both had no preflight and failed on rows
    from pgwarden.render.preflight import preflights

    spec = REBIND + '\n[[tables.Bin.partitions]]\nname = "Bin_rest"\ndefault = true\n'
    added = spec + '\n[[tables.Bin.partitions]]\nname = "Bin_mid"\nfrom = 10\nto = 20\n'
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, load_schema_text(spec), pipeline_render)
        conn.execute('INSERT INTO "Bin" VALUES (1), (15), (25)')

        def violations(after: str, words: str) -> int:
            up = plan(
                inspect_schema(conn),
                canonicalize(load_schema_text(after), conn),
                PlanOptions(allow_destructive=True),
            )
            (check,) = [q for q in preflights(up) if words in q.description]
            row = conn.execute(check.sql).fetchone()
            assert row is not None
            return int(row[0])

        assert violations(added, "belong to new partition Bin_mid") == 1  # 15
        assert violations(added.replace("from = 10\nto = 20", "from = 30\nto = 40"), "Bin_mid") == 0
        ref = (
            REBIND + 'bin = { type = "bigint", nullable = true, references = { table = "Bin" } }\n'
        )
        rest = '\n[[tables.Bin.partitions]]\nname = "Bin_rest"\ndefault = true\n'
        reset_schema(conn)
        apply_ddl(conn, load_schema_text(ref + rest), pipeline_render)
        conn.execute('INSERT INTO "Bin" VALUES (1), (15)')
        assert violations(ref, "which a foreign key references") == 1  # the row 15
