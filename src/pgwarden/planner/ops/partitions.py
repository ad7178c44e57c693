"""Partition ops, and the index build a partitioned parent needs online.

A new partitioned table comes with its partitions in its CREATE TABLE op; on a
kept table partitions are added (``CREATE TABLE ... PARTITION OF``), rebound
(DETACH + ATTACH with the new bound: the rows stay) and dropped (``DETACH
PARTITION ... CONCURRENTLY`` outside a transaction, then DROP TABLE). Postgres
rejects ``CREATE INDEX CONCURRENTLY`` on a partitioned parent, so an online index
is built ON ONLY the parent, concurrently on each partition, then attached.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, pair, qname
from pgwarden.planner.ops.constraints import DropIndex
from pgwarden.spec import names
from pgwarden.spec.model import Index, Partition


@dataclass(frozen=True, slots=True)
class _PartitionFields(Op):
    table: str
    partition: Partition
    has_default: bool = False
    """The parent has a DEFAULT partition (other than this one): adding a partition
    scans it, and a detach cannot be CONCURRENTLY."""
    online: bool = False
    key: str = ""
    """The parent's ``partition_by`` (the preflight of an add finds the DEFAULT
    partition's rows that the new bound takes)."""
    referenced: bool = False
    """A foreign key references the parent: a detach is refused while one of the
    partition's rows is referenced (the preflight of a drop counts its rows)."""


@dataclass(frozen=True, slots=True)
class CreatePartition(_PartitionFields, Paired):
    """CREATE TABLE partition PARTITION OF parent bound (and its comment)."""

    @property
    def description(self) -> str:
        return f"create partition {qname(self.partition.name)} of {qname(self.table)}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        # rows of the DEFAULT partition that belong to the new one make it fail
        scans = self.has_default and not self.partition.is_default
        return frozenset({"may_fail_on_data", "long_lock"}) if scans else frozenset()


@dataclass(frozen=True, slots=True)
class DropPartition(_PartitionFields, Paired):
    """DETACH PARTITION [CONCURRENTLY], then DROP TABLE: its rows go."""

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"destructive", *(("may_fail_on_data",) if self.referenced else ())})

    @property
    def concurrently(self) -> bool:
        # Postgres: no concurrent detach while a DEFAULT partition exists
        """Detach concurrently: online, and allowed (no DEFAULT partition exists or is detached)."""
        return self.online and not self.has_default and not self.partition.is_default

    @property
    def atomic(self) -> bool:
        return not self.concurrently

    @property
    def description(self) -> str:
        how = " concurrently" if self.concurrently else ""
        return f"detach{how} and drop partition {qname(self.partition.name)} of {qname(self.table)}"

    def loss(self) -> str | None:
        return f"partition {self.partition.name} of {self.table} (its rows)"


pair(CreatePartition, DropPartition)


@dataclass(frozen=True, slots=True)
class RebindPartition(Swapped):
    """DETACH PARTITION, then ATTACH PARTITION with the new bound (the rows stay;
    ATTACH scans them, and the DEFAULT partition, under a lock)."""

    table: str
    partition: str
    old: str
    new: str
    key: str = ""
    """The parent's ``partition_by`` (the preflight finds the rows the new bound
    leaves out)."""
    referenced: bool = False
    """A foreign key references the parent: DETACH is refused while one of the
    partition's rows is referenced, so the preflight counts every row."""

    @property
    def description(self) -> str:
        return f"rebind partition {qname(self.partition)} of {qname(self.table)} to {self.new}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"may_fail_on_data", "long_lock"})


def partition_index_name(partition: str, index: str) -> str:
    """The index a partition gets for the parent's ``index`` when built one by one."""
    return names.fit(f"{names.local_name(partition)}_{index}")


@dataclass(frozen=True, slots=True)
class CreatePartitionedIndex(Op):
    """An online index on a partitioned parent: CREATE INDEX ON ONLY parent (left
    invalid), CREATE INDEX CONCURRENTLY on each partition, ALTER INDEX ... ATTACH
    PARTITION for each (the parent's index is valid once all are attached)."""

    table: str
    index: Index
    partitions: tuple[str, ...]
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.partitions

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"may_fail_on_data"}) if self.index.unique else frozenset()

    @property
    def description(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        return (
            f"create {kind} {qname(self.index.name)} on {qname(self.table)} "
            f"(partition by partition, concurrently)"
        )

    def reverse(self) -> tuple[Op, ...]:
        # DROP INDEX CONCURRENTLY is refused on a partitioned index too
        return (DropIndex(self.table, self.index, online=False),)


__all__ = [
    "CreatePartition",
    "CreatePartitionedIndex",
    "DropPartition",
    "RebindPartition",
    "partition_index_name",
]
