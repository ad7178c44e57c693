"""Catalog rows -> the schema model.

Each query of ``introspect/queries`` returns tuple rows in the column order its
file documents; the functions here unpack them positionally (no per-row dicts)
and group them by table. Names outside the default namespace are qualified
(``billing.Invoice``), as a spec writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pgwarden.errors import DatabaseError
from pgwarden.spec import audit, names
from pgwarden.spec.model import (
    DEFAULT_SEQUENCE,
    CheckConstraint,
    Column,
    ColumnType,
    CompositeAttribute,
    CompositeType,
    Domain,
    Enum,
    ExclusionConstraint,
    ExclusionElement,
    Extension,
    FkAction,
    ForeignKey,
    Function,
    IdentityKind,
    Index,
    IndexElement,
    Namespace,
    Parallel,
    Partition,
    Policy,
    PolicyCommand,
    PrimaryKey,
    Schema,
    Sequence,
    SequenceOptions,
    Suppression,
    Table,
    Trigger,
    TriggerEvent,
    UniqueConstraint,
    View,
    ViewColumn,
    Volatility,
)
from pgwarden.spec.routines import split_search_path
from pgwarden.spec.sequences import SEQUENCE_TYPES, canonical
from pgwarden.spec.sqltext import find_outside_quotes, up_to_close
from pgwarden.spec.types import TypeSyntaxError, parse_type

Rows = list[tuple[Any, ...]]

_FK_ACTIONS: dict[str, FkAction] = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}
_POLICY_COMMANDS: dict[str, PolicyCommand] = {
    "*": "all",
    "r": "select",
    "a": "insert",
    "w": "update",
    "d": "delete",
}
_IDENTITY: dict[str, IdentityKind] = {"a": "always", "d": "by default"}
_VOLATILITY: dict[str, Volatility] = {"v": "volatile", "s": "stable", "i": "immutable"}
_PARALLEL: dict[str, Parallel] = {"u": "unsafe", "r": "restricted", "s": "safe"}

# pg_index.indoption bits
_INDOPTION_DESC = 1
_INDOPTION_NULLS_FIRST = 2
# pg_trigger.tgtype bits
_TRIGGER_ROW = 1
_TRIGGER_BEFORE = 2
_TRIGGER_INSERT = 4
_TRIGGER_DELETE = 8
_TRIGGER_UPDATE = 16
_TRIGGER_TRUNCATE = 32
_TRIGGER_INSTEAD = 64
_TRIGGER_EVENTS: tuple[tuple[TriggerEvent, int], ...] = (
    ("insert", _TRIGGER_INSERT),
    ("update", _TRIGGER_UPDATE),
    ("delete", _TRIGGER_DELETE),
    ("truncate", _TRIGGER_TRUNCATE),
)

# the numeric modifiers format_type prints after a type name: vector(3), bit(8)
_MODIFIERS = re.compile(r"\((?P<mods>[^()]*)\)(?:\[\])*$")


@dataclass
class _TableParts:
    """Mutable accumulator for one table while rows are grouped."""

    name: str
    rls_enabled: bool
    rls_forced: bool
    comment: str | None
    columns: list[Column] = field(default_factory=list)
    primary_key: PrimaryKey | None = None
    uniques: list[UniqueConstraint] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    exclusions: list[ExclusionConstraint] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    partition_by: str | None = None
    partitions: list[Partition] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    identity_numbers: dict[str, SequenceOptions] = field(default_factory=dict)
    serial_defaults: dict[str, str] = field(default_factory=dict)
    on_update_triggers: set[str] = field(default_factory=set)
    tombstone: str | None = None
    tombstone_guards_restore: bool = False
    soft_delete: str | None = None
    audited: bool = False
    redacted: set[str] = field(default_factory=set)
    audit_log: bool = False


class _Builder:
    """Groups the rows of one inspection; ``unsupported`` collects what the model
    cannot say, reported together at the end."""

    def __init__(self, default: str) -> None:
        self.default = default
        self.unsupported: list[str] = []
        self.tables: dict[str, _TableParts] = {}
        # views and materialized views: their columns and indexes, until views_rows
        self.view_parts: dict[str, _TableParts] = {}
        # pgwarden's own trigger functions (namespace, name), recognised by their triggers
        self.own_functions: set[tuple[str, str]] = {
            (default, audit.ROW_FUNCTION),
            (default, audit.GUARD_FUNCTION),
        }
        # what the inspected namespaces hold that the model does not govern
        self.unmanaged: list[str] = []

    def qualify(self, namespace: str, name: str) -> str:
        """``name`` as a spec writes it: bare in the default namespace (and for
        pg_catalog, always on the path), else ``namespace.name``."""
        if namespace in (self.default, "pg_catalog"):
            return name
        return f"{namespace}.{name}"

    # ------------------------------------------------------------------ tables

    def table_rows(self, rows: Rows) -> None:
        for (
            nsp,
            rel,
            relkind,
            rls_enabled,
            rls_forced,
            comment,
            attname,
            formatted,
            type_nsp,
            typname,
            typtype,
            is_array,
            not_null,
            identity,
            generated,
            default,
            col_comment,
            collation,
            is_serial,
        ) in rows:
            table = self.qualify(nsp, rel)
            group = self.view_parts if relkind in ("v", "m") else self.tables
            parts = group.get(table)
            if parts is None:
                parts = group[table] = _TableParts(table, rls_enabled, rls_forced, comment)
            if attname is None:
                continue
            column_type = self.column_type(
                f"{table}.{attname}", formatted, type_nsp, typname, typtype, is_array
            )
            if column_type is None:
                continue
            kind: IdentityKind | None = _IDENTITY.get(identity)
            expression: str | None = None
            if generated:  # 's' stored (and 'v' virtual on PostgreSQL 18+)
                expression, default = default, None
            elif is_serial:
                parts.serial_defaults[attname] = default  # until its sequence is read
                kind, default = "serial", None
            parts.columns.append(
                Column(
                    name=attname,
                    type=column_type,
                    nullable=not not_null,
                    default=default,
                    identity=kind,
                    generated=expression,
                    comment=col_comment,
                    collation=collation,
                )
            )

    def column_type(
        self,
        where: str,
        formatted: str,
        type_nsp: str,
        typname: str,
        typtype: str,
        is_array: bool,
    ) -> ColumnType | None:
        """A catalog type as the model spells it.

        Types of ``pg_catalog`` go through the spec's own parser (``character
        varying(20)[]`` is ``varchar(20)[]``); any other type (an enum, an
        extension's ``vector(3)``) is its name, qualified outside the default
        namespace, with the numeric modifiers ``format_type`` prints.
        """
        if type_nsp == "pg_catalog":
            try:
                return parse_type(formatted)
            except TypeSyntaxError:
                pass  # "bit varying(5)": by its catalog name, varbit(5)
        mods: tuple[int, ...] = ()
        match = _MODIFIERS.search(formatted) if typtype != "e" else None
        if match:
            try:
                mods = tuple(int(m) for m in match.group("mods").split(","))
            except ValueError:
                self.unsupported.append(
                    f"{where}: type {formatted} (modifiers that are not numbers)"
                )
                return None
        return ColumnType(self.qualify(type_nsp, typname), mods, is_array)

    # ------------------------------------------------------------------ user types

    def type_rows(self, rows: Rows) -> tuple[list[Domain], list[CompositeType]]:
        domains: list[Domain] = []
        attributes: dict[str, list[CompositeAttribute]] = {}
        comments: dict[str, str | None] = {}
        for (
            nsp,
            typname,
            typtype,
            comment,
            attname,
            formatted,
            base_nsp,
            base_name,
            base_typtype,
            is_array,
            collation,
            not_null,
            default,
            check_names,
            check_exprs,
        ) in rows:
            name = self.qualify(nsp, typname)
            where = f"{name}.{attname}" if attname else name
            base = self.column_type(where, formatted, base_nsp, base_name, base_typtype, is_array)
            if base is None:
                continue
            if typtype == "d":
                domains.append(
                    Domain(
                        name=name,
                        type=base,
                        not_null=not_null,
                        default=default,
                        checks=tuple(
                            CheckConstraint(c, e)
                            for c, e in zip(check_names, check_exprs, strict=True)
                        ),
                        collation=collation,
                        comment=comment,
                    )
                )
            else:
                comments[name] = comment
                attributes.setdefault(name, []).append(CompositeAttribute(attname, base, collation))
        composites = [
            CompositeType(name, tuple(attrs), comments[name]) for name, attrs in attributes.items()
        ]
        return domains, composites

    # ------------------------------------------------------------------ constraints

    def constraint_rows(self, rows: Rows) -> None:
        for (
            nsp,
            rel,
            name,
            kind,
            columns,
            ref_nsp,
            ref_rel,
            ref_columns,
            on_delete,
            on_update,
            deferrable,
            deferred,
            nulls_not_distinct,
            check_expr,
        ) in rows:
            parts = self.tables[self.qualify(nsp, rel)]
            if kind == "p":
                parts.primary_key = PrimaryKey(name, tuple(columns))
            elif kind == "u":
                parts.uniques.append(
                    UniqueConstraint(
                        name,
                        tuple(columns),
                        nulls_not_distinct=bool(nulls_not_distinct),
                        deferrable=deferrable,
                        initially_deferred=deferred,
                    )
                )
            elif kind == "f":
                parts.foreign_keys.append(
                    ForeignKey(
                        name,
                        tuple(columns),
                        ref_table=self.qualify(ref_nsp, ref_rel),
                        ref_columns=tuple(ref_columns),
                        on_delete=_FK_ACTIONS[on_delete],
                        on_update=_FK_ACTIONS[on_update],
                        deferrable=deferrable,
                        initially_deferred=deferred,
                    )
                )
            else:
                parts.checks.append(CheckConstraint(name, check_expr))

    # ------------------------------------------------------------------ indexes

    def index_rows(self, rows: Rows) -> None:
        for (
            nsp,
            rel,
            name,
            method,
            unique,
            nulls_not_distinct,
            key_count,
            key_columns,
            expressions,
            opclasses,
            collations,
            options,
            predicate,
            operators,
            deferrable,
            deferred,
        ) in rows:
            key = self.qualify(nsp, rel)
            parts = self.tables[key] if key in self.tables else self.view_parts[key]
            elements = []
            for k in range(key_count):
                option = options[k]
                descending = bool(option & _INDOPTION_DESC)
                nulls_first = bool(option & _INDOPTION_NULLS_FIRST)
                column = key_columns[k]
                elements.append(
                    IndexElement(
                        column=column,
                        expression=None if column is not None else expressions[k],
                        descending=descending,
                        # None when it is the direction's default (NULLS FIRST only for DESC)
                        nulls_first=None if nulls_first == descending else nulls_first,
                        opclass=opclasses[k],
                        collation=collations[k],
                    )
                )
            if operators:  # the index behind an exclusion constraint
                parts.exclusions.append(
                    ExclusionConstraint(
                        name=name,
                        elements=tuple(
                            ExclusionElement(
                                operator=op,
                                column=e.column,
                                expression=e.expression,
                                opclass=e.opclass,
                                collation=e.collation,
                                descending=e.descending,
                                nulls_first=e.nulls_first,
                            )
                            for e, op in zip(elements, operators, strict=True)
                        ),
                        method=method,
                        where=predicate,
                        include=tuple(key_columns[key_count:]),
                        deferrable=deferrable,
                        initially_deferred=deferred,
                    )
                )
                continue
            parts.indexes.append(
                Index(
                    name=name,
                    elements=tuple(elements),
                    unique=unique,
                    method=method,
                    where=predicate,
                    include=tuple(key_columns[key_count:]),
                    nulls_not_distinct=bool(nulls_not_distinct),
                )
            )

    # ------------------------------------------------------------------ views

    def views(self, rows: Rows) -> list[View]:
        out = []
        for nsp, rel, materialized, definition, comment, options, populated in rows:
            name = self.qualify(nsp, rel)
            parts = self.view_parts.get(name) or _TableParts(name, False, False, None)
            settings = dict(o.partition("=")[::2] for o in options)
            check = settings.get("check_option")
            out.append(
                View(
                    name=name,
                    definition=_viewdef(definition),
                    materialized=materialized,
                    columns=tuple(ViewColumn(c.name, c.type, c.comment) for c in parts.columns),
                    comment=comment,
                    security_barrier=settings.get("security_barrier", "false") == "true",
                    security_invoker=settings.get("security_invoker", "false") == "true",
                    check_option="local" if check == "local" else "cascaded" if check else None,
                    indexes=tuple(parts.indexes),
                    with_data=populated,
                )
            )
        return out

    # ------------------------------------------------------------------ triggers

    def _tombstone_guard(
        self,
        nsp: str,
        rel: str,
        name: str,
        function: str,
        columns: list[str],
        nargs: int,
        args: bytes | None,
    ) -> bool:
        """A tombstone guard (planner.tombstone): named after its table and column,
        calling a function of that name with the owner table and the owner's flag
        column; the owner's ``tombstone`` is read back from those arguments. A guard
        that also refuses restores has a third argument, the table's soft-delete
        column, which it also fires on (``tombstone_guards_restore``)."""
        if name != function or nargs not in (2, 3) or len(columns) != nargs - 1:
            return False
        owner_name, flag, *restore = _trigger_args(nargs, args)
        keys = [c for c in columns if c not in restore]
        if len(keys) != 1 or name != names.tombstone_guard(rel, keys[0]):
            return False
        owner = self.tables.get(self.qualify(nsp, owner_name))
        if owner is None:
            return False
        owner.tombstone = flag
        if restore:
            owner.tombstone_guards_restore = True
            self.tables[self.qualify(nsp, rel)].soft_delete = restore[0]
        return True

    def trigger_rows(self, rows: Rows) -> None:
        for (
            nsp,
            rel,
            name,
            function,
            function_nsp,
            tgtype,
            enabled,
            nargs,
            args,
            relkind,
            columns,
            old_table,
            new_table,
            constraint,
            comment,
            definition,
        ) in rows:
            table = self.qualify(nsp, rel)
            what = f"trigger {name} on {table}"
            parts = self.tables.get(table)
            if parts is None or relkind not in ("r", "p"):
                self.unmanaged.append(f"{what}: a trigger on a view or foreign table")
                continue
            if enabled != "D" and self._tombstone_guard(
                nsp, rel, name, function, columns, nargs, args
            ):
                self.own_functions.add((function_nsp, function))
                continue
            own = _on_update_trigger(parts, name, function, tgtype, nargs, columns or definition)
            if enabled != "D" and own:
                parts.on_update_triggers.add(name)
                self.own_functions.add((function_nsp, function))
                continue
            if enabled != "D" and _audit_trigger(parts, name, function, tgtype, nargs, args):
                continue
            if constraint:
                self.unmanaged.append(f"{what}: a constraint trigger")
                continue
            if enabled == "D":
                self.unmanaged.append(f"{what}: disabled")
                continue
            parts.triggers.append(
                Trigger(
                    name=name,
                    function=self.qualify(function_nsp, function),
                    timing="instead of"
                    if tgtype & _TRIGGER_INSTEAD
                    else "before"
                    if tgtype & _TRIGGER_BEFORE
                    else "after",
                    events=tuple(e for e, bit in _TRIGGER_EVENTS if tgtype & bit),
                    for_each="row" if tgtype & _TRIGGER_ROW else "statement",
                    columns=tuple(columns),
                    when=when_clause(definition) if definition else None,
                    old_table=old_table,
                    new_table=new_table,
                    arguments=tuple(_trigger_args(nargs, args)),
                    comment=comment,
                )
            )

    # ------------------------------------------------------------------ partitions

    def partition_rows(self, rows: Rows) -> None:
        for nsp, rel, key, part, bound, comment, sub, part_nsp in rows:
            parts = self.tables.get(self.qualify(nsp, rel))
            if parts is None:
                continue
            parts.partition_by = key
            if part is None:
                continue
            if sub:
                self.unsupported.append(
                    f"{parts.name}: partition {part} is partitioned itself (sub-partitioning)"
                )
            elif part_nsp != nsp:
                self.unsupported.append(
                    f"{parts.name}: partition {part} is in another schema ({part_nsp})"
                )
            else:
                parts.partitions.append(Partition(part, bound, comment))

    # ------------------------------------------------------------------ sequences

    def sequences(self, rows: Rows) -> list[Sequence]:
        """Sequence objects; an identity sequence's numbers go onto its column."""
        out = []
        for (
            nsp,
            rel,
            type_name,
            start,
            increment,
            low,
            high,
            cache,
            cycle,
            comment,
            deptype,
            table_nsp,
            table_rel,
            column,
            default_uses_it,
        ) in rows:
            numbers = SequenceOptions(start, increment, low, high, cache, cycle)
            owner = self.qualify(table_nsp, table_rel) if table_rel is not None else None
            if deptype == "i" and owner is not None:
                if owner in self.tables:
                    self.tables[owner].identity_numbers[column] = canonical(type_name, numbers)
                continue
            parts = self.tables.get(owner) if owner is not None else None
            name = self.qualify(nsp, rel)
            serial = deptype == "a" and default_uses_it
            if (
                serial
                and parts is not None
                and self._serial(parts, column, rel, type_name, numbers, comment)
            ):
                continue  # a serial column's own sequence
            if type_name not in SEQUENCE_TYPES:
                self.unmanaged.append(f"sequence {name}: type {type_name}")
                continue
            out.append(
                Sequence(
                    name=name,
                    type=type_name,
                    options=canonical(type_name, numbers),
                    owned_by=f"{owner}.{column}" if owner is not None else None,
                    comment=comment,
                )
            )
        return out

    def _serial(
        self,
        parts: _TableParts,
        column: str,
        local: str,
        type_name: str,
        numbers: SequenceOptions,
        comment: str | None,
    ) -> bool:
        """Whether the owned sequence behind a ``nextval`` default is what ``serial``
        makes (its name, the column's type, default numbers, no comment); if not,
        the column keeps its default and the sequence is a sequence of its own.
        ``local``: the sequence's name in its namespace, as the catalog has it (a
        column ``with.dot`` gives ``T_with.dot_seq``: never split at a dot)."""
        for i, c in enumerate(parts.columns):
            if c.name != column or c.identity != "serial":
                continue
            plain = (
                local == names.fit(f"{names.local_name(parts.name)}_{column}", "_seq")
                and type_name == c.type.name
                and canonical(type_name, numbers) == DEFAULT_SEQUENCE
                and comment is None
            )
            if plain:
                return True
            parts.columns[i] = replace(c, identity=None, default=parts.serial_defaults.get(column))
        return False

    # ------------------------------------------------------------------ functions

    def functions(self, rows: Rows) -> list[Function]:
        out: dict[str, Function] = {}
        for (
            nsp,
            proname,
            prokind,
            language,
            arguments,
            result,
            body,
            volatility,
            strict,
            security_definer,
            parallel,
            leakproof,
            config,
            comment,
            atomic_body,
            identity,
        ) in rows:
            name = self.qualify(nsp, proname)
            what = f"{'procedure' if prokind == 'p' else 'function'} {name}({identity})"
            if prokind not in ("f", "p"):
                kinds = {"a": "an aggregate", "w": "a window function"}
                self.unmanaged.append(f"{what}: {kinds.get(prokind, prokind)}")
                continue
            if (nsp, proname) in self.own_functions and not arguments:
                continue  # pgwarden's own (maintained columns, the audit log)
            if name in out:
                self.unmanaged.append(f"{what}: an overload of {name} (one function per name)")
                continue
            if atomic_body or language in ("c", "internal"):
                why = "a BEGIN ATOMIC body" if atomic_body else f"language {language}"
                self.unmanaged.append(f"{what}: {why}")
                continue
            search_path: tuple[str, ...] | None = None
            settings: list[tuple[str, str]] = []
            for entry in config:
                key, _, value = entry.partition("=")
                if key == "search_path":
                    search_path = split_search_path(value)
                else:
                    settings.append((key, value))
            out[name] = Function(
                name=name,
                language=language,
                body=body,
                kind="procedure" if prokind == "p" else "function",
                arguments=arguments,
                returns=result if prokind == "f" else None,
                volatility=_VOLATILITY[volatility],
                strict=strict,
                security_definer=security_definer,
                parallel=_PARALLEL[parallel],
                leakproof=leakproof,
                search_path=search_path,
                settings=tuple(sorted(settings)),
                comment=comment,
            )
        return list(out.values())

    # ------------------------------------------------------------------ policies

    def policy_rows(self, rows: Rows) -> None:
        for nsp, rel, name, command, permissive, roles, using, with_check in rows:
            self.tables[self.qualify(nsp, rel)].policies.append(
                Policy(
                    name=name,
                    command=_POLICY_COMMANDS[command],
                    permissive=permissive,
                    roles=tuple(roles),
                    using=using,
                    with_check=with_check,
                )
            )


def _viewdef(text: str) -> str:
    """``pg_get_viewdef``'s text without its leading space and closing semicolon."""
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _trigger_args(nargs: int, args: bytes | None) -> list[str]:
    """The arguments CREATE TRIGGER passed (``tgargs``: NUL-separated)."""
    return [a.decode() for a in bytes(args or b"").split(b"\0")[:nargs]]


def when_clause(definition: str) -> str | None:
    """The ``WHEN (...)`` condition of ``pg_get_triggerdef`` text, without the
    parentheses CREATE TRIGGER puts around it."""
    start = find_outside_quotes(definition, " WHEN (")
    if start < 0:
        return None
    return up_to_close(definition, start + len(" WHEN ("))


def _on_update_trigger(
    parts: _TableParts, name: str, function: str, tgtype: int, nargs: int, narrowed: object
) -> bool:
    """pgwarden's maintained-column trigger: named after the table and one of its
    columns, calling a function of the same name, BEFORE UPDATE FOR EACH ROW, with no
    arguments, no ``UPDATE OF`` and no ``WHEN`` (``narrowed``). Anything looser is a
    user's trigger (a common one: ``set_updated_at`` calling ``set_updated_at()``)."""
    return (
        name == function
        and tgtype == _TRIGGER_ROW | _TRIGGER_BEFORE | _TRIGGER_UPDATE
        and nargs == 0
        and not narrowed
        and any(name == names.on_update_trigger(parts.name, c.name) for c in parts.columns)
    )


def _audit_trigger(
    parts: _TableParts, name: str, function: str, tgtype: int, nargs: int, args: bytes | None
) -> bool:
    """pgwarden's audit triggers (docs/audit.md), recognised; the caller skips
    disabled ones."""
    events = _TRIGGER_INSERT | _TRIGGER_DELETE | _TRIGGER_UPDATE
    # an audited table: AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, named after the table
    if (
        name == audit.trigger_name(parts.name)
        and function == audit.ROW_FUNCTION
        and tgtype & (_TRIGGER_ROW | _TRIGGER_BEFORE | events) == _TRIGGER_ROW | events
    ):
        parts.audited = True
        parts.redacted = {
            a[len(audit.REDACT_PREFIX) :]
            for a in _trigger_args(nargs, args)
            if a.startswith(audit.REDACT_PREFIX)
        }
        return True
    # the log itself: its append-only guard, BEFORE UPDATE OR DELETE OR TRUNCATE
    guard = _TRIGGER_BEFORE | _TRIGGER_UPDATE | _TRIGGER_DELETE | _TRIGGER_TRUNCATE
    if (
        parts.name == audit.LOG_TABLE
        and name == audit.GUARD_TRIGGER
        and function == audit.GUARD_FUNCTION
        and tgtype & guard == guard
    ):
        parts.audit_log = True
        return True
    return False


_REDACTED = Suppression(
    audit.REDACTED_RULE, "the audit trigger redacts this column (read from the database)"
)


def _table(parts: _TableParts) -> Table:
    columns = tuple(
        Column(
            name=c.name,
            type=c.type,
            nullable=c.nullable,
            default=c.default,
            identity=c.identity,
            identity_options=parts.identity_numbers.get(c.name, DEFAULT_SEQUENCE)
            if c.identity in ("always", "by default")
            else DEFAULT_SEQUENCE,
            generated=c.generated,
            comment=c.comment,
            collation=c.collation,
            maintained="on_update"
            if names.on_update_trigger(parts.name, c.name) in parts.on_update_triggers
            else None,
            # intent the database records: the audit trigger never copies this column
            ignore=(_REDACTED,) if c.name in parts.redacted else (),
        )
        for c in parts.columns
    )
    return Table(
        name=parts.name,
        columns=columns,
        primary_key=parts.primary_key,
        uniques=tuple(parts.uniques),
        foreign_keys=tuple(parts.foreign_keys),
        checks=tuple(parts.checks),
        indexes=tuple(parts.indexes),
        exclusions=tuple(parts.exclusions),
        comment=parts.comment,
        rls_enabled=parts.rls_enabled,
        rls_forced=parts.rls_forced,
        policies=tuple(parts.policies),
        partition_by=parts.partition_by,
        partitions=tuple(parts.partitions),
        triggers=tuple(parts.triggers),
        audit=parts.audited,
        tombstone=parts.tombstone,
        tombstone_guards_restore=parts.tombstone_guards_restore,
        soft_delete=parts.soft_delete,
    )


def build_schema(default: str, also: tuple[str, ...], rows: dict[str, Rows]) -> Schema:
    """The model of the inspected namespaces (``default`` first, then ``also``)."""
    b = _Builder(default)
    extensions = [
        Extension(name, None if nsp == default else nsp, version)
        for name, nsp, version in rows["extensions"]
    ]
    enums = [
        Enum(name=b.qualify(nsp, name), values=tuple(labels), comment=comment)
        for nsp, name, labels, comment in rows["enums"]
    ]
    domains, composites = b.type_rows(rows["types"])
    b.table_rows(rows["tables"])
    b.constraint_rows(rows["constraints"])
    b.index_rows(rows["indexes"])
    b.trigger_rows(rows["triggers"])
    b.policy_rows(rows["policies"])
    b.partition_rows(rows["partitions"])
    views = b.views(rows["views"])
    functions = b.functions(rows["functions"])
    sequences = b.sequences(rows["sequences"])
    if b.unsupported:
        raise DatabaseError(
            f"schema {default!r} uses objects pgwarden cannot model:\n"
            + "\n".join(f"  {u}" for u in b.unsupported)
            + "\n  fix: change or drop them, or govern another --pg-schema"
        )
    return Schema(
        # pgwarden's own audit log is not part of the model (see pgwarden.spec.audit)
        tables=tuple(_table(p) for p in b.tables.values() if not p.audit_log),
        enums=tuple(enums),
        domains=tuple(domains),
        composite_types=tuple(composites),
        name=default,
        extensions=tuple(extensions),
        views=tuple(views),
        functions=tuple(functions),
        sequences=tuple(sequences),
        unmanaged=tuple(
            sorted(
                {
                    *b.unmanaged,
                    *(f"{kind} {name}: {detail}" for kind, name, detail in rows["unmanaged"]),
                }
            )
        ),
        schemas=tuple(
            Namespace(name, comment) for name, comment in rows["namespaces"] if name != default
        ),
    ).normalized()
