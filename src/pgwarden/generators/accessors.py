"""The view model the templates render: every Python name, type and SQL text,
decided here so the Jinja templates only loop and print.

SQL is finished at generation time: identifiers are quoted by
``psycopg.sql.Identifier`` and types by :func:`pgwarden.spec.types.type_sql`,
then ``%`` is doubled because psycopg reads ``%`` as a placeholder in any query
executed with parameters (and generated code always passes parameters). Every
value is a ``%s`` parameter with an explicit cast, so ``= ANY(%s::"Status"[])``
works for enums and no value ever becomes SQL text.

The services come from spec annotations only: ``soft_delete``/``owner`` on a
table give a soft-delete service; ``owner_table`` gives the deletion service
for that principal, derived from the foreign-key graph (see docs/user-deletion.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from psycopg import sql

from pgwarden.errors import PgwardenError
from pgwarden.generators import naming
from pgwarden.generators.layout import LINE, call, py_str, width
from pgwarden.spec import audit
from pgwarden.spec.model import Column, ColumnType, ForeignKey, Index, Schema, Table
from pgwarden.spec.sqltext import (
    active_rows,
    is_active_rows,
    placeholder_safe,
    query_ident,
    query_qualified,
)
from pgwarden.spec.types import type_sql


class GenerateError(PgwardenError):
    """The spec cannot be turned into a Python package (names collide, shape unsupported)."""


# --------------------------------------------------------------------------- SQL text


def sql_type(column_type: ColumnType, namespace: str, *, array: bool | None = None) -> str:
    """The cast target for a parameter. Modifiers are dropped: ``::varchar(5)``
    would silently truncate a value the column itself would reject. User types
    (enums) are qualified by the namespace: the caller's search_path may not hold it."""
    base = replace(column_type, modifiers=(), array=False)
    if base.name == "char":
        text = "bpchar"
    elif base.is_builtin:
        text = type_sql(base).as_string(None)
    else:
        text = sql.Identifier(namespace, base.name).as_string(None)
    is_array = column_type.array if array is None else array
    return text.replace("%", "%%") + ("[]" if is_array else "")


def expr(text: str) -> str:
    """Spec-authored SQL (a billing predicate): trusted like a CHECK, but ``%`` doubled."""
    return text.replace("%", "%%")


# --------------------------------------------------------------------------- Python types

_PY_TYPES: dict[str, str] = {
    "text": "str",
    "varchar": "str",
    "char": "str",
    "citext": "str",
    "smallint": "int",
    "integer": "int",
    "bigint": "int",
    "numeric": "_decimal.Decimal",
    "real": "float",
    "double precision": "float",
    "boolean": "bool",
    "uuid": "_uuid.UUID",
    "date": "_dt.date",
    "time": "_dt.time",
    "timetz": "_dt.time",
    "timestamp": "_dt.datetime",
    "timestamptz": "_dt.datetime",
    "interval": "_dt.timedelta",
    "json": "JsonValue",
    "jsonb": "JsonValue",
    "bytea": "bytes",
    "inet": "_ip.IPv4Interface | _ip.IPv6Interface",
    "cidr": "_ip.IPv4Network | _ip.IPv6Network",
}


@dataclass(frozen=True)
class EnumView:
    """An enum as the generated ``enum.Enum`` class: its members and their values."""

    name: str
    cls: str
    members: tuple[tuple[str, str], ...]  # (member name, python literal of the value)
    comment: str | None


@dataclass(frozen=True)
class ColumnView:
    """A column as the generated code sees it: attribute name, annotation, how it is read and
    written."""

    name: str
    attr: str
    py_type: str  # full annotation, with "| None"
    base_type: str  # element annotation without None (keys of batch dicts)
    nullable: bool
    defaulted: bool  # NotRequired in the insert dict
    writable: bool  # not a generated column
    ident: str
    select: str  # select-list entry
    cast: str  # "%s::type"
    array_cast: str  # "%s::type[]" for ANY()
    decode: tuple[str, tuple[str, ...]] | None  # (callable, leading args) applied to the value
    encoder: str  # name of a runtime encoder or "None"
    enum_cls: str | None
    column: Column

    @property
    def active_rows(self) -> str:
        """The soft-delete predicate over this column, for query text."""
        return placeholder_safe(active_rows(self.name))

    def set_line(self, index: int, indent: int, row: str = "r", setter: str = "f[{}]") -> str:
        """The statement that sets this field of ``o`` from ``row`` (setter ``f[index]``;
        batch reads name each setter locally, ``setter="f{}"``)."""
        f = setter.format(index)
        if self.decode is None:
            return f"{' ' * indent}{f}(o, {row}[{index}])"
        fn, lead = self.decode
        return call(indent, f"{f}(o, {fn}", [*lead, f"{row}[{index}]"], ")")

    def key_expr(self, index: int) -> str:
        """The non-null key value from raw row ``_r`` (dict keys of batch lookups)."""
        if self.enum_cls and not self.column.type.array:
            return f"_enums.{self.enum_cls}(_r[{index}])"
        return f"_r[{index}]"


@dataclass(frozen=True)
class KeyView:
    """A unique key (or an index's leading column) with its lookup queries."""

    suffix: str  # "stripe_customer_id" / "provider_and_provider_account_id"
    columns: tuple[ColumnView, ...]
    one: str  # SQL for a single key (active rows of a soft-delete table)
    many: str  # SQL for a batch of keys
    soft_filter: bool  # include_deleted picks between these and the *_all forms
    one_all: str = ""  # the same reads over every row, deleted ones included
    many_all: str = ""
    owner: str = ""  # the table's class name: a composite key's alias is _K_<owner>_<suffix>

    @property
    def composite(self) -> bool:
        """The key has several columns (its lookup takes a tuple)."""
        return len(self.columns) > 1

    @property
    def key_type(self) -> str:
        """The key's annotation: ``tuple[...]`` for a composite key, or its alias
        (:attr:`alias`) when that would not fit the signatures' lines."""
        if not self.composite:
            return self.columns[0].base_type
        parts = tuple(c.base_type for c in self.columns)
        return f"_K_{self.owner}_{self.suffix}" if _too_wide(parts, self.owner) else _tuple(parts)

    @property
    def alias(self) -> tuple[str, tuple[str, ...]] | None:
        """``(name, member types)`` of the key's ``TypeAlias`` when it needs one."""
        parts = tuple(c.base_type for c in self.columns)
        if not self.composite or not _too_wide(parts, self.owner):
            return None
        return self.key_type, parts


def _tuple(parts: tuple[str, ...]) -> str:
    return f"tuple[{', '.join(parts)}]"


def _too_wide(parts: tuple[str, ...], cls: str) -> bool:
    """A composite key's ``tuple[...]`` would overflow a line of the batch and paging
    signatures (``keys: Sequence[...]``, ``-> dict[..., _m.Cls]:``, ``after: ... | None``)."""
    text = _tuple(parts)
    lines = (
        f"        keys: Sequence[{text}],",
        f"    ) -> dict[{text}, _m.{cls}]:",
        f"        after: {text} | None = None,",
    )
    return any(width(line) > LINE for line in lines)


@dataclass(frozen=True)
class RouteView:
    """What the spec allows one read method: cache lifetime (0: none), replica service."""

    method: str
    ttl: float
    replica: bool


@dataclass(frozen=True)
class RestoreKeyView:
    """A unique key a restore must not break: the query finding an active row holding it."""

    index: str
    columns: tuple[ColumnView, ...]
    query: str  # the active row holding this key, params: key values + pk
    nulls_distinct: bool


@dataclass(frozen=True)
class SoftDeleteView:
    """The soft-delete service of a table: its class, the deleted-at column, scopes and routes."""

    cls: str  # K8sClusterService
    attr: str  # k8s_cluster_service
    deleted_at: ColumnView
    owner: ColumnView | None
    status: ColumnView | None
    status_value: str | None  # python literal of the enum value, e.g. Status.DELETED
    find_all_active: str
    find_active: str
    find_deleted: str
    soft_delete: str
    lock_deleted: str
    restore: str
    purge_before: str
    purge_age: str
    restore_keys: tuple[RestoreKeyView, ...]
    routes: tuple[RouteView, ...] = ()

    def route(self, method: str) -> RouteView | None:
        """The route of ``method`` (None: the service has none)."""
        return next((r for r in self.routes if r.method == method), None)


@dataclass(frozen=True)
class TableView:
    """A table as the generated accessors see it: row class, columns, keys, queries."""

    name: str
    cls: str
    attr: str
    const: str
    qualified: str
    columns: tuple[ColumnView, ...]
    pk: tuple[ColumnView, ...]
    select_list: str
    get: str
    get_many: str
    page_first: str
    page_after: str
    delete: str
    count: str
    # include_deleted=True forms (soft-delete tables): the active forms above carry a
    # literal "deletedAt" IS NULL, so a partial index over active rows can serve them
    get_all: str
    get_many_all: str
    page_first_all: str
    page_after_all: str
    count_all: str
    soft: ColumnView | None
    uniques: tuple[KeyView, ...]
    finders: tuple[KeyView, ...]
    service: SoftDeleteView | None
    comment: str | None
    table: Table
    writes: tuple[str, ...] = ()  # tables a write to this one may change (cache invalidation)
    routes: tuple[RouteView, ...] = ()  # read methods the spec sends to the cache or a replica

    def route(self, method: str) -> RouteView | None:
        """The route of ``method`` (None: the table has none)."""
        return next((r for r in self.routes if r.method == method), None)

    @property
    def mutable(self) -> bool:
        """Rows hold lists or JSON values, which a cache must copy."""
        return any(c.column.type.array or c.column.type.name in _JSON for c in self.columns)

    @property
    def opens(self) -> bool:
        """Rows hold encrypted columns: decoding them needs the Database's keys."""
        return any(c.column.secret == "encrypted" for c in self.columns)

    @property
    def sealed(self) -> tuple[tuple[str, str, str], ...]:
        """(attr, "encrypted" | "hashed", context) of the writable secret columns."""
        return tuple(
            (c.attr, str(c.column.secret), secret_context(self.name, c.column))
            for c in self.writable
            if c.column.secret
        )

    @property
    def hashed(self) -> tuple[ColumnView, ...]:
        """Hashed columns, each with a ``verify_<column>`` method (tables with a key)."""
        if not self.pk:
            return ()
        return tuple(c for c in self.columns if c.column.secret == "hashed")

    @property
    def read_methods(self) -> tuple[str, ...]:
        """The generated read methods of the table accessor, in order."""
        out = ["get", *(["get_many"] if self.get_many else []), "page"] if self.pk else []
        out.append("count")
        for k in self.uniques:
            out += [f"get_by_{k.suffix}", f"get_many_by_{k.suffix}"]
        for k in self.finders:
            out += [f"find_by_{k.suffix}", f"find_many_by_{k.suffix}"]
        return tuple(out)

    @property
    def key_where(self) -> str:
        """The WHERE clause matching one row by primary key."""
        return _eq(self.pk)

    @property
    def pk_type(self) -> str:
        """The key's annotation: a composite key through its alias (:attr:`pk_alias`),
        so signatures stay within the line length whatever the column types."""
        if len(self.pk) == 1:
            return self.pk[0].base_type
        parts = tuple(c.base_type for c in self.pk)
        return f"_K_{self.cls}" if _too_wide(parts, self.cls) else _tuple(parts)

    @property
    def aliases(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``(name, member types)`` of the ``TypeAlias`` of each composite key (primary
        and unique), which keep signatures within the line length."""
        pk = tuple(c.base_type for c in self.pk)
        out = [(f"_K_{self.cls}", pk)] if len(pk) > 1 and _too_wide(pk, self.cls) else []
        out += [a for a in (u.alias for u in self.uniques) if a is not None]
        return tuple(out)

    @property
    def writable(self) -> tuple[ColumnView, ...]:
        """The columns an insert or update may set."""
        return tuple(c for c in self.columns if c.writable)


@dataclass(frozen=True)
class DependentView:
    """One table in the owner's dependency closure, with its statements."""

    table: TableView
    kind: str  # "soft" (kept, soft-deleted) or "hard" (deleted)
    field: str  # attribute in the summary
    count_expr: str  # scalar subquery counting the owner's rows
    active_expr: str | None  # scalar subquery counting active rows (soft tables)
    billing_expr: str | None  # scalar subquery counting rows still billing
    statement: str | None  # the soft-delete UPDATE or the DELETE


@dataclass(frozen=True)
class DeletionView:
    """The user-deletion service: the owner table and the steps over its dependents."""

    cls: str
    attr: str
    owner: TableView
    key: ColumnView
    lock: str
    dependents: tuple[DependentView, ...]
    billing_check: str | None
    billing_tables: tuple[str, ...]
    summary: str
    tombstone: str
    delete_owner: str
    mark_owner: str | None  # soft_delete_user: the owner's own soft-delete marker
    anonymised: tuple[str, ...]
    status_params: tuple[str, ...]  # python literals bound as %(status_N)s
    audit: str | None = None  # the service's own audit-log entry (audited schemas)

    @property
    def writes(self) -> tuple[str, ...]:
        """Every table the service's statements may change."""
        names = {n for d in (self.owner, *(d.table for d in self.dependents)) for n in d.writes}
        return tuple(sorted(names))

    @property
    def steps(self) -> tuple[tuple[str, DependentView], ...]:
        """Statements in execution order: soft deletes first, then deletes children-first."""
        soft = [d for d in self.dependents if d.kind == "soft"]
        hard = [d for d in self.dependents if d.kind == "hard"]
        return tuple((f"STEP_{i}", d) for i, d in enumerate([*soft, *hard]))

    @property
    def key_param(self) -> str:
        """The parameter name of the owner's key in the generated ``delete_user``."""
        return f"{self.owner.attr}_{self.key.attr.rstrip('_')}"


@dataclass(frozen=True)
class PoolView:
    """``[tool.pgwarden.generate] pool``: what ``create_pool`` builds by default."""

    min_size: int = 1
    max_size: int = 10
    timeout: float = 30.0


@dataclass(frozen=True)
class PackageView:
    """The whole generated package as data the templates read."""

    package: str
    header: str
    schema: Schema
    enums: tuple[EnumView, ...]
    tables: tuple[TableView, ...]
    deletion: DeletionView | None
    services: tuple[SoftDeleteView, ...] = field(default=())
    pool: PoolView = field(default=PoolView())

    @property
    def needs(self) -> frozenset[str]:
        """Standard modules the models module imports."""
        text = " ".join(c.py_type for t in self.tables for c in t.columns)
        mods = {"_dt": "datetime", "_decimal": "decimal", "_ip": "ipaddress", "_uuid": "uuid"}
        return frozenset(m for alias, m in mods.items() if f"{alias}." in text)

    @property
    def _key_annotations(self) -> str:
        return " ".join(
            c.py_type
            for t in self.tables
            for c in (*t.pk, *(c for k in (*t.uniques, *t.finders) for c in k.columns))
        )

    @property
    def access_uses_json(self) -> bool:
        """Whether a key of sync/aio is a json column (annotated ``JsonValue``)."""
        return "JsonValue" in self._key_annotations

    @property
    def access_needs(self) -> tuple[tuple[str, str], ...]:
        """(module, alias) of the standard modules sync/aio import, sorted: those named
        in key annotations (uuid, timestamp, numeric keys), ``_dt`` for services and
        ``_json`` for an audited deletion service."""
        text = self._key_annotations
        mods = {"_dt": "datetime", "_decimal": "decimal", "_ip": "ipaddress", "_uuid": "uuid"}
        used = {a for a in mods if f"{a}." in text}
        if self.services:
            used.add("_dt")
        if self.deletion and self.deletion.audit:
            mods["_json"] = "json"
            used.add("_json")
        return tuple(sorted((mods[a], a) for a in used))

    @property
    def uses_crypto(self) -> bool:
        """Secret columns: the package ships ``_crypto`` and takes ``keys``."""
        return any(t.sealed or t.opens for t in self.tables)

    @property
    def uses_hash_verify(self) -> bool:
        """Some table has a hashed column (the async accessors import the verifier)."""
        return any(t.hashed for t in self.tables)

    @property
    def uses_not_required(self) -> bool:
        """Some writable column has a database default (its TypedDict key is ``NotRequired``)."""
        return any(c.defaulted for t in self.tables for c in t.writable)

    @property
    def columns_use_enums(self) -> bool:
        """Some column has an enum type (the models module imports the enums)."""
        return any(c.enum_cls for t in self.tables for c in t.columns)

    @property
    def access_uses_enums(self) -> bool:
        """Whether sync/aio need the enums module (enum keys, DELETED status values)."""
        for t in self.tables:
            keys = [*t.pk, *(c for k in (*t.uniques, *t.finders) for c in k.columns)]
            if any(c.enum_cls for c in keys) or (t.service and t.service.status_value):
                return True
        return bool(self.deletion and self.deletion.status_params)

    @property
    def uses_json(self) -> bool:
        """Some column holds JSON (the models module defines ``JsonValue``)."""
        return any("JsonValue" in c.py_type for t in self.tables for c in t.columns)


# --------------------------------------------------------------------------- building


class _Names:
    """One namespace per scope; a second claim on a name is a generation error."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.taken: dict[str, str] = {}

    def claim(self, python: str, owner: str) -> str:
        if python in self.taken and self.taken[python] != owner:
            raise GenerateError(
                f"{self.scope}: {self.taken[python]!r} and {owner!r} both become the Python "
                f"name {python!r}\n  fix: rename one of them in the spec"
            )
        self.taken[python] = owner
        return python


def _enum_view(enum_name: str, values: Sequence[str], comment: str | None, cls: str) -> EnumView:
    members = _Names(f"enum {enum_name}")
    out = []
    for value in values:
        member = members.claim(naming.enum_member(value), value)
        out.append((member, py_str(value)))
    return EnumView(enum_name, cls, tuple(out), comment)


def secret_context(table: str, col: Column) -> str:
    """What an envelope of this column carries as associated data (pgwarden.crypto)."""
    return f"{table}.{col.name}"


def _check_secret(col: Column) -> None:
    """Secret columns the generated code can seal: encrypted text/bytea, hashed text,
    no database default (the server would store it in the clear)."""
    where = f"{col.source}" if col.source else f"column {col.name!r}"
    ct = col.type
    problem = None
    if col.secret == "encrypted" and (ct.name not in ("text", "bytea") or ct.array):
        problem = f'secret = "encrypted" needs a text or bytea column, not {ct.spec_text()}'
    elif col.secret == "hashed" and (ct.name != "text" or ct.array):
        problem = f'secret = "hashed" needs a text column, not {ct.spec_text()}'
    elif col.secret and (col.default is not None or col.generated is not None):
        problem = (
            f"a secret = {col.secret!r} column cannot have a default or generated value: the "
            "database would store it unsealed"
        )
    if problem:
        raise GenerateError(f"{where}: {problem}\n  fix: change the column or drop secret")


def _column_view(
    schema: Schema, col: Column, attr: str, enums: dict[str, str], table: str = ""
) -> ColumnView:
    ct = col.type
    enum_cls = None
    if ct.is_builtin:
        base = _PY_TYPES[ct.name]
    elif ct.name in enums:
        enum_cls = enums[ct.name]
        base = f"_enums.{enum_cls}"
    else:
        raise GenerateError(
            f"column {col.name!r}: unknown type {ct.spec_text()!r}\n"
            "  fix: declare the enum in the spec or use a built-in type"
        )
    element = base
    if ct.array:
        # no column type forbids NULL elements (only a CHECK can), so say so in the type
        base = f"list[{base} | None]"
    py_type = f"{base} | None" if col.nullable else base
    # enum arrays come back as text (psycopg knows no adapter for the enum), so cast
    select = query_ident(col.name)
    if enum_cls and ct.array:
        select = f"{select}::text[]"
    decode: tuple[str, tuple[str, ...]] | None = None
    _check_secret(col)
    if col.secret == "encrypted":
        # opened with the Database's keys; the context is the envelope's associated data
        decode = (
            "_opt_open" if col.nullable else "_open",
            ("s", py_str(secret_context(table, col))),
        )
    if enum_cls:
        fn = f"_enums.{enum_cls}"
        if ct.array:
            decode = ("_opt_each" if col.nullable else "_each", (fn,))
        elif col.nullable:
            decode = ("_opt", (fn,))
        else:
            decode = (fn, ())
    encoder = "None"
    if ct.name in ("json", "jsonb"):
        suffix = "_array" if ct.array else "_opt" if col.nullable else ""
        encoder = f"_{ct.name}{suffix}"
    defaulted = (
        col.nullable
        or col.default is not None
        or col.identity is not None
        or col.generated is not None
    )
    return ColumnView(
        name=col.name,
        attr=attr,
        py_type=py_type,
        base_type=element if not ct.array else base,
        nullable=col.nullable,
        defaulted=defaulted,
        writable=col.generated is None and col.identity != "always",
        ident=query_ident(col.name),
        select=select,
        cast=f"%s::{sql_type(ct, schema.name)}",
        array_cast=f"%s::{sql_type(ct, schema.name, array=True)}",
        decode=decode,
        encoder=encoder,
        enum_cls=enum_cls,
        column=col,
    )


def _eq(cols: Sequence[ColumnView], qual: str = "") -> str:
    return " AND ".join(f"{qual}{c.ident} = {c.cast}" for c in cols)


def _in_many(cols: Sequence[ColumnView]) -> str:
    if len(cols) == 1:
        return f"{cols[0].ident} = ANY({cols[0].array_cast})"
    names = ", ".join(c.ident for c in cols)
    arrays = ", ".join(c.array_cast for c in cols)
    return f"({names}) IN (SELECT * FROM unnest({arrays}))"


def _unique_keys(table: Table) -> list[tuple[str, tuple[str, ...], bool, bool]]:
    """(name, columns, partial-over-active, nulls_not_distinct) for every unique rule."""
    keys: list[tuple[str, tuple[str, ...], bool, bool]] = []
    for u in table.uniques:
        keys.append((u.name, u.columns, False, u.nulls_not_distinct))
    for idx in table.indexes:
        if not idx.unique or any(e.column is None for e in idx.elements):
            continue
        partial = idx.soft_delete_partial or (
            table.soft_delete is not None and is_active_rows(idx.where, table.soft_delete)
        )
        if idx.where is not None and not partial:
            continue  # a predicate we cannot reproduce: uniqueness only holds inside it
        cols = tuple(e.column for e in idx.elements if e.column is not None)
        keys.append((idx.name, cols, partial, idx.nulls_not_distinct))
    return keys


def _leading_columns(table: Table) -> list[str]:
    """Leading column of every index (and unique rule) -- the columns worth a finder."""
    out: list[str] = []
    indexes: list[Index] = sorted(table.indexes, key=lambda i: i.name)
    for idx in indexes:
        first = idx.elements[0].column if idx.elements else None
        if first is not None and first not in out:
            out.append(first)
    for u in table.uniques:
        if len(u.columns) > 1 and u.columns[0] not in out:
            out.append(u.columns[0])
    return out


_JSON = ("json", "jsonb")
#: the soft-delete service's reads (the rest of it writes)
SERVICE_READS = ("find_all_active", "find_active", "find_deleted")


def _routes(view: TableView) -> tuple[TableView, tuple[RouteView, ...]]:
    """Apply the table's ``replica`` / ``cache`` rules to its read methods (and its
    service's): every method a rule names must exist, else a generation error."""
    table = view.table
    methods = view.read_methods
    service = SERVICE_READS if view.service is not None else ()
    known = (*methods, *service)
    chosen: dict[str, tuple[float, bool]] = {}
    for key, rule in (("replica", table.replica), ("cache", table.cache)):
        if rule is None:
            continue
        for name in rule.methods:
            if name not in known:
                where = str(rule.source) if rule.source else f"tables.{table.name}.{key}"
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(known)
                raise GenerateError(
                    f"{where}: {name!r} is not a generated read method of {table.name!r}\n"
                    f"  fix: {hint}"
                )
        for name in rule.methods or known:
            ttl, replica = chosen.get(name, (0.0, False))
            if key == "replica":
                replica = True
            else:
                ttl = rule.ttl or 0.0
            chosen[name] = (ttl, replica)
    table_routes = tuple(RouteView(m, *chosen[m]) for m in methods if m in chosen)
    service_routes = tuple(RouteView(m, *chosen[m]) for m in service if m in chosen)
    return replace(view, routes=table_routes), service_routes


#: foreign-key actions that change the referencing rows when the referenced row changes
_CHANGING = frozenset({"cascade", "set null", "set default"})


def _write_closure(schema: Schema, name: str) -> tuple[str, ...]:
    """The tables a write to ``name`` may change: itself and, through foreign keys whose
    action rewrites the referencing rows (CASCADE, SET NULL/DEFAULT), theirs, transitively."""
    out = {name}
    frontier = [name]
    while frontier:
        parent = frontier.pop()
        for t in schema.tables:
            if t.name in out:
                continue
            for fk in t.foreign_keys:
                if fk.ref_table == parent and {fk.on_delete, fk.on_update} & _CHANGING:
                    out.add(t.name)
                    frontier.append(t.name)
                    break
    return tuple(sorted(out))


def _table_view(
    schema: Schema,
    table: Table,
    enums: dict[str, str],
    classes: _Names,
    services: dict[str, str],
) -> TableView:
    cls = classes.claim(naming.pascal(table.name), f"table {table.name}")
    for suffix in ("Insert", "Patch", "Table", "Sql"):
        classes.claim(cls + suffix, f"table {table.name}")
    attrs = _Names(f"table {table.name!r}")
    cols = tuple(
        _column_view(schema, c, attrs.claim(naming.attr(c.name), c.name), enums, table.name)
        for c in table.columns
    )
    by_name = {c.name: c for c in cols}
    qual = query_qualified(schema.name, table.name)
    select_list = ", ".join(c.select for c in cols)
    pk = tuple(by_name[n] for n in table.primary_key.columns) if table.primary_key else ()
    for c in pk:
        if c.column.secret:
            raise GenerateError(
                f"{c.column.source or table.name}: primary key column {c.name!r} is marked "
                f"secret = {c.column.secret!r}; a sealed or hashed key cannot be looked up\n"
                "  fix: key the table by another column"
            )
    soft = by_name.get(table.soft_delete) if table.soft_delete else None
    if table.soft_delete and soft is None:
        raise GenerateError(
            f"table {table.name!r}: soft_delete names column {table.soft_delete!r}, "
            "which does not exist\n  fix: add the column or correct soft_delete"
        )
    # two texts per read instead of one "(%s OR deleted IS NULL)" switch: a generic plan
    # cannot assume the switch is false, so no partial index over active rows would serve it
    filt = f" AND {soft.active_rows}" if soft else ""
    where_filt = f" WHERE {soft.active_rows}" if soft else ""
    order = ", ".join(c.ident for c in pk) if pk else ""
    base = f"SELECT {select_list} FROM {qual}"

    def reads(filt: str, where_filt: str) -> tuple[str, str, str, str]:
        if not pk:
            return "", "", "", ""
        get = f"{base} WHERE {_eq(pk)}{filt}"
        get_many = ""
        if not any(c.column.type.array for c in pk):  # ANY() over arrays flattens them
            get_many = f"{base} WHERE {_in_many(pk)}{filt}"
        pk_tuple = ", ".join(c.ident for c in pk)
        pk_casts = ", ".join(c.cast for c in pk)
        page_first = f"{base}{where_filt} ORDER BY {order} LIMIT %s"
        page_after = f"{base} WHERE ({pk_tuple}) > ({pk_casts}){filt} ORDER BY {order} LIMIT %s"
        return get, get_many, page_first, page_after

    get, get_many, page_first, page_after = reads(filt, where_filt)
    all_reads = reads("", "") if soft else ("", "", "", "")
    delete = f"DELETE FROM {qual} WHERE {_eq(pk)} RETURNING {select_list}" if pk else ""
    count = f"SELECT count(*) FROM {qual}{where_filt}"
    count_all = f"SELECT count(*) FROM {qual}" if soft else ""
    order_by = f" ORDER BY {order}" if order else ""

    methods = _Names(f"table {table.name!r} accessors")
    uniques: list[KeyView] = []
    for _name, key_cols, partial, _nnd in _unique_keys(table):
        if pk and tuple(c.name for c in pk) == key_cols:
            continue
        kcols = tuple(by_name[n] for n in key_cols)
        if any(c.column.type.array or c.column.secret for c in kcols):
            continue  # ANY() flattens arrays; sealed and hashed values never compare equal
        suffix = methods.claim("_and_".join(c.attr.rstrip("_") for c in kcols), _name)
        active = f" AND {soft.active_rows}" if partial and soft else ""
        kf = "" if partial else filt
        uniques.append(
            KeyView(
                suffix=suffix,
                columns=kcols,
                one=f"{base} WHERE {_eq(kcols)}{active}{kf}",
                many=f"{base} WHERE {_in_many(kcols)}{active}{kf}{order_by}",
                soft_filter=bool(kf),
                one_all=f"{base} WHERE {_eq(kcols)}" if kf else "",
                many_all=f"{base} WHERE {_in_many(kcols)}{order_by}" if kf else "",
                owner=cls,
            )
        )
    finders: list[KeyView] = []
    unique_single = {u.columns[0].name for u in uniques if not u.composite}
    pk_single = pk[0].name if len(pk) == 1 else None
    for name in _leading_columns(table):
        col = by_name.get(name)
        if col is None or name in unique_single or name == pk_single or col.column.type.array:
            continue
        if col.column.secret:
            continue  # a sealed or hashed value is never equal to what a caller passes
        if soft is not None and col is soft:
            continue  # reads skip deleted rows, so a finder on the marker finds nothing
        suffix = methods.claim(col.attr.rstrip("_"), f"index on {name}")
        finders.append(
            KeyView(
                suffix=suffix,
                columns=(col,),
                one=f"{base} WHERE {_eq([col])}{filt}{order_by}",
                many=f"{base} WHERE {_in_many([col])}{filt}{order_by}",
                soft_filter=bool(soft),
                one_all=f"{base} WHERE {_eq([col])}{order_by}" if soft else "",
                many_all=f"{base} WHERE {_in_many([col])}{order_by}" if soft else "",
            )
        )
    view = TableView(
        name=table.name,
        cls=cls,
        attr=naming.snake(table.name),
        const=naming.constant(table.name),
        qualified=qual,
        columns=cols,
        pk=pk,
        select_list=select_list,
        get=get,
        get_many=get_many,
        page_first=page_first,
        page_after=page_after,
        delete=delete,
        count=count,
        get_all=all_reads[0],
        get_many_all=all_reads[1],
        page_first_all=all_reads[2],
        page_after_all=all_reads[3],
        count_all=count_all,
        soft=soft,
        uniques=tuple(uniques),
        finders=tuple(finders),
        service=None,
        comment=table.comment,
        table=table,
        writes=_write_closure(schema, table.name),
    )
    if soft is not None and pk:
        service = _soft_delete_view(schema, view, enums, classes, services)
        view = replace(view, service=service)
    view, service_routes = _routes(view)
    if view.service is not None and service_routes:
        view = replace(view, service=replace(view.service, routes=service_routes))
    return view


def _status_column(
    schema: Schema, view: TableView, enums: dict[str, str]
) -> tuple[ColumnView | None, str | None]:
    for col in view.columns:
        ct = col.column.type
        if col.name.lower() != "status" or ct.array or col.enum_cls is None:
            continue
        enum = schema.enum(ct.name)
        if enum is not None and "DELETED" in enum.values:
            member = naming.enum_member("DELETED")
            return col, f"_enums.{enums[ct.name]}.{member}"
    return None, None


def _soft_delete_view(
    schema: Schema,
    view: TableView,
    enums: dict[str, str],
    classes: _Names,
    services: dict[str, str],
) -> SoftDeleteView:
    table = view.table
    soft = view.soft
    assert soft is not None
    by_name = {c.name: c for c in view.columns}
    owner = None
    if table.owner:
        owner = by_name.get(table.owner)
        if owner is None:
            raise GenerateError(
                f"table {table.name!r}: owner names column {table.owner!r}, which does not "
                "exist\n  fix: add the column or correct owner"
            )
        if owner in view.pk:
            raise GenerateError(
                f"table {table.name!r}: owner column {table.owner!r} is part of the primary "
                "key, so it cannot scope lookups by that key\n"
                "  fix: drop owner from this table (the key already identifies the owner)"
            )
    base_name = services.get(table.name, naming.snake(table.name))
    cls = classes.claim(naming.pascal(base_name) + "Service", f"service of {table.name}")
    status, status_value = _status_column(schema, view, enums)
    qual = view.qualified
    sel = view.select_list
    pk_eq = _eq(view.pk)
    own = f" AND {owner.ident} = {owner.cast}" if owner else ""
    own_where = f" WHERE {owner.ident} = {owner.cast}" if owner else ""
    own_and = " AND" if owner else " WHERE"
    order = ", ".join(c.ident for c in view.pk)
    set_status = f", {status.ident} = {status.cast}" if status else ""
    restore_status = ""
    if status is not None:
        if status.column.default is not None:
            restore_status = f", {status.ident} = DEFAULT"
        elif status.nullable:
            restore_status = f", {status.ident} = NULL"
    restore_keys = []
    for name, key_cols, partial, nnd in _unique_keys(table):
        if not partial:
            continue
        kcols = tuple(by_name[n] for n in key_cols)
        if any(c.column.secret for c in kcols):
            continue  # sealed values never collide; the index itself still guards
        op = "IS NOT DISTINCT FROM" if nnd else "="
        cond = " AND ".join(f"{c.ident} {op} {c.cast}" for c in kcols)
        not_self = " AND ".join(f"{c.ident} = {c.cast}" for c in view.pk)
        restore_keys.append(
            RestoreKeyView(
                index=name,
                columns=kcols,
                query=(
                    f"SELECT {sel} FROM {qual} WHERE {soft.active_rows} AND {cond}"
                    f" AND NOT ({not_self}) LIMIT 1"
                ),
                nulls_distinct=not nnd,
            )
        )
    return SoftDeleteView(
        cls=cls,
        attr=naming.snake(base_name) + "_service",
        deleted_at=soft,
        owner=owner,
        status=status,
        status_value=status_value,
        find_all_active=(
            f"SELECT {sel} FROM {qual}{own_where}{own_and} {soft.active_rows} ORDER BY {order}"
        ),
        find_active=f"SELECT {sel} FROM {qual} WHERE {pk_eq}{own} AND {soft.active_rows}",
        find_deleted=(
            f"SELECT {sel} FROM {qual}{own_where}{own_and} {soft.ident} IS NOT NULL"
            f" ORDER BY {soft.ident} DESC, {order}"
        ),
        soft_delete=(
            f"UPDATE {qual} SET {soft.ident} = now(){set_status} WHERE {pk_eq}{own}"
            f" AND {soft.active_rows} RETURNING {sel}"
        ),
        lock_deleted=(
            f"SELECT {sel} FROM {qual} WHERE {pk_eq}{own} AND {soft.ident} IS NOT NULL FOR UPDATE"
        ),
        restore=(
            f"UPDATE {qual} SET {soft.ident} = NULL{restore_status} WHERE {pk_eq}{own}"
            f" RETURNING {sel}"
        ),
        purge_before=f"DELETE FROM {qual} WHERE {soft.ident} < {soft.cast}",
        purge_age=f"DELETE FROM {qual} WHERE {soft.ident} < now() - %s::interval",
        restore_keys=tuple(restore_keys),
    )


# --------------------------------------------------------------------------- user deletion


def _referencing(schema: Schema, target: str) -> list[tuple[Table, ForeignKey]]:
    """Foreign keys of other tables into ``target``, in a stable order."""
    pairs = [
        (t, fk)
        for t in schema.tables
        for fk in t.foreign_keys
        if fk.ref_table == target and t.name != target
    ]
    return sorted(pairs, key=lambda p: (p[0].name, p[1].name))


def _owns(fk: ForeignKey) -> bool:
    """An ownership edge: the child row belongs to the parent. ON DELETE SET NULL / SET
    DEFAULT mark a mere mention (a reviewer, an assignee); the database clears those
    itself when the parent goes, and they never make a row part of the owner's data."""
    return fk.on_delete not in ("set null", "set default")


def _depths(schema: Schema, owner: str) -> dict[str, int]:
    """Breadth-first over ownership edges: every dependent table and its distance."""
    depth = {owner: 0}
    frontier = [owner]
    while frontier:
        nxt: list[str] = []
        for name in frontier:
            for t, fk in _referencing(schema, name):
                if _owns(fk) and t.name not in depth:
                    depth[t.name] = depth[name] + 1
                    nxt.append(t.name)
        frontier = sorted(nxt)
    return depth


def _col_ref(view: TableView, column: str) -> str:
    return f"{view.qualified}.{query_ident(column)}"


def _scopes(
    schema: Schema, views: dict[str, TableView], owner: TableView, depth: dict[str, int], uid: str
) -> dict[str, str]:
    """Per dependent table, the predicate selecting the owner's rows: a direct FK is
    ``fk = %(uid)s``; a deeper table goes through its parents' scopes with ``IN``."""
    key = owner.pk[0]
    scope = {owner.name: f"{_col_ref(owner, key.name)} = {uid}"}
    for name in sorted((n for n in depth if n != owner.name), key=lambda n: (depth[n], n)):
        view = views[name]
        parts = []
        for fk in sorted(view.table.foreign_keys, key=lambda f: f.name):
            parent = fk.ref_table
            if not _owns(fk) or parent not in depth or depth[parent] >= depth[name]:
                continue
            if parent == owner.name and fk.ref_columns == (key.name,):
                parts.append(f"{_col_ref(view, fk.columns[0])} = {uid}")
                continue
            pview = views[parent]
            left = ", ".join(_col_ref(view, c) for c in fk.columns)
            right = ", ".join(_col_ref(pview, c) for c in fk.ref_columns)
            parts.append(
                f"({left}) IN (SELECT {right} FROM {pview.qualified} WHERE {scope[parent]})"
            )
        scope[name] = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    return scope


def _children_first(schema: Schema, owner: str, depth: dict[str, int]) -> list[str]:
    """Dependents ordered so a table comes before every table it references."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise GenerateError(
                f"table {name!r}: a foreign-key cycle among the tables that depend on "
                f"{owner!r}; the deletion service cannot order it\n"
                "  fix: break the cycle or make one side ON DELETE SET NULL"
            )
        visiting.add(name)
        for t, fk in _referencing(schema, name):
            if _owns(fk) and t.name in depth:
                visit(t.name)
        visiting.discard(name)
        order.append(name)

    for name in sorted((n for n in depth if n != owner), key=lambda n: (depth[n], n)):
        visit(name)
    return order


def _dependent_view(
    schema: Schema,
    views: dict[str, TableView],
    view: TableView,
    where: str,
    depth: dict[str, int],
    status_params: list[str],
    fields: _Names,
) -> DependentView:
    """Counts and the one statement (soft delete, or guarded delete) for one dependent."""
    table = view.table
    count_expr = f"(SELECT count(*) FROM {view.qualified} WHERE {where})"
    active_expr = billing_expr = statement = None
    if view.soft is not None:
        active_expr = (
            f"(SELECT count(*) FROM {view.qualified} WHERE {where} AND {view.soft.active_rows})"
        )
    if table.billing is not None and table.billing.active_when:
        billing_expr = (
            f"(SELECT count(*) FROM {view.qualified} WHERE {where}"
            f" AND ({expr(table.billing.active_when)}))"
        )
    if view.soft is not None:
        kind = "soft"
        status, status_value = _status_column(schema, view, _enum_classes(views))
        set_status = ""
        if status is not None and status_value is not None:
            param = f"status_{len(status_params)}"
            status_params.append(status_value)
            cast = sql_type(status.column.type, schema.name)
            set_status = f", {status.ident} = %({param})s::{cast}"
        statement = (
            f"UPDATE {view.qualified} SET {view.soft.ident} = now(){set_status}"
            f" WHERE {where} AND {view.soft.active_rows}"
        )
    else:
        # an audited table (audit = true) is deleted like any other: its trigger
        # copies every deleted row into the audit log (docs/audit.md)
        # keep rows that a kept row still references: deleting them would fail (RESTRICT)
        # or cascade into the audit trail. Children went first, so any row still
        # referencing this one is a kept row.
        kind = "hard"
        guards = []
        for t, fk in _referencing(schema, view.name):
            if t.name not in depth:
                continue
            rview = views[t.name]
            cond = " AND ".join(
                f"{_col_ref(rview, c)} = {_col_ref(view, r)}"
                for c, r in zip(fk.columns, fk.ref_columns, strict=True)
            )
            guards.append(f" AND NOT EXISTS (SELECT 1 FROM {rview.qualified} WHERE {cond})")
        statement = f"DELETE FROM {view.qualified} WHERE {where}{''.join(guards)}"
    field_name = fields.claim(view.attr, view.name)
    if active_expr is not None:
        fields.claim(f"{view.attr}_active", view.name)
    if billing_expr is not None:
        fields.claim(f"{view.attr}_billing", view.name)
    return DependentView(
        table=view,
        kind=kind,
        field=field_name,
        count_expr=count_expr,
        active_expr=active_expr,
        billing_expr=billing_expr,
        statement=statement,
    )


def _anonymise(schema: Schema, owner: TableView) -> tuple[list[str], list[str]]:
    """SET items that strip a tombstone of personal data, and the columns they touch."""
    key = owner.pk[0]
    referenced = {c for t, fk in _referencing(schema, owner.name) for c in fk.ref_columns}
    sets: list[str] = []
    touched: list[str] = []
    flag = owner.table.tombstone
    for col in owner.columns:
        c = col.column
        if (
            col in owner.pk
            or col.name in referenced
            or col is owner.soft
            or col.name == flag
            or c.generated is not None
            or c.identity is not None
        ):
            continue
        if c.nullable:
            sets.append(f"{col.ident} = NULL")
            touched.append(col.name)
        elif c.type.name in ("text", "varchar", "citext") and not c.type.array:
            # NOT NULL text may be unique (an email): a per-owner placeholder stays unique
            value = f"'deleted:' || {_col_ref(owner, key.name)}::text"
            if c.type.name == "varchar" and c.type.modifiers:
                value = f"left({value}, {int(c.type.modifiers[0])})"
            sets.append(f"{col.ident} = {value}")
            touched.append(col.name)
    if owner.soft is not None:
        sets.append(f"{owner.soft.ident} = coalesce({owner.soft.ident}, now())")
    if flag is not None and (owner.soft is None or owner.soft.name != flag):
        # the mark the guard triggers read: from here on nothing may reference the row
        ident = next(col.ident for col in owner.columns if col.name == flag)
        sets.append(f"{ident} = coalesce({ident}, now())")
    if not sets:
        sets.append(f"{key.ident} = {key.ident}")
    return sets, touched


def _deletion_view(
    schema: Schema, views: dict[str, TableView], classes: _Names
) -> DeletionView | None:
    owners = [t for t in schema.tables if t.owner_table]
    if not owners:
        return None
    if len(owners) > 1:
        names = ", ".join(t.name for t in owners)
        raise GenerateError(
            f"owner_table is set on {names}; the deletion service needs exactly one\n"
            "  fix: keep owner_table on the principal table only"
        )
    owner = views[owners[0].name]
    if len(owner.pk) != 1:
        raise GenerateError(
            f"table {owner.name!r}: owner_table needs a single-column primary key\n"
            "  fix: give the table a one-column primary key"
        )
    key = owner.pk[0]
    uid = key.cast.replace("%s", "%(uid)s")
    depth = _depths(schema, owner.name)
    scope = _scopes(schema, views, owner, depth, uid)

    fields = _Names(f"summary of {owner.name!r}")
    status_params: list[str] = []
    deps = [
        _dependent_view(schema, views, views[name], scope[name], depth, status_params, fields)
        for name in _children_first(schema, owner.name, depth)
    ]
    # lock the billing rows too, so a webhook cannot start a subscription mid-delete
    billing = [
        (d.table.name, expr(d.table.table.billing.active_when), scope[d.table.name])
        for d in deps
        if d.billing_expr and d.table.table.billing and d.table.table.billing.active_when
    ]
    billing_check = None
    if billing:
        billing_check = "SELECT " + ", ".join(
            f"(SELECT count(*) FROM (SELECT ({active}) AS active FROM {views[name].qualified}"
            f" WHERE {where} FOR UPDATE) AS b WHERE b.active)"
            for name, active, where in billing
        )

    # kept rows (soft-delete tables, and rows they pin) reference the owner directly
    refs = []
    for t, fk in _referencing(schema, owner.name):
        if not _owns(fk) or t.name not in depth:
            continue
        rview = views[t.name]
        cond = " AND ".join(
            f"{_col_ref(rview, c)} = {_col_ref(owner, r)}"
            for c, r in zip(fk.columns, fk.ref_columns, strict=True)
        )
        refs.append(f"EXISTS (SELECT 1 FROM {rview.qualified} WHERE {cond})")
    still_referenced = " OR ".join(refs) if refs else "false"
    anonymise, anonymised = _anonymise(schema, owner)
    owner_where = scope[owner.name]
    mark_owner = None
    if owner.soft is not None:
        mark_owner = (
            f"UPDATE {owner.qualified} SET {owner.soft.ident} = now()"
            f" WHERE {owner_where} AND {owner.soft.active_rows}"
        )
    summary_cols = [f"EXISTS (SELECT 1 FROM {owner.qualified} WHERE {owner_where})"]
    for d in deps:
        summary_cols += [q for q in (d.count_expr, d.active_expr, d.billing_expr) if q]
    cls = classes.claim(owner.cls + "DeletionService", "deletion service")
    for suffix in ("Summary", "DeletionResult", "DeletionSql"):
        classes.claim(owner.cls + suffix, "deletion service")
    return DeletionView(
        cls=cls,
        attr=f"{owner.attr}_deletion_service",
        owner=owner,
        key=key,
        lock=f"SELECT {key.ident} FROM {owner.qualified} WHERE {owner_where} FOR UPDATE",
        dependents=tuple(deps),
        billing_check=billing_check,
        billing_tables=tuple(name for name, _, _ in billing),
        summary="SELECT " + ", ".join(summary_cols),
        tombstone=(
            f"UPDATE {owner.qualified} SET {', '.join(anonymise)}"
            f" WHERE {owner_where} AND ({still_referenced})"
        ),
        delete_owner=(
            f"DELETE FROM {owner.qualified} WHERE {owner_where} AND NOT ({still_referenced})"
        ),
        mark_owner=mark_owner,
        anonymised=tuple(anonymised),
        status_params=tuple(status_params),
        audit=_audit_entry(schema, owner, key, uid),
    )


def _audit_entry(schema: Schema, owner: TableView, key: ColumnView, uid: str) -> str | None:
    """INSERT of the deletion service's own row in the audit log (docs/audit.md):
    op = the method name, row_key = the owner's key, after = the result's counts."""
    if not audit.has_log(schema):
        return None
    cols = ", ".join(query_ident(c) for c in ("table_name", "op", "row_key", "after"))
    table = sql.Literal(owner.name).as_string(None).replace("%", "%%")
    name = sql.Literal(key.name).as_string(None).replace("%", "%%")
    return (
        f"INSERT INTO {query_qualified(schema.name, audit.LOG_TABLE)} ({cols})"
        f" VALUES ({table}, %(op)s, jsonb_build_object({name}, {uid}), %(summary)s::jsonb)"
    )


def _enum_classes(views: dict[str, TableView]) -> dict[str, str]:
    out: dict[str, str] = {}
    for view in views.values():
        for c in view.columns:
            if c.enum_cls:
                out[c.column.type.name] = c.enum_cls
    return out


def build(
    schema: Schema,
    package: str,
    sources: Iterable[str] = (),
    services: dict[str, str] | None = None,
    pool: PoolView | None = None,
) -> PackageView:
    """The whole package's view model (deterministic: everything is sorted by name)."""
    schema = schema.normalized()
    if not package.isidentifier():
        raise GenerateError(
            f"package name {package!r} is not a Python identifier\n"
            "  fix: set [tool.pgwarden.generate] package or --package to e.g. basefly_db"
        )
    classes = _Names("generated classes")
    fixed_names = ("Database", "AsyncDatabase", "JsonValue", "DataAccessError", "Col")
    for fixed in (*fixed_names, "NotFound", "RestoreConflict", "OutstandingBilling"):
        classes.claim(fixed, "pgwarden")
    enum_views = []
    enums: dict[str, str] = {}
    for e in schema.enums:
        cls = classes.claim(naming.pascal(e.name), f"enum {e.name}")
        enums[e.name] = cls
        enum_views.append(_enum_view(e.name, e.values, e.comment, cls))
    views: dict[str, TableView] = {}
    attrs = _Names("table attributes")
    for t in schema.tables:
        view = _table_view(schema, t, enums, classes, services or {})
        attrs.claim(view.attr, t.name)
        attrs.claim(view.const, t.name)
        if view.service is not None:
            attrs.claim(view.service.attr, f"service of {t.name}")
        views[t.name] = view
    deletion = _deletion_view(schema, views, classes)
    if deletion is not None:
        attrs.claim(deletion.attr, "deletion service")
    files = sorted({"".join(ch if ch.isprintable() else "?" for ch in f) for f in sources})
    files = files or ["<spec>"]
    header = f"generated by pgwarden from {', '.join(files)} — do not edit"
    if len(header) > 96:
        header = f"generated by pgwarden from {len(files)} spec files — do not edit"
    tables = tuple(views[t.name] for t in schema.tables)
    return PackageView(
        package=package,
        header=header,
        schema=schema,
        enums=tuple(enum_views),
        tables=tables,
        deletion=deletion,
        services=tuple(t.service for t in tables if t.service is not None),
        pool=pool or PoolView(),
    )
