"""``tenant`` works for every column type the spec allows as a key (issue 20
item 5): the policy applies, a session sees exactly its tenant's rows and cannot
write another tenant's, on a real server as a role RLS applies to."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pgwarden.errors import SpecError
from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import BUILTIN_TYPES

#: type -> (this tenant's key, another tenant's key), as setting text
KEYS: dict[str, tuple[str, str]] = {
    "text": ("alice", "bob"),
    "varchar(3)": ("abc", "abd"),
    "char(3)": ("abc", "abd"),
    "citext": ("alice", "bob"),
    "smallint": ("1", "2"),
    "integer": ("1", "2"),
    "bigint": ("9000000000", "9000000001"),
    "numeric(5,2)": ("1.25", "1.26"),
    "real": ("1.5", "2.5"),
    "double precision": ("1.5", "2.5"),
    "boolean": ("true", "false"),
    "uuid": ("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"),
    "date": ("2024-01-31", "2024-02-01"),
    "time": ("12:00:00", "13:00:00"),
    "timetz": ("12:00:00+00", "13:00:00+00"),
    "timestamp(3)": ("2024-01-31 12:00:00.001", "2024-01-31 12:00:00.002"),
    "timestamptz": ("2024-01-31 12:00:00+00", "2024-01-31 13:00:00+00"),
    "interval": ("1 day", "2 days"),
    "jsonb": ('{"t": 1}', '{"t": 2}'),
    "bytea": ("\\x01", "\\x02"),
    "inet": ("10.0.0.1", "10.0.0.2"),
    "cidr": ("10.0.0.0/8", "11.0.0.0/8"),
    "Plan": ("FREE", "PRO"),
    "text[]": ("{a,b}", "{a,c}"),
    "varchar(5)[]": ("{a,b}", "{a,c}"),
    "char(2)[]": ("{ab}", "{ac}"),
    "integer[]": ("{1,2}", "{1,3}"),
    "Plan[]": ("{FREE}", "{PRO}"),
    "uuid[]": (
        "{00000000-0000-0000-0000-000000000001}",
        "{00000000-0000-0000-0000-000000000002}",
    ),
}


def test_every_builtin_type_is_covered() -> None:
    covered = {t.split("(")[0].removesuffix("[]") for t in KEYS}
    assert set(BUILTIN_TYPES) - covered == {"json"}  # json: refused below


def _spec(type_text: str) -> str:
    return (
        '[enums.Plan]\nvalues = ["FREE", "PRO"]\n\n'
        "[tables.Doc]\n"
        'tenant = { column = "owner", setting = "app.tenant" }\n'
        "rls = { enabled = true, force = true }\n"
        "[tables.Doc.columns]\n"
        'id = { type = "integer", primary_key = true }\n'
        f'owner = {{ type = "{type_text}" }}\n'
    )


def _denied(conn: psycopg.Connection[Any], query: str, key: str) -> bool:
    try:
        with conn.transaction():
            conn.execute(query, (key,))
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.parametrize("type_text", sorted(KEYS))
def test_tenant_policy_works_for_the_column_type(database_url: str, type_text: str) -> None:
    mine, theirs = KEYS[type_text]
    ddl = render_schema(load_schema_text(_spec(type_text)))
    role = f"tenant_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        if type_text == "citext":
            conn.execute("CREATE EXTENSION IF NOT EXISTS citext")
        conn.execute(ddl)  # the policy itself must be valid SQL for this type
        conn.execute('INSERT INTO "Doc" VALUES (1, %s), (2, %s)', (mine, theirs))
        conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
        try:
            conn.execute(
                sql.SQL('GRANT SELECT, INSERT ON "Doc" TO {}').format(sql.Identifier(role))
            )
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            conn.execute("SELECT set_config('app.tenant', %s, false)", (mine,))
            rows = conn.execute('SELECT id FROM "Doc" ORDER BY id').fetchall()
            assert rows == [(1,)], type_text
            insert = 'INSERT INTO "Doc" VALUES (3, %s)'
            assert _denied(conn, insert, theirs), f"wrote another tenant's row ({type_text})"
            assert not _denied(conn, insert, mine)
        finally:
            conn.execute("RESET ROLE")
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_tenant_on_json_is_refused_with_a_fix() -> None:
    with pytest.raises(SpecError) as err:
        load_schema_text(_spec("json"), "app.toml")
    (problem,) = err.value.problems
    assert problem.path == "tables.Doc.tenant.column"
    assert "json, which has no equality operator" in problem.message
    assert problem.hint and "jsonb" in problem.hint
