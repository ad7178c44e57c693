"""Online backfills: a declared backfill's ``UPDATE`` run in keyset batches.

The planner writes a backfill as one plain ``UPDATE t SET c = (expr) [WHERE ...]``
in a step marked ``atomic=false batched=true`` (so ``psql -f`` would still run it as
one statement). The runner does not: it walks the table's primary key, up to the
largest key when the step starts (later rows come from an application that knows the
column), in batches each one short transaction (the step's ``SET lock_timeout`` /
``statement_timeout`` apply to each batch), so a writer never waits on the backfill for
longer than one batch and no lock stronger than ROW EXCLUSIVE is taken. A batch is
sized by time (:class:`BatchSizer`): the first takes :data:`FIRST_BATCH` rows, each next
one is sized from the last one's measured transaction so that it takes about
``--batch-time`` (default 50 ms), never more than ``--batch-size`` rows. Each batch's
transaction also records the last key and the rows done in
``pgwarden.backfill_progress``, so after a crash ``apply`` resumes after the last
committed batch (sizing starts over: it depends on the machine, not on the key). A
table without a primary key (or a backfill that sets a key column) is updated in one
transaction of its own, still after the DDL committed.

:func:`render_loop` is the text of the loop for display (``migrate apply --sql``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
from pglast import parse_sql
from pglast.enums import ConstrType, ObjectType
from pglast.stream import RawStream
from psycopg import sql

from pgwarden.spec.exprs import print_expr
from pgwarden.spec.sqltext import trusted
from pgwarden.spec.types import TypeSyntaxError, parse_type, type_sql

#: The most rows a batch takes when ``--batch-size`` is not given.
BATCH_SIZE = 10_000

#: The target duration of one batch's transaction (seconds) when ``--batch-time`` is
#: not given: a writer that meets a batch's row locks waits about this long.
BATCH_TIME = 0.05

#: Rows of the first batch of a time-sized run (then grown or shrunk from its duration).
FIRST_BATCH = 100

#: Bounds of one resize: at most double (one slow batch at a larger size costs a writer
#: little), shrink as far as the measurement says (down to a tenth at once).
_GROW, _SHRINK = 2.0, 0.1


@dataclass(slots=True)
class BatchSizer:
    """The rows of the next batch: ``limit`` rows each when ``target`` is 0, otherwise
    sized so a batch's transaction takes about ``target`` seconds (at most ``limit``)."""

    limit: int
    target: float
    size: int = 0

    def __post_init__(self) -> None:
        self.size = min(self.limit, FIRST_BATCH) if self.target > 0 else self.limit

    def measured(self, rows: int, seconds: float) -> None:
        """Resize from the last batch: it visited ``rows`` keys in ``seconds``."""
        if self.target <= 0 or rows < self.size:  # a short last batch says nothing
            return
        factor = self.target / seconds if seconds > 0 else _GROW
        factor = min(_GROW, max(_SHRINK, factor))
        self.size = max(1, min(self.limit, round(self.size * factor)))


class BackfillShapeError(ValueError):
    """The statement of a ``batched=true`` step is not a plain one-table UPDATE."""


@dataclass(frozen=True, slots=True)
class BatchedUpdate:
    """``UPDATE table SET column = (expression), ... [WHERE where]``, taken apart."""

    schema: str | None
    table: str
    assignments: tuple[tuple[str, str], ...]
    """(column, expression text) in the statement's order."""
    where: str | None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the UPDATE sets, in the statement's order."""
        return tuple(c for c, _ in self.assignments)

    def relation(self) -> sql.Identifier:
        """The updated table as an identifier (schema-qualified when the statement was)."""
        return (
            sql.Identifier(self.schema, self.table) if self.schema else sql.Identifier(self.table)
        )


def parse_update(statement: str) -> BatchedUpdate:
    """Read a batched step's statement; :class:`BackfillShapeError` says what is wrong."""
    try:
        node: Any = parse_sql(statement)[0].stmt
    except Exception as exc:
        raise BackfillShapeError(f"does not parse: {exc}") from None
    if type(node).__name__ != "UpdateStmt":
        raise BackfillShapeError("a batched step holds one UPDATE (besides SET statements)")
    if node.fromClause or node.returningClause or node.withClause:
        raise BackfillShapeError("a batched UPDATE has no FROM, RETURNING or WITH")
    if node.relation.inh is False:
        raise BackfillShapeError("a batched UPDATE has no ONLY")
    if node.relation.alias is not None:
        raise BackfillShapeError("a batched UPDATE names its table without an alias")
    assignments: list[tuple[str, str]] = []
    for target in node.targetList:
        if target.indirection or type(target.val).__name__ in ("MultiAssignRef", "SetToDefault"):
            raise BackfillShapeError("a batched UPDATE sets whole columns: SET col = (expr), ...")
        assignments.append((str(target.name), print_expr(target.val)))
    where = print_expr(node.whereClause) if node.whereClause is not None else None
    return BatchedUpdate(node.relation.schemaname, node.relation.relname, tuple(assignments), where)


def _text(text: str) -> LiteralString:
    # the expression is the reviewed migration file's SQL: it is the query, not a value;
    # a literal % would be read as a placeholder since the batch query takes parameters
    return trusted(text.replace("%", "%%"))


def _alias(n: int) -> sql.Identifier:
    return sql.Identifier(f"__pgwarden_k{n}")


def _conditions(
    update: BatchedUpdate, key: Sequence[tuple[str, str]], *, resume: bool
) -> sql.Composable:
    """``WHERE`` of the keys still to visit: after the last key (``resume``), up to the
    end key, and the UPDATE's own condition. Parameters: the last key (when resuming),
    then the end key, each column as text cast to its type."""
    names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in key)
    values = sql.SQL(", ").join(sql.SQL("%s::" + _text(kind)) for _, kind in key)
    conds: list[sql.Composable] = []
    if resume:
        conds.append(sql.SQL("({}) > ({})").format(names, values))
    conds.append(sql.SQL("({}) <= ({})").format(names, values))
    if update.where is not None:
        conds.append(sql.SQL("({})").format(sql.SQL(_text(update.where))))
    return sql.SQL(" WHERE {}").format(sql.SQL(" AND ").join(conds))


def batch_bound(
    update: BatchedUpdate, key: Sequence[tuple[str, str]], *, resume: bool, size: int | None
) -> sql.Composed:
    """The last key of the next batch: the ``size``-th key after the last one (up to the
    end key) that the UPDATE's condition selects; no row: the rest fits in this batch.

    An index-only walk of the key. Parameters as :func:`_conditions`; returns the key as
    ``text[]``. ``size`` None: ``OFFSET :size - 1`` (the text of a time-sized loop)."""
    names = [sql.Identifier(name) for name, _ in key]
    return sql.SQL(
        "SELECT ARRAY[{as_text}] FROM {table}{where} ORDER BY {order} OFFSET {skip} LIMIT 1"
    ).format(
        as_text=sql.SQL(", ").join(sql.SQL("{}::text").format(n) for n in names),
        table=update.relation(),
        where=_conditions(update, key, resume=resume),
        order=sql.SQL(", ").join(names),
        skip=sql.SQL(":size - 1") if size is None else sql.Literal(size - 1),
    )


def batch_update(
    update: BatchedUpdate, key: Sequence[tuple[str, str]], *, resume: bool
) -> sql.Composed:
    """One batch: the UPDATE over the keys after the last one up to the batch's last key
    (:func:`batch_bound`, or the end key for the final batch).

    A range of the key with constant bounds, so the planner walks the key's index over
    about the batch's rows whatever its size (a join to a list of picked keys turns into
    a scan of the whole table once the list is large). Parameters as :func:`_conditions`,
    the batch's last key in the place of the end key."""
    sets = sql.SQL(", ").join(
        sql.SQL("{} = ({})").format(sql.Identifier(col), sql.SQL(_text(expr)))
        for col, expr in update.assignments
    )
    return sql.SQL("UPDATE {table} SET {sets}{where}").format(
        table=update.relation(), sets=sets, where=_conditions(update, key, resume=resume)
    )


def end_key(
    conn: psycopg.Connection[Any], update: BatchedUpdate, key: Sequence[tuple[str, str]]
) -> tuple[str, ...] | None:
    """The largest key now (None: an empty table): where this run's batches stop."""
    row = conn.execute(
        sql.SQL("SELECT ARRAY[{}] FROM {} ORDER BY {} LIMIT 1").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(n)) for n, _ in key),
            update.relation(),
            sql.SQL(", ").join(sql.SQL("{} DESC").format(sql.Identifier(n)) for n, _ in key),
        )
    ).fetchone()
    return None if row is None else tuple(str(v) for v in row[0])


def render_loop(
    statement: str,
    key: Sequence[tuple[str, str]],
    size: int = BATCH_SIZE,
    seconds: float = BATCH_TIME,
) -> str:
    """The loop the runner runs for a batched step, as text to review (``--sql``).

    ``key``: the table's primary key ``(column, type)``; empty: the one-transaction
    fallback of a table without one. ``size`` / ``seconds``: the runner's batch size
    and batch time (0: fixed batches of ``size`` rows)."""
    update = parse_update(statement)
    if not key or set(update.columns) & {name for name, _ in key}:
        return (
            "-- batched backfill: no usable primary key, so one UPDATE in its own transaction\n"
            f"{statement.strip().rstrip(';')};\n"
        )
    n = len(key)
    limit = None if seconds > 0 else size

    def shown(query: sql.Composed, *values: str) -> str:
        # placeholders in order: each value stands for the n key columns' %s
        names = iter([v for v in values for _ in range(n)])
        return re.sub(
            r"%%|%s", lambda m: "%" if m[0] == "%%" else next(names), query.as_string(None)
        )

    if limit is None:
        sizing = (
            f"-- batched backfill of {update.table}, in key order, :size rows per transaction:\n"
            f"-- {min(size, FIRST_BATCH):,} first, then sized from the previous batch's time so a\n"
            f"-- batch takes about {seconds * 1000:g} ms (at most double the last, at most "
            f"{size:,})\n"
        )
    else:
        sizing = (
            f"-- batched backfill of {update.table}, {size:,} rows per transaction, in key order\n"
        )
    first = (
        f"{shown(batch_bound(update, key, resume=False, size=limit), ':end')};\n"
        f"{shown(batch_update(update, key, resume=False), ':upto')};\n"
    )
    later = (
        f"{shown(batch_bound(update, key, resume=True, size=limit), ':last', ':end')};\n"
        f"{shown(batch_update(update, key, resume=True), ':last', ':upto')};\n"
    )
    return (
        sizing + "-- up to :end, the largest key when the step starts; each batch commits with\n"
        "-- its progress in pgwarden.backfill_progress (resumable); :upto = the first query's\n"
        "-- key (no row: :end, the last batch):\n"
        f"BEGIN;\n{first}COMMIT;\n"
        "-- then, until a batch's :upto is :end, with :last = the previous batch's :upto:\n"
        f"BEGIN;\n{later}COMMIT;\n"
    )


#: serials are their integer types once created (the rest: spec/types' one alias table)
_SERIALS = {"smallserial": "smallint", "serial": "integer", "bigserial": "bigint"}

TABLE = ObjectType.OBJECT_TABLE


def _format_type(node: Any) -> str:
    """A column's type as ``format_type`` spells it (what :func:`primary_key` reads),
    from pglast's printing of the ``CREATE TABLE``'s type name."""
    text = RawStream()(node)
    try:
        parsed = parse_type(_SERIALS.get(text.lower(), text))
    except TypeSyntaxError:
        return text
    return type_sql(parsed).as_string(None) if parsed.is_builtin else text


def created_key(
    statements: Sequence[str], update: BatchedUpdate, schema: str = "public"
) -> list[tuple[str, str]] | None:
    """The primary key ``(column, type)`` the table of ``update`` has after ``statements``
    (the steps of the run before the backfill) if one of them creates it, as
    :func:`primary_key` will read it then: empty when it is created without one; None
    when no statement creates it."""

    def same(relation: Any) -> bool:
        return bool(relation.relname == update.table) and (relation.schemaname or schema) == (
            update.schema or schema
        )

    types: dict[str, str] | None = None
    key: list[str] = []
    for text in statements:
        try:
            nodes = parse_sql(text)
        except Exception:
            continue  # not ours to judge here: the runner reports it when it runs
        for raw in nodes:
            node: Any = raw.stmt
            kind = type(node).__name__
            if kind == "CreateStmt" and same(node.relation):
                types, key = {}, []
                for elt in node.tableElts or ():
                    if type(elt).__name__ == "ColumnDef":
                        types[elt.colname] = _format_type(elt.typeName)
                        for con in elt.constraints or ():
                            if con.contype == ConstrType.CONSTR_PRIMARY:
                                key = [elt.colname]
                    elif getattr(elt, "contype", None) == ConstrType.CONSTR_PRIMARY:
                        key = [k.sval for k in elt.keys]
            elif kind == "DropStmt" and types is not None and node.removeType == TABLE:
                for obj in node.objects or ():
                    names = [n.sval for n in obj]
                    if names[-1] == update.table and (names[:-1] or [schema]) == [
                        update.schema or schema
                    ]:
                        types, key = None, []
            elif kind == "AlterTableStmt" and types is not None and same(node.relation):
                for cmd in node.cmds or ():
                    con = cmd.def_
                    if type(con).__name__ == "ColumnDef":
                        types[con.colname] = _format_type(con.typeName)
                    elif getattr(con, "contype", None) == ConstrType.CONSTR_PRIMARY and con.keys:
                        key = [k.sval for k in con.keys]
    if types is None:
        return None
    return [(name, types.get(name, "text")) for name in key]


def primary_key(conn: psycopg.Connection[Any], update: BatchedUpdate) -> list[tuple[str, str]]:
    """The table's primary key columns with their types, in key order (empty: none)."""
    rows = conn.execute(
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)"
        " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
        " WHERE i.indrelid = pg_catalog.to_regclass(%s) AND i.indisprimary"
        " ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)",
        (update.relation().as_string(conn),),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def remaining(
    conn: psycopg.Connection[Any],
    update: BatchedUpdate,
    key: Sequence[tuple[str, str]],
    last: tuple[str, ...] | None,
    end: tuple[str, ...],
) -> int:
    """Rows the batches after ``last`` up to ``end`` will visit (the progress total)."""
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {}{}").format(
            update.relation(), _conditions(update, key, resume=last is not None)
        ),
        [*(last or ()), *end],
    ).fetchone()
    return int(row[0]) if row else 0
