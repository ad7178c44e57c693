"""Introspection: read a live namespace into the schema model, and put a spec's
expressions into Postgres's own text so the two compare with ``==``."""

from __future__ import annotations

from pgwarden.introspect.canonical import canonicalize
from pgwarden.introspect.catalog import QUERIES, inspect_schema
from pgwarden.introspect.diff import Difference, format_diff, schema_diff

__all__ = [
    "QUERIES",
    "Difference",
    "canonicalize",
    "format_diff",
    "inspect_schema",
    "schema_diff",
]
