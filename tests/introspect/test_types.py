"""Domains and composite types end to end on a real server: rendered before the
tables that use them, inspected back equal, dumped and loaded back equal; the
planner changes them in place (ALTER DOMAIN, ALTER TYPE ... ATTRIBUTE),
converges, and its reverse goes back."""

from __future__ import annotations

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import RefusedError
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.planner.helpers import apply_plan
from tests.spec.test_types import SPEC

ROW = """INSERT INTO "Customer" (email, handle, home)
VALUES ('a@b', 'h', ROW('s', '1', 'c@d', 'Nick'))"""


def test_types_round_trip(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
        assert format_diff(schema_diff(db, back), "database", "dump") == ""
        # the types work: a bad value is refused by the domain's check
        conn.execute(ROW)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO \"Customer\" (email) VALUES ('nobody')")
    email = next(d for d in db.domains if d.name == "Email")
    assert email.not_null and email.comment == "an address"
    assert [c.name for c in email.checks] == ["Email_check", "Email_check1"]
    address = next(c for c in db.composite_types if c.name == "Address")
    assert [(a.name, a.collation) for a in address.attributes] == [
        ("street", None),
        ("zip", "C"),
        ("owner", None),
        ("nick", None),
    ]


CHANGED = (
    SPEC.replace(
        '[domains.Handle]\ntype = "text"', '[domains.Handle]\ntype = "text"\nnot_null = true'
    )
    .replace('{ expression = "length(VALUE) < 320" }', '{ expression = "length(VALUE) < 100" }')
    .replace("default = 1\n", "default = 2\n")
    .replace('comment = "a postal address"', 'comment = "where it goes"')
    .replace('nick = "citext"\n', 'city = "text"\n')
    .replace(
        "[composite_types.Parcel]\n"
        'attributes = { to = "Address", weight = "Positive", plans = "Plans" }',
        '[domains.Code]\ntype = "text"',
    )
    .replace(
        'parcels = { type = "Parcel[]", nullable = true }',
        'code = { type = "Code", nullable = true }',
    )
    + '\n[schema]\nacknowledge_loss = ["Address.nick", "Customer.parcels"]\n'
)


def test_changes_converge_and_reverse(database_url: str) -> None:
    before, after = load_schema_text(SPEC), load_schema_text(CHANGED)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        conn.execute(ROW)
        up = plan(inspect_schema(conn), canonicalize(after, conn))
        text = up.describe()
        assert 'domain "Handle": set not null' in text
        assert 'drop check "Email_check1" of domain "Email"' in text
        assert 'add check "Email_check1" to domain "Email"' in text
        assert 'add attribute "city" to type "Address"' in text
        assert 'drop composite type "Parcel"' in text and 'create domain "Code"' in text
        apply_plan(conn, up)
        db = inspects_equal(conn, after)
        assert not plan(db, canonicalize(after, conn))
        # the row kept its street through the attribute changes
        row = conn.execute('SELECT (home).street, (home).owner FROM "Customer"').fetchone()
        assert row == ("s", "c@d")
        assert 'drop attribute "owner"' not in text
        apply_plan(conn, up.reverse())
        inspects_equal(conn, before)


def test_a_middle_attribute_comes_back_last_in_the_down(database_url: str) -> None:
    """Postgres has no position for ADD ATTRIBUTE: the down of dropping a middle
    attribute re-adds it at the end (docs/planner.md), with every other value kept."""
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace('owner = "Email"\n', ""))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(
            inspect_schema(conn), canonicalize(after, conn), PlanOptions(allow_destructive=True)
        )
        apply_plan(conn, up)
        apply_plan(conn, up.reverse())
        back = inspect_schema(conn)
    address = next(c for c in back.composite_types if c.name == "Address")
    assert [a.name for a in address.attributes] == ["street", "zip", "nick", "owner"]


def test_attribute_drop_needs_consent(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace('owner = "Email"\n', ""))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        with pytest.raises(RefusedError, match=r"Address\.owner"):
            plan(inspect_schema(conn), canonicalize(after, conn))
        ok = plan(
            inspect_schema(conn),
            canonicalize(after, conn),
            PlanOptions(acknowledged=("Address.owner",)),
        )
        apply_plan(conn, ok)
        inspects_equal(conn, after)


def test_not_null_of_a_domain_inside_a_used_composite_is_refused(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(SPEC.replace("not_null = true\n", ""))
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        with pytest.raises(RefusedError, match="VALUE IS NOT NULL"):
            plan(inspect_schema(conn), canonicalize(after, conn))


def test_a_domain_base_type_change_is_refused_with_the_way_out(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace('type = "integer"\ndefault = 1', 'type = "bigint"\ndefault = 1')
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        with pytest.raises(RefusedError, match="declare a new domain"):
            plan(inspect_schema(conn), canonicalize(after, conn))


def test_a_domain_made_by_hand_is_drift(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, spec, pipeline_render)
        conn.execute("CREATE DOMAIN \"Sneaky\" AS text CHECK (VALUE <> '')")
        conn.execute('ALTER DOMAIN "Positive" DROP CONSTRAINT positive')
        diffs = format_diff(schema_diff(canonicalize(spec, conn), inspect_schema(conn)))
    assert "domain Sneaky: only in the database" in diffs
    assert "domain Positive.check positive: only in the spec" in diffs
