"""Indexes and exclusion constraints: keys (columns or expressions, with order,
nulls, collation and operator class; an exclusion key adds its operator)."""

from __future__ import annotations

import re

from pgwarden.spec import names
from pgwarden.spec.exprs import name_hint
from pgwarden.spec.load.reader import SpecPath, SpecReader
from pgwarden.spec.model import ExclusionConstraint, ExclusionElement, Index, IndexElement

INDEX_KEYS = (
    "columns",
    "name",
    "unique",
    "method",
    "where",
    "include",
    "nulls_not_distinct",
    "all_rows",
)
INDEX_ELEMENT_KEYS = ("column", "expression", "order", "nulls", "opclass", "collation")
EXCLUSION_KEYS = (
    "columns",
    "name",
    "method",
    "where",
    "include",
    "deferrable",
    "initially_deferred",
)
EXCLUSION_ELEMENT_KEYS = (*INDEX_ELEMENT_KEYS, "with")

# an access method is an identifier (the built-ins, an extension's hnsw or ivfflat)
_METHOD = re.compile(r"^[a-z_][a-z0-9_]*$")


def read_index(
    r: SpecReader, path: SpecPath, item: object, *, table: str, active_rows: str | None
) -> Index | None:
    """One ``[[tables.X.indexes]]`` entry; a unique one is partial over ``active_rows``
    (the soft-delete predicate) unless it has its own ``where`` or ``all_rows``."""
    raw = r.mapping(item, path, INDEX_KEYS)
    if raw is None:
        return None
    value = raw.get("columns")
    if not isinstance(value, list) or not value:
        r.problem(
            path,
            "needs a non-empty list `columns`",
            'columns = ["userId"] or columns = [{ expression = "lower(email)" }]',
        )
        return None
    elements: list[IndexElement] = []
    for i, el in enumerate(value):
        element = _element(r, (*path, f"columns[{i}]"), el)
        if element is not None:
            elements.append(element)
    if len(elements) != len(value):
        return None
    unique = r.boolean(raw, "unique", path)
    where = r.expr(raw, "where", path)
    partial = False
    if unique and where is None and active_rows and not r.boolean(raw, "all_rows", path):
        where, partial = active_rows, True
    method = _method(r, raw, path, "btree")
    key_words = [e.column or name_hint(e.expression or "") for e in elements]
    return Index(
        name=r.string(raw, "name", path) or names.index(table, key_words),
        elements=tuple(elements),
        unique=unique,
        method=method,
        where=where,
        include=r.strings(raw, "include", path) or (),
        nulls_not_distinct=r.boolean(raw, "nulls_not_distinct", path),
        soft_delete_partial=partial,
        source=r.source(path),
    )


def _element(r: SpecReader, path: SpecPath, value: object) -> IndexElement | None:
    if isinstance(value, str) and value:
        return IndexElement(column=value)
    e = r.mapping(value, path, INDEX_ELEMENT_KEYS)
    if e is None:
        return None
    column = r.string(e, "column", path)
    expression = r.expr(e, "expression", path)
    if (column is None) == (expression is None):
        if "expression" not in e or "column" in e:
            r.problem(
                path,
                "give exactly one of `column` or `expression`",
                'e.g. { column = "email" } or { expression = "lower(email)" }',
            )
        return None
    descending = r.choice(e, "order", path, choices=("asc", "desc"), default="asc") == "desc"
    nulls = r.choice(e, "nulls", path, choices=("first", "last"), default=None)
    nulls_first: bool | None = None if nulls is None else nulls == "first"
    if nulls_first == descending:  # the direction's default: store as unset
        nulls_first = None
    return IndexElement(
        column=column,
        expression=expression,
        descending=descending,
        nulls_first=nulls_first,
        opclass=r.string(e, "opclass", path),
        collation=r.string(e, "collation", path),
    )


def _method(r: SpecReader, raw: dict[str, object], path: SpecPath, default: str) -> str:
    """An index access method; whether it exists is validation's question."""
    value = raw.get("method")
    if value is None:
        return default
    if not isinstance(value, str) or not _METHOD.match(value.lower()):
        r.problem(
            (*path, "method"),
            f"{value!r} is not an index method name",
            'use btree, hash, gist, gin, brin, spgist or an extension\'s ("hnsw")',
        )
        return default
    return value.lower()


def read_exclusion(
    r: SpecReader, path: SpecPath, item: object, *, table: str
) -> ExclusionConstraint | None:
    """One ``[[tables.X.exclusions]]`` entry: ``columns = [{ column, with }, ...]``."""
    raw = r.mapping(item, path, EXCLUSION_KEYS)
    if raw is None:
        return None
    value = raw.get("columns")
    if not isinstance(value, list) or not value:
        r.problem(
            path,
            "needs a non-empty list `columns`",
            'columns = [{ column = "room", with = "=" }, '
            '{ expression = "tsrange(starts, ends)", with = "&&" }]',
        )
        return None
    elements: list[ExclusionElement] = []
    for i, el in enumerate(value):
        epath = (*path, f"columns[{i}]")
        e = r.mapping(el, epath, EXCLUSION_ELEMENT_KEYS)
        if e is None:
            continue
        operator = r.string(e, "with", epath, required=True)
        key = _element(r, epath, {k: v for k, v in e.items() if k != "with"})
        if key is None or operator is None:
            continue
        elements.append(
            ExclusionElement(
                operator=operator,
                column=key.column,
                expression=key.expression,
                opclass=key.opclass,
                collation=key.collation,
                descending=key.descending,
                nulls_first=key.nulls_first,
            )
        )
    if len(elements) != len(value):
        return None
    deferrable = r.boolean(raw, "deferrable", path)
    key_words = [e.column or "expr" for e in elements]
    return ExclusionConstraint(
        name=r.string(raw, "name", path) or names.exclusion(table, key_words),
        elements=tuple(elements),
        method=_method(r, raw, path, "gist"),
        where=r.expr(raw, "where", path),
        include=r.strings(raw, "include", path) or (),
        deferrable=deferrable,
        initially_deferred=r.boolean(raw, "initially_deferred", path),
        source=r.source(path),
    )
