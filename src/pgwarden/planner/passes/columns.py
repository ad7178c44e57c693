"""Columns of a table that exists on both sides: drops, adds (with backfills), changes."""

from __future__ import annotations

from dataclasses import replace

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.spec.model import Column, Table

_IDENTITIES = ("always", "by default")


def plan_columns(
    ctx: PlanContext, have: Table, want: Table, online: bool, key: tuple[str, ...]
) -> set[str]:
    """Emit the column ops of one table; returns the columns dropped and added again
    (a plain column that becomes generated), whose dependents must be rebuilt."""
    name = want.name
    recreated: set[str] = set()
    # columns that go (after data steps)
    for c in have.columns:
        if want.column(c.name) is None:
            ctx.emit("drop", o.DropColumn(name, c, online, key, ctx.pre_plan(name, [c.name])))
    # columns that come
    for c in want.columns:
        if have.column(c.name) is None:
            _add_column(ctx, name, c, online, key)
    # columns that change
    for c in want.columns:
        old = have.column(c.name)
        if old is None:
            continue
        if old.generated is None and c.generated is not None:
            # a plain column cannot become generated: drop and add it again
            ctx.emit("alter", o.DropColumn(name, old, online, key, False))
            ctx.emit("alter", o.AddColumn(name, c, online, key, False))
            recreated.add(c.name)
            continue
        _alter_column(ctx, name, old, c, online, key)
    return recreated


def _add_column(
    ctx: PlanContext, table: str, c: Column, online: bool, key: tuple[str, ...]
) -> None:
    needs_fill = c.backfill is not None
    if needs_fill and not c.nullable and c.default is None:
        # add it nullable, fill it, then constrain it (not_null phase)
        ctx.emit("create", o.AddColumn(table, replace(c, nullable=True), online, key))
        ctx.emit("create", o.Backfill(table, c.name, c.backfill or ""))
        ctx.emit("not_null", o.SetNotNull(table, c.name, online, key, False))
        return
    ctx.emit("create", o.AddColumn(table, c, online, key, ctx.pre_plan(table)))
    if needs_fill:
        ctx.emit("create", o.Backfill(table, c.name, c.backfill or ""))


def _alter_column(
    ctx: PlanContext, table: str, old: Column, new: Column, online: bool, key: tuple[str, ...]
) -> None:
    col = new.name
    check = ctx.pre_plan(table, [col])
    if old.identity != new.identity:
        if old.identity in _IDENTITIES and new.identity in _IDENTITIES:
            ctx.emit("alter", o.AlterIdentity(table, col, new.type, old.identity, new.identity))
        else:
            if old.identity is not None:
                ctx.emit(
                    "alter",
                    o.AlterIdentity(
                        table, col, old.type, old.identity, None, online, old.identity_options
                    ),
                )
            if new.identity is not None:
                ctx.emit(
                    "not_null",
                    o.AlterIdentity(
                        table, col, new.type, None, new.identity, online, new.identity_options
                    ),
                )
    if (
        old.identity in _IDENTITIES
        and new.identity in _IDENTITIES
        and old.identity_options != new.identity_options
    ):
        ctx.emit(
            "not_null",
            o.AlterIdentityOptions(
                table, col, new.type, old.identity_options, new.identity_options
            ),
        )
    if old.type != new.type:
        ctx.emit(
            "alter",
            o.AlterColumnType(
                table,
                col,
                old.type,
                new.type,
                new.default,
                old.default,
                old.generated is not None,
                key,
                check,
            ),
        )
    elif old.default != new.default:
        ctx.emit("alter", o.SetDefault(table, col, old.default, new.default))
    if old.generated != new.generated:
        ctx.emit("alter", o.AlterGenerated(table, col, old.generated, new.generated))
    if old.nullable and not new.nullable:
        ctx.emit("not_null", o.SetNotNull(table, col, online, key, check))
    elif not old.nullable and new.nullable:
        ctx.emit("alter", o.DropNotNull(table, col, online, key, check))


__all__ = ["plan_columns"]
