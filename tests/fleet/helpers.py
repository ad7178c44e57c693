"""Fleet test helpers: many real databases, a hand-written history, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.db import with_dbname
from tests.migrations.helpers import write_migration

PG15_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
UNREACHABLE = "postgresql://fleet:s3cret-pw@127.0.0.1:1/nowhere"
"""Nothing listens on port 1: connection refused at once (and a password to mask)."""

M1 = """
-- pgwarden:step atomic=true description="create Item"
CREATE TABLE "Item" (id integer PRIMARY KEY, code text);
"""

M2 = """
-- pgwarden:preflight table="Item" description="codes held by more than one row"
SELECT code FROM "Item" GROUP BY code HAVING count(*) > 1
-- pgwarden:fix
DELETE FROM "Item" a USING "Item" b WHERE a.code = b.code AND a.id > b.id;
-- pgwarden:step atomic=false description="unique Item.code"
CREATE UNIQUE INDEX CONCURRENTLY "Item_code_key" ON "Item" (code);
"""

M3 = """
-- pgwarden:step atomic=true description="add Item.note"
ALTER TABLE "Item" ADD COLUMN note text;
-- pgwarden:step atomic=false description="index Item.note"
CREATE INDEX CONCURRENTLY "Item_note_idx" ON "Item" (note);
-- pgwarden:step atomic=true description="comment"
COMMENT ON TABLE "Item" IS 'fleet test table';
"""

SPEC = """
[tables.Item]
comment = "fleet test table"

[tables.Item.columns]
id = { type = "integer", primary_key = true }
code = { type = "text", nullable = true }
note = { type = "text", nullable = true }

[[tables.Item.indexes]]
name = "Item_code_key"
columns = ["code"]
unique = true

[[tables.Item.indexes]]
columns = ["note"]
"""


def write_history(root: Path) -> None:
    migrations = root / "migrations"
    migrations.mkdir()
    for name, up in (("0001_item", M1), ("0002_unique_code", M2), ("0003_note", M3)):
        write_migration(migrations, name, up)
    (root / "schema").mkdir()
    (root / "schema" / "fleet.toml").write_text(SPEC, encoding="utf-8")
    # the project marker commands find schema/ and migrations/ by (docs/cli.md)
    (root / "pyproject.toml").write_text("[tool.pgwarden]\n", encoding="utf-8")


def server_key(url: str) -> tuple[str, str]:
    params = psycopg.conninfo.conninfo_to_dict(url)
    return str(params.get("host", "")), str(params.get("port", "5432"))


@contextmanager
def databases(servers: Sequence[str], count: int) -> Iterator[list[str]]:
    """``count`` fresh databases spread round-robin over ``servers``; dropped afterwards."""
    made: list[tuple[str, str]] = []
    try:
        for index in range(count):
            server = servers[index % len(servers)]
            name = f"pgw_fleet_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
                )
            made.append((server, name))
        yield [with_dbname(server, name) for server, name in made]
    finally:
        for server, name in made:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def targets_file(path: Path, urls: Sequence[str]) -> Path:
    path.write_text(
        "# fleet under test\n" + "".join(f"{u}\n" for u in urls) + "\n# end\n", encoding="utf-8"
    )
    return path


def fleet(
    project: Path, database_url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``pgwarden fleet ARGS`` in ``project`` (its migrations/ and schema/)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "pgwarden", "--database-url", database_url, "fleet", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=project,
        timeout=600,
    )


def report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON ({exc}):\n{done.stdout}\n{done.stderr}") from None
    return data


def by_target(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"]: t for t in data["targets"]}


def history_rows(url: str, schema: str = "pgwarden") -> list[tuple[int, str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            rows = conn.execute(
                sql.SQL("SELECT version, status FROM {}.migrations ORDER BY 1").format(
                    sql.Identifier(schema)
                )
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return []
    return [(int(r[0]), str(r[1])) for r in rows]
