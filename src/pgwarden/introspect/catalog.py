"""Read one Postgres namespace from the catalogs into the schema model.

The number of catalog queries is fixed (one per object kind, see
``QUERIES``) whatever the table count: each query returns flat rows for the
whole namespace and Python groups them by table. All of them run in one
REPEATABLE READ, READ ONLY transaction, so they see a single snapshot even
while DDL runs concurrently. Expressions are Postgres's own text
(``pg_get_expr`` / ``pg_get_indexdef``), read with the inspected namespace as
the only ``search_path`` entry so names inside it print unqualified, as a spec
writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, cast

import pglast
import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row

from pgwarden import audit
from pgwarden.errors import DatabaseError
from pgwarden.spec import names
from pgwarden.spec.model import (
    INDEX_METHODS,
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    FkAction,
    ForeignKey,
    IdentityKind,
    Index,
    IndexElement,
    IndexMethod,
    Policy,
    PolicyCommand,
    PrimaryKey,
    Schema,
    Suppression,
    Table,
    UniqueConstraint,
)
from pgwarden.spec.types import TypeSyntaxError, parse_type

#: The catalog queries, in the order they run (files in ``introspect/queries``).
QUERIES: tuple[str, ...] = ("enums", "tables", "constraints", "indexes", "triggers", "policies")

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


@cache
def query_text(name: str) -> str:
    """The SQL of one catalog query (package data)."""
    return (resources.files("pgwarden.introspect") / "queries" / f"{name}.sql").read_text(
        encoding="utf-8"
    )


def inspect_schema(conn: psycopg.Connection[Any], schema_name: str = "public") -> Schema:
    """Read namespace ``schema_name`` into a normalized :class:`Schema`.

    With an idle connection the queries run in their own REPEATABLE READ READ
    ONLY transaction. Inside a caller's open transaction they use that
    transaction's snapshot (``canonicalize`` relies on this to read objects it
    has not committed).
    """
    rows: dict[str, list[DictRow]] = {}
    with _snapshot(conn), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT current_setting('search_path') AS path")
        saved = cur.fetchone()
        cur.execute(
            "SELECT set_config('search_path', quote_ident(%(schema)s), true)",
            {"schema": schema_name},
        )
        for name in QUERIES:
            cur.execute(query_text(name), {"schema": schema_name})
            rows[name] = cur.fetchall()
        if saved is not None:  # only matters inside a caller's transaction
            cur.execute("SELECT set_config('search_path', %(path)s, true)", {"path": saved["path"]})
    return _build(schema_name, rows)


@contextmanager
def _snapshot(conn: psycopg.Connection[Any]) -> Iterator[None]:
    status = conn.info.transaction_status
    if status == TransactionStatus.INTRANS:
        yield
        return
    if status != TransactionStatus.IDLE:
        raise DatabaseError(
            "cannot inspect: the connection is in a failed or busy transaction\n"
            "  fix: roll back the transaction before inspecting"
        )
    saved = (conn.isolation_level, conn.read_only)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    try:
        with conn.transaction():
            yield
    finally:
        conn.isolation_level, conn.read_only = saved


# --------------------------------------------------------------------------- model building


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
    policies: list[Policy] = field(default_factory=list)
    on_update_triggers: set[str] = field(default_factory=set)
    audited: bool = False
    redacted: set[str] = field(default_factory=set)
    audit_log: bool = False


def _build(schema_name: str, rows: dict[str, list[DictRow]]) -> Schema:
    unsupported: list[str] = []
    enums = [
        Enum(name=r["name"], values=tuple(r["labels"]), comment=r["comment"]) for r in rows["enums"]
    ]
    tables: dict[str, _TableParts] = {}
    for r in rows["tables"]:
        parts = tables.get(r["table_name"])
        if parts is None:
            parts = tables[r["table_name"]] = _TableParts(
                r["table_name"], r["rls_enabled"], r["rls_forced"], r["table_comment"]
            )
        if r["column_name"] is not None:
            column = _column(r, unsupported)
            if column is not None:
                parts.columns.append(column)
    for r in rows["constraints"]:
        parts = tables[r["table_name"]]
        _constraint(parts, r)
    for r in rows["indexes"]:
        index = _index(r, unsupported)
        if index is not None:
            tables[r["table_name"]].indexes.append(index)
    for r in rows["triggers"]:
        _trigger(tables[r["table_name"]], r)
    for r in rows["policies"]:
        tables[r["table_name"]].policies.append(
            Policy(
                name=r["name"],
                command=_POLICY_COMMANDS[r["command"]],
                permissive=r["permissive"],
                roles=tuple(r["roles"]),
                using=r["using_expr"],
                with_check=r["check_expr"],
            )
        )
    if unsupported:
        raise DatabaseError(
            f"schema {schema_name!r} uses objects pgwarden cannot model:\n"
            + "\n".join(f"  {u}" for u in unsupported)
            + "\n  fix: change or drop them, or govern another --pg-schema"
        )
    return Schema(
        # pgwarden's own audit log is not part of the model (see pgwarden.audit)
        tables=tuple(_table(p) for p in tables.values() if not p.audit_log),
        enums=tuple(enums),
        name=schema_name,
    ).normalized()


def _column(r: DictRow, unsupported: list[str]) -> Column | None:
    where = f"{r['table_name']}.{r['column_name']}"
    try:
        column_type = _column_type(r)
    except TypeSyntaxError:
        unsupported.append(f"{where}: type {r['formatted_type']}")
        return None
    default: str | None = r["default_expr"]
    generated: str | None = None
    identity: IdentityKind | None = _IDENTITY.get(r["identity"])
    if r["generated"]:  # 's' stored (and 'v' virtual on PostgreSQL 18+)
        generated, default = default, None
    elif r["is_serial"]:
        identity, default = "serial", None
    return Column(
        name=r["column_name"],
        type=column_type,
        nullable=not r["not_null"],
        default=default,
        identity=identity,
        generated=generated,
        comment=r["column_comment"],
    )


def _column_type(r: DictRow) -> ColumnType:
    # Enums by their bare name: format_type would quote or qualify them.
    if r["typtype"] == "e":
        return ColumnType(r["typname"])
    if r["elem_typtype"] == "e":
        return ColumnType(r["elem_typname"], array=True)
    # a type from another namespace prints qualified and fails to parse: reported
    return parse_type(r["formatted_type"])


def _constraint(parts: _TableParts, r: DictRow) -> None:
    kind = r["kind"]
    columns = tuple(r["columns"])
    if kind == "p":
        parts.primary_key = PrimaryKey(r["name"], columns)
    elif kind == "u":
        parts.uniques.append(
            UniqueConstraint(
                r["name"],
                columns,
                nulls_not_distinct=bool(r["nulls_not_distinct"]),
                deferrable=r["deferrable"],
                initially_deferred=r["initially_deferred"],
            )
        )
    elif kind == "f":
        parts.foreign_keys.append(
            ForeignKey(
                r["name"],
                columns,
                ref_table=r["ref_table"],
                ref_columns=tuple(r["ref_columns"]),
                on_delete=_FK_ACTIONS[r["on_delete"]],
                on_update=_FK_ACTIONS[r["on_update"]],
                deferrable=r["deferrable"],
                initially_deferred=r["initially_deferred"],
            )
        )
    else:
        parts.checks.append(CheckConstraint(r["name"], r["check_expr"]))


def _index(r: DictRow, unsupported: list[str]) -> Index | None:
    method = r["method"]
    if method not in INDEX_METHODS:
        unsupported.append(f"{r['table_name']}: index {r['name']} uses method {method}")
        return None
    key_count: int = r["key_count"]
    opclasses = _opclasses(r["definition"], key_count)
    elements = []
    for k in range(key_count):
        option = r["options"][k]
        descending = bool(option & _INDOPTION_DESC)
        nulls_first = bool(option & _INDOPTION_NULLS_FIRST)
        column = r["key_columns"][k]
        elements.append(
            IndexElement(
                column=column,
                expression=None if column is not None else r["key_texts"][k],
                descending=descending,
                # None when it is the direction's default (NULLS FIRST only for DESC)
                nulls_first=None if nulls_first == descending else nulls_first,
                opclass=opclasses[k],
            )
        )
    return Index(
        name=r["name"],
        elements=tuple(elements),
        unique=r["is_unique"],
        method=cast(IndexMethod, method),
        where=r["predicate"],
        include=tuple(r["key_columns"][key_count:]),
        nulls_not_distinct=bool(r["nulls_not_distinct"]),
    )


def _opclasses(definition: str, key_count: int) -> list[str | None]:
    """Non-default operator classes per key, read from ``pg_get_indexdef``.

    Postgres prints an operator class only when it is not the default for the
    key's type (its own rule, binary-coercible types included), so parsing its
    definition is more faithful than re-deriving the default here.
    """
    stmt: Any = pglast.parse_sql(definition)[0].stmt
    result: list[str | None] = []
    for elem in list(stmt.indexParams or ())[:key_count]:
        opclass = elem.opclass
        result.append(".".join(s.sval for s in opclass) if opclass else None)
    result.extend([None] * (key_count - len(result)))
    return result


def _trigger(parts: _TableParts, r: DictRow) -> None:
    tgtype: int = r["tgtype"]
    wanted = _TRIGGER_ROW | _TRIGGER_BEFORE | _TRIGGER_UPDATE
    # pgwarden's maintained-column trigger: named after table and column, calling
    # a function of the same name, BEFORE UPDATE FOR EACH ROW. Other triggers
    # are not part of the model and are ignored.
    if r["name"] == r["function_name"] and tgtype & wanted == wanted and r["enabled"] != "D":
        parts.on_update_triggers.add(r["name"])
    _audit_trigger(parts, r)


def _audit_trigger(parts: _TableParts, r: DictRow) -> None:
    """pgwarden's audit triggers (docs/audit.md): a disabled one does not count."""
    tgtype: int = r["tgtype"]
    if r["enabled"] == "D":
        return
    events = _TRIGGER_INSERT | _TRIGGER_DELETE | _TRIGGER_UPDATE
    # an audited table: AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, named after the table
    if (
        r["name"] == audit.trigger_name(parts.name)
        and r["function_name"] == audit.ROW_FUNCTION
        and tgtype & (_TRIGGER_ROW | _TRIGGER_BEFORE | events) == _TRIGGER_ROW | events
    ):
        parts.audited = True
        raw = bytes(r["args"] or b"").split(b"\0")[: r["nargs"]]
        parts.redacted = {
            a[len(audit.REDACT_PREFIX) :]
            for a in (x.decode() for x in raw)
            if a.startswith(audit.REDACT_PREFIX)
        }
    # the log itself: its append-only guard, BEFORE UPDATE OR DELETE OR TRUNCATE
    guard = _TRIGGER_BEFORE | _TRIGGER_UPDATE | _TRIGGER_DELETE | _TRIGGER_TRUNCATE
    if (
        parts.name == audit.LOG_TABLE
        and r["name"] == audit.GUARD_TRIGGER
        and r["function_name"] == audit.GUARD_FUNCTION
        and tgtype & guard == guard
    ):
        parts.audit_log = True


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
            generated=c.generated,
            comment=c.comment,
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
        comment=parts.comment,
        rls_enabled=parts.rls_enabled,
        rls_forced=parts.rls_forced,
        policies=tuple(parts.policies),
        audit=parts.audited,
    )
