"""The planner: ``plan(current, target) -> Plan``, a pure function of two models.

Like Django's autodetector it runs a fixed, commented sequence of passes (see
``PASSES``), each appending ops in a deterministic order (tables by name, kind
by kind), then a dependency sort of the renames and a reduce step. The same
input always yields the same ops, hence the same SQL bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pglast import ast, parse_sql
from pglast.stream import RawStream

from pgwarden.errors import RefusedError
from pgwarden.planner import ops as o
from pgwarden.planner.audit import DropAuditTrigger, plan_audit
from pgwarden.planner.order import reduce, sort_renames
from pgwarden.spec import names
from pgwarden.spec.exprs import column_refs
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    Policy,
    Schema,
    Table,
    UniqueConstraint,
)


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


@dataclass(frozen=True, slots=True)
class Plan:
    """An ordered tuple of ops. Empty means the schemas already agree."""

    ops: tuple[o.Op, ...] = ()

    def __iter__(self) -> Iterator[o.Op]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __bool__(self) -> bool:
        return bool(self.ops)

    def __getitem__(self, i: int) -> o.Op:
        return self.ops[i]

    def reverse(self) -> Plan:
        """The down plan: every op's reverse, last op first, reduced."""
        return Plan(reduce([r for op in reversed(self.ops) for r in op.reverse()]))

    @property
    def hazards(self) -> frozenset[o.Hazard]:
        return frozenset(h for op in self.ops for h in op.hazards)

    @property
    def atomic(self) -> bool:
        return all(op.atomic for op in self.ops)

    def preflights(self) -> tuple[o.PreflightQuery, ...]:
        """Queries to run against the database *before* the plan's first step."""
        return tuple(q for op in self.ops if (q := op.preflight()) is not None)

    def describe(self) -> str:
        lines = []
        for op in self.ops:
            flags = sorted(op.hazards) + ([] if op.atomic else ["non-atomic"])
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            lines.append(f"- {op.description}{suffix}")
        return "\n".join(lines)


#: The passes, in the order their ops run. The order encodes the dependencies
#: the model can express, so each pass only has to be deterministic inside.
PASSES = (
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
    # PKs, uniques, checks, indexes, then FKs (they need the keys they reference)
    "constrain",
    # maintained triggers, RLS, policies, comments
    "decorate",
    # VALIDATE of constraints added NOT VALID, each a separate step
    "validate",
    # enums no column uses any more
    "drop_enum",
)

T = TypeVar("T", UniqueConstraint, CheckConstraint, ForeignKey, Index, Policy)


def _unnamed(obj: T) -> T:
    return replace(obj, name="")


def plan(current: Schema, target: Schema, options: PlanOptions | None = None) -> Plan:
    """The ops that turn ``current`` into ``target``. Pure and deterministic.

    Raises :class:`~pgwarden.errors.RefusedError` when a destructive change
    is not acknowledged (``PlanOptions``), naming exactly what would be lost.
    """
    opts = options if options is not None else PlanOptions()
    planner = _Planner(current.normalized(), target.normalized(), opts)
    ops = reduce(planner.run())
    _check_consent(ops, opts, target.acknowledge_loss)
    return Plan(ops)


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
    if isinstance(op, o.RecreateEnum):
        return tuple(f"{op.enum}.{v}" for v in op.removed)
    return ()


@dataclass
class _Planner:
    cur: Schema
    tgt: Schema
    opts: PlanOptions
    out: dict[str, list[o.Op]] = field(default_factory=lambda: {p: [] for p in PASSES})
    # current schema with the renames applied (``cur2``), and the bookkeeping
    # needed to name things as they are *before* the plan (preflight, triggers)
    now: Schema = field(default_factory=Schema)
    renamed_tables: set[str] = field(default_factory=set)
    renamed_columns: dict[str, set[str]] = field(default_factory=dict)
    trigger_names: dict[tuple[str, str], str] = field(default_factory=dict)

    def emit(self, pass_name: str, *ops: o.Op) -> None:
        self.out[pass_name].extend(ops)

    def run(self) -> list[o.Op]:
        self.now = self._renames()
        now_tables = {t.name: t for t in self.now.tables}
        tgt_tables = {t.name: t for t in self.tgt.tables}
        self._enums()
        for name in sorted(now_tables.keys() - tgt_tables.keys()):
            self._drop_table(now_tables[name])
        for name in sorted(tgt_tables.keys() - now_tables.keys()):
            self._create_table(tgt_tables[name])
        for name in sorted(now_tables.keys() & tgt_tables.keys()):
            self._alter_table(now_tables[name], tgt_tables[name])
        plan_audit(self)
        return [op for p in PASSES for op in self._sorted(p)]

    def _sorted(self, pass_name: str) -> list[o.Op]:
        """Kind-major order inside a pass (all FK drops before any key drop, all
        keys before any FK, ...), stable; other passes keep their per-column order."""
        ops = self.out[pass_name]
        if pass_name not in _KIND_SORTED:
            return ops
        return sorted(ops, key=_kind)

    # ------------------------------------------------------------------ renames

    def _renames(self) -> Schema:
        cur, tgt = self.cur, self.tgt
        cur_enums = {e.name for e in cur.enums}
        tgt_enums = {e.name for e in tgt.enums}
        enum_pairs = _rename_pairs(
            [(e.renamed_from, e.name) for e in tgt.enums], cur_enums, tgt_enums
        )
        cur_tables = {t.name for t in cur.tables}
        tgt_tables = {t.name for t in tgt.tables}
        table_pairs = _rename_pairs(
            [(t.renamed_from, t.name) for t in tgt.tables], cur_tables, tgt_tables
        )
        # the model's triggers are named after table and column as they were
        for t in cur.tables:
            for c in t.columns:
                if c.maintained == "on_update":
                    self.trigger_names[(t.name, c.name)] = names.on_update_trigger(t.name, c.name)
        now = cur
        for old, new in sort_renames(enum_pairs, cur_enums):
            self.emit("rename", o.RenameEnum(old, new))
            now = _rename_enum(now, old, new)
        # enum values
        now_enums = {e.name: e for e in now.enums}
        for e in tgt.enums:
            have = now_enums.get(e.name)
            if have is None or not e.value_renames:
                continue
            pairs = _rename_pairs(list(e.value_renames), set(have.values), set(e.values))
            values = list(have.values)
            for old, new in sort_renames(pairs, set(values)):
                self.emit("rename", o.RenameEnumValue(e.name, old, new))
                values[values.index(old)] = new
                now = _rename_enum_value(now, e.name, old, new)
        for old, new in sort_renames(table_pairs, cur_tables):
            self.emit("rename", o.RenameTable(old, new))
            now = _rename_table(now, old, new)
            self.renamed_tables.add(new)
            self.renamed_tables.add(old)
            self.trigger_names = {
                ((new if t == old else t), c): n for (t, c), n in self.trigger_names.items()
            }
        # columns, per table (in target names)
        now_tables = {t.name: t for t in now.tables}
        for t in tgt.tables:
            have_t = now_tables.get(t.name)
            if have_t is None:
                continue
            have_names = set(have_t.column_names)
            want_names = set(t.column_names)
            col_pairs = _rename_pairs(
                [(c.renamed_from, c.name) for c in t.columns], have_names, want_names
            )
            for old, new in sort_renames(col_pairs, have_names):
                self.emit("rename", o.RenameColumn(t.name, old, new))
                now = _rename_column(now, t.name, old, new)
                touched = self.renamed_columns.setdefault(t.name, set())
                touched |= {old, new}
                key = (t.name, old)
                if key in self.trigger_names:
                    self.trigger_names[(t.name, new)] = self.trigger_names.pop(key)
        return now.normalized()

    # ------------------------------------------------------------------ bookkeeping

    def existing(self, table: str) -> bool:
        """The table exists before the plan (possibly under another name) and stays."""
        return any(t.name == table for t in self.now.tables) and any(
            t.name == table for t in self.tgt.tables
        )

    def online(self, table: str) -> bool:
        return self.opts.online and self.existing(table)

    def pre_plan(self, table: str, columns: Iterable[str] = ()) -> bool:
        """The table and columns have these names before the plan (preflight can see them)."""
        if table in self.renamed_tables:
            return False
        cur = self.cur.table(table)
        if cur is None or self.tgt.table(table) is None:
            return False
        touched = self.renamed_columns.get(table, set())
        return all(c in cur.column_names and c not in touched for c in columns)

    def row_key(self, table: str) -> tuple[str, ...]:
        cur = self.cur.table(table)
        if cur is None or cur.primary_key is None:
            return ()
        pk = cur.primary_key.columns
        return pk if self.pre_plan(table, pk) else ()

    def enum_fks(self, enum: str) -> tuple[tuple[str, ForeignKey], ...]:
        """FKs with a column of this enum type on either side that exist before and
        after the plan (the ones an enum recreate finds in place, both ways)."""
        before = set(self._enum_fks(self.now, enum))
        return tuple(x for x in self._enum_fks(self.tgt, enum) if x in before)

    def enum_policies(self, enum: str) -> tuple[tuple[str, Policy], ...]:
        """Unchanged policies that read a column of this enum type (before and after)."""
        out: list[tuple[str, Policy]] = []
        for t in self.tgt.tables:
            have = self.now.table(t.name)
            if have is None:
                continue
            typed = {
                c.name
                for c in t.columns
                if c.type.name == enum
                and not c.type.is_builtin
                and (hc := have.column(c.name)) is not None
                and hc.type.name == enum
            }
            out += [(t.name, p) for p in t.policies if p in have.policies and _reads(p, typed)]
        return tuple(out)

    def _enum_fks(self, schema: Schema, enum: str) -> tuple[tuple[str, ForeignKey], ...]:
        typed = {
            (t.name, c.name)
            for t in schema.tables
            for c in t.columns
            if c.type.name == enum and not c.type.is_builtin
        }
        return tuple(
            (t.name, fk)
            for t in schema.tables
            for fk in t.foreign_keys
            if any((t.name, c) in typed for c in fk.columns)
            or any((fk.ref_table, c) in typed for c in fk.ref_columns)
        )

    def usages(self, schema: Schema, enum: str) -> tuple[o.EnumUsage, ...]:
        return tuple(
            o.EnumUsage(t.name, c.name, c.type.array, c.default)
            for t in schema.tables
            for c in t.columns
            if c.type.name == enum and not c.type.is_builtin
        )

    # ------------------------------------------------------------------ enums

    def _enums(self) -> None:
        now = {e.name: e for e in self.now.enums}
        tgt = {e.name: e for e in self.tgt.enums}
        for name in sorted(tgt.keys() - now.keys()):
            e = tgt[name]
            self.emit("enum_add", o.CreateEnum(e))
            if e.comment is not None:
                self.emit("decorate", o.SetComment("type", (name,), None, e.comment))
        for name in sorted(now.keys() - tgt.keys()):
            self.emit("drop_enum", o.DropEnum(now[name]))
        for name in sorted(now.keys() & tgt.keys()):
            self._alter_enum(now[name], tgt[name])

    def _alter_enum(self, have: Enum, want: Enum) -> None:
        values = list(have.values)
        before_usages = self.usages(self.now, have.name)
        for i, v in enumerate(want.values):
            if v in values:
                continue
            prev = next((p for p in reversed(want.values[:i]) if p in values), None)
            nxt = next((n for n in want.values[i + 1 :] if n in values), None)
            after, before = (prev, None) if prev is not None else (None, nxt)
            self.emit(
                "enum_add",
                o.AddEnumValue(
                    want.name,
                    v,
                    before,
                    after,
                    tuple(values),
                    before_usages,
                    have.comment,
                    self.enum_fks(have.name),
                    self.enum_policies(have.name),
                ),
            )
            values[:] = o.insert_value(tuple(values), v, before, after)
        if tuple(values) != want.values:
            usages = self.usages(self.tgt, want.name)
            check = all(self.pre_plan(u.table, [u.column]) for u in usages) and all(
                (cur_t := self.cur.table(u.table)) is not None
                and (cur_c := cur_t.column(u.column)) is not None
                and cur_c.type.name == want.name
                for u in usages
            )
            self.emit(
                "enum_recreate",
                o.RecreateEnum(
                    want.name,
                    tuple(values),
                    want.values,
                    usages,
                    have.comment,  # the comment pass (later) sets the new one
                    check,
                    self.enum_fks(want.name),
                    self.enum_policies(want.name),
                ),
            )
        if have.comment != want.comment:
            self.emit("decorate", o.SetComment("type", (want.name,), have.comment, want.comment))

    # ------------------------------------------------------------------ tables

    def _create_table(self, t: Table) -> None:
        bare = replace(t, indexes=(), foreign_keys=(), policies=())
        self.emit("create", o.CreateTable(bare))
        for i in t.indexes:
            self.emit("constrain", o.CreateIndex(t.name, i))
        for fk in t.foreign_keys:
            self.emit("constrain", o.AddForeignKey(t.name, fk))
        self._decorate(None, t)

    def _drop_table(self, t: Table) -> None:
        for p in t.policies:
            self.emit("drop_dependents", o.DropPolicy(t.name, p))
        for c in t.columns:
            if c.maintained == "on_update":
                name = self.trigger_names[(t.name, c.name)]
                self.emit("drop_dependents", o.DropOnUpdateTrigger(t.name, c.name, name))
        for fk in t.foreign_keys:
            self.emit("drop_dependents", o.DropConstraint(t.name, fk))
        for i in t.indexes:
            self.emit("drop_dependents", o.DropIndex(t.name, i))
        # early, with the dependents: a new table may reuse its key and index names
        self.emit(
            "drop_dependents", o.DropTable(replace(t, indexes=(), foreign_keys=(), policies=()))
        )

    def _decorate(
        self, have: Table | None, want: Table, retyped: AbstractSet[str] = frozenset()
    ) -> None:
        """Triggers, RLS, policies and comments (``have`` None: a new table).

        Policies reading a column whose type changes are dropped and created
        again: Postgres refuses ALTER COLUMN TYPE under a policy."""
        name = want.name
        have_cols = {c.name: c for c in have.columns} if have else {}
        # triggers
        for c in want.columns:
            if c.maintained != "on_update":
                continue
            wanted = names.on_update_trigger(name, c.name)
            if self.trigger_names.get((name, c.name)) != wanted or (
                have is not None and have_cols.get(c.name) is None
            ):
                self.emit("decorate", o.CreateOnUpdateTrigger(name, c.name, wanted))
        if have is not None:
            for c in have.columns:
                old = self.trigger_names.get((name, c.name))
                w = want.column(c.name)
                if old is None:
                    continue
                if (
                    w is None
                    or w.maintained != "on_update"
                    or old != names.on_update_trigger(name, c.name)
                ):
                    self.emit("drop_dependents", o.DropOnUpdateTrigger(name, c.name, old))
        # RLS
        was_enabled = have.rls_enabled if have else False
        was_forced = have.rls_forced if have else False
        if want.rls_enabled != was_enabled:
            where = "decorate" if want.rls_enabled else "drop_dependents"
            self.emit(where, o.SetRowLevelSecurity(name, want.rls_enabled))
        if want.rls_forced != was_forced:
            where = "decorate" if want.rls_forced else "drop_dependents"
            self.emit(where, o.SetForceRowLevelSecurity(name, want.rls_forced))
        # policies (a policy named after a renamed table is renamed, not rebuilt)
        self._named(
            name,
            have.policies if have else (),
            want.policies,
            lambda p: _reads(p, retyped),
            lambda p: o.DropPolicy(name, p),
            lambda p: [o.CreatePolicy(name, p)],
            o.RenamePolicy,
            create_pass="decorate",
        )
        # comments
        if want.comment != (have.comment if have else None):
            self.emit(
                "decorate",
                o.SetComment("table", (name,), have.comment if have else None, want.comment),
            )
        for c in want.columns:
            old_comment = hc.comment if (hc := have_cols.get(c.name)) else None
            if c.comment != old_comment:
                self.emit(
                    "decorate", o.SetComment("column", (name, c.name), old_comment, c.comment)
                )

    def _alter_table(self, have: Table, want: Table) -> None:
        name = want.name
        online = self.online(name)
        key = self.row_key(name)
        have_cols = {c.name: c for c in have.columns}
        want_cols = {c.name: c for c in want.columns}
        recreated: set[str] = set()  # columns dropped and added again (generated)

        # columns that go (after data steps)
        for c in have.columns:
            if c.name not in want_cols:
                self.emit(
                    "drop",
                    o.DropColumn(name, c, online, key, self.pre_plan(name, [c.name])),
                )

        # columns that come
        for c in want.columns:
            if c.name in have_cols:
                continue
            self._add_column(name, c, online, key)

        # columns that change
        for c in want.columns:
            old = have_cols.get(c.name)
            if old is None:
                continue
            if old.generated is None and c.generated is not None:
                # a plain column cannot become generated: drop and add it again
                self.emit("alter", o.DropColumn(name, old, online, key, False))
                self.emit("alter", o.AddColumn(name, c, online, key, False))
                recreated.add(c.name)
                continue
            self._alter_column(name, old, c, online, key)

        retyped = {
            c.name
            for c in want.columns
            if (old := have_cols.get(c.name)) is not None and old.type != c.type
        }
        self._constraints(have, want, online, key, recreated)
        self._decorate(have, want, retyped | recreated)

    def _add_column(self, table: str, c: Column, online: bool, key: tuple[str, ...]) -> None:
        needs_fill = c.backfill is not None
        if needs_fill and not c.nullable and c.default is None:
            # add it nullable, fill it, then constrain it (not_null pass)
            self.emit("create", o.AddColumn(table, replace(c, nullable=True), online, key))
            self.emit("create", o.Backfill(table, c.name, c.backfill or ""))
            self.emit("not_null", o.SetNotNull(table, c.name, online, key, False))
            return
        self.emit("create", o.AddColumn(table, c, online, key, self.pre_plan(table)))
        if needs_fill:
            self.emit("create", o.Backfill(table, c.name, c.backfill or ""))

    def _alter_column(
        self, table: str, old: Column, new: Column, online: bool, key: tuple[str, ...]
    ) -> None:
        col = new.name
        check = self.pre_plan(table, [col])
        identities = ("always", "by default")
        if old.identity != new.identity:
            if old.identity in identities and new.identity in identities:
                self.emit(
                    "alter", o.AlterIdentity(table, col, new.type, old.identity, new.identity)
                )
            else:
                if old.identity is not None:
                    self.emit(
                        "alter", o.AlterIdentity(table, col, old.type, old.identity, None, online)
                    )
                if new.identity is not None:
                    self.emit(
                        "not_null",
                        o.AlterIdentity(table, col, new.type, None, new.identity, online),
                    )
        if old.type != new.type:
            self.emit(
                "alter",
                o.AlterColumnType(
                    table,
                    col,
                    old.type,
                    new.type,
                    new.default,
                    old.default,
                    old.generated is not None,
                    key,
                    check,
                ),
            )
        elif old.default != new.default:
            self.emit("alter", o.SetDefault(table, col, old.default, new.default))
        if old.generated != new.generated:
            self.emit("alter", o.AlterGenerated(table, col, old.generated, new.generated))
        if old.nullable and not new.nullable:
            self.emit("not_null", o.SetNotNull(table, col, online, key, check))
        elif not old.nullable and new.nullable:
            self.emit("alter", o.DropNotNull(table, col, online, key, check))

    # ------------------------------------------------------------------ constraints

    def _constraints(
        self,
        have: Table,
        want: Table,
        online: bool,
        key: tuple[str, ...],
        recreated: set[str],
    ) -> None:
        name = want.name

        def touches(cols: Iterable[str | None]) -> bool:
            return any(c in recreated for c in cols)

        # primary key
        hp, wp = have.primary_key, want.primary_key
        if hp != wp or (hp is not None and touches(hp.columns)):
            if hp is not None and wp is not None and replace(hp, name="") == replace(wp, name=""):
                self.emit("rename", o.RenameConstraint(name, hp.name, wp.name))
            else:
                if hp is not None:
                    self.emit("drop_dependents", o.DropPrimaryKey(name, hp, online))
                if wp is not None:
                    self.emit(
                        "constrain",
                        o.AddPrimaryKey(name, wp, online, self.pre_plan(name, wp.columns)),
                    )
        self._named(
            name,
            have.uniques,
            want.uniques,
            lambda u: touches(u.columns),
            lambda u: o.DropConstraint(name, u, online),
            lambda u: [o.AddUnique(name, u, online, self.pre_plan(name, u.columns))],
            o.RenameConstraint,
        )
        self._named(
            name,
            have.checks,
            want.checks,
            lambda c: bool(recreated),
            lambda c: o.DropConstraint(name, c, online, key),
            lambda c: [
                o.AddCheck(name, c, online, key, self.pre_plan(name)),
                *([o.ValidateConstraint(name, c.name)] if online else []),
            ],
            o.RenameConstraint,
        )
        self._named(
            name,
            have.indexes,
            want.indexes,
            lambda i: (
                touches(i.column_names)
                or touches(i.include)
                or bool(recreated and (i.where or any(e.expression for e in i.elements)))
            ),
            lambda i: o.DropIndex(name, i, online),
            lambda i: [
                o.CreateIndex(
                    name, i, online, self.pre_plan(name, [c for c in i.column_names if c])
                )
            ],
            lambda table, old, new: o.RenameIndex(old, new),
        )
        self._named(
            name,
            have.foreign_keys,
            want.foreign_keys,
            lambda f: touches(f.columns) or self._key_changes(f),
            lambda f: o.DropConstraint(name, f, online),
            lambda f: [
                o.AddForeignKey(
                    name,
                    f,
                    online,
                    self.pre_plan(name, f.columns) and self.pre_plan(f.ref_table, f.ref_columns),
                ),
                *([o.ValidateConstraint(name, f.name)] if online else []),
            ],
            o.RenameConstraint,
        )

    def _key_changes(self, fk: ForeignKey) -> bool:
        """The unique key an FK references is dropped and recreated by this plan."""
        have = self.now.table(fk.ref_table)
        want = self.tgt.table(fk.ref_table)
        if have is None or want is None:
            return False
        # the FK depends on one matching key's index; if any of them is dropped or
        # rebuilt, the FK must go first and come back after
        cols = set(fk.ref_columns)
        keys_want = _keys(want, cols)
        return any(keys_want.get(name) != key for name, key in _keys(have, cols).items())

    def _named(
        self,
        table: str,
        have: tuple[T, ...],
        want: tuple[T, ...],
        f: Callable[[T], bool],
        d: Callable[[T], o.Op],
        a: Callable[[T], list[o.Op]],
        r: Callable[[str, str, str], o.Op],
        create_pass: str = "constrain",
    ) -> None:
        """Diff one kind of named object: rename when only the name changed."""
        have_by = {x.name: x for x in have}
        want_by = {x.name: x for x in want}
        gone = [x for x in have if want_by.get(x.name) != x or f(x)]
        come = [x for x in want if have_by.get(x.name) != x or f(x)]
        # pure renames: same definition, new name, nothing forcing a rebuild
        for x in list(gone):
            if x.name in want_by or f(x):
                continue
            match = next(
                (y for y in come if y.name not in have_by and _unnamed(y) == _unnamed(x)), None
            )
            if match is not None:
                self.emit("rename", r(table, x.name, match.name))
                gone.remove(x)
                come.remove(match)
        for x in gone:
            self.emit("drop_dependents", d(x))
        for y in come:
            ops = a(y)
            self.emit(create_pass, ops[0])
            if len(ops) > 1:
                self.emit("validate", *ops[1:])


def _reads(policy: Policy, columns: AbstractSet[str]) -> bool:
    """Whether the policy's expressions name one of the columns (unparsable: assume so)."""
    if not columns:
        return False
    for text in (policy.using, policy.with_check):
        if text is None:
            continue
        try:
            refs = column_refs(text)
        except Exception:  # an expression pglast cannot read: be safe
            return True
        if columns & set(refs):
            return True
    return False


def _rename_pairs(
    declared: Iterable[tuple[str | None, str]], have: set[str], want: set[str]
) -> list[tuple[str, str]]:
    """The declared renames that apply: the old name exists and is not wanted as
    itself, and the new name is free (or is itself renamed away: a swap)."""
    candidates = [(r, n) for r, n in declared if r is not None and r != n and r in have]
    sources = {r for r, _ in candidates}
    targets = {n for _, n in candidates}
    return [
        (r, n)
        for r, n in candidates
        if (n not in have or n in sources) and (r not in want or r in targets)
    ]


def _keys(t: Table, cols: set[str]) -> dict[str, object]:
    """The PK, unique constraints and full unique indexes over exactly ``cols``."""
    found: dict[str, object] = {}
    if t.primary_key is not None and set(t.primary_key.columns) == cols:
        found[t.primary_key.name] = t.primary_key
    found.update({u.name: u for u in t.uniques if set(u.columns) == cols})
    found.update(
        {
            i.name: i
            for i in t.indexes
            if i.unique and i.where is None and {e.column for e in i.elements} == cols
        }
    )
    return found


_KIND_SORTED = {"rename", "drop_dependents", "enum_add", "create", "constrain", "decorate"}
_KIND_ORDER: dict[type[o.Op], int] = {
    # rename
    o.RenameEnum: 0,
    o.RenameEnumValue: 1,
    o.RenameTable: 2,
    o.RenameColumn: 3,
    o.RenameConstraint: 4,
    o.RenameIndex: 5,
    o.RenamePolicy: 6,
    # drop dependents
    o.DropPolicy: 10,
    o.DropOnUpdateTrigger: 13,
    DropAuditTrigger: 13,
    o.DropConstraint: 14,
    o.DropPrimaryKey: 16,
    o.DropIndex: 17,
    o.DropTable: 18,
    # create
    o.CreateEnum: 20,
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
    o.AddForeignKey: 64,
    # decorate
    o.CreateOnUpdateTrigger: 70,
    o.SetRowLevelSecurity: 71,
    o.SetForceRowLevelSecurity: 72,
    o.CreatePolicy: 73,
    o.SetComment: 74,
}


def _renamed_in(text: str | None, old: str, new: str) -> str | None:
    """``text`` with column ``old`` renamed to ``new`` (Postgres does the same to the
    expressions it stores), printed like the loader prints expressions. Text that
    does not name ``old`` is returned as it is."""
    if text is None:
        return None
    try:
        if old not in column_refs(text):
            return text
        stmt: Any = parse_sql(f"SELECT {text}")[0].stmt
        target = stmt.targetList[0].val
        for node in _walk(target):
            if isinstance(node, ast.ColumnRef) and node.fields:
                last = node.fields[-1]
                if isinstance(last, ast.String) and last.sval == old:
                    node.fields = (*node.fields[:-1], ast.String(sval=new))
        return str(RawStream()(target))
    except Exception:  # unreadable: leave it; the object is then rebuilt, not renamed
        return text


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from _walk(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)


def _kind(op: o.Op) -> int:
    if isinstance(op, o.DropConstraint) and not isinstance(op.constraint, ForeignKey):
        return 15  # uniques and checks after every FK drop (an FK depends on its key)
    return _KIND_ORDER.get(type(op), 50)


def _rename_enum(s: Schema, old: str, new: str) -> Schema:
    def ty(t: ColumnType) -> ColumnType:
        return replace(t, name=new) if t.name == old and not t.is_builtin else t

    return replace(
        s,
        enums=tuple(replace(e, name=new) if e.name == old else e for e in s.enums),
        tables=tuple(
            replace(t, columns=tuple(replace(c, type=ty(c.type)) for c in t.columns))
            for t in s.tables
        ),
    )


def _rename_enum_value(s: Schema, enum: str, old: str, new: str) -> Schema:
    def col(c: Column) -> Column:
        # a default holding the label follows it (Postgres stores the value, not the text)
        if c.type.name != enum or c.type.is_builtin or c.type.array or c.default is None:
            return c
        return replace(c, default=_relabelled(c.default, old, new))

    return replace(
        s,
        enums=tuple(
            replace(e, values=tuple(new if v == old else v for v in e.values))
            if e.name == enum
            else e
            for e in s.enums
        ),
        tables=tuple(replace(t, columns=tuple(col(c) for c in t.columns)) for t in s.tables),
    )


def _relabelled(text: str, old: str, new: str) -> str:
    """A default whose string constant is ``old`` with ``new`` instead."""
    try:
        stmt: Any = parse_sql(f"SELECT {text}")[0].stmt
        target = stmt.targetList[0].val
        changed = False
        for node in _walk(target):
            value = getattr(node, "val", None) if isinstance(node, ast.A_Const) else None
            if isinstance(value, ast.String) and value.sval == old:
                node.val = ast.String(sval=new)
                changed = True
        return str(RawStream()(target)) if changed else text
    except Exception:  # unreadable: the default is then simply set again
        return text


def _rename_table(s: Schema, old: str, new: str) -> Schema:
    def fk(f: ForeignKey) -> ForeignKey:
        return replace(f, ref_table=new) if f.ref_table == old else f

    return replace(
        s,
        tables=tuple(
            replace(
                t,
                name=new if t.name == old else t.name,
                foreign_keys=tuple(fk(f) for f in t.foreign_keys),
            )
            for t in s.tables
        ),
    )


def _rename_column(s: Schema, table: str, old: str, new: str) -> Schema:
    def r(c: str) -> str:
        return new if c == old else c

    def rs(cols: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(r(c) for c in cols)

    def elem(e: IndexElement) -> IndexElement:
        if e.column is not None:
            return replace(e, column=r(e.column))
        return replace(e, expression=_renamed_in(e.expression, old, new))

    def x(text: str | None) -> str | None:
        return _renamed_in(text, old, new)

    def own(t: Table) -> Table:
        return replace(
            t,
            columns=tuple(replace(c, name=r(c.name), generated=x(c.generated)) for c in t.columns),
            checks=tuple(replace(c, expression=x(c.expression) or "") for c in t.checks),
            policies=tuple(
                replace(p, using=x(p.using), with_check=x(p.with_check)) for p in t.policies
            ),
            primary_key=(
                replace(t.primary_key, columns=rs(t.primary_key.columns)) if t.primary_key else None
            ),
            uniques=tuple(replace(u, columns=rs(u.columns)) for u in t.uniques),
            foreign_keys=tuple(replace(f, columns=rs(f.columns)) for f in t.foreign_keys),
            indexes=tuple(
                replace(
                    i,
                    elements=tuple(elem(e) for e in i.elements),
                    include=rs(i.include),
                    where=x(i.where),
                )
                for i in t.indexes
            ),
        )

    def refs(t: Table) -> Table:
        return replace(
            t,
            foreign_keys=tuple(
                replace(f, ref_columns=rs(f.ref_columns)) if f.ref_table == table else f
                for f in t.foreign_keys
            ),
        )

    return replace(s, tables=tuple(refs(own(t)) if t.name == table else refs(t) for t in s.tables))


__all__ = ["PASSES", "Plan", "PlanOptions", "plan"]
