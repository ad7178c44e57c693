"""``[domains.Name]`` and ``[composite_types.Name]``: user types columns may use.

A domain is a base type with an optional collation, default, NOT NULL and CHECK
constraints over ``VALUE``; a composite type is an ordered list of attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pgwarden.spec import names
from pgwarden.spec.load.columns import read_default
from pgwarden.spec.load.constraints import read_named_checks
from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.model import (
    CheckConstraint,
    ColumnType,
    CompositeAttribute,
    CompositeType,
    Domain,
    Enum,
)
from pgwarden.spec.types import TypeSyntaxError, parse_type

DOMAIN_KEYS = ("type", "not_null", "default", "default_sql", "checks", "collation", "comment")
DOMAIN_CHECK_KEYS = ("name", "expression")
COMPOSITE_KEYS = ("attributes", "comment")
ATTRIBUTE_KEYS = ("type", "collation")


def _type(r: SpecReader, path: SpecPath, text: str | None) -> ColumnType | None:
    if text is None:
        return None
    try:
        return parse_type(text)
    except TypeSyntaxError as exc:
        r.problem(path, str(exc), "see the type list in docs/spec.md")
        return None


def read_domain(
    r: SpecReader, name: str, value: object, enums: Mapping[str, Enum]
) -> Domain | None:
    """``[domains.Name]``: the base type, default, NOT NULL and checks of a domain."""
    path: SpecPath = ("domains", name)
    raw = r.mapping(value, path, DOMAIN_KEYS)
    if raw is None:
        return None
    base = _type(r, (*path, "type"), r.string(raw, "type", path, required=True))
    default = read_default(r, raw, path, base, enums)
    checks = _domain_checks(r, raw, path, name)
    if base is None:
        return None
    return Domain(
        name=name,
        type=base,
        not_null=r.boolean(raw, "not_null", path),
        default=default,
        checks=tuple(checks),
        collation=r.string(raw, "collation", path),
        comment=r.string(raw, "comment", path),
        source=r.source(path),
    )


def _domain_checks(
    r: SpecReader, raw: dict[str, Any], path: SpecPath, domain: str
) -> list[CheckConstraint]:
    # Postgres's names: <domain>_check, then <domain>_check1, ... (explicit names first)
    return read_named_checks(
        r, raw, path, DOMAIN_CHECK_KEYS, lambda _, n: names.domain_check(domain, n)
    )


def read_composite(r: SpecReader, name: str, value: object) -> CompositeType | None:
    """``[composite_types.Name]``: the attributes of a composite type, in declaration order."""
    path: SpecPath = ("composite_types", name)
    raw = r.mapping(value, path, COMPOSITE_KEYS)
    if raw is None:
        return None
    attrs_raw = raw.get("attributes")
    if not isinstance(attrs_raw, dict) or not attrs_raw:
        r.problem(
            (*path, "attributes"),
            f"needs a non-empty table of attributes, got {kind(attrs_raw)}",
            'attributes = { street = "text", zip = { type = "varchar(10)" } }',
        )
        return None
    attributes: list[CompositeAttribute] = []
    for attr, spec in attrs_raw.items():
        apath = (*path, "attributes", attr)
        collation: str | None = None
        if isinstance(spec, str):
            type_text: str | None = spec
        else:
            entry = r.mapping(spec, apath, ATTRIBUTE_KEYS)
            if entry is None:
                continue
            type_text = r.string(entry, "type", apath, required=True)
            collation = r.string(entry, "collation", apath)
        attr_type = _type(r, apath, type_text)
        if attr_type is not None:
            attributes.append(CompositeAttribute(attr, attr_type, collation))
    if len(attributes) != len(attrs_raw):
        return None
    return CompositeType(
        name=name,
        attributes=tuple(attributes),
        comment=r.string(raw, "comment", path),
        source=r.source(path),
    )
