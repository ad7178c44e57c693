"""A table or column rename renames the NOT NULL constraints PostgreSQL 18 named after
the old names (``post_title_not_null``), so the catalog equals a fresh CREATE's, up,
down and up again; on PostgreSQL 15 (no NOT NULL in ``pg_constraint``) the same
migration runs and changes nothing more. Names at the 63-byte limit are cut as Postgres
cuts them (``makeObjectName``)."""

from __future__ import annotations

from pathlib import Path

from pgwarden.spec.names import postgres_not_null
from tests.migrations.lifecycle import assert_at, history_of, runner, spec

LONG_T = "t" * 40 + "_events"  # 47 bytes: with a long column the name is cut
LONG_C = "c" * 30

BEFORE = f"""
[tables.post.columns]
id = {{ type = "bigint", primary_key = true }}
title = {{ type = "text" }}
body = {{ type = "text", nullable = true }}

[tables.{LONG_T}.columns]
id = {{ type = "bigint", primary_key = true }}
{LONG_C} = {{ type = "integer" }}
"""

AFTER = f"""
[tables.article]
renamed_from = "post"

[tables.article.columns]
id = {{ type = "bigint", primary_key = true }}
headline = {{ type = "text", renamed_from = "title" }}
body = {{ type = "text", nullable = true }}

[tables.{LONG_T}x]
renamed_from = "{LONG_T}"

[tables.{LONG_T}x.columns]
id = {{ type = "bigint", primary_key = true }}
{LONG_C}d = {{ type = "integer", renamed_from = "{LONG_C}" }}
"""


def test_names_postgres_gives_not_null_constraints() -> None:
    assert postgres_not_null("post", "title") == "post_title_not_null"
    assert postgres_not_null("billing.Invoice", "total") == "Invoice_total_not_null"
    # the longer name is cut first (the column's when they are even), to 63 bytes
    assert postgres_not_null(LONG_T, LONG_C) == "t" * 27 + "_" + "c" * 26 + "_not_null"
    assert postgres_not_null("é" * 40, "x") == "é" * 26 + "_x_not_null"  # whole characters


def test_renames_keep_not_null_names_fresh(database_url: str, tmp_path: Path) -> None:
    before, after = spec(BEFORE), spec(AFTER)
    directory = history_of(tmp_path / "m", before, after)
    runner(database_url, directory).apply(1)
    assert_at(database_url, before)
    runner(database_url, directory).apply()
    assert_at(database_url, after)  # every pg_constraint name, NOT NULL ones included
    runner(database_url, directory).down()
    assert_at(database_url, before)
    runner(database_url, directory).apply()
    assert_at(database_url, after)
