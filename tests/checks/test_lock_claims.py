"""The locks and rewrites the migration rules claim are what Postgres really does.

Each hazardous statement runs in an open transaction on a real server; another
connection reads ``pg_locks`` for the lock it holds, and ``pg_class.relfilenode``
tells whether the table was rewritten. The same statements go through the linter,
which must report them with the rule whose message names that lock.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgwarden.checks.engine import lint_sql

SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);
CREATE INDEX orders_total_idx ON orders (total);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g;
INSERT INTO orders SELECT g, g, g FROM generate_series(1, 100) g;
"""

# statement, rule, {table: lock mode the rule's message names}
LOCKS = [
    ("CREATE INDEX orders_user_idx ON orders (user_id)", "create-index-non-concurrently",
     {"orders": "ShareLock"}),
    ("DROP INDEX orders_total_idx", "drop-index-non-concurrently",
     {"orders": "AccessExclusiveLock"}),
    ("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)",
     "constraint-without-not-valid",
     {"orders": "ShareRowExclusiveLock", "users": "ShareRowExclusiveLock"}),
    ("ALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total > 0)",
     "constraint-without-not-valid", {"orders": "AccessExclusiveLock"}),
    ("ALTER TABLE users ALTER COLUMN email SET NOT NULL", "set-not-null",
     {"users": "AccessExclusiveLock"}),
    ("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
     "unique-constraint-under-lock", {"users": "AccessExclusiveLock"}),
    ("ALTER TABLE orders ALTER COLUMN total TYPE bigint", "column-type-change",
     {"orders": "AccessExclusiveLock"}),
    ("REINDEX TABLE orders", "reindex-non-concurrently", {"orders": "ShareLock"}),
    ("LOCK TABLE orders IN SHARE MODE", "lock-table", {"orders": "ShareLock"}),
]  # fmt: skip

# statement, rule (None: the linter must stay quiet), does Postgres rewrite the table?
REWRITES = [
    ("ALTER TABLE orders ADD COLUMN t uuid DEFAULT gen_random_uuid()", "volatile-default", True),
    ("ALTER TABLE orders ADD COLUMN n bigserial", "volatile-default", True),
    ("ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now()", None, False),
    ("ALTER TABLE orders ADD COLUMN plan text NOT NULL DEFAULT 'FREE'", None, False),
    ("ALTER TABLE orders ALTER COLUMN total TYPE bigint", "column-type-change", True),
]  # fmt: skip


@pytest.fixture
def db(database_url: str) -> Iterator[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SETUP)
    yield database_url


def _rules(statement: str) -> set[str]:
    return {f.rule for f in lint_sql([("m.sql", statement + ";")]).findings}


@pytest.mark.parametrize(("statement", "rule", "locks"), LOCKS)
def test_the_lock_a_rule_names_is_the_lock_postgres_takes(
    db: str, statement: str, rule: str, locks: dict[str, str]
) -> None:
    assert rule in _rules(statement)
    with psycopg.connect(db) as ddl, psycopg.connect(db, autocommit=True) as watcher:
        ddl.execute(statement)  # the transaction stays open: its locks are held
        held = {
            (rel, mode)
            for rel, mode in watcher.execute(
                "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE l.granted AND l.pid <> pg_backend_pid() AND c.relkind = 'r'"
            ).fetchall()
        }
        ddl.rollback()
    for table, mode in locks.items():
        assert (table, mode) in held, held
    rule_message = next(
        f.message for f in lint_sql([("m.sql", statement + ";")]).findings if f.rule == rule
    )
    spaced = {
        "ShareLock": "SHARE lock",
        "AccessExclusiveLock": "ACCESS EXCLUSIVE",
        "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    }
    assert any(spaced[m] in rule_message for m in locks.values()), rule_message


@pytest.mark.parametrize(("statement", "rule", "rewrites"), REWRITES)
def test_rewrite_claims_match_relfilenode(
    db: str, statement: str, rule: str | None, rewrites: bool
) -> None:
    found = _rules(statement) - {"missing-lock-timeout"}
    assert found == ({rule} if rule else set())
    with psycopg.connect(db, autocommit=True) as conn:
        query = "SELECT relfilenode FROM pg_class WHERE relname = 'orders'"
        before = conn.execute(query).fetchone()
        conn.execute(statement)
        after = conn.execute(query).fetchone()
    assert (before != after) is rewrites
