"""Online backfills: a declared backfill's ``UPDATE`` run in keyset batches.

The planner writes a backfill as one plain ``UPDATE t SET c = (expr) [WHERE ...]``
in a step marked ``atomic=false batched=true`` (so ``psql -f`` would still run it as
one statement). The runner does not: it walks the table's primary key, up to the
largest key when the step starts (later rows come from an application that knows the
column), in batches of ``--batch-size`` rows, each batch one short transaction (the step's ``SET
lock_timeout`` / ``statement_timeout`` apply to each batch), so a writer never waits
on the backfill for longer than one batch and no lock stronger than ROW EXCLUSIVE is
taken. Each batch's transaction also records the last key and the rows done in
``pgwarden.backfill_progress``, so after a crash ``apply`` resumes after the last
committed batch. A table without a primary key (or a backfill that sets a key
column) is updated in one transaction of its own, still after the DDL committed.

:func:`render_loop` is the text of the loop for display (``migrate apply --sql``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
from pglast import parse_sql
from psycopg import sql

from pgwarden.spec.exprs import print_expr
from pgwarden.spec.sqltext import trusted

#: Rows per batch when ``--batch-size`` is not given.
BATCH_SIZE = 10_000


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


def batch_query(
    update: BatchedUpdate, key: Sequence[tuple[str, str]], *, resume: bool, size: int
) -> sql.Composed:
    """One batch: the next ``size`` keys after the last one and up to the end key (the
    largest when the step started: rows inserted later were written by an application
    that knows the column), the rows updated, the new last key.

    Returns one row ``(keys picked, rows updated, last key as text[])``."""
    table = update.relation()
    names = [sql.Identifier(name) for name, _ in key]
    aliases = [_alias(n) for n in range(1, len(key) + 1)]
    sets = sql.SQL(", ").join(
        sql.SQL("{} = ({})").format(sql.Identifier(col), sql.SQL(_text(expr)))
        for col, expr in update.assignments
    )
    qualified = [
        sql.Identifier(*(p for p in (update.schema, update.table, name) if p)) for name, _ in key
    ]
    return sql.SQL(
        "WITH batch AS MATERIALIZED (SELECT {picked} FROM {table}{where} ORDER BY {order}"
        " LIMIT {size}), updated AS (UPDATE {table} SET {sets} FROM batch"
        " WHERE ({qualified}) = ({aliases}) RETURNING 1)"
        " SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM updated),"
        " (SELECT ARRAY[{as_text}] FROM batch ORDER BY {desc} LIMIT 1)"
    ).format(
        picked=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(n, a) for n, a in zip(names, aliases, strict=True)
        ),
        table=table,
        where=_conditions(update, key, resume=resume),
        order=sql.SQL(", ").join(names),
        size=sql.Literal(size),
        sets=sets,
        qualified=sql.SQL(", ").join(qualified),
        aliases=sql.SQL(", ").join(sql.SQL("batch.{}").format(a) for a in aliases),
        as_text=sql.SQL(", ").join(sql.SQL("{}::text").format(a) for a in aliases),
        desc=sql.SQL(", ").join(sql.SQL("{} DESC").format(a) for a in aliases),
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


def render_loop(statement: str, key: Sequence[tuple[str, str]], size: int = BATCH_SIZE) -> str:
    """The loop the runner runs for a batched step, as text to review (``--sql``).

    ``key``: the table's primary key ``(column, type)``; empty: the one-transaction
    fallback of a table without one."""
    update = parse_update(statement)
    if not key or set(update.columns) & {name for name, _ in key}:
        return (
            "-- batched backfill: no usable primary key, so one UPDATE in its own transaction\n"
            f"{statement.strip().rstrip(';')};\n"
        )
    n = len(key)
    first = batch_query(update, key, resume=False, size=size).as_string(None)
    first = first.replace("%%", "%").replace("%s", ":end", n)
    later = batch_query(update, key, resume=True, size=size).as_string(None)
    later = later.replace("%%", "%").replace("%s", ":last", n).replace("%s", ":end", n)
    return (
        f"-- batched backfill of {update.table}, {size:,} rows per transaction, in key order\n"
        "-- up to :end, the largest key when the step starts; each batch commits with its\n"
        "-- progress in pgwarden.backfill_progress (resumable):\n"
        f"BEGIN;\n{first};\nCOMMIT;\n"
        "-- then, until a batch picks no row, with :last = the previous batch's last key:\n"
        f"BEGIN;\n{later};\nCOMMIT;\n"
    )


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
