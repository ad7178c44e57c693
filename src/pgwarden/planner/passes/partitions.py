"""Partitions of kept tables, and the online forms a partitioned parent allows.

A new partitioned table's CREATE TABLE carries its partitions. On a kept one,
partitions that go are detached and dropped (``drop_dependents``, so a new
partition may take their range), new ones created (``create``), changed bounds
rebound (``alter``). Then every op on a kept partitioned table that would use an
online form Postgres refuses there (``CREATE INDEX CONCURRENTLY``, ``NOT VALID``
foreign keys, ``USING INDEX`` keys) gets the form that works: an index built
partition by partition, the rest plain.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from pgwarden.errors import RefusedError
from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.partitions import (
    CreatePartition,
    CreatePartitionedIndex,
    DropPartition,
    RebindPartition,
)
from pgwarden.spec.model import Table
from pgwarden.spec.names import beside


def plan_partitions(ctx: PlanContext) -> None:
    """Partitions of tables both sides have: attach and detach, rebind changed bounds, and the
    indexes built on the partitioned parent."""
    partitioned: dict[str, Table] = {}
    for want in ctx.tgt.tables:
        have = ctx.now.table(want.name)
        if have is None:
            continue  # CREATE TABLE brings its partitions and their comments
        if have.partition_by != want.partition_by:
            raise RefusedError(
                f"table {want.name!r} changes its partitioning "
                f"({have.partition_by or 'none'} -> {want.partition_by or 'none'}); Postgres "
                "cannot change that in place\n"
                "  fix: declare a new table with the new partition_by, copy the rows in a "
                "data migration, then drop the old one (or keep partition_by as it is)"
            )
        if want.partition_by is None:
            continue
        partitioned[want.name] = want
        _plan_table(ctx, have, want)
    if partitioned:
        _offline_forms(ctx, partitioned)


def _plan_table(ctx: PlanContext, have: Table, want: Table) -> None:
    old = {p.name: p for p in have.partitions}
    new = {p.name: p for p in want.partitions}
    online = ctx.online(want.name)
    key = want.partition_by or ""
    referenced = any(f.ref_table == want.name for t in ctx.now.tables for f in t.foreign_keys)
    for name in sorted(old.keys() - new.keys()):
        default = any(p.is_default for n, p in old.items() if n != name)
        drop = DropPartition(want.name, old[name], default, online, key, referenced)
        ctx.emit("drop_dependents", drop)
    kept_default = any(p.is_default for n, p in old.items() if n in new)
    for name in sorted(new.keys() - old.keys()):
        create = CreatePartition(want.name, new[name], kept_default, online, key, referenced)
        ctx.emit("create", create)
    for name in sorted(old.keys() & new.keys()):
        a, b = old[name], new[name]
        if a.bound != b.bound:
            rebind = RebindPartition(want.name, name, a.bound, b.bound, key, referenced)
            ctx.emit("alter", rebind)
        if a.comment != b.comment:
            # a partition lives in its parent's namespace
            where = beside(want.name, name)
            ctx.emit("decorate", o.SetComment("table", where, a.comment, b.comment))


def _offline_forms(ctx: PlanContext, partitioned: dict[str, Table]) -> None:
    for out in ctx.out.values():
        for i, op in enumerate(out):
            table = partitioned.get(cast(str, getattr(op, "table", "")))
            if table is None or not getattr(op, "online", False):
                continue
            if isinstance(op, o.CreateIndex):
                out[i] = CreatePartitionedIndex(
                    op.table, op.index, tuple(p.name for p in table.partitions), op.check_data
                )
            elif not isinstance(op, DropPartition | CreatePartition):
                # DETACH CONCURRENTLY is an online form that works; the others go plain
                out[i] = replace(cast(Any, op), online=False)


__all__ = ["plan_partitions"]
