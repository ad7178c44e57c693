"""Enum ops: create, drop, rename, rename a value, add a value, recreate."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, pair, qname
from pgwarden.planner.ops.decorations import SetComment
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Policy,
    Trigger,
    View,
)


@dataclass(frozen=True, slots=True)
class EnumUsage:
    """A column whose type is (an array of) an enum, with its default at that point."""

    table: str
    column: str
    array: bool
    default: str | None


@dataclass(frozen=True, slots=True)
class EnumContext:
    """What a recreate of an enum must move, as it stands at the recreate's point
    of the plan: the columns of the type, and every object Postgres cannot carry
    across the type change, dropped before the columns move and created again
    after -- FKs between such columns (the two sides cannot differ in between),
    policies that read them (ALTER TYPE is refused under a policy), indexes whose
    predicate or expression reads them and checks that do (their enum literals are
    typed with the old type), and generated columns computed from them (Postgres
    refuses to retype a column a generated column uses; they are recomputed),
    triggers whose ``WHEN`` or ``UPDATE OF`` names them (likewise refused), and the
    views that read them, with the views reading those (ALTER TYPE is refused under
    a view; ``views`` in creation order, dropped in the reverse one)."""

    usages: tuple[EnumUsage, ...] = ()
    foreign_keys: tuple[tuple[str, ForeignKey], ...] = ()
    policies: tuple[tuple[str, Policy], ...] = ()
    indexes: tuple[tuple[str, Index], ...] = ()
    checks: tuple[tuple[str, CheckConstraint], ...] = ()
    generated: tuple[tuple[str, Column], ...] = ()
    triggers: tuple[tuple[str, Trigger], ...] = ()
    views: tuple[View, ...] = ()


@dataclass(frozen=True, slots=True)
class _EnumFields(Op):
    enum: Enum


@dataclass(frozen=True, slots=True)
class CreateEnum(_EnumFields, Paired):
    """CREATE TYPE ... AS ENUM."""

    @property
    def description(self) -> str:
        return f"create enum {qname(self.enum.name)}"


@dataclass(frozen=True, slots=True)
class DropEnum(_EnumFields, Paired):
    """Drop an enum; its reverse also restores the comment."""

    @property
    def description(self) -> str:
        return f"drop enum {qname(self.enum.name)}"

    def reverse(self) -> tuple[Op, ...]:
        ops: list[Op] = [self.mirror()]
        if self.enum.comment is not None:
            ops.append(SetComment("type", (self.enum.name,), None, self.enum.comment))
        return tuple(ops)


pair(CreateEnum, DropEnum)


@dataclass(frozen=True, slots=True)
class RenameEnum(Swapped):
    """Rename an enum type."""

    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename enum {qname(self.old)} to {qname(self.new)}"


@dataclass(frozen=True, slots=True)
class RenameEnumValue(Swapped):
    """Rename a value of an enum (the value's position stays)."""

    enum: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename value {self.old!r} of enum {qname(self.enum)} to {self.new!r}"


@dataclass(frozen=True, slots=True)
class AddEnumValue(Op):
    """``ALTER TYPE ... ADD VALUE`` placed BEFORE/AFTER its neighbour.

    Not atomic: a value added in a transaction cannot be used until that
    transaction commits, so the step runs (and commits) alone.
    ``values_before`` is the full value list before the addition and
    ``context`` what uses the type right after the op, in the plan's state at
    that point: the reverse (a recreate without the value) runs in exactly
    that state when the plan is reversed.
    """

    enum: str
    value: str
    before: str | None
    after: str | None
    values_before: tuple[str, ...]
    context: EnumContext = EnumContext()
    comment: str | None = None

    @property
    def atomic(self) -> bool:
        return False

    @property
    def description(self) -> str:
        where = (
            f" before {self.before!r}"
            if self.before is not None
            else f" after {self.after!r}"
            if self.after is not None
            else ""
        )
        return f"add value {self.value!r} to enum {qname(self.enum)}{where}"

    def reverse(self) -> tuple[Op, ...]:
        after = insert_value(self.values_before, self.value, self.before, self.after)
        return (
            RecreateEnum(self.enum, after, self.values_before, self.context, self.comment, False),
        )


def insert_value(
    values: tuple[str, ...], value: str, before: str | None, after: str | None
) -> tuple[str, ...]:
    """``values`` with ``value`` placed as ``ALTER TYPE ... ADD VALUE`` would place it."""
    if before is not None:
        i = values.index(before)
    elif after is not None:
        i = values.index(after) + 1
    else:
        i = len(values)
    return (*values[:i], value, *values[i:])


@dataclass(frozen=True, slots=True)
class RecreateEnum(Swapped):
    """Change an enum's values in a way ADD VALUE cannot: remove or reorder.

    Renders as: rename the old type aside, create the new one, move every
    column that uses it (``USING col::text::type``; defaults dropped and put
    back), drop the old type. Rows holding a removed value make it fail; the
    preflight counts them first. The op changes no usage, so its reverse runs
    in the same state and moves the same ``context``.
    """

    swaps = (("old_values", "new_values"),)

    enum: str
    old_values: tuple[str, ...]
    new_values: tuple[str, ...]
    context: EnumContext = EnumContext()
    comment: str | None = None
    check_data: bool = False

    @property
    def usages(self) -> tuple[EnumUsage, ...]:
        """The columns, domains and defaults that use the enum (converted through text)."""
        return self.context.usages

    @property
    def removed(self) -> tuple[str, ...]:
        """The values that go (rows holding them make the conversion fail; preflight counts)."""
        return tuple(v for v in self.old_values if v not in self.new_values)

    @property
    def hazards(self) -> frozenset[Hazard]:
        hz: set[Hazard] = set()
        if self.usages:
            hz |= {"rewrites_table", "long_lock"}
        if self.removed:
            hz |= {"destructive", "may_fail_on_data"}
        return frozenset(hz)

    @property
    def description(self) -> str:
        if self.removed:
            gone = ", ".join(repr(v) for v in self.removed)
            return f"recreate enum {qname(self.enum)} without {gone}"
        return f"recreate enum {qname(self.enum)} to reorder its values"

    def loss(self) -> str | None:
        if not self.removed:
            return None
        gone = ", ".join(repr(v) for v in self.removed)
        used = ", ".join(f"{u.table}.{u.column}" for u in self.usages) or "no column"
        return f"enum {self.enum}: value(s) {gone} removed (used by {used})"


__all__ = [
    "AddEnumValue",
    "CreateEnum",
    "DropEnum",
    "EnumContext",
    "EnumUsage",
    "RecreateEnum",
    "RenameEnum",
    "RenameEnumValue",
    "insert_value",
]
