"""Migration operations: immutable values, each knowing its reverse and its hazards.

An op describes one change to a schema in model terms; it never holds SQL (the
renderer, :mod:`pgwarden.render.sql`, turns ops into statements through a
registry). Like alembic's ops, the downgrade is *derived*: ``op.reverse()``
returns the ops that undo it, and :meth:`Plan.reverse` reverses a whole plan.

``online`` on an op means "this table exists before and after the op and may
hold rows": the renderer then uses the lock-friendly forms (CONCURRENTLY,
NOT VALID + VALIDATE, ``USING INDEX``). A table created in the same plan is
empty and gets the plain forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

from psycopg import sql

from pgwarden.spec import names
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    Policy,
    PrimaryKey,
    Table,
    UniqueConstraint,
)

Hazard = Literal[
    "destructive",  # data is lost (drop table/column, narrowing type, enum value removal)
    "rewrites_table",  # the whole table is rewritten under an ACCESS EXCLUSIVE lock
    "long_lock",  # a lock that blocks writes is held for a scan of the table
    "may_fail_on_data",  # existing rows can make it fail (see preflight())
    "data_step",  # changes rows, not the schema
]
HAZARDS: tuple[Hazard, ...] = (
    "destructive",
    "rewrites_table",
    "long_lock",
    "may_fail_on_data",
    "data_step",
)

CommentTarget = Literal["table", "column", "type"]


def ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)


def qname(name: str) -> str:
    """An identifier as quoted SQL text, for descriptions and hand-off messages."""
    return sql.Identifier(name).as_string(None)


@dataclass(frozen=True, slots=True)
class PreflightQuery:
    """SQL that finds the rows an op would fail on, and SQL that would fix them.

    ``sql`` returns exactly one row ``(violations bigint, samples text[])``:
    the number of offending rows (or groups) and up to ten sample keys.
    ``fix_sql`` is a suggestion for a human (review before running it).
    """

    description: str
    table: str
    sql: str
    fix_sql: str
    upfront: bool = True
    """True: valid against the database before the plan's first step. False: it
    names a table or column the plan itself creates or renames, so it is only
    valid just before the op's own step."""


class Op:
    """Base of every operation (subclasses are frozen dataclasses)."""

    __slots__ = ()

    @property
    def atomic(self) -> bool:
        """False when (part of) the op cannot run inside a transaction."""
        return True

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset()

    @property
    def description(self) -> str:
        raise NotImplementedError

    @property
    def destructive(self) -> bool:
        return "destructive" in self.hazards

    def reverse(self) -> tuple[Op, ...]:
        raise NotImplementedError

    def preflight(self) -> PreflightQuery | None:
        """The data check for this op, when existing rows can make it fail."""
        query = self._preflight()
        if query is None:
            return None
        return replace(query, upfront=bool(getattr(self, "check_data", True)))

    def _preflight(self) -> PreflightQuery | None:
        return None

    def loss(self) -> str | None:
        """For destructive ops: exactly what would be lost (used by the refusal)."""
        return None


# --------------------------------------------------------------------------- enums


@dataclass(frozen=True, slots=True)
class EnumUsage:
    """A column whose type is (an array of) an enum, with its default at that point."""

    table: str
    column: str
    array: bool
    default: str | None


@dataclass(frozen=True, slots=True)
class CreateEnum(Op):
    enum: Enum

    @property
    def description(self) -> str:
        return f"create enum {qname(self.enum.name)}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropEnum(self.enum),)


@dataclass(frozen=True, slots=True)
class DropEnum(Op):
    enum: Enum

    @property
    def description(self) -> str:
        return f"drop enum {qname(self.enum.name)}"

    def reverse(self) -> tuple[Op, ...]:
        ops: list[Op] = [CreateEnum(self.enum)]
        if self.enum.comment is not None:
            ops.append(SetComment("type", (self.enum.name,), None, self.enum.comment))
        return tuple(ops)


@dataclass(frozen=True, slots=True)
class RenameEnum(Op):
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename enum {qname(self.old)} to {qname(self.new)}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenameEnum(self.new, self.old),)


@dataclass(frozen=True, slots=True)
class RenameEnumValue(Op):
    enum: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename value {self.old!r} of enum {qname(self.enum)} to {self.new!r}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenameEnumValue(self.enum, self.new, self.old),)


@dataclass(frozen=True, slots=True)
class AddEnumValue(Op):
    """``ALTER TYPE ... ADD VALUE`` placed BEFORE/AFTER its neighbour.

    Not atomic: a value added in a transaction cannot be used until that
    transaction commits, so the step runs (and commits) alone.
    ``values_before`` is the full value list before the addition, so the
    reverse (a recreate of the type) knows what to go back to.
    """

    enum: str
    value: str
    before: str | None
    after: str | None
    values_before: tuple[str, ...]
    usages: tuple[EnumUsage, ...] = ()
    comment: str | None = None
    foreign_keys: tuple[tuple[str, ForeignKey], ...] = ()
    policies: tuple[tuple[str, Policy], ...] = ()

    @property
    def atomic(self) -> bool:
        return False

    @property
    def description(self) -> str:
        where = (
            f" before {self.before!r}"
            if self.before is not None
            else f" after {self.after!r}"
            if self.after is not None
            else ""
        )
        return f"add value {self.value!r} to enum {qname(self.enum)}{where}"

    def reverse(self) -> tuple[Op, ...]:
        after = insert_value(self.values_before, self.value, self.before, self.after)
        return (
            RecreateEnum(
                self.enum,
                after,
                self.values_before,
                self.usages,
                self.comment,
                False,
                self.foreign_keys,
                self.policies,
            ),
        )


def insert_value(
    values: tuple[str, ...], value: str, before: str | None, after: str | None
) -> tuple[str, ...]:
    """``values`` with ``value`` placed as ``ALTER TYPE ... ADD VALUE`` would place it."""
    if before is not None:
        i = values.index(before)
    elif after is not None:
        i = values.index(after) + 1
    else:
        i = len(values)
    return (*values[:i], value, *values[i:])


@dataclass(frozen=True, slots=True)
class RecreateEnum(Op):
    """Change an enum's values in a way ADD VALUE cannot: remove or reorder.

    Renders as: rename the old type aside, create the new one, move every
    column that uses it (``USING col::text::type``; defaults dropped and put
    back), drop the old type. Rows holding a removed value make it fail; the
    preflight counts them first.
    """

    enum: str
    old_values: tuple[str, ...]
    new_values: tuple[str, ...]
    usages: tuple[EnumUsage, ...] = ()
    comment: str | None = None
    check_data: bool = False
    foreign_keys: tuple[tuple[str, ForeignKey], ...] = ()
    """FKs between columns of this type: dropped and re-added around the move
    (the two sides cannot have different types in between)."""
    policies: tuple[tuple[str, Policy], ...] = ()
    """Policies that read a column of this type: Postgres refuses to change the
    type of a column a policy uses, so they are dropped and created again."""

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(v for v in self.old_values if v not in self.new_values)

    @property
    def hazards(self) -> frozenset[Hazard]:
        hz: set[Hazard] = set()
        if self.usages:
            hz |= {"rewrites_table", "long_lock"}
        if self.removed:
            hz |= {"destructive", "may_fail_on_data"}
        return frozenset(hz)

    @property
    def description(self) -> str:
        if self.removed:
            gone = ", ".join(repr(v) for v in self.removed)
            return f"recreate enum {qname(self.enum)} without {gone}"
        return f"recreate enum {qname(self.enum)} to reorder its values"

    def loss(self) -> str | None:
        if not self.removed:
            return None
        gone = ", ".join(repr(v) for v in self.removed)
        used = ", ".join(f"{u.table}.{u.column}" for u in self.usages) or "no column"
        return f"enum {self.enum}: value(s) {gone} removed (used by {used})"

    def reverse(self) -> tuple[Op, ...]:
        return (
            RecreateEnum(
                self.enum,
                self.new_values,
                self.old_values,
                self.usages,
                self.comment,
                self.check_data,
                self.foreign_keys,
                self.policies,
            ),
        )

    def _preflight(self) -> PreflightQuery | None:
        if not self.removed or not self.usages:
            return None
        removed = sql.SQL(", ").join(sql.Literal(v) for v in self.removed)
        parts: list[sql.Composable] = []
        fixes: list[sql.Composable] = []
        for u in self.usages:
            if u.array:
                cond = sql.SQL("{}::text[] && ARRAY[{}]::text[]").format(ident(u.column), removed)
            else:
                cond = sql.SQL("{}::text IN ({})").format(ident(u.column), removed)
            label = sql.Literal(f"{u.table}.{u.column}=")
            parts.append(
                sql.SQL("SELECT {label} || {col}::text AS k FROM {t} WHERE {cond}").format(
                    label=label, col=ident(u.column), t=ident(u.table), cond=cond
                )
            )
            fixes.append(
                sql.SQL("UPDATE {t} SET {c} = <another value> WHERE {cond};").format(
                    t=ident(u.table), c=ident(u.column), cond=cond
                )
            )
        union = sql.SQL(" UNION ALL ").join(parts)
        query = sql.SQL(
            "SELECT count(*) AS violations, (array_agg(k ORDER BY k))[1:10] AS samples FROM ({}) v"
        ).format(union)
        return PreflightQuery(
            f"rows using removed value(s) of enum {self.enum}",
            self.usages[0].table,
            query.as_string(None),
            "\n".join(f.as_string(None) for f in fixes),
        )


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class CreateTable(Op):
    """CREATE TABLE with columns, primary key, checks and unique constraints inline.

    Indexes, foreign keys, triggers, RLS, policies and comments are separate ops
    (foreign keys last, so cycles work).
    """

    table: Table

    @property
    def description(self) -> str:
        return f"create table {qname(self.table.name)}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropTable(self.table),)


@dataclass(frozen=True, slots=True)
class DropTable(Op):
    table: Table

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"destructive"})

    @property
    def description(self) -> str:
        return f"drop table {qname(self.table.name)}"

    def loss(self) -> str | None:
        cols = ", ".join(f"{c.name} {c.type.spec_text()}" for c in self.table.columns)
        return f"table {self.table.name} and all its rows ({cols})"

    def reverse(self) -> tuple[Op, ...]:
        # what CreateTable does not carry: table-level state dropped with the table
        t = self.table
        bare = replace(t, indexes=(), foreign_keys=(), policies=())
        ops: list[Op] = [CreateTable(bare)]
        ops.extend(_comment_ops(bare))
        if t.rls_enabled:
            ops.append(SetRowLevelSecurity(t.name, True))
        if t.rls_forced:
            ops.append(SetForceRowLevelSecurity(t.name, True))
        return tuple(ops)


def _comment_ops(t: Table) -> Iterator[Op]:
    if t.comment is not None:
        yield SetComment("table", (t.name,), None, t.comment)
    for c in t.columns:
        if c.comment is not None:
            yield SetComment("column", (t.name, c.name), None, c.comment)


@dataclass(frozen=True, slots=True)
class RenameTable(Op):
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename table {qname(self.old)} to {qname(self.new)}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenameTable(self.new, self.old),)


# --------------------------------------------------------------------------- columns

_VOLATILE_HINTS = ("random(", "gen_random_uuid(", "uuid_generate", "clock_timestamp(", "nextval(")


@dataclass(frozen=True, slots=True)
class AddColumn(Op):
    table: str
    column: Column
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        c = self.column
        hz: set[Hazard] = set()
        if not (self.online or self.check_data):
            return frozenset()
        if c.generated is not None or c.identity is not None:
            hz |= {"rewrites_table", "long_lock"}
        if c.default is not None and any(h in c.default.lower() for h in _VOLATILE_HINTS):
            hz |= {"rewrites_table", "long_lock"}
        if not c.nullable and c.default is None and c.identity is None and c.generated is None:
            hz.add("may_fail_on_data")
        return frozenset(hz)

    @property
    def description(self) -> str:
        return (
            f"add column {qname(self.table)}.{qname(self.column.name)} "
            f"{self.column.type.spec_text()}"
        )

    def reverse(self) -> tuple[Op, ...]:
        return (DropColumn(self.table, self.column, self.online, self.row_key, self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        if "may_fail_on_data" not in self.hazards:
            return None
        return PreflightQuery(
            f"rows in {self.table}: a NOT NULL column {self.column.name} without default "
            "cannot be added to a table with rows",
            self.table,
            _count_rows(self.table, self.row_key, sql.SQL("true")),
            f"-- give {self.table}.{self.column.name} a default or a backfill in the spec",
        )


@dataclass(frozen=True, slots=True)
class DropColumn(Op):
    table: str
    column: Column
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"destructive"})

    @property
    def description(self) -> str:
        return f"drop column {qname(self.table)}.{qname(self.column.name)}"

    def loss(self) -> str | None:
        return f"column {self.table}.{self.column.name} ({self.column.type.spec_text()})"

    def reverse(self) -> tuple[Op, ...]:
        c = self.column
        ops: list[Op] = []
        if not self.online or c.backfill is None:
            ops.append(AddColumn(self.table, c, self.online, self.row_key, self.check_data))
        else:
            # restore the column, refill it from its declared backfill, then constrain it
            ops += [
                AddColumn(self.table, replace(c, nullable=True), self.online, self.row_key),
                Backfill(self.table, c.name, c.backfill),
            ]
            if not c.nullable:
                ops.append(SetNotNull(self.table, c.name, self.online, self.row_key))
        if c.comment is not None:
            ops.append(SetComment("column", (self.table, c.name), None, c.comment))
        return tuple(ops)


@dataclass(frozen=True, slots=True)
class RenameColumn(Op):
    table: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename column {qname(self.table)}.{qname(self.old)} to {qname(self.new)}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenameColumn(self.table, self.new, self.old),)


@dataclass(frozen=True, slots=True)
class Backfill(Op):
    """A data step: ``UPDATE table SET column = (expression)`` for every row.

    Its reverse is nothing: the column it filled is dropped by the reverse of
    the op that added it.
    """

    table: str
    column: str
    expression: str

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"data_step"})

    @property
    def description(self) -> str:
        return f"backfill {qname(self.table)}.{qname(self.column)} = ({self.expression})"

    def reverse(self) -> tuple[Op, ...]:
        return ()


TypeChange = Literal["widening", "narrowing"]


def classify_type_change(old: ColumnType, new: ColumnType) -> tuple[TypeChange, bool]:
    """(kind, rewrites): whether every old value survives, and whether the table is rewritten."""
    if old.array != new.array:
        return "narrowing", True
    o, n = old.name, new.name
    om, nm = old.modifiers, new.modifiers
    if o == n:
        if o in ("varchar", "char"):
            if not nm or (om and nm[0] >= om[0]):
                # varchar widening is catalog-only; char pads, so it rewrites
                return "widening", o == "char"
            return "narrowing", True
        if o == "numeric":
            if not nm:
                return "widening", False
            if not om:
                return "narrowing", True
            os_, ns = (om[1] if len(om) > 1 else 0), (nm[1] if len(nm) > 1 else 0)
            ok = ns >= os_ and nm[0] - ns >= om[0] - os_
            return ("widening" if ok else "narrowing"), not (ok and ns == os_)
        if o in ("time", "timetz", "timestamp", "timestamptz", "interval"):
            if not nm or (om and nm[0] >= om[0]):
                return "widening", False
            return "narrowing", True
        return "widening", False
    widening = {
        ("smallint", "integer"),
        ("smallint", "bigint"),
        ("integer", "bigint"),
        ("smallint", "numeric"),
        ("integer", "numeric"),
        ("bigint", "numeric"),
        ("real", "double precision"),
        ("varchar", "text"),
        ("char", "text"),
        ("char", "varchar"),
        ("citext", "text"),
        ("text", "citext"),
        ("timestamp", "timestamptz"),
        ("json", "text"),
        ("jsonb", "text"),
        ("uuid", "text"),
        ("cidr", "inet"),
    }
    if (o, n) in widening and (n not in ("numeric", "varchar") or not nm):
        binary = (o, n) in {("varchar", "text"), ("cidr", "inet"), ("text", "citext")}
        return "widening", not binary
    if not old.is_builtin and n in ("text", "varchar") and not nm:
        return "widening", True  # enum -> text keeps every label
    return "narrowing", True


_INT_RANGE = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}


def _does_not_fit(col: sql.Composable, old: ColumnType, new: ColumnType) -> sql.Composable | None:
    """A predicate true for values that a cast from ``old`` to ``new`` would damage."""
    o, n = old.name, new.name
    if n in ("varchar", "char") and new.modifiers and o in ("text", "varchar", "char", "citext"):
        return sql.SQL("length({}) > {}").format(col, sql.Literal(new.modifiers[0]))
    if n in _INT_RANGE and o in (*_INT_RANGE, "numeric"):
        bound = _INT_RANGE[n]
        return sql.SQL("({c} < {lo} OR {c} >= {hi} OR {c} <> trunc({c}))").format(
            c=col, lo=sql.Literal(-bound), hi=sql.Literal(bound)
        )
    if n == "numeric" and new.modifiers and (o in _INT_RANGE or o == "numeric"):
        p, scale = new.modifiers[0], (new.modifiers[1] if len(new.modifiers) > 1 else 0)
        return sql.SQL("(abs({c}) >= {lim} OR {c} <> round({c}, {s}))").format(
            c=col, lim=sql.Literal(10 ** (p - scale)), s=sql.Literal(scale)
        )
    if o == n and o in ("timestamp", "timestamptz", "time", "timetz", "interval") and new.modifiers:
        from pgwarden.spec.types import type_sql

        return sql.SQL("{c} <> {c}::{t}").format(c=col, t=type_sql(new))
    return None


@dataclass(frozen=True, slots=True)
class AlterColumnType(Op):
    table: str
    column: str
    old: ColumnType
    new: ColumnType
    default: str | None = None
    """The column's default after the change (dropped and restored around it)."""
    old_default: str | None = None
    generated: bool = False
    """A generated column: Postgres recomputes it and refuses a USING clause."""
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def kind(self) -> TypeChange:
        return classify_type_change(self.old, self.new)[0]

    @property
    def hazards(self) -> frozenset[Hazard]:
        kind, rewrites = classify_type_change(self.old, self.new)
        hz: set[Hazard] = set()
        if rewrites:
            hz |= {"rewrites_table", "long_lock"}
        if kind == "narrowing":
            hz |= {"destructive", "may_fail_on_data"}
        return frozenset(hz)

    @property
    def description(self) -> str:
        return (
            f"change type of {qname(self.table)}.{qname(self.column)} "
            f"from {self.old.spec_text()} to {self.new.spec_text()}"
        )

    def loss(self) -> str | None:
        if self.kind != "narrowing":
            return None
        return (
            f"column {self.table}.{self.column}: {self.old.spec_text()} narrowed to "
            f"{self.new.spec_text()} (values that do not fit are truncated, rounded or rejected)"
        )

    def _preflight(self) -> PreflightQuery | None:
        """Rows whose value does not survive a narrowing (truncated, out of range, rounded)."""
        if self.kind != "narrowing" or self.old.array or self.new.array:
            return None
        lost = _does_not_fit(ident(self.column), self.old, self.new)
        if lost is None:
            return None
        return PreflightQuery(
            f"values of {self.table}.{self.column} that do not fit {self.new.spec_text()}",
            self.table,
            _count_rows(self.table, self.row_key, lost),
            sql.SQL("SELECT * FROM {} WHERE {};  -- shorten, round or move these first")
            .format(ident(self.table), lost)
            .as_string(None),
        )

    def reverse(self) -> tuple[Op, ...]:
        return (
            AlterColumnType(
                self.table,
                self.column,
                self.new,
                self.old,
                self.old_default,
                self.default,
                self.generated,
                self.row_key,
                self.check_data,
            ),
        )


@dataclass(frozen=True, slots=True)
class SetNotNull(Op):
    """SET NOT NULL. Online: a NOT VALID ``IS NOT NULL`` check, VALIDATE, SET NOT
    NULL (which then skips its scan), drop the check -- no long write-blocking lock."""

    table: str
    column: str
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def check_name(self) -> str:
        return names.fit(f"{self.table}_{self.column}", "_not_null")

    @property
    def hazards(self) -> frozenset[Hazard]:
        return _data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        return f"set {qname(self.table)}.{qname(self.column)} NOT NULL"

    def reverse(self) -> tuple[Op, ...]:
        return (DropNotNull(self.table, self.column, self.online, self.row_key, self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        if not (self.online or self.check_data):
            return None
        cond = sql.SQL("{} IS NULL").format(ident(self.column))
        return PreflightQuery(
            f"NULLs in {self.table}.{self.column}",
            self.table,
            _count_rows(self.table, self.row_key, cond),
            sql.SQL("UPDATE {} SET {} = <value> WHERE {};")
            .format(ident(self.table), ident(self.column), cond)
            .as_string(None),
        )


@dataclass(frozen=True, slots=True)
class DropNotNull(Op):
    table: str
    column: str
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def description(self) -> str:
        return f"drop NOT NULL on {qname(self.table)}.{qname(self.column)}"

    def reverse(self) -> tuple[Op, ...]:
        return (SetNotNull(self.table, self.column, self.online, self.row_key, self.check_data),)


@dataclass(frozen=True, slots=True)
class SetDefault(Op):
    """SET DEFAULT (``new`` None: DROP DEFAULT). Catalog-only, never rewrites."""

    table: str
    column: str
    old: str | None
    new: str | None

    @property
    def description(self) -> str:
        target = f"{qname(self.table)}.{qname(self.column)}"
        if self.new is None:
            return f"drop default of {target}"
        return f"set default of {target} to {self.new}"

    def reverse(self) -> tuple[Op, ...]:
        return (SetDefault(self.table, self.column, self.new, self.old),)


@dataclass(frozen=True, slots=True)
class AlterIdentity(Op):
    """Change between none / ALWAYS / BY DEFAULT identity and ``serial``.

    A sequence created for a column that already holds values is restarted
    after the largest one, so the next insert does not collide.
    """

    table: str
    column: str
    type: ColumnType
    old: str | None
    new: str | None
    online: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset()

    @property
    def description(self) -> str:
        return (
            f"change identity of {qname(self.table)}.{qname(self.column)} "
            f"from {self.old or 'none'} to {self.new or 'none'}"
        )

    def reverse(self) -> tuple[Op, ...]:
        return (AlterIdentity(self.table, self.column, self.type, self.new, self.old, self.online),)


@dataclass(frozen=True, slots=True)
class AlterGenerated(Op):
    """Change a stored generated column's expression, or stop generating it.

    Turning a plain column into a generated one is a drop + add (the planner
    emits those); this op handles expression -> expression (SET EXPRESSION,
    PostgreSQL 17+) and expression -> none (DROP EXPRESSION).
    """

    table: str
    column: str
    old: str | None
    new: str | None

    @property
    def hazards(self) -> frozenset[Hazard]:
        if self.new is None:
            return frozenset()
        return frozenset({"rewrites_table", "long_lock"})

    @property
    def description(self) -> str:
        target = f"{qname(self.table)}.{qname(self.column)}"
        if self.new is None:
            return f"stop generating {target}"
        return f"generate {target} as ({self.new})"

    def reverse(self) -> tuple[Op, ...]:
        return (AlterGenerated(self.table, self.column, self.new, self.old),)


@dataclass(frozen=True, slots=True)
class SetComment(Op):
    """COMMENT ON TABLE / COLUMN / TYPE (``new`` None: remove the comment)."""

    target: CommentTarget
    path: tuple[str, ...]
    old: str | None
    new: str | None

    @property
    def description(self) -> str:
        what = ".".join(qname(p) for p in self.path)
        return f"{'remove' if self.new is None else 'set'} comment on {self.target} {what}"

    def reverse(self) -> tuple[Op, ...]:
        return (SetComment(self.target, self.path, self.new, self.old),)


# --------------------------------------------------------------------------- constraints


def _data_hazards(online: bool, existing: bool, can_fail: bool = True) -> frozenset[Hazard]:
    """On a table with rows: the op can fail on them; in its plain (not online)
    form it also holds a write-blocking lock while it scans or builds."""
    hz: set[Hazard] = set()
    if (online or existing) and can_fail:
        hz.add("may_fail_on_data")
    if existing and not online:
        hz.add("long_lock")
    return frozenset(hz)


def _count_rows(table: str, key: tuple[str, ...], where: sql.Composable) -> str:
    """The preflight shape: (violations, up to 10 sample keys) of rows matching ``where``."""
    sample: sql.Composable = (
        sql.SQL("ROW({})::text").format(sql.SQL(", ").join(ident(k) for k in key))
        if key
        else sql.SQL("ctid::text")
    )
    return (
        sql.SQL(
            "SELECT count(*) AS violations, "
            "(array_agg({s} ORDER BY {s}))[1:10] AS samples FROM {t} WHERE {w}"
        )
        .format(s=sample, t=ident(table), w=where)
        .as_string(None)
    )


@dataclass(frozen=True, slots=True)
class AddPrimaryKey(Op):
    """ADD PRIMARY KEY. Online: a unique index built CONCURRENTLY, then
    ``ADD CONSTRAINT ... PRIMARY KEY USING INDEX``."""

    table: str
    primary_key: PrimaryKey
    online: bool = False
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def hazards(self) -> frozenset[Hazard]:
        return _data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        cols = ", ".join(qname(c) for c in self.primary_key.columns)
        return f"add primary key {qname(self.primary_key.name)} on {qname(self.table)} ({cols})"

    def reverse(self) -> tuple[Op, ...]:
        return (DropPrimaryKey(self.table, self.primary_key, self.online, self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        if not (self.online or self.check_data):
            return None
        return _duplicates(self.table, self.primary_key.columns, True, None, "primary key")


@dataclass(frozen=True, slots=True)
class DropPrimaryKey(Op):
    table: str
    primary_key: PrimaryKey
    online: bool = False
    check_data: bool = False

    @property
    def description(self) -> str:
        return f"drop primary key {qname(self.primary_key.name)} of {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return (AddPrimaryKey(self.table, self.primary_key, self.online, self.check_data),)


def _duplicates(
    table: str,
    columns: tuple[str, ...],
    nulls_not_distinct: bool,
    where: str | None,
    what: str,
) -> PreflightQuery:
    cols = sql.SQL(", ").join(ident(c) for c in columns)
    conds: list[sql.Composable] = []
    if not nulls_not_distinct:
        conds.extend(sql.SQL("{} IS NOT NULL").format(ident(c)) for c in columns)
    if where is not None:
        conds.append(sql.SQL("({})").format(sql.SQL(where)))
    filt = sql.SQL(" AND ").join(conds) if conds else sql.SQL("true")
    query = sql.SQL(
        "SELECT count(*) AS violations, (array_agg(k ORDER BY k))[1:10] AS samples FROM "
        "(SELECT ROW({cols})::text AS k FROM {t} WHERE {f} GROUP BY {cols} HAVING count(*) > 1) d"
    ).format(cols=cols, t=ident(table), f=filt)
    same = sql.SQL(" AND ").join(
        sql.SQL("a.{c} IS NOT DISTINCT FROM b.{c}").format(c=ident(c)) for c in columns
    )
    fix = sql.SQL(
        "-- keeps one row per duplicate group; review first\n"
        "DELETE FROM {t} a USING {t} b WHERE a.ctid > b.ctid AND {same};"
    ).format(t=ident(table), same=same)
    return PreflightQuery(
        f"duplicate groups for {what} on {table} ({', '.join(columns)})",
        table,
        query.as_string(None),
        fix.as_string(None),
    )


@dataclass(frozen=True, slots=True)
class AddUnique(Op):
    """ADD CONSTRAINT ... UNIQUE. Online: CREATE UNIQUE INDEX CONCURRENTLY, then
    ``ADD CONSTRAINT ... UNIQUE USING INDEX`` (a brief lock)."""

    table: str
    unique: UniqueConstraint
    online: bool = False
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def hazards(self) -> frozenset[Hazard]:
        return _data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        cols = ", ".join(qname(c) for c in self.unique.columns)
        return f"add unique {qname(self.unique.name)} on {qname(self.table)} ({cols})"

    def reverse(self) -> tuple[Op, ...]:
        return (DropConstraint(self.table, self.unique, self.online, (), self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        if not (self.online or self.check_data):
            return None
        u = self.unique
        return _duplicates(self.table, u.columns, u.nulls_not_distinct, None, f"unique {u.name}")


@dataclass(frozen=True, slots=True)
class AddCheck(Op):
    """ADD CONSTRAINT ... CHECK; online: NOT VALID (a later ValidateConstraint scans)."""

    table: str
    check: CheckConstraint
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        return _data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        suffix = " NOT VALID" if self.online else ""
        return f"add check {qname(self.check.name)} on {qname(self.table)}{suffix}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropConstraint(self.table, self.check, self.online, self.row_key, self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        if not (self.online or self.check_data):
            return None
        cond = sql.SQL("NOT ({})").format(sql.SQL(self.check.expression))
        return PreflightQuery(
            f"rows of {self.table} violating check {self.check.name}",
            self.table,
            _count_rows(self.table, self.row_key, cond),
            sql.SQL("UPDATE {} SET <columns> WHERE {};")
            .format(ident(self.table), cond)
            .as_string(None),
        )


@dataclass(frozen=True, slots=True)
class AddForeignKey(Op):
    """ADD FOREIGN KEY; online: NOT VALID (a later ValidateConstraint scans)."""

    table: str
    foreign_key: ForeignKey
    online: bool = False
    check_data: bool = False

    @property
    def hazards(self) -> frozenset[Hazard]:
        return _data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        fk = self.foreign_key
        suffix = " NOT VALID" if self.online else ""
        return (
            f"add foreign key {qname(fk.name)} {qname(self.table)} -> {qname(fk.ref_table)}{suffix}"
        )

    def reverse(self) -> tuple[Op, ...]:
        return (DropConstraint(self.table, self.foreign_key, self.online, (), self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        if not (self.online or self.check_data):
            return None
        fk = self.foreign_key
        notnull = sql.SQL(" AND ").join(
            sql.SQL("c.{} IS NOT NULL").format(ident(col)) for col in fk.columns
        )
        match = sql.SQL(" AND ").join(
            sql.SQL("p.{} = c.{}").format(ident(r), ident(col))
            for col, r in zip(fk.columns, fk.ref_columns, strict=True)
        )
        orphan = sql.SQL("{nn} AND NOT EXISTS (SELECT 1 FROM {r} p WHERE {m})").format(
            nn=notnull, r=ident(fk.ref_table), m=match
        )
        cols = sql.SQL(", ").join(sql.SQL("c.{}").format(ident(col)) for col in fk.columns)
        query = sql.SQL(
            "SELECT count(*) AS violations, "
            "(array_agg(DISTINCT ROW({cols})::text))[1:10] AS samples FROM {t} c WHERE {o}"
        ).format(cols=cols, t=ident(self.table), o=orphan)
        fix = sql.SQL(
            "-- delete the orphans, or set their reference to NULL / an existing row\n"
            "DELETE FROM {t} c WHERE {o};"
        ).format(t=ident(self.table), o=orphan)
        return PreflightQuery(
            f"orphan rows in {self.table} ({', '.join(fk.columns)}) "
            f"with no match in {fk.ref_table}",
            self.table,
            query.as_string(None),
            fix.as_string(None),
        )


Constraint = UniqueConstraint | CheckConstraint | ForeignKey


@dataclass(frozen=True, slots=True)
class DropConstraint(Op):
    """Drop a unique, check or foreign key constraint (PK: DropPrimaryKey)."""

    table: str
    constraint: Constraint
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False

    @property
    def description(self) -> str:
        return f"drop constraint {qname(self.constraint.name)} of {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        c = self.constraint
        if isinstance(c, UniqueConstraint):
            return (AddUnique(self.table, c, self.online, self.check_data),)
        if isinstance(c, CheckConstraint):
            add: Op = AddCheck(self.table, c, self.online, self.row_key, self.check_data)
        else:
            add = AddForeignKey(self.table, c, self.online, self.check_data)
        if self.online:
            return (add, ValidateConstraint(self.table, c.name))
        return (add,)


@dataclass(frozen=True, slots=True)
class ValidateConstraint(Op):
    """VALIDATE CONSTRAINT: scans with a lock that lets writes through; runs alone."""

    table: str
    name: str

    @property
    def atomic(self) -> bool:
        return False

    @property
    def description(self) -> str:
        return f"validate constraint {qname(self.name)} of {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class RenameConstraint(Op):
    table: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename constraint {qname(self.old)} of {qname(self.table)} to {qname(self.new)}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenameConstraint(self.table, self.new, self.old),)


# --------------------------------------------------------------------------- indexes


@dataclass(frozen=True, slots=True)
class CreateIndex(Op):
    table: str
    index: Index
    online: bool = False
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def hazards(self) -> frozenset[Hazard]:
        return _data_hazards(self.online, self.check_data, self.index.unique)

    @property
    def description(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        how = " concurrently" if self.online else ""
        return f"create {kind} {qname(self.index.name)} on {qname(self.table)}{how}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropIndex(self.table, self.index, self.online, self.check_data),)

    def _preflight(self) -> PreflightQuery | None:
        i = self.index
        if not ((self.online or self.check_data) and i.unique) or any(
            e.column is None for e in i.elements
        ):
            return None
        cols = tuple(e.column for e in i.elements if e.column is not None)
        return _duplicates(self.table, cols, i.nulls_not_distinct, i.where, f"index {i.name}")


@dataclass(frozen=True, slots=True)
class DropIndex(Op):
    table: str
    index: Index
    online: bool = False
    check_data: bool = False

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def description(self) -> str:
        how = " concurrently" if self.online else ""
        return f"drop index {qname(self.index.name)}{how}"

    def reverse(self) -> tuple[Op, ...]:
        return (CreateIndex(self.table, self.index, self.online, self.check_data),)


@dataclass(frozen=True, slots=True)
class RenameIndex(Op):
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename index {qname(self.old)} to {qname(self.new)}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenameIndex(self.new, self.old),)


# --------------------------------------------------------------------------- triggers, RLS


@dataclass(frozen=True, slots=True)
class CreateOnUpdateTrigger(Op):
    """The ``maintained = "on_update"`` trigger and its function (same name)."""

    table: str
    column: str
    name: str

    @property
    def description(self) -> str:
        return f"maintain {qname(self.table)}.{qname(self.column)} on UPDATE ({qname(self.name)})"

    def reverse(self) -> tuple[Op, ...]:
        return (DropOnUpdateTrigger(self.table, self.column, self.name),)


@dataclass(frozen=True, slots=True)
class DropOnUpdateTrigger(Op):
    table: str
    column: str
    name: str

    @property
    def description(self) -> str:
        return f"stop maintaining {qname(self.table)}.{qname(self.column)} ({qname(self.name)})"

    def reverse(self) -> tuple[Op, ...]:
        return (CreateOnUpdateTrigger(self.table, self.column, self.name),)


@dataclass(frozen=True, slots=True)
class SetRowLevelSecurity(Op):
    table: str
    enabled: bool

    @property
    def description(self) -> str:
        verb = "enable" if self.enabled else "disable"
        return f"{verb} row level security on {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return (SetRowLevelSecurity(self.table, not self.enabled),)


@dataclass(frozen=True, slots=True)
class SetForceRowLevelSecurity(Op):
    table: str
    forced: bool

    @property
    def description(self) -> str:
        verb = "force" if self.forced else "stop forcing"
        return f"{verb} row level security on {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return (SetForceRowLevelSecurity(self.table, not self.forced),)


@dataclass(frozen=True, slots=True)
class CreatePolicy(Op):
    table: str
    policy: Policy

    @property
    def description(self) -> str:
        return f"create policy {qname(self.policy.name)} on {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return (DropPolicy(self.table, self.policy),)


@dataclass(frozen=True, slots=True)
class RenamePolicy(Op):
    table: str
    old: str
    new: str

    @property
    def description(self) -> str:
        return f"rename policy {qname(self.old)} on {qname(self.table)} to {qname(self.new)}"

    def reverse(self) -> tuple[Op, ...]:
        return (RenamePolicy(self.table, self.new, self.old),)


@dataclass(frozen=True, slots=True)
class DropPolicy(Op):
    table: str
    policy: Policy

    @property
    def description(self) -> str:
        return f"drop policy {qname(self.policy.name)} on {qname(self.table)}"

    def reverse(self) -> tuple[Op, ...]:
        return (CreatePolicy(self.table, self.policy),)


__all__ = [
    "HAZARDS",
    "AddCheck",
    "AddColumn",
    "AddEnumValue",
    "AddForeignKey",
    "AddPrimaryKey",
    "AddUnique",
    "AlterColumnType",
    "AlterGenerated",
    "AlterIdentity",
    "Backfill",
    "CreateEnum",
    "CreateIndex",
    "CreateOnUpdateTrigger",
    "CreatePolicy",
    "CreateTable",
    "DropColumn",
    "DropConstraint",
    "DropEnum",
    "DropIndex",
    "DropNotNull",
    "DropOnUpdateTrigger",
    "DropPolicy",
    "DropPrimaryKey",
    "DropTable",
    "EnumUsage",
    "Hazard",
    "IndexElement",
    "Op",
    "PreflightQuery",
    "RecreateEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameEnum",
    "RenameEnumValue",
    "RenameIndex",
    "RenamePolicy",
    "RenameTable",
    "SetComment",
    "SetDefault",
    "SetForceRowLevelSecurity",
    "SetNotNull",
    "SetRowLevelSecurity",
    "ValidateConstraint",
    "classify_type_change",
]
