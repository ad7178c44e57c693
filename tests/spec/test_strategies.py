"""The schema strategies draw what they promise: valid, normalized, creatable."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import given, settings

from pgwarden.render.sql import render_schema
from pgwarden.spec.model import Schema
from pgwarden.spec.validate import validate_schema
from tests.pg import reset_schema, temp_database
from tests.strategies import schema_pairs, schemas


@settings(max_examples=40)
@given(schemas())
def test_schemas_are_valid_and_normalized(schema: Schema) -> None:
    assert validate_schema(schema) == []
    assert schema.normalized() == schema
    assert 1 <= len(schema.tables) <= 8


@settings(max_examples=25)
@given(schema_pairs())
def test_schema_pairs_are_valid(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    assert validate_schema(a) == [] and validate_schema(b) == []


@pytest.mark.slow
def test_schemas_create_in_postgres(pg_server: str) -> None:
    render = render_schema
    with temp_database(pg_server) as url, psycopg.connect(url, autocommit=True) as conn:

        @settings(max_examples=30)
        @given(schemas())
        def create(schema: Schema) -> None:
            reset_schema(conn)
            conn.execute(render(schema).encode())

        create()

        @settings(max_examples=10)
        @given(schema_pairs())
        def create_pair(pair: tuple[Schema, Schema]) -> None:
            for schema in pair:
                reset_schema(conn)
                conn.execute(render(schema).encode())

        create_pair()
