"""Audit logging against a real server: one row per change with the right actor
and diff, secrets never copied, the log append-only, and the planner and
introspection treating ``audit = true`` as database state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.rows import dict_row

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import RefusedError, SpecError
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.planner.audit import (
    CreateAuditLog,
    CreateAuditTrigger,
    DropAuditLog,
    DropAuditTrigger,
)
from pgwarden.render.sql import render_schema, render_statements
from pgwarden.spec import audit
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema, load_schema_text
from pgwarden.spec.model import Schema, Table

BASEFLY = Path(__file__).resolve().parents[2] / "schema" / "basefly.toml"
AUDITED = ("User", "Account", "Customer")
SECRET = "ya29.SECRET-token-value"


def _audited(schema: Schema, tables: tuple[str, ...] = AUDITED) -> Schema:
    return replace(
        schema,
        tables=tuple(replace(t, audit=t.name in tables) for t in schema.tables),
    )


def _table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    assert table is not None
    return table


@pytest.fixture
def basefly() -> Schema:
    return load_schema(BASEFLY)


def test_basefly_audits_identities_credentials_and_billing(basefly: Schema) -> None:
    assert {t.name for t in basefly.tables if t.audit} == set(AUDITED)
    account = basefly.table("Account")
    assert account is not None
    assert audit.redacted_columns(account) == ("refresh_token", "access_token", "id_token")


def _apply(conn: psycopg.Connection[Any], ddl: str) -> None:
    with conn.transaction():
        conn.execute(ddl)


@pytest.fixture
def conn(database_url: str, basefly: Schema) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as c:
        _apply(c, render_schema(basefly))
        c.execute("SET app.user_id = 'admin-7'")
        yield c


def _log(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT table_name, op, actor, row_key, changed, before, after, xact::text AS xact"
        " FROM pgwarden_audit ORDER BY id"
    ).fetchall()


def _user(conn: psycopg.Connection[Any], email: str, name: str = "Ada") -> str:
    row = conn.execute(
        'INSERT INTO "User" (email, name) VALUES (%s, %s) RETURNING id', (email, name)
    ).fetchone()
    assert row is not None
    return str(row["id"])


def test_insert_update_delete_each_leave_one_row(conn: psycopg.Connection[Any]) -> None:
    uid = _user(conn, "ada@example.com")
    (ins,) = _log(conn)
    assert (ins["table_name"], ins["op"], ins["actor"]) == ("User", "insert", "admin-7")
    assert ins["row_key"] == {"id": uid}
    assert ins["changed"] == ["id", "name", "email", "emailVerified", "image", "deletedAt"]
    assert ins["before"] is None
    assert ins["after"] == {
        "id": uid,
        "name": "Ada",
        "email": "ada@example.com",
        "emailVerified": None,
        "image": None,
        "deletedAt": None,
    }

    conn.execute("SET app.user_id = 'support-2'")
    conn.execute('UPDATE "User" SET name = %s, image = image WHERE id = %s', ("Ada L.", uid))
    upd = _log(conn)[1:]
    assert len(upd) == 1
    assert (upd[0]["op"], upd[0]["actor"], upd[0]["row_key"]) == (
        "update",
        "support-2",
        {"id": uid},
    )
    # only the column whose value changed, before and after
    assert upd[0]["changed"] == ["name"]
    assert (upd[0]["before"], upd[0]["after"]) == ({"name": "Ada"}, {"name": "Ada L."})

    # an UPDATE that changes nothing records nothing
    conn.execute('UPDATE "User" SET name = name, email = email WHERE id = %s', (uid,))
    assert len(_log(conn)) == 2

    conn.execute("RESET app.user_id")
    conn.execute('DELETE FROM "User" WHERE id = %s', (uid,))
    dele = _log(conn)[2:]
    assert len(dele) == 1
    assert (dele[0]["op"], dele[0]["actor"], dele[0]["after"]) == ("delete", None, None)
    assert dele[0]["before"]["name"] == "Ada L."
    assert dele[0]["changed"] == ["id", "name", "email", "emailVerified", "image", "deletedAt"]


def test_one_row_per_changed_row_and_none_for_unaudited_tables(
    conn: psycopg.Connection[Any],
) -> None:
    uids = [_user(conn, f"u{i}@example.com") for i in range(3)]
    conn.execute(
        'INSERT INTO "Session" ("sessionToken", "userId", expires) VALUES (%s, %s, now())',
        ("tok", uids[0]),
    )
    before = len(_log(conn))
    assert before == 3  # Session is not audited
    conn.execute('UPDATE "User" SET image = %s WHERE id = ANY(%s)', ("x.png", uids[:2]))
    rows = _log(conn)[before:]
    assert sorted(r["row_key"]["id"] for r in rows) == sorted(uids[:2])
    assert all(r["changed"] == ["image"] and r["after"] == {"image": "x.png"} for r in rows)


def test_cascaded_deletes_are_logged_in_the_same_transaction(
    conn: psycopg.Connection[Any],
) -> None:
    uid = _user(conn, "c@example.com")
    conn.execute(
        'INSERT INTO "Account" ("userId", type, provider, "providerAccountId", access_token)'
        " VALUES (%s, 'oauth', 'github', '42', %s)",
        (uid, SECRET),
    )
    conn.execute('DELETE FROM "User" WHERE id = %s', (uid,))
    deletes = [r for r in _log(conn) if r["op"] == "delete"]
    assert sorted(r["table_name"] for r in deletes) == ["Account", "User"]
    assert len({r["xact"] for r in deletes}) == 1


def test_maintained_column_change_is_part_of_the_diff(conn: psycopg.Connection[Any]) -> None:
    uid = _user(conn, "m@example.com")
    conn.execute(
        'INSERT INTO "Customer" ("authUserId", "updatedAt") VALUES (%s, %s)',
        (uid, "2020-01-01 00:00:00"),
    )
    conn.execute("UPDATE \"Customer\" SET plan = 'PRO'")
    last = _log(conn)[-1]
    assert (last["table_name"], last["op"]) == ("Customer", "update")
    # the on_update trigger stamps updatedAt: the log sees the row as stored
    assert last["changed"] == ["plan", "updatedAt"]
    assert last["before"]["plan"] is None and last["after"]["plan"] == "PRO"


def test_secrets_are_named_but_never_copied(conn: psycopg.Connection[Any]) -> None:
    uid = _user(conn, "s@example.com")
    conn.execute(
        'INSERT INTO "Account" ("userId", type, provider, "providerAccountId",'
        " access_token, refresh_token, id_token, scope)"
        " VALUES (%s, 'oauth', 'github', '42', %s, %s, %s, 'read')",
        (uid, SECRET, SECRET + "-refresh", SECRET + "-id"),
    )
    conn.execute('UPDATE "Account" SET access_token = %s', (SECRET + "-rotated",))
    conn.execute('UPDATE "Account" SET access_token = %s, scope = %s', (SECRET + "-2", "write"))
    conn.execute('DELETE FROM "Account"')
    rows = [r for r in _log(conn) if r["table_name"] == "Account"]
    assert [r["op"] for r in rows] == ["insert", "update", "update", "delete"]
    assert "access_token" in rows[0]["changed"] and "access_token" not in rows[0]["after"]
    assert rows[0]["after"]["scope"] == "read"
    # a secret-only change: named, no values
    assert rows[1]["changed"] == ["access_token"]
    assert (rows[1]["before"], rows[1]["after"]) == ({}, {})
    assert rows[2]["changed"] == ["access_token", "scope"]
    assert (rows[2]["before"], rows[2]["after"]) == ({"scope": "read"}, {"scope": "write"})
    assert "refresh_token" in rows[3]["changed"] and "refresh_token" not in rows[3]["before"]
    # nowhere in any column of any audit row
    leaked = conn.execute(
        "SELECT count(*) AS n FROM pgwarden_audit a WHERE to_jsonb(a)::text LIKE %s",
        ("%SECRET%",),
    ).fetchone()
    assert leaked is not None and leaked["n"] == 0


def test_the_log_is_append_only(conn: psycopg.Connection[Any]) -> None:
    _user(conn, "a@example.com")
    statements = [
        "UPDATE pgwarden_audit SET actor = 'someone-else'",
        "DELETE FROM pgwarden_audit",
        "TRUNCATE pgwarden_audit",
        # even a statement that matches no row is refused
        "DELETE FROM pgwarden_audit WHERE false",
    ]
    for stmt in statements:
        with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
            conn.execute(stmt)
    (row,) = _log(conn)
    assert row["actor"] == "admin-7"
    with pytest.raises(errors.GeneratedAlways):
        conn.execute("INSERT INTO pgwarden_audit (id, table_name, op) VALUES (1, 'User', 'forged')")
    grants = conn.execute(
        "SELECT count(*) AS n FROM information_schema.role_table_grants"
        " WHERE table_name = 'pgwarden_audit' AND grantee = 'PUBLIC'"
    ).fetchone()
    assert grants is not None and grants["n"] == 0


def test_an_application_role_writes_the_log_without_privileges_on_it(
    conn: psycopg.Connection[Any],
) -> None:
    role = f"app_{conn.info.dbname}"
    ident = sql.Identifier(role)
    conn.execute(sql.SQL("CREATE ROLE {}").format(ident))
    try:
        conn.execute(sql.SQL('GRANT SELECT, INSERT, UPDATE ON "User" TO {}').format(ident))
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident))
            conn.execute("INSERT INTO \"User\" (id, email) VALUES ('r1', 'r@example.com')")
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
                conn.execute("SELECT 1 FROM pgwarden_audit")
        assert [r["row_key"] for r in _log(conn)] == [{"id": "r1"}]
        # nor can it attach the log's SECURITY DEFINER function to a table of its own
        conn.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(ident))
        with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident))
            conn.execute("CREATE TABLE mine (id text PRIMARY KEY)")
            conn.execute(
                "CREATE TRIGGER forge AFTER INSERT ON mine FOR EACH ROW"
                " EXECUTE FUNCTION pgwarden_audit_row('key:id')"
            )
    finally:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
        conn.execute(sql.SQL("DROP ROLE {}").format(ident))


def test_inspects_back_equal_with_audit_on(conn: psycopg.Connection[Any], basefly: Schema) -> None:
    conn.row_factory = psycopg.rows.tuple_row
    db = inspect_schema(conn)
    expected = canonicalize(basefly, conn)
    assert format_diff(schema_diff(expected, db)) == ""
    assert db == expected
    assert {t.name for t in db.tables if t.audit} == set(AUDITED)
    assert audit.LOG_TABLE not in {t.name for t in db.tables}
    # what the database says about redaction survives a dump as spec text
    again = load_schema_text(dump_schema(db))
    assert {t.name for t in again.tables if t.audit} == set(AUDITED)
    account = again.table("Account")
    assert account is not None
    assert audit.trigger_args(account) == audit.trigger_args(_table(basefly, "Account"))
    # a disabled audit trigger is not auditing
    conn.execute('ALTER TABLE "Customer" DISABLE TRIGGER "Customer_audit"')
    diff = format_diff(schema_diff(expected, inspect_schema(conn)))
    assert diff == "table Customer: audit: spec True vs database False"


def test_plan_adds_and_removes_auditing(database_url: str) -> None:
    audited = load_schema(BASEFLY)
    plain = _audited(audited, ())
    up = plan(plain, audited)
    assert [type(op) for op in up] == [CreateAuditLog, *([CreateAuditTrigger] * 3)]
    assert {op.table for op in up if isinstance(op, CreateAuditTrigger)} == set(AUDITED)
    assert not plan(audited, audited)
    down = up.reverse()
    assert [type(op) for op in down] == [*([DropAuditTrigger] * 3), DropAuditLog]
    # dropping the log loses the history: refused without consent
    with pytest.raises(RefusedError, match="audit log"):
        plan(audited, plain)
    off = plan(audited, plain, PlanOptions(allow_destructive=True))
    assert sorted(map(repr, off)) == sorted(map(repr, down))

    with psycopg.connect(database_url, autocommit=True) as c:
        _apply(c, render_schema(plain))
        _apply(c, render_statements(up))
        db = inspect_schema(c)
        assert db == canonicalize(audited, c)
        assert not plan(db, canonicalize(audited, c))
        c.execute("INSERT INTO \"User\" (id) VALUES ('p1')")
        assert c.execute("SELECT count(*) FROM pgwarden_audit").fetchone() == (1,)
        _apply(c, render_statements(down))
        assert inspect_schema(c) == canonicalize(plain, c)
        gone = c.execute("SELECT to_regclass('pgwarden_audit'), to_regproc('pgwarden_audit_row')")
        assert gone.fetchone() == (None, None)


SMALL = """
[tables.Token]
audit = true
[tables.Token.columns]
id    = {{ type = "integer", primary_key = true }}
owner = {{ type = "text" }}
value = {{ type = "text"{secret} }}
"""


def test_marking_a_column_secret_recreates_the_trigger(database_url: str) -> None:
    before = load_schema_text(SMALL.format(secret=""))
    after = load_schema_text(SMALL.format(secret=', secret = "hashed"'))
    step = plan(before, after)
    assert [type(op) for op in step] == [DropAuditTrigger, CreateAuditTrigger]
    create = step[1]
    assert isinstance(create, CreateAuditTrigger)
    assert create.args == ("key:id", "redact:value")
    with psycopg.connect(database_url, autocommit=True) as c:
        _apply(c, render_schema(before))
        _apply(c, render_statements(step))
        c.execute("INSERT INTO \"Token\" VALUES (1, 'o', 'hunter2')")
        row = c.execute("SELECT after::text FROM pgwarden_audit").fetchone()
        assert row is not None and "hunter2" not in row[0] and '"owner": "o"' in row[0]


def test_renamed_table_keeps_auditing_under_its_new_name(database_url: str) -> None:
    before = load_schema_text(SMALL.format(secret=""))
    text = SMALL.format(secret="").replace("[tables.Token]", '[tables.Key]\nrenamed_from = "Token"')
    after = load_schema_text(text.replace("tables.Token.", "tables.Key."))
    step = plan(before, after)
    with psycopg.connect(database_url, autocommit=True) as c:
        _apply(c, render_schema(before))
        _apply(c, render_statements(step))
        db = inspect_schema(c)
        assert db == canonicalize(after, c)
        c.execute("INSERT INTO \"Key\" VALUES (1, 'o', 'v')")
        assert c.execute("SELECT table_name FROM pgwarden_audit").fetchone() == ("Key",)


def test_no_audited_table_no_log() -> None:
    plain = _audited(load_schema(BASEFLY), ())
    assert audit.LOG_TABLE not in render_schema(plain)
    assert "pgwarden_audit" in render_schema(_audited(plain, ("Session",)))


def test_user_table_named_like_the_log_is_not_hidden(database_url: str) -> None:
    spec = load_schema_text(
        "[tables.pgwarden_audit.columns]\nid = { type = 'integer', primary_key = true }\n"
    )
    with psycopg.connect(database_url, autocommit=True) as c:
        _apply(c, render_schema(spec))
        assert inspect_schema(c) == canonicalize(spec, c)


def test_spec_problems_name_the_table_and_the_fix() -> None:
    no_key = "[tables.T]\naudit = true\n[tables.T.columns]\nid = { type = 'integer' }\n"
    with pytest.raises(SpecError) as err:
        load_schema_text(no_key, "s.toml")
    (problem,) = err.value.problems
    assert (problem.file, problem.path, problem.line) == ("s.toml", "tables.T.audit", 2)
    assert "no primary key" in problem.message and problem.hint
    clash = SMALL.format(secret="") + (
        "[tables.pgwarden_audit.columns]\nid = { type = 'integer', primary_key = true }\n"
    )
    with pytest.raises(SpecError, match="taken by pgwarden's audit log"):
        load_schema_text(clash, "s.toml")


def test_a_table_wide_plaintext_secret_acknowledgement_redacts_what_the_rule_flags() -> None:
    spec = load_schema_text(
        """
[tables.Login]
audit = true
ignore = [{ rule = "plaintext-secret", reason = "legacy" }]
[tables.Login.columns]
id           = { type = "integer", primary_key = true }
api_key      = { type = "text" }
passwordHash = { type = "text", secret = "hashed" }
label        = { type = "text" }
"""
    )
    login = _table(spec, "Login")
    assert audit.redacted_columns(login) == ("api_key", "passwordHash")
    assert audit.trigger_args(login) == ("key:id", "redact:api_key", "redact:passwordHash")
