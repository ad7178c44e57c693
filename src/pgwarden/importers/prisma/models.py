"""Models as tables: attribute checks, the primary key, ``@unique`` / ``@@unique`` /
``@@index`` as indexes."""

from __future__ import annotations

import re

from pgwarden.importers.prisma.columns import field_column
from pgwarden.importers.prisma.context import Context, ModelInfo
from pgwarden.importers.prisma.vocabulary import (
    BLOCK_ARGS,
    BLOCK_ATTRIBUTES,
    FIELD_ARGS,
    FIELD_ATTRIBUTES,
    INDEX_TYPES,
)
from pgwarden.importers.prisma_ast import Arg, Array, Attribute, Call, Expr, Name, Str
from pgwarden.spec import names
from pgwarden.spec.model import Column, Index, IndexElement, IndexMethod, PrimaryKey, Table


def model(cx: Context, info: ModelInfo) -> Table | None:
    """A model as its table: columns, primary key and indexes (foreign keys come later,
    from :func:`~pgwarden.importers.prisma.relations.relations`)."""
    block = info.block
    tname = info.table
    columns: list[Column] = []
    pk: PrimaryKey | None = None
    indexes: list[Index] = []
    for attr in block.attributes:
        _check_args(cx, attr, BLOCK_ARGS, f"model {block.name}")
        if attr.name not in BLOCK_ATTRIBUTES:
            cx.error(
                attr.line,
                f"model {block.name}",
                f"unknown attribute {attr.spelling}",
                "model attributes are @@id, @@unique, @@index, @@map, @@ignore, @@schema",
            )
        elif attr.name == "ignore":
            cx.warn(
                attr.line,
                f"model {block.name}",
                "@@ignore hides the model from Prisma Client only; the table exists, "
                "so it is imported",
            )
        elif attr.name == "fulltext":
            cx.error(
                attr.line,
                f"model {block.name}",
                "@@fulltext is a MySQL/MongoDB index; PostgreSQL has no equivalent",
                "use a GIN index over a tsvector expression in the spec instead",
            )
    for f in block.fields:
        path = f"tables.{tname}.columns.{info.columns.get(f.name, f.name)}"
        for attr in f.attributes:
            _check_args(cx, attr, FIELD_ARGS, f"{block.name}.{f.name}")
            if attr.name not in FIELD_ATTRIBUTES and not attr.name.startswith("db."):
                cx.error(
                    attr.line,
                    f"{block.name}.{f.name}",
                    f"unknown attribute {attr.spelling}",
                    "field attributes are @id, @default, @unique, @relation, @map, "
                    "@updatedAt, @ignore and @db.<NativeType>",
                )
        if not cx.is_scalar(f):
            continue
        column = field_column(cx, info, f, path)
        if column is None:
            continue
        columns.append(column)
        id_attr = f.attribute("id")
        if id_attr is not None:
            if pk is not None:
                cx.error(
                    id_attr.line,
                    path,
                    "a model has one @id",
                    "use @@id([a, b]) for a composite key",
                )
            pk = PrimaryKey(
                cx.map_name(id_attr) or names.primary_key(tname),
                (column.name,),
                source=cx.source(f"tables.{tname}.primary_key", id_attr.line),
            )
        unique = f.attribute("unique")
        if unique is not None:
            element = IndexElement(column=column.name, descending=_descending(cx, unique))
            indexes.append(
                Index(
                    cx.map_name(unique) or names.unique(tname, [column.name]),
                    (element,),
                    unique=True,
                    source=cx.source(f"{path}.unique", unique.line),
                )
            )
    for attr in block.attributes:
        if attr.name == "id":
            cols = _field_list(cx, info, attr)
            if pk is not None:
                cx.error(attr.line, f"model {block.name}", "both @id and @@id", "keep one of them")
            elif cols:
                pk = PrimaryKey(
                    cx.map_name(attr) or names.primary_key(tname),
                    tuple(e.column or "" for e in cols),
                    source=cx.source(f"tables.{tname}.primary_key", attr.line),
                )
        elif attr.name in ("unique", "index"):
            index = _block_index(cx, info, attr)
            if index is not None:
                indexes.append(index)
    return Table(
        tname,
        tuple(columns),
        primary_key=pk,
        indexes=tuple(indexes),
        comment=block.doc,
        source=cx.source(f"tables.{tname}", block.line),
    )


def _check_args(cx: Context, attr: Attribute, table: dict[str, frozenset[str]], where: str) -> None:
    """Named arguments the attribute does not take are errors, not silently ignored."""
    allowed = table.get(attr.name, frozenset())
    for arg in attr.args:
        if arg.name is None or arg.name in allowed:
            continue
        hint = (
            f"{attr.spelling} takes " + ", ".join(f"{a}:" for a in sorted(allowed))
            if allowed
            else f"{attr.spelling} takes no named arguments"
        )
        cx.error(attr.line, where, f"{attr.spelling}: unknown argument {arg.name}:", hint)
    if attr.named("length") is not None or attr.named("clustered") is not None:
        cx.warn(
            attr.line,
            where,
            f"{attr.spelling}: length:/clustered: are MySQL/SQL Server options; ignored",
        )


def _descending(cx: Context, attr: Attribute) -> bool:
    sort = attr.named("sort")
    if sort is None:
        return False
    if isinstance(sort, Name) and sort.name in ("Asc", "Desc"):
        return sort.name == "Desc"
    cx.error(attr.line, attr.spelling, "sort: must be Asc or Desc")
    return False


def _field_list(cx: Context, info: ModelInfo, attr: Attribute) -> list[IndexElement]:
    """The ``[a, b(sort: Desc)]`` argument of @@id/@@unique/@@index as index keys."""
    value = attr.first("fields")
    where = f"model {info.block.name}"
    if not isinstance(value, Array) or not value.items:
        cx.error(
            attr.line,
            where,
            f"{attr.spelling} needs a list of fields",
            f"{attr.spelling}([a, b])",
        )
        return []
    out: list[IndexElement] = []
    for item in value.items:
        args: tuple[Arg, ...] = ()
        if isinstance(item, Name):
            fname = item.name
        elif isinstance(item, Call):
            fname, args = item.name, item.args
        else:
            cx.error(attr.line, where, f"{attr.spelling}: expected a field name")
            continue
        column = info.columns.get(fname)
        if column is None:
            known = any(f.name == fname for f in info.block.fields)
            cx.error(
                attr.line,
                where,
                f"{attr.spelling} refers to {fname!r}, "
                + ("a relation field" if known else "which is not a field of the model"),
                "list scalar fields (the columns), e.g. the relation's `fields`",
            )
            continue
        descending = False
        opclass: str | None = None
        for arg in args:
            if arg.name == "sort" and isinstance(arg.value, Name):
                descending = arg.value.name == "Desc"
            elif arg.name == "ops":
                opclass = _opclass(cx, arg.value, attr.line, where)
            elif arg.name == "length":
                cx.warn(attr.line, where, "length: is a MySQL index prefix; ignored on PostgreSQL")
            else:
                cx.error(attr.line, where, f"unknown index field argument {arg.name!r}")
        out.append(IndexElement(column=column, descending=descending, opclass=opclass))
    return out


def _opclass(cx: Context, value: Expr, line: int, where: str) -> str | None:
    if isinstance(value, Call) and value.name == "raw" and value.args:
        raw = value.args[0].value
        if isinstance(raw, Str):
            return raw.value
    if isinstance(value, Name):
        # JsonbPathOps -> jsonb_path_ops, Int4MinMaxMultiOps -> int4_minmax_multi_ops
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value.name).lower()
        return snake.replace("min_max", "minmax")
    cx.error(line, where, 'ops: expects an operator class (e.g. JsonbPathOps) or raw("...")')
    return None


def _block_index(cx: Context, info: ModelInfo, attr: Attribute) -> Index | None:
    elements = _field_list(cx, info, attr)
    if not elements:
        return None
    tname = info.table
    cols = [e.column or "" for e in elements]
    unique = attr.name == "unique"
    name = cx.map_name(attr)
    client_name = attr.named("name")
    if name is None and not unique and isinstance(client_name, Str):
        # Prisma 2 spelled the database name of an index `name:`
        name = client_name.value
    if name is None:
        name = names.unique(tname, cols) if unique else names.index(tname, cols)
    method: IndexMethod = "btree"
    itype = attr.named("type")
    if itype is not None:
        if isinstance(itype, Name) and itype.name in INDEX_TYPES:
            method = INDEX_TYPES[itype.name]
        else:
            cx.error(
                attr.line,
                f"model {info.block.name}",
                "unknown index type",
                "type: is one of " + ", ".join(INDEX_TYPES),
            )
    kind = "uniques" if unique else "indexes"
    return Index(
        name,
        tuple(elements),
        unique=unique,
        method=method,
        source=cx.source(f"tables.{tname}.{kind}", attr.line),
    )
