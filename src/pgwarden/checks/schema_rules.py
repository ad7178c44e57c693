"""Rules on the spec model: each reads a :class:`Schema` and yields findings.

Findings point at the spec object (``Table`` / ``Table.column``) and, when the
loader recorded it, the file and line it was declared on. A spec-level ``ignore``
entry on that table or column suppresses the finding (handled by the runner).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pgwarden.checks.registry import Finding, Location, check, rule
from pgwarden.spec.names import secret_like, words

if TYPE_CHECKING:  # the spec's model (and psycopg, pglast) load when a spec is linted,
    # not to register rules: the functions that read them import them
    from pgwarden.spec.model import Column, ColumnType, Index, IndexElement, Schema, Source, Table

# --------------------------------------------------------------------------- helpers


def _file(schema: Schema, source: Source | None) -> str:
    if source is not None and source.file:
        return source.file
    return schema.sources[0] if schema.sources else "<spec>"


def table_loc(schema: Schema, table: Table) -> Location:
    """A finding's location on a table: its spec file and line."""
    src = table.source
    return Location(_file(schema, src), src.line if src else None, None, table.name)


def column_loc(schema: Schema, table: Table, column: Column) -> Location:
    """A finding's location on a column (the table's line when the column has none)."""
    src = column.source or table.source
    return Location(
        _file(schema, src), src.line if src else None, None, f"{table.name}.{column.name}"
    )


def object_loc(schema: Schema, table: Table, obj_source: Source | None, name: str) -> Location:
    """A finding's location on an object of a table (an index, a key, a check)."""
    src = obj_source or table.source
    return Location(_file(schema, src), src.line if src else None, None, f"{table.name}.{name}")


def _types_match(a: ColumnType, b: ColumnType) -> bool:
    from pgwarden.spec.types import INTEGER_TYPES, TEXT_TYPES

    if a.array or b.array:
        return False
    if a.name in INTEGER_TYPES and b.name in INTEGER_TYPES:
        return True
    if a.name in TEXT_TYPES and b.name in TEXT_TYPES:
        return True
    return a.name == b.name


def _fk_columns(table: Table) -> set[str]:
    return {c for fk in table.foreign_keys for c in fk.columns}


# Abbreviations seen in column names that point at a longer table name.
_ABBREVIATIONS = {"org": "organization", "acct": "account", "usr": "user"}


def implied_target(schema: Schema, table: Table, column: Column) -> Table | None:
    """The table a column's name points at (``authUserId`` -> ``User``), if its key type fits."""
    parts = words(column.name)
    if len(parts) < 2 or parts[-1] not in ("id", "uuid", "key"):
        return None
    stem = parts[:-1]
    by_name: dict[str, Table] = {}
    for t in schema.tables:
        flat = "".join(words(t.name))
        for variant in (flat, flat + "s", flat + "es"):
            by_name.setdefault(variant, t)
        if flat.endswith("ies"):
            by_name.setdefault(flat[:-3] + "y", t)
        elif flat.endswith("s"):
            by_name.setdefault(flat[:-1], t)
    own = table.primary_key
    if own is not None and own.columns == (column.name,):
        return None  # the table's own key (team_user.team_user_id), never a reference
    # The longest suffix that names a table decides (authUserId: "authuser", else
    # "user"); a shorter one is never tried, so team_user.team_user_ref cannot fall
    # through to "user" once "teamuser" named this very table.
    for start in range(len(stem)):
        candidate = "".join(stem[start:])
        target = by_name.get(candidate) or by_name.get(_ABBREVIATIONS.get(candidate, ""))
        if target is None:
            continue
        if target is table:
            return None  # a suffix of the table's own name (providerAccountId on Account)
        pk = target.primary_key
        if pk is None or len(pk.columns) != 1:
            return None
        key = target.column(pk.columns[0])
        if key is None or not _types_match(key.type, column.type):
            return None
        return target
    return None


# --------------------------------------------------------------------------- foreign keys


@check(id="implied-foreign-key", family="schema", severity="error")
def implied_foreign_key(schema: Schema) -> Iterator[Finding]:
    """A column names another table and matches its key type, but has no foreign key."""
    r = rule("implied-foreign-key")
    for table in schema.tables:
        covered = _fk_columns(table)
        for column in table.columns:
            if column.name in covered:
                continue
            target = implied_target(schema, table, column)
            if target is None or target.primary_key is None:
                continue
            ref = target.primary_key.columns[0]
            yield r.finding(
                column_loc(schema, table, column),
                f"{table.name}.{column.name} looks like a reference to {target.name}.{ref} "
                f"({column.type.spec_text()}) but has no foreign key; orphaned rows are possible",
                f'add references = {{ table = "{target.name}", on_delete = "restrict" }} '
                f"to the column (choose the ON DELETE policy deliberately)",
            )


@check(id="schema-without-foreign-keys", family="schema", severity="warning")
def schema_without_foreign_keys(schema: Schema) -> Iterator[Finding]:
    """A schema of several tables without a single foreign key."""
    if len(schema.tables) < 2 or any(t.foreign_keys for t in schema.tables):
        return
    yield rule("schema-without-foreign-keys").finding(
        Location(schema.sources[0] if schema.sources else "<spec>", object=schema.name),
        f"schema {schema.name} has {len(schema.tables)} tables and no foreign key at all: "
        "referential integrity is left to the application",
        "declare the relations with `references` (see implied-foreign-key findings)",
    )


def _index_like(table: Table) -> list[tuple[tuple[str | None, ...], str, str | None]]:
    """(key columns, method, predicate) of every index the table has, constraints included."""
    out: list[tuple[tuple[str | None, ...], str, str | None]] = []
    if table.primary_key:
        out.append((table.primary_key.columns, "btree", None))
    out.extend((u.columns, "btree", None) for u in table.uniques)
    out.extend((i.column_names, i.method, i.where) for i in table.indexes)
    return out


@check(id="fk-missing-index", family="schema", severity="warning")
def fk_missing_index(schema: Schema) -> Iterator[Finding]:
    """FK columns are not the leading columns of a full (non-partial) index."""
    r = rule("fk-missing-index")
    for table in schema.tables:
        indexes = _index_like(table)
        for fk in table.foreign_keys:
            n = len(fk.columns)
            # A partial index cannot serve the FK check; hash serves single-column equality.
            usable = ("btree", "hash") if n == 1 else ("btree",)
            covered = any(
                where is None
                and method in usable
                and len(cols) >= n
                and set(cols[:n]) == set(fk.columns)
                for cols, method, where in indexes
            )
            if covered:
                continue
            cols = ", ".join(fk.columns)
            yield r.finding(
                object_loc(schema, table, fk.source, fk.name),
                f"foreign key {fk.name} ({cols}) -> {fk.ref_table} has no covering index: "
                f"deleting or updating a {fk.ref_table} row scans {table.name}, and joins are slow",
                f"add [[tables.{table.name}.indexes]] columns = {list(fk.columns)}",
            )


@check(id="fk-missing-on-delete", family="schema", severity="warning")
def fk_missing_on_delete(schema: Schema) -> Iterator[Finding]:
    """A foreign key without an explicit ON DELETE policy."""
    r = rule("fk-missing-on-delete")
    for table in schema.tables:
        for fk in table.foreign_keys:
            if fk.on_delete_explicit:
                continue
            yield r.finding(
                object_loc(schema, table, fk.source, fk.name),
                f"foreign key {fk.name} -> {fk.ref_table} has no explicit on_delete: what happens "
                f"to {table.name} rows when their {fk.ref_table} is deleted is left to a default",
                'set on_delete = "restrict", "cascade" or "set null" deliberately',
            )


@check(id="cascade-deletes-protected-data", family="schema", severity="error")
def cascade_deletes_protected_data(schema: Schema) -> Iterator[Finding]:
    """ON DELETE CASCADE into a table that holds billing data."""
    r = rule("cascade-deletes-protected-data")
    for table in schema.tables:
        # an audited table (audit = true) is not protected here: the audit trigger
        # copies every cascaded delete into the audit log (docs/audit.md)
        if table.billing is None:
            continue
        kind = "billing"
        for fk in table.foreign_keys:
            if fk.on_delete != "cascade":
                continue
            yield r.finding(
                object_loc(schema, table, fk.source, fk.name),
                f"deleting a {fk.ref_table} row cascades into {table.name}, which holds {kind} "
                "data: one DELETE silently destroys records you must keep",
                'use on_delete = "restrict" and delete through a service that checks first',
            )


# --------------------------------------------------------------------------- soft delete

_DELETE_FLAGS = {"delete", "deleted", "isdeleted", "softdeleted", "removed", "isremoved", "trashed"}


def boolean_delete_flag(table: Table) -> Column | None:
    """The boolean column used as a soft-delete flag (``deleted``, ``isDeleted``...), if any."""
    for column in table.columns:
        if column.type.name == "boolean" and "".join(words(column.name)) in _DELETE_FLAGS:
            return column
    return None


@check(id="soft-delete-unique-not-partial", family="schema", severity="error")
def soft_delete_unique_not_partial(schema: Schema) -> Iterator[Finding]:
    """On a soft-delete table a unique rule covers deleted rows too."""
    from pgwarden.spec import sqltext

    r = rule("soft-delete-unique-not-partial")
    for table in schema.tables:
        marker = table.soft_delete
        if marker is None:
            continue
        for u in table.uniques:
            yield r.finding(
                object_loc(schema, table, u.source, u.name),
                f"unique constraint {u.name} ({', '.join(u.columns)}) also counts soft-deleted "
                f"rows: a deleted {table.name} blocks a new active one with the same key",
                "make it a unique rule without all_rows "
                f"(rendered WHERE {sqltext.active_rows(marker)})",
            )
        for i in table.indexes:
            if i.unique and not sqltext.has_active_rows(i.where, marker):
                yield r.finding(
                    object_loc(schema, table, i.source, i.name),
                    f"unique index {i.name} is not partial over active rows ({marker} IS NULL)",
                    f"drop all_rows, or add where = {_toml_string(sqltext.active_rows(marker))}",
                )


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@check(id="soft-delete-without-unique", family="schema", severity="error")
def soft_delete_without_unique(schema: Schema) -> Iterator[Finding]:
    """A soft-delete table with no unique rule over its active rows."""
    from pgwarden.spec import sqltext

    r = rule("soft-delete-without-unique")
    for table in schema.tables:
        flag = boolean_delete_flag(table)
        if table.soft_delete is None and flag is None:
            continue
        marker = table.soft_delete or (flag.name if flag else "")
        partial = [
            i
            for i in table.indexes
            if i.unique and sqltext.has_active_rows(i.where, table.soft_delete or "")
        ]
        if partial:
            continue
        yield r.finding(
            table_loc(schema, table),
            f"{table.name} is soft-deleted (by {marker}) but has no unique rule over its "
            "active rows: only the surrogate key is unique, so the business rule for active "
            "rows is unstated and unenforced",
            "declare the business key as a unique rule on a soft_delete table (it becomes a "
            "partial unique index), or acknowledge with ignore and the reason",
        )


@check(id="boolean-soft-delete", family="schema", severity="error")
def boolean_soft_delete(schema: Schema) -> Iterator[Finding]:
    """Soft delete done with a boolean flag instead of a nullable timestamp."""
    r = rule("boolean-soft-delete")
    for table in schema.tables:
        flag = boolean_delete_flag(table)
        if flag is None:
            continue
        yield r.finding(
            column_loc(schema, table, flag),
            f"{table.name}.{flag.name} is a boolean soft-delete flag: it records neither when a "
            "row was deleted nor allows a partial unique index that reads naturally",
            f'replace it with deletedAt timestamptz NULL, set soft_delete = "deletedAt" and '
            f"backfill = 'CASE WHEN \"{flag.name}\" THEN now() END'",
        )


# --------------------------------------------------------------------------- shape and types


@check(id="table-without-primary-key", family="schema", severity="error")
def table_without_primary_key(schema: Schema) -> Iterator[Finding]:
    """A table without a primary key (warning when a NOT NULL unique key could be promoted)."""
    r = rule("table-without-primary-key")
    for table in schema.tables:
        if table.primary_key is not None:
            continue
        candidates = [
            u.columns
            for u in table.uniques
            if all((c := table.column(n)) is not None and not c.nullable for n in u.columns)
        ]
        candidates += [
            tuple(str(n) for n in i.column_names)
            for i in table.indexes
            if i.unique
            and i.where is None
            and all(
                n is not None and (c := table.column(n)) is not None and not c.nullable
                for n in i.column_names
            )
        ]
        if candidates:
            yield r.finding(
                table_loc(schema, table),
                f"{table.name} has no primary key, but its NOT NULL unique key "
                f"({', '.join(candidates[0])}) could be one",
                f"declare primary_key = {{ columns = {list(candidates[0])} }}",
                severity="warning",
            )
        else:
            yield r.finding(
                table_loc(schema, table),
                f"{table.name} has no primary key and no NOT NULL unique key: rows cannot be "
                "addressed, replicated or deduplicated",
                'add an id column: { type = "bigint", identity = "always", primary_key = true }',
            )


@check(id="timestamp-without-time-zone", family="schema", severity="warning")
def timestamp_without_time_zone(schema: Schema) -> Iterator[Finding]:
    """``timestamp`` (without time zone) where ``timestamptz`` records an instant."""
    r = rule("timestamp-without-time-zone")
    for table in schema.tables:
        for column in table.columns:
            if column.type.name == "timestamp":
                yield r.finding(
                    column_loc(schema, table, column),
                    f"{table.name}.{column.name} is {column.type.spec_text()} (without time zone): "
                    "the value's meaning depends on the writer's TimeZone setting",
                    f'use type = "timestamptz{_mods(column.type)}"',
                )


def _mods(t: ColumnType) -> str:
    return f"({','.join(map(str, t.modifiers))})" if t.modifiers else ""


@check(id="prefer-text", family="schema", severity="warning")
def prefer_text(schema: Schema) -> Iterator[Finding]:
    """``varchar(n)`` / ``char(n)`` where ``text`` (plus a CHECK if needed) fits."""
    r = rule("prefer-text")
    for table in schema.tables:
        for column in table.columns:
            if column.type.name in ("varchar", "char") and column.type.modifiers:
                n = column.type.modifiers[0]
                yield r.finding(
                    column_loc(schema, table, column),
                    f"{table.name}.{column.name} is {column.type.spec_text()}: changing the limit "
                    "later rewrites or locks the table, and char(n) pads with blanks",
                    f'use type = "text" with a check: char_length("{column.name}") <= {n}',
                )


@check(id="int-primary-key", family="schema", severity="warning")
def int_primary_key(schema: Schema) -> Iterator[Finding]:
    """An int/serial primary key that can overflow (prefer bigint identity)."""
    r = rule("int-primary-key")
    for table in schema.tables:
        pk = table.primary_key
        if pk is None or len(pk.columns) != 1:
            continue
        column = table.column(pk.columns[0])
        if column is None or column.type.name not in ("smallint", "integer"):
            continue
        limit = "32767" if column.type.name == "smallint" else "2147483647"
        yield r.finding(
            column_loc(schema, table, column),
            f"primary key {table.name}.{column.name} is {column.type.name}: it stops accepting "
            f"rows at {limit}, and widening it later rewrites the table and every FK",
            'use type = "bigint" with identity = "always" (or "by default")',
        )


_UPDATED_AT = {"updatedat", "modifiedat", "lastmodified", "lastupdated", "updatedon", "modifiedon"}


@check(id="updated-at-not-maintained", family="schema", severity="error")
def updated_at_not_maintained(schema: Schema) -> Iterator[Finding]:
    """``updatedAt`` with only a default: nothing changes it on UPDATE."""
    r = rule("updated-at-not-maintained")
    for table in schema.tables:
        for column in table.columns:
            if "".join(words(column.name)) not in _UPDATED_AT:
                continue
            if column.maintained is not None or column.generated is not None:
                continue
            yield r.finding(
                column_loc(schema, table, column),
                f"{table.name}.{column.name} is set once by its default and never again: "
                "it holds the creation time, not the last update",
                'add maintained = "on_update" (a trigger sets it to now() on every UPDATE)',
            )


_PLAIN_TYPES = ("text", "varchar", "char", "citext", "bytea", "json", "jsonb")


@check(id="plaintext-secret", family="schema", severity="error")
def plaintext_secret(schema: Schema) -> Iterator[Finding]:
    """A secret-looking column stored as plain text with no encryption/hashing marker."""
    r = rule("plaintext-secret")
    for table in schema.tables:
        for column in table.columns:
            if column.secret is not None or column.type.name not in _PLAIN_TYPES:
                continue
            if not secret_like(column.name):
                continue
            yield r.finding(
                column_loc(schema, table, column),
                f"{table.name}.{column.name} looks like a credential stored as plain "
                f"{column.type.spec_text()}: anyone who can read the table or a backup can use it",
                'store it encrypted or hashed and mark it secret = "encrypted" / "hashed"',
            )


@check(
    id="tenant-table-without-rls",
    family="schema",
    severity="warning",
    default_enabled=False,
)
def tenant_table_without_rls(schema: Schema) -> Iterator[Finding]:
    """A table whose rows belong to a user/tenant has no row-level security (opt-in)."""
    r = rule("tenant-table-without-rls")
    owners = {t.name for t in schema.tables if t.owner_table}
    for table in schema.tables:
        if table.rls_enabled or table.owner_table:
            continue
        via = table.owner
        if via is None:
            via = next((fk.columns[0] for fk in table.foreign_keys if fk.ref_table in owners), None)
        if via is None:
            continue
        yield r.finding(
            table_loc(schema, table),
            f"{table.name} rows are owned through {via} but row-level security is off: "
            "one missing WHERE in the application leaks another tenant's rows",
            f'add tenant = {{ column = "{via}", setting = "app.user_id" }} to the table',
        )


# --------------------------------------------------------------------------- indexes


def _element_key(e: IndexElement) -> tuple[object, ...]:
    return (e.column, e.expression, e.descending, e.nulls_first, e.opclass)


def _all_indexes(table: Table) -> list[Index]:
    """Constraints as the indexes Postgres builds for them, plus declared indexes."""
    from pgwarden.spec.model import Index, IndexElement

    out: list[Index] = []
    if table.primary_key:
        pk = table.primary_key
        out.append(Index(pk.name, tuple(IndexElement(c) for c in pk.columns), unique=True))
    for u in table.uniques:
        out.append(Index(u.name, tuple(IndexElement(c) for c in u.columns), unique=True))
    out.extend(table.indexes)
    return out


def _same_shape(a: Index, b: Index) -> bool:
    return a.method == b.method and (a.where or None) == (b.where or None)


@check(id="duplicate-index", family="schema", severity="warning")
def duplicate_index(schema: Schema) -> Iterator[Finding]:
    """Two indexes with the same keys, method and predicate."""
    r = rule("duplicate-index")
    for table in schema.tables:
        indexes = _all_indexes(table)
        for n, a in enumerate(indexes):
            for b in indexes[n + 1 :]:
                if not _same_shape(a, b) or a.include != b.include:
                    continue
                if [_element_key(e) for e in a.elements] != [_element_key(e) for e in b.elements]:
                    continue
                # Keep the one that enforces something; report the other.
                keep, drop = (a, b) if a.unique or not b.unique else (b, a)
                if drop.unique and keep.unique and drop in table.indexes and keep in table.indexes:
                    keep, drop = sorted((a, b), key=lambda i: i.name)
                yield r.finding(
                    object_loc(schema, table, drop.source, drop.name),
                    f"index {drop.name} duplicates {keep.name} on {table.name}: every write "
                    "maintains both",
                    f"drop {drop.name}",
                )


@check(id="redundant-index", family="schema", severity="warning")
def redundant_index(schema: Schema) -> Iterator[Finding]:
    """A non-unique index whose keys are a strict prefix of another index's keys."""
    r = rule("redundant-index")
    for table in schema.tables:
        indexes = _all_indexes(table)
        for a in indexes:
            if a.unique or a.method != "btree":
                continue
            ka = [_element_key(e) for e in a.elements]
            for b in indexes:
                if b is a or not _same_shape(a, b):
                    continue
                kb = [_element_key(e) for e in b.elements]
                if len(kb) > len(ka) and kb[: len(ka)] == ka:
                    yield r.finding(
                        object_loc(schema, table, a.source, a.name),
                        f"index {a.name} is a prefix of {b.name} on {table.name}: "
                        f"{b.name} serves the same lookups",
                        f"drop {a.name}",
                    )
                    break


# --------------------------------------------------------------------------- partitioning


@check(id="partitioned-unique-without-key", family="schema", severity="error")
def partitioned_unique_without_key(schema: Schema) -> Iterator[Finding]:
    """A unique rule on a partitioned table that does not contain the partition key."""
    from pgwarden.spec.partitions import key_columns, key_is_columns

    r = rule("partitioned-unique-without-key")
    for table in schema.tables:
        if table.partition_by is None:
            continue
        key = key_columns(table.partition_by)
        plain = key_is_columns(table.partition_by)
        rules: list[tuple[str, tuple[str | None, ...], Source | None, str | None]] = []
        if table.primary_key is not None:
            pk = table.primary_key
            rules.append((pk.name, pk.columns, pk.source, None))
        rules += [(u.name, u.columns, u.source, None) for u in table.uniques]
        rules += [(i.name, i.column_names, i.source, i.where) for i in table.indexes if i.unique]
        for name, columns, source, where in rules:
            missing = [k for k in key if k not in columns]
            if plain and not missing:
                continue
            partial = f" (partial: WHERE {where})" if where else ""
            need = ", ".join(missing) if plain else table.partition_by
            yield r.finding(
                object_loc(schema, table, source, name),
                f"unique rule {name}{partial} on {table.name} cannot hold: {table.name} is "
                f"partitioned by {table.partition_by}, and Postgres checks uniqueness per "
                f"partition only, so a unique rule there must contain the partition key "
                f"({need}); Postgres refuses to create it",
                f"add {need} to the rule's columns (it then says unique per {need} as well), "
                "or keep the rule in a table that is not partitioned"
                if plain
                else "partition by plain columns to keep a unique rule, or drop the rule",
            )
