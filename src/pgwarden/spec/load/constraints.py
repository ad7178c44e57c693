"""Keys and constraints of a table: unique rules, foreign keys, checks.

A unique rule is read into a :class:`UniqueRule` first, because soft delete
decides what it becomes (a constraint, or a partial unique index over active
rows). Foreign keys are read into a :class:`FkSpec`: the referenced columns
default to the target's primary key, known only once every table is read, so
:func:`resolve_foreign_keys` finishes them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from pgwarden.spec import names
from pgwarden.spec.exprs import column_refs
from pgwarden.spec.load.reader import SpecPath, SpecReader
from pgwarden.spec.model import (
    FK_ACTIONS,
    CheckConstraint,
    FkAction,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Source,
    UniqueConstraint,
)

COLUMN_UNIQUE_KEYS = ("name", "nulls_not_distinct", "all_rows")
REFERENCES_KEYS = (
    "table",
    "column",
    "on_delete",
    "on_update",
    "deferrable",
    "initially_deferred",
    "name",
)
PK_KEYS = ("columns", "name")
UNIQUE_KEYS = (
    "columns",
    "name",
    "nulls_not_distinct",
    "deferrable",
    "initially_deferred",
    "all_rows",
)
FK_KEYS = (
    "columns",
    "references",
    "on_delete",
    "on_update",
    "deferrable",
    "initially_deferred",
    "name",
)
FK_REF_KEYS = ("table", "columns")
CHECK_KEYS = ("name", "expression")


# ---------------------------------------------------------------------- unique rules


@dataclass(frozen=True, slots=True)
class UniqueRule:
    """A unique rule as written, before soft delete decides its form."""

    path: SpecPath
    columns: tuple[str, ...]
    name: str | None = None
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    all_rows: bool = False


def read_column_unique(
    r: SpecReader, path: SpecPath, column: str, value: object
) -> UniqueRule | None:
    """A column's ``unique = true`` or ``unique = { name, nulls_not_distinct, all_rows }``."""
    if isinstance(value, bool):
        return UniqueRule(path, (column,)) if value else None
    u = r.mapping(value, path, COLUMN_UNIQUE_KEYS)
    if u is None:
        return None
    return UniqueRule(
        path,
        (column,),
        name=r.string(u, "name", path),
        nulls_not_distinct=r.boolean(u, "nulls_not_distinct", path),
        all_rows=r.boolean(u, "all_rows", path),
    )


def read_unique(r: SpecReader, path: SpecPath, item: object) -> UniqueRule | None:
    """One ``[[tables.X.uniques]]`` entry."""
    u = r.mapping(item, path, UNIQUE_KEYS)
    if u is None:
        return None
    columns = r.strings(u, "columns", path, required=True)
    deferrable = r.boolean(u, "deferrable", path)
    deferred = r.boolean(u, "initially_deferred", path)
    if not columns:
        return None
    return UniqueRule(
        path,
        columns,
        name=r.string(u, "name", path),
        nulls_not_distinct=r.boolean(u, "nulls_not_distinct", path),
        deferrable=deferrable,
        initially_deferred=deferred,
        all_rows=r.boolean(u, "all_rows", path),
    )


def unique_form(
    r: SpecReader,
    rule: UniqueRule,
    *,
    table: str,
    soft_delete: str | None,
    active_rows: str | None,
) -> UniqueConstraint | Index | None:
    """What the rule becomes: a constraint, or (soft delete) a partial unique index."""
    name = rule.name or names.unique(table, rule.columns)
    source = r.source(rule.path)
    if active_rows is None or rule.all_rows:
        return UniqueConstraint(
            name,
            rule.columns,
            rule.nulls_not_distinct,
            rule.deferrable,
            rule.initially_deferred,
            source=source,
        )
    if rule.deferrable:
        r.problem(
            rule.path,
            "a deferrable unique rule cannot become a partial unique index "
            f"(the table is soft-deleted by {soft_delete!r})",
            "set all_rows = true to keep a full constraint, or drop deferrable",
        )
        return None
    return Index(
        name=name,
        elements=tuple(IndexElement(column=c) for c in rule.columns),
        unique=True,
        where=active_rows,
        nulls_not_distinct=rule.nulls_not_distinct,
        soft_delete_partial=True,
        source=source,
    )


# ---------------------------------------------------------------------- primary key


def read_primary_key(
    r: SpecReader, raw: dict[str, Any], path: SpecPath, table: str
) -> PrimaryKey | None:
    """The table-level ``primary_key = [...]`` or ``primary_key = { columns, name }``."""
    ppath: SpecPath = (*path, "primary_key")
    value = raw["primary_key"]
    columns: tuple[str, ...] | None = None
    name: str | None = None
    if isinstance(value, list):
        columns = r.strings(raw, "primary_key", path, required=True)
    else:
        p = r.mapping(value, ppath, PK_KEYS)
        if p is not None:
            columns = r.strings(p, "columns", ppath, required=True)
            name = r.string(p, "name", ppath)
    if not columns:
        return None
    return PrimaryKey(name or names.primary_key(table), columns, source=r.source(ppath))


# ---------------------------------------------------------------------- foreign keys


@dataclass(frozen=True, slots=True)
class FkSpec:
    """A foreign key as written; ``ref_columns`` None means the target's primary key."""

    path: SpecPath
    source: Source
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...] | None
    on_delete: FkAction
    on_update: FkAction
    on_delete_explicit: bool
    deferrable: bool
    initially_deferred: bool


def _fk_spec(
    r: SpecReader,
    raw: dict[str, Any],
    path: SpecPath,
    *,
    columns: tuple[str, ...],
    ref_table: str,
    ref_columns: tuple[str, ...] | None,
) -> FkSpec:
    deferrable = r.boolean(raw, "deferrable", path)
    return FkSpec(
        path=path,
        source=r.source(path),
        name=r.string(raw, "name", path),
        columns=columns,
        ref_table=ref_table,
        ref_columns=ref_columns,
        on_delete=r.choice(raw, "on_delete", path, choices=FK_ACTIONS, default="no action"),
        on_update=r.choice(raw, "on_update", path, choices=FK_ACTIONS, default="no action"),
        on_delete_explicit="on_delete" in raw,
        deferrable=deferrable,
        initially_deferred=r.boolean(raw, "initially_deferred", path),
    )


def read_references(r: SpecReader, path: SpecPath, column: str, value: object) -> FkSpec | None:
    """A column's ``references = { table, column, on_delete, ... }``."""
    ref = r.mapping(value, path, REFERENCES_KEYS)
    if ref is None:
        return None
    ref_table = r.string(ref, "table", path, required=True)
    ref_col = r.string(ref, "column", path)
    if not ref_table:
        return None
    return _fk_spec(
        r,
        ref,
        path,
        columns=(column,),
        ref_table=ref_table,
        ref_columns=(ref_col,) if ref_col else None,
    )


def read_foreign_key(r: SpecReader, path: SpecPath, item: object) -> FkSpec | None:
    """One ``[[tables.X.foreign_keys]]`` entry."""
    fk = r.mapping(item, path, FK_KEYS)
    if fk is None:
        return None
    columns = r.strings(fk, "columns", path, required=True)
    ref = fk.get("references")
    if ref is None:
        r.problem(
            path,
            "missing required key 'references'",
            'references = { table = "User", columns = ["id"] }',
        )
        return None
    rpath = (*path, "references")
    target = r.mapping(ref, rpath, FK_REF_KEYS)
    if target is None or columns is None:
        return None
    ref_table = r.string(target, "table", rpath, required=True)
    ref_columns = r.strings(target, "columns", rpath)
    if not ref_table:
        return None
    return _fk_spec(r, fk, path, columns=columns, ref_table=ref_table, ref_columns=ref_columns)


def resolve_foreign_keys(
    r: SpecReader,
    table: str,
    specs: list[FkSpec],
    primary_keys: Mapping[str, PrimaryKey | None],
) -> tuple[ForeignKey, ...]:
    """Fill FK target columns (default: the referenced table's primary key)."""
    fks: list[ForeignKey] = []
    for spec in specs:
        ref_columns = spec.ref_columns
        if ref_columns is None:
            if spec.ref_table not in primary_keys:
                ref_columns = ()  # validation reports the unknown table
            else:
                ref_pk = primary_keys[spec.ref_table]
                if ref_pk is None:
                    r.problem(
                        spec.path,
                        f"table {spec.ref_table!r} has no primary key to reference",
                        "name the referenced column(s) explicitly",
                    )
                    continue
                ref_columns = ref_pk.columns
        fks.append(
            ForeignKey(
                name=spec.name or names.foreign_key(table, spec.columns),
                columns=spec.columns,
                ref_table=spec.ref_table,
                ref_columns=ref_columns,
                on_delete=spec.on_delete,
                on_update=spec.on_update,
                deferrable=spec.deferrable,
                initially_deferred=spec.initially_deferred,
                on_delete_explicit=spec.on_delete_explicit,
                source=spec.source,
            )
        )
    return tuple(fks)


# ---------------------------------------------------------------------- checks


def read_checks(
    r: SpecReader, raw: dict[str, Any], path: SpecPath, table: str
) -> list[CheckConstraint]:
    """``[[tables.T.checks]]``: each check's expression (normalised) and its name (given, or
    derived from the columns it references)."""
    return read_named_checks(
        r, raw, path, CHECK_KEYS, lambda expression, n: _check_name(table, expression, n)
    )


def read_named_checks(
    r: SpecReader,
    raw: dict[str, Any],
    path: SpecPath,
    keys: tuple[str, ...],
    derive: Callable[[str, int], str],
) -> list[CheckConstraint]:
    """The ``checks`` entries of a table or a domain: explicit names first; each
    unnamed one then takes ``derive(expression, n)`` for the first ``n`` (0, 1, ...)
    whose name no other check has, as Postgres numbers them (``..._check1``)."""
    read: list[tuple[SpecPath, str | None, str]] = []
    for cpath, item in r.entries(raw, "checks", path):
        c = r.mapping(item, cpath, keys)
        if c is None:
            continue
        expression = r.expr(c, "expression", cpath, required=True)
        if expression is not None:
            read.append((cpath, r.string(c, "name", cpath), expression))
    used = {n for _, n, _ in read if n}
    out: list[CheckConstraint] = []
    for cpath, explicit, expression in read:
        cname = explicit or _first_free(partial(derive, expression), used)
        used.add(cname)
        out.append(CheckConstraint(cname, expression, source=r.source(cpath)))
    return out


def _first_free(candidate: Callable[[int], str], used: Collection[str]) -> str:
    n = 0
    while (name := candidate(n)) in used:
        n += 1
    return name


def _check_name(table: str, expression: str, n: int) -> str:
    cols = column_refs(expression)
    return names.numbered_check(table, cols, n) if n else names.check(table, cols)


def auto_check_name(table: str, expression: str, used: Collection[str]) -> str:
    """The derived name of an unnamed check, numbered when another check of the table has it."""
    return _first_free(lambda n: _check_name(table, expression, n), used)
