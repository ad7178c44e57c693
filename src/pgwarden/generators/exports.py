"""What the generators hand to other stages, as data.

The query lint (``pgwarden.checks.queries``) maps calls of generated accessors to the SQL
they run. It reads that from the two generated modules; this is the one place outside
the generators that may ask for them, so the lint never reaches into the generators'
internals (the import contract in pyproject.toml names this module as the interface).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pgwarden.errors import PgwardenError
from pgwarden.generators.engine import render
from pgwarden.spec.model import Schema


@dataclass(frozen=True, slots=True)
class AccessorSources:
    """The texts of the generated ``_queries.py`` (the SQL constants) and ``sync.py``
    (the accessor methods that run them), as ``pgwarden generate`` would write them."""

    queries: str
    access: str


def accessor_sources(schema: Schema, services: Mapping[str, str]) -> AccessorSources | None:
    """The accessor modules of the package generated for ``schema`` (``services``: table ->
    service name); ``None`` when the generator refuses the spec (no accessors to map)."""
    try:
        files = render(schema, "app_db", sources=[], services=dict(services)).files
    except PgwardenError:
        return None
    return AccessorSources(files["_queries.py"], files["sync.py"])


__all__ = ["AccessorSources", "accessor_sources"]
