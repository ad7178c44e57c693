"""Extensions end to end on a real server: the spec renders, applies and inspects
back equal; an extension's own objects are not read as the user's; operator
classes of extensions come from the catalog; the planner adds, updates and drops
extensions and exclusion constraints, and its reverse goes back.

pgvector is installed with the embedded PostgreSQL 18, not with Debian's
PostgreSQL 15: the vector cases skip there, saying so."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.introspect.ddl import apply_ddl, pipeline_render
from tests.planner.helpers import apply_plan

SPEC = """
[extensions]
pg_trgm = {}
citext = {}
btree_gist = {}

[tables.Booking.columns]
id = { type = "bigint", identity = "always", primary_key = true }
room = { type = "integer" }
during = { type = "tstzrange" }
guest = { type = "citext" }
note = { type = "text", nullable = true, collation = "C" }
words = { type = "tsvector", nullable = true }

[[tables.Booking.indexes]]
columns = [{ column = "note", opclass = "gin_trgm_ops" }]
method = "gin"

[[tables.Booking.indexes]]
columns = [{ column = "note", opclass = "gist_trgm_ops" }]
method = "gist"
name = "Booking_note_gist"

[[tables.Booking.indexes]]
columns = ["words"]
method = "gin"

[[tables.Booking.exclusions]]
columns = [{ column = "room", with = "=" }, { column = "during", with = "&&" }]
where = "room > 0"
"""

VECTOR = """
[extensions]
vector = {}

[tables.Item.columns]
id = { type = "bigint", identity = "always", primary_key = true }
embedding = { type = "vector(3)" }
half = { type = "halfvec(2)", nullable = true }

[[tables.Item.indexes]]
columns = [{ column = "embedding", opclass = "vector_l2_ops" }]
method = "hnsw"

[[tables.Item.indexes]]
columns = [{ column = "embedding", opclass = "vector_cosine_ops" }]
method = "ivfflat"
name = "Item_embedding_ivf"
"""


def _has(conn: psycopg.Connection[object], extension: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = %s", (extension,)
    ).fetchone()
    return row is not None


def _round_trip(conn: psycopg.Connection[object], spec: Schema) -> Schema:
    apply_ddl(conn, spec, pipeline_render)
    db = inspect_schema(conn)
    expected = canonicalize(spec, conn, render=pipeline_render)
    assert format_diff(schema_diff(expected, db)) == ""
    assert db == expected
    # `pgwarden inspect` output loads back to the same database schema
    back = canonicalize(load_schema_text(dump_schema(db, readable=True)), conn)
    assert format_diff(schema_diff(db, back), "database", "dump") == ""
    return db


def test_contrib_extensions_round_trip(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        db = _round_trip(conn, spec)
    booking = db.table("Booking")
    assert booking is not None
    # pg_trgm's classes are not defaults: read from indclass, printed by name
    assert sorted(i.elements[0].opclass or "" for i in booking.indexes) == [
        "",
        "gin_trgm_ops",
        "gist_trgm_ops",
    ]
    assert [x.version is not None for x in db.extensions] == [True, True, True]
    # the extensions' own functions, types and operators are not user objects
    assert [t.name for t in db.tables] == ["Booking"]
    assert db.enums == ()


def test_a_view_over_an_extension_type_round_trips(database_url: str) -> None:
    # found by the round-trip property (extension types drawn): a view's columns the
    # spec leaves out were canonicalized as public.citext (read from the scratch
    # copy, whose default namespace is another), the database says citext
    spec = load_schema_text(
        SPEC + '\n[views.Guests]\ndefinition = "SELECT guest, room FROM \\"Booking\\""\n'
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        db = _round_trip(conn, spec)
    (view,) = db.views
    assert [(c.name, c.type.name) for c in view.columns or ()] == [
        ("guest", "citext"),
        ("room", "integer"),
    ]


def test_vector_round_trips(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        if not _has(conn, "vector"):
            pytest.skip("pgvector is not installed on this server (Debian's PostgreSQL 15)")
        db = _round_trip(conn, load_schema_text(VECTOR))
    item = db.table("Item")
    assert item is not None
    assert {i.method for i in item.indexes} == {"hnsw", "ivfflat"}
    embedding = item.column("embedding")
    assert embedding is not None and embedding.type.spec_text() == "vector(3)"


OPERATORS = """
[extensions]
pg_trgm = {}

[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
title = { type = "text" }
note = { type = "text", nullable = true }

[[tables.Doc.checks]]
expression = "note IS NULL OR note % 'draft' OR similarity(title, note) >= 0"

[[tables.Doc.policies]]
name = "doc_reports"
command = "select"
roles = ["public"]
using = "title % 'report' OR title <-> note < 0.5"
"""

VECTOR_OPERATORS = """
[extensions]
vector = {}

[tables.Near.columns]
id = { type = "bigint", identity = "always", primary_key = true }
embedding = { type = "vector(3)" }

[[tables.Near.checks]]
expression = "embedding <-> '[0,0,0]' < 1000"

[[tables.Near.indexes]]
columns = ["id"]
where = "(embedding <=> '[1,1,1]') < 0.5"
"""


def _operators_stay_natural(conn: psycopg.Connection[object], text: str) -> None:
    """Extension operators and types written as in SQL: the database prints them
    unqualified (the extension is on its search_path), and so must the canonical
    spec, or every verify would report drift and every plan a rebuild."""
    spec = load_schema_text(text)
    db = _round_trip(conn, spec)
    expressions = [c.expression for t in db.tables for c in t.checks]
    expressions += [i.where or "" for t in db.tables for i in t.indexes]
    expressions += [p.using or "" for t in db.tables for p in t.policies]
    assert not any("OPERATOR(" in e or "public." in e for e in expressions), expressions
    assert not plan(db, canonicalize(spec, conn))


def test_extension_operators_canonicalize_unqualified(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        _operators_stay_natural(conn, OPERATORS)


def test_vector_operators_canonicalize_unqualified(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        if not _has(conn, "vector"):
            pytest.skip("pgvector is not installed on this server (Debian's PostgreSQL 15)")
        _operators_stay_natural(conn, VECTOR_OPERATORS)


def test_extension_in_its_own_schema_is_read_qualified(database_url: str) -> None:
    text = (
        '[extensions]\ncitext = { schema = "ext" }\npg_trgm = { schema = "ext" }\n'
        '[tables.T.columns]\nname = { type = "ext.citext" }\n'
        '[[tables.T.indexes]]\ncolumns = [{ column = "name", opclass = "ext.gin_trgm_ops" }]\n'
        'method = "gin"\n'
    )
    spec = load_schema_text(text)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA ext")
        db = _round_trip(conn, spec)
    assert [(x.name, x.schema) for x in db.extensions] == [("citext", "ext"), ("pg_trgm", "ext")]


def test_planner_adds_and_drops_extensions_and_exclusions(database_url: str) -> None:
    before = load_schema_text(
        '[tables.Booking.columns]\nid = { type = "integer", primary_key = true }\n'
        'room = { type = "integer" }\nduring = { type = "tstzrange" }\n'
    )
    after = load_schema_text(
        "[extensions]\nbtree_gist = {}\n"
        '[tables.Booking.columns]\nid = { type = "integer", primary_key = true }\n'
        'room = { type = "integer" }\nduring = { type = "tstzrange" }\n'
        "[[tables.Booking.exclusions]]\n"
        'columns = [{ column = "room", with = "=" }, { column = "during", with = "&&" }]\n'
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, before, pipeline_render)
        up = plan(inspect_schema(conn), after)
        assert "create extension" in up.describe() and "exclusion" in up.describe()
        assert "long_lock" in up.describe()  # no online form exists
        apply_plan(conn, up)
        db = inspect_schema(conn)
        assert db == canonicalize(after, conn)
        assert not plan(db, after)  # converged
        conn.execute("INSERT INTO \"Booking\" VALUES (1, 7, '[2024-01-01, 2024-01-03)')")
        with pytest.raises(psycopg.errors.ExclusionViolation):
            conn.execute("INSERT INTO \"Booking\" VALUES (2, 7, '[2024-01-02, 2024-01-04)')")
        apply_plan(conn, up.reverse())
        assert inspect_schema(conn) == canonicalize(before, conn)


def test_pinned_version_update_and_unpinned_no_op(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        versions = [
            r[0]
            for r in conn.execute(
                "SELECT version FROM pg_available_extension_versions WHERE name = 'pg_trgm'"
                " ORDER BY string_to_array(version, '.')::int[]"
            ).fetchall()
        ]
        if len(versions) < 2:
            pytest.skip("this server ships one pg_trgm version only")
        old = load_schema_text(f'[extensions]\npg_trgm = {{ version = "{versions[-2]}" }}\n')
        apply_ddl(conn, old, pipeline_render)
        db = inspect_schema(conn)
        assert db.extensions[0].version == versions[-2]
        assert not plan(db, replace(old, extensions=(replace(old.extensions[0], version=None),)))
        new = load_schema_text(f'[extensions]\npg_trgm = {{ version = "{versions[-1]}" }}\n')
        up = plan(db, new)
        assert "update to version" in up.describe()
        apply_plan(conn, up)
        assert inspect_schema(conn).extensions[0].version == versions[-1]
