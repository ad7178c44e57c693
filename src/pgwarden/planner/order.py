"""Ordering helpers: the rename dependency sort, the order inside a phase, reduce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pgwarden.planner import ops as o
from pgwarden.planner.audit import DropAuditTrigger
from pgwarden.planner.ops import Op
from pgwarden.planner.ops.types import CreateComposite, CreateDomain
from pgwarden.spec import names
from pgwarden.spec.model import ForeignKey, Index


def sort_renames(pairs: Sequence[tuple[str, str]], taken: set[str]) -> list[tuple[str, str]]:
    """Order renames so no rename lands on a name still in use.

    ``a -> b`` must wait until ``b`` has been renamed away; a cycle (a swap) is
    broken by moving one member to a temporary name first. ``taken`` are the
    names in use before any rename. Deterministic: ties go in input order.
    """
    pending = [p for p in pairs if p[0] != p[1]]
    in_use = set(taken)
    done: list[tuple[str, str]] = []
    while pending:
        for i, (old, new) in enumerate(pending):
            if new not in in_use:
                done.append((old, new))
                in_use.discard(old)
                in_use.add(new)
                del pending[i]
                break
        else:
            # every remaining target is occupied: a cycle; park the first source
            old, new = pending[0]
            temp = names.parked(old)
            done.append((old, temp))
            in_use.discard(old)
            in_use.add(temp)
            pending[0] = (temp, new)
    return done


def reduce(ops: Sequence[Op]) -> tuple[Op, ...]:
    """Cancel adjacent op / inverse pairs until nothing changes.

    Reversing a plan can produce such pairs (the temporary check of an online
    SET NOT NULL is added back and dropped again); the output stays minimal.
    """
    kept = [ops[i] for i in reduced(ops)]
    return tuple(_fold_index_drops(kept))


def _fold_index_drops(ops: Sequence[Op]) -> list[Op]:
    """A DropIndex of a table a later DropTable drops goes into that DropTable (the
    down of a table's creation): DROP TABLE takes the index with it, and a plain DROP
    INDEX first would only lock the table for nothing."""
    dropped = {op.table.name: n for n, op in enumerate(ops) if isinstance(op, o.DropTable)}
    folded: dict[int, list[Index]] = {}
    out: list[Op | None] = list(ops)
    for n, op in enumerate(ops):
        if isinstance(op, o.DropIndex) and dropped.get(op.table, -1) > n:
            folded.setdefault(dropped[op.table], []).append(op.index)
            out[n] = None
    for n, indexes in folded.items():
        drop = ops[n]
        assert isinstance(drop, o.DropTable)
        t = drop.table
        out[n] = replace(drop, table=replace(t, indexes=(*t.indexes, *indexes)))
    return [op for op in out if op is not None]


def reduced(ops: Sequence[Op]) -> list[int]:
    """The indexes of the ops :func:`reduce` keeps."""
    kept = list(range(len(ops)))
    changed = True
    while changed:
        changed = False
        for i in range(len(kept) - 1):
            if ops[kept[i]].reverse() == (ops[kept[i + 1]],):
                del kept[i : i + 2]
                changed = True
                break
    return kept


#: Phases whose ops run kind by kind (all FK drops before any key drop, all keys
#: before any FK, ...); the others keep their per-table, per-column order.
_KIND_SORTED = {"rename", "drop_dependents", "enum_add", "create", "constrain", "decorate"}
_KIND_ORDER: dict[type[Op], int] = {
    # rename
    o.RenameEnum: 0,
    o.RenameEnumValue: 1,
    o.RenameTable: 2,
    o.RenameColumn: 3,
    o.RenameConstraint: 4,
    o.RenameIndex: 5,
    o.RenamePolicy: 6,
    # drop dependents
    o.DropView: 9,
    o.SetSequenceOwner: 10,
    o.DropPolicy: 10,
    o.DropOnUpdateTrigger: 13,
    DropAuditTrigger: 13,
    o.DropTrigger: 13,
    o.DropConstraint: 14,
    o.DropExclusion: 14,
    o.DropPrimaryKey: 16,
    o.DropIndex: 17,
    o.DropTable: 18,
    o.DropFunction: 18,
    # create
    o.CreateNamespace: 18,
    o.CreateExtension: 19,
    o.AlterExtension: 19,
    o.CreateEnum: 20,
    CreateDomain: 20,  # emitted after the enums, in build order (a stable sort keeps it)
    CreateComposite: 20,
    o.CreateFunction: 21,
    o.CreateSequence: 21,
    o.AddEnumValue: 21,
    o.CreateTable: 22,
    o.AddColumn: 23,
    # alter
    o.SetNotNull: 40,
    o.AlterIdentity: 41,
    # constrain
    o.AddPrimaryKey: 60,
    o.AddUnique: 61,
    o.AddCheck: 62,
    o.CreateIndex: 63,
    o.AddExclusion: 63,
    o.AddForeignKey: 64,
    # decorate (functions that name relations come before the views)
    o.ReplaceFunction: 68,
    o.CreateView: 69,
    o.CreateOnUpdateTrigger: 70,
    o.CreateTrigger: 70,
    o.SetRowLevelSecurity: 71,
    o.SetForceRowLevelSecurity: 72,
    o.CreatePolicy: 73,
    o.SetComment: 74,
    o.CommentOnView: 74,
}


def _kind(op: Op) -> int:
    if isinstance(op, o.DropConstraint) and not isinstance(op.constraint, ForeignKey):
        return 15  # uniques and checks after every FK drop (an FK depends on its key)
    return _KIND_ORDER.get(type(op), 50)


def in_phase_order(phase: str, ops: list[Op]) -> list[Op]:
    """The ops of one phase in the order they run (a stable sort by kind, or as emitted)."""
    if phase not in _KIND_SORTED:
        return ops
    return sorted(ops, key=_kind)
