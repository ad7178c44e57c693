"""What Prisma's schema language means on PostgreSQL, as tables: scalar and native
types, the attributes and named arguments each construct takes, referential actions,
index methods, the defaults Prisma computes in the client."""

from __future__ import annotations

import re

from pgwarden.spec.model import ColumnType, FkAction, IndexMethod

#: Prisma scalar -> the column type Prisma Migrate creates on PostgreSQL.
SCALARS: dict[str, ColumnType] = {
    "String": ColumnType("text"),
    "Int": ColumnType("integer"),
    "BigInt": ColumnType("bigint"),
    "Float": ColumnType("double precision"),
    "Decimal": ColumnType("numeric", (65, 30)),
    "Boolean": ColumnType("boolean"),
    "DateTime": ColumnType("timestamp", (3,)),
    "Json": ColumnType("jsonb"),
    "Bytes": ColumnType("bytea"),
}

#: ``@db.<Name>`` -> (scalars it applies to, pgwarden type name or None when the
#: model cannot represent it, max number of arguments).
NATIVE_TYPES: dict[str, tuple[frozenset[str], str | None, int]] = {
    "Text": (frozenset({"String"}), "text", 0),
    "VarChar": (frozenset({"String"}), "varchar", 1),
    "Char": (frozenset({"String"}), "char", 1),
    "Uuid": (frozenset({"String"}), "uuid", 0),
    "Inet": (frozenset({"String"}), "inet", 0),
    "Citext": (frozenset({"String"}), "citext", 0),
    "Xml": (frozenset({"String"}), "xml", 0),
    "Bit": (frozenset({"String"}), "bit", 1),
    "VarBit": (frozenset({"String"}), "varbit", 1),
    "Boolean": (frozenset({"Boolean"}), "boolean", 0),
    "Integer": (frozenset({"Int"}), "integer", 0),
    "SmallInt": (frozenset({"Int"}), "smallint", 0),
    "Oid": (frozenset({"Int"}), "oid", 0),
    "BigInt": (frozenset({"BigInt"}), "bigint", 0),
    "DoublePrecision": (frozenset({"Float"}), "double precision", 0),
    "Real": (frozenset({"Float"}), "real", 0),
    "Decimal": (frozenset({"Decimal", "Float"}), "numeric", 2),
    "Money": (frozenset({"Decimal", "Float"}), "money", 0),
    "Timestamp": (frozenset({"DateTime"}), "timestamp", 1),
    "Timestamptz": (frozenset({"DateTime"}), "timestamptz", 1),
    "Date": (frozenset({"DateTime"}), "date", 0),
    "Time": (frozenset({"DateTime"}), "time", 1),
    "Timetz": (frozenset({"DateTime"}), "timetz", 1),
    "Json": (frozenset({"Json"}), "json", 0),
    "JsonB": (frozenset({"Json"}), "jsonb", 0),
    "ByteA": (frozenset({"Bytes"}), "bytea", 0),
}

FIELD_ATTRIBUTES = frozenset({"id", "default", "unique", "relation", "map", "updatedAt", "ignore"})
BLOCK_ATTRIBUTES = frozenset({"id", "unique", "index", "map", "ignore", "schema", "fulltext"})

#: Named arguments each attribute takes (Prisma's reference); any other is an error.
_KEYED = frozenset({"map", "length", "sort", "clustered"})
FIELD_ARGS: dict[str, frozenset[str]] = {
    "id": _KEYED,
    "unique": _KEYED,
    "default": frozenset({"value", "map"}),
    "relation": frozenset({"name", "fields", "references", "onDelete", "onUpdate", "map"}),
    "map": frozenset({"name"}),
}
BLOCK_ARGS: dict[str, frozenset[str]] = {
    "id": _KEYED | {"fields", "name"},
    "unique": _KEYED | {"fields", "name"},
    "index": _KEYED | {"fields", "name", "type", "ops"},
    "map": frozenset({"name"}),
}

REFERENTIAL_ACTIONS: dict[str, FkAction] = {
    "Cascade": "cascade",
    "Restrict": "restrict",
    "NoAction": "no action",
    "SetNull": "set null",
    "SetDefault": "set default",
}

INDEX_TYPES: dict[str, IndexMethod] = {
    "BTree": "btree",
    "Hash": "hash",
    "Gist": "gist",
    "Gin": "gin",
    "SpGist": "spgist",
    "Brin": "brin",
}

COMMENTED_ATTRIBUTE = re.compile(r"^@@?(?:id|unique|index|relation|default|map)\b")

#: Defaults Prisma computes in the client: the database column gets no default.
CLIENT_DEFAULTS = frozenset({"uuid", "cuid", "nanoid", "ulid"})
