"""Every migration rule: unsafe SQL that triggers it, and the safe form that does not."""

from __future__ import annotations

import psycopg
import pytest

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import finish, lint_sql
from pgwarden.checks.registry import Finding, all_rules

# rule id -> (unsafe SQL, safe SQL). Tables not created in the snippet already exist.
CASES: dict[str, tuple[str, str]] = {
    "create-index-non-concurrently": (
        "CREATE INDEX orders_user_idx ON orders (user_id);",
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
    ),
    "drop-index-non-concurrently": (
        "DROP INDEX orders_user_idx;",
        "DROP INDEX CONCURRENTLY orders_user_idx;",
    ),
    "concurrently-in-transaction": (
        "BEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (user_id);\nCOMMIT;",
        "-- pgwarden:step atomic=false\nCREATE INDEX CONCURRENTLY i ON orders (user_id);",
    ),
    "constraint-without-not-valid": (
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id);",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
    ),
    "unique-constraint-under-lock": (
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    ),
    "set-not-null": (
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    ),
    "add-column-not-null-without-default": (
        "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
        "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'FREE';",
    ),
    "volatile-default": (
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();",
    ),
    "column-type-change": (
        "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
        "CREATE TABLE t (id int);\nALTER TABLE t ALTER COLUMN id TYPE bigint;",
    ),
    "drop-column": (
        "ALTER TABLE users DROP COLUMN legacy;",
        "CREATE TABLE t (a int, legacy int);\nALTER TABLE t DROP COLUMN legacy;",
    ),
    "drop-table": (
        "DROP TABLE users;",
        "CREATE TABLE scratch (a int);\nDROP TABLE scratch;",
    ),
    "drop-schema": ("DROP SCHEMA legacy CASCADE;", "CREATE SCHEMA app;"),
    "drop-database": ("DROP DATABASE app;", "CREATE SCHEMA app;"),
    "rename-column": (
        "ALTER TABLE users RENAME COLUMN email TO mail;",
        "CREATE TABLE t (email text);\nALTER TABLE t RENAME COLUMN email TO mail;",
    ),
    "rename-table": (
        "ALTER TABLE users RENAME TO accounts;",
        "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO t2;",
    ),
    "enum-value-removed": (
        "CREATE TYPE plan AS ENUM ('FREE', 'PRO', 'BUSINESS');\n"
        "ALTER TYPE plan RENAME TO plan_old;\n"
        "CREATE TYPE plan AS ENUM ('FREE', 'BUSINESS');",
        "CREATE TYPE plan AS ENUM ('FREE', 'PRO');\nALTER TYPE plan ADD VALUE 'BUSINESS';",
    ),
    "unbatched-backfill": (
        'UPDATE k SET "deletedAt" = CASE WHEN "delete" THEN now() END;',
        'UPDATE k SET "deletedAt" = now() WHERE "delete" AND id BETWEEN 1 AND 10000;',
    ),
    "reindex-non-concurrently": (
        "REINDEX TABLE orders;",
        "REINDEX TABLE CONCURRENTLY orders;",
    ),
    "lock-table": (
        "LOCK TABLE orders IN SHARE MODE;",
        "LOCK TABLE orders IN ROW EXCLUSIVE MODE;",
    ),
    "vacuum-full-or-cluster": ("VACUUM FULL users;", "VACUUM (ANALYZE) users;"),
    "missing-lock-timeout": (
        "ALTER TABLE users ADD COLUMN bio text;",
        "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN bio text;",
    ),
    "unparsable-statement": ("SELEC 1;", "SELECT 1;"),
    "unchecked-dynamic-sql": (
        "DO $$ DECLARE t text := 'orders';\nBEGIN EXECUTE format('ALTER TABLE %I ADD c int', t); "
        "END $$;",
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD c int', 'orders'); END $$;",
    ),
    "not-valid-validated-in-transaction": (
        "BEGIN;\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;\nCOMMIT;",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
    ),
}

ALL = LintConfig(select=("ALL",))


def findings(sql: str, rule_id: str) -> list[Finding]:
    return [f for f in lint_sql([("m.sql", sql)], ALL).findings if f.rule == rule_id]


def test_every_migration_rule_has_cases() -> None:
    assert {i for i, r in all_rules().items() if r.family == "migration"} == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_err(rule_id: str) -> None:
    found = findings(CASES[rule_id][0], rule_id)
    assert found, f"{rule_id} did not fire"
    assert all(f.location.file == "m.sql" and f.location.line and f.fix for f in found)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_ok(rule_id: str) -> None:
    assert findings(CASES[rule_id][1], rule_id) == []


def test_add_column_primary_key_builds_an_index_under_lock() -> None:
    sql = "ALTER TABLE t ADD COLUMN nid serial PRIMARY KEY;"
    assert len(findings(sql, "unique-constraint-under-lock")) == 1
    assert len(findings(sql, "volatile-default")) == 1


def test_drop_index_on_a_new_table_is_exempt() -> None:
    sql = (
        "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nDROP INDEX t_a;\n"
        "DROP INDEX t_a, unknown_idx;\n"
    )
    assert [f.location.line for f in findings(sql, "drop-index-non-concurrently")] == [4]


def test_drop_after_backfill_is_a_warning_not_data_loss() -> None:
    sql = (
        'ALTER TABLE k ADD COLUMN "deletedAt" timestamptz;\n'
        'UPDATE k SET "deletedAt" = CASE WHEN "delete" THEN now() END;\n'
        'ALTER TABLE k DROP COLUMN "delete";\n'
        "ALTER TABLE k DROP COLUMN other;\n"
    )
    found = {(f.location.line, f.severity) for f in findings(sql, "drop-column")}
    assert found == {(3, "warning"), (4, "error")}


def test_enum_reorder_is_reported() -> None:
    sql = (
        "CREATE TYPE plan AS ENUM ('FREE', 'PRO');\nDROP TYPE plan;\n"
        "CREATE TYPE plan AS ENUM ('PRO', 'FREE');"
    )
    (f,) = findings(sql, "enum-value-removed")
    assert "reorders" in f.message


def test_table_created_in_the_same_file_is_exempt_until_written() -> None:
    sql = (
        "CREATE TABLE t (id bigint, email text);\n"
        "CREATE INDEX t_email_idx ON t (email);\n"
        "INSERT INTO t VALUES (1, 'a');\n"
        "CREATE INDEX t_id_idx ON t (id);\n"
    )
    found = findings(sql, "create-index-non-concurrently")
    assert [f.location.line for f in found] == [4]


def test_history_replay_makes_a_table_existing() -> None:
    history = [("0001.sql", "CREATE TABLE t (id bigint);")]
    out = lint_sql([("0002.sql", "CREATE INDEX i ON t (id);")], ALL, history=history)
    assert [f.rule for f in out.findings if f.rule != "missing-lock-timeout"] == [
        "create-index-non-concurrently"
    ]
    # The same statement in the file that created the table is fine.
    same = lint_sql([("0001.sql", "CREATE TABLE t (id bigint);\nCREATE INDEX i ON t (id);")], ALL)
    assert same.findings == []


def test_unparsable_statement_does_not_hide_the_rest() -> None:
    sql = "SELECT 1;\nALTER TABEL users ADD x int;\nALTER TABLE users DROP COLUMN y;\n"
    out = lint_sql([("m.sql", sql)], ALL)
    got = {(f.rule, f.location.line) for f in out.findings}
    assert ("unparsable-statement", 2) in got
    assert ("drop-column", 3) in got


def test_volatile_user_function_from_replay() -> None:
    sql = (
        "CREATE FUNCTION new_code() RETURNS text LANGUAGE sql AS $$ SELECT random()::text $$;\n"
        "ALTER TABLE users ADD COLUMN code text DEFAULT new_code();\n"
        "CREATE FUNCTION fixed() RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT 'x' $$;\n"
        "ALTER TABLE users ADD COLUMN code2 text DEFAULT fixed();\n"
    )
    assert [f.location.line for f in findings(sql, "volatile-default")] == [2]


def test_lock_timeout_reported_once_per_file_and_set_config_counts() -> None:
    sql = "ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN y int;\n"
    assert len(findings(sql, "missing-lock-timeout")) == 1
    ok = "SELECT set_config('lock_timeout', '5s', false);\nALTER TABLE a ADD COLUMN x int;"
    assert findings(ok, "missing-lock-timeout") == []


def test_sql_suppression_needs_reason_and_unused_is_reported() -> None:
    sql = (
        "SET lock_timeout = '5s';\n"
        "-- pgwarden: ignore[drop-column] replaced by deletedAt, backfilled in 0003\n"
        'ALTER TABLE k DROP COLUMN "delete";\n'
        "ALTER TABLE k DROP COLUMN old; -- pgwarden: ignore[drop-column]\n"
        "-- pgwarden: ignore[rename-table] nothing here renames\n"
        "SELECT 1;\n"
    )
    result = finish(lint_sql([("m.sql", sql)], ALL), ALL)
    got = sorted((f.rule, f.location.line) for f in result.findings)
    assert got == [
        ("drop-column", 4),
        ("invalid-suppression", 4),
        ("unused-suppression", 5),
    ]
    assert result.suppressed == 1


def test_add_column_references_is_validated_at_once() -> None:
    # a new column's foreign key scans the table under lock like ADD CONSTRAINT does
    for sql in (
        "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);",
        "ALTER TABLE orders ADD COLUMN user_id bigint CONSTRAINT fk REFERENCES users (id)"
        " ON DELETE SET NULL;",
        "ALTER TABLE orders ADD COLUMN x int, ADD COLUMN user_id bigint REFERENCES users;",
    ):
        assert len(findings(sql, "constraint-without-not-valid")) == 1, sql
    # NOT VALID on the column's key is not SQL; a new table is exempt
    assert not findings(
        "CREATE TABLE orders (id int);\n"
        "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);",
        "constraint-without-not-valid",
    )


def test_the_add_column_references_fix_splits_it_and_runs(database_url: str) -> None:
    sql = (
        "ALTER TABLE orders ADD COLUMN user_id bigint NOT NULL DEFAULT 1"
        " REFERENCES users (id) ON DELETE CASCADE;"
    )
    (finding,) = findings(sql, "constraint-without-not-valid")
    steps = [line for line in finding.fix.splitlines() if line.startswith("ALTER TABLE")]
    assert steps == [
        "ALTER TABLE orders ADD COLUMN user_id bigint NOT NULL DEFAULT 1;",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) "
        "REFERENCES users (id) ON DELETE CASCADE NOT VALID;",
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;",
    ]
    assert not findings("\n".join(steps[:2]), "constraint-without-not-valid")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users VALUES (1)")
        conn.execute("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2)")
        for step in steps:
            conn.execute(step)
        row = conn.execute(
            "SELECT convalidated, confdeltype FROM pg_constraint"
            " WHERE conname = 'orders_user_id_fkey'"
        ).fetchone()
    assert row == (True, "c")


# Mutants of checks/migration_rules.py that survived the sampled mutmut run
# (docs/status.md): each test below fails on one of them.


@pytest.mark.parametrize(
    "statement",
    [
        "DROP INDEX CONCURRENTLY orders_user_idx;",
        "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;",
        "REINDEX (CONCURRENTLY) INDEX orders_user_idx;",
    ],
)
def test_every_concurrent_form_in_a_transaction_is_found(statement: str) -> None:
    (f,) = findings(f"BEGIN;\n{statement}\nCOMMIT;", "concurrently-in-transaction")
    assert f.location.line == 2
    assert (
        findings(f"-- pgwarden:step atomic=false\n{statement}", "concurrently-in-transaction") == []
    )


def test_an_unnamed_key_is_fixed_under_the_name_postgres_gives_it() -> None:
    (unique,) = findings(
        "ALTER TABLE users ADD UNIQUE (email, org);", "unique-constraint-under-lock"
    )
    assert "CREATE UNIQUE INDEX CONCURRENTLY users_email_org_key ON" in (unique.fix or "")
    assert "ADD CONSTRAINT users_email_org_key UNIQUE USING INDEX" in (unique.fix or "")
    (pk,) = findings("ALTER TABLE users ADD PRIMARY KEY (id);", "unique-constraint-under-lock")
    assert "ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey" in (pk.fix or "")


def test_a_volatile_default_names_the_function() -> None:
    (f,) = findings(
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();", "volatile-default"
    )
    assert "its default calls volatile gen_random_uuid()" in f.message


@pytest.mark.parametrize(
    ("sql", "locked"),
    [
        ("VACUUM FULL users;", "users"),
        ("VACUUM FULL;", "(all tables)"),
        ("REINDEX TABLE users;", "users"),
        ("CREATE TABLE fresh (a int);\nDROP TABLE fresh, users;", "users"),
    ],
)
def test_the_lock_timeout_finding_names_the_locked_table(sql: str, locked: str) -> None:
    (f,) = findings(sql, "missing-lock-timeout")
    assert f"this statement locks {locked} with no lock_timeout" in f.message


def test_a_batched_step_is_not_an_unbatched_backfill() -> None:
    # the runner runs a batched=true step's UPDATE in keyset batches (one transaction
    # each): the same UPDATE in a plain step is still reported
    body = "\nSET lock_timeout = '5s';\nUPDATE k SET \"deletedAt\" = now();\n"
    batched = '-- pgwarden:step atomic=false batched=true description="backfill k"' + body
    plain = '-- pgwarden:step atomic=false description="batched=true"' + body
    assert findings(batched, "unbatched-backfill") == []
    assert len(findings(plain, "unbatched-backfill")) == 1


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE orders ADD CHECK (qty > 0);",
        "ALTER TABLE orders ADD CHECK (orders.qty > 0 AND qty < 100);",
        "ALTER TABLE orders ADD CHECK (qty > 0 AND price > 0);",
        "ALTER TABLE orders ADD FOREIGN KEY (qty, price) REFERENCES users (x, y);",
        "ALTER TABLE orders ADD COLUMN uid bigint REFERENCES users (id);",
    ],
)
def test_an_unnamed_constraint_is_fixed_under_the_name_postgres_gives_it(
    database_url: str, statement: str
) -> None:
    """The lint fix names an unnamed FK or CHECK as Postgres would: read back from
    the server that ran the statement."""
    (found,) = findings(statement, "constraint-without-not-valid")
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "CREATE TABLE users (id bigint PRIMARY KEY, x int, y int, UNIQUE (x, y));"
            "CREATE TABLE orders (qty int, price int)"
        )
        conn.execute(statement)  # type: ignore[arg-type]
        (name,) = conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass"
        ).fetchone() or ("",)
        conn.rollback()
    assert f"VALIDATE CONSTRAINT {name};" in (found.fix or ""), (name, found.fix)


def test_a_sub_command_finding_is_located_in_its_file() -> None:
    """``cmd_loc``: a finding on an ALTER TABLE's second sub-command names the file it
    is in, and the line and column where that sub-command starts."""
    sql = "SELECT 1;\nALTER TABLE orders ADD COLUMN x int,\n  ADD CONSTRAINT c CHECK (x > 0);\n"
    out = lint_sql([("db/migrations/0002/up.sql", sql)], ALL).findings
    (found,) = [f for f in out if f.rule == "constraint-without-not-valid"]
    loc = found.location
    assert (loc.file, loc.line, loc.col) == ("db/migrations/0002/up.sql", 3, 3)
    one = lint_sql([("a.sql", "ALTER TABLE orders ADD COLUMN x int, ADD CHECK (x > 0);")], ALL)
    (found,) = [f for f in one.findings if f.rule == "constraint-without-not-valid"]
    assert (found.location.file, found.location.line, found.location.col) == ("a.sql", 1, 38)
