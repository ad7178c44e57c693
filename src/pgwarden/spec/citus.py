"""Citus's rules, checked on the spec before anything runs (docs/scale-out.md).

A spec places tables with ``distribution = { column = ..., colocate_with = ... }``
(hash-distributed) or ``reference = true`` (replicated to every node); the other
tables stay local to the coordinator. Citus refuses, at DDL time, what it cannot
enforce shard by shard; each rule here names that refusal before a migration is
written:

* ``citus-placement``: a table is distributed or reference, not both; the
  distribution column exists and is NOT NULL; ``colocate_with`` names another
  distributed table whose distribution column has the same type.
* ``citus-unique-key``: every PRIMARY KEY, UNIQUE constraint and unique index of a
  distributed table -- the partial unique indexes soft delete makes included --
  contains the distribution column (uniqueness is enforced per shard).
* ``citus-foreign-key``: a distributed table references only reference tables, or
  a distributed table of its colocation group with the distribution column mapped
  to that table's distribution column; nothing but distributed tables references a
  distributed table.

The fourth rule, "the distribution column's type never changes", compares two
schemas and is the planner's refusal (:func:`distribution_changes`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from pgwarden.errors import Problem
from pgwarden.spec.model import ColumnType, Schema, Source, Table

RULES = ("citus-placement", "citus-unique-key", "citus-foreign-key")


def uses_citus(schema: Schema) -> bool:
    """Whether any table is distributed or a reference table."""
    return any(t.distribution is not None or t.reference for t in schema.tables)


def local_only(schema: Schema) -> Schema:
    """``schema`` without Citus placement: what plain PostgreSQL can create (the scratch
    render of ``canonicalize``, which only needs the server's expression text)."""
    if not uses_citus(schema):
        return schema
    return replace(
        schema,
        tables=tuple(replace(t, distribution=None, reference=False) for t in schema.tables),
    )


def _problem(source: Source | None, rule: str, message: str, hint: str) -> Problem:
    file = source.file if source else "<spec>"
    path = source.path if source else ""
    return Problem(file, path, f"{message} [{rule}]", hint, source.line if source else None)


def distribution_type(schema: Schema, table: Table) -> ColumnType | None:
    """The type of the table's distribution column (None: not distributed, or no such column)."""
    if table.distribution is None:
        return None
    column = table.column(table.distribution.column)
    return column.type if column is not None else None


class Colocation:
    """Colocation groups as Citus forms them: ``colocate_with`` joins that table's
    group; without it a table joins the default group of its column's type."""

    def __init__(self, schema: Schema) -> None:
        self.parent: dict[str, str] = {}
        for t in schema.tables:
            if t.distribution is None:
                continue
            self.parent.setdefault(t.name, t.name)
            other = schema.table(t.distribution.colocate_with or "")
            if other is not None and other.distribution is not None:
                self.parent.setdefault(other.name, other.name)
                self._union(t.name, other.name)
            else:
                kind = distribution_type(schema, t)
                key = f"default:{kind.spec_text() if kind else '?'}"
                self.parent.setdefault(key, key)
                self._union(t.name, key)

    def _find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def _union(self, a: str, b: str) -> None:
        self.parent[self._find(a)] = self._find(b)

    def together(self, a: str, b: str) -> bool:
        """Whether two tables are in one colocation group."""
        return a in self.parent and b in self.parent and self._find(a) == self._find(b)


def citus_problems(schema: Schema) -> list[Problem]:
    """Every Citus rule the spec breaks (empty for a spec without Citus markers)."""
    if not uses_citus(schema):
        return []
    groups = Colocation(schema)
    problems: list[Problem] = []
    for table in schema.tables:
        problems += _placement(schema, table)
        problems += _unique_keys(table)
        problems += _foreign_keys(schema, table, groups)
    return problems


def _placement(schema: Schema, table: Table) -> Iterator[Problem]:
    dist = table.distribution
    if dist is None:
        return
    where = dist.source or table.source
    if table.reference:
        yield _problem(
            where,
            "citus-placement",
            f"{table.name} is marked both distributed and reference",
            "keep one: distribution for a large table keyed by the column, reference = true "
            "for a small lookup table every node needs",
        )
    column = table.column(dist.column)
    if column is None:
        yield _problem(
            where,
            "citus-placement",
            f"distribution column {dist.column!r} is not a column of {table.name}",
            "name an existing column (the tenant or owner key, e.g. authUserId)",
        )
    elif column.nullable:
        yield _problem(
            where,
            "citus-placement",
            f"distribution column {table.name}.{dist.column} is nullable; Citus refuses a row "
            "whose distribution column is NULL",
            f"make {dist.column} NOT NULL (nullable = false), backfilling it first",
        )
    if dist.colocate_with is None:
        return
    other = schema.table(dist.colocate_with)
    if other is None or other.distribution is None or other.name == table.name:
        yield _problem(
            where,
            "citus-placement",
            f"colocate_with {dist.colocate_with!r} is not another distributed table of the spec",
            "name a table that has its own distribution = { column = ... }",
        )
        return
    mine, theirs = distribution_type(schema, table), distribution_type(schema, other)
    if mine is not None and theirs is not None and mine != theirs:
        yield _problem(
            where,
            "citus-placement",
            f"{table.name} cannot be colocated with {other.name}: distribution column types "
            f"differ ({mine.spec_text()} vs {theirs.spec_text()})",
            "give both distribution columns the same type",
        )


def _unique_keys(table: Table) -> Iterator[Problem]:
    dist = table.distribution
    if dist is None:
        return
    col = dist.column
    keys: list[tuple[str, tuple[str | None, ...], Source | None, str]] = []
    if table.primary_key is not None:
        pk = table.primary_key
        keys.append(("primary key", pk.columns, pk.source, pk.name))
    for u in table.uniques:
        keys.append(("unique constraint", u.columns, u.source, u.name))
    for i in table.indexes:
        if i.unique:
            what = (
                "partial unique index (soft delete's, over active rows)"
                if i.soft_delete_partial
                else "unique index"
            )
            keys.append((what, i.column_names, i.source, i.name))
    for what, columns, source, name in keys:
        if col in columns:
            continue
        shown = ", ".join(c if c is not None else "<expression>" for c in columns)
        yield _problem(
            source or table.source,
            "citus-unique-key",
            f"{table.name}: {what} {name} ({shown}) does not contain the distribution column "
            f"{col!r}; Citus enforces uniqueness per shard only",
            f"add {col} to the key (e.g. [{col}, {shown}]), or make {table.name} a reference table",
        )


def _foreign_keys(schema: Schema, table: Table, groups: Colocation) -> Iterator[Problem]:
    for fk in table.foreign_keys:
        ref = schema.table(fk.ref_table)
        if ref is None:
            continue  # validate reports the unknown table
        where = fk.source or table.source
        if ref.reference:
            continue  # any table may reference a reference table
        if table.distribution is None:
            if ref.distribution is not None:
                kind = "a reference table" if table.reference else "a local table"
                yield _problem(
                    where,
                    "citus-foreign-key",
                    f"{fk.name}: {table.name} is {kind} and references the distributed "
                    f"table {ref.name}; Citus cannot check a key across shards",
                    f"distribute {table.name} colocated with {ref.name}, or drop the foreign key",
                )
            continue
        if ref.distribution is None:
            yield _problem(
                where,
                "citus-foreign-key",
                f"{fk.name}: the distributed table {table.name} references the local table "
                f"{ref.name}",
                f"make {ref.name} a reference table (reference = true) or distribute it "
                f"colocated with {table.name}",
            )
            continue
        if not groups.together(table.name, ref.name):
            yield _problem(
                where,
                "citus-foreign-key",
                f"{fk.name}: {table.name} and {ref.name} are distributed but not colocated",
                f"set colocate_with = {ref.name!r} in {table.name}'s distribution",
            )
            continue
        pairs = dict(zip(fk.columns, fk.ref_columns, strict=False))
        if pairs.get(table.distribution.column) != ref.distribution.column:
            yield _problem(
                where,
                "citus-foreign-key",
                f"{fk.name}: between colocated tables a foreign key must map the distribution "
                f"column {table.name}.{table.distribution.column} to "
                f"{ref.name}.{ref.distribution.column}",
                f"include {table.distribution.column} -> {ref.distribution.column} in the "
                f"key (a composite key on {ref.name})",
            )


def distribution_changes(current: Schema, target: Schema) -> list[str]:
    """What the planner refuses: a distributed table's distribution column changing its
    type, or the distribution itself changing (a re-shard Citus does with
    ``alter_distributed_table``, a rewrite no migration step should hide)."""
    refused: list[str] = []
    for want in target.tables:
        have = current.table(want.renamed_from or want.name) or current.table(want.name)
        if have is None or have.distribution is None:
            continue
        old, new = have.distribution, want.distribution
        if new is None or new.column != old.column:
            now = f"distributed by {new.column}" if new else "no longer distributed"
            refused.append(
                f"{want.name}: distributed by {old.column}, the spec now says {now}; "
                "run alter_distributed_table / undistribute_table by hand, then baseline"
            )
            continue
        before, after = distribution_type(current, have), distribution_type(target, want)
        if before is not None and after is not None and before != after:
            refused.append(
                f"{want.name}.{new.column}: the distribution column's type would change "
                f"({before.spec_text()} -> {after.spec_text()}); Citus cannot alter it"
            )
    return refused
