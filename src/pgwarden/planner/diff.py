"""The planner: ``plan(current, target) -> Plan``, a pure function of two models.

Like Django's autodetector it runs a fixed, commented sequence of passes
(:mod:`pgwarden.planner.passes`, one module per family of objects), each
appending ops to the phases of :data:`~pgwarden.planner.context.PHASES`, then a
dependency sort of the renames and a reduce step. The same input always yields
the same ops, hence the same SQL bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgwarden.errors import RefusedError
from pgwarden.planner import ops as o
from pgwarden.planner import passes
from pgwarden.planner.citus import sequential
from pgwarden.planner.context import PHASES, PlanContext
from pgwarden.planner.ops.partitions import DropPartition
from pgwarden.planner.ops.types import DropAttribute
from pgwarden.planner.options import PlanOptions
from pgwarden.planner.order import reduced
from pgwarden.planner.plan import Plan
from pgwarden.planner.reverse import Reversal, keyed_forward
from pgwarden.spec.model import Schema


def plan(current: Schema, target: Schema, options: PlanOptions | None = None) -> Plan:
    """The ops that turn ``current`` into ``target``. Pure and deterministic.

    Raises :class:`~pgwarden.errors.RefusedError` when a destructive change
    is not acknowledged (``PlanOptions``), naming exactly what would be lost.
    """
    opts = options if options is not None else PlanOptions()
    ctx = PlanContext(current.normalized(), target.normalized(), opts)
    emitted = passes.run(ctx)
    kept = reduced([op for _, op in emitted])
    ops = tuple(keyed_forward(emitted[i][1], emitted[i][0], ctx) for i in kept)
    _check_consent(ops, opts, target.acknowledge_loss)
    return Plan(
        tuple(sequential(target, list(ops))), Reversal(ctx, tuple(emitted[i][0] for i in kept))
    )


def _check_consent(ops: Iterable[o.Op], opts: PlanOptions, in_spec: tuple[str, ...]) -> None:
    if opts.allow_destructive:
        return
    acknowledged = set(opts.acknowledged) | set(in_spec)
    refused: list[str] = []
    for op in ops:
        if not op.destructive:
            continue
        subjects = _loss_subjects(op)
        if subjects and all(s in acknowledged for s in subjects):
            continue
        refused.append(op.loss() or op.description)
    if refused:
        lines = "\n".join(f"  - {r}" for r in refused)
        raise RefusedError(
            f"refusing {len(refused)} destructive change{'s' if len(refused) != 1 else ''}; "
            f"this would lose:\n{lines}\n"
            "  fix: if the loss is intended, pass --allow-destructive or acknowledge each item "
            '(e.g. acknowledge_loss = ["Table.column"] under [schema] in the spec); '
            "if it is a rename, declare renamed_from instead"
        )


def _loss_subjects(op: o.Op) -> tuple[str, ...]:
    if isinstance(op, o.DropTable):
        return (op.table.name,)
    if isinstance(op, o.DropColumn):
        return (f"{op.table}.{op.column.name}",)
    if isinstance(op, o.AlterColumnType):
        return (f"{op.table}.{op.column}",)
    if isinstance(op, DropPartition):
        return (op.partition.name,)
    if isinstance(op, DropAttribute):
        return (f"{op.composite}.{op.attribute.name}",)
    if isinstance(op, o.RecreateEnum):
        return tuple(f"{op.enum}.{v}" for v in op.removed)
    return ()


__all__ = ["PHASES", "Plan", "PlanOptions", "plan"]
