"""Columns: type, default, identity, generated expression and intent markers.

Column *sugar* (``primary_key``, ``unique``, ``references``) is table-level
meaning written on a column; the table reader (``load.tables``) turns it into
constraints, so this module only reads the column itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pgwarden.spec.exprs import ExprSyntaxError, LiteralError, literal_sql
from pgwarden.spec.load.reader import SpecPath, SpecReader, did_you_mean
from pgwarden.spec.load.sequences import OPTION_KEYS, read_options
from pgwarden.spec.model import (
    DEFAULT_SEQUENCE,
    Column,
    ColumnType,
    Enum,
    IdentityKind,
    SequenceOptions,
)
from pgwarden.spec.sequences import SEQUENCE_TYPES
from pgwarden.spec.types import (
    INTEGER_TYPES,
    TypeSyntaxError,
    is_numeric,
    is_textual,
    parse_type,
)

COLUMN_KEYS = (
    "type",
    "nullable",
    "default",
    "default_sql",
    "identity",
    "generated",
    "backfill",
    "primary_key",
    "unique",
    "references",
    "maintained",
    "comment",
    "collation",
    "secret",
    "renamed_from",
    "ignore",
)
IDENTITY_KINDS: tuple[IdentityKind, ...] = ("always", "by default", "serial")
SECRET_KINDS = ("encrypted", "hashed")

# a string default that looks like a call or an SQL keyword: almost surely meant as SQL
_LOOKS_LIKE_SQL = re.compile(
    r"^\s*(?:[A-Za-z_][\w.]*\s*\(.*\)|current_timestamp|current_date|current_time|localtimestamp"
    r"|localtime|current_user)\s*$",
    re.IGNORECASE | re.DOTALL,
)


def read_column(
    r: SpecReader, path: SpecPath, name: str, value: object, enums: Mapping[str, Enum]
) -> tuple[Column, dict[str, Any]] | None:
    """The column and its raw table (the caller reads the constraint sugar from it)."""
    raw = r.mapping(value, path, COLUMN_KEYS)
    if raw is None:
        return None
    type_text = r.string(raw, "type", path, required=True)
    col_type: ColumnType | None = None
    if type_text is not None:
        try:
            col_type = parse_type(type_text)
        except TypeSyntaxError as exc:
            r.problem((*path, "type"), str(exc), "see the type list in docs/spec.md")
    default = read_default(r, raw, path, col_type, enums)
    identity, identity_options = _identity(r, raw, path, col_type)
    maintained: Literal["on_update"] | None = r.choice(
        raw, "maintained", path, choices=("on_update",), default=None
    )
    column = Column(
        name=name,
        type=col_type or ColumnType("text"),
        nullable=r.boolean(raw, "nullable", path),
        default=default,
        identity=identity,
        identity_options=identity_options,
        generated=r.expr(raw, "generated", path),
        comment=r.string(raw, "comment", path),
        collation=r.string(raw, "collation", path),
        maintained=maintained,
        renamed_from=r.string(raw, "renamed_from", path),
        secret=r.choice(raw, "secret", path, choices=SECRET_KINDS, default=None),
        ignore=r.suppressions(raw, path),
        backfill=r.expr(raw, "backfill", path),
        source=r.source(path),
    )
    return column, raw


def _identity(
    r: SpecReader, raw: dict[str, Any], path: SpecPath, col_type: ColumnType | None
) -> tuple[IdentityKind | None, SequenceOptions]:
    """``identity = "always"``, or ``{ kind = "always", start = 100, increment = 10, ... }``."""
    value = raw.get("identity")
    if not isinstance(value, dict):
        return r.choice(
            raw, "identity", path, choices=IDENTITY_KINDS, default=None
        ), DEFAULT_SEQUENCE
    ipath = (*path, "identity")
    entry = r.mapping(value, ipath, ("kind", *OPTION_KEYS))
    if entry is None:
        return None, DEFAULT_SEQUENCE
    kinds: tuple[IdentityKind, ...] = ("always", "by default")
    kind = r.choice(entry, "kind", ipath, choices=kinds, default="by default")
    type_name = col_type.name if col_type is not None else "bigint"
    if type_name not in SEQUENCE_TYPES or (col_type is not None and col_type.array):
        r.problem(ipath, f"an identity column is smallint, integer or bigint, not {type_name}")
        return None, DEFAULT_SEQUENCE
    return kind, read_options(r, entry, ipath, type_name)


def read_default(
    r: SpecReader,
    raw: dict[str, Any],
    path: SpecPath,
    col_type: ColumnType | None,
    enums: Mapping[str, Enum],
) -> str | None:
    """The default of a column or a domain: ``default`` (a literal checked against the
    type) or ``default_sql`` (an expression), not both."""
    if "default" not in raw:
        return r.expr(raw, "default_sql", path) if "default_sql" in raw else None
    default = default_literal(r, path, raw["default"], col_type, enums)
    if "default_sql" in raw:
        r.problem(
            path,
            "both default and default_sql are set",
            "keep default for a literal value or default_sql for an SQL expression",
        )
    return default


def default_literal(
    r: SpecReader,
    path: SpecPath,
    value: object,
    col_type: ColumnType | None,
    enums: Mapping[str, Enum],
) -> str | None:
    """A ``default = ...`` TOML value as SQL literal text checked against the column's type
    (an enum default must be one of its values)."""
    dpath = (*path, "default")
    if col_type is not None:
        wrong = literal_mismatch(value, col_type, enums)
        if wrong:
            message, hint = wrong
            r.problem(dpath, message, hint)
            return None
    try:
        return literal_sql(value)
    except (LiteralError, ExprSyntaxError) as exc:
        r.problem(dpath, str(exc), "use default_sql for an SQL expression")
        return None


def literal_mismatch(
    value: object, col_type: ColumnType, enums: Mapping[str, Enum]
) -> tuple[str, str] | None:
    """Why a TOML default does not fit the column type (message, fix), or None."""
    if isinstance(value, list):
        if not col_type.array:
            return (
                f"an array default on a non-array column of type {col_type.spec_text()}",
                f"make the type {col_type.spec_text()}[] or give a single value",
            )
        for item in value:
            wrong = literal_mismatch(item, col_type.element, enums)
            if wrong:
                return wrong
        return None
    if col_type.array and not isinstance(value, str):
        return (
            f"a single value default on array column of type {col_type.spec_text()}",
            "write a list: default = [...] (or [] for empty)",
        )
    if col_type.array:
        return None
    if isinstance(value, bool):
        if col_type.name != "boolean":
            return (
                f"boolean default on a column of type {col_type.spec_text()}",
                "give a value of the column's type",
            )
        return None
    if isinstance(value, int | float):
        if not is_numeric(col_type):
            return (
                f"numeric default on a column of type {col_type.spec_text()}",
                "quote it as a string or change the column type",
            )
        if isinstance(value, float) and col_type.name in INTEGER_TYPES:
            return (
                f"fractional default {value} on an integer column",
                "give a whole number or make the column numeric",
            )
        return None
    if isinstance(value, str):
        enum = enums.get(col_type.name) if not col_type.is_builtin else None
        if enum is not None and enum.values and value not in enum.values:
            return (
                f"default {value!r} is not a value of enum {enum.name} ({', '.join(enum.values)})",
                did_you_mean(value, list(enum.values)) or "use one of the enum's values",
            )
        if col_type.is_builtin and not is_textual(col_type) and _LOOKS_LIKE_SQL.match(value):
            return (
                f"default = {value!r} is the string {value!r}, not an SQL call, "
                f"on a {col_type.spec_text()} column",
                f'use default_sql = "{value}"',
            )
    return None
