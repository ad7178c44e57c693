"""Citus ops and their planning (``distribution`` / ``reference`` markers; docs/scale-out.md).

* :class:`DistributeTable` -- ``create_distributed_table_concurrently`` for a table
  that already holds rows (non-blocking for writes; it cannot run in a transaction
  block, so it is a step of its own), or plain ``create_distributed_table`` for a
  table this plan creates: it is empty, and the call then shares the transaction of
  its ``CREATE TABLE``.
* :class:`CreateReferenceTable` -- ``create_reference_table`` (Citus has no
  non-blocking form: writes to the table wait while it is copied to every node).
* :class:`Sequential` -- wraps an atomic op in a plan that both writes rows of and
  changes distributed tables: ``SET LOCAL citus.multi_shard_modify_mode TO
  'sequential'`` first, so the transaction's DDL and writes go over one connection
  per node instead of failing on placements a parallel statement already used.

Foreign keys come after the distribution: the planner emits a new table's keys in
its ``constrain`` pass, after the ``distribute`` pass; for existing tables, every
key to or from a table placed by the plan is dropped first and added back ``NOT
VALID`` then validated once every table is placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pgwarden.errors import RefusedError
from pgwarden.planner import ops as o
from pgwarden.spec.citus import distribution_changes, uses_citus
from pgwarden.spec.model import Schema, Table


@dataclass(frozen=True, slots=True)
class DistributeTable(o.Op):
    """Citus: ``create_distributed_table`` on the distribution column, colocated as the spec
    says (``concurrently``: the online form on a table with rows)."""

    table: str
    column: str
    colocate_with: str | None = None
    concurrently: bool = False

    @property
    def atomic(self) -> bool:
        return not self.concurrently

    @property
    def hazards(self) -> frozenset[o.Hazard]:
        # moving existing rows into shards; writes continue (concurrently)
        return frozenset({"may_fail_on_data"}) if self.concurrently else frozenset()

    @property
    def description(self) -> str:
        how = " concurrently" if self.concurrently else ""
        with_ = f" colocated with {o.qname(self.colocate_with)}" if self.colocate_with else ""
        return f"distribute {o.qname(self.table)} by {o.qname(self.column)}{with_}{how}"

    def reverse(self) -> tuple[o.Op, ...]:
        return (UndistributeTable(self.table, self.column, self.colocate_with),)


@dataclass(frozen=True, slots=True)
class CreateReferenceTable(o.Op):
    """Citus: ``create_reference_table`` (the table is replicated to every node)."""

    table: str

    @property
    def description(self) -> str:
        return f"make {o.qname(self.table)} a reference table (replicated to every node)"

    def reverse(self) -> tuple[o.Op, ...]:
        return (UndistributeTable(self.table, reference=True),)


@dataclass(frozen=True, slots=True)
class UndistributeTable(o.Op):
    """The reverse of a placement (down migrations): rows come back to the coordinator.

    It keeps the placement it undoes, so its own reverse puts it back."""

    table: str
    column: str | None = None
    colocate_with: str | None = None
    reference: bool = False

    @property
    def description(self) -> str:
        return f"undistribute {o.qname(self.table)} (rows back to the coordinator)"

    def reverse(self) -> tuple[o.Op, ...]:
        if self.reference or self.column is None:
            return (CreateReferenceTable(self.table),)
        return (DistributeTable(self.table, self.column, self.colocate_with, concurrently=True),)


@dataclass(frozen=True, slots=True)
class Sequential(o.Op):
    """``inner`` preceded by ``SET LOCAL citus.multi_shard_modify_mode TO 'sequential'``."""

    inner: o.Op

    @property
    def atomic(self) -> bool:
        return self.inner.atomic

    @property
    def hazards(self) -> frozenset[o.Hazard]:
        return self.inner.hazards

    @property
    def description(self) -> str:
        return self.inner.description

    @property
    def check_data(self) -> bool:
        """The wrapped op's: where its preflight runs (render.preflight reads it)."""
        return bool(getattr(self.inner, "check_data", True))

    def reverse(self) -> tuple[o.Op, ...]:
        return tuple(Sequential(r) if r.atomic else r for r in self.inner.reverse())

    def loss(self) -> str | None:
        return self.inner.loss()


def _placed(t: Table | None) -> tuple[str, str | None, str | None] | None:
    if t is None:
        return None
    if t.reference:
        return ("reference", None, None)
    if t.distribution is not None:
        return ("distributed", t.distribution.column, t.distribution.colocate_with)
    return None


def _order(tables: Iterable[Table], target: Schema) -> list[Table]:
    """Reference tables first, then distributed tables after the one they colocate with."""
    todo = sorted(tables, key=lambda t: (not t.reference, t.name))
    done: set[str] = set()
    out: list[Table] = []
    while todo:
        for t in todo:
            anchor = t.distribution.colocate_with if t.distribution else None
            waiting = anchor is not None and anchor in {x.name for x in todo} and anchor != t.name
            if not waiting:
                out.append(t)
                done.add(t.name)
                todo.remove(t)
                break
        else:  # a colocation cycle: validation reports it; keep the order stable
            out += todo
            break
    return out


def plan_citus(planner: Any) -> None:
    """Emit the Citus ops of one plan into ``planner`` (a ``diff._Planner``)."""
    now: Schema = planner.now
    tgt: Schema = planner.tgt
    if not uses_citus(tgt) and not uses_citus(now):
        return
    refused = distribution_changes(now, tgt)
    if refused:
        raise RefusedError(
            "refusing to change how tables are distributed:\n  - "
            + "\n  - ".join(refused)
            + "\n  fix: keep the distribution column and its type; re-shard by hand"
        )
    placing = [
        t for t in tgt.tables if _placed(t) is not None and _placed(t) != _placed(now.table(t.name))
    ]
    moving = {t.name for t in placing if planner.existing(t.name)}
    for t in _order(placing, tgt):
        if t.reference:
            planner.emit("distribute", CreateReferenceTable(t.name))
            continue
        assert t.distribution is not None
        planner.emit(
            "distribute",
            DistributeTable(
                t.name,
                t.distribution.column,
                t.distribution.colocate_with,
                concurrently=t.name in moving,
            ),
        )
    # an existing key to or from a table placed by this plan goes first and comes back
    # after every placement (NOT VALID, then VALIDATE): Citus refuses most keys between
    # tables of different kinds, and the order of placements makes every kind occur
    for t in tgt.tables:
        have = now.table(t.name)
        if have is None:
            continue  # a new table's keys are created after the distribute pass anyway
        for fk in have.foreign_keys:
            if fk not in t.foreign_keys or not ({t.name, fk.ref_table} & moving):
                continue  # a changed key is dropped and added by the planner itself
            planner.emit("drop_dependents", o.DropConstraint(t.name, fk, online=True))
            planner.emit("constrain", o.AddForeignKey(t.name, fk, online=True))
            planner.emit("validate", o.ValidateConstraint(t.name, fk.name))


def sequential(target: Schema, ops: list[o.Op]) -> list[o.Op]:
    """Wrap the atomic ops on distributed tables in :class:`Sequential` when the plan
    also writes rows of a distributed table (a transaction mixing DDL and writes)."""
    distributed = {t.name for t in target.tables if t.distribution is not None or t.reference}
    if not distributed:
        return ops

    def touches(op: o.Op) -> bool:
        table = getattr(op, "table", None)
        name = table.name if isinstance(table, Table) else table
        return name in distributed

    if not any("data_step" in op.hazards and touches(op) for op in ops):
        return ops
    return [
        Sequential(op) if op.atomic and touches(op) and not isinstance(op, Sequential) else op
        for op in ops
    ]
