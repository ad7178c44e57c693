"""Key, constraint and index ops.

Adds on an existing table (``online``) take the lock-friendly forms: a unique
index built CONCURRENTLY then attached (``USING INDEX``), or ``NOT VALID``
followed by a separate :class:`ValidateConstraint`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, data_hazards, pair, qname
from pgwarden.spec.model import CheckConstraint, ForeignKey, Index, PrimaryKey, UniqueConstraint

# --------------------------------------------------------------------------- primary keys


@dataclass(frozen=True, slots=True)
class _PrimaryKeyFields(Op):
    table: str
    primary_key: PrimaryKey
    online: bool = False
    check_data: bool = False


@dataclass(frozen=True, slots=True)
class AddPrimaryKey(_PrimaryKeyFields, Paired):
    """ADD PRIMARY KEY. Online: a unique index built CONCURRENTLY, then
    ``ADD CONSTRAINT ... PRIMARY KEY USING INDEX``."""

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def hazards(self) -> frozenset[Hazard]:
        return data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        cols = ", ".join(qname(c) for c in self.primary_key.columns)
        return f"add primary key {qname(self.primary_key.name)} on {qname(self.table)} ({cols})"


@dataclass(frozen=True, slots=True)
class DropPrimaryKey(_PrimaryKeyFields, Paired):
    """Drop a primary key (the mirror of :class:`AddPrimaryKey`)."""

    @property
    def description(self) -> str:
        return f"drop primary key {qname(self.primary_key.name)} of {qname(self.table)}"


pair(AddPrimaryKey, DropPrimaryKey)

# --------------------------------------------------------------------------- constraints


@dataclass(frozen=True, slots=True)
class AddUnique(Op):
    """ADD CONSTRAINT ... UNIQUE. Online: CREATE UNIQUE INDEX CONCURRENTLY, then
    ``ADD CONSTRAINT ... UNIQUE USING INDEX`` (a brief lock)."""

    table: str
    unique: UniqueConstraint
    online: bool = False
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def hazards(self) -> frozenset[Hazard]:
        return data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        cols = ", ".join(qname(c) for c in self.unique.columns)
        return f"add unique {qname(self.unique.name)} on {qname(self.table)} ({cols})"

    def reverse(self) -> tuple[Op, ...]:
        return (DropConstraint(self.table, self.unique, self.online, (), self.check_data),)


@dataclass(frozen=True, slots=True)
class AddCheck(Op):
    """ADD CONSTRAINT ... CHECK; online: NOT VALID (a later ValidateConstraint scans)."""

    table: str
    check: CheckConstraint
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        return data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        suffix = " NOT VALID" if self.online else ""
        return f"add check {qname(self.check.name)} on {qname(self.table)}{suffix}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropConstraint(self.table, self.check, self.online, self.row_key, self.check_data),)


@dataclass(frozen=True, slots=True)
class AddForeignKey(Op):
    """ADD FOREIGN KEY; online: NOT VALID (a later ValidateConstraint scans)."""

    table: str
    foreign_key: ForeignKey
    online: bool = False
    check_data: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        return data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        fk = self.foreign_key
        suffix = " NOT VALID" if self.online else ""
        return (
            f"add foreign key {qname(fk.name)} {qname(self.table)} -> {qname(fk.ref_table)}{suffix}"
        )

    def reverse(self) -> tuple[Op, ...]:
        return (DropConstraint(self.table, self.foreign_key, self.online, (), self.check_data),)


Constraint = UniqueConstraint | CheckConstraint | ForeignKey


@dataclass(frozen=True, slots=True)
class DropConstraint(Op):
    """Drop a unique, check or foreign key constraint (PK: DropPrimaryKey)."""

    table: str
    constraint: Constraint
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def description(self) -> str:
        return f"drop constraint {qname(self.constraint.name)} of {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        c = self.constraint
        if isinstance(c, UniqueConstraint):
            return (AddUnique(self.table, c, self.online, self.check_data),)
        if isinstance(c, CheckConstraint):
            add: Op = AddCheck(self.table, c, self.online, self.row_key, self.check_data)
        else:
            add = AddForeignKey(self.table, c, self.online, self.check_data)
        if self.online:
            return (add, ValidateConstraint(self.table, c.name))
        return (add,)


@dataclass(frozen=True, slots=True)
class ValidateConstraint(Op):
    """VALIDATE CONSTRAINT: scans with a lock that lets writes through; runs alone."""

    table: str
    name: str

    @property
    def atomic(self) -> bool:
        return False

    @property
    def description(self) -> str:
        return f"validate constraint {qname(self.name)} of {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class RenameConstraint(Swapped):
    """Rename a constraint of a table."""

    table: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename constraint {qname(self.old)} of {qname(self.table)} to {qname(self.new)}"


# --------------------------------------------------------------------------- indexes


@dataclass(frozen=True, slots=True)
class _IndexFields(Op):
    table: str
    index: Index
    online: bool = False
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online


@dataclass(frozen=True, slots=True)
class CreateIndex(_IndexFields, Paired):
    """CREATE [UNIQUE] INDEX, concurrently when online (then outside a transaction)."""

    @property
    def hazards(self) -> frozenset[Hazard]:
        return data_hazards(self.online, self.check_data, self.index.unique)

    @property
    def description(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        how = " concurrently" if self.online else ""
        return f"create {kind} {qname(self.index.name)} on {qname(self.table)}{how}"


@dataclass(frozen=True, slots=True)
class DropIndex(_IndexFields, Paired):
    """Drop an index (the mirror of :class:`CreateIndex`)."""

    @property
    def description(self) -> str:
        how = " concurrently" if self.online else ""
        return f"drop index {qname(self.index.name)}{how}"


pair(CreateIndex, DropIndex)


@dataclass(frozen=True, slots=True)
class RenameIndex(Swapped):
    """Rename an index of ``table`` (``old`` and ``new`` are names in its namespace)."""

    table: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename index {qname(self.old)} to {qname(self.new)}"


__all__ = [
    "AddCheck",
    "AddForeignKey",
    "AddPrimaryKey",
    "AddUnique",
    "Constraint",
    "CreateIndex",
    "DropConstraint",
    "DropIndex",
    "DropPrimaryKey",
    "RenameConstraint",
    "RenameIndex",
    "ValidateConstraint",
]
