"""Function and procedure ops: create, drop, replace in place.

``CREATE OR REPLACE`` keeps a function's identity (its dependents stay), but
Postgres allows it only while the kind, the argument list and the return type
stay the same; anything else is a drop and a create (``reason`` says why).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pgwarden.planner.ops.base import Op, Paired, Swapped, pair, qname
from pgwarden.spec.model import Function


def _what(f: Function) -> str:
    return f"{f.kind} {qname(f.name)}({f.arguments})"


@dataclass(frozen=True, slots=True)
class _FunctionFields(Op):
    function: Function
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CreateFunction(_FunctionFields, Paired):
    """CREATE FUNCTION / PROCEDURE, then its comment."""

    @property
    def description(self) -> str:
        verb = "recreate" if self.reason else "create"
        why = f" ({self.reason})" if self.reason else ""
        return f"{verb} {_what(self.function)}{why}"


@dataclass(frozen=True, slots=True)
class DropFunction(_FunctionFields, Paired):
    """Drop a function or procedure (the mirror of :class:`CreateFunction`)."""

    @property
    def description(self) -> str:
        why = f" (to recreate it: {self.reason})" if self.reason else ""
        return f"drop {_what(self.function)}{why}"


pair(CreateFunction, DropFunction)


@dataclass(frozen=True, slots=True)
class ReplaceFunction(Swapped):
    """CREATE OR REPLACE with the same signature (body, options), and the comment."""

    old: Function
    new: Function

    @property
    def description(self) -> str:
        a, b = self.old, self.new
        what = [
            name for name in ("body", "language", "comment") if getattr(a, name) != getattr(b, name)
        ]
        if replace(a, body=b.body, language=b.language, comment=b.comment) != b:
            what.append("options")
        return f"replace {_what(b)}: {', '.join(what)}"


__all__ = ["CreateFunction", "DropFunction", "ReplaceFunction"]
