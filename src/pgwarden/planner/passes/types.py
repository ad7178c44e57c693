"""Domains and composite types that come, go or change.

Creates run in ``enum_add`` (after extensions and enums, before tables), in an
order where every type follows the types it is built from; drops run first in
``drop_enum`` (after the tables that used them, before the enums and extensions
they are built from), in the opposite order.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgwarden.errors import RefusedError
from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
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
from pgwarden.spec import names
from pgwarden.spec.model import CompositeAttribute, CompositeType, Domain, Schema

UserType = Domain | CompositeType


def plan_types(ctx: PlanContext) -> None:
    """Domains and composite types, in dependency order: create, drop, and alter in place
    (default, NOT NULL, checks, attributes) where Postgres can."""
    have = _by_name(ctx.now)
    want = _by_name(ctx.tgt)
    for name in build_order(ctx.tgt):
        if name not in have or type(have[name]) is not type(want[name]):
            new = want[name]
            ctx.emit(
                "enum_add", CreateDomain(new) if isinstance(new, Domain) else CreateComposite(new)
            )
            if new.comment is not None:
                ctx.emit(
                    "decorate", o.SetComment("type", names.split_name(name), None, new.comment)
                )
    drops: list[o.Op] = []
    for name in reversed(build_order(ctx.now)):
        if name not in want or type(have[name]) is not type(want[name]):
            old = have[name]
            drops.append(DropDomain(old) if isinstance(old, Domain) else DropComposite(old))
    # before the enums and extensions the types may be built from
    ctx.out["drop_enum"][0:0] = drops
    for name in sorted(have.keys() & want.keys()):
        old, new = have[name], want[name]
        if isinstance(old, Domain) and isinstance(new, Domain):
            _alter_domain(ctx, old, new)
        elif isinstance(old, CompositeType) and isinstance(new, CompositeType):
            _alter_composite(ctx, old, new)
        else:
            continue
        if old.comment != new.comment:
            ctx.emit(
                "decorate", o.SetComment("type", names.split_name(name), old.comment, new.comment)
            )


def _by_name(schema: Schema) -> dict[str, UserType]:
    out: dict[str, UserType] = {d.name: d for d in schema.domains}
    out.update((c.name, c) for c in schema.composite_types)
    return out


def build_order(schema: Schema) -> list[str]:
    """The domains and composite types of ``schema``, each after the ones it is
    built from (ties by name, so the order is deterministic)."""
    types = _by_name(schema)
    deps = {name: sorted(set(_built_from(t)) & types.keys() - {name}) for name, t in types.items()}
    done: list[str] = []
    placed: set[str] = set()

    def visit(name: str, path: frozenset[str]) -> None:
        if name in placed or name in path:  # a cycle is a validation error
            return
        for dep in deps[name]:
            visit(dep, path | {name})
        placed.add(name)
        done.append(name)

    for name in sorted(types):
        visit(name, frozenset())
    return done


def _built_from(t: UserType) -> Iterable[str]:
    if isinstance(t, Domain):
        return (t.type.name,)
    return (a.type.name for a in t.attributes)


def _alter_domain(ctx: PlanContext, old: Domain, new: Domain) -> None:
    if old.type != new.type or old.collation != new.collation:
        raise RefusedError(
            f"domain {old.name!r} changes its base type or collation "
            f"({old.type.spec_text()} -> {new.type.spec_text()}); Postgres cannot alter that "
            "in place\n"
            "  fix: declare a new domain under another name, move the columns to it, then "
            "remove the old one"
        )
    if old.default != new.default:
        ctx.emit("alter", SetDomainDefault(new.name, old.default, new.default))
    nested = old.name in _inside_used_composites(ctx.now) | _inside_used_composites(ctx.tgt)
    if old.not_null != new.not_null and nested:
        raise RefusedError(
            f"domain {old.name!r} changes NOT NULL, but a composite type that a column uses "
            "holds it; Postgres cannot alter that (ALTER DOMAIN fails)\n"
            "  fix: keep NOT NULL as it is and add a check instead (VALUE IS NOT NULL), or "
            "move the composite columns off the type first"
        )
    if old.not_null != new.not_null:
        ctx.emit("not_null" if new.not_null else "alter", SetDomainNotNull(new.name, new.not_null))
    old_checks = {c.name: c for c in old.checks}
    new_checks = {c.name: c for c in new.checks}
    for cname in sorted(old_checks):
        if new_checks.get(cname) != old_checks[cname]:
            ctx.emit("drop_dependents", DropDomainCheck(old.name, old_checks[cname], not nested))
    for cname in sorted(new_checks):
        if old_checks.get(cname) != new_checks[cname]:
            ctx.emit("constrain", AddDomainCheck(new.name, new_checks[cname], not nested))


def _inside_used_composites(schema: Schema) -> set[str]:
    """The types reachable from a composite type some column uses (Postgres cannot
    re-check values of a domain nested in such a column: ``ALTER DOMAIN`` fails)."""
    composites = {c.name: c for c in schema.composite_types}
    types = _by_name(schema)
    stack = [c.type.name for t in schema.tables for c in t.columns if c.type.name in composites]
    inside: set[str] = set()
    while stack:
        name = stack.pop()
        t = types.get(name)
        if t is None:
            continue
        for part in _built_from(t):
            if part not in inside:
                inside.add(part)
                stack.append(part)
    return inside


def _alter_composite(ctx: PlanContext, old: CompositeType, new: CompositeType) -> None:
    # the target's leading attributes that the type already has, in that order,
    # stay; every other attribute goes and the rest come at the end (Postgres has
    # no position for ADD ATTRIBUTE and no ALTER ... TYPE on a type columns use)
    kept: list[CompositeAttribute] = []
    pos = 0
    for attr in new.attributes:
        at = next((j for j in range(pos, len(old.attributes)) if old.attributes[j] == attr), None)
        if at is None:
            break
        kept.append(attr)
        pos = at + 1
    keep = len(kept)
    # in one phase, drops first: a changed attribute keeps its name
    for attr in old.attributes:
        if attr not in kept:
            ctx.emit("drop", DropAttribute(old.name, attr))
    for attr in new.attributes[keep:]:
        ctx.emit("drop", AddAttribute(new.name, attr))


__all__ = ["build_order", "plan_types"]
