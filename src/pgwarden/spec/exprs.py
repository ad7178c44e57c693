"""SQL expressions in the spec: one normal form, parsed by Postgres's own parser.

A spec writes ``"deletedAt"  is null``; another writes ``"deletedAt" IS NULL``.
Both must load to the same model, so every expression is parsed as
``SELECT <expr>`` with pglast (libpg_query) and printed back. The printed form
is not Postgres's ``pg_get_expr`` text (only the server knows that one; see
``introspect.canonicalize``), but it is stable: equal ASTs print equally.

Parsing and printing cost ~1-3 ms an expression, and a spec repeats the same texts
(``now()``, ``"deletedAt" IS NULL``, one CHECK per table) while loading reads each
one several times (normalized, then its column references, then its facts), so the
results are cached by text: every function here is a pure function of its text.
The trees themselves are cached (a small LRU) only for the readers that walk them
without printing (printing a node re-links its ``ancestors``, which a print of the
whole tree in another thread would see); whatever hands a tree out, edits one or
prints a part of one parses afresh.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pglast import ast, parse_sql
from pglast.enums.primnodes import BoolExprType
from pglast.stream import RawStream


class ExprSyntaxError(ValueError):
    """Text that is not exactly one SQL expression; the message says why."""


def _one_statement(text: str, what: str) -> Any:
    """The one statement of ``text`` parsed by pglast (``what``: for the messages)."""
    try:
        stmts = parse_sql(text)
    except Exception as exc:  # pglast raises ParseError, sometimes others on odd input
        message = str(exc).split("\n")[0]
        raise ExprSyntaxError(f"not a valid SQL {what}: {message}") from None
    if len(stmts) != 1:
        raise ExprSyntaxError(f"must be one {what}, not several statements")
    return stmts[0].stmt


#: Distinct texts whose results are kept (strings and tuples: small).
_RESULTS = 1 << 15
#: Distinct texts whose parse trees are kept (pglast trees: large).
_TREES = 1 << 10


def _parse_target(text: str) -> Any:
    return _parse_printed(text)[0]


def _parse_printed(text: str) -> tuple[Any, str]:
    """The expression's tree and its printed form, parsed afresh."""
    if not text.strip():
        raise ExprSyntaxError("empty expression")
    stmt = _one_statement(f"SELECT {text}", "expression")
    if not isinstance(stmt, ast.SelectStmt) or not stmt.targetList or len(stmt.targetList) != 1:
        raise ExprSyntaxError("must be exactly one expression")
    target = stmt.targetList[0]
    val = target.val
    # FROM, WHERE, an alias, ... would make the statement print differently from
    # SELECT <expr>: a cheap, complete test that nothing but one expression came in.
    try:
        whole = RawStream()(stmt)
        printed = RawStream()(val)
    except Exception as exc:
        raise ExprSyntaxError(f"cannot print expression: {exc}") from None
    if target.name is not None or whole != f"SELECT {printed}":
        raise ExprSyntaxError("must be exactly one expression (no FROM, WHERE, AS, ...)")
    return val, str(printed)


@lru_cache(maxsize=_TREES)
def _shared(text: str) -> tuple[Any, str]:
    """:func:`_parse_printed`, cached: for readers only (never edit the tree)."""
    return _parse_printed(text)


def _read_target(text: str) -> Any:
    return _shared(text)[0]


def parse_expr(text: str) -> Any:
    """The pglast tree of exactly one SQL expression (:class:`ExprSyntaxError` otherwise);
    a fresh tree, the caller's to edit."""
    return _parse_target(text)


def print_expr(node: Any) -> str:
    """A pglast expression tree printed in the canonical spelling."""
    return str(RawStream()(node))


@lru_cache(maxsize=_RESULTS)
def normalize_expr(text: str) -> str:
    """The expression in pglast's canonical spelling (keywords upper, spacing fixed)."""
    return _shared(text)[1]


def walk(node: Any) -> Iterator[Any]:
    """Every pglast node under ``node`` (itself included), parents before children."""
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from walk(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from walk(item)


def rewrite_expr(text: str, edit: Callable[[Any], bool]) -> str:
    """``text`` with ``edit`` applied to every node of its tree (``edit`` changes a node in
    place and says whether it did), printed normalized; ``text`` itself when nothing
    changed."""
    tree = _parse_target(text)
    changed = False
    for node in walk(tree):
        changed = edit(node) or changed
    return print_expr(tree) if changed else text


@lru_cache(maxsize=_RESULTS)
def conjuncts(text: str) -> tuple[str, ...]:
    """The expression's top-level ``AND`` operands, each normalized (nested ``AND`` operands
    flattened; the whole expression when it is not an ``AND``)."""

    def flat(node: Any) -> Iterator[Any]:
        if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
            for arg in node.args or ():
                yield from flat(arg)
        else:
            yield node

    return tuple(print_expr(n) for n in flat(_parse_target(text)))


def _parse_query(text: str) -> Any:
    if not text.strip():
        raise ExprSyntaxError("empty query")
    stmt = _one_statement(text, "query")
    if not isinstance(stmt, ast.SelectStmt) or stmt.intoClause is not None:
        raise ExprSyntaxError("must be a SELECT (or VALUES, or WITH ... SELECT) query")
    return stmt


@lru_cache(maxsize=_RESULTS)
def normalize_query(text: str) -> str:
    """A view's query in pglast's canonical spelling (one SELECT, no trailing ``;``)."""
    try:
        return str(RawStream()(_parse_query(text)))
    except ExprSyntaxError:
        raise
    except Exception as exc:
        raise ExprSyntaxError(f"cannot print query: {exc}") from None


@dataclass(frozen=True, slots=True)
class QueryReads:
    """What a query reads: relations (``schema.name`` when qualified, CTE names
    excluded), the column names it mentions, and whether it selects ``*``."""

    relations: frozenset[str]
    columns: frozenset[str]
    star: bool
    aliases: frozenset[str] = frozenset()
    """Names the query defines itself (output, table, subquery and CTE aliases)."""


@lru_cache(maxsize=_RESULTS)
def query_reads(text: str) -> QueryReads:
    """The relations and columns a view's query names (for dependency order)."""
    stmt = _parse_query(text)
    ctes: set[str] = set()
    relations: set[str] = set()
    columns: set[str] = set()
    aliases: set[str] = set()
    star = False
    for node in walk(stmt):
        if isinstance(node, ast.ResTarget) and node.name:
            aliases.add(node.name)
        elif isinstance(node, ast.Alias):
            aliases.add(str(node.aliasname))
            aliases.update(str(c.sval) for c in node.colnames or () if isinstance(c, ast.String))
        if isinstance(node, ast.CommonTableExpr) and node.ctename:
            ctes.add(node.ctename)
            aliases.update(
                str(c.sval) for c in node.aliascolnames or () if isinstance(c, ast.String)
            )
        elif isinstance(node, ast.RangeVar) and node.relname:
            name = f"{node.schemaname}.{node.relname}" if node.schemaname else node.relname
            relations.add(name)
        elif isinstance(node, ast.ColumnRef) and node.fields:
            last = node.fields[-1]
            if isinstance(last, ast.A_Star):
                star = True
            elif isinstance(last, ast.String) and last.sval:
                columns.add(last.sval)
    return QueryReads(
        frozenset(relations - ctes), frozenset(columns), star, frozenset(aliases | ctes)
    )


def column_refs(text: str) -> list[str]:
    """Unqualified column names referenced by the expression, first appearance order."""
    return list(_column_refs(text))


@lru_cache(maxsize=_RESULTS)
def _column_refs(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for node in walk(_read_target(text)):
        if isinstance(node, ast.ColumnRef) and node.fields:
            last = node.fields[-1]
            if isinstance(last, ast.String) and last.sval and last.sval not in out:
                out.append(last.sval)
    return tuple(out)


@lru_cache(maxsize=_RESULTS)
def strip_cast(text: str) -> tuple[str, str] | None:
    """``(constant, type)`` when the expression is one constant under one cast, as
    Postgres prints literal defaults (``'FREE'::"SubscriptionPlan"``); else None."""
    try:
        val = _parse_target(text)
    except ExprSyntaxError:
        return None
    if (
        not isinstance(val, ast.TypeCast)
        or not isinstance(val.arg, ast.A_Const)
        or val.typeName is None
    ):
        return None
    type_text = str(RawStream()(val.typeName))
    return str(RawStream()(val.arg)), type_text


@lru_cache(maxsize=_RESULTS)
def constant(text: str) -> tuple[str, str | bool | None, str | None] | None:
    """``(kind, value, cast)`` when the expression is one constant, maybe under one
    cast: kind ``string`` / ``number`` (value: its digits) / ``boolean`` / ``null``;
    ``cast``: the type as written (``"Plan"``, ``text[]``) or None. Else None."""
    try:
        val = _parse_target(text)
    except ExprSyntaxError:
        return None
    cast = None
    if isinstance(val, ast.TypeCast) and val.typeName is not None:
        cast = str(RawStream()(val.typeName))
        val = val.arg
    if not isinstance(val, ast.A_Const):
        return None
    if val.isnull:
        return "null", None, cast
    inner = val.val
    if isinstance(inner, ast.String):
        return "string", str(inner.sval), cast
    if isinstance(inner, ast.Integer):
        return "number", str(inner.ival or 0), cast
    if isinstance(inner, ast.Float):
        return "number", str(inner.fval), cast
    if isinstance(inner, ast.Boolean):
        return "boolean", bool(inner.boolval), cast
    return None


@lru_cache(maxsize=_RESULTS)
def name_hint(text: str) -> str:
    """The word Postgres itself uses to name an expression index key: the function
    name for a function call, else ``expr``."""
    val = _read_target(text)
    if isinstance(val, ast.FuncCall) and val.funcname:
        last = val.funcname[-1]
        if isinstance(last, ast.String):
            return str(last.sval)
    return "expr"


@lru_cache(maxsize=_RESULTS)
def string_constant(text: str) -> str | None:
    """The value when the (normalized) expression is one plain string literal."""
    try:
        val = _read_target(text)
    except ExprSyntaxError:
        return None
    if isinstance(val, ast.A_Const) and isinstance(val.val, ast.String):
        return str(val.val.sval)
    return None


LiteralValue = str | int | float | bool | Sequence["LiteralValue"]


class LiteralError(ValueError):
    """A TOML value that has no SQL literal form (nested arrays, inf, tables...)."""


def _array_element(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    raise LiteralError("array defaults hold strings, numbers or booleans only")


def _number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise LiteralError("inf and nan have no SQL literal; use default_sql")
    return repr(value)


_QUOTED: dict[str, str] = {}


def _quote(value: str) -> str:
    if "\x00" in value:
        raise LiteralError("PostgreSQL text cannot contain NUL (\\x00) characters")
    got = _QUOTED.get(value)
    if got is None:  # cached: psycopg builds a transformer per call (~0.1 ms)
        from psycopg import sql  # not at import: the SQL lint runs without psycopg

        got = _QUOTED[value] = sql.Literal(value).as_string(None)
    return got


def literal_sql(value: object) -> str:
    """A TOML default value as normalized SQL literal text.

    Strings go through psycopg's ``sql.Literal``; arrays become one array-literal
    string (``'{"a","b"}'``) because an untyped string coerces to any array type,
    enum arrays included, where ``ARRAY['a']`` would be ``text[]``.
    """
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = _number(value)
    elif isinstance(value, str):
        text = _quote(value)
    elif isinstance(value, list):
        text = _quote("{" + ",".join(_array_element(v) for v in value) + "}")
    else:
        raise LiteralError(f"a default must be a string, number, boolean or array, not {value!r}")
    return normalize_expr(text)


@dataclass(frozen=True, slots=True)
class ExprFacts:
    """What an expression uses that some places refuse: column references,
    subqueries, and calls (by their unqualified or ``pg_catalog`` name, as the
    server resolves them first) with how they are called."""

    columns: tuple[str, ...]
    subquery: bool
    calls: tuple[str, ...]
    """Function names called without OVER (lower-cased, first appearance order)."""
    windowed: tuple[str, ...]
    """Function names called with OVER (...)."""
    aggregate_syntax: tuple[str, ...]
    """Calls with aggregate-only syntax: ``*``, DISTINCT, ORDER BY, FILTER, WITHIN GROUP."""
    value_functions: tuple[str, ...]
    """SQL-standard value functions with no parentheses (CURRENT_TIMESTAMP, CURRENT_USER, ...)."""


def _catalog_name(funcname: Sequence[Any]) -> str | None:
    parts = [str(p.sval) for p in funcname if isinstance(p, ast.String)]
    if len(parts) == 1 or (len(parts) == 2 and parts[0] == "pg_catalog"):
        return parts[-1].lower()
    return None


def _value_function_name(node: Any) -> str:
    op = str(getattr(node.op, "name", node.op))
    return op.removeprefix("SVFOP_").removesuffix("_N").lower()


@lru_cache(maxsize=_RESULTS)
def expr_facts(text: str) -> ExprFacts:
    """The facts of one expression (raises :class:`ExprSyntaxError` on bad text)."""
    columns: list[str] = []
    calls: list[str] = []
    windowed: list[str] = []
    aggregate_syntax: list[str] = []
    value_functions: list[str] = []
    subquery = False

    def add(out: list[str], name: str) -> None:
        if name not in out:
            out.append(name)

    for node in walk(_read_target(text)):
        if isinstance(node, ast.ColumnRef) and node.fields:
            last = node.fields[-1]
            if isinstance(last, ast.String) and last.sval:
                add(columns, str(last.sval))
        elif isinstance(node, ast.SubLink):
            subquery = True
        elif isinstance(node, ast.SQLValueFunction):
            add(value_functions, _value_function_name(node))
        elif isinstance(node, ast.FuncCall) and node.funcname:
            name = _catalog_name(node.funcname)
            if name is None:
                continue
            add(windowed if node.over is not None else calls, name)
            if (
                node.agg_star
                or node.agg_distinct
                or node.agg_order
                or node.agg_filter is not None
                or node.agg_within_group
            ) and node.over is None:
                add(aggregate_syntax, name)
    return ExprFacts(
        tuple(columns),
        subquery,
        tuple(calls),
        tuple(windowed),
        tuple(aggregate_syntax),
        tuple(value_functions),
    )
