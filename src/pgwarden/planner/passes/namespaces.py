"""Namespaces (Postgres schemas besides the default) that come, go or change comment."""

from __future__ import annotations

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext


def plan_namespaces(ctx: PlanContext) -> None:
    """New namespaces first of all creations, dropped ones last of all (the pass runs
    last, so its drops follow every other ``drop_enum`` op); comments in place."""
    have = {n.name: n for n in ctx.now.schemas}
    want = {n.name: n for n in ctx.tgt.schemas}
    for name in sorted(want.keys() - have.keys()):
        ctx.emit("enum_add", o.CreateNamespace(want[name]))
    for name in sorted(have.keys() - want.keys()):
        ctx.emit("drop_enum", o.DropNamespace(have[name]))
    for name in sorted(have.keys() & want.keys()):
        old, new = have[name].comment, want[name].comment
        if old != new:
            ctx.emit("decorate", o.SetComment("schema", (name,), old, new))


__all__ = ["plan_namespaces"]
