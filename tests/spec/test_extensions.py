"""Extensions, extension types, index methods, operator classes and exclusion
constraints in the spec: loading, validation errors (file:line, path, fix) and
dump -> load giving back the same model."""

from __future__ import annotations

from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import ColumnType, ExclusionElement, Extension
from tests.spec.test_validate import FILE, line_of, one

SPEC = """
[extensions]
pg_trgm = {}
vector = { version = "0.8.0" }
btree_gist = { schema = "extensions" }
citext = {}

[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
title = { type = "citext" }
embedding = { type = "vector(3)", nullable = true }
words = { type = "tsvector", nullable = true }
during = { type = "tstzrange", nullable = true }
room = { type = "integer" }
name = { type = "text", collation = "C" }

[[tables.Doc.indexes]]
columns = [{ column = "title", opclass = "gin_trgm_ops" }]
method = "gin"

[[tables.Doc.indexes]]
columns = [{ column = "embedding", opclass = "vector_l2_ops" }]
method = "hnsw"

[[tables.Doc.exclusions]]
columns = [
  { column = "room", with = "=", opclass = "extensions.gist_int4_ops" },
  { column = "during", with = "&&" },
]
where = "room > 0"
"""


def test_extensions_types_methods_and_exclusions_load() -> None:
    s = load_schema_text(SPEC, FILE)
    assert s.extensions == (
        Extension("btree_gist", schema="extensions"),
        Extension("citext"),
        Extension("pg_trgm"),
        Extension("vector", version="0.8.0"),
    )
    doc = s.table("Doc")
    assert doc is not None
    assert doc.column("embedding") is not None
    assert doc.column("embedding").type == ColumnType("vector", (3,))  # type: ignore[union-attr]
    assert doc.column("name").collation == "C"  # type: ignore[union-attr]
    methods = sorted(i.method for i in doc.indexes)
    assert methods == ["gin", "hnsw"]
    (x,) = doc.exclusions
    assert x.name == "Doc_room_during_excl" and x.method == "gist"
    assert x.elements == (
        ExclusionElement("=", column="room", opclass="extensions.gist_int4_ops"),
        ExclusionElement("&&", column="during"),
    )


def test_dump_loads_back_equal() -> None:
    s = load_schema_text(SPEC, FILE)
    text = dump_schema(s)
    assert load_schema_text(text, FILE) == s
    assert dump_schema(load_schema_text(text, FILE)) == text


def test_type_of_an_undeclared_extension_names_the_extension() -> None:
    text = '[tables.T.columns]\nv = { type = "vector(3)" }\n'
    p = one(text, "tables.T.columns.v.type", "extension 'vector'", line=line_of(text, "v = "))
    assert p.hint == "add vector = {} under [extensions]"


def test_extension_type_in_another_schema_must_be_qualified() -> None:
    text = (
        '[extensions]\nvector = { schema = "extensions" }\n'
        '[tables.T.columns]\nv = { type = "vector(3)" }\n'
    )
    p = one(text, "tables.T.columns.v.type", "schema 'extensions'")
    assert p.hint == "write 'extensions.vector'"
    ok = text.replace('"vector(3)"', '"extensions.vector(3)"')
    t = load_schema_text(ok, FILE).table("T")
    assert t is not None and t.columns[0].type == ColumnType("extensions.vector", (3,))


def test_method_and_opclass_of_an_undeclared_extension() -> None:
    text = (
        '[tables.T.columns]\nv = { type = "text" }\n'
        '[[tables.T.indexes]]\ncolumns = [{ column = "v", opclass = "gin_trgm_ops" }]\n'
        'method = "gin"\n'
        '[[tables.T.indexes]]\ncolumns = ["v"]\nmethod = "ivfflat"\n'
    )
    p = one(text, "tables.T.indexes[0]", "operator class 'gin_trgm_ops'", "pg_trgm")
    assert p.hint == "add pg_trgm = {} under [extensions]"
    one(text, "tables.T.indexes[1].method", "ivfflat", "extension 'vector'")


def test_unknown_type_without_an_unknown_extension_is_an_error() -> None:
    text = '[tables.T.columns]\nv = { type = "geometri" }\n'
    one(text, "tables.T.columns.v.type", "unknown type 'geometri'")
    # an extension this release does not know may define it: the server decides
    lenient = "[extensions]\nmy_types = {}\n" + text
    t = load_schema_text(lenient, FILE).table("T")
    assert t is not None and t.columns[0].type == ColumnType("geometri")


def test_catalog_types_need_no_extension() -> None:
    text = (
        '[tables.T.columns]\na = { type = "tsvector" }\nb = { type = "int4range[]" }\n'
        'c = { type = "money" }\nd = { type = "bit(8)" }\n'
    )
    t = load_schema_text(text, FILE).table("T")
    assert t is not None
    assert [c.type for c in t.columns] == [
        ColumnType("tsvector"),
        ColumnType("int4range", array=True),
        ColumnType("money"),
        ColumnType("bit", (8,)),
    ]


def test_bad_extension_and_exclusion_entries() -> None:
    one("[extensions]\nplpgsql = {}\n", "extensions.plpgsql", "part of every database")
    one("[extensions]\npg_trgm = { version = 1.6 }\n", "extensions.pg_trgm.version", "string")
    one('[extensions]\npg_trgm = { schema = "x", colour = 1 }\n', "extensions.pg_trgm.colour")
    base = '[tables.T.columns]\na = { type = "integer" }\n[[tables.T.exclusions]]\n'
    one(base + 'columns = [{ column = "a" }]\n', "tables.T.exclusions[0].columns[0]", "with")
    one(
        base + 'columns = [{ column = "b", with = "=" }]\n',
        "tables.T.exclusions[0]",
        "column 'b'",
    )
    one(
        base + 'columns = [{ column = "a", with = "=" }]\nmethod = "gin"\n',
        "tables.T.exclusions[0].method",
        "cannot back an exclusion",
    )
