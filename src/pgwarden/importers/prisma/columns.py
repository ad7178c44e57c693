"""Scalar fields as columns: the type (scalar, enum, ``@db.*`` native, ``Unsupported``),
``@default`` (autoincrement, now, dbgenerated, literals), ``@updatedAt``."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from psycopg import sql

from pgwarden.importers.prisma.context import Context, ModelInfo
from pgwarden.importers.prisma.vocabulary import CLIENT_DEFAULTS, NATIVE_TYPES, SCALARS
from pgwarden.importers.prisma_ast import Array, Attribute, Call, Expr, Field, Name, Num, Str
from pgwarden.spec.model import Column, ColumnType
from pgwarden.spec.types import INTEGER_TYPES, TypeSyntaxError, parse_type, type_sql


def field_column(cx: Context, info: ModelInfo, f: Field, path: str) -> Column | None:
    """A scalar field as its column (None after reporting why it cannot be one)."""
    where = f"{info.block.name}.{f.name}"
    if f.type.unsupported is not None:
        # a type Prisma has no scalar for (vector(3), tsvector, ltree): the catalog's
        try:
            ctype: ColumnType | None = parse_type(f.type.unsupported)
        except TypeSyntaxError as exc:
            cx.error(
                f.line,
                where,
                f'Unsupported("{f.type.unsupported}"): {exc}',
                "change the column to a type the spec reads (docs/spec.md)",
            )
            return None
    else:
        ctype = column_type(cx, f, where)
    if ctype is None:
        return None
    if f.type.list:
        ctype = replace(ctype, array=True)
    default: str | None = None
    identity: Literal["serial"] | None = None
    default_attr = f.attribute("default")
    if default_attr is not None:
        default, identity = _default(cx, default_attr, f, ctype, where)
    maintained: Literal["on_update"] | None = None
    updated = f.attribute("updatedAt")
    if updated is not None:
        if f.type.name != "DateTime":
            cx.error(updated.line, where, "@updatedAt applies to a DateTime field")
        maintained = "on_update"
    ignored = f.attribute("ignore")
    if ignored is not None:
        cx.warn(
            ignored.line,
            where,
            "@ignore hides the field from Prisma Client only; the column exists, so it is imported",
        )
    return Column(
        info.columns[f.name],
        ctype,
        # Prisma creates scalar lists without NOT NULL
        nullable=f.type.optional or f.type.list,
        default=default,
        identity=identity,
        comment=f.doc,
        maintained=maintained,
        source=cx.source(path, f.line),
    )


def column_type(cx: Context, f: Field, where: str) -> ColumnType | None:
    """The column type Prisma Migrate creates for the field: its scalar or enum, overridden by
    a ``@db.*`` native type."""
    natives = [a for a in f.attributes if a.name.startswith("db.")]
    base: ColumnType | None
    if f.type.name in SCALARS:
        base = SCALARS[f.type.name]
    elif f.type.name in cx.enums:
        enum_block = cx.enums[f.type.name]
        map_attr = enum_block.attribute("map")
        enum_name = enum_block.name
        if (
            map_attr is not None
            and map_attr.positional()
            and isinstance(map_attr.positional()[0], Str)
        ):
            enum_name = map_attr.positional()[0].value  # type: ignore[union-attr]
        base = ColumnType(cx.qualified(enum_block, enum_name))
    else:
        cx.error(
            f.line,
            where,
            (
                f"relation to a missing model {f.type.name!r}"
                if f.attribute("relation") is not None
                else f"unknown type {f.type.name!r}"
            )
            + ": no model, enum or scalar type has this name",
            "declare the model or enum, or fix the spelling (scalars: " + ", ".join(SCALARS) + ")",
        )
        return None
    if not natives:
        return base
    if len(natives) > 1:
        cx.error(natives[1].line, where, "more than one @db native type")
    native = natives[0]
    key = native.name[3:]
    spec = NATIVE_TYPES.get(key)
    if spec is None:
        cx.error(
            native.line,
            where,
            f"unknown native type {native.spelling} for PostgreSQL",
            "PostgreSQL native types: " + ", ".join(f"@db.{n}" for n in NATIVE_TYPES),
        )
        return None
    scalars, pg_name, max_args = spec
    if f.type.name not in scalars:
        cx.error(
            native.line,
            where,
            f"{native.spelling} does not apply to {f.type.name}",
            f"{native.spelling} applies to " + ", ".join(sorted(scalars)),
        )
        return None
    if pg_name is None:
        cx.error(
            native.line,
            where,
            f"{native.spelling} has no equivalent in the pgwarden spec",
            "use a supported type (e.g. @db.Text) or manage this column outside pgwarden",
        )
        return None
    args = native.positional()
    mods: list[int] = []
    for arg in args:
        if not isinstance(arg, Num) or not arg.text.isdigit():
            cx.error(native.line, where, f"{native.spelling} takes integer arguments")
            return None
        mods.append(int(arg.text))
    if len(mods) > max_args:
        cx.error(native.line, where, f"{native.spelling} takes at most {max_args} argument(s)")
        return None
    if pg_name == "numeric" and len(mods) == 1:
        mods.append(0)  # Prisma writes DECIMAL(p) as numeric(p,0)
    return ColumnType(pg_name, tuple(mods))


def _default(
    cx: Context, attr: Attribute, f: Field, ctype: ColumnType, where: str
) -> tuple[str | None, Literal["serial"] | None]:
    value = attr.first("value")
    if value is None or len(attr.positional()) > 1:
        cx.error(attr.line, where, "@default takes one value", "@default(now()), @default(0), ...")
        return None, None
    if attr.named("map") is not None:
        cx.warn(
            attr.line,
            where,
            "@default(map: ...) names a SQL Server default constraint; ignored",
        )
    if isinstance(value, Call):
        fn = value.name
        if fn == "autoincrement":
            if ctype.name not in INTEGER_TYPES or ctype.array:
                cx.error(attr.line, where, "autoincrement() needs an Int or BigInt field")
                return None, None
            return None, "serial"
        if fn == "now":
            return "CURRENT_TIMESTAMP", None
        if fn == "dbgenerated":
            inner = [a.value for a in value.args]
            if not inner:
                cx.warn(
                    attr.line,
                    where,
                    "dbgenerated() without an expression: the default lives in the database "
                    "and Prisma does not know it; the imported column has no default",
                    'add the expression: @default(dbgenerated("...")), '
                    "or set default_sql in the spec",
                )
                return None, None
            if not isinstance(inner[0], Str):
                cx.error(attr.line, where, 'dbgenerated takes a string: dbgenerated("now()")')
                return None, None
            return inner[0].value, None
        if fn in CLIENT_DEFAULTS:
            cx.warn(
                attr.line,
                where,
                f"@default({fn}()) is computed by Prisma Client; the database column has no "
                "default, so none is imported",
                'for a database default use @default(dbgenerated("gen_random_uuid()")) '
                "or set default_sql in the spec",
            )
            return None, None
        cx.error(
            attr.line,
            where,
            f"@default({fn}()) is not supported on PostgreSQL",
            'use autoincrement(), now(), dbgenerated("...") or a literal',
        )
        return None, None
    literal = _literal(cx, value, f, ctype, where, attr.line)
    return literal, None


def _literal(
    cx: Context, value: Expr, f: Field, ctype: ColumnType, where: str, line: int
) -> str | None:
    if isinstance(value, Array):
        if not ctype.array:
            cx.error(line, where, "a list default on a field that is not a list")
            return None
        items = [_literal(cx, v, f, ctype.element, where, line) for v in value.items]
        if any(i is None for i in items):
            return None
        type_text = type_sql(ctype).as_string(None)
        return f"ARRAY[{', '.join(i for i in items if i)}]::{type_text}"
    if isinstance(value, Str):
        return sql.Literal(value.value).as_string(None)
    if isinstance(value, Num):
        return value.text
    if isinstance(value, Name):
        if value.name in ("true", "false"):
            return value.name
        if f.type.name in cx.enums:
            enum_block = cx.enums[f.type.name]
            for v in enum_block.fields:
                if v.name == value.name:
                    mapped = v.attribute("map")
                    db_value = v.name
                    if mapped is not None and mapped.positional():
                        first = mapped.positional()[0]
                        if isinstance(first, Str):
                            db_value = first.value
                    return sql.Literal(db_value).as_string(None)
            cx.error(line, where, f"{value.name!r} is not a value of enum {f.type.name}")
            return None
    cx.error(line, where, "cannot read this default value")
    return None
