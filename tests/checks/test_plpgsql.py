"""Statements inside DO blocks are checked like top-level ones, at their own line."""

from __future__ import annotations

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import lint_sql

ALL = LintConfig(select=("ALL",))


def findings(text: str) -> list[tuple[str, int | None, int | None]]:
    out = lint_sql([("m.sql", text)], ALL).findings
    return sorted((f.rule, f.location.line, f.location.col) for f in out)


def test_do_block_statements_are_checked_at_their_line() -> None:
    text = (
        "SET lock_timeout = '5s';\n"
        "DO $$\n"
        "BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'i') THEN\n"
        "    CREATE INDEX i ON orders (user_id);\n"
        "  END IF;\n"
        "  ALTER TABLE orders ADD COLUMN total int NOT NULL;\n"
        "  EXECUTE 'DROP INDEX old_idx';\n"
        "END\n"
        "$$;\n"
    )
    assert findings(text) == [
        ("add-column-not-null-without-default", 7, 22),  # at its ADD COLUMN
        ("create-index-non-concurrently", 5, 5),
        ("drop-index-non-concurrently", 8, 12),  # inside the EXECUTE string
    ]


def test_safe_do_block_and_new_tables_inside_it() -> None:
    text = (
        "SET lock_timeout = '5s';\n"
        "DO $body$ BEGIN\n"
        "  CREATE TABLE t (id int);\n"
        "  CREATE INDEX t_id ON t (id);\n"
        "  RAISE NOTICE 'done';\n"
        "END $body$;\n"
    )
    assert findings(text) == []


def test_concurrently_inside_a_do_block_always_fails() -> None:
    text = "DO $$ BEGIN CREATE INDEX CONCURRENTLY i ON orders (a); END $$;"
    assert ("concurrently-in-transaction", 1, 13) in findings(text)


def test_unparsable_do_body_is_a_finding() -> None:
    text = "DO $$ BEGIN ALTER TABEL orders ADD x int; END $$;"
    assert [r for r, _, _ in findings(text)] == ["unparsable-statement"]


def test_a_do_block_is_one_transaction_for_not_valid_then_validate() -> None:
    add = "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;"
    validate = "ALTER TABLE orders VALIDATE CONSTRAINT fk;"
    one = f"SET lock_timeout = '5s';\nDO $$ BEGIN\n{add}\n{validate}\nEND $$;\n"
    assert findings(one) == [("not-valid-validated-in-transaction", 4, 20)]  # at VALIDATE
    two = (
        f"SET lock_timeout = '5s';\nDO $$ BEGIN\n{add}\nEND $$;\nDO $$ BEGIN\n{validate}\nEND $$;\n"
    )
    assert findings(two) == []
