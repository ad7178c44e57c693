"""``[tables.Name]``: one table read section by section.

:class:`TableReader` reads the columns (and the constraint sugar written on
them), then the table-level primary key, unique rules, foreign keys, checks,
indexes, row-level security and markers. Soft delete is known first, because
it decides what every unique rule becomes. Foreign keys stay drafts
(:class:`~pgwarden.spec.load.constraints.FkSpec`) until every table's primary
key is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pgwarden.spec import names, sqltext
from pgwarden.spec.load.citus import read_distribution
from pgwarden.spec.load.columns import read_column
from pgwarden.spec.load.constraints import (
    FkSpec,
    UniqueRule,
    read_checks,
    read_column_unique,
    read_foreign_key,
    read_primary_key,
    read_references,
    read_unique,
    unique_form,
)
from pgwarden.spec.load.indexes import read_exclusion, read_index
from pgwarden.spec.load.partitions import read_partition_by, read_partitions
from pgwarden.spec.load.policies import read_security
from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.load.reads import read_cache, read_replica
from pgwarden.spec.load.triggers import read_trigger
from pgwarden.spec.model import (
    Billing,
    Column,
    Enum,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
)

TABLE_KEYS = (
    "comment",
    "columns",
    "primary_key",
    "uniques",
    "foreign_keys",
    "checks",
    "indexes",
    "exclusions",
    "policies",
    "triggers",
    "rls",
    "tenant",
    "soft_delete",
    "owner",
    "owner_table",
    "tombstone",
    "tombstone_guards_restore",
    "billing",
    "replica",
    "cache",
    "audit",
    "renamed_from",
    "ignore",
    "distribution",
    "reference",
    "partition_by",
    "partitions",
)
BILLING_KEYS = ("active_when",)


@dataclass
class TableDraft:
    """A table while it is being read: FK sugar is resolved once every PK is known."""

    reader: SpecReader
    table: Table
    fk_specs: list[FkSpec] = field(default_factory=list)


@dataclass
class _Columns:
    """What the ``columns`` section yields: the columns and the sugar on them."""

    columns: list[Column] = field(default_factory=list)
    primary_key: PrimaryKey | None = None
    uniques: list[UniqueRule] = field(default_factory=list)
    foreign_keys: list[FkSpec] = field(default_factory=list)


class TableReader:
    """Reads one table; ``enums`` lets column defaults be checked against enum values."""

    def __init__(self, r: SpecReader, name: str, enums: Mapping[str, Enum]) -> None:
        self.r = r
        self.name = name
        self.path: SpecPath = ("tables", name)
        self.enums = enums

    def read(self, value: object) -> TableDraft | None:
        """A ``[tables.T]`` section as a draft table (None when it is not a table at all)."""
        r, path = self.r, self.path
        raw = r.mapping(value, path, TABLE_KEYS)
        if raw is None:
            return None
        soft_delete = r.string(raw, "soft_delete", path)
        active_rows = sqltext.active_rows_where(soft_delete) if soft_delete else None

        cols = self.columns(raw)
        primary_key = self.primary_key(raw, cols.primary_key)
        rules = list(cols.uniques)
        for upath, item in r.entries(raw, "uniques", path):
            if (rule := read_unique(r, upath, item)) is not None:
                rules.append(rule)
        fk_specs = list(cols.foreign_keys)
        for fpath, item in r.entries(raw, "foreign_keys", path):
            if (fk := read_foreign_key(r, fpath, item)) is not None:
                fk_specs.append(fk)
        uniques: list[UniqueConstraint] = []
        indexes: list[Index] = []
        for rule in rules:
            form = unique_form(
                r, rule, table=self.name, soft_delete=soft_delete, active_rows=active_rows
            )
            if isinstance(form, UniqueConstraint):
                uniques.append(form)
            elif form is not None:
                indexes.append(form)
        checks = read_checks(r, raw, path, self.name)
        for ipath, item in r.entries(raw, "indexes", path):
            index = read_index(r, ipath, item, table=self.name, active_rows=active_rows)
            if index is not None:
                indexes.append(index)
        exclusions = [
            x
            for xpath, item in r.entries(raw, "exclusions", path)
            if (x := read_exclusion(r, xpath, item, table=self.name)) is not None
        ]
        security = read_security(r, raw, path, table=self.name, columns=cols.columns)
        triggers = [
            g
            for gpath, item in r.entries(raw, "triggers", path)
            if (g := read_trigger(r, gpath, item)) is not None
        ]
        table = Table(
            name=self.name,
            columns=tuple(cols.columns),
            primary_key=primary_key,
            uniques=tuple(uniques),
            checks=tuple(checks),
            indexes=tuple(indexes),
            exclusions=tuple(exclusions),
            comment=r.string(raw, "comment", path),
            rls_enabled=security.enabled,
            rls_forced=security.forced,
            policies=security.policies,
            partition_by=read_partition_by(r, raw, path),
            partitions=tuple(read_partitions(r, raw, path)),
            triggers=tuple(triggers),
            soft_delete=soft_delete,
            owner=r.string(raw, "owner", path),
            owner_table=r.boolean(raw, "owner_table", path),
            tombstone=r.string(raw, "tombstone", path),
            tombstone_guards_restore=r.boolean(raw, "tombstone_guards_restore", path),
            billing=self.billing(raw),
            replica=read_replica(r, raw, path),
            cache=read_cache(r, raw, path),
            audit=r.boolean(raw, "audit", path),
            distribution=read_distribution(r, raw, path),
            reference=r.boolean(raw, "reference", path),
            renamed_from=r.string(raw, "renamed_from", path),
            ignore=r.suppressions(raw, path),
            source=r.source(path),
        )
        return TableDraft(r, table, fk_specs)

    # ------------------------------------------------------------------ sections

    def columns(self, raw: dict[str, Any]) -> _Columns:
        """The columns of the table, and what they declare beyond themselves (keys, references,
        indexes, checks)."""
        r, path, name = self.r, self.path, self.name
        out = _Columns()
        cols_raw = raw.get("columns")
        if cols_raw is None:
            r.problem(
                path, "has no columns", f'add [tables.{name}.columns] with id = {{ type = "uuid" }}'
            )
            return out
        if not isinstance(cols_raw, dict):
            r.problem((*path, "columns"), f"must be a table of columns, got {kind(cols_raw)}")
            return out
        for col_name, col_value in cols_raw.items():
            cpath = (*path, "columns", col_name)
            read = read_column(r, cpath, col_name, col_value, self.enums)
            if read is None:
                continue
            column, craw = read
            out.columns.append(column)
            if r.boolean(craw, "primary_key", cpath):
                if out.primary_key is not None:
                    have = out.primary_key.columns
                    first = have[0]
                    r.problem(
                        cpath,
                        f"a second primary key column (already {', '.join(have)})",
                        f"declare a composite key once: [tables.{name}] primary_key = "
                        f'["{first}", "{col_name}"]',
                    )
                else:
                    out.primary_key = PrimaryKey(
                        names.primary_key(name),
                        (col_name,),
                        source=r.source((*cpath, "primary_key")),
                    )
            if craw.get("unique") is not None:
                rule = read_column_unique(r, (*cpath, "unique"), col_name, craw["unique"])
                if rule is not None:
                    out.uniques.append(rule)
            if craw.get("references") is not None:
                fk = read_references(r, (*cpath, "references"), col_name, craw["references"])
                if fk is not None:
                    out.foreign_keys.append(fk)
        return out

    def primary_key(self, raw: dict[str, Any], on_column: PrimaryKey | None) -> PrimaryKey | None:
        """The key declared on a column, or the table's ``primary_key`` (not both)."""
        if "primary_key" not in raw:
            return on_column
        declared = read_primary_key(self.r, raw, self.path, self.name)
        if on_column is not None:
            self.r.problem(
                (*self.path, "primary_key"),
                f"primary key declared twice (also on column {on_column.columns[0]!r})",
                "keep either the column's primary_key = true or the table's primary_key",
            )
            return on_column
        return declared

    def billing(self, raw: dict[str, Any]) -> Billing | None:
        """``billing = {...}`` of a table, or None when absent."""
        if "billing" not in raw:
            return None
        bpath = (*self.path, "billing")
        b = self.r.mapping(raw["billing"], bpath, BILLING_KEYS)
        if b is None:
            return None
        return Billing(self.r.expr(b, "active_when", bpath))
