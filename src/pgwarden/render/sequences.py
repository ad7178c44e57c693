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
from pgwarden.spec.model import Sequence
from pgwarden.spec.names import split_name
from pgwarden.spec.sequences import effective

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


def _narrowed(old: Sequence, new: Sequence) -> list[Statement]:
    """Before an ALTER that narrows the range: move a current value the new range would
    not hold to the new START, where that is safe, so the ALTER's own check passes.

    ``ALTER SEQUENCE`` refuses a range that leaves out the stored current value
    ("RESTART value (1) cannot be greater than MAXVALUE"), and ``setval`` only moves it
    inside the old range: so the range is first opened to bigint's, then ``setval`` to
    the new START runs, guarded in SQL by the sequence's own state: only when no value
    was handed out yet (``NOT is_called``), or when the values handed out all lie before
    the new range in the direction both ranges count (going up: current < MINVALUE), or
    the new range counts the other way from beyond the old START, so no value is ever
    handed out twice (a sequence that counted from its START: a CYCLE one is moved only
    unused). Otherwise the ALTER fails with Postgres's error:
    no new number is safe, and the data decides (a hand ``setval`` after checking)."""
    o, n = effective(old.type, old.options), effective(new.type, new.options)
    assert o.min_value is not None and o.max_value is not None and o.start is not None
    lo, hi = n.min_value, n.max_value
    assert lo is not None and hi is not None and n.start is not None
    if lo <= o.min_value and hi >= o.max_value:
        return []  # the new range holds the old one: the current value stays valid
    name = relation(new.name)
    low, high = _BIGINT
    widen = S("ALTER SEQUENCE {} AS bigint MINVALUE {} MAXVALUE {}").format(name, L(low), L(high))
    moved: sql.Composable = S("NOT is_called")
    up = n.increment > 0
    if o.cycle:
        pass  # values may have wrapped around: only an unused sequence is moved
    elif (o.increment > 0) == up:
        # counting on the same way: every value handed out is before the current one
        ahead = S("last_value < {}").format(L(lo)) if up else S("last_value > {}").format(L(hi))
        moved = S("({} OR {})").format(moved, ahead)
    elif (n.start > o.start) if up else (n.start < o.start):
        # turning round: the values handed out lie between the old START and the
        # current one, and the new count starts beyond the old START, away from them
        moved = S("true")
    restart = S(
        "SELECT pg_catalog.setval({}::regclass, {}, false) FROM {}"
        " WHERE (last_value < {} OR last_value > {}) AND {}"
    ).format(L(name.as_string(None)), L(n.start), name, L(lo), L(hi), moved)
    return [Statement(widen), Statement(restart)]


_BIGINT = (-(2**63), 2**63 - 1)


@renders(AlterSequence)
def _alter_sequence(op: AlterSequence) -> list[Statement]:
    old, new = op.old, op.new
    out: list[Statement] = []
    if (old.type, old.options) != (new.type, new.options):
        out += _narrowed(old, new)
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
