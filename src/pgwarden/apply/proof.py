"""Prove a spec on a real server: does what ``pgwarden sql`` renders create cleanly?

Offline validation cannot resolve operators and functions by argument types
(``text > integer``), read a literal the way a type's input function does, or
know an extension's objects; the server can. The whole schema is rendered into
a scratch namespace inside a transaction that is always rolled back (in a
database of its own when the server allows one, as Atlas's dev database), so
nothing is left behind. When the whole does not create, every object is tried
again in a savepoint of its own -- each column, key, check, index, policy --
so that one error does not hide the next, and each error is mapped back to the
spec object that caused it: file:line, dotted path, the server's message, hint
and the position inside the expression.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.db import connect, mask_secrets, with_dbname
from pgwarden.errors import DatabaseError, Problem
from pgwarden.introspect.canonical import SEARCH_PATH_FIRST
from pgwarden.planner import plan
from pgwarden.planner.ops import Op
from pgwarden.planner.ops.tables import CreateTable
from pgwarden.planner.tombstone import Guard
from pgwarden.render.sql import render_op, render_schema
from pgwarden.spec.citus import local_only
from pgwarden.spec.model import (
    Column,
    Index,
    Policy,
    Schema,
    Source,
    Table,
    View,
)

#: undefined column / table / object: what a refused object leaves for later ones
_FOLLOW_ON = frozenset({"42703", "42P01", "42704"})

SCRATCH_DATABASE = "pgwarden_validate"
"""The empty database proofs run in (created on first use when the role may)."""


@dataclass(frozen=True, slots=True)
class _Part:
    """One thing that may fail on its own: where it is declared, and its SQL."""

    source: Source | None
    key: str
    expression: str | None


def prove(schema: Schema, url: str) -> list[Problem]:
    """Every problem the server finds creating ``schema``; [] when it creates cleanly."""
    with scratch_connection(url) as conn:
        return prove_on(conn, schema)


def prove_on(conn: psycopg.Connection[Any], schema: Schema) -> list[Problem]:
    """:func:`prove` on an open connection (not in a transaction; left as it was)."""
    scratch = f"pgwarden_proof_{uuid.uuid4().hex[:12]}"
    target = replace(local_only(schema), name=scratch)
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
        conn.execute(SEARCH_PATH_FIRST, (scratch,))
        if _runs(conn, render_schema(target)) is None:
            return []
        return _Diagnosis(conn, schema).run(plan(Schema(name=scratch), target).ops)


@contextmanager
def scratch_connection(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the scratch database (created when missing), else to ``url``'s."""
    try:
        with connect(url) as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (SCRATCH_DATABASE,)
            ).fetchone()
            if found is None:
                try:
                    admin.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                            sql.Identifier(SCRATCH_DATABASE)
                        )
                    )
                    found = (1,)
                except (psycopg.errors.InsufficientPrivilege, psycopg.errors.DuplicateDatabase):
                    found = admin.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (SCRATCH_DATABASE,)
                    ).fetchone()
        scratch_url = with_dbname(url, SCRATCH_DATABASE) if found else url
        with connect(scratch_url, autocommit=False) as conn:
            yield conn
    except (psycopg.OperationalError, DatabaseError) as exc:
        raise DatabaseError(
            f"cannot prove the spec on the server: {mask_secrets(str(exc)).strip()}\n"
            "  or skip the proof: --offline (validate) or PGWARDEN_OFFLINE=1"
        ) from None


def _runs(conn: psycopg.Connection[Any], ddl: str, *, keep: bool = True) -> psycopg.Error | None:
    """None when ``ddl`` runs (in a savepoint: kept when ``keep``), else the error."""
    try:
        with conn.transaction(force_rollback=not keep):
            conn.execute(ddl.encode())  # bytes: no client-side % placeholders
    except psycopg.Error as exc:
        return exc
    return None


class _Diagnosis:
    """Try each object alone; keep the ones that create, so later objects can
    refer to them, and report the others."""

    def __init__(self, conn: psycopg.Connection[Any], spec: Schema) -> None:
        self.conn = conn
        self.spec = spec
        self.problems: list[Problem] = []
        self.broken: set[str] = set()

    def run(self, ops: tuple[Op, ...]) -> list[Problem]:
        for op in ops:
            if isinstance(op, CreateTable):
                if _runs(self.conn, _ddl(op)) is not None:
                    self._table(op.table)  # only a table that fails is taken apart
                continue
            ddl = _ddl(op)
            error = _runs(self.conn, ddl)
            table = getattr(op, "table", None)
            if error is None:
                continue
            if table in self.broken and error.sqlstate in _FOLLOW_ON:
                continue  # a column or table already reported as refused
            self._report(error, ddl, self._part_of(op), table if isinstance(table, str) else None)
        if not self.problems:
            # the objects create one by one but not together: say what the server said
            error = _runs(self.conn, render_schema(self.spec), keep=False)
            part = _Part(None, "", None)
            self._report(error or psycopg.Error("the schema does not create"), "", part, None)
        return self.problems

    def _table(self, table: Table) -> None:
        bare = _bare(table)
        columns = []
        for column, plain in zip(table.columns, bare.columns, strict=True):
            ddl = _ddl(CreateTable(replace(bare, columns=(plain,))))
            error = _runs(self.conn, ddl, keep=False)
            if error is None:
                columns.append(plain)
            else:
                self._report(error, ddl, _Part(column.source, "type", None), table.name)
        kept = replace(bare, columns=tuple(columns))
        good = {c.name for c in columns}
        full = {c.name: c for c in table.columns if c.name in good and c != _plain(c)}
        made_full: set[str] = set()
        passed: dict[str, list[Any]] = {"checks": [], "uniques": [], "exclusions": []}
        primary_key = None

        def tried(variant: Table, part: _Part) -> bool:
            ddl = _ddl(CreateTable(variant))
            error = _runs(self.conn, ddl, keep=False)
            if error is not None:
                self._report(error, ddl, part, table.name)
            return error is None

        for name, column in full.items():
            cols = tuple(column if c.name == name else c for c in kept.columns)
            key, expr = _column_key(column)
            if tried(replace(kept, columns=cols), _Part(column.source, key, expr)):
                made_full.add(name)
        pk = table.primary_key
        if pk is not None and tried(replace(kept, primary_key=pk), _Part(pk.source, "", None)):
            primary_key = pk
        for check in table.checks:
            part = _Part(check.source, "expression", check.expression)
            if tried(replace(kept, checks=(check,)), part):
                passed["checks"].append(check)
        for unique in table.uniques:
            if tried(replace(kept, uniques=(unique,)), _Part(unique.source, "", None)):
                passed["uniques"].append(unique)
        for x in table.exclusions:
            if tried(replace(kept, exclusions=(x,)), _Part(x.source, "", x.where)):
                passed["exclusions"].append(x)
        together = replace(
            kept,
            columns=tuple(full[c.name] if c.name in made_full else c for c in kept.columns),
            primary_key=primary_key,
            checks=tuple(passed["checks"]),
            uniques=tuple(passed["uniques"]),
            exclusions=tuple(passed["exclusions"]),
        )
        ddl = _ddl(CreateTable(together))
        error = _runs(self.conn, ddl)
        if error is not None:  # each part created alone, not together
            self._report(error, ddl, _Part(table.source, "", None), table.name)
            _runs(self.conn, _ddl(CreateTable(kept)))

    def _part_of(self, op: Op) -> _Part:
        for f in fields(op):  # type: ignore[arg-type]
            value = getattr(op, f.name)
            if isinstance(value, Index):
                return _Part(value.source, "where" if value.where else "", value.where)
            if isinstance(value, Policy):
                expr = value.using or value.with_check
                return _Part(value.source, "using" if value.using else "with_check", expr)
            if isinstance(value, View):
                return _Part(value.source, "query", None)
            if isinstance(value, Guard):
                owner = self.spec.table(value.owner)
                return _Part(owner.source if owner else None, "tombstone", None)
            source = getattr(value, "source", None)
            if isinstance(source, Source):
                return _Part(source, "", None)
        name = getattr(op, "table", None)
        table = self.spec.table(name) if isinstance(name, str) else None
        column = getattr(op, "column", None)
        if table is not None and isinstance(column, str) and table.column(column) is not None:
            found = table.column(column)
            return _Part(found.source if found else None, "", None)
        return _Part(table.source if table is not None else None, "", None)

    def _report(self, error: psycopg.Error, ddl: str, part: _Part, table: str | None) -> None:
        if table is not None:
            self.broken.add(table)
        self.problems.append(_problem(error, ddl, part))


def _ddl(op: Op) -> str:
    return "".join(f"{st.text()};\n" for st in render_op(op))


def _plain(column: Column) -> Column:
    return replace(column, default=None, generated=None, collation=None)


def _bare(table: Table) -> Table:
    """The table's columns with their types only: what every part is tried against."""
    return replace(
        table,
        columns=tuple(_plain(c) for c in table.columns),
        primary_key=None,
        checks=(),
        uniques=(),
        exclusions=(),
    )


def _column_key(column: Column) -> tuple[str, str | None]:
    if column.generated is not None:
        return "generated", column.generated
    if column.default is not None:
        return "default", column.default
    return "collation", None


def _problem(error: psycopg.Error, ddl: str, part: _Part) -> Problem:
    diag = error.diag
    message = mask_secrets(diag.message_primary or str(error).strip().splitlines()[0])
    where = _position(ddl, diag.statement_position, part.expression)
    hints = [h for h in (diag.message_detail, diag.message_hint) if h]
    hint = "; ".join(mask_secrets(h) for h in hints) if hints else None
    source = part.source
    path = source.path if source else ""
    if part.key:
        path = f"{path}.{part.key}" if path else part.key
    text = f"PostgreSQL refuses it: {message}{where}"
    fix = f"{hint} (the server's hint)" if hint else _FIXES.get(part.key, _FIXES[""])
    line = source.line if source else None
    return Problem(source.file if source else "<spec>", path, text, fix, line)


_EXPRESSION_FIX = "correct the expression (the message says what the server cannot resolve)"
_FIXES = {
    "default": "give a default the column's type accepts (default_sql for an expression)",
    "generated": _EXPRESSION_FIX,
    "expression": _EXPRESSION_FIX,
    "where": _EXPRESSION_FIX,
    "using": _EXPRESSION_FIX,
    "with_check": _EXPRESSION_FIX,
    "type": "use a type the server knows (or declare the extension that defines it)",
    "": "correct this object in the spec",
}


def _position(ddl: str, position: str | None, expression: str | None) -> str:
    """`` at character N of `expr` `` when the server's cursor falls in the expression."""
    if not position or not position.isdigit() or not expression:
        return ""
    at = int(position) - 1
    start = ddl.find(expression)
    if start < 0 or not start <= at < start + len(expression):
        return ""
    return f" (at character {at - start + 1} of {expression!r})"
