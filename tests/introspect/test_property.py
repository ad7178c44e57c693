"""Property: any valid spec, rendered by the planner's ``render_schema`` and
applied, inspects back equal to the canonicalized spec, and the inspected schema
dumped as spec TOML loads back equal (hypothesis, against the real server; one
database, the namespace reset per example)."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import given, settings

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.introspect.ddl import apply_ddl, pipeline_render
from tests.pg import drop_namespaces, offered_extensions, reset_schema
from tests.strategies import EXTENSION_TYPES, NAMESPACES, schemas


@pytest.mark.slow
def test_random_specs_inspect_back_equal(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        offered = offered_extensions(conn, EXTENSION_TYPES)

        @settings(max_examples=30)
        @given(schemas(every_kind=True, extensions=offered))
        def check(spec: Schema) -> None:
            drop_namespaces(conn, NAMESPACES)
            reset_schema(conn, spec.name)
            apply_ddl(conn, spec, pipeline_render)
            db = inspect_schema(conn, spec.name, also=[n.name for n in spec.schemas])
            expected = canonicalize(spec, conn, render=pipeline_render)
            assert format_diff(schema_diff(expected, db)) == ""
            assert db == expected
            # what `pgwarden inspect` prints loads back to the database's schema
            # (the loader normalizes expressions; the server puts them back in its text)
            back = canonicalize(load_schema_text(dump_schema(db)), conn, render=pipeline_render)
            assert format_diff(schema_diff(db, back), "database", "dump") == ""

        check()
