"""Diff one kind of named object (constraints, indexes, policies) between two tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.spec.model import CheckConstraint, ForeignKey, Index, Policy, UniqueConstraint

T = TypeVar("T", UniqueConstraint, CheckConstraint, ForeignKey, Index, Policy)


def _unnamed(obj: T) -> T:
    return replace(obj, name="")


def diff_named(
    ctx: PlanContext,
    table: str,
    have: tuple[T, ...],
    want: tuple[T, ...],
    *,
    rebuild: Callable[[T], bool],
    drop: Callable[[T], o.Op],
    add: Callable[[T], list[o.Op]],
    rename: Callable[[str, str, str], o.Op],
    create_phase: str = "constrain",
) -> None:
    """Drop what goes, add what comes, rename when only the name changed.

    ``rebuild`` forces an unchanged object to be dropped and added again (it
    depends on a column the plan rebuilds); ``add`` returns the create op and
    any ops for the validate phase (VALIDATE of a NOT VALID constraint).
    """
    have_by = {x.name: x for x in have}
    want_by = {x.name: x for x in want}
    gone = [x for x in have if want_by.get(x.name) != x or rebuild(x)]
    come = [x for x in want if have_by.get(x.name) != x or rebuild(x)]
    # pure renames: same definition, new name, nothing forcing a rebuild
    for x in list(gone):
        if x.name in want_by or rebuild(x):
            continue
        match = next(
            (y for y in come if y.name not in have_by and _unnamed(y) == _unnamed(x)), None
        )
        if match is not None:
            ctx.emit("rename", rename(table, x.name, match.name))
            gone.remove(x)
            come.remove(match)
    for x in gone:
        ctx.emit("drop_dependents", drop(x))
    for y in come:
        ops = add(y)
        ctx.emit(create_phase, ops[0])
        if len(ops) > 1:
            ctx.emit("validate", *ops[1:])


__all__ = ["diff_named"]
