"""Sequence ops: create, drop, alter numbers and comment, set the owning column.

Ownership is its own op: ``OWNED BY`` needs the table, and a table's default may
call ``nextval`` on the sequence, so the sequence is created before the tables
and owned after them; before its table goes, a sequence that is kept or dropped
on its own is disowned (``DROP TABLE`` would take an owned sequence with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Op, Paired, Swapped, pair, qname
from pgwarden.spec.model import Sequence


@dataclass(frozen=True, slots=True)
class _SequenceFields(Op):
    sequence: Sequence


@dataclass(frozen=True, slots=True)
class CreateSequence(_SequenceFields, Paired):
    """CREATE SEQUENCE (not owned: see :class:`SetSequenceOwner`), then its comment."""

    @property
    def description(self) -> str:
        return f"create sequence {qname(self.sequence.name)}"


@dataclass(frozen=True, slots=True)
class DropSequence(_SequenceFields, Paired):
    """Drop a sequence (the mirror of :class:`CreateSequence`)."""

    @property
    def description(self) -> str:
        return f"drop sequence {qname(self.sequence.name)}"


pair(CreateSequence, DropSequence)


@dataclass(frozen=True, slots=True)
class AlterSequence(Swapped):
    """ALTER SEQUENCE AS type and every number (the current value stays), and/or
    the comment."""

    old: Sequence
    new: Sequence

    @property
    def description(self) -> str:
        return f"alter sequence {qname(self.new.name)}"


@dataclass(frozen=True, slots=True)
class SetSequenceOwner(Swapped):
    """``ALTER SEQUENCE .. OWNED BY table.column`` (``new`` None: ``OWNED BY NONE``)."""

    sequence: str
    old: str | None
    new: str | None

    @property
    def description(self) -> str:
        owner = self.new or "nothing"
        return f"sequence {qname(self.sequence)} owned by {owner}"


__all__ = ["AlterSequence", "CreateSequence", "DropSequence", "SetSequenceOwner"]
