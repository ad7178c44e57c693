"""Domain and composite-type ops.

Both are created after extensions and enums (which their base and attribute
types may be) and before the tables whose columns use them; they are dropped
after those tables. A domain's default, NOT NULL and checks change in place
(``ALTER DOMAIN``); a composite type gains and loses attributes in place
(``ALTER TYPE ... ADD/DROP ATTRIBUTE``), which Postgres allows even while
columns use the type.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, Toggled, pair, qname
from pgwarden.spec.model import CheckConstraint, CompositeAttribute, CompositeType, Domain


@dataclass(frozen=True, slots=True)
class _DomainFields(Op):
    domain: Domain


@dataclass(frozen=True, slots=True)
class CreateDomain(_DomainFields, Paired):
    """CREATE DOMAIN with its default, NOT NULL, checks (and its comment)."""

    @property
    def description(self) -> str:
        return f"create domain {qname(self.domain.name)}"


@dataclass(frozen=True, slots=True)
class DropDomain(_DomainFields, Paired):
    """DROP DOMAIN (no CASCADE: a column still using it makes the step fail)."""

    @property
    def description(self) -> str:
        return f"drop domain {qname(self.domain.name)}"


pair(CreateDomain, DropDomain)


@dataclass(frozen=True, slots=True)
class SetDomainDefault(Swapped):
    """ALTER DOMAIN ... SET DEFAULT / DROP DEFAULT (``new`` None)."""

    domain: str
    old: str | None
    new: str | None

    @property
    def description(self) -> str:
        what = "drop default" if self.new is None else f"set default {self.new}"
        return f"domain {qname(self.domain)}: {what}"


@dataclass(frozen=True, slots=True)
class SetDomainNotNull(Toggled):
    """ALTER DOMAIN ... SET NOT NULL (checks every column of the domain) / DROP NOT NULL."""

    flag = "not_null"
    domain: str
    not_null: bool

    @property
    def description(self) -> str:
        return f"domain {qname(self.domain)}: {'set' if self.not_null else 'drop'} not null"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"may_fail_on_data"}) if self.not_null else frozenset()


@dataclass(frozen=True, slots=True)
class _DomainCheckFields(Op):
    domain: str
    check: CheckConstraint
    validate: bool = True
    """False: ``NOT VALID``, because the domain sits inside a composite type a
    column uses, where Postgres cannot check existing values."""


@dataclass(frozen=True, slots=True)
class AddDomainCheck(_DomainCheckFields, Paired):
    """ALTER DOMAIN ... ADD CONSTRAINT ... CHECK: existing values are checked."""

    @property
    def description(self) -> str:
        why = (
            "" if self.validate else " (NOT VALID: values inside composite columns stay unchecked)"
        )
        return f"add check {qname(self.check.name)} to domain {qname(self.domain)}{why}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"may_fail_on_data"})


@dataclass(frozen=True, slots=True)
class DropDomainCheck(_DomainCheckFields, Paired):
    """Drop a check of a domain (the mirror of :class:`AddDomainCheck`)."""

    @property
    def description(self) -> str:
        return f"drop check {qname(self.check.name)} of domain {qname(self.domain)}"


pair(AddDomainCheck, DropDomainCheck)


@dataclass(frozen=True, slots=True)
class _CompositeFields(Op):
    composite: CompositeType


@dataclass(frozen=True, slots=True)
class CreateComposite(_CompositeFields, Paired):
    """CREATE TYPE ... AS (...) (and its comment)."""

    @property
    def description(self) -> str:
        return f"create composite type {qname(self.composite.name)}"


@dataclass(frozen=True, slots=True)
class DropComposite(_CompositeFields, Paired):
    """Drop a composite type (the mirror of :class:`CreateComposite`)."""

    @property
    def description(self) -> str:
        return f"drop composite type {qname(self.composite.name)}"


pair(CreateComposite, DropComposite)


@dataclass(frozen=True, slots=True)
class _AttributeFields(Op):
    composite: str
    attribute: CompositeAttribute


@dataclass(frozen=True, slots=True)
class AddAttribute(_AttributeFields, Paired):
    """ALTER TYPE ... ADD ATTRIBUTE (last: Postgres has no position)."""

    @property
    def description(self) -> str:
        return f"add attribute {qname(self.attribute.name)} to type {qname(self.composite)}"


@dataclass(frozen=True, slots=True)
class DropAttribute(_AttributeFields, Paired):
    """ALTER TYPE ... DROP ATTRIBUTE: the values it holds in columns of the type go."""

    @property
    def description(self) -> str:
        return f"drop attribute {qname(self.attribute.name)} of type {qname(self.composite)}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        return frozenset({"destructive"})

    def loss(self) -> str | None:
        return f"attribute {self.composite}.{self.attribute.name} in every value of the type"


pair(AddAttribute, DropAttribute)

__all__ = [
    "AddAttribute",
    "AddDomainCheck",
    "CreateComposite",
    "CreateDomain",
    "DropAttribute",
    "DropComposite",
    "DropDomain",
    "DropDomainCheck",
    "SetDomainDefault",
    "SetDomainNotNull",
]
