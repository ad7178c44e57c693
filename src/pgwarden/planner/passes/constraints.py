"""Keys, uniques, checks, indexes and foreign keys of a table that exists on both sides.

A changed object is dropped (``drop_dependents``) and created again
(``constrain``); one whose only change is its name is renamed. An object that
depends on a column the plan drops and adds again (``recreated``), or an FK
whose referenced key is rebuilt, is rebuilt too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.planner.passes.named import diff_named
from pgwarden.spec.model import ForeignKey, Table


def plan_constraints(
    ctx: PlanContext,
    have: Table,
    want: Table,
    online: bool,
    key: tuple[str, ...],
    recreated: set[str],
) -> None:
    """Keys, unique constraints, checks and foreign keys of a table both sides have: drop what
    goes or changed, add what is new, in the online form when the table has rows."""
    name = want.name

    def touches(cols: Iterable[str | None]) -> bool:
        return any(c in recreated for c in cols)

    # primary key
    hp, wp = have.primary_key, want.primary_key
    if hp != wp or (hp is not None and touches(hp.columns)):
        if hp is not None and wp is not None and replace(hp, name="") == replace(wp, name=""):
            ctx.emit("rename", o.RenameConstraint(name, hp.name, wp.name))
        else:
            if hp is not None:
                ctx.emit("drop_dependents", o.DropPrimaryKey(name, hp, online))
            if wp is not None:
                ctx.emit(
                    "constrain",
                    o.AddPrimaryKey(name, wp, online, ctx.pre_plan(name, wp.columns)),
                )
    diff_named(
        ctx,
        name,
        have.uniques,
        want.uniques,
        rebuild=lambda u: touches(u.columns),
        drop=lambda u: o.DropConstraint(name, u, online),
        add=lambda u: [o.AddUnique(name, u, online, ctx.pre_plan(name, u.columns))],
        rename=o.RenameConstraint,
    )
    diff_named(
        ctx,
        name,
        have.checks,
        want.checks,
        rebuild=lambda c: bool(recreated),
        drop=lambda c: o.DropConstraint(name, c, online, key),
        add=lambda c: [
            o.AddCheck(name, c, online, key, ctx.pre_plan(name)),
            *([o.ValidateConstraint(name, c.name)] if online else []),
        ],
        rename=o.RenameConstraint,
    )
    diff_named(
        ctx,
        name,
        have.indexes,
        want.indexes,
        rebuild=lambda i: (
            touches(i.column_names)
            or touches(i.include)
            or bool(recreated and (i.where or any(e.expression for e in i.elements)))
        ),
        drop=lambda i: o.DropIndex(name, i, online),
        add=lambda i: [
            o.CreateIndex(name, i, online, ctx.pre_plan(name, [c for c in i.column_names if c]))
        ],
        rename=lambda table, old, new: o.RenameIndex(table, old, new),
    )
    diff_named(
        ctx,
        name,
        have.foreign_keys,
        want.foreign_keys,
        rebuild=lambda f: touches(f.columns) or _key_changes(ctx, f) or _both_retyped(ctx, name, f),
        drop=lambda f: o.DropConstraint(name, f, online),
        add=lambda f: [
            o.AddForeignKey(
                name,
                f,
                online,
                ctx.pre_plan(name, f.columns)
                and ctx.pre_plan(f.ref_table, f.ref_columns)
                # before the plan's own type change the two sides may not compare
                and not (ctx.retyped(name) & set(f.columns))
                and not (ctx.retyped(f.ref_table) & set(f.ref_columns)),
            ),
            *([o.ValidateConstraint(name, f.name)] if online else []),
        ],
        rename=o.RenameConstraint,
    )


def _both_retyped(ctx: PlanContext, table: str, fk: ForeignKey) -> bool:
    """Both sides of the FK change type: Postgres re-adds the FK after the first
    ALTER TYPE and refuses the mismatch, so the FK goes first and comes back after."""
    return bool(ctx.retyped(table) & set(fk.columns)) and bool(
        ctx.retyped(fk.ref_table) & set(fk.ref_columns)
    )


def _key_changes(ctx: PlanContext, fk: ForeignKey) -> bool:
    """The unique key an FK references is dropped and recreated by this plan."""
    have = ctx.now.table(fk.ref_table)
    want = ctx.tgt.table(fk.ref_table)
    if have is None or want is None:
        return False
    # the FK depends on one matching key's index; if any of them is dropped or
    # rebuilt, the FK must go first and come back after
    cols = set(fk.ref_columns)
    keys_want = _keys(want, cols)
    return any(keys_want.get(name) != key for name, key in _keys(have, cols).items())


def _keys(t: Table, cols: set[str]) -> dict[str, object]:
    """The PK, unique constraints and full unique indexes over exactly ``cols``."""
    found: dict[str, object] = {}
    if t.primary_key is not None and set(t.primary_key.columns) == cols:
        found[t.primary_key.name] = t.primary_key
    found.update({u.name: u for u in t.uniques if set(u.columns) == cols})
    found.update(
        {
            i.name: i
            for i in t.indexes
            if i.unique and i.where is None and {e.column for e in i.elements} == cols
        }
    )
    return found


__all__ = ["plan_constraints"]
