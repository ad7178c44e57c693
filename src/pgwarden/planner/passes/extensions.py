"""Extensions that come, go or change; exclusion constraints of kept tables."""

from __future__ import annotations

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.extensions import (
    AddExclusion,
    AlterExtension,
    CreateExtension,
    DropExclusion,
    DropExtension,
)


def plan_extensions(ctx: PlanContext) -> None:
    """Extensions that come, go or change; exclusions of kept tables."""
    have = {x.name: x for x in ctx.now.extensions}
    want = {x.name: x for x in ctx.tgt.extensions}
    for name in sorted(want.keys() - have.keys()):
        ctx.emit("enum_add", CreateExtension(want[name]))
    for name in sorted(have.keys() - want.keys()):
        ctx.emit("drop_enum", DropExtension(have[name]))
    for name in sorted(have.keys() & want.keys()):
        old, new = have[name], want[name]
        version_change = new.version is not None and old.version != new.version
        if old.schema != new.schema or version_change:
            ctx.emit(
                "enum_add",
                AlterExtension(
                    name,
                    old.schema,
                    new.schema,
                    old.version,
                    new.version if version_change else old.version,
                ),
            )
    kept = {t.name: t for t in ctx.now.tables}
    for table in ctx.tgt.tables:
        before = kept.get(table.name)
        if before is None:
            continue  # a new table: CREATE TABLE carries its exclusions
        old_x = {x.name: x for x in before.exclusions}
        new_x = {x.name: x for x in table.exclusions}
        for name in sorted(old_x):
            if new_x.get(name) != old_x[name]:
                ctx.emit("drop_dependents", DropExclusion(table.name, old_x[name], True))
        for name in sorted(new_x):
            if old_x.get(name) != new_x[name]:
                ctx.emit("constrain", AddExclusion(table.name, new_x[name], True))


__all__ = ["plan_extensions"]
