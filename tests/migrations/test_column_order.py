"""The column-order rule (docs/migrations.md#column-order): order is not governed.

The planner never reorders columns (Postgres cannot without rebuilding the table, and
a column added or re-added by a migration goes at the end), so neither ``verify`` nor
``baseline`` compares order: a column inserted mid-table in the spec is applied at the
end and the database still matches; a database built straight from the spec (the
column in the middle) baselines at the same snapshot.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from pgwarden.apply.shadow import SHADOW_ENV
from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema_text
from tests.cli.helpers import Result, run_main
from tests.migrations.helpers import fetch
from tests.pg import temp_database

V1 = """
[tables.Post.columns]
id    = { type = "integer", identity = "by default", primary_key = true }
title = { type = "text" }
body  = { type = "text", nullable = true }
"""

# subtitle inserted between title and body
V2 = V1.replace(
    'body  = { type = "text", nullable = true }',
    'subtitle = { type = "text", nullable = true }\nbody  = { type = "text", nullable = true }',
)

# a pure reorder of V2
V3 = """
[tables.Post.columns]
id    = { type = "integer", identity = "by default", primary_key = true }
body  = { type = "text", nullable = true }
title = { type = "text" }
subtitle = { type = "text", nullable = true }
"""


def _pgw(project: Path, url: str, server: str, *args: str) -> Result:
    return run_main(
        "--schema", "schema", "--database-url", url, "migrate", "--dir", "migrations", *args,
        cwd=project, env={SHADOW_ENV: server},
    )  # fmt: skip


def _columns(url: str) -> list[str]:
    rows = fetch(
        url,
        "SELECT attname FROM pg_attribute WHERE attrelid = '\"Post\"'::regclass"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    return [str(r[0]) for r in rows]


def test_a_column_inserted_mid_table_applies_and_verifies(
    tmp_path: Path, database_url: str, pg_server: str
) -> None:
    spec = tmp_path / "schema" / "app.toml"
    spec.parent.mkdir()
    spec.write_text(V1)

    def run(*args: str) -> Result:
        return _pgw(tmp_path, database_url, pg_server, *args)

    first = run("new", "init")
    assert first.code == 0, first.output
    spec.write_text(V2)
    second = run("new", "subtitle")
    assert second.code == 0, second.output
    # the shadow check passed (its verify compares no order); the note says where it goes
    assert "Post.subtitle goes at the end of the table" in second.out
    assert run("apply").code == 0
    assert _columns(database_url) == ["id", "title", "body", "subtitle"]
    verified = run("verify")
    assert verified.code == 0, verified.output
    assert "no drift" in verified.out

    # a pure reorder plans nothing, and says why
    spec.write_text(V3)
    reorder = run("new", "reorder")
    assert reorder.code == 0, reorder.output
    assert "no changes" in reorder.out and "column order" in reorder.out
    assert not (tmp_path / "migrations" / "0003_reorder").exists()
    assert run("verify").code == 0

    # a database made straight from the spec has subtitle in the middle: baseline at 2
    with temp_database(pg_server) as other:
        with psycopg.connect(other, autocommit=True) as conn:
            conn.execute(render_schema(load_schema_text(V2)).encode())
        assert _columns(other) == ["id", "title", "subtitle", "body"]
        based = _pgw(tmp_path, other, pg_server, "baseline", "--to", "2")
        assert based.code == 0, based.output
        assert _pgw(tmp_path, other, pg_server, "verify").code == 0
        assert _pgw(tmp_path, other, pg_server, "down").code == 0
        assert _columns(other) == ["id", "title", "body"]
