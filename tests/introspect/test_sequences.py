"""Sequences and identity numbers end to end on a real server: spec -> SQL ->
apply -> inspect gives the spec back; changes of numbers, type, owner and
comment converge and go back down; a serial column's own sequence is not read as
a sequence; a sequence owned by a column in a second schema; a sequence made by
hand is drift."""

from __future__ import annotations

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema, SequenceOptions
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.planner.helpers import apply_plan
from tests.spec.test_sequences import SPEC


def test_sequences_round_trip(database_url: str) -> None:
    spec = load_schema_text(
        SPEC + '\n[tables.Old.columns]\nid = { type = "integer", identity = "serial" }\n'
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
        assert format_diff(schema_diff(db, back), "database", "dump") == ""
        conn.execute('INSERT INTO "Invoice" DEFAULT VALUES')
        conn.execute('INSERT INTO "Invoice" DEFAULT VALUES')
        rows = conn.execute('SELECT id, number, legacy FROM "Invoice" ORDER BY id').fetchall()
    assert rows == [(1000, 100, -5), (1010, 102, -4)]
    assert sorted(q.name for q in db.sequences) == ["countdown", "invoice_number"]


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


def test_numbers_type_owner_and_comment_changes_converge(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace("increment = 2\n", "increment = 3\n")
        .replace('type = "integer"\nstart', 'type = "bigint"\nstart')
        .replace('comment = "invoice numbers"', 'comment = "numbers"')
        .replace('owned_by = "Invoice.number"', 'owned_by = "Invoice.legacy"')
        .replace("start = 1000, increment = 10", "start = 5, increment = 1")
        .replace("max_value = 500, cycle = true", "max_value = 400")
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        text = _converge(conn, before, after)
    assert 'alter sequence "invoice_number"' in text
    assert 'sequence "invoice_number" owned by Invoice.legacy' in text
    assert 'change identity numbers of "Invoice"."id"' in text


def test_adding_and_dropping_sequences_and_their_tables(database_url: str) -> None:
    before = load_schema_text('[tables.Empty.columns]\nid = { type = "integer" }\n')
    after = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        text = _converge(conn, before, after)
    assert "create sequence" in text
    with psycopg.connect(database_url, autocommit=True) as conn:
        # the other way: the table goes, its sequence goes on its own (disowned first)
        conn.execute('DROP TABLE "Empty"')
        text = _converge(conn, after, before)
    assert 'sequence "invoice_number" owned by nothing' in text


def test_an_identity_gets_numbers_on_a_kept_column(database_url: str) -> None:
    before = load_schema_text('[tables.T.columns]\nid = { type = "bigint", identity = "always" }\n')
    after = load_schema_text(
        '[tables.T.columns]\nid = { type = "bigint", identity = { kind = "by default", '
        "start = 50, cache = 3 } }\n"
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        _converge(conn, before, after)
        none = load_schema_text('[tables.T.columns]\nid = { type = "bigint" }\n')
        conn.execute('DROP TABLE "T"')
        _converge(conn, none, after)
        conn.execute('DROP TABLE "T"')
        apply_ddl(conn, after, pipeline_render)
        db = inspect_schema(conn)
    assert db.tables[0].columns[0].identity_options == SequenceOptions(start=50, cache=3)


def test_a_sequence_owned_by_a_column_in_a_second_schema(database_url: str) -> None:
    spec = load_schema_text(
        '[schemas.billing]\n\n[tables."billing.Invoice".columns]\n'
        'id = { type = "bigint", primary_key = true }\nnumber = { type = "bigint" }\n\n'
        '[sequences."billing.invoice_no"]\nstart = 7\nowned_by = "billing.Invoice.number"\n'
        'comment = "per invoice"\n'
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        # the table by hand (rendering tables in a second schema is not part of this change)
        conn.execute(
            'CREATE SCHEMA billing; CREATE TABLE billing."Invoice" (id bigint NOT NULL, '
            'number bigint NOT NULL, CONSTRAINT "Invoice_pkey" PRIMARY KEY (id))'
        )
        have = inspect_schema(conn, "public", also=["billing"])
        up = plan(have, spec)
        assert [op.description for op in up] == [
            'create sequence "billing.invoice_no"',
            'sequence "billing.invoice_no" owned by billing.Invoice.number',
        ]
        apply_plan(conn, up)
        db = inspect_schema(conn, "public", also=["billing"])
        assert db.sequences == spec.sequences
        assert conn.execute("SELECT nextval('billing.invoice_no')").fetchone() == (7,)
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn, "public", also=["billing"]).sequences == ()


def test_a_sequence_made_by_hand_is_drift(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        conn.execute("CREATE SEQUENCE sneaky")
        conn.execute("ALTER SEQUENCE countdown CACHE 7")
        diffs = [d.render() for d in schema_diff(canonicalize(spec, conn), inspect_schema(conn))]
    assert diffs == [
        "sequence countdown.options: cache: spec 1 vs database 7",
        "sequence sneaky: only in the database",
    ]


def test_a_serial_column_with_a_dot_in_its_name(database_url: str) -> None:
    # found by the round-trip property: the sequence "T_with.dot_seq" was split at
    # its dot when recognised, so the serial read back as a nextval default plus a
    # sequence of its own; adding the serial online named schema "T_with"
    spec = load_schema_text(
        '[tables.T.columns]\n"with.dot" = { type = "integer", identity = "serial" }\n'
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        assert db.sequences == ()
        plain = load_schema_text('[tables.T.columns]\n"with.dot" = { type = "integer" }\n')
        down = plan(db, canonicalize(plain, conn))
        apply_plan(conn, down)
        inspects_equal(conn, plain)
        apply_plan(conn, down.reverse())
        inspects_equal(conn, spec)
