"""Online: the generated plan adds an FK and a partial unique index to a busy 200k-row table.

The lock-taking statements must be the safe forms (CONCURRENTLY, NOT VALID then
VALIDATE) and a concurrent writer must keep committing while the migration
runs. The writer's longest stall is measured in benchmarks/, not here.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from pgwarden.apply import files
from pgwarden.apply.generate import render_migration
from pgwarden.apply.runner import Runner
from pgwarden.spec.load import load_schema_text
from tests.migrations.helpers import fetch

BEFORE = """
[tables.Owner.columns]
id = { type = "integer", primary_key = true }

[tables.Item.columns]
id        = { type = "bigint", identity = "by default", primary_key = true }
ownerId   = { type = "integer" }
code      = { type = "text" }
deletedAt = { type = "timestamptz", nullable = true }
"""

AFTER = """
[tables.Owner.columns]
id = { type = "integer", primary_key = true }

[tables.Item]
soft_delete = "deletedAt"

[tables.Item.columns]
id        = { type = "bigint", identity = "by default", primary_key = true }
ownerId   = { type = "integer", references = { table = "Owner", on_delete = "restrict" } }
code      = { type = "text" }
deletedAt = { type = "timestamptz", nullable = true }

[[tables.Item.indexes]]
columns = ["ownerId", "code"]
unique = true
"""

ROWS = 200_000


def _write(directory: Path, name: str, up: str, down: str | None = None) -> None:
    path = directory / name
    path.mkdir(parents=True)
    (path / files.UP).write_text(up)
    if down is not None:
        (path / files.DOWN).write_text(down)


@pytest.mark.slow
def test_fk_and_partial_unique_on_a_busy_table(database_url: str, tmp_path: Path) -> None:
    before = load_schema_text(BEFORE, "before.toml")
    after = load_schema_text(AFTER, "after.toml")
    d = tmp_path / "migrations"
    created = render_migration(before.__class__(), before)
    changed = render_migration(before, after)
    assert created is not None and changed is not None
    _write(d, "0001_items", *created)
    _write(d, "0002_online", *changed)
    files.write_sum(d)
    migrations = files.load_migrations(d)

    executed: list[str] = []
    runner = Runner(database_url, migrations, trace=executed.append)
    runner.apply(to=1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('INSERT INTO "Owner" SELECT g FROM generate_series(1, 1000) g')
        conn.execute(
            'INSERT INTO "Item" ("ownerId", code) SELECT 1 + g %% 1000, md5(g::text)'
            " FROM generate_series(1, %s) g",
            (ROWS,),
        )
        conn.execute('ANALYZE "Item"')

    stop = threading.Event()
    commits: list[float] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                while not stop.is_set():
                    conn.execute(
                        'INSERT INTO "Item" ("ownerId", code) VALUES (%s, %s)',
                        (1 + len(commits) % 1000, uuid.uuid4().hex),
                    )
                    commits.append(time.monotonic())
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(0.3)
    executed.clear()
    started = time.monotonic()
    runner.apply()
    finished = time.monotonic()
    time.sleep(0.2)
    stop.set()
    thread.join(timeout=30)
    assert not errors, errors

    # every lock-taking statement that ran is the online form, each under a lock_timeout
    ddl = [s for s in executed if not s.upper().startswith("SET ")]
    assert ddl == [s for step in migrations[1].up.steps for s in step.statements[-1:]]
    index = [s for s in ddl if "INDEX" in s.upper()]
    assert len(index) == 1 and index[0].startswith("CREATE UNIQUE INDEX CONCURRENTLY")
    assert index[0].endswith('WHERE "deletedAt" IS NULL')
    fks = [s for s in ddl if "FOREIGN KEY" in s]
    assert len(fks) == 1 and fks[0].endswith("NOT VALID")
    assert ddl.index(fks[0]) < ddl.index(
        'ALTER TABLE "Item" VALIDATE CONSTRAINT "Item_ownerId_fkey"'
    )
    assert all(s.startswith(("CREATE UNIQUE INDEX CONCURRENTLY", "ALTER TABLE")) for s in ddl)
    assert sum(s.upper().startswith("SET LOCK_TIMEOUT") for s in executed) == len(ddl)

    during = [t for t in commits if started <= t <= finished]
    assert len(during) >= 20, f"{len(during)} writer commits during {finished - started:.2f}s"
    assert fetch(database_url, "SELECT status FROM pgwarden.migrations ORDER BY version") == [
        ("applied",),
        ("applied",),
    ]
    constraints = fetch(
        database_url,
        "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f'",
    )
    assert constraints == [("Item_ownerId_fkey", True)]
    valid = fetch(
        database_url,
        "SELECT i.indisvalid, i.indisunique, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'Item_ownerId_code_idx'",
    )
    assert valid == [(True, True, '("deletedAt" IS NULL)')]
    count = fetch(database_url, 'SELECT count(*) FROM "Item"')[0][0]
    assert count == ROWS + len(commits)
