"""SQL of the domain and composite-type ops (registered in
:mod:`pgwarden.render.sql`'s registry)."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.ops.types import (
    AddAttribute,
    AddDomainCheck,
    CreateComposite,
    CreateDomain,
    DropAttribute,
    DropComposite,
    DropDomain,
    DropDomainCheck,
    SetDomainDefault,
    SetDomainNotNull,
)
from pgwarden.render.sql import Statement, qualified, relation, renders
from pgwarden.spec.model import CheckConstraint, CompositeAttribute
from pgwarden.spec.types import type_sql

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL


def _check(c: CheckConstraint) -> sql.Composable:
    return S("CONSTRAINT {} CHECK ({})").format(I(c.name), S(c.expression))


@renders(CreateDomain)
def _create_domain(op: CreateDomain) -> list[Statement]:
    d = op.domain
    parts: list[sql.Composable] = [
        S("CREATE DOMAIN {} AS {}").format(relation(d.name), type_sql(d.type))
    ]
    if d.collation is not None:
        parts.append(S("COLLATE {}").format(qualified(d.collation)))
    if d.default is not None:
        parts.append(S("DEFAULT ({})").format(S(d.default)))
    if d.not_null:
        parts.append(S("NOT NULL"))
    parts.extend(_check(c) for c in d.checks)
    return [Statement(S(" ").join(parts))]


@renders(DropDomain)
def _drop_domain(op: DropDomain) -> list[Statement]:
    return [Statement(S("DROP DOMAIN {}").format(relation(op.domain.name)))]


@renders(SetDomainDefault)
def _set_domain_default(op: SetDomainDefault) -> list[Statement]:
    if op.new is None:
        return [Statement(S("ALTER DOMAIN {} DROP DEFAULT").format(relation(op.domain)))]
    return [Statement(S("ALTER DOMAIN {} SET DEFAULT {}").format(relation(op.domain), S(op.new)))]


@renders(SetDomainNotNull)
def _set_domain_not_null(op: SetDomainNotNull) -> list[Statement]:
    verb = S("SET NOT NULL" if op.not_null else "DROP NOT NULL")
    return [Statement(S("ALTER DOMAIN {} {}").format(relation(op.domain), verb))]


@renders(AddDomainCheck)
def _add_domain_check(op: AddDomainCheck) -> list[Statement]:
    tail = S("" if op.validate else " NOT VALID")
    return [
        Statement(S("ALTER DOMAIN {} ADD {}{}").format(relation(op.domain), _check(op.check), tail))
    ]


@renders(DropDomainCheck)
def _drop_domain_check(op: DropDomainCheck) -> list[Statement]:
    return [
        Statement(
            S("ALTER DOMAIN {} DROP CONSTRAINT {}").format(relation(op.domain), I(op.check.name))
        )
    ]


def _attribute(a: CompositeAttribute) -> sql.Composable:
    parts: list[sql.Composable] = [I(a.name), type_sql(a.type)]
    if a.collation is not None:
        parts.append(S("COLLATE {}").format(qualified(a.collation)))
    return S(" ").join(parts)


@renders(CreateComposite)
def _create_composite(op: CreateComposite) -> list[Statement]:
    c = op.composite
    attrs = S(", ").join([_attribute(a) for a in c.attributes])
    return [Statement(S("CREATE TYPE {} AS ({})").format(relation(c.name), attrs))]


@renders(DropComposite)
def _drop_composite(op: DropComposite) -> list[Statement]:
    return [Statement(S("DROP TYPE {}").format(relation(op.composite.name)))]


@renders(AddAttribute)
def _add_attribute(op: AddAttribute) -> list[Statement]:
    return [
        Statement(
            S("ALTER TYPE {} ADD ATTRIBUTE {}").format(
                relation(op.composite), _attribute(op.attribute)
            )
        )
    ]


@renders(DropAttribute)
def _drop_attribute(op: DropAttribute) -> list[Statement]:
    return [
        Statement(
            S("ALTER TYPE {} DROP ATTRIBUTE {}").format(
                relation(op.composite), I(op.attribute.name)
            )
        )
    ]
