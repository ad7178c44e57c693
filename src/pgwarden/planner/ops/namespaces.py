"""Namespace ops: the Postgres schemas a spec governs besides its default one.

A namespace is created before anything that lives in it (even an extension may be
installed there) and dropped after everything in it is gone; ``DROP SCHEMA`` has no
CASCADE, so an object the spec does not govern makes the step fail instead of
vanishing with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Op, Paired, pair, qname
from pgwarden.spec.model import Namespace


@dataclass(frozen=True, slots=True)
class _NamespaceFields(Op):
    namespace: Namespace


@dataclass(frozen=True, slots=True)
class CreateNamespace(_NamespaceFields, Paired):
    """CREATE SCHEMA, then its comment."""

    @property
    def description(self) -> str:
        return f"create schema {qname(self.namespace.name)}"


@dataclass(frozen=True, slots=True)
class DropNamespace(_NamespaceFields, Paired):
    """DROP SCHEMA (empty by then: its objects' own ops dropped them)."""

    @property
    def description(self) -> str:
        return f"drop schema {qname(self.namespace.name)}"


pair(CreateNamespace, DropNamespace)

__all__ = ["CreateNamespace", "DropNamespace"]
