"""View and materialized-view ops: create (with its indexes and comments), drop,
comment. ``reason`` says why a kept view is dropped and created again."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.planner.ops.base import Hazard, Op, Paired, Swapped, pair, qname
from pgwarden.spec.model import View


@dataclass(frozen=True, slots=True)
class _ViewFields(Op):
    view: View
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CreateView(_ViewFields, Paired):
    """CREATE [MATERIALIZED] VIEW, then its indexes and comments."""

    @property
    def description(self) -> str:
        verb = "recreate" if self.reason else "create"
        why = f" ({self.reason})" if self.reason else ""
        return f"{verb} {self.view.kind} {qname(self.view.name)}{why}"

    @property
    def hazards(self) -> frozenset[Hazard]:
        # a materialized view runs its query to fill itself (reads, no write locks)
        filled = self.view.materialized and self.view.with_data
        return frozenset({"data_step"}) if filled else frozenset()


@dataclass(frozen=True, slots=True)
class DropView(_ViewFields, Paired):
    """Drop a view or materialized view (the mirror of :class:`CreateView`)."""

    @property
    def description(self) -> str:
        why = f" (to recreate it: {self.reason})" if self.reason else ""
        return f"drop {self.view.kind} {qname(self.view.name)}{why}"


pair(CreateView, DropView)


@dataclass(frozen=True, slots=True)
class CommentOnView(Swapped):
    """COMMENT ON [MATERIALIZED] VIEW, or on one of its columns (``column``)."""

    view: str
    materialized: bool
    column: str | None
    old: str | None
    new: str | None

    @property
    def description(self) -> str:
        what = qname(self.view) + (f".{qname(self.column)}" if self.column else "")
        return f"{'remove' if self.new is None else 'set'} comment on {what}"


__all__ = ["CommentOnView", "CreateView", "DropView"]
