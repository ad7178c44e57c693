"""The op base classes: what every op knows, and the mirror shapes reverses share.

Most ops come in mirror-image pairs. Rather than write each reverse by hand,
an op declares its shape once:

* :class:`Swapped` -- the reverse is the same op with ``old``/``new`` (and any
  other declared field pairs) exchanged: renames, defaults, comments, types;
* :class:`Toggled` -- the reverse flips one boolean field (RLS on/off);
* :class:`Paired` -- the reverse is the partner class built from the same
  field values (create/drop index, add/drop primary key, set/drop NOT NULL);
  the two classes inherit their fields from one shared base, and
  :func:`pair` ties them together.

Ops never hold SQL: :mod:`pgwarden.render.sql` renders them and
:mod:`pgwarden.render.preflight` writes their data checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, ClassVar, Literal, cast

from pgwarden.spec.sqltext import ident as qname  # descriptions and hand-off messages

Hazard = Literal[
    "destructive",  # data is lost (drop table/column, narrowing type, enum value removal)
    "rewrites_table",  # the whole table is rewritten under an ACCESS EXCLUSIVE lock
    "long_lock",  # a lock that blocks writes is held for a scan of the table
    "may_fail_on_data",  # existing rows can make it fail (see render.preflight)
    "data_step",  # changes rows, not the schema
]
HAZARDS: tuple[Hazard, ...] = (
    "destructive",
    "rewrites_table",
    "long_lock",
    "may_fail_on_data",
    "data_step",
)


class Op:
    """Base of every operation (subclasses are frozen, slotted dataclasses)."""

    __slots__ = ()

    @property
    def atomic(self) -> bool:
        """False when (part of) the op cannot run inside a transaction."""
        return True

    @property
    def hazards(self) -> frozenset[Hazard]:
        """What can go wrong on a live database (the plan's review and refusal read these)."""
        return frozenset()

    @property
    def description(self) -> str:
        """One line for humans: the step's comment in up.sql, progress, review."""
        raise NotImplementedError

    @property
    def destructive(self) -> bool:
        """Data is lost: the plan refuses the op unless the loss is acknowledged."""
        return "destructive" in self.hazards

    def reverse(self) -> tuple[Op, ...]:
        """The ops that undo this one (the down migration is derived, never written)."""
        raise NotImplementedError

    def loss(self) -> str | None:
        """For destructive ops: exactly what would be lost (used by the refusal)."""
        return None


class Swapped(Op):
    """An op whose reverse exchanges the values of declared field pairs."""

    __slots__ = ()
    swaps: ClassVar[tuple[tuple[str, str], ...]] = (("old", "new"),)

    def reverse(self) -> tuple[Op, ...]:
        changes: dict[str, Any] = {}
        for a, b in self.swaps:
            changes[a], changes[b] = getattr(self, b), getattr(self, a)
        return (replace(cast(Any, self), **changes),)


class Toggled(Op):
    """An op whose reverse flips one boolean field."""

    __slots__ = ()
    flag: ClassVar[str]

    def reverse(self) -> tuple[Op, ...]:
        return (replace(cast(Any, self), **{self.flag: not getattr(self, self.flag)}),)


class Paired(Op):
    """An op whose reverse is its partner class (see :func:`pair`) with the same fields."""

    __slots__ = ()
    partner: ClassVar[type[Op]]

    def reverse(self) -> tuple[Op, ...]:
        return (self.mirror(),)

    def mirror(self) -> Op:
        """The partner op built from this op's field values."""
        values = {f.name: getattr(self, f.name) for f in fields(cast(Any, self))}
        return cast(Callable[..., Op], self.partner)(**values)


def pair(a: type[Paired], b: type[Paired]) -> None:
    """Make ``a`` and ``b`` each other's reverse (they must share their fields)."""
    if [f.name for f in fields(cast(Any, a))] != [f.name for f in fields(cast(Any, b))]:
        raise TypeError(f"{a.__name__} and {b.__name__} do not share their fields")
    a.partner = b
    b.partner = a


def data_hazards(online: bool, existing: bool, can_fail: bool = True) -> frozenset[Hazard]:
    """On a table with rows: the op can fail on them; in its plain (not online)
    form it also holds a write-blocking lock while it scans or builds."""
    hz: set[Hazard] = set()
    if (online or existing) and can_fail:
        hz.add("may_fail_on_data")
    if existing and not online:
        hz.add("long_lock")
    return frozenset(hz)


__all__ = [
    "HAZARDS",
    "Hazard",
    "Op",
    "Paired",
    "Swapped",
    "Toggled",
    "data_hazards",
    "pair",
    "qname",
]
