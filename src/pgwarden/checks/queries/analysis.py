"""SQL text -> :class:`~.model.Access` per table and scope (sqlglot, Postgres dialect).

A subquery is its own scope. For each table a scope reads or changes: the columns
it filters, joins and orders on with their operators, the normalised AND-conjuncts
a partial index predicate must be implied by, and whether a LIMIT applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pgwarden.checks.queries.model import Access, Cond
from pgwarden.spec.model import Schema, Table


def _ident_norm(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Identifier):
        name = node.this if node.quoted else node.this.lower()
        return exp.Identifier(this=name, quoted=True)
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
        # qualifiers dropped: a conjunct on one table means the same under any alias
        return exp.Column(this=_ident_norm(node.this))
    return node


def _normalize(node: exp.Expr) -> str:
    copy = node.copy()
    copy = copy.transform(_ident_norm)
    while isinstance(copy, exp.Paren):
        copy = copy.this
    return copy.sql(dialect="postgres")


@cache
def normalize_text(text: str) -> str:
    """A condition's text in the normal form the index matching compares (pinned to pglast's
    by tests/queries/test_normalisers.py)."""
    return _normalize(sqlglot.parse_one(text, read="postgres", into=exp.Condition))


def _split_and(node: exp.Expr | None) -> list[exp.Expr]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _split_and(node.this) + _split_and(node.expression)
    return [node]


@cache
def conjuncts(text: str) -> frozenset[str]:
    """The normalised AND-conjuncts of a predicate (index WHERE clauses)."""
    try:
        node = sqlglot.parse_one(text, read="postgres", into=exp.Condition)
    except (ParseError, TokenError):
        return frozenset({text})
    return frozenset(_normalize(c) for c in _split_and(node))


def _name(ident: exp.Expr | str | None) -> str | None:
    if ident is None:
        return None
    if isinstance(ident, str):
        return ident
    if isinstance(ident, exp.Identifier):
        text = str(ident.this)
        return text if ident.quoted else text.lower()
    return None


_SCOPES = (exp.Select, exp.Update, exp.Delete)


class _Scope:
    """Tables of one SELECT/UPDATE/DELETE (alias -> spec table) and how to resolve columns."""

    def __init__(self, node: exp.Expr, schema: Schema, ctes: set[str]) -> None:
        self.node = node
        self.schema = schema
        self.aliases: dict[str, Table] = {}
        self.order: list[str] = []
        for t in self._tables(node):
            name = _name(t.this)
            if name is None or name in ctes:
                continue
            ns = _name(t.args.get("db"))
            if ns is not None and ns != schema.name:
                continue
            table = schema.table(name)
            if table is None:
                continue
            alias = _name(t.args["alias"].this) if t.args.get("alias") else None
            self.aliases[alias or name] = table
            if name not in self.aliases:
                self.aliases.setdefault(name, table)
            self.order.append(alias or name)

    @staticmethod
    def _tables(node: exp.Expr) -> Iterator[exp.Table]:
        keys = ["this", "from", "from_", "joins", "using"]
        if isinstance(node, exp.Select):
            keys = ["from", "from_", "joins"]
        for key in keys:
            value = node.args.get(key)
            for item in value if isinstance(value, list) else [value]:
                if item is None:
                    continue
                if isinstance(item, exp.Table):
                    yield item
                elif isinstance(item, exp.From | exp.Join) and isinstance(item.this, exp.Table):
                    yield item.this

    def resolve(self, col: exp.Column) -> Table | None:
        qual = _name(col.args.get("table"))
        if qual is not None:
            return self.aliases.get(qual)
        name = _name(col.this)
        owners = {id(t): t for t in self.aliases.values() if name and t.column(name)}
        return next(iter(owners.values())) if len(owners) == 1 else None


def _own_columns(node: exp.Expr) -> Iterator[exp.Column]:
    """Columns of ``node`` outside nested query scopes."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, exp.Column):
            yield cur
            continue
        for child in cur.iter_expressions():
            if isinstance(child, (*_SCOPES, exp.Subquery)):
                continue
            stack.append(child)


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _sides(node: exp.Expr) -> list[exp.Column]:
    """The plain columns a comparison side names: ``col``, ``(col)``, ``(a, b)``."""
    node = _unparen(node)
    if isinstance(node, exp.Column):
        return [node]
    if isinstance(node, exp.Tuple):
        return [e for e in (_unparen(x) for x in node.expressions) if isinstance(e, exp.Column)]
    return []


_CMP: dict[type[exp.Expr], str] = {
    exp.EQ: "=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}


def _top_level(node: exp.Expr) -> bool:
    """Not inside EXISTS, IN, a WHERE or a projection of another statement."""
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, exp.Exists | exp.In | exp.Where | exp.Having | exp.Any):
            return False
        if (
            isinstance(parent, exp.Subquery)
            and isinstance(parent.parent, _SCOPES)
            and parent.arg_key not in ("from", "from_", "joins", "with")
        ):
            return False
        if isinstance(parent, _SCOPES) and child.arg_key in ("expressions", "where"):
            return False
        child, parent = parent, parent.parent
    return True


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Update):
        return "update"
    if isinstance(node, exp.Delete):
        return "delete"
    return "select"


def analyse_statement(stmt: exp.Expr, schema: Schema) -> list[Access]:
    """One :class:`Access` per (scope, table) of a parsed statement."""
    ctes = {
        _name(c.args["alias"].this) or "" for c in stmt.find_all(exp.CTE) if c.args.get("alias")
    }
    out: list[Access] = []
    for node in stmt.find_all(*_SCOPES):
        scope = _Scope(node, schema, ctes)
        if not scope.aliases:
            continue
        by_table: dict[str, _Slot] = {}
        slot = _slotter(by_table)

        for key in scope.order:
            slot(scope.aliases[key])
        conditions: list[exp.Expr] = []
        where = node.args.get("where")
        if where is not None:
            conditions += _split_and(where.this)
        for join in node.args.get("joins") or []:
            conditions += _split_and(join.args.get("on"))
        for cond in conditions:
            _classify(cond, scope, slot)
            for col in cond.find_all(exp.Column):
                owner = scope.resolve(col) if _in_scope(col, node) else None
                if owner is not None:
                    slot(owner).mentions.add(_name(col.this) or "")
        order_node = node.args.get("order")
        if isinstance(node, exp.Select) and node.args.get("limit") and order_node is not None:
            owners: set[str] = set()
            ordered: list[tuple[str, bool]] = []
            for o in order_node.expressions:
                cols = _sides(o.this)
                owner = scope.resolve(cols[0]) if len(cols) == 1 else None
                if owner is None:
                    owners.add("?")
                    break
                owners.add(owner.name)
                ordered.append((_name(cols[0].this) or "", bool(o.args.get("desc"))))
            if len(owners) == 1 and "?" not in owners:
                slot(schema_table(schema, owners.pop())).order = ordered
        sets: frozenset[str] = frozenset()
        if isinstance(node, exp.Update):
            sets = frozenset(
                _name(e.this.this) or ""
                for e in node.expressions
                if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)
            )
        target = _name(node.this.this) if isinstance(node, exp.Update | exp.Delete) else None
        top = _top_level(node)
        for name, data in by_table.items():
            kind = _kind(node) if name == target or target is None else "select"
            out.append(
                Access(
                    name,
                    kind,
                    tuple(data.conds),
                    frozenset(data.preds),
                    tuple(data.order),
                    frozenset(data.mentions),
                    sets if name == target else frozenset(),
                    top,
                )
            )
    return out


def _slotter(by_table: dict[str, _Slot]) -> Callable[[Table], _Slot]:
    return lambda t: by_table.setdefault(t.name, _Slot())


@dataclass
class _Slot:
    conds: list[Cond] = field(default_factory=list)
    preds: set[str] = field(default_factory=set)
    mentions: set[str] = field(default_factory=set)
    order: list[tuple[str, bool]] = field(default_factory=list)


def schema_table(schema: Schema, name: str) -> Table:
    """The table ``name`` of the schema (the caller knows it exists)."""
    table = schema.table(name)
    assert table is not None
    return table


def _in_scope(col: exp.Column, scope: exp.Expr) -> bool:
    parent = col.parent
    while parent is not None and parent is not scope:
        if isinstance(parent, _SCOPES):
            return False
        parent = parent.parent
    return parent is scope


def _classify(cond: exp.Expr, scope: _Scope, add: Callable[[Table], _Slot]) -> None:
    """Record what one AND-conjunct does to each table of the scope."""
    cond = _unparen(cond)
    cols = [c for c in _own_columns(cond)]
    owners = {id(t): t for t in (scope.resolve(c) for c in cols) if t is not None}
    if len(owners) == 1 and len(cols) == len([c for c in cols if scope.resolve(c)]):
        only = next(iter(owners.values()))
        has_sub = any(isinstance(n, _SCOPES) for n in cond.find_all(*_SCOPES))
        if not has_sub:
            add(only).preds.add(_normalize(cond))

    def record(col: exp.Column, op: str) -> None:
        owner = scope.resolve(col)
        if owner is not None:
            add(owner).conds.append(Cond(_name(col.this) or "", op))

    def other_side_kind(node: exp.Expr, mine: Table | None) -> str:
        """``join`` when the other side names a column of another table, else ``value``."""
        for c in node.find_all(exp.Column):
            owner = scope.resolve(c)
            if owner is None or owner is not mine:
                return "join"
        return "value"

    negated = isinstance(cond, exp.Not)
    inner = _unparen(cond.this) if negated else cond
    if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
        if inner.args.get("negate"):
            negated = not negated
        for col in _sides(inner.this):
            record(col, "IS NOT NULL" if negated else "IS NULL")
        return
    if negated:
        return
    if isinstance(cond, tuple(_CMP)):
        op = _CMP[type(cond)]
        left, right = cond.this, cond.expression
        if isinstance(_unparen(right), exp.Any):
            for col in _sides(left):
                record(col, "= ANY" if op == "=" else op)
            return
        for a, b, o in ((left, right, op), (right, left, _FLIP[op])):
            sides = _sides(a)
            if not sides:
                continue
            mine = scope.resolve(sides[0])
            kind = other_side_kind(b, mine)
            if kind == "join" and o == "=":
                for col in sides:
                    record(col, "join")
            elif kind == "value" and not _sides(b):
                # a row comparison (a, b) > (x, y) is a range on its leading column
                if len(sides) > 1 and o != "=":
                    record(sides[0], o)
                else:
                    for col in sides:
                        record(col, o)
        return
    if isinstance(cond, exp.In):
        for col in _sides(cond.this):
            record(col, "IN")
        return
    if isinstance(cond, exp.Between):
        for col in _sides(cond.this):
            record(col, "BETWEEN")


# --------------------------------------------------------------------------- parsing text


_COPY_QUERY = re.compile(r"^\s*COPY\s*\((?P<q>.*)\)\s*TO\b", re.IGNORECASE | re.DOTALL)
_PYFORMAT = re.compile(r"%\((\w+)\)s")


def parse_sql(text: str) -> list[exp.Expr] | None:
    """Statements of ``text`` (None when sqlglot cannot parse it). ``%(name)s``
    parameters become ``%s`` first; ``COPY (query) TO`` yields the query."""
    m = _COPY_QUERY.match(text)
    if m:
        text = m.group("q")
    elif re.match(r"^\s*COPY\b", text, re.IGNORECASE):
        return []
    text = _PYFORMAT.sub("%s", text)
    try:
        return [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except (ParseError, TokenError):
        return None


def analyse_sql(text: str, schema: Schema) -> tuple[Access, ...] | None:
    """The table accesses of every statement of ``text`` (None: not SQL sqlglot can read)."""
    stmts = parse_sql(text)
    if stmts is None:
        return None
    return tuple(a for s in stmts for a in analyse_statement(s, schema))
