"""Ops on what decorates a table: the maintained trigger, RLS, policies, comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pgwarden.planner.ops.base import Op, Paired, Swapped, Toggled, pair, qname
from pgwarden.spec.model import Policy

CommentTarget = Literal["table", "column", "type", "schema"]


@dataclass(frozen=True, slots=True)
class _TriggerFields(Op):
    table: str
    column: str
    name: str


@dataclass(frozen=True, slots=True)
class CreateOnUpdateTrigger(_TriggerFields, Paired):
    """The ``maintained = "on_update"`` trigger and its function (same name)."""

    @property
    def description(self) -> str:
        return f"maintain {qname(self.table)}.{qname(self.column)} on UPDATE ({qname(self.name)})"


@dataclass(frozen=True, slots=True)
class DropOnUpdateTrigger(_TriggerFields, Paired):
    """Drop the ``maintained`` trigger (the mirror of :class:`CreateOnUpdateTrigger`)."""

    @property
    def description(self) -> str:
        return f"stop maintaining {qname(self.table)}.{qname(self.column)} ({qname(self.name)})"


pair(CreateOnUpdateTrigger, DropOnUpdateTrigger)


@dataclass(frozen=True, slots=True)
class SetRowLevelSecurity(Toggled):
    """ALTER TABLE ... ENABLE / DISABLE ROW LEVEL SECURITY."""

    flag = "enabled"

    table: str
    enabled: bool

    @property
    def description(self) -> str:
        verb = "enable" if self.enabled else "disable"
        return f"{verb} row level security on {qname(self.table)}"


@dataclass(frozen=True, slots=True)
class SetForceRowLevelSecurity(Toggled):
    """ALTER TABLE ... [NO] FORCE ROW LEVEL SECURITY (policies apply to the owner too)."""

    flag = "forced"

    table: str
    forced: bool

    @property
    def description(self) -> str:
        verb = "force" if self.forced else "stop forcing"
        return f"{verb} row level security on {qname(self.table)}"


@dataclass(frozen=True, slots=True)
class _PolicyFields(Op):
    table: str
    policy: Policy


@dataclass(frozen=True, slots=True)
class CreatePolicy(_PolicyFields, Paired):
    """CREATE POLICY on a table."""

    @property
    def description(self) -> str:
        return f"create policy {qname(self.policy.name)} on {qname(self.table)}"


@dataclass(frozen=True, slots=True)
class DropPolicy(_PolicyFields, Paired):
    """Drop a policy (the mirror of :class:`CreatePolicy`)."""

    @property
    def description(self) -> str:
        return f"drop policy {qname(self.policy.name)} on {qname(self.table)}"


pair(CreatePolicy, DropPolicy)


@dataclass(frozen=True, slots=True)
class RenamePolicy(Swapped):
    """Rename a policy of a table."""

    table: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename policy {qname(self.old)} on {qname(self.table)} to {qname(self.new)}"


@dataclass(frozen=True, slots=True)
class SetComment(Swapped):
    """COMMENT ON TABLE / COLUMN / TYPE / SCHEMA (``new`` None: remove the comment)."""

    target: CommentTarget
    path: tuple[str, ...]
    old: str | None
    new: str | None

    @property
    def description(self) -> str:
        what = ".".join(qname(p) for p in self.path)
        return f"{'remove' if self.new is None else 'set'} comment on {self.target} {what}"


__all__ = [
    "CommentTarget",
    "CreateOnUpdateTrigger",
    "CreatePolicy",
    "DropOnUpdateTrigger",
    "DropPolicy",
    "RenamePolicy",
    "SetComment",
    "SetForceRowLevelSecurity",
    "SetRowLevelSecurity",
]
