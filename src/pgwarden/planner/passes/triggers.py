"""User triggers: their pass.

A trigger that comes is created in ``decorate`` (after its table and function);
one that goes is dropped in ``drop_dependents`` (before its table or function).
A changed trigger is dropped and created again, and so is a kept one that reads
a column (``UPDATE OF``, ``WHEN``) the plan drops or retypes: Postgres refuses
those changes under it. (Its function keeps its signature: a trigger function
takes no declared arguments and returns trigger, so it is only ever replaced.)
"""

from __future__ import annotations

import contextlib

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.triggers import CreateTrigger, DropTrigger
from pgwarden.spec.exprs import column_refs
from pgwarden.spec.model import Table, Trigger


def _touched(have: Table | None, want: Table | None) -> set[str]:
    if have is None or want is None:
        return set()
    out = set()
    for col in have.columns:
        new = want.column(col.name)
        if new is None or new.type != col.type or new.collation != col.collation:
            out.add(col.name)
    return out


def trigger_columns(t: Trigger) -> set[str]:
    """The columns a trigger names (``UPDATE OF``, ``WHEN``): Postgres refuses to
    drop or retype them under it."""
    cols = set(t.columns)
    if t.when is not None:
        # unreadable: the server reported it when the trigger was created
        with contextlib.suppress(Exception):
            cols.update(column_refs(t.when))
    return cols


def _why(table: str, t: Trigger, touched: set[str]) -> str | None:
    hit = sorted(trigger_columns(t) & touched)
    if hit:
        return f"it reads {table}.{hit[0]}, which changes"
    return None


def plan_triggers(ctx: PlanContext) -> None:
    """Triggers: drop what goes or changed, create what is new or changed."""
    now = {t.name: t for t in ctx.now.tables}
    tgt = {t.name: t for t in ctx.tgt.tables}
    for name in sorted(now.keys() | tgt.keys()):
        have, want = now.get(name), tgt.get(name)
        old = {g.name: g for g in have.triggers} if have else {}
        new = {g.name: g for g in want.triggers} if want else {}
        touched = _touched(have, want)
        for tname in sorted(old):
            before, after = old[tname], new.get(tname)
            reason: str | None = None
            if after is not None:
                if after == before:
                    reason = _why(name, before, touched)
                    if reason is None:
                        continue
                else:
                    reason = "its definition changes"
            ctx.emit("drop_dependents", DropTrigger(name, before, reason))
            if after is not None:
                ctx.emit("decorate", CreateTrigger(name, after, reason))
        for tname in sorted(new.keys() - old.keys()):
            ctx.emit("decorate", CreateTrigger(name, new[tname]))


__all__ = ["plan_triggers", "trigger_columns"]
