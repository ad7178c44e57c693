"""Tombstone guards: a tombstoned owner gains no new rows (docs/user-deletion.md).

``tombstone = "deletedAt"`` on the owner table (``owner_table = true``) names the
column the user-deletion service sets when it keeps the owner row as an anonymised
tombstone. Every foreign key that references the owner gets a guard: a BEFORE
INSERT OR UPDATE trigger on the referencing table that locks the owner row (FOR
KEY SHARE, so it waits for a deletion under way and then reads its outcome) and
refuses the row when the owner is a tombstone. With ``tombstone_guards_restore``
on the owner, the guard of a soft-delete table also fires on its soft-delete
column and refuses a restore (the column set back to NULL) under a tombstone.
One op pair per guard, each with its reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops import Op, qname
from pgwarden.spec import names
from pgwarden.spec.model import Schema


@dataclass(frozen=True, slots=True)
class Guard:
    """One guard: on ``table``, column ``column`` referencing ``owner``(``key``);
    ``soft_delete``: the table's soft-delete column when restores are refused too."""

    table: str
    column: str
    owner: str
    key: str
    flag: str
    soft_delete: str | None = None

    @property
    def name(self) -> str:
        """The trigger's and its function's name (``names.tombstone_guard``)."""
        return names.tombstone_guard(self.table, self.column)


@dataclass(frozen=True, slots=True)
class CreateTombstoneGuard(Op):
    """Create a guard's trigger function and its trigger."""

    guard: Guard

    @property
    def description(self) -> str:
        """What the op does, for plans and step headers."""
        g = self.guard
        return f"refuse new {qname(g.table)} rows for a tombstoned {qname(g.owner)}"

    def reverse(self) -> tuple[Op, ...]:
        """The op that undoes this one."""
        return (DropTombstoneGuard(self.guard),)


@dataclass(frozen=True, slots=True)
class DropTombstoneGuard(Op):
    """Drop a guard's trigger and its function."""

    guard: Guard

    @property
    def description(self) -> str:
        """What the op does, for plans and step headers."""
        g = self.guard
        return f"drop the tombstone guard of {qname(g.table)} ({qname(g.name)})"

    def reverse(self) -> tuple[Op, ...]:
        """The op that undoes this one."""
        return (CreateTombstoneGuard(self.guard),)


def guards(schema: Schema) -> dict[str, Guard]:
    """Every guard ``schema`` asks for, by name."""
    out: dict[str, Guard] = {}
    for owner in schema.tables:
        # tombstone alone (validation keeps it to the owner table): an introspected
        # schema knows the guards' flag, not the owner_table intent
        if owner.tombstone is None or owner.primary_key is None:
            continue
        if len(owner.primary_key.columns) != 1:
            continue
        key = owner.primary_key.columns[0]
        for table in schema.tables:
            restore = table.soft_delete if owner.tombstone_guards_restore else None
            for fk in table.foreign_keys:
                if fk.ref_table == owner.name and fk.ref_columns == (key,) and len(fk.columns) == 1:
                    # a soft-delete column that is the key itself is covered by UPDATE OF it
                    sd = restore if restore != fk.columns[0] else None
                    guard = Guard(table.name, fk.columns[0], owner.name, key, owner.tombstone, sd)
                    out[guard.name] = guard
    return out


def plan_tombstones(planner: PlanContext) -> None:
    """Drop the guards that go or change, create the new ones (after tables and columns)."""
    have = guards(planner.now)
    want = guards(planner.tgt)
    for name in sorted(have.keys() | want.keys()):
        old, new = have.get(name), want.get(name)
        if old == new:
            continue
        if old is not None:
            planner.emit("drop_dependents", DropTombstoneGuard(old))
        if new is not None:
            planner.emit("decorate", CreateTombstoneGuard(new))


__all__ = ["CreateTombstoneGuard", "DropTombstoneGuard", "Guard", "guards", "plan_tombstones"]
