"""Tables: the ones that come, the ones that go, and the ones that change."""

from __future__ import annotations

from dataclasses import replace

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.planner.passes.columns import plan_columns
from pgwarden.planner.passes.constraints import plan_constraints
from pgwarden.planner.passes.decorate import plan_decorations
from pgwarden.spec.model import Table


def plan_tables(ctx: PlanContext) -> None:
    """Tables: drop those that go, create those that are new (with their indexes, triggers and
    comments); tables both sides have are diffed by the column and constraint passes."""
    now = {t.name: t for t in ctx.now.tables}
    tgt = {t.name: t for t in ctx.tgt.tables}
    for name in sorted(now.keys() - tgt.keys()):
        _drop_table(ctx, now[name])
    for name in sorted(tgt.keys() - now.keys()):
        _create_table(ctx, tgt[name])
    for name in sorted(now.keys() & tgt.keys()):
        _alter_table(ctx, now[name], tgt[name])


def _create_table(ctx: PlanContext, t: Table) -> None:
    bare = replace(t, indexes=(), foreign_keys=(), policies=(), triggers=())
    ctx.emit("create", o.CreateTable(bare))
    for i in t.indexes:
        ctx.emit("constrain", o.CreateIndex(t.name, i))
    for fk in t.foreign_keys:
        ctx.emit("constrain", o.AddForeignKey(t.name, fk))
    plan_decorations(ctx, None, t)


def _drop_table(ctx: PlanContext, t: Table) -> None:
    for p in t.policies:
        ctx.emit("drop_dependents", o.DropPolicy(t.name, p))
    for c in t.columns:
        if c.maintained == "on_update":
            name = ctx.trigger_names[(t.name, c.name)]
            ctx.emit("drop_dependents", o.DropOnUpdateTrigger(t.name, c.name, name))
    for fk in t.foreign_keys:
        ctx.emit("drop_dependents", o.DropConstraint(t.name, fk))
    # no DROP INDEX first: DROP TABLE takes the indexes with it (a plain DROP INDEX
    # would only add a step); the op keeps them, so its reverse builds them again.
    # Early, with the dependents: a new table may reuse its key and index names.
    ctx.emit("drop_dependents", o.DropTable(replace(t, foreign_keys=(), policies=(), triggers=())))


def _alter_table(ctx: PlanContext, have: Table, want: Table) -> None:
    name = want.name
    online = ctx.online(name)
    key = ctx.row_key(name)
    recreated = plan_columns(ctx, have, want, online, key)
    retyped = {
        c.name
        for c in want.columns
        if (old := have.column(c.name)) is not None and old.type != c.type
    }
    plan_constraints(ctx, have, want, online, key, recreated)
    plan_decorations(ctx, have, want, retyped | recreated)


__all__ = ["plan_tables"]
