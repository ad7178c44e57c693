"""Audit ops and their planning (``audit = true`` on a table; see docs/audit.md).

Four ops, each with its reverse:

* :class:`CreateAuditLog` / :class:`DropAuditLog` -- the namespace's shared
  append-only log table, its two functions and its guard trigger. Created with
  the first audited table, dropped (destructive: the history goes) with the last.
* :class:`CreateAuditTrigger` / :class:`DropAuditTrigger` -- one table's trigger.
  Its arguments (key columns, redacted columns) are part of the op, so a new
  primary key or a newly secret column re-creates the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops import Hazard, Op, qname
from pgwarden.spec import audit
from pgwarden.spec.model import Table


@dataclass(frozen=True, slots=True)
class CreateAuditLog(Op):
    """Create the append-only audit log table and its trigger function."""

    @property
    def description(self) -> str:
        return f"create the append-only audit log {qname(audit.LOG_TABLE)}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropAuditLog(),)


@dataclass(frozen=True, slots=True)
class DropAuditLog(Op):
    """Drop the audit log (destructive: the recorded history goes with it)."""

    @property
    def description(self) -> str:
        return f"drop the audit log {qname(audit.LOG_TABLE)}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"destructive"})

    def loss(self) -> str | None:
        return f"every row of the audit log {qname(audit.LOG_TABLE)} (the change history)"

    def reverse(self) -> tuple[Op, ...]:
        return (CreateAuditLog(),)


@dataclass(frozen=True, slots=True)
class CreateAuditTrigger(Op):
    """The audit trigger of a table (its arguments name the key and the redacted columns)."""

    table: str
    name: str
    args: tuple[str, ...]

    @property
    def description(self) -> str:
        return f"audit changes to {qname(self.table)} ({qname(self.name)})"

    def reverse(self) -> tuple[Op, ...]:
        return (DropAuditTrigger(self.table, self.name, self.args),)


@dataclass(frozen=True, slots=True)
class DropAuditTrigger(Op):
    """Drop the audit trigger of a table (the mirror of :class:`CreateAuditTrigger`)."""

    table: str
    name: str
    args: tuple[str, ...]

    @property
    def description(self) -> str:
        return f"stop auditing {qname(self.table)} ({qname(self.name)})"

    def reverse(self) -> tuple[Op, ...]:
        return (CreateAuditTrigger(self.table, self.name, self.args),)


def plan_audit(planner: PlanContext) -> None:
    """Emit the audit ops of one plan into ``planner``.

    Runs after the table passes. ``planner.now`` is the current schema with the
    renames applied; a renamed table's trigger still carries the old name, so
    it is dropped and created again under the new one.
    """
    cur = {t.name: t for t in planner.now.tables}
    tgt = {t.name: t for t in planner.tgt.tables}
    had_log = audit.has_log(planner.now)
    wants_log = audit.has_log(planner.tgt)
    if wants_log and not had_log:
        planner.emit("create", CreateAuditLog())
    for name in sorted(cur.keys() | tgt.keys()):
        have, want = cur.get(name), tgt.get(name)
        old = _existing(planner, have) if have is not None else None
        new = None
        if want is not None and want.audit:
            new = (audit.trigger_name(name), audit.trigger_args(want))
        if old == new:
            continue
        if old is not None:
            assert have is not None
            planner.emit("drop_dependents", DropAuditTrigger(have.name, old[0], old[1]))
        if new is not None:
            planner.emit("decorate", CreateAuditTrigger(name, new[0], new[1]))
    if had_log and not wants_log:
        planner.emit("drop", DropAuditLog())


def _existing(planner: PlanContext, have: Table) -> tuple[str, tuple[str, ...]] | None:
    """(trigger name, args) of the audit trigger ``have`` carries before the plan."""
    if not have.audit:
        return None
    original = have.name
    if have.name in planner.renamed_tables and planner.cur.table(have.name) is None:
        # renamed in this plan: the trigger is named after the table's old name
        renamed = planner.tgt.table(have.name)
        if renamed is not None and renamed.renamed_from:
            original = renamed.renamed_from
    return audit.trigger_name(original), audit.trigger_args(have)


__all__ = [
    "CreateAuditLog",
    "CreateAuditTrigger",
    "DropAuditLog",
    "DropAuditTrigger",
    "plan_audit",
]
