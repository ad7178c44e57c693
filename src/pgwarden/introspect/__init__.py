"""Introspection: read a live namespace into the schema model, and put a spec's
expressions into Postgres's own text so the two compare with ``==``."""

from __future__ import annotations

from pgwarden.introspect.canonical import canonicalize
from pgwarden.introspect.catalog import QUERIES, inspect_schema
from pgwarden.introspect.diff import (
    Difference,
    drift,
    format_diff,
    is_ignored,
    schema_diff,
    unmanaged,
)

__all__ = [
    "QUERIES",
    "Difference",
    "canonicalize",
    "drift",
    "format_diff",
    "inspect_schema",
    "is_ignored",
    "schema_diff",
    "unmanaged",
]
