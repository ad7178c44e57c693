"""Which columns the generated insert and update may set (a mutant of
generators/accessors.py that survived the sampled mutmut run: docs/status.md)."""

from __future__ import annotations

from pgwarden.generators.accessors import build
from pgwarden.spec.load import load_schema_text

SPEC = """
[tables.Event.columns]
id      = { type = "bigint", primary_key = true, identity = "always" }
seq     = { type = "bigint", identity = "by default", nullable = false }
name    = { type = "text" }
upper   = { type = "text", generated = "upper(name)" }
"""


def test_identity_always_and_generated_columns_are_not_writable() -> None:
    (table,) = build(load_schema_text(SPEC), "events_db").tables
    # Postgres refuses a value for GENERATED ALWAYS columns (without OVERRIDING).
    assert [c.name for c in table.writable] == ["seq", "name"]


SOFT = """
[tables.Team]
soft_delete = "deletedAt"
[tables.Team.columns]
id        = { type = "bigint", primary_key = true }
slug      = { type = "text" }
code      = { type = "text" }
deletedAt = { type = "timestamptz", nullable = true }

[[tables.Team.indexes]]
name = "Team_slug_active_key"
columns = ["slug"]
unique = true
all_rows = true                     # not made partial by the loader:
where = '"deletedAt" IS NULL'       # the predicate is written by hand

[[tables.Team.indexes]]
name = "Team_code_short_key"
columns = ["code"]
unique = true
all_rows = true
where = "length(code) < 4"          # a predicate lookups cannot reproduce
"""


def test_a_hand_written_active_rows_unique_index_is_a_lookup_key() -> None:
    # A mutant that lost the index predicate (is_active_rows(None, ...)) survived the
    # mutmut run: the key was then skipped like one with an arbitrary predicate.
    (table,) = build(load_schema_text(SOFT), "teams_db").tables
    assert [k.suffix for k in table.uniques] == ["slug"]
    (slug,) = table.uniques
    assert '"deletedAt" IS NULL' in slug.one
