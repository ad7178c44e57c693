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
