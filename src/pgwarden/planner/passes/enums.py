"""The enum pass: new enums, new values, recreates, drops, comments.

``ADD VALUE`` runs in the ``enum_add`` phase (it must commit before any use);
a removal or reorder recreates the type in ``enum_recreate``, after every
column has its target type, so the columns to move are the target's.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import replace

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.views import DropView
from pgwarden.planner.passes.decorate import reads
from pgwarden.planner.passes.triggers import trigger_columns
from pgwarden.planner.passes.views import view_order, view_reads
from pgwarden.spec.exprs import column_refs
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Policy,
    Schema,
    Table,
    Trigger,
    View,
)


def plan_enums(ctx: PlanContext) -> None:
    """Enums: create and drop, add values in place, recreate the type when values go or
    move (usages converted through text)."""
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
    for i, v in enumerate(want.values):
        if v in values:
            continue
        prev = next((p for p in reversed(want.values[:i]) if p in values), None)
        nxt = next((n for n in want.values[i + 1 :] if n in values), None)
        after, before = (prev, None) if prev is not None else (None, nxt)
        # the context is settled once every pass has run (settle_contexts)
        ctx.emit(
            "enum_add",
            o.AddEnumValue(want.name, v, before, after, tuple(values), comment=have.comment),
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
                comment=have.comment,  # the comment pass (later) sets the new one
                check_data=check,
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
        if _typed(c, enum)
    )


def settle_contexts(ctx: PlanContext) -> None:
    """Give every ADD VALUE and recreate the context of the point it runs at.

    Runs after every pass, since that point depends on what the other passes
    drop. ``ADD VALUE`` runs after the dependents that go were dropped, before
    any column changes: its reverse (a recreate, in the down) runs in exactly
    that state. A recreate runs after the column changes and drops, before the
    new constraints: it moves the target's columns and what is left in place.
    """
    dropped = _dropped(ctx.out["drop_dependents"])
    kept = [(h, w) for w in ctx.tgt.tables if (h := ctx.now.table(w.name)) is not None]
    created = [w for w in ctx.tgt.tables if ctx.now.table(w.name) is None]
    at_add: list[tuple[Table | None, Table]] = [(h, h) for h, _ in kept]
    at_recreate: list[tuple[Table | None, Table]] = [*kept, *((None, w) for w in created)]
    # the views in place at both points: the plan's own view drops ran before, its
    # creates come after (phase "decorate")
    gone = {op.view.name for op in ctx.out["drop_dependents"] if isinstance(op, DropView)}
    views = {v.name: v for v in ctx.now.views if v.name not in gone}
    for phase, state in (("enum_add", at_add), ("enum_recreate", at_recreate)):
        out = ctx.out[phase]
        for i, op in enumerate(out):
            if isinstance(op, o.AddEnumValue | o.RecreateEnum):
                context = _context(state, op.enum, dropped)
                context = replace(context, views=_views_over(views, context.usages))
                out[i] = replace(op, context=context)


def _views_over(views: dict[str, View], used: tuple[o.EnumUsage, ...]) -> tuple[View, ...]:
    """The views reading one of the ``used`` columns, and the views reading those,
    in creation order."""
    hit: set[str] = set()
    for name, view in views.items():
        reads = view_reads(view)
        if "*" in reads.relations or any(
            u.table in reads.relations and (reads.star or u.column in reads.columns) for u in used
        ):
            hit.add(name)
    grew = True
    while grew:
        grew = False
        for name, view in views.items():
            if name not in hit and view_reads(view).relations & hit:
                hit.add(name)
                grew = True
    return tuple(views[n] for n in view_order(views, hit))


def _dropped(ops: list[o.Op]) -> set[tuple[str, str]]:
    """(table, name) of the constraints, indexes and policies the plan drops first."""
    out: set[tuple[str, str]] = set()
    for op in ops:
        if isinstance(op, o.DropConstraint):
            out.add((op.table, op.constraint.name))
        elif isinstance(op, o.DropIndex):
            out.add((op.table, op.index.name))
        elif isinstance(op, o.DropPolicy):
            out.add((op.table, op.policy.name))
        elif isinstance(op, o.DropTrigger):
            out.add((op.table, op.trigger.name))
    return out


def _context(
    state: list[tuple[Table | None, Table]], enum: str, dropped: set[tuple[str, str]]
) -> o.EnumContext:
    """What uses ``enum`` in ``state``: per table, (the table whose constraints,
    indexes and policies are in place, the table whose columns are in place).
    ``None`` for the first is a table the plan created: only its inline checks
    exist yet."""
    typed = {(cols.name, c.name) for _, cols in state for c in cols.columns if _typed(c, enum)}
    ctx_usages: list[o.EnumUsage] = []
    fks: list[tuple[str, ForeignKey]] = []
    policies: list[tuple[str, Policy]] = []
    indexes: list[tuple[str, Index]] = []
    checks: list[tuple[str, CheckConstraint]] = []
    generated: list[tuple[str, Column]] = []
    triggers: list[tuple[str, Trigger]] = []
    for objects, cols in state:
        name = cols.name
        mine = {c for t, c in typed if t == name}
        for c in cols.columns:
            if c.generated is not None and _reads(c.generated, mine):
                generated.append((name, c))
        recomputed = {g.name for t, g in generated if t == name}
        ctx_usages += [
            o.EnumUsage(name, c.name, c.type.array, c.default)
            for c in cols.columns
            if _typed(c, enum) and c.name not in recomputed
        ]
        checks += [
            (name, k)
            for k in (objects or cols).checks
            if (name, k.name) not in dropped and _reads(k.expression, mine)
        ]
        if objects is None:
            continue
        fks += [
            (name, f)
            for f in objects.foreign_keys
            if (name, f.name) not in dropped
            and (
                any((name, c) in typed for c in f.columns)
                or any((f.ref_table, c) in typed for c in f.ref_columns)
            )
        ]
        policies += [
            (name, p) for p in objects.policies if (name, p.name) not in dropped and reads(p, mine)
        ]
        indexes += [
            (name, i)
            for i in objects.indexes
            if (name, i.name) not in dropped
            and any(_reads(x, mine) for x in (i.where, *(e.expression for e in i.elements)))
        ]
        triggers += [
            (name, t)
            for t in objects.triggers
            if (name, t.name) not in dropped and mine & trigger_columns(t)
        ]
    return o.EnumContext(
        tuple(ctx_usages),
        tuple(fks),
        tuple(policies),
        tuple(indexes),
        tuple(checks),
        tuple(generated),
        tuple(triggers),
    )


def _typed(c: Column, enum: str) -> bool:
    return c.type.name == enum and not c.type.is_builtin


def _reads(text: str | None, columns: AbstractSet[str]) -> bool:
    """The expression names one of ``columns`` (unreadable: assume it does)."""
    if text is None or not columns:
        return False
    try:
        return bool(columns & set(column_refs(text)))
    except Exception:
        return True


__all__ = ["plan_enums", "settle_contexts", "usages"]
