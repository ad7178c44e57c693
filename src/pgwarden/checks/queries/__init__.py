"""Query-pattern analysis: find the application's SQL, parse it, match it to indexes.

Where queries come from (all static, nothing runs):

* string literals passed to psycopg's ``execute`` / ``executemany`` / ``copy`` /
  ``stream`` (a module or function constant holding the text counts too), and
  ``psycopg.sql`` compositions whose parts are static (``SQL``, ``Identifier``,
  ``Literal`` of a constant, ``Placeholder``, ``.format`` and ``.join``);
* calls of the generated accessors (``db.customer.find_by_auth_user_id(x)``): the
  package is rendered in memory from the spec, exactly as ``pgwarden generate``
  does, and each method is mapped to the query constants it runs;
* the generated package itself (its ``_queries.py`` constants), so the blueprint
  can show where every generated query is and which index serves it.

Each statement is parsed with sqlglot (Postgres dialect) into one :class:`Access`
per table reference and query scope (a subquery is its own scope): the columns
it filters, joins and orders on with their operators, the conjuncts a partial
index predicate must be implied by, and whether a LIMIT applies. Matching an
access to the spec's indexes (:func:`serving_index`) respects column order (a
btree serves the conditions on a prefix of its columns) and partial-index
predicates (only a query whose WHERE contains every conjunct of the predicate).

Modules: ``model`` (what is found), ``statics`` (static SQL text in Python),
``accessors`` (generated accessor methods -> their SQL), ``extract`` (Python ->
queries), ``analysis`` (SQL -> accesses, sqlglot), ``indexes`` (access -> the index
serving it). This module ties them together in :func:`analyse`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pgwarden.checks.queries.accessors import (
    AccessorMap,
    accessor_map,
    generate_services,
    generated_accessors,
    is_generated_queries,
    query_constants,
)
from pgwarden.checks.queries.analysis import (
    analyse_sql,
    analyse_statement,
    conjuncts,
    normalize_text,
    parse_sql,
)
from pgwarden.checks.queries.extract import QUERY_METHODS, extract_queries
from pgwarden.checks.queries.indexes import (
    IndexInfo,
    Verdict,
    covers_foreign_key,
    create_index_sql,
    filter_score,
    index_used,
    serves_order,
    serving_index,
    suggested_columns,
    table_indexes,
    usable,
)
from pgwarden.checks.queries.model import ALL_ROWS, EQ_OPS, RANGE_OPS, Access, Cond, Query
from pgwarden.spec.model import Schema


@dataclass(frozen=True)
class QueryAnalysis:
    """Every query found in the analysed files, with the spec's indexes."""

    schema: Schema
    queries: tuple[Query, ...]
    indexes: dict[str, tuple[IndexInfo, ...]] = field(default_factory=dict)

    def table_indexes(self, table: str) -> tuple[IndexInfo, ...]:
        return self.indexes.get(table, ())

    def verdict(self, access: Access) -> Verdict:
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


__all__ = [
    "ALL_ROWS",
    "EQ_OPS",
    "QUERY_METHODS",
    "RANGE_OPS",
    "Access",
    "AccessorMap",
    "Cond",
    "IndexInfo",
    "Query",
    "QueryAnalysis",
    "Verdict",
    "accessor_map",
    "analyse",
    "analyse_sql",
    "analyse_statement",
    "conjuncts",
    "covers_foreign_key",
    "create_index_sql",
    "extract_queries",
    "filter_score",
    "generate_services",
    "generated_accessors",
    "index_used",
    "is_generated_queries",
    "normalize_text",
    "parse_sql",
    "query_constants",
    "serves_order",
    "serving_index",
    "suggested_columns",
    "table_indexes",
    "usable",
]
