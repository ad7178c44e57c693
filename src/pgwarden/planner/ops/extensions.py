"""Extension and exclusion-constraint ops.

Extensions are created before any type, table or index that may use them and
dropped after everything else; an unpinned version (``None``) never causes an
update. Exclusion constraints of a new table are part of its CREATE TABLE; on a
kept table they are added and dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, pair, qname
from pgwarden.spec.model import ExclusionConstraint, Extension


@dataclass(frozen=True, slots=True)
class _ExtensionFields(Op):
    extension: Extension


@dataclass(frozen=True, slots=True)
class CreateExtension(_ExtensionFields, Paired):
    """CREATE EXTENSION IF NOT EXISTS [SCHEMA] [VERSION]."""

    @property
    def description(self) -> str:
        return f"create extension {qname(self.extension.name)}"


@dataclass(frozen=True, slots=True)
class DropExtension(_ExtensionFields, Paired):
    """DROP EXTENSION (no CASCADE: whatever still uses it makes the step fail)."""

    @property
    def description(self) -> str:
        return f"drop extension {qname(self.extension.name)}"


pair(CreateExtension, DropExtension)


@dataclass(frozen=True, slots=True)
class AlterExtension(Swapped):
    """``ALTER EXTENSION ... SET SCHEMA`` and/or ``UPDATE TO`` a pinned version."""

    swaps: ClassVar[tuple[tuple[str, str], ...]] = (
        ("old_schema", "new_schema"),
        ("old_version", "new_version"),
    )
    name: str
    old_schema: str | None
    new_schema: str | None
    old_version: str | None
    new_version: str | None

    @property
    def description(self) -> str:
        what = []
        if self.old_schema != self.new_schema:
            what.append(f"move to schema {qname(self.new_schema or 'the default')}")
        if self.new_version is not None and self.old_version != self.new_version:
            what.append(f"update to version {self.new_version}")
        return f"extension {qname(self.name)}: {', '.join(what)}"


@dataclass(frozen=True, slots=True)
class _ExclusionFields(Op):
    table: str
    exclusion: ExclusionConstraint
    existing: bool = False


@dataclass(frozen=True, slots=True)
class AddExclusion(_ExclusionFields, Paired):
    """ADD CONSTRAINT ... EXCLUDE: builds its index under a write-blocking lock
    (Postgres has no CONCURRENTLY or NOT VALID form for exclusion constraints)."""

    @property
    def description(self) -> str:
        return f"add exclusion constraint {qname(self.exclusion.name)} to {qname(self.table)}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"long_lock", "may_fail_on_data"}) if self.existing else frozenset()


@dataclass(frozen=True, slots=True)
class DropExclusion(_ExclusionFields, Paired):
    """Drop an exclusion constraint (the mirror of :class:`AddExclusion`)."""

    @property
    def description(self) -> str:
        return f"drop exclusion constraint {qname(self.exclusion.name)} of {qname(self.table)}"


pair(AddExclusion, DropExclusion)

__all__ = [
    "AddExclusion",
    "AlterExtension",
    "CreateExtension",
    "DropExclusion",
    "DropExtension",
]
