"""Table and column ops.

``online`` on an op means "this table exists before and after the op and may
hold rows": the renderer then uses the lock-friendly forms. ``row_key`` is the
key the preflight samples offending rows by (empty: ``ctid``); ``check_data``
says the op's data check is valid before the plan's first step (the table and
columns it names already exist under these names).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, data_hazards, pair, qname
from pgwarden.planner.ops.constraints import CreateIndex
from pgwarden.planner.ops.decorations import (
    SetComment,
    SetForceRowLevelSecurity,
    SetRowLevelSecurity,
)
from pgwarden.spec import names
from pgwarden.spec.model import DEFAULT_SEQUENCE, Column, ColumnType, SequenceOptions, Table

# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class _TableFields(Op):
    table: Table


@dataclass(frozen=True, slots=True)
class CreateTable(_TableFields, Paired):
    """CREATE TABLE with columns, primary key, checks and unique constraints inline.

    Indexes, foreign keys, triggers, RLS, policies and comments are separate ops
    (foreign keys last, so cycles work).
    """

    @property
    def description(self) -> str:
        return f"create table {qname(self.table.name)}"


@dataclass(frozen=True, slots=True)
class DropTable(_TableFields, Paired):
    """Drop a table (destructive: its rows go; the mirror of :class:`CreateTable`)."""

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
        bare = replace(t, indexes=(), foreign_keys=(), policies=(), triggers=())
        ops: list[Op] = [CreateTable(bare)]
        # a new, empty table: plain builds, in the transaction that creates it
        ops.extend(CreateIndex(t.name, i) for i in t.indexes)
        ops.extend(_comment_ops(bare))
        if t.rls_enabled:
            ops.append(SetRowLevelSecurity(t.name, True))
        if t.rls_forced:
            ops.append(SetForceRowLevelSecurity(t.name, True))
        return tuple(ops)


pair(CreateTable, DropTable)


def _comment_ops(t: Table) -> Iterator[Op]:
    if t.comment is not None:
        yield SetComment("table", (t.name,), None, t.comment)
    for c in t.columns:
        if c.comment is not None:
            yield SetComment("column", (t.name, c.name), None, c.comment)


@dataclass(frozen=True, slots=True)
class RenameTable(Swapped):
    """Rename a table (and, on PostgreSQL 18, the NOT NULL constraints named after it)."""

    old: str
    new: str
    not_null: tuple[str, ...] = ()
    """Its NOT NULL columns: their constraints carry the table's name."""

    @property
    def description(self) -> str:
        return f"rename table {qname(self.old)} to {qname(self.new)}"


# --------------------------------------------------------------------------- columns

_VOLATILE_HINTS = ("random(", "gen_random_uuid(", "uuid_generate", "clock_timestamp(", "nextval(")


@dataclass(frozen=True, slots=True)
class _ColumnFields(Op):
    table: str
    column: Column
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False
    commit_alone: bool = False
    """Commit before the next step (outside a transaction): a later step's preflight
    may stop the run, and the column must stay for the user to fill it."""

    @property
    def atomic(self) -> bool:
        return not self.commit_alone


@dataclass(frozen=True, slots=True)
class AddColumn(_ColumnFields, Paired):
    """ADD COLUMN; on a table with rows, a volatile default, identity or generated column
    rewrites it, and NOT NULL without a default fails on its rows."""

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


@dataclass(frozen=True, slots=True)
class DropColumn(_ColumnFields, Paired):
    """Drop a column (destructive: its values go; the mirror of :class:`AddColumn`)."""

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
        refill = c.nullable or c.default is not None or c.identity or c.generated
        if self.online and c.backfill is None and not refill:
            # the up dropped the values and nothing can make them again: add the column
            # nullable, then an online SET NOT NULL whose preflight, on a table with rows,
            # stops the down with the UPDATE to fill in (rerun down resumes there) where a
            # plain ADD COLUMN ... NOT NULL would fail on the first row
            ops += [
                AddColumn(
                    self.table, replace(c, nullable=True), self.online, self.row_key, False, True
                ),
                SetNotNull(self.table, c.name, self.online, self.row_key, True),
            ]
        elif not self.online or c.backfill is None:
            ops.append(self.mirror())
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


pair(AddColumn, DropColumn)


@dataclass(frozen=True, slots=True)
class RenameColumn(Swapped):
    """Rename a column of a table (and, on PostgreSQL 18, its NOT NULL constraint)."""

    table: str
    old: str
    new: str
    not_null: bool = False

    @property
    def description(self) -> str:
        return f"rename column {qname(self.table)}.{qname(self.old)} to {qname(self.new)}"


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

_WIDENING = {
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
_BINARY = {("varchar", "text"), ("cidr", "inet"), ("text", "citext")}
#: Decimal digits of the largest value of each integer type.
_INT_DIGITS = {"smallint": 5, "integer": 10, "bigint": 19}
#: Types whose text output reads back as the same value (floats print shortest-exact).
_PRINTS_EXACTLY = {
    *_INT_DIGITS,
    "numeric",
    "real",
    "double precision",
    "boolean",
    "uuid",
    "json",
    "jsonb",
    "inet",
    "cidr",
}


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
    if o in _INT_DIGITS and n == "numeric" and nm:
        # an integer fits when the digits left of the point hold its largest value
        scale = nm[1] if len(nm) > 1 else 0
        return ("widening" if nm[0] - scale >= _INT_DIGITS[o] else "narrowing"), True
    if o in _PRINTS_EXACTLY and n in ("text", "citext"):
        return "widening", True  # every value has an exact text form
    if (o, n) in _WIDENING and (n not in ("numeric", "varchar") or not nm):
        return "widening", (o, n) not in _BINARY
    if not old.is_builtin and n in ("text", "varchar") and not nm:
        return "widening", True  # enum -> text keeps every label
    return "narrowing", True


@dataclass(frozen=True, slots=True)
class AlterColumnType(Swapped):
    """ALTER COLUMN ... TYPE (with USING when needed); the default is dropped and restored
    around it, so the reverse swaps both."""

    swaps = (("old", "new"), ("default", "old_default"))

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
        """Widening (every old value fits: no consent needed) or narrowing (values may be lost)."""
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


@dataclass(frozen=True, slots=True)
class _NullabilityFields(Op):
    table: str
    column: str
    online: bool = False
    row_key: tuple[str, ...] = ()
    check_data: bool = False


@dataclass(frozen=True, slots=True)
class SetNotNull(_NullabilityFields, Paired):
    """SET NOT NULL. Online: a NOT VALID ``IS NOT NULL`` check, VALIDATE, SET NOT
    NULL (which then skips its scan), drop the check -- no long write-blocking lock."""

    @property
    def atomic(self) -> bool:
        return not self.online

    @property
    def check_name(self) -> str:
        """The temporary check of the online form."""
        return names.not_null_check(self.table, self.column)

    @property
    def hazards(self) -> frozenset[Hazard]:
        return data_hazards(self.online, self.check_data)

    @property
    def description(self) -> str:
        return f"set {qname(self.table)}.{qname(self.column)} NOT NULL"


@dataclass(frozen=True, slots=True)
class DropNotNull(_NullabilityFields, Paired):
    """Drop NOT NULL (the mirror of :class:`SetNotNull`)."""

    @property
    def description(self) -> str:
        return f"drop NOT NULL on {qname(self.table)}.{qname(self.column)}"


pair(SetNotNull, DropNotNull)


@dataclass(frozen=True, slots=True)
class SetDefault(Swapped):
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


@dataclass(frozen=True, slots=True)
class AlterIdentity(Swapped):
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
    options: SequenceOptions = DEFAULT_SEQUENCE
    """The new identity's numbers (ADD GENERATED ... AS IDENTITY (...))."""

    @property
    def description(self) -> str:
        return (
            f"change identity of {qname(self.table)}.{qname(self.column)} "
            f"from {self.old or 'none'} to {self.new or 'none'}"
        )


@dataclass(frozen=True, slots=True)
class AlterIdentityOptions(Swapped):
    """``ALTER COLUMN .. SET INCREMENT BY .. SET START WITH ..``: an identity's
    numbers (the values already handed out stay)."""

    table: str
    column: str
    type: ColumnType
    old: SequenceOptions
    new: SequenceOptions

    @property
    def description(self) -> str:
        return f"change identity numbers of {qname(self.table)}.{qname(self.column)}"


@dataclass(frozen=True, slots=True)
class AlterGenerated(Swapped):
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


__all__ = [
    "AddColumn",
    "AlterColumnType",
    "AlterGenerated",
    "AlterIdentity",
    "Backfill",
    "CreateTable",
    "DropColumn",
    "DropNotNull",
    "DropTable",
    "RenameColumn",
    "RenameTable",
    "SetDefault",
    "SetNotNull",
    "TypeChange",
    "classify_type_change",
]
