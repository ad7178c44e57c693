"""SQL of the partition ops (registered in :mod:`pgwarden.render.sql`'s registry).

Bounds and partition keys are SQL text from the spec (validated) or the catalog.
"""

from __future__ import annotations

from dataclasses import replace

from psycopg import sql

from pgwarden.planner.ops.partitions import (
    CreatePartition,
    CreatePartitionedIndex,
    DropPartition,
    RebindPartition,
    partition_index_name,
)
from pgwarden.render.sql import Statement, index_sql, partition_statements, relation, renders
from pgwarden.spec.names import beside

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL


@renders(CreatePartition)
def _create_partition(op: CreatePartition) -> list[Statement]:
    return partition_statements(op.table, op.partition)


@renders(DropPartition)
def _drop_partition(op: DropPartition) -> list[Statement]:
    how = S(" CONCURRENTLY" if op.concurrently else "")
    partition = I(*beside(op.table, op.partition.name))
    return [
        Statement(
            S("ALTER TABLE {} DETACH PARTITION {}{}").format(relation(op.table), partition, how),
            atomic=not op.concurrently,
        ),
        Statement(S("DROP TABLE {}").format(partition)),
    ]


@renders(RebindPartition)
def _rebind_partition(op: RebindPartition) -> list[Statement]:
    parent, part = relation(op.table), I(*beside(op.table, op.partition))
    return [
        Statement(S("ALTER TABLE {} DETACH PARTITION {}").format(parent, part)),
        Statement(S("ALTER TABLE {} ATTACH PARTITION {} {}").format(parent, part, S(op.new))),
    ]


@renders(CreatePartitionedIndex)
def _create_partitioned_index(op: CreatePartitionedIndex) -> list[Statement]:
    out = [Statement(index_sql(op.table, op.index, only=True))]
    for p in op.partitions:
        child = replace(op.index, name=partition_index_name(p, op.index.name))
        out.append(
            Statement(index_sql(beside(op.table, p), child, concurrently=True), atomic=False)
        )
        parent_index = I(*beside(op.table, op.index.name))
        child_index = I(*beside(op.table, child.name))
        out.append(
            Statement(S("ALTER INDEX {} ATTACH PARTITION {}").format(parent_index, child_index))
        )
    return out
