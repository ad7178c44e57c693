"""The data step behind ``pgwarden migrate encrypt``: seal the values already stored in
``secret = "encrypted"`` columns, in batches (docs/generate.md, "Secret columns").

Marking a column encrypted changes no DDL (the column stays text or bytea), so the
planner has nothing to plan; what must change is the data. :class:`EncryptStep` finds
the rows whose value is not yet a pgwarden envelope (with ``rotate``: not sealed by the
current key), reads a batch ``FOR UPDATE``, seals it in Python with the same envelope
code the generated package runs (:mod:`pgwarden.crypto`) and writes it back by ``ctid``
in the same transaction. Each batch commits on its own, so an interrupted run loses at
most one batch of work and the next run continues where it stopped; rows written
meanwhile in plain text by an old application version are picked up by the next run.

The interface is small on purpose (``pending``, ``run(conn, progress)``): the migration
runner's batched data steps can schedule it like any other batch job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.crypto import PREFIX, CryptoError, Sealer, key_id_of
from pgwarden.errors import PgwardenError
from pgwarden.spec.model import Schema

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class SealTarget:
    """One encrypted column: where it is and whether it is bytea."""

    schema: str
    table: str
    column: str
    binary: bool

    @property
    def context(self) -> str:
        """The associated data its envelopes carry (what the generated package uses)."""
        return f"{self.table}.{self.column}"


def targets(schema: Schema, only: Sequence[str] = ()) -> list[SealTarget]:
    """Every ``secret = "encrypted"`` column of the spec, or those named ``Table.column``."""
    found = [
        SealTarget(schema.name, t.name, c.name, c.type.name == "bytea")
        for t in schema.tables
        for c in t.columns
        if c.secret == "encrypted"
    ]
    if not only:
        return found
    names = {f.context: f for f in found}
    unknown = [n for n in only if n not in names]
    if unknown:
        listed = ", ".join(sorted(names)) or "none"
        raise PgwardenError(
            f"not an encrypted column of the spec: {', '.join(unknown)}\n"
            f'  fix: name Table.column of a column marked secret = "encrypted" ({listed})'
        )
    return [names[n] for n in only]


class EncryptStep:
    """Seal one column's stored values, ``batch_size`` rows per transaction."""

    def __init__(
        self, target: SealTarget, sealer: Sealer, *, batch_size: int = 1000, rotate: bool = False
    ) -> None:
        if batch_size < 1:
            raise PgwardenError("--batch-size must be at least 1")
        self.target = target
        self.sealer = sealer
        self.batch_size = batch_size
        self.rotate = rotate

    def _wanted(self) -> tuple[sql.Composable, list[Any]]:
        """The predicate of rows still to seal, and its parameters."""
        col = sql.Identifier(self.target.column)
        prefix = PREFIX
        if self.rotate:
            prefix = f"{PREFIX}{self.sealer.keys.current()[0]}:"
        if self.target.binary:
            cond = sql.SQL("{} IS NOT NULL AND substring({} FROM 1 FOR %s) <> %s::bytea").format(
                col, col
            )
            return cond, [len(prefix.encode()), prefix.encode()]
        return sql.SQL("{} IS NOT NULL AND NOT starts_with({}, %s)").format(col, col), [prefix]

    def _table(self) -> sql.Composable:
        return sql.Identifier(self.target.schema, self.target.table)

    def pending(self, conn: psycopg.Connection[Any]) -> int:
        """How many rows are still to seal."""
        cond, params = self._wanted()
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE {}").format(self._table(), cond), params
        ).fetchone()
        return int(row[0]) if row else 0

    def _value(self, stored: Any) -> Any:
        context = self.target.context
        value: str | bytes = bytes(stored) if self.target.binary else str(stored)
        if self.rotate and key_id_of(value) is not None:
            value = self.sealer.open(context, value)  # sealed by an older key: reseal
        return self.sealer.seal(context, value)

    def run(self, conn: psycopg.Connection[Any], progress: Progress | None = None) -> int:
        """Seal every pending row; returns the number of rows sealed."""
        total = self.pending(conn)
        cond, params = self._wanted()
        col = sql.Identifier(self.target.column)
        pick = sql.SQL("SELECT ctid, {} FROM {} WHERE {} LIMIT %s FOR UPDATE").format(
            col, self._table(), cond
        )
        array = "bytea[]" if self.target.binary else "text[]"
        write = sql.SQL(
            "UPDATE {} AS t SET {} = v.value FROM unnest(%s::tid[], %s::{}) AS v(id, value) "
            "WHERE t.ctid = v.id"
        ).format(self._table(), col, sql.SQL(array))
        done = 0
        while True:
            with conn.transaction():
                rows = conn.execute(pick, [*params, self.batch_size]).fetchall()
                if not rows:
                    break
                try:
                    values = [self._value(v) for _, v in rows]
                except CryptoError as exc:
                    raise PgwardenError(
                        f"{self.target.context}: {exc}\n"
                        "  fix: give the key provider every key the column's values were "
                        "sealed with (PGWARDEN_ENCRYPTION_KEYS lists old keys after the first)"
                    ) from None
                conn.execute(write, [[r[0] for r in rows], values])
            done += len(rows)
            if progress is not None:
                progress(done, total)
        return done
