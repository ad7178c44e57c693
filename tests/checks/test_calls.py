"""Functions and procedures called at migration time: their bodies are checked where
they run, the findings located at the call site, naming the function and the line
in its body; dynamic SQL that cannot be resolved is one informational finding."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import finish, lint_sql
from pgwarden.checks.plpgsql import resolve_string
from pgwarden.checks.registry import Finding

ALL = LintConfig(select=("ALL",))
LOCK = "SET lock_timeout = '5s';\n"

ADD_INDEX = (
    "CREATE FUNCTION add_index() RETURNS void LANGUAGE plpgsql AS $$\n"  # body line 1
    "BEGIN\n"
    "  CREATE INDEX orders_user_idx ON orders (user_id);\n"  # body line 3, file line 3
    "END\n"
    "$$;\n"
)


def lint(*files: tuple[str, str], history: tuple[tuple[str, str], ...] = ()) -> list[Finding]:
    return lint_sql(list(files), ALL, history=history).findings


def rules(found: list[Finding]) -> list[tuple[str, int | None, int | None]]:
    return sorted((f.rule, f.location.line, f.location.col) for f in found)


def test_select_of_a_function_checks_its_body_at_the_call_site() -> None:
    found = lint(("m.sql", ADD_INDEX + LOCK + "SELECT add_index();\n"))
    assert rules(found) == [("create-index-non-concurrently", 7, 8)]
    (f,) = found
    assert f.message.startswith("add_index() line 3 (m.sql:3), called here: CREATE INDEX on")
    assert "existing table orders" in f.message
    assert f.fix is not None and f.fix.startswith("in add_index() (m.sql:3): build it with")
    assert "CREATE INDEX CONCURRENTLY orders_user_idx ON orders" in f.fix


def test_a_function_defined_but_not_called_is_not_checked() -> None:
    assert lint(("m.sql", ADD_INDEX + LOCK + "SELECT 1;\n")) == []


def test_the_body_runs_against_the_catalog_at_the_call() -> None:
    # the table is created earlier in the file than the call: indexing it locks nothing
    new_table = "CREATE TABLE orders (id bigint, user_id bigint);\n"
    assert lint(("m.sql", ADD_INDEX + LOCK + new_table + "SELECT add_index();\n")) == []
    # ... but after rows are written, it is a hazard again
    filled = new_table + "INSERT INTO orders VALUES (1, 1);\n"
    found = lint(("m.sql", ADD_INDEX + LOCK + filled + "SELECT add_index();\n"))
    assert [f.rule for f in found] == ["create-index-non-concurrently"]


def test_a_function_from_an_earlier_file_of_the_history() -> None:
    history = (("0001_fn.sql", ADD_INDEX),)
    found = lint(("0002_call.sql", LOCK + "SELECT add_index();\n"), history=history)
    assert rules(found) == [("create-index-non-concurrently", 2, 8)]
    assert "(0001_fn.sql:3)" in found[0].message


def test_what_a_function_creates_is_new_for_the_rest_of_the_file() -> None:
    make = (
        "CREATE FUNCTION make() RETURNS void LANGUAGE plpgsql AS $$ BEGIN\n"
        "  CREATE TABLE audit_log (id bigint, at timestamptz);\n"
        "END $$;\n"
    )
    sql = make + LOCK + "SELECT make();\nCREATE INDEX audit_at ON audit_log (at);\n"
    assert lint(("m.sql", sql)) == []


def test_perform_in_a_do_block_and_call_of_a_procedure() -> None:
    proc = (
        "CREATE PROCEDURE tighten() LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
        "END $$;\n"
    )
    sql = (
        ADD_INDEX  # lines 1-5
        + proc  # 6-9
        + LOCK  # 10
        + "DO $$\nBEGIN\n  PERFORM add_index();\nEND $$;\n"  # PERFORM at line 13
        + "CALL tighten();\n"  # line 15
    )
    found = lint(("m.sql", sql))
    assert rules(found) == [("create-index-non-concurrently", 13, 11), ("set-not-null", 15, 6)]
    assert found[1].message.startswith("tighten() line 3 (m.sql:8), called here: SET NOT NULL")


def test_calls_in_expressions_and_data_statements() -> None:
    fn = (
        "CREATE FUNCTION stamp(x bigint) RETURNS bigint LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  ALTER TABLE users ADD COLUMN stamped int NOT NULL;\n"
        "  RETURN x;\n"
        "END $$;\n"
    )
    for call in (
        "INSERT INTO log (v) SELECT stamp(1);",
        "UPDATE log SET v = stamp(v) WHERE id = 1;",
        "DO $$ DECLARE n bigint; BEGIN n := stamp(2); END $$;",
        "DO $$ BEGIN IF stamp(3) > 0 THEN RAISE NOTICE 'ok'; END IF; END $$;",
    ):
        found = lint(("m.sql", fn + LOCK + call + "\n"))
        assert [f.rule for f in found] == ["add-column-not-null-without-default"], call
        assert found[0].location.line == 7, call


def test_sql_language_body_names_its_own_line() -> None:
    fn = (
        "CREATE FUNCTION widen() RETURNS void LANGUAGE sql AS $$\n"
        "  SELECT 1;\n"
        "  ALTER TABLE users ALTER COLUMN id TYPE bigint;\n"
        "$$;\n"
    )
    found = lint(("m.sql", fn + LOCK + "SELECT widen();\n"))
    assert [f.rule for f in found] == ["column-type-change"]
    assert found[0].message.startswith("widen() line 3 (m.sql:3), called here:")


def test_nested_calls_name_the_chain() -> None:
    sql = (
        "CREATE FUNCTION inner_fn() RETURNS void LANGUAGE plpgsql AS $$ BEGIN\n"
        "  DROP INDEX orders_total_idx;\n"
        "END $$;\n"
        "CREATE FUNCTION outer_fn() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  PERFORM inner_fn();\n"
        "END $$;\n" + LOCK + "SELECT outer_fn();\n"
    )
    (f,) = lint(("m.sql", sql))
    assert (f.rule, f.location.line) == ("drop-index-non-concurrently", 9)
    assert f.message.startswith("outer_fn() line 3 -> inner_fn() line 2 (m.sql:2), called here:")


def test_recursion_and_deep_nesting_are_bounded() -> None:
    recursive = (
        "CREATE FUNCTION again(n int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN\n"
        "  IF n > 0 THEN PERFORM again(n - 1); END IF;\n"
        "  CREATE INDEX i ON orders (user_id);\n"
        "END $$;\n"
    )
    found = lint(("m.sql", recursive + LOCK + "SELECT again(3);\n"))
    assert [f.rule for f in found] == ["create-index-non-concurrently"]
    # f0 -> f1 -> ... -> f11: only the first MAX_DEPTH levels are entered
    chain = "".join(
        f"CREATE FUNCTION f{i}() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
        + (f"PERFORM f{i + 1}(); " if i < 11 else "")
        + f"CREATE INDEX i{i} ON orders (c{i}); END $$;\n"
        for i in range(12)
    )
    found = lint(("m.sql", chain + LOCK + "SELECT f0();\n"))
    assert sorted(f.message.count("->") for f in found) == list(range(8))


def test_dynamic_sql_is_one_informational_finding() -> None:
    fn = (
        "CREATE FUNCTION add_col(tbl text) RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  EXECUTE format('ALTER TABLE %I ADD COLUMN c int NOT NULL', tbl);\n"
        "END $$;\n"
    )
    found = lint(("m.sql", fn + LOCK + "SELECT add_col('orders');\n"))
    assert [(f.rule, f.severity, f.location.line) for f in found] == [
        ("unchecked-dynamic-sql", "info", 6)
    ]
    assert "add_col() line 3" in found[0].message and "format(" in found[0].message


def test_a_body_in_another_language_is_one_informational_finding() -> None:
    fn = (
        "CREATE FUNCTION py() RETURNS void LANGUAGE plpython3u AS $$\n"
        "plpy.execute('CREATE INDEX i ON orders (a)')\n"
        "$$;\n"
    )
    found = lint(("m.sql", fn + LOCK + "SELECT py();\n"))
    assert [(f.rule, f.severity, f.location.line) for f in found] == [
        ("unchecked-dynamic-sql", "info", 5)
    ]
    assert "py() (m.sql:1) is written in plpython3u" in found[0].message


def test_dynamic_sql_of_constants_is_resolved_and_checked() -> None:
    fn = (
        "CREATE FUNCTION add_col() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  EXECUTE format('ALTER TABLE %I ADD COLUMN %s int NOT NULL', 'orders', 'c');\n"
        "END $$;\n"
    )
    found = lint(("m.sql", fn + LOCK + "SELECT add_col();\n"))
    assert [f.rule for f in found] == ["add-column-not-null-without-default"]


def test_dynamic_sql_in_a_do_block() -> None:
    sql = (
        LOCK + "DO $$\nDECLARE t text := 'orders';\nBEGIN\n"
        "  EXECUTE 'CREATE INDEX ON ' || t || ' (user_id)';\n"
        "  EXECUTE 'CREATE INDEX ON ' || 'orders' || ' (total)';\n"
        "END $$;\n"
    )
    assert rules(lint(("m.sql", sql))) == [
        ("create-index-non-concurrently", 6, 11),  # resolved: 'CREATE INDEX ON orders ...'
        ("unchecked-dynamic-sql", 5, 11),
    ]


def test_resolve_string_follows_postgres_format() -> None:
    assert resolve_string("format('%I.%I', 'app', 'My T')") == '"app"."My T"'
    assert resolve_string("format('%L, %s, %%, %2$s', 'it''s', 'x')") == "'it''s', x, %, x"
    assert resolve_string("'a' || 'b'::text || quote_ident('c')") == 'ab"c"'
    assert resolve_string("format('%s', t)") is None
    assert resolve_string("format('%s %s', 'only one')") is None


def test_concurrently_inside_a_function_is_an_error_with_its_way_out() -> None:
    fn = (
        "CREATE PROCEDURE build() LANGUAGE plpgsql AS $$ BEGIN\n"
        "  CREATE INDEX CONCURRENTLY i ON orders (user_id);\n"
        "END $$;\n"
    )
    (f,) = lint(("m.sql", fn + LOCK + "CALL build();\n"))
    assert f.rule == "concurrently-in-transaction"
    assert "function or procedure body" in f.message
    assert f.fix is not None and "move the statement out of build() (m.sql:2)" in f.fix


def test_replaced_and_dropped_functions() -> None:
    safe = (
        "CREATE OR REPLACE FUNCTION add_index() RETURNS void LANGUAGE plpgsql AS $$ BEGIN\n"
        "  CREATE INDEX CONCURRENTLY IF NOT EXISTS x ON orders (a);\n"
        "END $$;\n"
    )
    # the replaced body is what runs (here a CONCURRENTLY, which fails in a function)
    found = lint(("m.sql", ADD_INDEX + safe + LOCK + "SELECT add_index();\n"))
    assert [f.rule for f in found] == ["concurrently-in-transaction"]
    dropped = ADD_INDEX + "DROP FUNCTION add_index();\n" + LOCK + "SELECT add_index();\n"
    assert lint(("m.sql", dropped)) == []


def test_a_renamed_function_runs_under_its_new_name() -> None:
    renamed = ADD_INDEX + "ALTER FUNCTION add_index() RENAME TO build_index;\n" + LOCK
    assert lint(("m.sql", renamed + "SELECT add_index();\n")) == []
    (f,) = lint(("m.sql", renamed + "SELECT build_index();\n"))
    assert f.message.startswith("build_index() line 3 (m.sql:3), called here:")


def test_schema_qualified_and_search_path() -> None:
    fn = ADD_INDEX.replace("FUNCTION add_index", "FUNCTION app.add_index")
    assert lint(("m.sql", fn + LOCK + "SELECT add_index();\n")) == []  # public.add_index
    found = lint(("m.sql", fn + LOCK + "SELECT app.add_index();\n"))
    assert found and found[0].message.startswith("app.add_index() line 3")
    on_path = fn + LOCK + "SET search_path = app, public;\nSELECT add_index();\n"
    assert [f.rule for f in lint(("m.sql", on_path))] == ["create-index-non-concurrently"]


def test_trigger_functions_are_not_run_by_a_call() -> None:
    trig = (
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN\n"
        "  CREATE INDEX i ON orders (a); RETURN NEW;\n"
        "END $$;\n"
    )
    assert lint(("m.sql", trig + LOCK + "SELECT 1 FROM orders WHERE touch IS NULL;\n")) == []


def test_a_suppression_at_the_call_site() -> None:
    sql = (
        ADD_INDEX + LOCK + "-- pgwarden: ignore[create-index-non-concurrently] orders is tiny\n"
        "SELECT add_index();\n"
    )
    result = finish(lint_sql([("m.sql", sql)], ALL), ALL)
    assert result.findings == [] and result.suppressed == 1


def test_missing_lock_timeout_is_decided_at_the_call() -> None:
    fn = ADD_INDEX.replace("CREATE INDEX orders_user_idx", "CREATE INDEX CONCURRENTLY o")
    found = lint(("m.sql", fn + "SELECT add_index();\n"))
    assert "missing-lock-timeout" in [f.rule for f in found]


# --------------------------------------------------------------------------- real server


@pytest.fixture
def orders(database_url: str) -> Iterator[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);"
            "INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g;"
        )
        conn.execute(ADD_INDEX)
    yield database_url  # a fresh database of this test


def test_the_call_takes_the_lock_the_finding_names(orders: str) -> None:
    found = lint(("m.sql", ADD_INDEX + LOCK + "SELECT add_index();\n"))
    assert "holds a SHARE lock" in found[0].message
    with psycopg.connect(orders) as ddl, psycopg.connect(orders, autocommit=True) as watcher:
        ddl.execute("SELECT add_index()")  # the transaction stays open with its locks
        modes = {
            mode
            for (mode,) in watcher.execute(
                "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE l.granted AND l.pid <> pg_backend_pid() AND c.relname = 'orders'"
            ).fetchall()
        }
        ddl.rollback()
    assert "ShareLock" in modes


def test_postgres_refuses_concurrently_in_a_function(orders: str) -> None:
    fn = (
        "CREATE PROCEDURE build() LANGUAGE plpgsql AS $$ BEGIN\n"
        "  CREATE INDEX CONCURRENTLY i ON orders (user_id);\n"
        "END $$;\n"
    )
    assert [f.rule for f in lint(("m.sql", fn + LOCK + "CALL build();\n"))] == [
        "concurrently-in-transaction"
    ]
    with psycopg.connect(orders, autocommit=True) as conn:
        conn.execute(fn)
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("CALL build()")
