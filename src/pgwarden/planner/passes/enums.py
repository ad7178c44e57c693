"""The enum pass: new enums, new values, recreates, drops, comments.

``ADD VALUE`` runs in the ``enum_add`` phase (it must commit before any use);
a removal or reorder recreates the type in ``enum_recreate``, after every
column has its target type, so the columns to move are the target's.
"""

from __future__ import annotations

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.planner.passes.decorate import reads
from pgwarden.spec.model import Enum, ForeignKey, Policy, Schema


def plan_enums(ctx: PlanContext) -> None:
    now = {e.name: e for e in ctx.now.enums}
    tgt = {e.name: e for e in ctx.tgt.enums}
    for name in sorted(tgt.keys() - now.keys()):
        e = tgt[name]
        ctx.emit("enum_add", o.CreateEnum(e))
        if e.comment is not None:
            ctx.emit("decorate", o.SetComment("type", (name,), None, e.comment))
    for name in sorted(now.keys() - tgt.keys()):
        ctx.emit("drop_enum", o.DropEnum(now[name]))
    for name in sorted(now.keys() & tgt.keys()):
        _alter_enum(ctx, now[name], tgt[name])


def _alter_enum(ctx: PlanContext, have: Enum, want: Enum) -> None:
    values = list(have.values)
    added = o.EnumContext(
        usages(ctx.now, have.name), enum_fks(ctx, have.name), enum_policies(ctx, have.name)
    )
    for i, v in enumerate(want.values):
        if v in values:
            continue
        prev = next((p for p in reversed(want.values[:i]) if p in values), None)
        nxt = next((n for n in want.values[i + 1 :] if n in values), None)
        after, before = (prev, None) if prev is not None else (None, nxt)
        ctx.emit(
            "enum_add",
            o.AddEnumValue(want.name, v, before, after, tuple(values), added, have.comment),
        )
        values[:] = o.insert_value(tuple(values), v, before, after)
    if tuple(values) != want.values:
        used = usages(ctx.tgt, want.name)
        check = all(ctx.pre_plan(u.table, [u.column]) for u in used) and all(
            (cur_t := ctx.cur.table(u.table)) is not None
            and (cur_c := cur_t.column(u.column)) is not None
            and cur_c.type.name == want.name
            for u in used
        )
        ctx.emit(
            "enum_recreate",
            o.RecreateEnum(
                want.name,
                tuple(values),
                want.values,
                o.EnumContext(used, enum_fks(ctx, want.name), enum_policies(ctx, want.name)),
                have.comment,  # the comment pass (later) sets the new one
                check,
            ),
        )
    if have.comment != want.comment:
        ctx.emit("decorate", o.SetComment("type", (want.name,), have.comment, want.comment))


def usages(schema: Schema, enum: str) -> tuple[o.EnumUsage, ...]:
    """The columns of ``schema`` whose type is (an array of) ``enum``."""
    return tuple(
        o.EnumUsage(t.name, c.name, c.type.array, c.default)
        for t in schema.tables
        for c in t.columns
        if c.type.name == enum and not c.type.is_builtin
    )


def enum_fks(ctx: PlanContext, enum: str) -> tuple[tuple[str, ForeignKey], ...]:
    """FKs with a column of this enum type on either side that exist before and
    after the plan (the ones an enum recreate finds in place, both ways)."""
    before = set(_enum_fks(ctx.now, enum))
    return tuple(x for x in _enum_fks(ctx.tgt, enum) if x in before)


def _enum_fks(schema: Schema, enum: str) -> tuple[tuple[str, ForeignKey], ...]:
    typed = {
        (t.name, c.name)
        for t in schema.tables
        for c in t.columns
        if c.type.name == enum and not c.type.is_builtin
    }
    return tuple(
        (t.name, fk)
        for t in schema.tables
        for fk in t.foreign_keys
        if any((t.name, c) in typed for c in fk.columns)
        or any((fk.ref_table, c) in typed for c in fk.ref_columns)
    )


def enum_policies(ctx: PlanContext, enum: str) -> tuple[tuple[str, Policy], ...]:
    """Unchanged policies that read a column of this enum type (before and after)."""
    out: list[tuple[str, Policy]] = []
    for t in ctx.tgt.tables:
        have = ctx.now.table(t.name)
        if have is None:
            continue
        typed = {
            c.name
            for c in t.columns
            if c.type.name == enum
            and not c.type.is_builtin
            and (hc := have.column(c.name)) is not None
            and hc.type.name == enum
        }
        out += [(t.name, p) for p in t.policies if p in have.policies and reads(p, typed)]
    return tuple(out)


__all__ = ["enum_fks", "enum_policies", "plan_enums", "usages"]
