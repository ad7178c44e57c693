"""planner stage of the pgwarden pipeline: ``plan(current, target) -> Plan``.

A pure function of two schema models; see ``docs/planner.md``.
"""

from __future__ import annotations

from pgwarden.planner.context import PHASES
from pgwarden.planner.diff import plan
from pgwarden.planner.ops import Op
from pgwarden.planner.options import PlanOptions
from pgwarden.planner.plan import Plan

__all__ = ["PHASES", "Op", "Plan", "PlanOptions", "plan"]
