"""Ops -> SQL through a registry (one renderer per op type), never string pasting.

Every identifier goes through :class:`psycopg.sql.Identifier` and every value
through :class:`psycopg.sql.Literal`. SQL *expressions* from the spec
(defaults, checks, predicates, policies) are SQL by definition and are
inserted as they are.

Names of the default namespace are unqualified: it comes from ``search_path``
(the runner sets it), so one rendering works for any schema name. Objects of the
spec's other namespaces (``billing.Invoice``) are schema-qualified (:func:`relation`);
an index, partition or constraint goes in its table's namespace.

:func:`render_schema` is the DDL that creates a schema from empty; it is by
construction the rendering of ``plan(Schema(), schema)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg import sql

from pgwarden.planner import PlanOptions, plan
from pgwarden.planner import ops as o
from pgwarden.render.seqoptions import option_clauses
from pgwarden.spec import names
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    ExclusionConstraint,
    ForeignKey,
    Index,
    IndexElement,
    Partition,
    Policy,
    PrimaryKey,
    Schema,
    UniqueConstraint,
)
from pgwarden.spec.names import beside, local_name, split_name
from pgwarden.spec.types import type_sql


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement and whether it may run inside a transaction."""

    sql: sql.Composable
    atomic: bool = True
    batched: bool = False
    """A data step the runner runs in keyset batches (pgwarden.apply.backfill)."""

    def text(self) -> str:
        """The statement as text (identifiers quoted by psycopg)."""
        return self.sql.as_string(None)


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a migration, ready to run.

    ``sql`` is exactly one statement (no trailing semicolon). ``settings`` are
    ``SET`` statements (lock_timeout, statement_timeout) to run on the same
    connection just before it. Consecutive atomic steps may share a
    transaction; a non-atomic step (CONCURRENTLY, VALIDATE, ADD VALUE) must run
    alone, outside any transaction block.
    """

    sql: str
    atomic: bool
    description: str
    settings: tuple[str, ...] = ()
    batched: bool = False
    """A backfill UPDATE the runner runs in keyset batches, one transaction each."""

    @property
    def script(self) -> str:
        """The step as file text: its settings and the statement, each ``;``-terminated."""
        return "".join(f"{s};\n" for s in (*self.settings, self.sql))


Renderer = Callable[[Any], list[Statement]]
_RENDERERS: dict[type[o.Op], Renderer] = {}
OpT = TypeVar("OpT", bound=o.Op)


def renders(op_type: type[OpT]) -> Callable[[Callable[[OpT], list[Statement]]], Renderer]:
    """Register the renderer of one op type (registering twice is a bug)."""

    def register(fn: Callable[[OpT], list[Statement]]) -> Renderer:
        if op_type in _RENDERERS:
            raise RuntimeError(f"{op_type.__name__} already has a renderer")
        _RENDERERS[op_type] = fn
        return fn

    return register


def render_op(op: o.Op) -> list[Statement]:
    """The statements of one op, from the renderer registered for its type."""
    try:
        renderer = _RENDERERS[type(op)]
    except KeyError:
        raise TypeError(f"no SQL renderer for {type(op).__name__}") from None
    return renderer(op)


# --------------------------------------------------------------------------- helpers

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


def _join(parts: Iterable[sql.Composable], sep: str = ", ") -> sql.Composable:
    return S(sep).join(list(parts))


def relation(name: str | tuple[str, ...], *parts: str) -> sql.Composable:
    """A table, type or other schema object by its spec name (``billing.Invoice``
    is qualified; a default-namespace name resolves through ``search_path``) or by
    its identifier parts (:func:`pgwarden.spec.names.beside`), with ``parts`` after
    it (a column: ``"billing"."Invoice"."total"``)."""
    return I(*(split_name(name) if isinstance(name, str) else name), *parts)


def _idents(names: Iterable[str]) -> sql.Composable:
    return _join(I(n) for n in names)


def _stmt(template: str, *args: sql.Composable, atomic: bool = True) -> Statement:
    return Statement(S(template).format(*args), atomic)


def _alter_column(table: str, column: str, action: sql.Composable) -> Statement:
    return _stmt("ALTER TABLE {} ALTER COLUMN {} {}", relation(table), I(column), action)


_SERIAL = {"smallint": "smallserial", "integer": "serial", "bigint": "bigserial"}


def column_sql(c: Column) -> sql.Composable:
    """A column definition as in CREATE TABLE / ADD COLUMN."""
    if c.identity == "serial" and not c.type.array and c.type.name in _SERIAL:
        # serial is integer NOT NULL DEFAULT nextval(<owned sequence>)
        return S("{} {}").format(I(c.name), S(_SERIAL[c.type.name]))
    parts: list[sql.Composable] = [I(c.name), type_sql(c.type)]
    if c.collation is not None:
        parts.append(S("COLLATE {}").format(_qualified(c.collation)))
    if c.generated is not None:
        parts.append(S("GENERATED ALWAYS AS ({}) STORED").format(S(c.generated)))
    if c.identity in ("always", "by default"):
        parts.append(S("GENERATED {} AS IDENTITY").format(S(c.identity.upper())))
        numbers = option_clauses(c.type.name, c.identity_options)
        if numbers:
            parts.append(S("({})").format(S(" ").join(numbers)))
    if c.default is not None and c.generated is None and c.identity is None:
        parts.append(S("DEFAULT {}").format(_b_expr(c.default)))
    if not c.nullable:
        parts.append(S("NOT NULL"))
    return S(" ").join(parts)


# a literal, a bare function call or keyword, optionally cast: fine as DEFAULT's b_expr
_SIMPLE_DEFAULT = re.compile(
    r"""^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|[A-Za-z_][\w.]*(?:\(\))?)"""
    r"""(?:::[\w" .\[\]()]+)?$"""
)


def _b_expr(expression: str) -> sql.Composable:
    """A column DEFAULT: CREATE TABLE accepts only a restricted expression there
    (``DEFAULT NOT false`` is a syntax error), so anything not simple is parenthesised."""
    if _SIMPLE_DEFAULT.match(expression):
        return S(expression)
    return S("({})").format(S(expression))


def _deferrable(deferrable: bool, initially_deferred: bool) -> sql.Composable:
    if not deferrable:
        return S("")
    return S(" DEFERRABLE INITIALLY DEFERRED" if initially_deferred else " DEFERRABLE")


def primary_key_sql(pk: PrimaryKey) -> sql.Composable:
    """``CONSTRAINT name PRIMARY KEY (cols)``."""
    return S("CONSTRAINT {} PRIMARY KEY ({})").format(I(pk.name), _idents(pk.columns))


def unique_sql(u: UniqueConstraint) -> sql.Composable:
    """``CONSTRAINT name UNIQUE [NULLS NOT DISTINCT] (cols) [DEFERRABLE ...]``."""
    return S("CONSTRAINT {} UNIQUE{} ({}){}").format(
        I(u.name),
        S(" NULLS NOT DISTINCT" if u.nulls_not_distinct else ""),
        _idents(u.columns),
        _deferrable(u.deferrable, u.initially_deferred),
    )


def check_sql(c: CheckConstraint) -> sql.Composable:
    """``CONSTRAINT name CHECK (expression)``."""
    return S("CONSTRAINT {} CHECK ({})").format(I(c.name), S(c.expression))


def foreign_key_sql(fk: ForeignKey) -> sql.Composable:
    """``CONSTRAINT name FOREIGN KEY (cols) REFERENCES table (cols)`` with its actions
    (``NO ACTION`` left implicit)."""
    actions: list[sql.Composable] = []
    if fk.on_delete != "no action":
        actions.append(S(" ON DELETE " + fk.on_delete.upper()))
    if fk.on_update != "no action":
        actions.append(S(" ON UPDATE " + fk.on_update.upper()))
    return S("CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){}{}").format(
        I(fk.name),
        _idents(fk.columns),
        relation(fk.ref_table),
        _idents(fk.ref_columns),
        S("").join(actions),
        _deferrable(fk.deferrable, fk.initially_deferred),
    )


def exclusion_sql(x: ExclusionConstraint) -> sql.Composable:
    """``CONSTRAINT name EXCLUDE USING method (key WITH op, ...) ...``."""
    keys = []
    for e in x.elements:
        key = _element_sql(
            IndexElement(
                e.column, e.expression, e.descending, e.nulls_first, e.opclass, e.collation
            )
        )
        op = e.operator.rpartition(".")
        operator = (
            S("OPERATOR({}.{})").format(I(op[0]), S(_operator(op[2])))
            if op[0]
            else S(_operator(e.operator))
        )
        keys.append(S("{} WITH {}").format(key, operator))
    parts: list[sql.Composable] = [
        S("CONSTRAINT {} EXCLUDE USING {} ({})").format(I(x.name), _method(x.method), _join(keys))
    ]
    if x.include:
        parts.append(S("INCLUDE ({})").format(_idents(x.include)))
    if x.where is not None:
        parts.append(S("WHERE ({})").format(S(x.where)))
    return S("{}{}").format(S(" ").join(parts), _deferrable(x.deferrable, x.initially_deferred))


_OPERATOR_CHARS = frozenset("+-*/<>=~!@#%^&|`?")
_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _method(name: str) -> sql.Composable:
    """An access method: a plain lower-case name as is (``gin``), anything else quoted."""
    return S(name) if _PLAIN_NAME.match(name) else I(name)


def _operator(text: str) -> str:
    """An operator name: only operator characters (validated: it is pasted as SQL)."""
    if not text or not set(text) <= _OPERATOR_CHARS:
        raise ValueError(f"not an operator: {text!r}")
    return text


def _element_sql(e: IndexElement) -> sql.Composable:
    parts: list[sql.Composable] = [
        I(e.column) if e.column is not None else S("({})").format(S(e.expression or ""))
    ]
    if e.collation is not None:
        parts.append(S("COLLATE {}").format(_qualified(e.collation)))
    if e.opclass is not None:
        parts.append(_qualified(e.opclass))
    if e.descending:
        parts.append(S("DESC"))
    if e.nulls_first is not None:
        parts.append(S("NULLS FIRST" if e.nulls_first else "NULLS LAST"))
    return S(" ").join(parts)


def _qualified(name: str) -> sql.Composable:
    """An operator class or collation name, maybe qualified (``public.gin_trgm_ops``)."""
    return I(*split_name(name))


qualified = _qualified


def index_sql(
    table: str | tuple[str, ...], i: Index, *, concurrently: bool = False, only: bool = False
) -> sql.Composable:
    """``only``: ON ONLY a partitioned parent (the index is built per partition)."""
    parts: list[sql.Composable] = [
        S("CREATE UNIQUE INDEX" if i.unique else "CREATE INDEX"),
    ]
    if concurrently:
        parts.append(S("CONCURRENTLY"))
    parts.append(S("{} ON {}{}").format(I(i.name), S("ONLY " if only else ""), relation(table)))
    if i.method != "btree":
        parts.append(S("USING {}").format(_method(i.method)))
    parts.append(S("({})").format(_join(_element_sql(e) for e in i.elements)))
    if i.include:
        parts.append(S("INCLUDE ({})").format(_idents(i.include)))
    if i.nulls_not_distinct:
        parts.append(S("NULLS NOT DISTINCT"))
    if i.where is not None:
        parts.append(S("WHERE {}").format(S(i.where)))
    return S(" ").join(parts)


def partition_sql(table: str, p: Partition) -> sql.Composable:
    """``CREATE TABLE partition PARTITION OF parent bound`` (the bound is SQL text)."""
    return S("CREATE TABLE {} PARTITION OF {} {}").format(
        I(*beside(table, p.name)), relation(table), S(p.bound)
    )


def partition_statements(table: str, p: Partition) -> list[Statement]:
    """The partition and its comment (a drop's reverse brings both back)."""
    out = [Statement(partition_sql(table, p))]
    if p.comment is not None:
        out.append(_stmt("COMMENT ON TABLE {} IS {}", I(*beside(table, p.name)), L(p.comment)))
    return out


_ROLE_KEYWORDS = {"public", "current_user", "current_role", "session_user"}


def policy_sql(table: str, p: Policy) -> sql.Composable:
    """CREATE POLICY on ``table``: permissive or not, command, roles, USING, WITH CHECK."""
    roles = _join(S(r.upper()) if r.lower() in _ROLE_KEYWORDS else I(r) for r in p.roles)
    parts: list[sql.Composable] = [
        S("CREATE POLICY {} ON {} AS {} FOR {} TO {}").format(
            I(p.name),
            relation(table),
            S("PERMISSIVE" if p.permissive else "RESTRICTIVE"),
            S(p.command.upper()),
            roles,
        )
    ]
    if p.using is not None:
        parts.append(S("USING ({})").format(S(p.using)))
    if p.with_check is not None:
        parts.append(S("WITH CHECK ({})").format(S(p.with_check)))
    return S(" ").join(parts)


def _cast_to(column: str, old: ColumnType, new: ColumnType) -> sql.Composable:
    """``USING`` expression: through text when an enum is on either side."""
    if old.is_builtin and new.is_builtin:
        return S("{}::{}").format(I(column), type_sql(new))
    via = S("text[]" if old.array else "text")
    return S("{}::{}::{}").format(I(column), via, type_sql(new))


def _serial_sequence(table: str, column: str) -> sql.Composable:
    """``pg_get_serial_sequence`` call: takes the table as (quoted) SQL text."""
    return S("pg_get_serial_sequence({}, {})").format(L(relation(table).as_string(None)), L(column))


def _restart_after_max(table: str, column: str) -> Statement:
    # a new sequence on a column that already holds values starts after the largest
    return _stmt(
        "SELECT setval({}, coalesce(max({}), 0) + 1, false) FROM {}",
        _serial_sequence(table, column),
        I(column),
        relation(table),
    )


def _sequence_name(table: str, column: str) -> tuple[str, ...]:
    from pgwarden.spec import names

    return beside(table, names.serial_sequence(local_name(table), column))


# --------------------------------------------------------------------------- enums


@renders(o.CreateEnum)
def _create_enum(op: o.CreateEnum) -> list[Statement]:
    values = _join(L(v) for v in op.enum.values)
    return [_stmt("CREATE TYPE {} AS ENUM ({})", relation(op.enum.name), values)]


@renders(o.DropEnum)
def _drop_enum(op: o.DropEnum) -> list[Statement]:
    return [_stmt("DROP TYPE {}", relation(op.enum.name))]


@renders(o.RenameEnum)
def _rename_enum(op: o.RenameEnum) -> list[Statement]:
    return [_stmt("ALTER TYPE {} RENAME TO {}", relation(op.old), I(local_name(op.new)))]


@renders(o.RenameEnumValue)
def _rename_enum_value(op: o.RenameEnumValue) -> list[Statement]:
    return [_stmt("ALTER TYPE {} RENAME VALUE {} TO {}", relation(op.enum), L(op.old), L(op.new))]


@renders(o.AddEnumValue)
def _add_enum_value(op: o.AddEnumValue) -> list[Statement]:
    where: sql.Composable
    if op.before is not None:
        where = S(" BEFORE {}").format(L(op.before))
    elif op.after is not None:
        where = S(" AFTER {}").format(L(op.after))
    else:
        where = S("")
    return [
        _stmt("ALTER TYPE {} ADD VALUE {}{}", relation(op.enum), L(op.value), where, atomic=False)
    ]


@renders(o.RecreateEnum)
def _recreate_enum(op: o.RecreateEnum) -> list[Statement]:
    from pgwarden.spec import names

    aside = names.set_aside(op.enum)
    new_type = ColumnType(op.enum)
    ctx = op.context
    out = [
        _stmt("ALTER TYPE {} RENAME TO {}", relation(op.enum), I(local_name(aside))),
        _stmt("CREATE TYPE {} AS ENUM ({})", relation(op.enum), _join(L(v) for v in op.new_values)),
    ]
    # what cannot cross the type change goes first (its enum literals are typed
    # with the old type, or Postgres refuses to retype a column under it) ...
    if ctx.views:
        from pgwarden.render.views import create_view_sql, drop_view_sql

        out += [drop_view_sql(v) for v in reversed(ctx.views)]
    for table, fk in ctx.foreign_keys:
        out.append(_stmt("ALTER TABLE {} DROP CONSTRAINT {}", relation(table), I(fk.name)))
    for table, policy in ctx.policies:
        out.append(_stmt("DROP POLICY {} ON {}", I(policy.name), relation(table)))
    for table, index in ctx.indexes:
        out.append(_stmt("DROP INDEX {}", I(*beside(table, index.name))))
    for table, check in ctx.checks:
        out.append(_stmt("ALTER TABLE {} DROP CONSTRAINT {}", relation(table), I(check.name)))
    for table, column in ctx.generated:
        out.append(_stmt("ALTER TABLE {} DROP COLUMN {}", relation(table), I(column.name)))
    for table, trigger in ctx.triggers:
        out.append(_stmt("DROP TRIGGER {} ON {}", I(trigger.name), relation(table)))
    for u in ctx.usages:
        target = ColumnType(op.enum, array=u.array)
        if u.default is not None:
            out.append(_alter_column(u.table, u.column, S("DROP DEFAULT")))
        out.append(
            _alter_column(
                u.table,
                u.column,
                S("TYPE {} USING {}").format(
                    type_sql(target), _cast_to(u.column, new_type, target)
                ),
            )
        )
        if u.default is not None:
            out.append(_alter_column(u.table, u.column, S("SET DEFAULT {}").format(S(u.default))))
    # ... and comes back on the new type (generated columns are recomputed)
    for table, column in ctx.generated:
        out.append(_stmt("ALTER TABLE {} ADD COLUMN {}", relation(table), column_sql(column)))
        if column.comment is not None:
            out.append(
                _stmt("COMMENT ON COLUMN {} IS {}", relation(table, column.name), L(column.comment))
            )
    for table, check in ctx.checks:
        out.append(_stmt("ALTER TABLE {} ADD {}", relation(table), check_sql(check)))
    for table, index in ctx.indexes:
        out.append(Statement(index_sql(table, index)))
    for table, fk in ctx.foreign_keys:
        out.append(_stmt("ALTER TABLE {} ADD {}", relation(table), foreign_key_sql(fk)))
    for table, policy in ctx.policies:
        out.append(Statement(policy_sql(table, policy)))
    if ctx.triggers:
        from pgwarden.render.triggers import create_trigger_sql

        for table, trigger in ctx.triggers:
            out += create_trigger_sql(table, trigger)
    for view in ctx.views:
        out += create_view_sql(view)
    out.append(_stmt("DROP TYPE {}", relation(aside)))
    if op.comment is not None:
        out.append(_stmt("COMMENT ON TYPE {} IS {}", relation(op.enum), L(op.comment)))
    return out


# --------------------------------------------------------------------------- namespaces


@renders(o.CreateNamespace)
def _create_namespace(op: o.CreateNamespace) -> list[Statement]:
    out = [_stmt("CREATE SCHEMA {}", I(op.namespace.name))]
    if op.namespace.comment is not None:
        out.append(
            _stmt("COMMENT ON SCHEMA {} IS {}", I(op.namespace.name), L(op.namespace.comment))
        )
    return out


@renders(o.DropNamespace)
def _drop_namespace(op: o.DropNamespace) -> list[Statement]:
    return [_stmt("DROP SCHEMA {}", I(op.namespace.name))]


# --------------------------------------------------------------------------- tables


@renders(o.CreateTable)
def _create_table(op: o.CreateTable) -> list[Statement]:
    t = op.table
    items: list[sql.Composable] = [column_sql(c) for c in t.columns]
    if t.primary_key is not None:
        items.append(primary_key_sql(t.primary_key))
    items.extend(check_sql(c) for c in sorted(t.checks, key=lambda c: c.name))
    items.extend(unique_sql(u) for u in sorted(t.uniques, key=lambda u: u.name))
    items.extend(exclusion_sql(x) for x in sorted(t.exclusions, key=lambda x: x.name))
    body = S(",\n").join([S("  {}").format(i) for i in items])
    # a partitioned table comes with its partitions (so its reverse, DROP TABLE, is whole)
    tail = S(" PARTITION BY {}").format(S(t.partition_by)) if t.partition_by else S("")
    if not items:
        create = _stmt("CREATE TABLE {} (){}", relation(t.name), tail)
    else:
        create = _stmt("CREATE TABLE {} (\n{}\n){}", relation(t.name), body, tail)
    return [create, *(s for p in t.partitions for s in partition_statements(t.name, p))]


@renders(o.DropTable)
def _drop_table(op: o.DropTable) -> list[Statement]:
    return [_stmt("DROP TABLE {}", relation(op.table.name))]


def _rename_not_null(
    table: str | tuple[str, ...], pairs: Iterable[tuple[str, str]]
) -> list[Statement]:
    """After a rename, the NOT NULL constraints PostgreSQL 18 named after the old names
    get the names a fresh CREATE gives (``pairs``: (old name, new name)). A DO block:
    PostgreSQL 15 keeps NOT NULL out of ``pg_constraint``, so there is nothing to rename
    there; one renamed or named by hand is left alone."""
    pairs = [(a, b) for a, b in pairs if a != b]
    if not pairs:
        return []
    body = S(
        "DECLARE r record; BEGIN FOR r IN SELECT * FROM (VALUES {}) AS v(old, new)"
        " WHERE EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {}::regclass"
        " AND contype = 'n' AND conname = v.old) LOOP"
        " EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', {}, r.old, r.new);"
        " END LOOP; END"
    ).format(
        _join(S("({}, {})").format(L(a), L(b)) for a, b in pairs),
        L(relation(table).as_string(None)),
        L(relation(table).as_string(None)),
    )
    return [_stmt("DO {}", L(body.as_string(None)))]


@renders(o.RenameTable)
def _rename_table(op: o.RenameTable) -> list[Statement]:
    out = [_stmt("ALTER TABLE {} RENAME TO {}", relation(op.old), I(local_name(op.new)))]
    return out + _rename_not_null(
        beside(op.old, local_name(op.new)),  # a rename keeps the namespace
        [
            (names.postgres_not_null(op.old, c), names.postgres_not_null(op.new, c))
            for c in op.not_null
        ],
    )


# --------------------------------------------------------------------------- columns


@renders(o.AddColumn)
def _add_column(op: o.AddColumn) -> list[Statement]:
    return [
        _stmt(
            "ALTER TABLE {} ADD COLUMN {}",
            relation(op.table),
            column_sql(op.column),
            atomic=op.atomic,
        )
    ]


@renders(o.DropColumn)
def _drop_column(op: o.DropColumn) -> list[Statement]:
    return [_stmt("ALTER TABLE {} DROP COLUMN {}", relation(op.table), I(op.column.name))]


@renders(o.RenameColumn)
def _rename_column(op: o.RenameColumn) -> list[Statement]:
    out = [_stmt("ALTER TABLE {} RENAME COLUMN {} TO {}", relation(op.table), I(op.old), I(op.new))]
    if not op.not_null:
        return out
    t = op.table
    return out + _rename_not_null(
        t, [(names.postgres_not_null(t, op.old), names.postgres_not_null(t, op.new))]
    )


@renders(o.Backfill)
def _backfill(op: o.Backfill) -> list[Statement]:
    # outside the DDL's transaction, in batches: the table is never locked for the scan
    text = S("UPDATE {} SET {} = ({})").format(relation(op.table), I(op.column), S(op.expression))
    return [Statement(text, atomic=False, batched=True)]


@renders(o.AlterColumnType)
def _alter_type(op: o.AlterColumnType) -> list[Statement]:
    out: list[Statement] = []
    if op.old_default is not None:
        out.append(_alter_column(op.table, op.column, S("DROP DEFAULT")))
    using = S("") if op.generated else S(" USING {}").format(_cast_to(op.column, op.old, op.new))
    out.append(_alter_column(op.table, op.column, S("TYPE {}{}").format(type_sql(op.new), using)))
    if op.default is not None:
        out.append(_alter_column(op.table, op.column, S("SET DEFAULT {}").format(S(op.default))))
    return out


@renders(o.SetNotNull)
def _set_not_null(op: o.SetNotNull) -> list[Statement]:
    if not op.online:
        return [_alter_column(op.table, op.column, S("SET NOT NULL"))]
    t, c, chk = relation(op.table), I(op.column), I(op.check_name)
    return [
        _stmt("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID", t, chk, c),
        _stmt("ALTER TABLE {} VALIDATE CONSTRAINT {}", t, chk, atomic=False),
        # SET NOT NULL uses the validated check instead of scanning under its lock
        _alter_column(op.table, op.column, S("SET NOT NULL")),
        _stmt("ALTER TABLE {} DROP CONSTRAINT {}", t, chk),
    ]


@renders(o.DropNotNull)
def _drop_not_null(op: o.DropNotNull) -> list[Statement]:
    return [_alter_column(op.table, op.column, S("DROP NOT NULL"))]


@renders(o.SetDefault)
def _set_default(op: o.SetDefault) -> list[Statement]:
    if op.new is None:
        return [_alter_column(op.table, op.column, S("DROP DEFAULT"))]
    return [_alter_column(op.table, op.column, S("SET DEFAULT {}").format(S(op.new)))]


@renders(o.AlterIdentity)
def _alter_identity(op: o.AlterIdentity) -> list[Statement]:
    t, c = op.table, op.column
    out: list[Statement] = []
    identities = ("always", "by default")
    if op.old in identities and op.new in identities:
        return [_alter_column(t, c, S("SET GENERATED {}").format(S(str(op.new).upper())))]
    # take the old one away
    if op.old in identities:
        out.append(_alter_column(t, c, S("DROP IDENTITY")))
    elif op.old == "serial":
        body = S("BEGIN EXECUTE format('DROP SEQUENCE %s', {}); END").format(_serial_sequence(t, c))
        out.append(_alter_column(t, c, S("DROP DEFAULT")))
        out.append(_stmt("DO {}", L(body.as_string(None))))
    # put the new one in place
    if op.new in identities:
        numbers = option_clauses(op.type.name, op.options)
        out.append(
            _alter_column(
                t,
                c,
                S("ADD GENERATED {} AS IDENTITY{}").format(
                    S(str(op.new).upper()),
                    S(" ({})").format(S(" ").join(numbers)) if numbers else S(""),
                ),
            )
        )
        if op.online:
            out.append(_restart_after_max(t, c))
    elif op.new == "serial":
        seq = _sequence_name(t, c)
        out.append(
            _stmt(
                "CREATE SEQUENCE {} AS {} OWNED BY {}",
                I(*seq),
                type_sql(op.type.element),
                relation(t, c),
            )
        )
        out.append(
            _alter_column(
                t,
                c,
                S("SET DEFAULT nextval({}::regclass)").format(L(I(*seq).as_string(None))),
            )
        )
        if op.online:
            out.append(_restart_after_max(t, c))
    return out


@renders(o.AlterIdentityOptions)
def _alter_identity_options(op: o.AlterIdentityOptions) -> list[Statement]:
    clauses = option_clauses(op.type.name, op.new, every=True)
    action = S(" ").join([S("SET {}").format(c) for c in clauses])
    return [_alter_column(op.table, op.column, action)]


@renders(o.AlterGenerated)
def _alter_generated(op: o.AlterGenerated) -> list[Statement]:
    if op.new is None:
        return [_alter_column(op.table, op.column, S("DROP EXPRESSION"))]
    return [_alter_column(op.table, op.column, S("SET EXPRESSION AS ({})").format(S(op.new)))]


@renders(o.SetComment)
def _set_comment(op: o.SetComment) -> list[Statement]:
    value = L(op.new)  # Literal(None) renders NULL: removes the comment
    target = S(op.target.upper())
    return [_stmt("COMMENT ON {} {} IS {}", target, relation(*op.path), value)]


# --------------------------------------------------------------------------- constraints


@renders(o.AddPrimaryKey)
def _add_pk(op: o.AddPrimaryKey) -> list[Statement]:
    pk = op.primary_key
    if not op.online:
        return [_stmt("ALTER TABLE {} ADD {}", relation(op.table), primary_key_sql(pk))]
    return [
        _stmt(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})",
            I(pk.name),
            relation(op.table),
            _idents(pk.columns),
            atomic=False,
        ),
        _stmt(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}",
            relation(op.table),
            I(pk.name),
            I(pk.name),
        ),
    ]


@renders(o.DropPrimaryKey)
def _drop_pk(op: o.DropPrimaryKey) -> list[Statement]:
    return [_stmt("ALTER TABLE {} DROP CONSTRAINT {}", relation(op.table), I(op.primary_key.name))]


@renders(o.AddUnique)
def _add_unique(op: o.AddUnique) -> list[Statement]:
    u = op.unique
    if not op.online:
        return [_stmt("ALTER TABLE {} ADD {}", relation(op.table), unique_sql(u))]
    return [
        _stmt(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({}){}",
            I(u.name),
            relation(op.table),
            _idents(u.columns),
            S(" NULLS NOT DISTINCT" if u.nulls_not_distinct else ""),
            atomic=False,
        ),
        _stmt(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}{}",
            relation(op.table),
            I(u.name),
            I(u.name),
            _deferrable(u.deferrable, u.initially_deferred),
        ),
    ]


@renders(o.AddCheck)
def _add_check(op: o.AddCheck) -> list[Statement]:
    suffix = S(" NOT VALID" if op.online else "")
    return [_stmt("ALTER TABLE {} ADD {}{}", relation(op.table), check_sql(op.check), suffix)]


@renders(o.AddForeignKey)
def _add_fk(op: o.AddForeignKey) -> list[Statement]:
    suffix = S(" NOT VALID" if op.online else "")
    return [
        _stmt(
            "ALTER TABLE {} ADD {}{}", relation(op.table), foreign_key_sql(op.foreign_key), suffix
        )
    ]


@renders(o.DropConstraint)
def _drop_constraint(op: o.DropConstraint) -> list[Statement]:
    return [_stmt("ALTER TABLE {} DROP CONSTRAINT {}", relation(op.table), I(op.constraint.name))]


@renders(o.ValidateConstraint)
def _validate(op: o.ValidateConstraint) -> list[Statement]:
    return [
        _stmt("ALTER TABLE {} VALIDATE CONSTRAINT {}", relation(op.table), I(op.name), atomic=False)
    ]


@renders(o.RenameConstraint)
def _rename_constraint(op: o.RenameConstraint) -> list[Statement]:
    return [
        _stmt("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", relation(op.table), I(op.old), I(op.new))
    ]


# --------------------------------------------------------------------------- indexes


@renders(o.CreateIndex)
def _create_index(op: o.CreateIndex) -> list[Statement]:
    return [Statement(index_sql(op.table, op.index, concurrently=op.online), not op.online)]


@renders(o.DropIndex)
def _drop_index(op: o.DropIndex) -> list[Statement]:
    how = S(" CONCURRENTLY" if op.online else "")
    index = I(*beside(op.table, op.index.name))
    return [_stmt("DROP INDEX{} {}", how, index, atomic=not op.online)]


@renders(o.RenameIndex)
def _rename_index(op: o.RenameIndex) -> list[Statement]:
    index = I(*beside(op.table, op.old))
    return [_stmt("ALTER INDEX {} RENAME TO {}", index, I(op.new))]


# --------------------------------------------------------------------------- triggers, RLS


@renders(o.CreateOnUpdateTrigger)
def _create_trigger(op: o.CreateOnUpdateTrigger) -> list[Statement]:
    col = I(op.column).as_string(None)
    # The application may set the column itself (an import, a correction): only
    # when the UPDATE left it untouched does the trigger stamp now().
    body = (
        f"BEGIN\n  IF NEW.{col} IS NOT DISTINCT FROM OLD.{col} THEN\n"
        f"    NEW.{col} := now();\n  END IF;\n  RETURN NEW;\nEND"
    )
    function = I(*beside(op.table, op.name))  # in the table's namespace
    return [
        _stmt("CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}", function, L(body)),
        _stmt(
            "CREATE TRIGGER {} BEFORE UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {}()",
            I(op.name),
            relation(op.table),
            function,
        ),
    ]


@renders(o.DropOnUpdateTrigger)
def _drop_trigger(op: o.DropOnUpdateTrigger) -> list[Statement]:
    return [
        _stmt("DROP TRIGGER {} ON {}", I(op.name), relation(op.table)),
        _stmt("DROP FUNCTION {}()", I(*beside(op.table, op.name))),
    ]


@renders(o.SetRowLevelSecurity)
def _rls(op: o.SetRowLevelSecurity) -> list[Statement]:
    verb = S("ENABLE" if op.enabled else "DISABLE")
    return [_stmt("ALTER TABLE {} {} ROW LEVEL SECURITY", relation(op.table), verb)]


@renders(o.SetForceRowLevelSecurity)
def _force_rls(op: o.SetForceRowLevelSecurity) -> list[Statement]:
    verb = S("FORCE" if op.forced else "NO FORCE")
    return [_stmt("ALTER TABLE {} {} ROW LEVEL SECURITY", relation(op.table), verb)]


@renders(o.CreatePolicy)
def _create_policy(op: o.CreatePolicy) -> list[Statement]:
    return [Statement(policy_sql(op.table, op.policy))]


@renders(o.RenamePolicy)
def _rename_policy(op: o.RenamePolicy) -> list[Statement]:
    return [_stmt("ALTER POLICY {} ON {} RENAME TO {}", I(op.old), relation(op.table), I(op.new))]


@renders(o.DropPolicy)
def _drop_policy(op: o.DropPolicy) -> list[Statement]:
    return [_stmt("DROP POLICY {} ON {}", I(op.policy.name), relation(op.table))]


# --------------------------------------------------------------------------- entry points


def _settings(options: PlanOptions, atomic: bool) -> tuple[str, ...]:
    lock = options.lock_timeout
    stmt = options.statement_timeout if atomic else options.background_statement_timeout
    return (
        S("SET lock_timeout = {}").format(L(lock)).as_string(None),
        S("SET statement_timeout = {}").format(L(stmt)).as_string(None),
    )


def render_plan(plan: Iterable[o.Op], options: PlanOptions | None = None) -> tuple[Step, ...]:
    """The plan as steps, each one statement with its timeouts (``options``: the
    timeouts; None uses the defaults)."""
    opts = options if options is not None else PlanOptions()
    steps: list[Step] = []
    for op in plan:
        statements = render_op(op)
        for n, st in enumerate(statements, 1):
            desc = op.description
            if len(statements) > 1:
                desc = f"{desc} ({n}/{len(statements)})"
            # a batched step's timeouts bound each batch, like an atomic step's
            timeouts = _settings(opts, st.atomic or st.batched)
            steps.append(Step(st.text(), st.atomic, desc, timeouts, st.batched))
    return tuple(steps)


def render_statements(plan: Iterable[o.Op]) -> str:
    """The plan as plain DDL text (no timeouts), one ``;``-terminated statement per block."""
    return "".join(f"{st.text()};\n\n" for op in plan for st in render_op(op))


def render_schema(schema: Schema) -> str:
    """The DDL that creates ``schema`` from empty: the rendering of ``plan(Schema(), schema)``.

    Byte-identical for equal input. Every statement is transactional (a new
    table needs no CONCURRENTLY), so the whole text can run in one transaction.
    """
    return render_statements(plan(Schema(name=schema.name), schema)).rstrip("\n") + "\n"


__all__ = [
    "Statement",
    "Step",
    "column_sql",
    "exclusion_sql",
    "index_sql",
    "relation",
    "render_op",
    "render_plan",
    "render_schema",
    "render_statements",
    "renders",
]

# the audit, Citus, extension, type and view ops' renderers register themselves on import
from pgwarden.render import audit as _audit  # noqa: E402, F401
from pgwarden.render import citus as _citus  # noqa: E402, F401
from pgwarden.render import extensions as _extensions  # noqa: E402, F401
from pgwarden.render import functions as _functions  # noqa: E402, F401
from pgwarden.render import partitions as _partitions  # noqa: E402, F401
from pgwarden.render import sequences as _sequences  # noqa: E402, F401
from pgwarden.render import tombstone as _tombstone  # noqa: E402, F401
from pgwarden.render import triggers as _triggers  # noqa: E402, F401
from pgwarden.render import types as _types  # noqa: E402, F401
from pgwarden.render import views as _views  # noqa: E402, F401
