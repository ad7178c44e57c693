"""SQL of the sequence ops (registered in :mod:`pgwarden.render.sql`'s registry)."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.ops.sequences import (
    AlterSequence,
    CreateSequence,
    DropSequence,
    SetSequenceOwner,
)
from pgwarden.render.seqoptions import option_clauses
from pgwarden.render.sql import Statement, relation, renders
from pgwarden.spec.names import split_name

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


def _comment(name: str, text: str | None) -> Statement:
    return Statement(S("COMMENT ON SEQUENCE {} IS {}").format(relation(name), L(text)))


@renders(CreateSequence)
def _create_sequence(op: CreateSequence) -> list[Statement]:
    q = op.sequence
    parts: list[sql.Composable] = [
        S("CREATE SEQUENCE {} AS {}").format(relation(q.name), S(q.type))  # a fixed choice
    ]
    parts += option_clauses(q.type, q.options)
    out = [Statement(S(" ").join(parts))]
    if q.comment is not None:
        out.append(_comment(q.name, q.comment))
    return out


@renders(DropSequence)
def _drop_sequence(op: DropSequence) -> list[Statement]:
    return [Statement(S("DROP SEQUENCE {}").format(relation(op.sequence.name)))]


@renders(AlterSequence)
def _alter_sequence(op: AlterSequence) -> list[Statement]:
    old, new = op.old, op.new
    out: list[Statement] = []
    if (old.type, old.options) != (new.type, new.options):
        parts: list[sql.Composable] = [
            S("ALTER SEQUENCE {} AS {}").format(relation(new.name), S(new.type))
        ]
        parts += option_clauses(new.type, new.options, every=True)
        out.append(Statement(S(" ").join(parts)))
    if old.comment != new.comment:
        out.append(_comment(new.name, new.comment))
    return out


def owner_sql(owner: str) -> sql.Composable:
    """``Table.column`` (the table maybe qualified) as an identifier chain."""
    table, _, column = owner.rpartition(".")
    return I(*split_name(table), column)


@renders(SetSequenceOwner)
def _owner(op: SetSequenceOwner) -> list[Statement]:
    target = owner_sql(op.new) if op.new is not None else S("NONE")
    return [Statement(S("ALTER SEQUENCE {} OWNED BY {}").format(relation(op.sequence), target))]


__all__ = ["owner_sql"]
