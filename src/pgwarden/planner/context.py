"""The state one plan is built in: both schemas, the options, the ops emitted so far.

Every pass module (:mod:`pgwarden.planner.passes`) reads a :class:`PlanContext`
and appends ops to one of the phases of :data:`PHASES`; the phases run in their
fixed order, so a pass only has to be deterministic inside itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pgwarden.planner import ops as o
from pgwarden.planner.options import PlanOptions
from pgwarden.spec.model import Schema

#: The phases, in the order their ops run. The order encodes the dependencies
#: the model can express, so each pass only has to be deterministic inside.
PHASES = (
    # renames first: every later pass speaks the target's names, and a rename
    # is never mistaken for drop + add
    "rename",
    # objects that go or change, dependents before what they depend on:
    # policies, triggers, FKs, checks, uniques, PKs, indexes, RLS off; then the
    # tables that go (a new table may reuse their constraint and index names)
    "drop_dependents",
    # new enums and new enum values (ADD VALUE must commit before use)
    "enum_add",
    # new tables, new columns and their data steps (backfills)
    "create",
    # column changes: identity removal, type, default, generated, DROP NOT NULL
    "alter",
    # columns that go: after the data steps that may read them
    "drop",
    # enums that lose or reorder values: columns now have their target types
    "enum_recreate",
    # SET NOT NULL, then identity (which requires NOT NULL)
    "not_null",
    # Citus: reference tables, then distributed ones (planner/citus.py); before
    # the keys and indexes of "constrain", so foreign keys follow the distribution
    "distribute",
    # PKs, uniques, checks, indexes, then FKs (they need the keys they reference)
    "constrain",
    # maintained triggers, RLS, policies, comments
    "decorate",
    # VALIDATE of constraints added NOT VALID, each a separate step
    "validate",
    # enums no column uses any more
    "drop_enum",
)


@dataclass
class PlanContext:
    """Both schemas, the options, and the bookkeeping the passes share.

    ``now`` is the current schema with the plan's renames applied (the rename
    pass sets it): every later pass compares ``now`` with ``tgt`` by name.
    ``renamed_tables`` / ``renamed_columns`` / ``trigger_names`` remember what
    things are called *before* the plan (preflights and triggers need that).
    """

    cur: Schema
    tgt: Schema
    opts: PlanOptions
    out: dict[str, list[o.Op]] = field(default_factory=lambda: {p: [] for p in PHASES})
    now: Schema = field(default_factory=Schema)
    renamed_tables: set[str] = field(default_factory=set)
    renamed_columns: dict[str, set[str]] = field(default_factory=dict)
    trigger_names: dict[tuple[str, str], str] = field(default_factory=dict)
    recreated_functions: set[str] = field(default_factory=set)
    """Functions dropped and created again (their dependents follow them)."""

    def emit(self, phase: str, *ops: o.Op) -> None:
        """Append ``ops`` to the phase ``phase`` (see :data:`PHASES` for the order)."""
        self.out[phase].extend(ops)

    def existing(self, table: str) -> bool:
        """The table exists before the plan (possibly under another name) and stays."""
        return self.now.table(table) is not None and self.tgt.table(table) is not None

    def online(self, table: str) -> bool:
        """Use the online forms on ``table``: asked for, and the table exists with its rows."""
        return self.opts.online and self.existing(table)

    def pre_plan(self, table: str, columns: Iterable[str] = ()) -> bool:
        """The table and columns have these names before the plan (preflight can see them)."""
        if table in self.renamed_tables:
            return False
        cur = self.cur.table(table)
        if cur is None or self.tgt.table(table) is None:
            return False
        touched = self.renamed_columns.get(table, set())
        return all(cur.column(c) is not None and c not in touched for c in columns)

    def retyped(self, table: str) -> frozenset[str]:
        """Columns of ``table`` (target names) whose type this plan changes."""
        have, want = self.now.table(table), self.tgt.table(table)
        if have is None or want is None:
            return frozenset()
        return frozenset(
            c.name for c in want.columns if (old := have.column(c.name)) and old.type != c.type
        )

    def row_key(self, table: str) -> tuple[str, ...]:
        """The key the preflight of an op on ``table`` samples rows by, before the plan."""
        cur = self.cur.table(table)
        if cur is None or cur.primary_key is None:
            return ()
        pk = cur.primary_key.columns
        return pk if self.pre_plan(table, pk) else ()


__all__ = ["PHASES", "PlanContext"]
