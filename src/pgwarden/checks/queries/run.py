"""The whole query analysis of a set of Python files: extract, analyse, match."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pgwarden.checks.queries.accessors import generated_accessors
from pgwarden.checks.queries.extract import extract_queries
from pgwarden.checks.queries.indexes import IndexInfo, Verdict, serving_index, table_indexes
from pgwarden.checks.queries.model import Access, Query
from pgwarden.spec.model import Schema


@dataclass(frozen=True)
class QueryAnalysis:
    """Every query found in the analysed files, with the spec's indexes."""

    schema: Schema
    queries: tuple[Query, ...]
    indexes: dict[str, tuple[IndexInfo, ...]] = field(default_factory=dict)

    def table_indexes(self, table: str) -> tuple[IndexInfo, ...]:
        """The indexes (and key constraints) of ``table``."""
        return self.indexes.get(table, ())

    def verdict(self, access: Access) -> Verdict:
        """Which index serves the access, or why none does."""
        return serving_index(access, self.table_indexes(access.table))


def analyse(
    files: Iterable[tuple[str, str]],
    schema: Schema,
    services: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> QueryAnalysis:
    """Extract and analyse the queries of Python texts ``(file, text)`` against ``schema``
    (``services``: the generate config's service names, for accessor calls)."""
    schema = schema.normalized()
    accessors = generated_accessors(schema, services)
    queries: list[Query] = []
    for file, text in files:
        queries += extract_queries(text, file, schema, accessors, root)
    indexes = {t.name: tuple(table_indexes(t)) for t in schema.tables}
    return QueryAnalysis(schema, tuple(queries), indexes)
