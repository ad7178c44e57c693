"""Citus ops -> SQL (planner/citus.py). Names go through ``psycopg.sql``: a table is
passed to the functions as a quoted, ``regclass``-cast literal."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.citus import (
    CreateReferenceTable,
    DistributeTable,
    Sequential,
    UndistributeTable,
)
from pgwarden.render.preflight import PreflightQuery, checks, preflight
from pgwarden.render.sql import Statement, relation, render_op, renders

SEQUENTIAL = "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"


def _regclass(table: str) -> sql.Composable:
    return sql.SQL("{}::regclass").format(sql.Literal(relation(table).as_string(None)))


@renders(DistributeTable)
def _distribute(op: DistributeTable) -> list[Statement]:
    function = (
        "create_distributed_table_concurrently" if op.concurrently else "create_distributed_table"
    )
    args = [_regclass(op.table), sql.Literal(op.column)]
    if op.colocate_with is not None:
        args.append(
            sql.SQL("colocate_with => {}").format(
                sql.Literal(relation(op.colocate_with).as_string(None))
            )
        )
    call = sql.SQL("SELECT {}({})").format(sql.SQL(function), sql.SQL(", ").join(args))
    return [Statement(call, atomic=not op.concurrently)]


@renders(CreateReferenceTable)
def _reference(op: CreateReferenceTable) -> list[Statement]:
    return [Statement(sql.SQL("SELECT create_reference_table({})").format(_regclass(op.table)))]


@renders(UndistributeTable)
def _undistribute(op: UndistributeTable) -> list[Statement]:
    return [Statement(sql.SQL("SELECT undistribute_table({})").format(_regclass(op.table)))]


@renders(Sequential)
def _sequential(op: Sequential) -> list[Statement]:
    return [Statement(sql.SQL(SEQUENTIAL)), *render_op(op.inner)]


@checks(Sequential)
def _sequential_check(op: Sequential) -> PreflightQuery | None:
    return preflight(op.inner)  # the wrapped op's data check, unchanged
