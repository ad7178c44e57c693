"""Relation fields as foreign keys, and implicit many-to-many relations as the join
tables Prisma creates."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pgwarden.importers.prisma.columns import column_type
from pgwarden.importers.prisma.context import Context
from pgwarden.importers.prisma.vocabulary import REFERENTIAL_ACTIONS
from pgwarden.importers.prisma_ast import Array, Attribute, Expr, Field, Name, Str
from pgwarden.spec import names
from pgwarden.spec.model import Column, FkAction, ForeignKey, Index, IndexElement, PrimaryKey, Table


@dataclass(frozen=True, slots=True)
class _RelationField:
    model: str
    field: Field
    target: str
    name: str | None
    attr: Attribute | None


def relations(cx: Context, tables: list[Table]) -> list[Table]:
    """The tables with the foreign keys of their relation fields, plus the join tables of
    implicit many-to-many relations; a relation without its opposite field is an error."""
    by_model: dict[str, Table] = {}
    for t in tables:
        for model, info in cx.models.items():
            if info.table == t.name:
                by_model[model] = t
    rel_fields: list[_RelationField] = []
    for model, info in cx.models.items():
        for f in info.block.fields:
            if f.type.name in cx.composites:
                cx.error(
                    f.line,
                    f"{model}.{f.name}",
                    f"composite type {f.type.name!r} is MongoDB only",
                )
            if f.type.name not in cx.models:
                continue
            attr = f.attribute("relation")
            rel_name = None
            if attr is not None:
                first = attr.positional()[0] if attr.positional() else attr.named("name")
                if isinstance(first, Str):
                    rel_name = first.value
            rel_fields.append(_RelationField(model, f, f.type.name, rel_name, attr))
    join_tables: dict[str, Table] = {}
    for rf in rel_fields:
        has_fields = rf.attr is not None and rf.attr.named("fields") is not None
        if has_fields:
            fk = _foreign_key(cx, rf)
            if fk is not None and rf.model in by_model:
                t = by_model[rf.model]
                by_model[rf.model] = replace(t, foreign_keys=(*t.foreign_keys, fk))
            continue
        opposite = [
            o
            for o in rel_fields
            if o.model == rf.target
            and o.target == rf.model
            and o.name == rf.name
            and o.field is not rf.field
        ]
        where = f"{rf.model}.{rf.field.name}"
        if not opposite:
            cx.error(
                rf.field.line,
                where,
                f"relation field has no opposite relation field on model {rf.target}",
                f"add a field of type {rf.model} (or {rf.model}[]) to model {rf.target}",
            )
            continue
        other = opposite[0]
        other_has_fields = other.attr is not None and other.attr.named("fields") is not None
        if rf.field.type.list and other.field.type.list and not other_has_fields:
            join = _join_table(cx, rf, other)
            if join is not None:
                join_tables.setdefault(join.name, join)
        elif (
            not other_has_fields
            and not rf.field.type.list
            and not other.field.type.list
            and (rf.model, rf.field.name) < (other.model, other.field.name)
        ):
            cx.error(
                rf.field.line,
                where,
                f"one-to-one relation with {rf.target}: neither side has "
                "@relation(fields: [...], references: [...])",
                "add fields/references on the side that holds the foreign key",
            )
        if rf.attr is not None:
            for key in ("onDelete", "onUpdate"):
                if rf.attr.named(key) is not None:
                    cx.warn(
                        rf.attr.line,
                        where,
                        f"{key} on the side without `fields` has no effect",
                        "put referential actions next to fields/references",
                    )
    return [*by_model.values(), *join_tables.values()]


def _foreign_key(cx: Context, rf: _RelationField) -> ForeignKey | None:
    assert rf.attr is not None
    attr = rf.attr
    where = f"{rf.model}.{rf.field.name}"
    info = cx.models[rf.model]
    target = cx.models[rf.target]
    fields = _name_list(cx, attr.named("fields"), attr, "fields")
    refs = _name_list(cx, attr.named("references"), attr, "references")
    if fields is None or refs is None:
        return None
    if len(fields) != len(refs):
        cx.error(attr.line, where, "fields and references must have the same length")
        return None
    cols: list[str] = []
    for name in fields:
        if name not in info.columns:
            cx.error(attr.line, where, f"fields: {name!r} is not a scalar field of {rf.model}")
            return None
        cols.append(info.columns[name])
    ref_cols: list[str] = []
    for name in refs:
        if name not in target.columns:
            cx.error(attr.line, where, f"references: {name!r} is not a scalar field of {rf.target}")
            return None
        ref_cols.append(target.columns[name])
    optional = rf.field.type.optional
    on_delete = _action(cx, attr, "onDelete", "set null" if optional else "restrict", where)
    on_update = _action(cx, attr, "onUpdate", "cascade", where)
    fk_name = cx.map_name(attr) or names.foreign_key(info.table, cols)
    if cx.relation_mode_prisma:
        cx.warn(
            attr.line,
            where,
            f'relationMode = "prisma": no foreign key {fk_name} in the database '
            f"({info.table}({', '.join(cols)}) -> {target.table}); not imported",
            "add `references` to the column in the spec to enforce it "
            "(lint: relation without a foreign key)",
        )
        return None
    return ForeignKey(
        fk_name,
        tuple(cols),
        target.table,
        tuple(ref_cols),
        on_delete=on_delete,
        on_update=on_update,
        on_delete_explicit=attr.named("onDelete") is not None,
        source=cx.source(f"tables.{info.table}.foreign_keys", attr.line),
    )


def _name_list(cx: Context, value: Expr | None, attr: Attribute, key: str) -> list[str] | None:
    if value is None:
        cx.error(
            attr.line,
            attr.spelling,
            f"@relation with fields needs {key}: [...]",
            "@relation(fields: [userId], references: [id])",
        )
        return None
    if isinstance(value, Array) and all(isinstance(i, Name) for i in value.items):
        return [i.name for i in value.items if isinstance(i, Name)]
    cx.error(attr.line, attr.spelling, f"{key}: expects a list of field names")
    return None


def _action(cx: Context, attr: Attribute, key: str, default: FkAction, where: str) -> FkAction:
    value = attr.named(key)
    if value is None:
        return default
    if isinstance(value, Name) and value.name in REFERENTIAL_ACTIONS:
        return REFERENTIAL_ACTIONS[value.name]
    cx.error(
        attr.line,
        where,
        f"unknown referential action for {key}",
        f"{key}: one of " + ", ".join(REFERENTIAL_ACTIONS),
    )
    return default


def _join_table(cx: Context, a: _RelationField, b: _RelationField) -> Table | None:
    """The join table Prisma creates for an implicit many-to-many relation."""
    first, second = sorted([a.model, b.model])
    name = "_" + (a.name or f"{first}To{second}")
    cols: list[Column] = []
    fks: list[ForeignKey] = []
    for col_name, model in (("A", first), ("B", second)):
        info = cx.models[model]
        pk_fields = [f for f in info.block.fields if f.attribute("id") is not None]
        if len(pk_fields) != 1:
            cx.error(
                a.field.line,
                f"{a.model}.{a.field.name}",
                f"implicit many-to-many needs a single-field @id on {model}",
                "declare an explicit join model instead",
            )
            return None
        id_type = column_type(cx, pk_fields[0], f"{model}.{pk_fields[0].name}")
        if id_type is None:
            return None
        cols.append(Column(col_name, id_type, source=cx.source(f"tables.{name}", a.field.line)))
        if not cx.relation_mode_prisma:
            fks.append(
                ForeignKey(
                    names.foreign_key(name, [col_name]),
                    (col_name,),
                    info.table,
                    (info.columns[pk_fields[0].name],),
                    on_delete="cascade",
                    on_update="cascade",
                )
            )
    pair = (IndexElement(column="A"), IndexElement(column="B"))
    pk: PrimaryKey | None = None
    indexes = [Index(f"{name}_B_index", (IndexElement(column="B"),))]
    if cx.m2m == "primary-key":
        pk = PrimaryKey(names.primary_key(f"{name}_AB"), ("A", "B"))
    else:
        indexes.append(Index(f"{name}_AB_unique", pair, unique=True))
    return Table(
        name,
        tuple(cols),
        primary_key=pk,
        foreign_keys=tuple(fks),
        indexes=tuple(indexes),
        source=cx.source(f"tables.{name}", a.field.line),
    )
