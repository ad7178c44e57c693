"""Column types: parse spec spellings and Postgres's ``format_type`` output into
:class:`~pgwarden.spec.model.ColumnType`, and render a type as SQL.

One parser serves both directions, so ``varchar(20)`` in a spec and
``character varying(20)`` from the catalog become the same value.
"""

from __future__ import annotations

import re

from psycopg import sql

from pgwarden.spec.model import BUILTIN_TYPES, TYPE_MODIFIER_ARITY, ColumnType
from pgwarden.spec.names import split_name

#: Type families, by canonical name (the one home; spec.values adds the value ranges).
INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})
NUMBER_TYPES = frozenset({*INTEGER_TYPES, "numeric", "real", "double precision"})
TEXT_TYPES = frozenset({"text", "varchar", "char", "citext"})

#: Every accepted spelling (lower case, single spaces) -> canonical short name: each
#: built-in's own name (``BUILTIN_TYPES``, the one list) and its other spellings.
ALIASES: dict[str, str] = {
    **{name: name for name in BUILTIN_TYPES},
    "character varying": "varchar",
    "character": "char",
    "bpchar": "char",
    "int2": "smallint",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "decimal": "numeric",
    "float4": "real",
    "float8": "double precision",
    "double": "double precision",
    "bool": "boolean",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
}

#: Types of pg_catalog a spec names as they are (no alias, no special syntax):
#: rendered as a quoted name, which resolves to pg_catalog on any search_path.
CATALOG_TYPES = frozenset(
    {
        "tsvector",
        "tsquery",
        "int4range",
        "int8range",
        "numrange",
        "tsrange",
        "tstzrange",
        "daterange",
        "int4multirange",
        "int8multirange",
        "nummultirange",
        "tsmultirange",
        "tstzmultirange",
        "datemultirange",
        "point",
        "line",
        "lseg",
        "box",
        "path",
        "polygon",
        "circle",
        "money",
        "xml",
        "macaddr",
        "macaddr8",
        "bit",
        "varbit",
        "oid",
        "name",
        "regclass",
        "regtype",
        "regproc",
        "regprocedure",
        "regnamespace",
        "pg_lsn",
        "jsonpath",
        "txid_snapshot",
        "pg_snapshot",
        "",
    }
)

# "timestamp(3) with time zone", "numeric(10, 2)", "varchar(20)[]", "\"My Enum\"[]",
# "vector(3)", "extensions.vector(3)", "billing.\"Currency\""
_PART = r'"(?:[^"]|"")+"|[A-Za-z_][\w$]*'
_TYPE = re.compile(
    rf"""^\s*
    (?:(?P<schema>{_PART})\s*\.\s*)?
    (?P<name>"(?:[^"]|"")+"|[A-Za-z_][\w ]*?)\s*
    (?:\(\s*(?P<mods>\d+(?:\s*,\s*\d+)*)\s*\))?\s*
    (?P<tz>with\ time\ zone|without\ time\ zone)?\s*
    (?P<array>(?:\[\s*\d*\s*\]\s*)*)
    $""",
    re.VERBOSE | re.IGNORECASE,
)


def _unquote(part: str) -> str:
    return part[1:-1].replace('""', '"') if part.startswith('"') else part


class TypeSyntaxError(ValueError):
    """A type spelling that cannot be read; the message says what is accepted."""


_PARSED: dict[str, ColumnType] = {}


def parse_type(text: str) -> ColumnType:
    """Parse a type spelling. Unknown names are catalog, extension or user types
    (``tsvector``, ``vector(3)``, an enum), kept verbatim; ``schema.name`` names a
    type outside the default namespace.

    Built-in names are case-insensitive; other names keep their case
    (``SubscriptionPlan``), and a double-quoted name is unquoted.
    """
    # a pure function of the text, and a spec repeats a handful of spellings
    got = _PARSED.get(text)
    if got is None:
        got = _PARSED[text] = _parse_type(text)
    return got


def _parse_type(text: str) -> ColumnType:
    match = _TYPE.match(text)
    if not match:
        raise TypeSyntaxError(
            f"cannot read type {text!r}; write e.g. text, varchar(20), numeric(10,2), "
            "timestamptz, uuid[], vector(3) or an enum name"
        )
    raw_name = match.group("name").strip()
    mods = (
        tuple(int(m) for m in re.split(r"\s*,\s*", match.group("mods")))
        if match.group("mods")
        else ()
    )
    tz = match.group("tz")
    array = bool(match.group("array"))
    schema = match.group("schema")
    if schema is not None or raw_name.startswith('"'):
        if tz or (" " in raw_name and not raw_name.startswith('"')):
            raise TypeSyntaxError(f"cannot read type {text!r}")
        name = _unquote(raw_name)
        return ColumnType(f"{_unquote(schema)}.{name}" if schema else name, mods, array)
    key = " ".join(raw_name.lower().split())
    if tz:
        key = f"{key} {' '.join(tz.lower().split())}"
    canonical = ALIASES.get(key)
    if canonical is None:
        if tz or " " in raw_name:
            raise TypeSyntaxError(f"unknown type {text!r}; see docs/spec.md for the type list")
        return ColumnType(raw_name, mods, array)
    if mods:
        arity = TYPE_MODIFIER_ARITY.get(canonical)
        if arity is None:
            raise TypeSyntaxError(f"type {canonical} takes no modifiers, got {text!r}")
        low, high = arity
        if not low <= len(mods) <= high:
            raise TypeSyntaxError(f"type {canonical} takes {low}-{high} modifiers, got {text!r}")
    return ColumnType(canonical, mods, array)


def type_sql(column_type: ColumnType) -> sql.Composable:
    """The type as SQL: built-ins from a fixed table, user types quoted by psycopg."""
    if column_type.is_builtin:
        mods = (
            f"({','.join(str(m) for m in column_type.modifiers)})" if column_type.modifiers else ""
        )
        # a fixed spelling from BUILTIN_TYPES plus validated integers: no user text
        base: sql.Composable = sql.SQL(BUILTIN_TYPES[column_type.name].format(mods))
    else:
        base = sql.Identifier(*split_name(column_type.name))
        if column_type.modifiers:
            mods = ",".join(str(m) for m in column_type.modifiers)
            base = sql.Composed([base, sql.SQL(f"({mods})")])  # validated integers only
    return sql.Composed([base, sql.SQL("[]")]) if column_type.array else base


def is_numeric(column_type: ColumnType) -> bool:
    """Whether the type is one of the number family (integers, numeric, real, double)."""
    return column_type.name in NUMBER_TYPES


def is_textual(column_type: ColumnType) -> bool:
    """Whether the type is one of the text family (text, varchar, char, citext)."""
    return column_type.name in TEXT_TYPES
