"""Prisma apps that use extensions, several schemas, extension types and views
import whole: datasource ``extensions`` and ``schemas``, ``@@schema``, ``@db.*``
and ``Unsupported(...)`` types, ``view`` blocks with their query from
``views/<schema>/<View>.sql``. Checked against the catalog of the database Prisma
builds (``fixtures/realdb/prisma.sql``, written by hand from Prisma's conventions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

from pgwarden.importers.prisma import PrismaError, import_prisma, import_prisma_text
from pgwarden.introspect import inspect_schema
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import ColumnType, Extension, Namespace

HERE = Path(__file__).parent / "fixtures" / "realdb"


def test_the_app_imports_whole() -> None:
    result = import_prisma(HERE / "schema.prisma")
    s = result.schema
    assert s.extensions == (Extension("citext"), Extension("pg_trgm"))
    assert s.schemas == (Namespace("billing"),)
    assert [t.name for t in s.tables] == ["User", "billing.Invoice"]
    assert [e.name for e in s.enums] == ["billing.Currency"]
    invoice = s.table("billing.Invoice")
    user = s.table("User")
    assert invoice is not None and user is not None
    assert invoice.foreign_keys[0].ref_table == "User"
    assert invoice.column("currency").type == ColumnType("billing.Currency")  # type: ignore[union-attr]
    assert invoice.column("total").type == ColumnType("money")  # type: ignore[union-attr]
    assert user.column("words").type == ColumnType("tsvector")  # type: ignore[union-attr]
    (view,) = s.views
    assert view.name == "ActiveUser" and '"deletedAt" IS NULL' in view.definition
    assert not [w for w in result.warnings if "view" in w.message]
    # the spec it writes loads back to the same model (and validates)
    assert load_schema_text(dump_schema(s), "imported.toml") == s


def test_a_view_without_its_query_is_a_warning_naming_the_fix() -> None:
    text = (HERE / "schema.prisma").read_text()
    result = import_prisma_text(text, "schema.prisma")
    (warning,) = [w for w in result.warnings if "ActiveUser" in w.path]
    assert "views/public/ActiveUser.sql" in warning.message and "prisma db pull" in (
        warning.hint or ""
    )
    assert result.schema.views == ()


def test_extension_arguments_and_errors() -> None:
    source = (
        'datasource db {\n  provider = "postgresql"\n  url = env("U")\n'
        '  extensions = [vector(schema: "extensions", version: "0.8.0"), '
        'uuid_ossp(map: "uuid-ossp")]\n}\n'
        'model A {\n  id Int @id\n  e Unsupported("extensions.vector(3)")\n}\n'
    )
    s = import_prisma_text(source, "s.prisma").schema
    assert s.extensions == (
        Extension("uuid-ossp"),
        Extension("vector", "extensions", "0.8.0"),
    )
    table = s.table("A")
    assert table is not None
    assert table.column("e").type == ColumnType("extensions.vector", (3,))  # type: ignore[union-attr]
    with pytest.raises(PrismaError, match=r"s\.prisma:4:.*arguments are map, schema and version"):
        import_prisma_text(source.replace("version:", "versoin:"), "s.prisma")


def test_import_matches_the_database_prisma_builds(database_url: str) -> None:
    imported = import_prisma(HERE / "schema.prisma").schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(cast(Any, (HERE / "prisma.sql").read_text()))  # a trusted fixture
        db = inspect_schema(conn, "public", also=["billing"])
    assert {x.name for x in db.extensions} >= {x.name for x in imported.extensions}
    assert db.schemas == imported.schemas
    assert [e.name for e in db.enums] == [e.name for e in imported.enums]
    for want in imported.tables:
        have = db.table(want.name)
        assert have is not None, want.name
        assert [(c.name, c.type, c.nullable) for c in have.columns] == [
            (c.name, c.type, c.nullable) for c in want.columns
        ], want.name
        assert have.primary_key == want.primary_key
        assert [(f.name, f.ref_table, f.on_delete) for f in have.foreign_keys] == [
            (f.name, f.ref_table, f.on_delete) for f in want.foreign_keys
        ]
        assert [i.name for i in have.indexes] == [i.name for i in want.indexes]
        assert [(i.method, i.elements[0].opclass) for i in have.indexes] == [
            (i.method, i.elements[0].opclass) for i in want.indexes
        ]
    assert [v.name for v in db.views] == [v.name for v in imported.views]
