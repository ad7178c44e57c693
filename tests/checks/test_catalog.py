"""Catalog-aware decisions: casts, schema-qualified names, CREATE TABLE AS, writes, proofs."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from pgwarden.checks.casts import rewrite_reason
from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import lint_sql

ALL = LintConfig(select=("ALL",))


def found(text: str, rule_id: str, history: str = "") -> list[int | None]:
    out = lint_sql([("m.sql", text)], ALL, history=[("h.sql", history)] if history else [])
    return [f.location.line for f in out.findings if f.rule == rule_id]


# old type, new type, TimeZone is UTC, does Postgres rewrite the table?
CASTS = [
    ("varchar(10)", "varchar(20)", False, False),
    ("varchar(10)", "varchar", False, False),
    ("varchar(10)", "text", False, False),
    ("text", "varchar", False, False),
    ("varchar(20)", "varchar(10)", False, True),
    ("text", "varchar(10)", False, True),
    ("numeric(10,2)", "numeric(12,2)", False, False),
    ("numeric(10,2)", "numeric", False, False),
    ("numeric(10,2)", "numeric(12,3)", False, True),
    ("numeric(10,2)", "numeric(9,2)", False, True),
    ("timestamp(3)", "timestamp(6)", False, False),
    ("timestamp(6)", "timestamp(3)", False, True),
    ("timestamp", "timestamptz", True, False),
    ("timestamp", "timestamptz", False, True),
    ("timestamptz", "timestamp", True, False),
    ("timestamp(3)", "timestamptz(3)", True, True),  # the cast is free, the rounding is not
    ("timestamp(3)", "timestamptz", True, False),
    ("timestamptz(3)", "timestamp(6)", True, False),
    ("cidr", "inet", False, False),
    ("integer", "bigint", False, True),
    ("char(5)", "char(10)", False, True),
    ("text[]", "varchar[]", False, True),
]


def test_cast_decisions_on_the_linter() -> None:
    for old, new, utc, rewrites in CASTS:
        history = f"CREATE TABLE t (c {old});"
        text = (
            "SET timezone = 'UTC';\n" if utc else ""
        ) + f"ALTER TABLE t ALTER COLUMN c TYPE {new};"
        got = bool(found(text, "column-type-change", history))
        assert got == rewrites, (old, new, utc)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as c:
        yield c


def test_cast_decisions_match_the_server(conn: psycopg.Connection) -> None:
    """Each decision above, checked on Postgres: relfilenode changes iff it rewrites."""
    from pgwarden.checks.replay import type_name
    from pgwarden.checks.sqlfile import split_statements

    for n, (old, new, utc, rewrites) in enumerate(CASTS):
        table = f"cast_{n}"
        conn.execute(
            sql.SQL("SET timezone = {}").format(sql.Literal("UTC" if utc else "Europe/Rome"))
        )
        conn.execute(sql.SQL("CREATE TABLE {} (c {})").format(sql.Identifier(table), sql.SQL(old)))  # type: ignore[arg-type]
        conn.execute(sql.SQL("INSERT INTO {} VALUES (NULL)").format(sql.Identifier(table)))
        before = conn.execute(
            "SELECT relfilenode FROM pg_class WHERE relname = %s", (table,)
        ).fetchone()
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN c TYPE {}").format(
                sql.Identifier(table), sql.SQL(new)
            )  # type: ignore[arg-type]
        )
        after = conn.execute(
            "SELECT relfilenode FROM pg_class WHERE relname = %s", (table,)
        ).fetchone()
        assert (before != after) == rewrites, (old, new, utc)
        # and the pure decision agrees, from the parsed types
        (a,) = split_statements(f"CREATE TABLE x (c {old})", "x")
        (b,) = split_statements(f"ALTER TABLE x ALTER COLUMN c TYPE {new}", "x")
        assert a.tree is not None and b.tree is not None
        old_t = type_name(a.tree["tableElts"][0]["ColumnDef"]["typeName"])
        new_t = type_name(b.tree["cmds"][0]["AlterTableCmd"]["def"]["ColumnDef"]["typeName"])
        assert (rewrite_reason(old_t, new_t, using=False, utc=utc) is not None) == rewrites


def test_using_always_rewrites_and_unknown_types_are_reported() -> None:
    history = "CREATE TABLE t (c varchar(10));"
    assert found(
        "ALTER TABLE t ALTER COLUMN c TYPE text USING c || '';", "column-type-change", history
    )
    (line,) = found("ALTER TABLE elsewhere ALTER COLUMN c TYPE text;", "column-type-change")
    assert line == 1


def test_names_are_schema_qualified() -> None:
    text = (
        "CREATE TABLE staging.users (id int);\n"
        "CREATE INDEX a ON public.users (id);\n"  # not the new table
        "CREATE INDEX b ON staging.users (id);\n"
        "CREATE INDEX c ON users (id);\n"  # search_path: public
        "SET search_path = staging, public;\n"
        "CREATE INDEX d ON users (id);\n"  # now staging.users
    )
    assert found(text, "create-index-non-concurrently") == [2, 4]


def test_create_table_as_and_select_into_are_new_tables() -> None:
    text = (
        "CREATE TABLE archive AS SELECT * FROM orders;\n"
        "CREATE INDEX archive_id ON archive (id);\n"
        "SELECT * INTO archive2 FROM orders;\n"
        "ALTER TABLE archive2 ADD PRIMARY KEY (id);\n"
    )
    assert found(text, "create-index-non-concurrently") == []
    assert found(text, "unique-constraint-under-lock") == []


def test_insert_select_and_data_modifying_cte_end_the_exemption_alike() -> None:
    for write in (
        "INSERT INTO t SELECT id FROM orders;",
        "WITH moved AS (INSERT INTO t SELECT id FROM orders RETURNING id) "
        "SELECT count(*) FROM moved;",
        "COPY t FROM STDIN;",
    ):
        text = (
            f"CREATE TABLE t (id int);\nCREATE INDEX a ON t (id);\n{write}\n"
            "CREATE INDEX b ON t (id);\n"
        )
        assert found(text, "create-index-non-concurrently") == [4], write


def test_validated_not_null_check_from_an_earlier_file() -> None:
    history = (
        "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
    )
    assert (
        found("ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "set-not-null", history) == []
    )
    # not validated yet, or the check dropped since: a scan again
    unvalidated = history.splitlines()[0]
    assert found(
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "set-not-null", unvalidated
    ) == [1]
    dropped = (
        "ALTER TABLE users DROP CONSTRAINT email_nn;\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    )
    assert found(dropped, "set-not-null", history) == [2]
