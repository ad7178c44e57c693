"""How to plan and render: consent to loss, online forms, timeouts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """How to plan and render.

    ``allow_destructive`` (the CLI's ``--allow-destructive``) consents to every
    destructive op; ``acknowledged`` consents to named losses only: ``"Table"``
    (drop table), ``"Table.column"`` (drop column, narrowing type),
    ``"Enum.VALUE"`` (enum value removal). ``online`` uses the lock-friendly
    forms on existing tables. Timeouts are Postgres interval strings set before
    every step; ``background_statement_timeout`` applies to the non-atomic steps
    (CONCURRENTLY, VALIDATE) that scan without blocking writes.
    """

    allow_destructive: bool = False
    acknowledged: tuple[str, ...] = ()
    online: bool = True
    lock_timeout: str = "5s"
    statement_timeout: str = "5min"
    background_statement_timeout: str = "0"


__all__ = ["PlanOptions"]
