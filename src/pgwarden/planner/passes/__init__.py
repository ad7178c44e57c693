"""The planner's passes, one module per family of objects.

Each module reads a :class:`~pgwarden.planner.context.PlanContext` and emits
ops into the phases of :data:`~pgwarden.planner.context.PHASES`:

* :mod:`.renames` -- declared renames; sets ``ctx.now``;
* :mod:`.enums` -- new, changed (ADD VALUE, recreate) and dropped enums;
* :mod:`.types` -- domains and composite types;
* :mod:`.tables` -- tables that come, go or change, through
  :mod:`.columns`, :mod:`.constraints` and :mod:`.decorate`;
* :mod:`pgwarden.planner.audit` -- the audit log and triggers;
* :mod:`pgwarden.planner.tombstone` -- guards refusing new rows for a tombstoned owner;
* :mod:`pgwarden.planner.citus` -- Citus placement (reference, distributed tables);
* :mod:`.extensions` -- extensions, and exclusion constraints of kept tables;
* :mod:`.functions` -- functions and procedures (replaced in place, or
  dropped and created again when their signature changes);
* :mod:`.sequences` -- sequences and their owning columns;
* :mod:`.triggers` -- user triggers (after the functions they call);
* :mod:`.views` -- views and materialized views, recreated around the table
  changes under them;
* :mod:`.partitions` -- partitions of kept tables, and the forms a partitioned
  parent allows for the ops planned before it;
* :mod:`.namespaces` -- the Postgres schemas besides the default one (last: a
  dropped schema goes after everything in it).

:func:`run` calls them in that order and returns the ops phase by phase.
"""

from __future__ import annotations

from pgwarden.planner import ops as o
from pgwarden.planner.audit import plan_audit
from pgwarden.planner.citus import plan_citus
from pgwarden.planner.context import PHASES, PlanContext
from pgwarden.planner.order import in_phase_order
from pgwarden.planner.passes.enums import plan_enums, settle_contexts
from pgwarden.planner.passes.extensions import plan_extensions
from pgwarden.planner.passes.functions import plan_functions
from pgwarden.planner.passes.namespaces import plan_namespaces
from pgwarden.planner.passes.partitions import plan_partitions
from pgwarden.planner.passes.renames import plan_renames
from pgwarden.planner.passes.sequences import plan_sequences
from pgwarden.planner.passes.tables import plan_tables
from pgwarden.planner.passes.triggers import plan_triggers
from pgwarden.planner.passes.types import plan_types
from pgwarden.planner.passes.views import plan_views
from pgwarden.planner.tombstone import plan_tombstones


def run(ctx: PlanContext) -> list[tuple[str, o.Op]]:
    """Every pass, then (phase, op) phase by phase (kind-major inside some phases)."""
    ctx.now = plan_renames(ctx)
    plan_enums(ctx)
    plan_types(ctx)
    plan_tables(ctx)
    plan_audit(ctx)
    plan_tombstones(ctx)
    plan_citus(ctx)
    plan_extensions(ctx)
    plan_functions(ctx)
    plan_sequences(ctx)
    plan_triggers(ctx)
    plan_views(ctx)
    plan_partitions(ctx)
    plan_namespaces(ctx)
    settle_contexts(ctx)
    return [(phase, op) for phase in PHASES for op in in_phase_order(phase, ctx.out[phase])]


__all__ = ["run"]
