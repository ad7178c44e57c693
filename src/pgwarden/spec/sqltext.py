"""SQL text built from names: the one home for quoting identifiers as text and for the
predicates several stages write.

Statements pgwarden executes are composed with :mod:`psycopg.sql` (``Identifier``,
``Literal``). Text that becomes part of the model or of generated code (a partial
index's ``WHERE``, a generated query constant, a lint fix) is spelled here, so each
spelling exists once and every identifier goes through a library's quoting:
psycopg's ``sql.Identifier`` (always quoted) or pglast's printer (quoted when needed,
as Postgres prints it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import LiteralString

from pgwarden import pgquery
from pgwarden.spec.exprs import ExprSyntaxError, conjuncts, normalize_expr


def ident(name: str) -> str:
    """``name`` double-quoted (``"deletedAt"``, ``"a""b"``), by psycopg's ``sql.Identifier``."""
    from psycopg import sql  # not at import: the SQL lint runs without psycopg

    return sql.Identifier(name).as_string(None)


def qualified(*parts: str) -> str:
    """``"billing"."Invoice"``: each part quoted by :func:`ident`, joined with dots."""
    return ".".join(ident(p) for p in parts)


def bare_ident(name: str) -> str:
    """``name`` as Postgres prints it: unquoted when it is a plain lower-case word that is
    no keyword, quoted otherwise (``user`` -> ``"user"``), by pglast's printer's rule
    (``pgquery.bare_ident``, which lint uses without loading pglast)."""
    return pgquery.bare_ident(name)


def placeholder_safe(text: str) -> str:
    """``text`` for a query that also holds ``%s`` placeholders: ``%`` doubled."""
    return text.replace("%", "%%")


def query_ident(name: str) -> str:
    """:func:`ident` for a query that also holds ``%s`` placeholders (``%`` doubled)."""
    return placeholder_safe(ident(name))


def query_qualified(*parts: str) -> str:
    """:func:`qualified` for a query that also holds ``%s`` placeholders."""
    return placeholder_safe(qualified(*parts))


def active_rows(column: str) -> str:
    """The soft-delete predicate: the rows whose ``column`` (the deletion time) is unset,
    ``"deletedAt" IS NULL``."""
    return f"{ident(column)} IS NULL"


def active_rows_where(column: str) -> str:
    """:func:`active_rows` as the model stores a predicate (``deleted_at IS NULL``,
    ``"deletedAt" IS NULL``): the ``WHERE`` of a soft-deleted table's partial indexes."""
    return normalize_expr(active_rows(column))


def is_active_rows(where: str | None, column: str) -> bool:
    """Whether ``where`` is exactly the soft-delete predicate over ``column``, however
    spelled (parentheses, case, quoting)."""
    if where is None:
        return False
    try:
        return normalize_expr(where) == active_rows_where(column)
    except ExprSyntaxError:
        return False


def has_active_rows(where: str | None, column: str) -> bool:
    """Whether ``where`` keeps only active rows: the soft-delete predicate over ``column``
    is the whole of it or one of its top-level ``AND`` operands."""
    if not where:
        return False
    try:
        return active_rows_where(column) in conjuncts(where)
    except ExprSyntaxError:
        return False


def outside_quotes(text: str) -> Iterator[tuple[int, str, int]]:
    """Each character of ``text`` outside quoted names and strings, as (position,
    character, parenthesis depth before it): the one quote-aware scanner of SQL text
    (a doubled quote inside a string or name closes and reopens it, which scans alike)."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        else:
            yield i, ch, depth
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1


def split_top(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses and quotes, each part stripped."""
    parts, start = [], 0
    for i, ch, depth in outside_quotes(text):
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def find_outside_quotes(text: str, needle: str) -> int:
    """Where ``needle`` first starts outside quoted names and strings (-1: nowhere)."""
    for i, _, _ in outside_quotes(text):
        if text.startswith(needle, i):
            return i
    return -1


def up_to_close(text: str, start: int) -> str | None:
    """The text from ``start`` (just after an opening parenthesis) up to the parenthesis
    that closes it, outside quotes; None when it is never closed."""
    for i, ch, depth in outside_quotes(text[start:]):
        if ch == ")" and depth == 0:
            return text[start : start + i]
    return None


def trusted(text: str) -> LiteralString:
    """Text pgwarden wrote itself or a reviewed migration file holds, handed to psycopg as
    the query (never a value: values go as parameters)."""
    return text


__all__ = [
    "active_rows",
    "active_rows_where",
    "bare_ident",
    "find_outside_quotes",
    "has_active_rows",
    "ident",
    "is_active_rows",
    "outside_quotes",
    "placeholder_safe",
    "qualified",
    "query_ident",
    "query_qualified",
    "split_top",
    "trusted",
    "up_to_close",
]
