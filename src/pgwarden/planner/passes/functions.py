"""Functions and procedures: their pass.

A function the target adds is created in the ``create`` phase, before the tables
whose checks, defaults or indexes may call it; one whose signature or body names
a relation of the target (a ``RETURNS SETOF "User"``, an SQL body reading a
table: Postgres checks SQL bodies when they are created) waits until the
relations exist (``decorate``, before the views). A kept function whose kind,
arguments and return type stay is replaced in place (``CREATE OR REPLACE``);
otherwise it is dropped (with what depends on it, first) and created again. A
function the target no longer has is dropped after the tables and columns that
may use it.
"""

from __future__ import annotations

import re

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.functions import CreateFunction, DropFunction, ReplaceFunction
from pgwarden.spec import names
from pgwarden.spec.model import Function, Schema


def same_signature(a: Function, b: Function) -> bool:
    """``CREATE OR REPLACE`` can turn ``a`` into ``b``."""
    return (a.kind, a.arguments, a.returns) == (b.kind, b.arguments, b.returns)


def names_relation(f: Function, schema: Schema) -> bool:
    """The function's signature (or SQL body) names a table or view of ``schema``."""
    texts = [f.arguments, f.returns or ""]
    if f.language == "sql":
        texts.append(f.body)
    text = "\n".join(texts)
    for rel in (*(t.name for t in schema.tables), *(v.name for v in schema.views)):
        local = names.local_name(rel)
        if f'"{local}"' in text:
            return True
        if local == local.lower() and re.search(rf"(?<![\w$]){re.escape(local)}(?![\w$])", text):
            return True
    return False


def plan_functions(ctx: PlanContext) -> None:
    """Functions and procedures: drop, create, replace in place when only the body or options
    changed, drop and recreate when the signature or the kind did."""
    have = {f.name: f for f in ctx.now.functions}
    want = {f.name: f for f in ctx.tgt.functions}
    for name in sorted(have.keys() - want.keys()):
        ctx.emit("drop", DropFunction(have[name]))
    for name in sorted(want.keys() - have.keys()):
        _create(ctx, want[name])
    for name in sorted(have.keys() & want.keys()):
        old, new = have[name], want[name]
        if old == new:
            continue
        if same_signature(old, new):
            ctx.emit("decorate", ReplaceFunction(old, new))
            continue
        why = "its kind changes" if old.kind != new.kind else "its signature changes"
        ctx.recreated_functions.add(name)
        ctx.emit("drop_dependents", DropFunction(old, why))
        _create(ctx, new, why)


def _create(ctx: PlanContext, f: Function, reason: str | None = None) -> None:
    late = names_relation(f, ctx.tgt)
    ctx.emit("decorate" if late else "create", CreateFunction(f, reason))


__all__ = ["names_relation", "plan_functions", "same_signature"]
