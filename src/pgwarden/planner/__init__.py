"""planner stage of the pgwarden pipeline: ``plan(current, target) -> Plan``.

A pure function of two schema models; see ``docs/planner.md``.
"""

from __future__ import annotations

from pgwarden.planner.diff import PASSES, Plan, PlanOptions, plan
from pgwarden.planner.ops import Op, PreflightQuery

__all__ = ["PASSES", "Op", "Plan", "PlanOptions", "PreflightQuery", "plan"]
