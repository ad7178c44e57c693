"""Sequences: their pass.

A new sequence is created in ``create`` before the tables (a default may call
``nextval`` on it) and owned in ``decorate`` once its column exists. A sequence
that goes, or changes owner, is disowned first (``drop_dependents``, before any
table drop, which would otherwise take it along) and dropped in ``drop``, after
the columns whose defaults may use it. A kept sequence's type, numbers and
comment change in ``alter`` (the current value stays).
"""

from __future__ import annotations

from dataclasses import replace

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.sequences import (
    AlterSequence,
    CreateSequence,
    DropSequence,
    SetSequenceOwner,
)


def plan_sequences(ctx: PlanContext) -> None:
    """Standalone sequences: create, drop, alter their numbers, and set their owner after the
    owning column exists."""
    have = {q.name: q for q in ctx.now.sequences}
    want = {q.name: q for q in ctx.tgt.sequences}
    for name in sorted(have.keys() | want.keys()):
        old, new = have.get(name), want.get(name)
        old_owner = old.owned_by if old else None
        new_owner = new.owned_by if new else None
        if old_owner is not None and (new is None or old_owner != new_owner):
            ctx.emit("drop_dependents", SetSequenceOwner(name, old_owner, None))
        if old is not None and new is None:
            ctx.emit("drop", DropSequence(replace(old, owned_by=None)))
        elif old is None and new is not None:
            ctx.emit("create", CreateSequence(replace(new, owned_by=None)))
        elif old is not None and new is not None:
            a, b = replace(old, owned_by=None), replace(new, owned_by=None)
            if a != b:
                ctx.emit("alter", AlterSequence(a, b))
        if new_owner is not None and old_owner != new_owner:
            ctx.emit("decorate", SetSequenceOwner(name, None, new_owner))


__all__ = ["plan_sequences"]
