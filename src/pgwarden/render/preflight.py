"""Preflight SQL: the query that finds the rows an op would fail on, and a fix.

Ops say *that* existing rows can break them (the ``may_fail_on_data`` hazard,
their ``online`` / ``check_data`` flags, the ``row_key`` to sample by); this
module writes the SQL, through a registry like :mod:`pgwarden.render.sql`.
Every identifier goes through :class:`psycopg.sql.Identifier`, every value
through :class:`psycopg.sql.Literal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from psycopg import sql

from pgwarden.planner import ops as o
from pgwarden.planner.ops.partitions import CreatePartition, DropPartition, RebindPartition
from pgwarden.spec.model import ColumnType
from pgwarden.spec.names import beside, split_name
from pgwarden.spec.partitions import bound_predicate
from pgwarden.spec.types import TEXT_TYPES, type_sql

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL


def _relation(name: str) -> sql.Composable:
    """A table by its spec name, schema-qualified outside the default namespace (as
    :func:`pgwarden.render.sql.relation`, which this module cannot import: render.sql
    imports it through render.citus)."""
    return I(*split_name(name))


L = sql.Literal


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


Builder = Callable[[Any], "PreflightQuery | None"]
_BUILDERS: dict[type[o.Op], Builder] = {}
OpT = TypeVar("OpT", bound=o.Op)


def checks(op_type: type[OpT]) -> Callable[[Callable[[OpT], PreflightQuery | None]], Builder]:
    """Register the preflight of one op type (registering twice is a bug)."""

    def register(fn: Callable[[OpT], PreflightQuery | None]) -> Builder:
        if op_type in _BUILDERS:
            raise RuntimeError(f"{op_type.__name__} already has a preflight")
        _BUILDERS[op_type] = fn
        return fn

    return register


def preflight(op: o.Op) -> PreflightQuery | None:
    """The data check for ``op``, when existing rows can make it fail (else None)."""
    builder = _BUILDERS.get(type(op))
    query = builder(op) if builder is not None else None
    if query is None:
        return None
    return replace(query, upfront=bool(getattr(op, "check_data", True)))


def preflights(ops: Iterable[o.Op]) -> tuple[PreflightQuery, ...]:
    """The data checks of a plan's ops, in op order."""
    return tuple(q for op in ops if (q := preflight(op)) is not None)


# --------------------------------------------------------------------------- shapes


def _count_rows(table: str, key: tuple[str, ...], where: sql.Composable) -> str:
    """The preflight shape: (violations, up to 10 sample keys) of rows matching ``where``."""
    sample: sql.Composable = (
        S("ROW({})::text").format(S(", ").join(I(k) for k in key)) if key else S("ctid::text")
    )
    return (
        S(
            "SELECT count(*) AS violations, "
            "(array_agg({s} ORDER BY {s}))[1:10] AS samples FROM {t} WHERE {w}"
        )
        .format(s=sample, t=_relation(table), w=where)
        .as_string(None)
    )


def _duplicates(
    table: str,
    columns: tuple[str, ...],
    nulls_not_distinct: bool,
    where: str | None,
    what: str,
) -> PreflightQuery:
    cols = S(", ").join(I(c) for c in columns)
    conds: list[sql.Composable] = []
    if not nulls_not_distinct:
        conds.extend(S("{} IS NOT NULL").format(I(c)) for c in columns)
    if where is not None:
        conds.append(S("({})").format(S(where)))
    filt = S(" AND ").join(conds) if conds else S("true")
    query = S(
        "SELECT count(*) AS violations, (array_agg(k ORDER BY k))[1:10] AS samples FROM "
        "(SELECT ROW({cols})::text AS k FROM {t} WHERE {f} GROUP BY {cols} HAVING count(*) > 1) d"
    ).format(cols=cols, t=_relation(table), f=filt)
    same = S(" AND ").join(S("a.{c} IS NOT DISTINCT FROM b.{c}").format(c=I(c)) for c in columns)
    fix = S(
        "-- keeps one row per duplicate group; review first\n"
        "DELETE FROM {t} a USING {t} b WHERE a.ctid > b.ctid AND {same};"
    ).format(t=_relation(table), same=same)
    return PreflightQuery(
        f"duplicate groups for {what} on {table} ({', '.join(columns)})",
        table,
        query.as_string(None),
        fix.as_string(None),
    )


_INT_RANGE = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
_TEMPORAL = ("timestamp", "timestamptz", "time", "timetz", "interval")


def _does_not_fit(col: sql.Composable, old: ColumnType, new: ColumnType) -> sql.Composable | None:
    """A predicate true for values that a cast from ``old`` to ``new`` would damage."""
    o_, n = old.name, new.name
    if n in ("varchar", "char") and new.modifiers and o_ in TEXT_TYPES:
        return S("length({}) > {}").format(col, L(new.modifiers[0]))
    if n in _INT_RANGE and o_ in (*_INT_RANGE, "numeric"):
        bound = _INT_RANGE[n]
        return S("({c} < {lo} OR {c} >= {hi} OR {c} <> trunc({c}))").format(
            c=col, lo=L(-bound), hi=L(bound)
        )
    if n == "numeric" and new.modifiers and (o_ in _INT_RANGE or o_ == "numeric"):
        p, scale = new.modifiers[0], (new.modifiers[1] if len(new.modifiers) > 1 else 0)
        return S("(abs({c}) >= {lim} OR {c} <> round({c}, {s}))").format(
            c=col, lim=L(10 ** (p - scale)), s=L(scale)
        )
    if (
        o_ == n
        and o_ in ("timestamp", "timestamptz", "time", "timetz", "interval")
        and new.modifiers
    ):
        return S("{c} <> {c}::{t}").format(c=col, t=type_sql(new))
    return None


# --------------------------------------------------------------------------- per op


@checks(o.RecreateEnum)
def _recreate_enum(op: o.RecreateEnum) -> PreflightQuery | None:
    if not op.removed or not op.usages:
        return None
    removed = S(", ").join(L(v) for v in op.removed)
    parts: list[sql.Composable] = []
    fixes: list[sql.Composable] = []
    for u in op.usages:
        if u.array:
            cond = S("{}::text[] && ARRAY[{}]::text[]").format(I(u.column), removed)
        else:
            cond = S("{}::text IN ({})").format(I(u.column), removed)
        label = L(f"{u.table}.{u.column}=")
        parts.append(
            S("SELECT {label} || {col}::text AS k FROM {t} WHERE {cond}").format(
                label=label, col=I(u.column), t=_relation(u.table), cond=cond
            )
        )
        fixes.append(
            S("UPDATE {t} SET {c} = <another value> WHERE {cond};").format(
                t=_relation(u.table), c=I(u.column), cond=cond
            )
        )
    union = S(" UNION ALL ").join(parts)
    query = S(
        "SELECT count(*) AS violations, (array_agg(k ORDER BY k))[1:10] AS samples FROM ({}) v"
    ).format(union)
    return PreflightQuery(
        f"rows using removed value(s) of enum {op.enum}",
        op.usages[0].table,
        query.as_string(None),
        "\n".join(f.as_string(None) for f in fixes),
    )


@checks(o.AddColumn)
def _add_column(op: o.AddColumn) -> PreflightQuery | None:
    if "may_fail_on_data" not in op.hazards:
        return None
    return PreflightQuery(
        f"rows in {op.table}: a NOT NULL column {op.column.name} without default "
        "cannot be added to a table with rows",
        op.table,
        _count_rows(op.table, op.row_key, S("true")),
        f"-- give {op.table}.{op.column.name} a default or a backfill in the spec",
    )


@checks(o.AlterColumnType)
def _alter_type(op: o.AlterColumnType) -> PreflightQuery | None:
    """Rows whose value does not survive a narrowing (truncated, out of range, rounded)."""
    if op.kind != "narrowing" or op.old.array or op.new.array:
        return None
    lost = _does_not_fit(I(op.column), op.old, op.new)
    if lost is None:
        return None
    return PreflightQuery(
        f"values of {op.table}.{op.column} that do not fit {op.new.spec_text()}",
        op.table,
        _count_rows(op.table, op.row_key, lost),
        S("SELECT * FROM {} WHERE {};  -- shorten, round or move these first")
        .format(_relation(op.table), lost)
        .as_string(None),
    )


@checks(o.SetNotNull)
def _set_not_null(op: o.SetNotNull) -> PreflightQuery | None:
    if not (op.online or op.check_data):
        return None
    cond = S("{} IS NULL").format(I(op.column))
    return PreflightQuery(
        f"NULLs in {op.table}.{op.column}",
        op.table,
        _count_rows(op.table, op.row_key, cond),
        S("UPDATE {} SET {} = <value> WHERE {};")
        .format(_relation(op.table), I(op.column), cond)
        .as_string(None),
    )


@checks(o.AddPrimaryKey)
def _add_pk(op: o.AddPrimaryKey) -> PreflightQuery | None:
    if not (op.online or op.check_data):
        return None
    return _duplicates(op.table, op.primary_key.columns, True, None, "primary key")


@checks(o.AddUnique)
def _add_unique(op: o.AddUnique) -> PreflightQuery | None:
    if not (op.online or op.check_data):
        return None
    u = op.unique
    return _duplicates(op.table, u.columns, u.nulls_not_distinct, None, f"unique {u.name}")


@checks(o.AddCheck)
def _add_check(op: o.AddCheck) -> PreflightQuery | None:
    if not (op.online or op.check_data):
        return None
    cond = S("NOT ({})").format(S(op.check.expression))
    return PreflightQuery(
        f"rows of {op.table} violating check {op.check.name}",
        op.table,
        _count_rows(op.table, op.row_key, cond),
        S("UPDATE {} SET <columns> WHERE {};").format(_relation(op.table), cond).as_string(None),
    )


@checks(CreatePartition)
def _create_partition(op: CreatePartition) -> PreflightQuery | None:
    # beside a DEFAULT partition, the rows the new bound admits live in the DEFAULT
    # (no other partition overlaps it) and Postgres refuses the new partition
    if not op.has_default or op.partition.is_default:
        return None
    admits = bound_predicate(op.key, op.partition.bound)
    if admits is None:
        return None  # a key of several columns: Postgres's own scan has the last word
    where = S("coalesce({}, false)").format(S(admits))
    return PreflightQuery(
        f"rows of {op.table}'s DEFAULT partition that belong to new partition "
        f"{op.partition.name} ({op.partition.bound})",
        op.table,
        _count_rows(op.table, (), where),
        S(
            "-- move them out of the DEFAULT partition first (a data migration)\n"
            "DELETE FROM {} WHERE {};"
        )
        .format(_relation(op.table), where)
        .as_string(None),
    )


@checks(DropPartition)
def _drop_partition(op: DropPartition) -> PreflightQuery | None:
    if not op.referenced:
        return None
    part = I(*beside(op.table, op.partition.name))
    return PreflightQuery(
        f"rows of partition {op.partition.name} of {op.table}, which a foreign key "
        "references (DETACH is refused while one of them is referenced)",
        op.table,
        S(
            "SELECT count(*) AS violations, (array_agg(ctid::text ORDER BY ctid))[1:10] "
            "AS samples FROM {}"
        )
        .format(part)
        .as_string(None),
        S("-- delete or repoint the referencing rows first, then\nDELETE FROM {};")
        .format(part)
        .as_string(None),
    )


@checks(RebindPartition)
def _rebind_partition(op: RebindPartition) -> PreflightQuery:
    # the rows go out with DETACH (refused while a foreign key references one) and
    # come back with ATTACH (refused when one does not fit the new bound)
    part = I(*beside(op.table, op.partition))
    admits = None if op.referenced else bound_predicate(op.key, op.new)
    where = S("true") if admits is None else S("NOT coalesce({}, false)").format(S(admits))
    query = S(
        "SELECT count(*) AS violations, (array_agg(ctid::text ORDER BY ctid))[1:10] AS samples "
        "FROM {} WHERE {}"
    ).format(part, where)
    fix = S(
        "-- move the rows to where the new bounds put them (a data migration), e.g.\n"
        "CREATE TABLE keep AS SELECT * FROM {p}; DELETE FROM {p};"
    ).format(p=part)
    return PreflightQuery(
        f"rows of partition {op.partition} of {op.table} that cannot stay through its "
        f"rebind to {op.new}" + (" (a foreign key references the table)" if op.referenced else ""),
        op.table,
        query.as_string(None),
        fix.as_string(None),
    )


@checks(o.AddForeignKey)
def _add_fk(op: o.AddForeignKey) -> PreflightQuery | None:
    if not (op.online or op.check_data):
        return None
    fk = op.foreign_key
    notnull = S(" AND ").join(S("c.{} IS NOT NULL").format(I(col)) for col in fk.columns)
    match = S(" AND ").join(
        S("p.{} = c.{}").format(I(r), I(col))
        for col, r in zip(fk.columns, fk.ref_columns, strict=True)
    )
    orphan = S("{nn} AND NOT EXISTS (SELECT 1 FROM {r} p WHERE {m})").format(
        nn=notnull, r=_relation(fk.ref_table), m=match
    )
    cols = S(", ").join(S("c.{}").format(I(col)) for col in fk.columns)
    query = S(
        "SELECT count(*) AS violations, "
        "(array_agg(DISTINCT ROW({cols})::text))[1:10] AS samples FROM {t} c WHERE {o}"
    ).format(cols=cols, t=_relation(op.table), o=orphan)
    fix = S(
        "-- delete the orphans, or set their reference to NULL / an existing row\n"
        "DELETE FROM {t} c WHERE {o};"
    ).format(t=_relation(op.table), o=orphan)
    return PreflightQuery(
        f"orphan rows in {op.table} ({', '.join(fk.columns)}) with no match in {fk.ref_table}",
        op.table,
        query.as_string(None),
        fix.as_string(None),
    )


@checks(o.CreateIndex)
def _create_index(op: o.CreateIndex) -> PreflightQuery | None:
    i = op.index
    if not ((op.online or op.check_data) and i.unique) or any(e.column is None for e in i.elements):
        return None
    cols = tuple(e.column for e in i.elements if e.column is not None)
    return _duplicates(op.table, cols, i.nulls_not_distinct, i.where, f"index {i.name}")


__all__ = ["PreflightQuery", "checks", "preflight", "preflights"]
