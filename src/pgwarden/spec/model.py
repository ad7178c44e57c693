"""The schema model: one immutable description of a PostgreSQL schema.

A spec loaded from TOML and a live database read by introspection both become
this model, so every later stage (planner, checks, generators) reads one shape.

Conventions that keep a spec and a database comparable with ``==``:

* Every collection is a tuple in a canonical order: tables, enums, constraints
  and indexes sorted by name; columns and enum values in declaration order
  (order is meaningful there).
* Every constraint and index carries its final name (conventions are applied by
  the loader, ``spec.names``), so equality needs no naming logic.
* Types are structured (:class:`ColumnType`), never free text.
* SQL expressions (defaults, checks, predicates, index expressions, policies) are
  stored as text. The loader normalises them with pglast; ``introspect`` returns
  Postgres's own text. To compare a spec with a database, canonicalise the spec
  through the server first (``introspect.canonical``), as Atlas does with its
  dev database: only Postgres knows its own canonical form.
* Fields that describe intent rather than database state -- source positions,
  ``renamed_from``, soft-delete/owner/billing markers, lint suppressions -- are
  declared with ``compare=False``: they never make two schemas unequal and never
  produce a migration step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, Literal

FkAction = Literal["no action", "restrict", "cascade", "set null", "set default"]
IdentityKind = Literal["always", "by default", "serial"]
#: An index access method: a built-in (``INDEX_METHODS``) or an extension's (hnsw, ivfflat).
IndexMethod = str
PolicyCommand = Literal["all", "select", "insert", "update", "delete"]

FK_ACTIONS: tuple[FkAction, ...] = ("no action", "restrict", "cascade", "set null", "set default")
INDEX_METHODS: tuple[IndexMethod, ...] = ("btree", "hash", "gist", "gin", "brin", "spgist")
POLICY_COMMANDS: tuple[PolicyCommand, ...] = ("all", "select", "insert", "update", "delete")


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object was declared: file, dotted spec path and (when known) line."""

    file: str
    path: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}" if self.path else where


def _src() -> Source | None:
    return None


# --------------------------------------------------------------------------- types

#: Built-in base types the spec accepts, keyed by canonical short name, with the
#: SQL spelling Postgres's ``format_type`` uses. ``{}`` marks where modifiers go.
BUILTIN_TYPES: dict[str, str] = {
    "text": "text",
    "varchar": "character varying{}",
    "char": "character{}",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "numeric": "numeric{}",
    "real": "real",
    "double precision": "double precision",
    "boolean": "boolean",
    "uuid": "uuid",
    "date": "date",
    "time": "time{} without time zone",
    "timetz": "time{} with time zone",
    "timestamp": "timestamp{} without time zone",
    "timestamptz": "timestamp{} with time zone",
    "interval": "interval{}",
    "json": "json",
    "jsonb": "jsonb",
    "bytea": "bytea",
    "inet": "inet",
    "cidr": "cidr",
    "citext": "citext",
}

#: Types whose modifiers are allowed, with how many (min, max).
TYPE_MODIFIER_ARITY: dict[str, tuple[int, int]] = {
    "varchar": (1, 1),
    "char": (1, 1),
    "numeric": (1, 2),
    "time": (1, 1),
    "timetz": (1, 1),
    "timestamp": (1, 1),
    "timestamptz": (1, 1),
    "interval": (1, 1),
}


@dataclass(frozen=True, slots=True)
class ColumnType:
    """A column type: a built-in (``BUILTIN_TYPES`` key) or a user type (enum) name.

    ``modifiers`` are the typmod numbers (``varchar(20)`` -> ``(20,)``,
    ``numeric(10,2)`` -> ``(10, 2)``). ``array`` marks a one-dimensional array
    (Postgres does not enforce dimensions, so one flag is the honest model).
    """

    name: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    @property
    def is_builtin(self) -> bool:
        """A type Postgres ships (not an enum, domain or composite of the spec)."""
        return self.name in BUILTIN_TYPES

    @property
    def element(self) -> ColumnType:
        """The type of one element of an array type."""
        return replace(self, array=False)

    def spec_text(self) -> str:
        """The short spelling used in spec files: ``varchar(20)``, ``SubscriptionPlan[]``."""
        mods = f"({','.join(str(m) for m in self.modifiers)})" if self.modifiers else ""
        return f"{self.name}{mods}{'[]' if self.array else ''}"


# --------------------------------------------------------------------------- sequences


@dataclass(frozen=True, slots=True)
class SequenceOptions:
    """A sequence's numbers (a sequence object's, or an identity column's).

    A value Postgres would choose itself is None (``start``, ``min_value``,
    ``max_value``: their defaults follow the type and the direction), so equal
    sequences are equal however they were written (``spec.sequences.canonical``).
    """

    start: int | None = None
    increment: int = 1
    min_value: int | None = None
    max_value: int | None = None
    cache: int = 1
    cycle: bool = False


DEFAULT_SEQUENCE = SequenceOptions()


@dataclass(frozen=True, slots=True)
class Sequence:
    """``CREATE SEQUENCE name AS type ...``; ``owned_by`` is ``"Table.column"``
    (``OWNED BY``: the sequence goes when the column does; Postgres wants both in
    one namespace)."""

    name: str
    type: str = "bigint"
    options: SequenceOptions = DEFAULT_SEQUENCE
    owned_by: str | None = None
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class Column:
    """A table column.

    ``default`` is SQL expression text (a literal is stored as its SQL literal,
    e.g. ``'FREE'``). ``generated`` is the expression of a ``GENERATED ALWAYS AS
    (...) STORED`` column. ``maintained == "on_update"`` means a pgwarden trigger
    sets the column to ``now()`` on every UPDATE (the seed's ``updatedAt`` bug).
    ``identity == "serial"`` is what Prisma's ``autoincrement()`` creates: an owned
    sequence and a ``nextval`` default (rendered as ``serial``/``bigserial``).
    """

    name: str
    type: ColumnType
    nullable: bool = False
    default: str | None = None
    identity: IdentityKind | None = None
    identity_options: SequenceOptions = DEFAULT_SEQUENCE
    """The identity sequence's numbers (``always`` / ``by default`` only)."""
    generated: str | None = None
    comment: str | None = None
    collation: str | None = None
    """A collation other than the type's default (``"C"``, ``"de-x-icu"``)."""
    maintained: Literal["on_update"] | None = None
    # intent, not state
    renamed_from: str | None = field(default=None, compare=False)
    secret: str | None = field(default=None, compare=False)
    """``"encrypted"`` / ``"hashed"`` when the application stores protected values."""
    ignore: tuple[Suppression, ...] = field(default=(), compare=False)
    backfill: str | None = field(default=None, compare=False)
    """SQL expression the planner uses to fill this column when it is added to an
    existing table (a data step between schema steps), e.g. the seed's
    ``CASE WHEN "delete" THEN now() END`` for ``deletedAt``."""
    source: Source | None = field(default=None, compare=False, repr=False)


# --------------------------------------------------------------------------- constraints


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    """A table's primary key."""

    name: str
    columns: tuple[str, ...]
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    """A UNIQUE constraint (see :class:`Index` for unique indexes, partial ones included)."""

    name: str
    columns: tuple[str, ...]
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign key: columns, referenced table and columns, actions."""

    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: FkAction = "no action"
    on_update: FkAction = "no action"
    deferrable: bool = False
    initially_deferred: bool = False
    # intent: the spec said on_delete explicitly (lint: fk-missing-on-delete)
    on_delete_explicit: bool = field(default=True, compare=False)
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    """A CHECK constraint; the expression is kept as text (Postgres is the judge of its form)."""

    name: str
    expression: str
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IndexElement:
    """One key of an index: a column name or an expression, with ordering."""

    column: str | None = None
    expression: str | None = None
    descending: bool = False
    nulls_first: bool | None = None
    """None: Postgres's default for the direction (NULLS LAST asc, FIRST desc)."""
    opclass: str | None = None
    """A non-default operator class (``text_pattern_ops``, ``public.gin_trgm_ops``)."""
    collation: str | None = None
    """A collation other than the key's own (the column's, or the default for an expression)."""

    def __post_init__(self) -> None:
        if (self.column is None) == (self.expression is None):
            raise ValueError("an index element has exactly one of column / expression")


@dataclass(frozen=True, slots=True)
class Index:
    """An index: its elements (columns or expressions), method, uniqueness and predicate."""

    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: IndexMethod = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    # intent: this index was derived from a unique rule made partial by soft delete
    soft_delete_partial: bool = field(default=False, compare=False)
    source: Source | None = field(default=None, compare=False, repr=False)

    @property
    def column_names(self) -> tuple[str | None, ...]:
        """Leading-column view used by checks: None where the key is an expression."""
        return tuple(e.column for e in self.elements)


@dataclass(frozen=True, slots=True)
class ExclusionElement:
    """One key of an exclusion constraint: a column or an expression, and the
    operator no two rows may both satisfy (``room WITH =``, ``during WITH &&``)."""

    operator: str
    column: str | None = None
    expression: str | None = None
    opclass: str | None = None
    collation: str | None = None
    descending: bool = False
    nulls_first: bool | None = None

    def __post_init__(self) -> None:
        if (self.column is None) == (self.expression is None):
            raise ValueError("an exclusion element has exactly one of column / expression")


@dataclass(frozen=True, slots=True)
class ExclusionConstraint:
    """``EXCLUDE USING method (key WITH op, ...) [INCLUDE (...)] [WHERE (...)]``."""

    name: str
    elements: tuple[ExclusionElement, ...]
    method: IndexMethod = "gist"
    where: str | None = None
    include: tuple[str, ...] = ()
    deferrable: bool = False
    initially_deferred: bool = False
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Policy:
    """A row-level-security policy."""

    name: str
    command: PolicyCommand = "all"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


TriggerTiming = Literal["before", "after", "instead of"]
TriggerEvent = Literal["insert", "update", "delete", "truncate"]
TRIGGER_TIMINGS: tuple[TriggerTiming, ...] = ("before", "after", "instead of")
#: The events in the one order the model keeps them in.
TRIGGER_EVENTS: tuple[TriggerEvent, ...] = ("insert", "update", "delete", "truncate")


@dataclass(frozen=True, slots=True)
class Trigger:
    """A user trigger on a table (pgwarden's own maintained-column and audit
    triggers are modelled by ``Column.maintained`` and ``Table.audit`` instead).

    ``function`` is the spec name of the trigger function (qualified outside the
    default namespace); ``columns`` makes the update event ``UPDATE OF`` them;
    ``when`` is expression text over ``OLD`` / ``NEW``; ``old_table`` /
    ``new_table`` are the transition tables (``REFERENCING OLD TABLE AS ...``).
    """

    name: str
    function: str
    timing: TriggerTiming
    events: tuple[TriggerEvent, ...]
    for_each: Literal["row", "statement"] = "row"
    columns: tuple[str, ...] = ()
    when: str | None = None
    old_table: str | None = None
    new_table: str | None = None
    arguments: tuple[str, ...] = ()
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Suppression:
    """A lint finding acknowledged in the spec, with the reason (required)."""

    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Billing:
    """Marks a table that holds billing data.

    ``active_when`` is a SQL predicate over the row that is true while the row
    still bills (Basefly: a subscription id set and a period end in the future);
    the user-deletion service refuses to delete such rows.
    """

    active_when: str | None = None


@dataclass(frozen=True, slots=True)
class Distribution:
    """Citus: the table is hash-distributed by ``column`` (docs/scale-out.md).

    ``colocate_with`` names the distributed table whose shards this table's shards
    sit beside (same hash ranges, same nodes), so joins and foreign keys on the
    distribution column stay on one node. None: Citus's default colocation group
    for the column's type.
    """

    column: str
    colocate_with: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ReadRule:
    """Which generated read methods of a table a rule covers (``()``: every read).

    ``replica``: reads a read replica may serve; ``cache``: reads kept ``ttl`` seconds
    in the generated package's in-process cache (docs/generate.md).
    """

    methods: tuple[str, ...] = ()
    ttl: float | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


# --------------------------------------------------------------------------- tables

PartitionStrategy = Literal["range", "list", "hash"]
PARTITION_STRATEGIES: tuple[PartitionStrategy, ...] = ("range", "list", "hash")


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition of a partitioned table: ``CREATE TABLE name PARTITION OF
    parent bound``. ``bound`` is ``FOR VALUES FROM (...) TO (...)``, ``FOR VALUES
    IN (...)``, ``FOR VALUES WITH (MODULUS m, REMAINDER r)`` or ``DEFAULT``, as
    ``pg_get_expr(relpartbound)`` prints it once canonicalized or inspected. Its
    columns, keys and indexes are the parent's."""

    name: str
    bound: str
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)

    @property
    def is_default(self) -> bool:
        """The DEFAULT partition."""
        return self.bound == "DEFAULT"


@dataclass(frozen=True, slots=True)
class Table:
    """A table: columns in declaration order, keys, indexes, triggers, security, and the
    intent pgwarden acts on (soft delete, owner, billing: ``compare=False``)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    exclusions: tuple[ExclusionConstraint, ...] = ()
    comment: str | None = None
    rls_enabled: bool = False
    rls_forced: bool = False
    policies: tuple[Policy, ...] = ()
    partition_by: str | None = None
    """``RANGE (at)``, ``LIST (region)``, ``HASH (id)``: as ``pg_get_partkeydef``
    prints it once canonicalized or inspected. None: not partitioned."""
    partitions: tuple[Partition, ...] = ()
    """The partitions (sorted by name); only on a partitioned table."""
    triggers: tuple[Trigger, ...] = ()
    """User triggers (sorted by name)."""
    # intent, not state
    soft_delete: str | None = field(default=None, compare=False)
    """Column whose NULL marks an active row (``deletedAt``)."""
    owner: str | None = field(default=None, compare=False)
    """Column that scopes every generated service call (``authUserId``)."""
    owner_table: bool = field(default=False, compare=False)
    """This table is the principal (User) whose deletion service is generated."""
    tombstone: str | None = field(default=None, compare=False)
    """On the owner table: the column ``delete_user`` sets when it keeps the row as an
    anonymised tombstone; every foreign key to the table then refuses new references
    to a tombstone (a guard trigger, planner/tombstone.py)."""
    tombstone_guards_restore: bool = field(default=False, compare=False)
    """On the owner table with ``tombstone``: the guards of soft-delete tables also
    refuse a restore (the soft-delete column set back to NULL) under a tombstone.
    Opt-in so that guards created before it (Basefly's 0005) keep their plan."""
    billing: Billing | None = field(default=None, compare=False)
    # Citus placement: not compared (introspection does not read Citus's metadata)
    distribution: Distribution | None = field(default=None, compare=False)
    reference: bool = field(default=False, compare=False)
    """Citus: a reference table, replicated to every node (small lookup tables)."""
    replica: ReadRule | None = field(default=None, compare=False)
    """Generated reads a read replica may serve (dashboard reads)."""
    cache: ReadRule | None = field(default=None, compare=False)
    """Generated reads the package caches in process for ``cache.ttl`` seconds."""
    # state: an audit trigger records every change (docs/audit.md)
    audit: bool = False
    # intent, not state
    renamed_from: str | None = field(default=None, compare=False)
    ignore: tuple[Suppression, ...] = field(default=(), compare=False)
    source: Source | None = field(default=None, compare=False, repr=False)

    _columns_by_name: dict[str, Column] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (a dict built on first use: the model is frozen)."""
        index = self._columns_by_name
        if index is None:
            index = {c.name: c for c in reversed(self.columns)}  # first wins
            object.__setattr__(self, "_columns_by_name", index)
        return index.get(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in declaration order."""
        return tuple(c.name for c in self.columns)

    @property
    def partition_strategy(self) -> PartitionStrategy | None:
        """``range``, ``list`` or ``hash`` for a partitioned table, else None."""
        if self.partition_by is None:
            return None
        word = self.partition_by.split("(", 1)[0].strip().lower()
        return word if word in ("range", "list", "hash") else None  # type: ignore[return-value]

    def constraint_names(self) -> Iterator[str]:
        """Every constraint name of the table (key, unique, foreign key, check, exclusion)."""
        if self.primary_key:
            yield self.primary_key.name
        yield from (u.name for u in self.uniques)
        yield from (f.name for f in self.foreign_keys)
        yield from (c.name for c in self.checks)
        yield from (x.name for x in self.exclusions)


@dataclass(frozen=True, slots=True)
class Enum:
    """An enum type: its values in order (the order is part of the type)."""

    name: str
    values: tuple[str, ...]
    comment: str | None = None
    renamed_from: str | None = field(default=None, compare=False)
    value_renames: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """(old, new) pairs declared with ``renamed_from`` on a value."""
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Domain:
    """``CREATE DOMAIN name AS type [COLLATE] [DEFAULT] [NOT NULL] [CHECK ...]``.

    ``checks`` are named CHECK constraints over ``VALUE`` (sorted by name).
    ``not_null`` False: the domain allows NULL (Postgres's default); a column of
    the domain still says its own nullability.
    """

    name: str
    type: ColumnType
    not_null: bool = False
    default: str | None = None
    checks: tuple[CheckConstraint, ...] = ()
    collation: str | None = None
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CompositeAttribute:
    """One attribute of a composite type (declaration order is meaningful)."""

    name: str
    type: ColumnType
    collation: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeType:
    """``CREATE TYPE name AS (attribute type, ...)``."""

    name: str
    attributes: tuple[CompositeAttribute, ...]
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


CheckOption = Literal["local", "cascaded"]


@dataclass(frozen=True, slots=True)
class ViewColumn:
    """A column a view yields: its name, type and comment."""

    name: str
    type: ColumnType
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    """A view or (``materialized``) a materialized view.

    ``definition`` is the query: normalized by pglast when loaded, Postgres's own
    ``pg_get_viewdef`` text once canonicalized or inspected (as expressions are).
    ``columns`` None means "whatever the definition yields" (a spec may leave them
    out; canonicalizing fills them from the server). Indexes exist only on
    materialized views; ``refresh = "concurrently"`` is intent (the generated
    ``refresh()`` uses REFRESH ... CONCURRENTLY, which needs a unique index).
    """

    name: str
    definition: str
    materialized: bool = False
    columns: tuple[ViewColumn, ...] | None = None
    comment: str | None = None
    security_barrier: bool = False
    security_invoker: bool = False
    check_option: CheckOption | None = None
    indexes: tuple[Index, ...] = ()
    # intent, not state: a populated matview stays "WITH NO DATA" in the spec
    with_data: bool = field(default=True, compare=False)
    refresh: Literal["concurrently"] | None = field(default=None, compare=False)
    renamed_from: str | None = field(default=None, compare=False)
    source: Source | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> str:
        """``view`` or ``materialized view``, as SQL and messages spell it."""
        return "materialized view" if self.materialized else "view"


@dataclass(frozen=True, slots=True)
class Namespace:
    """A Postgres schema the spec governs besides its default one (``CREATE SCHEMA``).

    Objects in it are named ``namespace.name`` everywhere in the model (tables,
    types, FK targets); objects of the default namespace keep bare names.
    """

    name: str
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Extension:
    """``CREATE EXTENSION name [SCHEMA schema] [VERSION version]``.

    ``schema`` None: the default namespace. ``version`` None: not pinned (the
    server's default version; comparing with a database takes the installed one).
    Extensions belong to the database, not to one namespace.
    """

    name: str
    schema: str | None = None
    version: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


FunctionKind = Literal["function", "procedure"]
Volatility = Literal["volatile", "stable", "immutable"]
Parallel = Literal["unsafe", "restricted", "safe"]
VOLATILITIES: tuple[Volatility, ...] = ("volatile", "stable", "immutable")
PARALLEL_MODES: tuple[Parallel, ...] = ("unsafe", "restricted", "safe")


@dataclass(frozen=True, slots=True)
class Function:
    """A function or (``kind == "procedure"``) a procedure the spec governs.

    ``body`` is kept byte-exact (Postgres stores it as written: ``prosrc``).
    ``arguments`` and ``returns`` are SQL text: normalized by pglast when loaded,
    Postgres's ``pg_get_function_arguments`` / ``pg_get_function_result`` text
    once canonicalized or inspected. ``search_path`` None: no ``SET search_path``;
    ``settings`` are the other ``SET name = value`` clauses, sorted by name.
    One function per name: overloads are not modelled (introspection says so).
    """

    name: str
    language: str
    body: str
    kind: FunctionKind = "function"
    arguments: str = ""
    returns: str | None = None
    volatility: Volatility = "volatile"
    strict: bool = False
    security_definer: bool = False
    parallel: Parallel = "unsafe"
    leakproof: bool = False
    search_path: tuple[str, ...] | None = None
    settings: tuple[tuple[str, str], ...] = ()
    comment: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Schema:
    """A whole Postgres schema (namespace). ``name`` is the namespace, default ``public``."""

    tables: tuple[Table, ...] = ()
    enums: tuple[Enum, ...] = ()
    name: str = "public"
    extensions: tuple[Extension, ...] = ()
    schemas: tuple[Namespace, ...] = ()
    """The namespaces governed besides ``name`` (sorted by name)."""
    views: tuple[View, ...] = ()
    """Views and materialized views (sorted by name)."""
    domains: tuple[Domain, ...] = ()
    """Domains (sorted by name)."""
    composite_types: tuple[CompositeType, ...] = ()
    """Composite types (sorted by name)."""
    functions: tuple[Function, ...] = ()
    """Functions and procedures (sorted by name)."""
    sequences: tuple[Sequence, ...] = ()
    """Sequences that are not a column's identity or serial (sorted by name)."""
    ignore: tuple[str, ...] = field(default=(), compare=False)
    """Objects of the database the spec acknowledges and does not govern: patterns
    (``fnmatch``) of the lines ``migrate verify`` and ``inspect`` print, e.g.
    ``"view legacy_*"``, ``"schema analytics"``, ``"table Account.trigger audit_*"``."""
    unmanaged: tuple[str, ...] = field(default=(), compare=False)
    """Introspection: what the inspected namespaces hold that the model does not
    govern, one line each (``function f(integer): an overload of f``)."""
    sources: tuple[str, ...] = field(default=(), compare=False)
    """The spec files this schema was loaded from (for generated-file headers)."""
    acknowledge_loss: tuple[str, ...] = field(default=(), compare=False)
    """Destructive changes the planner may make when this is the target:
    ``"Table"`` (drop table), ``"Table.column"`` (drop column, narrowing type),
    ``"Enum.VALUE"`` (remove an enum value). See docs/planner.md."""

    _tables_by_name: dict[str, Table] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _enums_by_name: dict[str, Enum] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (a dict built on first use: the model is frozen)."""
        index = self._tables_by_name
        if index is None:
            index = {t.name: t for t in reversed(self.tables)}  # first wins
            object.__setattr__(self, "_tables_by_name", index)
        return index.get(name)

    def enum(self, name: str) -> Enum | None:
        """The enum called ``name`` (a dict built on first use)."""
        index = self._enums_by_name
        if index is None:
            index = {e.name: e for e in reversed(self.enums)}  # first wins
            object.__setattr__(self, "_enums_by_name", index)
        return index.get(name)

    def normalized(self) -> Schema:
        """The canonical order: tables, enums and per-table objects sorted by name."""
        return replace(
            self,
            extensions=tuple(sorted(self.extensions, key=lambda e: e.name)),
            schemas=tuple(sorted(self.schemas, key=lambda n: n.name)),
            views=tuple(
                sorted(
                    (
                        replace(v, indexes=tuple(sorted(v.indexes, key=lambda i: i.name)))
                        for v in self.views
                    ),
                    key=lambda v: v.name,
                )
            ),
            functions=tuple(sorted(self.functions, key=lambda f: f.name)),
            sequences=tuple(sorted(self.sequences, key=lambda q: q.name)),
            enums=tuple(sorted(self.enums, key=lambda e: e.name)),
            domains=tuple(
                sorted(
                    (
                        replace(d, checks=tuple(sorted(d.checks, key=lambda c: c.name)))
                        for d in self.domains
                    ),
                    key=lambda d: d.name,
                )
            ),
            composite_types=tuple(sorted(self.composite_types, key=lambda c: c.name)),
            tables=tuple(sorted((_normalize_table(t) for t in self.tables), key=lambda t: t.name)),
        )


_name_of = attrgetter("name")
_SORTED_BY_NAME = (
    "uniques",
    "foreign_keys",
    "checks",
    "indexes",
    "exclusions",
    "policies",
    "partitions",
    "triggers",
)


def _normalize_table(t: Table) -> Table:
    # a table already in canonical order is returned as is (the common case: a
    # loaded or normalized spec), not rebuilt by replace() for every plan
    changes: dict[str, Any] = {}
    for field_name in _SORTED_BY_NAME:
        items = getattr(t, field_name)
        if len(items) > 1:
            ordered = tuple(sorted(items, key=_name_of))
            if ordered != items:
                changes[field_name] = ordered
    return replace(t, **changes) if changes else t
