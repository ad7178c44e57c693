"""Every entry of ``spec.catalog_facts`` is true on the connected server: the
offline rules of ``validate`` are only as good as these facts."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pgwarden.spec import catalog_facts as facts
from tests.pg import server_version

_SQL_TYPES = {"timetz": "time with time zone", "timestamptz": "timestamp with time zone"}
_SQL_TYPES |= {"varbit": "bit varying", "double_precision": "double precision"}


def _kinds(conn: psycopg.Connection[Any], names: frozenset[str], test: str) -> dict[str, bool]:
    """name -> whether every pg_catalog function of that name passes ``test``."""
    rows = conn.execute(
        f"SELECT proname, bool_and({test}) FROM pg_proc "  # test: a fixed expression below
        "WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY(%s) GROUP BY 1",
        (sorted(names),),
    ).fetchall()
    return {name: ok for name, ok in rows}


@pytest.mark.parametrize(
    ("names", "test"),
    [
        (facts.AGGREGATES, "prokind = 'a'"),
        (facts.WINDOW_FUNCTIONS, "prokind = 'w'"),
        (facts.SET_RETURNING, "proretset"),
        (facts.NOT_IMMUTABLE, "provolatile <> 'i'"),
    ],
    ids=["aggregates", "window", "set-returning", "not-immutable"],
)
def test_function_facts(database_url: str, names: frozenset[str], test: str) -> None:
    with psycopg.connect(database_url) as conn:
        found = _kinds(conn, names, test)
    assert not [n for n, ok in found.items() if not ok]
    if server_version(database_url) >= 180000:
        assert set(found) == set(names), sorted(names - set(found))  # no typo, no stale name


def test_value_functions_are_not_immutable(database_url: str) -> None:
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        accepted = []
        for name in sorted(facts.VALUE_FUNCTIONS):
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(
                        f"CREATE TABLE vf (x text GENERATED ALWAYS AS (({name})::text) STORED)"
                    )
                accepted.append(name)
            except psycopg.errors.InvalidObjectDefinition:
                pass  # "generation expression is not immutable"
            except psycopg.errors.UndefinedColumn:
                assert name == "system_user" and server_version(database_url) < 160000
    assert not accepted


def _methods(conn: psycopg.Connection[Any], sql_type: str) -> set[str]:
    ok = set()
    with conn.transaction(force_rollback=True):
        conn.execute(f"CREATE TABLE vf (c {sql_type})")
        for method in sorted(facts.ALL_METHODS):
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(f"CREATE INDEX ON vf USING {method} (c)")
                ok.add(method)
            except psycopg.Error:
                pass  # "data type ... has no default operator class for access method ..."
    return ok


def test_default_operator_classes(database_url: str) -> None:
    wrong = []
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        conn.execute("CREATE TYPE vf_enum AS ENUM ('a')")
        for key in sorted(facts.INDEXED_TYPES):
            sql_type = "vf_enum" if key == "enum" else _SQL_TYPES.get(key, key)
            for array in (False, True):
                expected = facts.default_methods(key, array)
                got = _methods(conn, sql_type + ("[]" if array else ""))
                if got != expected:
                    wrong.append((key, array, sorted(got), sorted(expected or ())))
    assert not wrong


@pytest.mark.parametrize("extension", sorted(facts.extension_default_methods()))
def test_extension_operator_classes(database_url: str, extension: str) -> None:
    method, types = facts.extension_default_methods()[extension]
    missing = []
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        conn.execute(f"CREATE EXTENSION {extension}")
        conn.execute("CREATE TYPE vf_enum AS ENUM ('a')")
        for key in sorted(types):
            sql_type = "vf_enum" if key == "enum" else _SQL_TYPES.get(key, key)
            if method not in _methods(conn, sql_type):
                missing.append(key)
    assert not missing
