"""Index matching: which index of the spec serves an :class:`~.model.Access`.

A btree serves the conditions on a prefix of its columns (equality, then one
range) and an ORDER BY + LIMIT that follows its column order after that prefix;
a partial index only a query whose WHERE implies every conjunct of its predicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from psycopg import sql

from pgwarden.checks.queries.analysis import conjuncts, normalize_text
from pgwarden.checks.queries.model import EQ_OPS, RANGE_OPS, Access, Query
from pgwarden.spec.model import Table


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """A primary key, unique constraint or index of the spec, as the matcher sees it."""

    table: str
    name: str
    columns: tuple[str | None, ...]
    """None for an expression element (never matched to a plain column)."""
    descending: tuple[bool, ...]
    kind: str
    """``primary key``, ``unique`` (constraint) or ``index``."""
    unique: bool = False
    method: str = "btree"
    where: frozenset[str] | None = None
    where_text: str | None = None

    @property
    def constraint(self) -> bool:
        """A key constraint or unique index: it enforces a rule (never reported as unused)."""
        return self.kind != "index" or self.unique


def table_indexes(table: Table) -> list[IndexInfo]:
    """Every index of ``table`` and the indexes its keys and unique constraints create."""
    out: list[IndexInfo] = []
    if table.primary_key:
        cols = table.primary_key.columns
        out.append(
            IndexInfo(table.name, table.primary_key.name, cols, (False,) * len(cols), "primary key")
        )
    for u in table.uniques:
        out.append(
            IndexInfo(table.name, u.name, u.columns, (False,) * len(u.columns), "unique", True)
        )
    for i in table.indexes:
        out.append(
            IndexInfo(
                table.name,
                i.name,
                tuple(e.column for e in i.elements),
                tuple(e.descending for e in i.elements),
                "index",
                i.unique,
                i.method,
                conjuncts(i.where) if i.where else None,
                i.where,
            )
        )
    return out


def usable(index: IndexInfo, access: Access) -> bool:
    """A partial index serves only queries whose WHERE implies its predicate: every
    conjunct of the predicate is a conjunct of the query (``col IS NOT NULL`` is also
    implied by a comparison on ``col``, which is never true for NULL)."""
    if index.where is None:
        return True
    implied = set(access.predicates) | {
        normalize_text(f'"{c}" IS NOT NULL') for c in access.filtered
    }
    return index.where <= implied


def _prefix(index: IndexInfo, eq: Sequence[str]) -> int:
    n = 0
    for col in index.columns:
        if col is None or col not in eq:
            break
        n += 1
    return n


def filter_score(index: IndexInfo, access: Access) -> int:
    """How many leading index columns the access constrains (0: the index cannot serve it)."""
    if not usable(index, access) or not index.columns or index.columns[0] is None:
        return 0
    eq = access.columns(EQ_OPS)
    if index.method == "hash":
        return 1 if len(index.columns) == 1 and index.columns[0] in eq else 0
    if index.method != "btree":
        return 0
    n = _prefix(index, eq)
    if n < len(index.columns) and index.columns[n] in access.columns(RANGE_OPS):
        n += 1
    return n


def serves_order(index: IndexInfo, access: Access) -> bool:
    """The index returns rows already in ORDER BY order after its equality prefix."""
    if not access.order or index.method != "btree" or not usable(index, access):
        return False
    eq = access.columns(EQ_OPS)
    start = _prefix(index, eq)
    order = [(c, d) for c, d in access.order if not (c in eq and c not in index.columns[start:])]
    if not order:
        return True
    window = list(zip(index.columns[start:], index.descending[start:], strict=True))
    if len(window) < len(order):
        return False
    flips = {w[1] != o[1] for w, o in zip(window, order, strict=False)}
    same_cols = all(w[0] == o[0] for w, o in zip(window, order, strict=False))
    return same_cols and len(flips) == 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an access needs an index, and which one serves it."""

    needs: bool
    index: IndexInfo | None
    missing: str = ""
    """What no index serves: ``filter``, ``join``, ``ORDER BY + LIMIT``."""


def serving_index(access: Access, indexes: Sequence[IndexInfo]) -> Verdict:
    """The best index for the access's filter/join (and its ORDER BY + LIMIT)."""
    filtered = access.filtered
    best: IndexInfo | None = None
    best_key: tuple[int, int, str] = (0, 0, "")
    for ix in indexes:
        score = filter_score(ix, access)
        ordered = serves_order(ix, access)
        if score == 0 and not ordered:
            continue
        key = (score + (1 if ordered else 0), 1 if ix.constraint else 0, ix.name)
        if (
            best is None
            or key[:2] > best_key[:2]
            or (key[:2] == best_key[:2] and key[2] < best_key[2])
        ):
            best, best_key = ix, key
    needs_filter = bool(filtered)
    needs_order = bool(access.order)
    if not needs_filter and not needs_order:
        return Verdict(False, best)
    filter_ok = not needs_filter or any(filter_score(ix, access) for ix in indexes)
    order_ok = not needs_order or any(serves_order(ix, access) for ix in indexes)
    if filter_ok and (order_ok or (needs_filter and _filter_unique(access, indexes))):
        return Verdict(True, best)
    if not filter_ok:
        only_join = all(c.op == "join" for c in access.conds if c.column in filtered)
        return Verdict(True, None, "join" if only_join else "filter")
    return Verdict(True, None, "ORDER BY + LIMIT")


def _filter_unique(access: Access, indexes: Sequence[IndexInfo]) -> bool:
    """Equality on every column of a unique key: at most one row, nothing to sort."""
    eq = access.columns(EQ_OPS - {"IN", "= ANY"})
    return any(
        ix.constraint and ix.columns and all(c in eq for c in ix.columns) and usable(ix, access)
        for ix in indexes
    )


def suggested_columns(access: Access) -> tuple[str, ...]:
    """Equality columns first (any order serves them), then the ORDER BY or one range column."""
    cols = list(access.columns(EQ_OPS))
    if access.order:
        cols += [c for c, _ in access.order if c not in cols]
    else:
        cols += [c for c in access.columns(RANGE_OPS) if c not in cols][:1]
    return tuple(cols)


def create_index_sql(
    schema_name: str, table: str, columns: Sequence[str], where: str | None = None
) -> str:
    """The fix for a missing index: CREATE INDEX CONCURRENTLY with the conventional name."""
    from pgwarden.spec import names

    stmt = sql.SQL("CREATE INDEX CONCURRENTLY {} ON {} ({})").format(
        sql.Identifier(names.index(table, columns)),
        sql.Identifier(schema_name, table),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
    )
    text = stmt.as_string(None)
    return f"{text} WHERE {where}" if where else text


def index_used(index: IndexInfo, queries: Iterable[Query]) -> bool:
    """Some analysed query can use the index (filter, join or order)."""
    return any(
        filter_score(index, a) > 0 or serves_order(index, a)
        for q in queries
        for a in q.accesses
        if a.table == index.table
    )


def covers_foreign_key(index: IndexInfo, table: Table) -> str | None:
    """The foreign key whose referencing columns lead the index (its ON DELETE check uses it)."""
    for fk in table.foreign_keys:
        n = len(fk.columns)
        if index.method == "btree" and set(index.columns[:n]) == set(fk.columns):
            return fk.name
    return None
