"""The planner's result: an ordered, immutable tuple of ops."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pgwarden.planner import ops as o
from pgwarden.planner.order import reduce
from pgwarden.planner.reverse import Reversal


@dataclass(frozen=True, slots=True)
class Plan:
    """An ordered tuple of ops. Empty means the schemas already agree."""

    ops: tuple[o.Op, ...] = ()
    reversal: Reversal | None = field(default=None, compare=False, repr=False)
    """How to key the reversed ops (set by :func:`~pgwarden.planner.plan`)."""
    origin: Plan | None = field(default=None, compare=False, repr=False)
    """For a reversed plan: the plan it reverses (its own reverse)."""

    def __iter__(self) -> Iterator[o.Op]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __bool__(self) -> bool:
        return bool(self.ops)

    def __getitem__(self, i: int) -> o.Op:
        return self.ops[i]

    def reverse(self) -> Plan:
        """The down plan: every op's reverse, last op first, reduced.

        The reverse of an op runs in the state the op left behind in up, so
        every op that needs schema context to reverse carries it as of right
        after itself (see :class:`~pgwarden.planner.ops.AddEnumValue`), and
        the data checks of the reversed ops are keyed to the target schema
        (:mod:`pgwarden.planner.reverse`)."""
        if self.origin is not None:
            return self.origin
        if self.reversal is None:  # built by hand: no state to key by
            return Plan(reduce([r for op in reversed(self.ops) for r in op.reverse()]))
        return Plan(reduce(self.reversal.reversed_ops(self.ops)), origin=self)

    @property
    def hazards(self) -> frozenset[o.Hazard]:
        """Every hazard of every op (destructive, rewrites_table, ...)."""
        return frozenset(h for op in self.ops for h in op.hazards)

    @property
    def atomic(self) -> bool:
        """Whether every op may run inside one transaction."""
        return all(op.atomic for op in self.ops)

    def describe(self) -> str:
        """The plan for people: one line per op with its hazards."""
        lines = []
        for op in self.ops:
            flags = sorted(op.hazards) + ([] if op.atomic else ["non-atomic"])
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            lines.append(f"- {op.description}{suffix}")
        return "\n".join(lines)


__all__ = ["Plan"]
