"""Semantic checks on a loaded schema: references, types and names.

The loader has already checked the shape of every value; here the whole model
is known, so cross-object rules can be checked (does the FK target exist, is it
unique, do names collide). Each problem points at the object's declaration
(``source``) and says how to fix it. Returns every problem, never raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal

from pgwarden.errors import Problem
from pgwarden.spec import audit, names
from pgwarden.spec.exprs import (
    ExprSyntaxError,
    QueryReads,
    column_refs,
    constant,
    query_reads,
)
from pgwarden.spec.extensions import (
    KNOWN_EXTENSIONS,
    provider_of_method,
    provider_of_opclass,
    provider_of_type,
)
from pgwarden.spec.model import (
    BUILTIN_TYPES,
    TYPE_MODIFIER_ARITY,
    Column,
    ColumnType,
    Enum,
    ExclusionConstraint,
    ForeignKey,
    Function,
    Index,
    Partition,
    Schema,
    Source,
    Table,
    View,
)
from pgwarden.spec.partitions import (
    Bound,
    empty_range,
    key_columns,
    key_is_columns,
    overlap,
    parse_bound,
)
from pgwarden.spec.types import (
    ALIASES,
    CATALOG_TYPES,
    INTEGER_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    TypeSyntaxError,
    parse_type,
)
from pgwarden.spec.values import (
    MovingValue,
    input_problem,
    number_problem,
)

MAINTAINABLE_TYPES = frozenset({"timestamp", "timestamptz", "date"})

#: Type names a user enum may not take: they would shadow or be confused with a
#: built-in (an unquoted ``text`` in SQL means pg_catalog.text, never the enum).
RESERVED_TYPE_NAMES = frozenset(
    {
        *ALIASES,
        *BUILTIN_TYPES,
        *CATALOG_TYPES,
        # pseudo-types and the serial shorthands, which no column of a spec has
        "record",
        "serial",
        "bigserial",
        "smallserial",
        "void",
        "trigger",
        "any",
    }
)

# Index access methods: which support unique, INCLUDE, ordering, several keys.
_BUILTIN_METHODS = frozenset({"btree", "hash", "gist", "gin", "brin", "spgist"})
_EXCLUSION_METHODS = frozenset({"btree", "hash", "gist", "spgist"})
_UNIQUE_METHODS = frozenset({"btree"})
_INCLUDE_METHODS = frozenset({"btree", "gist", "spgist"})
_MULTICOLUMN_METHODS = frozenset({"btree", "gist", "gin", "brin"})


_Need = Callable[[Iterable[str], Source | None, str, str], bool]
_Relation = Callable[[str, Source | None, str], None]


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, source: Source | None, message: str, hint: str | None = None, key: str = ""
    ) -> None:
        file = source.file if source else "<spec>"
        path = source.path if source else ""
        if key:
            path = f"{path}.{key}" if path else key
        line = source.line if source else None
        self.problems.append(Problem(file, path, message, hint, line))


def _position(source: Source | None) -> tuple[str, int]:
    return (source.file, source.line or 0) if source else ("", 0)


def _did_you_mean(value: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else None


SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})


def _long(report: _Report, source: Source | None, what: str, name: str) -> None:
    if not name:
        report.add(source, f"{what} name is empty", "give it a name")
    elif "\x00" in name:
        report.add(
            source,
            f"{what} name {name!r} contains a NUL character (\\x00)",
            "remove it: PostgreSQL names cannot contain NUL",
        )
    elif names.too_long(name):
        report.add(
            source,
            f"{what} name {name!r} is {len(name.encode())} bytes; Postgres cuts names at 63",
            "choose a name of at most 63 bytes",
        )


class _Providers:
    """What the schema's extensions (and its own objects) make available, and the
    error for a name nothing provides."""

    def __init__(self, schema: Schema) -> None:
        self.default = schema.name
        self.extensions = {e.name: e for e in schema.extensions}
        # an extension this module does not know may provide anything: the server decides
        self.open = any(e not in KNOWN_EXTENSIONS for e in self.extensions)
        self.types: set[str] = {
            *(e.name for e in schema.enums),
            *(d.name for d in schema.domains),
            *(c.name for c in schema.composite_types),
        }

    def _declared(self, provider: str, what: str, name: str, local: str) -> tuple[str, str] | None:
        ext = self.extensions.get(provider)
        if ext is None:
            return (
                f"{what} {name!r} comes from extension {provider!r}, which the spec does not "
                "declare",
                f"add {_toml_key(provider)} = {{}} under [extensions]",
            )
        namespace = names.namespace_of(name)
        if ext.schema != namespace:
            where = ext.schema or self.default
            written = f"{ext.schema}.{local}" if ext.schema else local
            return (
                f"{what} {name!r}: extension {provider!r} is in schema {where!r}",
                f"write {written!r}",
            )
        return None

    def type_problem(self, ctype: ColumnType) -> tuple[str, str] | None:
        if ctype.is_builtin or ctype.name in self.types:
            return None
        local = names.local_name(ctype.name)
        provider = provider_of_type(local)
        if provider is not None:
            return self._declared(provider, "type", ctype.name, local)
        if ctype.name in CATALOG_TYPES or self.open:
            return None
        hint = _did_you_mean(ctype.name, [*self.types, *BUILTIN_TYPES, *CATALOG_TYPES])
        return (
            f"unknown type {ctype.spec_text()!r}",
            hint
            or f"declare [enums.{ctype.name}], add the extension that defines it under "
            "[extensions], or use a built-in type (docs/spec.md)",
        )

    def method_problem(self, method: str) -> tuple[str, str] | None:
        if method in _BUILTIN_METHODS:
            return None
        provider = provider_of_method(method)
        if provider is not None:
            if provider in self.extensions:
                return None
            return (
                f"index method {method!r} comes from extension {provider!r}, which the spec "
                "does not declare",
                f"add {_toml_key(provider)} = {{}} under [extensions]",
            )
        if self.open:
            return None
        return (
            f"unknown index method {method!r}",
            _did_you_mean(method, _BUILTIN_METHODS)
            or "use btree, hash, gist, gin, brin or spgist, or declare the extension "
            "that provides it",
        )

    def opclass_problem(self, method: str, opclass: str) -> tuple[str, str] | None:
        local = names.local_name(opclass)
        provider = provider_of_opclass(method, local)
        if provider is None:
            return None
        return self._declared(provider, "operator class", opclass, local)


def _toml_key(name: str) -> str:
    return name if all(c.isalnum() or c in "_-" for c in name) else f'"{name}"'


def validate_schema(schema: Schema) -> list[Problem]:
    """Every semantic problem in ``schema`` (empty when it is valid)."""
    report = _Report()
    enums = {e.name: e for e in schema.enums}
    tables = {t.name: t for t in schema.tables}
    providers = _Providers(schema)

    for enum in schema.enums:
        _long(report, enum.source, "enum", enum.name)
        if enum.name.lower() in RESERVED_TYPE_NAMES:
            report.add(
                enum.source,
                f"enum name {enum.name!r} is the name of a built-in type",
                f"rename it, e.g. {enum.name.capitalize()}Kind",
            )
        for value in enum.values:
            if len(value.encode()) > 63:
                report.add(enum.source, f"enum value {value!r} is over 63 bytes", "shorten it")

    _type_names(report, schema)
    _user_types(report, schema, providers)
    _namespaces(report, schema)
    # relation names are unique per namespace: key them by the qualified name
    relations: list[tuple[str, str, Source | None, str]] = []

    def in_namespace(namespace: str | None) -> _Relation:
        def relation(name: str, source: Source | None, what: str) -> None:
            key = f"{namespace}.{name}" if namespace else name
            relations.append((key, name, source, what))

        return relation

    for table in schema.tables:
        relations.append((table.name, table.name, table.source, "table"))
    for seq in schema.sequences:
        relations.append((seq.name, seq.name, seq.source, "sequence"))
    for composite in schema.composite_types:  # it has a pg_class row, like a table
        relations.append((composite.name, composite.name, composite.source, "composite type"))
    for view in schema.views:
        relations.append((view.name, view.name, view.source, view.kind))
        relation = in_namespace(names.namespace_of(view.name))
        for index in view.indexes:
            _long(report, index.source, "index", index.name)
            relation(index.name, index.source, "index")
    _views(report, schema, providers)
    _functions(report, schema)
    _sequences(report, schema)
    for table in schema.tables:
        relation = in_namespace(names.namespace_of(table.name))
        _table(report, table, tables, enums, relation, providers)
        _triggers(report, schema, table, providers)
    # report a clash at the later declaration, pointing back at the first
    seen: dict[str, Source | None] = {}
    seen_what: dict[str, str] = {}
    for key, name, source, what in sorted(relations, key=lambda r: _position(r[2])):
        if (
            key in seen
            and what in _ROW_TYPED
            and seen_what[key] in _ROW_TYPED
            and "composite type" in (what, seen_what[key])
        ):
            continue  # _type_names reports it, as the type clash it also is
        if key in seen:
            first = seen[key]
            where = f" (first at {first})" if first else ""
            report.add(
                source,
                f"{what} name {name!r} is already used by another table or index{where}",
                "table, index, primary-key and unique names share one namespace per schema; "
                "set a different name",
            )
        else:
            seen[key] = source
            seen_what[key] = what
    _audit(report, schema)
    from pgwarden.spec.citus import citus_problems
    from pgwarden.spec.static_checks import static_problems

    return report.problems + static_problems(schema) + citus_problems(schema)


def _user_types(report: _Report, schema: Schema, providers: _Providers) -> None:
    """Domains and composite types: names in the type namespace, base and attribute
    types that exist, checks over VALUE only, no type built from itself."""
    uses: dict[str, set[str]] = {}
    kinds: list[tuple[str, Source | None, str, list[tuple[ColumnType, str]]]] = [
        (d.name, d.source, "domain", [(d.type, "type")]) for d in schema.domains
    ]
    kinds += [
        (
            c.name,
            c.source,
            "composite type",
            [(a.type, f"attributes.{a.name}") for a in c.attributes],
        )
        for c in schema.composite_types
    ]
    for name, source, what, types in kinds:
        _long(report, source, what, name)
        if names.local_name(name).lower() in RESERVED_TYPE_NAMES:
            report.add(source, f"{what} name {name!r} is the name of a built-in type", "rename it")
        for ctype, key in types:
            unknown = providers.type_problem(ctype)
            if unknown is not None:
                report.add(source, *unknown, key)
            uses.setdefault(name, set()).add(ctype.name)
    for d in schema.domains:
        for check in d.checks:
            other = [c for c in column_refs(check.expression) if c.lower() != "value"]
            if other:
                report.add(
                    check.source or d.source,
                    f"domain check {check.name!r} reads {other[0]!r}; a domain check can "
                    "only read VALUE",
                    'write the check over VALUE, e.g. expression = "VALUE > 0"',
                    "" if check.source else "checks",
                )
    for name, source, what, _ in kinds:
        if _reaches(uses, name, name):
            report.add(
                source,
                f"{what} {name!r} is built from itself",
                "break the cycle: a type cannot contain itself",
            )


# relations Postgres gives a row type of their own name (indexes have none)
_ROW_TYPED = frozenset(
    {"table", "partition", "view", "materialized view", "sequence", "composite type"}
)


_PLAIN_TYPES = frozenset({"enum", "domain", "composite type"})


def _type_names(report: _Report, schema: Schema) -> None:
    """One type namespace per schema: enums, domains and composite types, and the
    row type Postgres creates for every table, partition, view and materialized view.
    A sequence has no row type, yet ``CREATE SEQUENCE s`` fails once a type ``s``
    exists, and pgwarden creates types first. Two relations are the relation
    namespace's clash, not this one's."""
    entries: list[tuple[str, Source | None, str]] = [
        (e.name, e.source, "enum") for e in schema.enums
    ]
    entries += [(d.name, d.source, "domain") for d in schema.domains]
    entries += [(c.name, c.source, "composite type") for c in schema.composite_types]
    entries += [(t.name, t.source, "table") for t in schema.tables]
    for t in schema.tables:
        namespace = names.namespace_of(t.name)
        entries += [
            (f"{namespace}.{p.name}" if namespace else p.name, p.source, "partition")
            for p in t.partitions
        ]
    entries += [(v.name, v.source, v.kind) for v in schema.views]
    entries += [(q.name, q.source, "sequence") for q in schema.sequences]
    first: dict[str, tuple[Source | None, str]] = {}
    for name, source, what in sorted(entries, key=lambda e: _position(e[1])):
        if name not in first:
            first[name] = (source, what)
            continue
        where, other = first[name]
        if what in _ROW_TYPED and other in _ROW_TYPED and "composite type" not in (what, other):
            continue  # two relations: the relation namespace reports it
        if other in ("domain", "composite type") and what in _PLAIN_TYPES:
            clash = "another type"
        else:
            clash = f"{'an' if other == 'enum' else 'a'} {other}"
        at = f" (first at {where})" if where else ""
        why = (
            "enums, domains and composite types share one type namespace per schema"
            if what in _PLAIN_TYPES and other in _PLAIN_TYPES
            else "Postgres checks every table, view, materialized view, sequence and "
            "composite type name against the types of its schema (a relation gets a row "
            "type of its name)"
        )
        report.add(
            source,
            f"{what} {name!r} has the name of {clash}{at}: {why}",
            f"rename the {what} or the {other}",
        )


def _partitions(report: _Report, table: Table, need: _Need, relation: _Relation) -> None:
    """The key reads columns the table has; every bound fits the strategy; no two
    partitions overlap (Postgres would refuse the second), at most one DEFAULT."""
    strategy = table.partition_strategy
    if table.partition_by is not None:
        need(key_columns(table.partition_by), table.source, "partition_by", "partition_by")
    if table.partitions and strategy is None:
        report.add(
            table.partitions[0].source or table.source,
            f"table {table.name!r} has partitions but no partition_by",
            'add partition_by = "RANGE (column)" (or LIST / HASH) to the table',
        )
        return
    width = len(key_columns(table.partition_by)) if table.partition_by else 0
    numeric: tuple[bool, ...] = ()
    if table.partition_by is not None and key_is_columns(table.partition_by):
        key_types = [table.column(c) for c in key_columns(table.partition_by)]
        numeric = tuple(
            c is not None and c.type.name in NUMBER_TYPES and not c.type.array for c in key_types
        )
    read: list[tuple[Partition, Bound]] = []
    for p in table.partitions:
        relation(p.name, p.source, "partition")
        _long(report, p.source, "partition", p.name)
        bound = parse_bound(p.bound, numeric)
        if bound is None:
            continue
        if bound.kind not in (strategy, "default") or (strategy == "hash" and bound.is_default):
            report.add(
                p.source,
                f"partition {p.name!r} has a {bound.kind} bound, but {table.name!r} is "
                f"partitioned by {(strategy or '').upper()}",
                {
                    "range": "use from/to",
                    "list": "use in = [...]",
                    "hash": "use modulus/remainder",
                }.get(strategy or "", "fix the bound"),
            )
            continue
        if bound.kind == "range" and width and width != len(bound.lower):
            report.add(
                p.source,
                f"partition {p.name!r} gives {len(bound.lower)} value(s) per end for a key of "
                f"{width} column(s)",
                "give one value per key column: from = [a, b], to = [c, d]",
            )
            continue
        if empty_range(bound):
            report.add(p.source, f"partition {p.name!r}: from is not below to", "swap or fix them")
            continue
        for other, seen in read:
            if overlap(seen, bound):
                what = "a second DEFAULT partition" if bound.is_default else "overlaps"
                report.add(
                    p.source,
                    f"partition {p.name!r} {what} {other.name!r}"
                    + ("" if bound.is_default else f" ({p.bound} and {other.bound})"),
                    "make the bounds disjoint: a range includes from and excludes to"
                    if bound.kind == "range"
                    else "keep one of them, or give each its own values",
                )
                break
        read.append((p, bound))


def _reaches(uses: Mapping[str, set[str]], start: str, goal: str) -> bool:
    stack, visited = list(uses.get(start, ())), set()
    while stack:
        name = stack.pop()
        if name == goal:
            return True
        if name not in visited:
            visited.add(name)
            stack.extend(uses.get(name, ()))
    return False


def _namespaces(report: _Report, schema: Schema) -> None:
    """Every qualified name lives in a declared namespace; the default one is bare."""
    declared = {n.name for n in schema.schemas}
    objects: list[tuple[str, Source | None, str]] = [
        *((t.name, t.source, "table") for t in schema.tables),
        *((e.name, e.source, "enum") for e in schema.enums),
        *((d.name, d.source, "domain") for d in schema.domains),
        *((c.name, c.source, "composite type") for c in schema.composite_types),
        *((v.name, v.source, v.kind) for v in schema.views),
        *((f.name, f.source, f.kind) for f in schema.functions),
        *((q.name, q.source, "sequence") for q in schema.sequences),
    ]
    for name, source, what in objects:
        namespace = names.namespace_of(name)
        if namespace is None or namespace in declared:
            continue
        local = names.local_name(name)
        if namespace == schema.name:
            report.add(
                source,
                f"{what} {name!r}: {namespace!r} is the default schema, where names are bare",
                f"name it {local!r}",
            )
        else:
            report.add(
                source,
                f"{what} {name!r} is in schema {namespace!r}, which the spec does not declare "
                "(a dot in a name separates schema and name)",
                f"add [schemas.{namespace}] to govern it, or choose a name without a dot",
            )


def _views(report: _Report, schema: Schema, providers: _Providers) -> None:
    """A view reads relations and columns that exist; a concurrent refresh has its
    unique index. (The server has the last word when the spec is created.)"""
    columns_of: dict[str, set[str]] = {t.name: set(t.column_names) for t in schema.tables}
    governed = {None, *(n.name for n in schema.schemas)}
    for view in schema.views:
        _long(report, view.source, view.kind, view.name)
        if view.columns is not None:
            columns_of[view.name] = {c.name for c in view.columns}
            for vc in view.columns:
                unknown = providers.type_problem(vc.type)
                if unknown is not None:
                    report.add(view.source, *unknown, f"columns.{vc.name}")
    views = {v.name: v for v in schema.views}
    for view in schema.views:
        try:
            reads = query_reads(view.definition)
        except ExprSyntaxError:
            continue  # the loader reported it
        known = True
        for rel in sorted(reads.relations):
            if rel in columns_of or rel in views:
                if rel not in columns_of:
                    known = False  # a view without declared columns: the server checks
                continue
            known = False
            if names.namespace_of(rel) in governed:
                choices = [*columns_of, *views]
                report.add(
                    view.source,
                    f"{view.kind} {view.name!r} reads {rel!r}, which is not a table or view "
                    "of the spec",
                    _did_you_mean(rel, choices) or "declare it, or fix the name in definition",
                    "definition",
                )
        if known:
            available = set().union(*(columns_of[r] for r in reads.relations))
            for col in sorted(reads.columns - available - reads.aliases):
                report.add(
                    view.source,
                    f"{view.kind} {view.name!r} selects column {col!r}, which none of "
                    f"{', '.join(sorted(reads.relations)) or 'its relations'} has",
                    _did_you_mean(col, available) or "fix the column name in definition",
                    "definition",
                )
        unpopulated = _unpopulated_reads(view, reads, views)
        if unpopulated is not None:
            report.add(
                view.source,
                f"materialized view {view.name!r} is created with its data, but it reads "
                f"{unpopulated!r}, which is created WITH NO DATA (Postgres refuses to scan "
                "a materialized view that has not been populated)",
                f"set with_data = false on {view.name!r} too, or drop with_data = false "
                f"from {unpopulated!r}",
                "with_data",
            )
        if view.refresh == "concurrently" and not any(
            i.unique and i.where is None and all(e.column is not None for e in i.elements)
            for i in view.indexes
        ):
            report.add(
                view.source,
                f'refresh = "concurrently" on {view.name!r} needs a unique index on '
                "columns of the view, without where (REFRESH MATERIALIZED VIEW CONCURRENTLY "
                "refuses otherwise)",
                "add [[materialized_views." + view.name + ".indexes]] with unique = true, "
                "or remove refresh",
                "refresh",
            )
        if view.materialized:
            own = columns_of.get(view.name)
            for index in view.indexes:
                if own is not None:
                    cols = [e.column for e in index.elements if e.column]
                    for col in cols:
                        if col not in own:
                            report.add(
                                index.source,
                                f"index names column {col!r}, which {view.name!r} does not have",
                                _did_you_mean(col, own) or "fix the column name",
                            )


def _unpopulated_reads(view: View, reads: QueryReads, views: Mapping[str, View]) -> str | None:
    """The materialized view created WITH NO DATA that populating ``view`` would scan
    (directly or through plain views), or None."""
    if not (view.materialized and view.with_data):
        return None
    todo, seen = sorted(reads.relations), set()
    while todo:
        name = todo.pop(0)
        other = views.get(name)
        if other is None or name in seen:
            continue
        seen.add(name)
        if other.materialized:
            if not other.with_data:
                return name
            continue  # populated: what it read was scanned when it was made
        try:
            todo += sorted(query_reads(other.definition).relations)
        except ExprSyntaxError:
            continue
    return None


#: pg_catalog's own trigger functions a user trigger may call.
BUILTIN_TRIGGER_FUNCTIONS = frozenset(
    {
        "suppress_redundant_updates_trigger",
        "tsvector_update_trigger",
        "tsvector_update_trigger_column",
    }
)


def _triggers(report: _Report, schema: Schema, table: Table, providers: _Providers) -> None:
    """A trigger calls a trigger function of the spec (or a built-in one), names
    columns of its table, and keeps to what Postgres allows."""
    functions = {f.name: f for f in schema.functions}
    seen: set[str] = set()
    for g in table.triggers:
        _long(report, g.source, "trigger", g.name)
        if g.name in seen:
            report.add(
                g.source, f"trigger {g.name!r} is defined twice on {table.name!r}", "rename one"
            )
        seen.add(g.name)
        f = functions.get(g.function)
        if f is None and g.function not in BUILTIN_TRIGGER_FUNCTIONS and not providers.open:
            choices = [n for n, fn in functions.items() if fn.returns == "trigger"]
            report.add(
                g.source,
                f"trigger {g.name!r} on {table.name!r} calls function {g.function!r}, which the "
                "spec does not define",
                _did_you_mean(g.function, choices)
                or f'add [functions.{_toml_key(g.function)}] with returns = "trigger", '
                "or fix the name",
                "function",
            )
        elif f is not None and (f.kind != "function" or (f.returns or "").lower() != "trigger"):
            report.add(
                g.source,
                f"trigger {g.name!r} calls {g.function!r}, which does not return trigger",
                f'give [functions.{_toml_key(g.function)}] returns = "trigger"',
                "function",
            )
        elif f is not None and f.arguments:
            report.add(
                g.source,
                f"trigger {g.name!r} calls {g.function!r}, which declares arguments (a trigger "
                "function takes none)",
                f"remove arguments from [functions.{_toml_key(g.function)}]; pass values with "
                "the trigger's arguments = [...] (TG_ARGV)",
                "function",
            )
        for col in g.columns:
            if table.column(col) is None:
                report.add(
                    g.source,
                    f"trigger {g.name!r} names column {col!r}, which {table.name!r} does not have",
                    _did_you_mean(col, table.column_names) or "fix the column name",
                    "columns",
                )
        if g.timing == "instead of":
            report.add(
                g.source,
                "INSTEAD OF triggers are for views, not tables",
                'use timing = "before" or "after"',
                "timing",
            )
        if (g.old_table or g.new_table) and (g.timing != "after" or g.columns):
            report.add(
                g.source,
                "transition tables (referencing) need an AFTER trigger without columns",
                'use timing = "after" and remove columns, or remove referencing',
                "referencing",
            )
        if (g.old_table or g.new_table) and g.for_each == "row" and table.partition_by:
            report.add(
                g.source,
                f"a row trigger with transition tables on partitioned table {table.name!r}: "
                "Postgres supports transition tables on a partitioned table only for "
                "statement triggers",
                'use for_each = "statement", or remove referencing',
                "referencing",
            )
        if g.old_table and not {"update", "delete"} & set(g.events):
            report.add(
                g.source,
                "an old_table needs an update or delete event",
                "remove old_table or add the event",
                "referencing",
            )
        if g.new_table and not {"insert", "update"} & set(g.events):
            report.add(
                g.source,
                "a new_table needs an insert or update event",
                "remove new_table or add the event",
                "referencing",
            )
        if (
            g.when is not None
            and g.for_each == "statement"
            and ("old." in g.when.lower() or "new." in g.when.lower())
        ):
            report.add(
                g.source,
                "a statement trigger's WHEN cannot read OLD or NEW",
                'use for_each = "row"',
                "when",
            )


def _sequences(report: _Report, schema: Schema) -> None:
    """OWNED BY names a column of the spec, in the sequence's own namespace."""
    for q in schema.sequences:
        _long(report, q.source, "sequence", q.name)
        if q.owned_by is None:
            continue
        table_name, _, column = q.owned_by.rpartition(".")
        table = schema.table(table_name)
        if table is None:
            report.add(
                q.source,
                f"sequence {q.name!r} is owned by {q.owned_by!r}, but the spec has no table "
                f"{table_name!r}",
                _did_you_mean(table_name, [t.name for t in schema.tables]) or "fix owned_by",
                "owned_by",
            )
        elif table.column(column) is None:
            report.add(
                q.source,
                f"sequence {q.name!r} is owned by {q.owned_by!r}, but {table_name!r} has no "
                f"column {column!r}",
                _did_you_mean(column, table.column_names) or "fix owned_by",
                "owned_by",
            )
        elif names.namespace_of(table_name) != names.namespace_of(q.name):
            report.add(
                q.source,
                f"sequence {q.name!r} and its owner {table_name!r} are in different schemas "
                "(Postgres wants OWNED BY in the sequence's schema)",
                "move the sequence into the table's schema, or remove owned_by",
                "owned_by",
            )


def _functions(report: _Report, schema: Schema) -> None:
    """Names fit and are not taken twice (a function and a procedure share pg_proc),
    nor by pgwarden's own trigger functions."""
    seen: dict[str, Function] = {}
    for f in sorted(schema.functions, key=lambda f: _position(f.source)):
        _long(report, f.source, f.kind, f.name)
        first = seen.get(f.name)
        if first is not None:
            report.add(
                f.source,
                f"{f.kind} {f.name!r} has the name of {first.kind} {f.name!r} "
                f"(first at {first.source})",
                "rename one of them: functions and procedures share one name space",
            )
        seen.setdefault(f.name, f)
        if f.name in audit.RESERVED_NAMES:
            report.add(f.source, f"{f.kind} name {f.name!r} is pgwarden's own", "rename it")


def _audit(report: _Report, schema: Schema) -> None:
    """``audit = true``: the log's names are taken, and the log identifies rows by key."""
    if not audit.has_log(schema):
        return
    for table in schema.tables:
        taken = {table.name, *(i.name for i in table.indexes), *table.constraint_names()}
        clash = sorted(taken & audit.RESERVED_RELATIONS)
        if clash:
            report.add(
                table.source,
                f"{', '.join(map(repr, clash))}: taken by pgwarden's audit log, which this "
                "schema gets because a table has audit = true",
                "rename it (see docs/audit.md)",
            )
        if table.audit and table.primary_key is None:
            report.add(
                table.source,
                f"table {table.name!r} has audit = true but no primary key: "
                "the audit log identifies each changed row by its key",
                "declare a primary key (or remove audit = true)",
                key="audit",
            )
        if table.audit and names.namespace_of(table.name) is not None:
            report.add(
                table.source,
                f"table {table.name!r} has audit = true, but the audit log and its "
                "trigger function live in the default namespace only",
                "remove audit = true, or move the table into the default namespace",
                key="audit",
            )


def _table(
    report: _Report,
    table: Table,
    tables: dict[str, Table],
    enums: Mapping[str, Enum],
    relation: _Relation,
    providers: _Providers,
) -> None:
    _long(report, table.source, "table", table.name)
    columns = {c.name: c for c in table.columns}
    if not table.columns:
        report.add(table.source, "has no columns", "add at least one column")

    def need(cols: Iterable[str], source: Source | None, what: str, key: str = "") -> bool:
        ok = True
        for col in cols:
            if col not in columns:
                ok = False
                report.add(
                    source,
                    f"{what} names column {col!r}, which table {table.name!r} does not have",
                    _did_you_mean(col, columns) or f"add column {col!r} or fix the name",
                    key,
                )
        return ok

    def no_dupes(cols: tuple[str, ...], source: Source | None, what: str) -> None:
        if len(set(cols)) != len(cols):
            report.add(source, f"{what} lists a column twice: {', '.join(cols)}", "list it once")

    for column in table.columns:
        _column(report, table, column, enums, providers)
    _partitions(report, table, need, relation)

    constraint_names: dict[str, Source | None] = {}

    def constraint(name: str, source: Source | None) -> None:
        _long(report, source, "constraint", name)
        if name in constraint_names:
            first = constraint_names[name]
            report.add(
                source,
                f"constraint name {name!r} is used twice in table {table.name!r}"
                + (f" (also at {first})" if first else ""),
                'set name = "..." on one of them',
            )
        constraint_names[name] = source

    if table.primary_key:
        pk = table.primary_key
        constraint(pk.name, pk.source)
        relation(pk.name, pk.source, "primary key")
        no_dupes(pk.columns, pk.source, "primary key")
        if need(pk.columns, pk.source, "primary key", ""):
            for col in pk.columns:
                if columns[col].nullable:
                    report.add(
                        columns[col].source,
                        f"column {col!r} is in the primary key but nullable",
                        "remove nullable = true (primary key columns are NOT NULL)",
                    )
    # CREATE TABLE silently merges index constraints with identical definitions
    # (a UNIQUE repeating the primary key or another UNIQUE): the spec would
    # declare a constraint the database never has
    index_keys: dict[tuple[object, ...], str] = {}
    if table.primary_key:
        index_keys[(table.primary_key.columns, False, False, False)] = "the primary key"
    for unique in sorted(table.uniques, key=lambda u: _position(u.source)):
        key = (
            unique.columns,
            unique.nulls_not_distinct,
            unique.deferrable,
            unique.initially_deferred,
        )
        if key in index_keys:
            report.add(
                unique.source,
                f"unique constraint {unique.name!r} repeats {index_keys[key]} "
                f"({', '.join(unique.columns)}); Postgres would keep only one",
                "remove it",
            )
        index_keys.setdefault(key, f"unique constraint {unique.name!r}")
    for unique in table.uniques:
        constraint(unique.name, unique.source)
        relation(unique.name, unique.source, "unique constraint")
        no_dupes(unique.columns, unique.source, "unique constraint")
        need(unique.columns, unique.source, "unique constraint", "")
        if unique.initially_deferred and not unique.deferrable:
            report.add(
                unique.source, "initially_deferred needs deferrable", "add deferrable = true"
            )
    for check in table.checks:
        constraint(check.name, check.source)
        need(column_refs(check.expression), check.source, "check expression", "expression")
    generated = {c.name for c in table.columns if c.generated is not None}
    for column in table.columns:
        if column.generated is None:
            continue
        refs = column_refs(column.generated)
        need(refs, column.source, "generated expression", "generated")
        for ref in refs:
            if ref in generated:
                report.add(
                    column.source,
                    f"generated column {column.name!r} uses generated column {ref!r}",
                    "compute it from plain columns",
                    "generated",
                )
    if table.billing is not None and table.billing.active_when:
        need(column_refs(table.billing.active_when), table.source, "billing.active_when", "billing")
    for fk in table.foreign_keys:
        constraint(fk.name, fk.source)
        _foreign_key(report, table, fk, tables, need)
    for index in table.indexes:
        _long(report, index.source, "index", index.name)
        relation(index.name, index.source, "index")
        _index(report, table, index, need, providers)
    for exclusion in table.exclusions:
        constraint(exclusion.name, exclusion.source)
        relation(exclusion.name, exclusion.source, "exclusion constraint")
        _exclusion(report, exclusion, need, providers)
    policy_names: set[str] = set()
    for policy in table.policies:
        _long(report, policy.source, "policy", policy.name)
        if policy.name in policy_names:
            report.add(policy.source, f"policy name {policy.name!r} is used twice", "rename one")
        policy_names.add(policy.name)
        if policy.command == "insert" and policy.using:
            report.add(
                policy.source, "an insert policy takes with_check, not using", "rename the key"
            )
        if policy.command in {"select", "delete"} and policy.with_check:
            report.add(
                policy.source,
                f"a {policy.command} policy takes using, not with_check",
                "rename the key",
            )

    if table.soft_delete and need([table.soft_delete], table.source, "soft_delete", "soft_delete"):
        sd_col = columns[table.soft_delete]
        if not sd_col.nullable:
            report.add(
                sd_col.source,
                f"soft_delete column {sd_col.name!r} must be nullable (NULL marks an active row)",
                "add nullable = true",
            )
    if table.owner:
        need([table.owner], table.source, "owner", "owner")
    if table.tombstone is not None and need(
        [table.tombstone], table.source, "tombstone", "tombstone"
    ):
        # meant for the owner table (its delete_user sets it); an introspected schema
        # has the guards' flag without the owner_table intent, so it is not required
        flag = columns[table.tombstone]
        if not flag.nullable or flag.type.name not in MAINTAINABLE_TYPES or flag.type.array:
            report.add(
                flag.source,
                f"tombstone column {flag.name!r} must be a nullable timestamp, timestamptz or "
                "date (NULL: the owner is active; delete_user sets it)",
                'declare it e.g. { type = "timestamptz", nullable = true }',
            )
    if table.tombstone_guards_restore and table.tombstone is None:
        report.add(
            table.source,
            f"table {table.name!r}: tombstone_guards_restore needs tombstone (the guards "
            "it extends)",
            'add tombstone = "<the owner\'s deletion timestamp column>", or remove it',
        )


def _column(
    report: _Report,
    table: Table,
    column: Column,
    enums: Mapping[str, Enum],
    providers: _Providers,
) -> None:
    src = column.source
    _long(report, src, "column", column.name)
    if column.name in SYSTEM_COLUMNS:
        report.add(
            src,
            f"column name {column.name!r} is a Postgres system column",
            "rename the column",
        )
    ctype = column.type
    unknown = providers.type_problem(ctype)
    if unknown is not None:
        report.add(src, *unknown, "type")
    _modifiers(report, src, ctype)
    if column.identity:
        if ctype.name not in INTEGER_TYPES or ctype.array:
            report.add(
                src,
                f"identity on a {ctype.spec_text()} column; identity needs smallint, integer "
                "or bigint",
                "change the type to integer/bigint or use default_sql (e.g. gen_random_uuid())",
                "identity",
            )
        if column.default is not None:
            report.add(
                src,
                "a column cannot have both identity and a default",
                "remove default/default_sql (the identity supplies the value)",
            )
        if column.generated is not None:
            report.add(src, "a column cannot be both identity and generated", "keep one")
        if column.nullable:
            report.add(
                src,
                "an identity column is always NOT NULL",
                "remove nullable = true",
                "nullable",
            )
    if column.generated is not None and column.default is not None:
        report.add(
            src,
            "a generated column cannot have a default",
            "remove default/default_sql",
        )
    if column.maintained and (ctype.name not in MAINTAINABLE_TYPES or ctype.array):
        report.add(
            src,
            f'maintained = "on_update" sets now(); a {ctype.spec_text()} column cannot hold it',
            "use timestamp(3), timestamptz or date",
            "maintained",
        )
    if column.maintained and column.generated is not None:
        report.add(src, "a generated column cannot be maintained by a trigger", "keep one")
    if column.default is not None and column.identity is None and column.generated is None:
        _literal_default(report, column, enums)


def _literal_default(report: _Report, column: Column, enums: Mapping[str, Enum]) -> None:
    """A constant default (``default``, or ``default_sql`` that is one literal) must be
    a value of the column's type: Postgres reads a quoted literal when the table is
    created, but casts a number only at every insert -- ``99999`` on a smallint
    creates fine, then every insert that uses the default fails."""
    found = constant(column.default or "")
    if found is None:
        return
    kind, value, cast = found
    t = column.type
    if cast is not None:
        try:
            cast_type = parse_type(cast)
        except TypeSyntaxError:
            return
        if (cast_type.name, cast_type.array) != (t.name, t.array):
            return  # a value of another type, then cast: the server judges it
        if t.name in ("varchar", "char"):
            # an explicit cast cuts to length (and a bare ::bpchar has none)
            t = replace(t, name="text", modifiers=())
    enum = enums.get(t.name) if not t.is_builtin else None
    enum_values = enum.values if enum is not None and enum.values else None
    hint = f"give a value of type {t.spec_text()}, or default_sql for an expression"
    problem: str | None = None
    if kind == "string":
        assert isinstance(value, str)
        try:
            problem = input_problem(value, t, enum_values)
        except MovingValue:
            call = "CURRENT_DATE" if t.name == "date" else "now()"
            report.add(
                column.source,
                f"default {value!r} is read once, when the table is created: every row "
                "would get that same moment",
                f'use default_sql = "{call}" to get the time of each insert',
                "default",
            )
            return
        if enum_values is not None and problem is not None:
            hint = _did_you_mean(value, enum_values) or "use one of the enum's values"
        if problem is not None:
            problem = f"default {problem}"
    elif kind == "number":
        assert isinstance(value, str)
        if t.array or (t.name not in NUMBER_TYPES and t.name not in TEXT_TYPES):
            problem = f"a number default on a column of type {t.spec_text()}"
        elif t.name in NUMBER_TYPES:
            found_problem = number_problem(Decimal(value), t, value)
            if found_problem is not None:
                problem = f"default {found_problem}: every insert using the default would fail"
                hint = "give a value in range, or widen the column type"
    elif kind == "boolean" and (t.array or t.name not in ("boolean", *TEXT_TYPES)):
        problem = f"a boolean default on a column of type {t.spec_text()}"
    if problem is not None:
        report.add(column.source, problem, hint, "default")


def _modifiers(report: _Report, src: Source | None, ctype: ColumnType) -> None:
    if not ctype.modifiers or ctype.name not in TYPE_MODIFIER_ARITY:
        return
    mods = ctype.modifiers
    bad: str | None = None
    if ctype.name in {"varchar", "char"} and not 1 <= mods[0] <= 10485760:
        bad = "length must be between 1 and 10485760"
    elif ctype.name == "numeric":
        if not 1 <= mods[0] <= 1000:
            bad = "precision must be between 1 and 1000"
        elif len(mods) == 2 and mods[1] > mods[0]:
            bad = "scale must not exceed precision"
    elif ctype.name in {"time", "timetz", "timestamp", "timestamptz", "interval"} and mods[0] > 6:
        bad = "precision must be between 0 and 6"
    if bad:
        report.add(src, f"type {ctype.spec_text()}: {bad}", "fix the modifier", "type")


def _foreign_key(
    report: _Report,
    table: Table,
    fk: ForeignKey,
    tables: dict[str, Table],
    need: _Need,
) -> None:
    src = fk.source
    own_ok = need(fk.columns, src, "foreign key", "")
    if fk.initially_deferred and not fk.deferrable:
        report.add(src, "initially_deferred needs deferrable", "add deferrable = true")
    target = tables.get(fk.ref_table)
    if target is None:
        report.add(
            src,
            f"foreign key references table {fk.ref_table!r}, which is not in the spec",
            _did_you_mean(fk.ref_table, tables) or "declare the table or fix the name",
        )
        return
    if len(fk.ref_columns) != len(fk.columns):
        report.add(
            src,
            f"foreign key has {len(fk.columns)} column(s) but references "
            f"{len(fk.ref_columns)} in {fk.ref_table!r}",
            "list as many referenced columns as referencing ones",
        )
        return
    target_cols = {c.name: c for c in target.columns}
    missing = [c for c in fk.ref_columns if c not in target_cols]
    for col in missing:
        report.add(
            src,
            f"foreign key references column {col!r}, which table {fk.ref_table!r} does not have",
            _did_you_mean(col, target_cols) or "fix the referenced column name",
        )
    if missing or not own_ok:
        return
    own = {c.name: c for c in table.columns}
    for mine, theirs in zip(fk.columns, fk.ref_columns, strict=True):
        a, b = own[mine].type, target_cols[theirs].type
        if (_fk_family(a.name), a.array) != (_fk_family(b.name), b.array):
            report.add(
                src,
                f"type mismatch: {table.name}.{mine} is {a.spec_text()} but "
                f"{fk.ref_table}.{theirs} is {b.spec_text()}",
                f"make {mine!r} type {b.spec_text()!r}",
            )
    if not _is_unique_target(target, set(fk.ref_columns)):
        hint = "reference the primary key, or add a unique rule on these columns"
        if target.soft_delete:
            hint += (
                f" (on soft-deleted {target.name!r} unique rules are partial; "
                "set all_rows = true on the rule)"
            )
        report.add(
            src,
            f"foreign key target {fk.ref_table}({', '.join(fk.ref_columns)}) is not a primary "
            "key or unique constraint",
            hint,
        )
    for action, key in ((fk.on_delete, "on_delete"), (fk.on_update, "on_update")):
        if action == "set null":
            for col in fk.columns:
                if not own[col].nullable:
                    report.add(
                        src,
                        f'{key} = "set null" but column {col!r} is NOT NULL',
                        "make the column nullable or choose another action",
                    )


def _fk_family(name: str) -> str:
    # text and varchar are binary-compatible (Prisma's @db.VarChar against a
    # String key); every other difference is a mismatch, integer widths included
    return "text" if name in {"text", "varchar"} else name


def _is_unique_target(table: Table, cols: set[str]) -> bool:
    if table.primary_key and set(table.primary_key.columns) == cols:
        return True
    if any(set(u.columns) == cols for u in table.uniques):
        return True
    return any(
        i.unique
        and i.where is None
        and all(e.column is not None for e in i.elements)
        and {e.column for e in i.elements} == cols
        for i in table.indexes
    )


def _index(report: _Report, table: Table, index: Index, need: _Need, providers: _Providers) -> None:
    src = index.source
    unknown = providers.method_problem(index.method)
    if unknown is not None:
        report.add(src, *unknown, "method")
    for e in index.elements:
        bad_class = providers.opclass_problem(index.method, e.opclass) if e.opclass else None
        if bad_class is not None:
            report.add(src, *bad_class)
    need([e.column for e in index.elements if e.column], src, "index", "")
    need(index.include, src, "index include", "")
    for text in [index.where, *(e.expression for e in index.elements)]:
        if text:
            need(column_refs(text), src, "index expression", "")
    if index.unique and index.method not in _UNIQUE_METHODS:
        report.add(
            src,
            f"a {index.method} index cannot be unique",
            'use method = "btree" for a unique index',
        )
    if index.include and index.method not in _INCLUDE_METHODS:
        report.add(src, f"a {index.method} index takes no include", "use btree or gist")
    if len(index.elements) > 1 and index.method not in _MULTICOLUMN_METHODS:
        report.add(
            src,
            f"a {index.method} index takes one key only",
            "use btree, or one index per column",
        )
    if index.method != "btree" and any(
        e.descending or e.nulls_first is not None for e in index.elements
    ):
        report.add(src, f"a {index.method} index has no ordering", "remove order/nulls")
    if index.nulls_not_distinct and not index.unique:
        report.add(src, "nulls_not_distinct needs unique = true", "add unique = true")


def _exclusion(report: _Report, x: ExclusionConstraint, need: _Need, providers: _Providers) -> None:
    src = x.source
    need([e.column for e in x.elements if e.column], src, "exclusion constraint", "")
    need(x.include, src, "exclusion include", "")
    for text in [x.where, *(e.expression for e in x.elements)]:
        if text:
            need(column_refs(text), src, "exclusion expression", "")
    unknown = providers.method_problem(x.method)
    if unknown is not None:
        report.add(src, *unknown, "method")
    elif x.method in _BUILTIN_METHODS and x.method not in _EXCLUSION_METHODS:
        report.add(
            src,
            f"a {x.method} index cannot back an exclusion constraint",
            'use method = "gist" (with btree_gist for plain columns) or spgist',
            "method",
        )
    for e in x.elements:
        bad_class = providers.opclass_problem(x.method, e.opclass) if e.opclass else None
        if bad_class is not None:
            report.add(src, *bad_class)
    if x.initially_deferred and not x.deferrable:
        report.add(src, "initially_deferred needs deferrable", "add deferrable = true")
