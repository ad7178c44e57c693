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
serving it); ``run`` ties them together in :func:`analyse`.

The package's names load on first use (PEP 562): lint of SQL alone never pays for
sqlglot and psycopg, which the analysis and the index matcher import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from pgwarden.checks.queries.run import QueryAnalysis, analyse

_WHERE = {
    "ALL_ROWS": "model",
    "EQ_OPS": "model",
    "QUERY_METHODS": "extract",
    "RANGE_OPS": "model",
    "Access": "model",
    "AccessorMap": "accessors",
    "Cond": "model",
    "IndexInfo": "indexes",
    "Query": "model",
    "QueryAnalysis": "run",
    "Verdict": "indexes",
    "accessor_map": "accessors",
    "analyse": "run",
    "analyse_sql": "analysis",
    "analyse_statement": "analysis",
    "conjuncts": "analysis",
    "covers_foreign_key": "indexes",
    "create_index_sql": "indexes",
    "extract_queries": "extract",
    "filter_score": "indexes",
    "generate_services": "accessors",
    "generated_accessors": "accessors",
    "index_used": "indexes",
    "is_generated_queries": "accessors",
    "normalize_text": "analysis",
    "parse_sql": "analysis",
    "query_constants": "accessors",
    "serves_order": "indexes",
    "serving_index": "indexes",
    "suggested_columns": "indexes",
    "table_indexes": "indexes",
    "usable": "indexes",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
