"""Data checks keyed to the state they run in; reversing a plan from the state after it.

``op.reverse()`` knows *what* undoes an op; it cannot know the state the undo
runs in. The reverse of op X runs in exactly the state X left behind in up:
the target schema for a down that starts, and for X itself the phase it ran in
(:data:`~pgwarden.planner.context.PHASES`). So a reversed op's data check is
keyed here, from that state:

* it runs before the down's first step (``check_data``) only when every table
  and column it reads exists in the target under these names;
* it samples rows by a key that exists when it runs: the target's primary key
  when it runs up front or its op ran after the ``drop`` phase (the current
  schema's columns that go are gone by then), else the key the op carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, cast

from pgwarden.planner import ops as o
from pgwarden.planner.context import PHASES, PlanContext
from pgwarden.spec.exprs import column_refs

#: Phases after which the current schema's departing columns no longer exist.
_LATE = frozenset(PHASES[PHASES.index("drop") :])

Refs = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Reversal:
    """What :meth:`~pgwarden.planner.Plan.reverse` needs: the up plan's context
    (read only) and the phase each op ran in."""

    ctx: PlanContext
    phases: tuple[str, ...]

    def reversed_ops(self, ops: Sequence[o.Op]) -> list[o.Op]:
        """Every op's reverse, last op first, each keyed to the state it runs in."""
        out: list[o.Op] = []
        for op, phase in zip(reversed(ops), reversed(self.phases), strict=True):
            out.extend(self._keyed(r, phase) for r in op.reverse())
        return out

    def _keyed(self, op: o.Op, phase: str) -> o.Op:
        names = {f.name for f in fields(cast(Any, op))}
        if "check_data" not in names:
            return op
        refs = data_refs(op)
        upfront = refs is not None and all(self._exists(t, cols) for t, cols in refs)
        changes: dict[str, Any] = {"check_data": upfront}
        if "row_key" in names and (upfront or phase in _LATE):
            changes["row_key"] = self._key(getattr(op, "table"))  # noqa: B009 - checked above
        return cast(o.Op, replace(cast(Any, op), **changes))

    def _exists(self, table: str, columns: Sequence[str]) -> bool:
        """The table and columns exist under these names in the target and stay
        (so a check reading them is valid before the down's first step)."""
        ctx = self.ctx
        if table in ctx.renamed_tables:
            return False
        target, current = ctx.tgt.table(table), ctx.now.table(table)
        if target is None or current is None:
            return False
        touched = ctx.renamed_columns.get(table, set())
        retyped = ctx.retyped(table)
        return all(
            target.column(c) is not None and c not in touched and c not in retyped for c in columns
        )

    def _key(self, table: str) -> tuple[str, ...]:
        target = self.ctx.tgt.table(table)
        if target is None or target.primary_key is None:
            return ()
        key = target.primary_key.columns
        return key if self._exists(table, key) else ()


def data_refs(op: o.Op) -> Refs | None:
    """(table, columns) that an op's data check reads; None: it has no check."""
    if isinstance(op, o.AddColumn):
        return ((op.table, ()),)
    if isinstance(op, o.AddCheck):
        return ((op.table, _refs(op.check.expression)),)
    if isinstance(op, o.AddUnique):
        return ((op.table, op.unique.columns),)
    if isinstance(op, o.AddPrimaryKey):
        return ((op.table, op.primary_key.columns),)
    if isinstance(op, o.CreateIndex):
        i = op.index
        cols = [c for c in i.column_names if c is not None]
        for text in (i.where, *(e.expression for e in i.elements)):
            cols += _refs(text)
        return ((op.table, tuple(cols)),)
    if isinstance(op, o.AddForeignKey):
        fk = op.foreign_key
        return ((op.table, fk.columns), (fk.ref_table, fk.ref_columns))
    if isinstance(op, o.SetNotNull | o.AlterColumnType):
        return ((op.table, (op.column,)),)
    if isinstance(op, o.RecreateEnum):
        return tuple((u.table, (u.column,)) for u in op.usages)
    return None


def _refs(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    try:
        return tuple(column_refs(text))
    except Exception:  # unreadable: name a column nothing has, so it is never upfront
        return ("\0",)


def keyed_forward(op: o.Op, phase: str, ctx: PlanContext) -> o.Op:
    """A planned op's data check, keyed like a reversed one: up front only when
    everything it reads exists before the plan under these names; a check that
    waits for its step and runs after the ``drop`` phase samples by the target's
    key (the current key's columns may be gone by then)."""
    if not getattr(op, "check_data", False):
        return _late_key(op, phase, ctx)
    refs = data_refs(op)
    if refs is None or all(ctx.pre_plan(t, cols) for t, cols in refs):
        return op
    return _late_key(replace(cast(Any, op), check_data=False), phase, ctx)


def _late_key(op: o.Op, phase: str, ctx: PlanContext) -> o.Op:
    if phase not in _LATE or not hasattr(op, "row_key"):
        return op
    target = ctx.tgt.table(getattr(op, "table"))  # noqa: B009 - ops with a row_key have one
    key = target.primary_key.columns if target and target.primary_key else ()
    return cast(o.Op, replace(cast(Any, op), row_key=key))


__all__ = ["Reversal", "data_refs", "keyed_forward"]
