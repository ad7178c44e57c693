"""User trigger ops: create and drop (a changed trigger is dropped and created
again in the same migration; ``reason`` says why a kept one is)."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Op, Paired, pair, qname
from pgwarden.spec.model import Trigger


@dataclass(frozen=True, slots=True)
class _TriggerFields(Op):
    table: str
    trigger: Trigger
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CreateTrigger(_TriggerFields, Paired):
    """CREATE TRIGGER ... EXECUTE FUNCTION."""

    @property
    def description(self) -> str:
        verb = "recreate" if self.reason else "create"
        why = f" ({self.reason})" if self.reason else ""
        return f"{verb} trigger {qname(self.trigger.name)} on {qname(self.table)}{why}"


@dataclass(frozen=True, slots=True)
class DropTrigger(_TriggerFields, Paired):
    """Drop a trigger (the mirror of :class:`CreateTrigger`)."""

    @property
    def description(self) -> str:
        why = f" (to recreate it: {self.reason})" if self.reason else ""
        return f"drop trigger {qname(self.trigger.name)} on {qname(self.table)}{why}"


pair(CreateTrigger, DropTrigger)

__all__ = ["CreateTrigger", "DropTrigger"]
