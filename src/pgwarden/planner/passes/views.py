"""Views and materialized views: their ops and their pass.

Postgres refuses to drop or retype a column a view reads, and to drop a view
another view reads. So the pass works out, from what each view's query reads
(``spec.exprs.query_reads``), which views the plan's table changes touch, and
drops them (dependents first) before the changes and creates them again
(dependencies first) after, in the same migration; each op says why. A view
whose definition or options change is recreated the same way; a materialized
view is rebuilt with its indexes. Comment-only changes are comments, and index
changes on a kept materialized view are index ops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from pgwarden.planner.context import PlanContext
from pgwarden.planner.ops.constraints import CreateIndex, DropIndex
from pgwarden.planner.ops.views import CommentOnView, CreateView, DropView
from pgwarden.spec import names
from pgwarden.spec.exprs import ExprSyntaxError, QueryReads, query_reads
from pgwarden.spec.model import Schema, Table, View

# --------------------------------------------------------------------------- dependencies


def view_reads(view: View) -> QueryReads:
    """What the view's query reads (unreadable: everything)."""
    try:
        return query_reads(view.definition)
    except ExprSyntaxError:  # not readable: assume it reads everything
        return QueryReads(frozenset({"*"}), frozenset(), True)


def _touched(before: Table | None, after: Table | None) -> tuple[set[str], bool]:
    """(columns that are dropped or change type, whether the table goes)."""
    if before is None:
        return set(), False
    if after is None:
        return set(before.column_names), True
    out = set()
    for col in before.columns:
        new = after.column(col.name)
        if new is None or new.type != col.type or new.collation != col.collation:
            out.add(col.name)
    return out, False


def _why(view: View, reads: QueryReads, now: Schema, tgt: Schema) -> str | None:
    """Why a kept view must be dropped and created again for the plan's table changes."""
    for rel in sorted(reads.relations):
        before, after = now.table(rel), tgt.table(rel)
        columns, gone = _touched(before, after)
        if gone:
            return f"it reads {rel}, which is dropped"
        hit = sorted(columns if reads.star or "*" in reads.relations else columns & reads.columns)
        if hit:
            return f"it reads {rel}.{hit[0]}, which changes"
    return None


def _calls(view: View, functions: Iterable[str]) -> str | None:
    """Why a view goes with a function that is dropped and created again."""
    for fn in sorted(functions):
        local = names.local_name(fn)
        if re.search(rf"(?<![\w$]){re.escape(local)}\s*\(", view.definition) or (
            f'"{local}"(' in view.definition
        ):
            return f"it calls {fn}, which is recreated"
    return None


def view_order(views: Mapping[str, View], names: Iterable[str]) -> list[str]:
    """``names`` with every view after the views it reads (by name among ``views``)."""
    wanted = set(names)
    out: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:
            return
        for dep in sorted(view_reads(views[name]).relations):
            if dep in views and dep in wanted:
                visit(dep, (*path, name))
        seen.add(name)
        out.append(name)

    for name in sorted(wanted):
        visit(name, ())
    return out


# --------------------------------------------------------------------------- the pass


def _same_but_indexes_and_comments(a: View, b: View) -> bool:
    """Equal once comments and indexes are left aside (those change in place).
    Columns follow from the query and the tables it reads, so they never ask
    for a recreate by themselves (the table changes under them do, see ``_why``)."""

    def bare(v: View) -> View:
        return replace(v, indexes=(), comment=None, columns=None)

    return bare(a) == bare(b)


def plan_views(ctx: PlanContext) -> None:
    """Views: drop and recreate those whose definition changed, and every view depending on
    something the plan changes (the reason is kept for the step's description)."""
    now, tgt = ctx.now, ctx.tgt
    have = {v.name: v for v in now.views}
    want = {v.name: v for v in tgt.views}
    reasons: dict[str, str] = {}
    for name in sorted(have.keys() & want.keys()):
        old, new = have[name], want[name]
        if not _same_but_indexes_and_comments(old, new):
            changes = "definition" if old.definition != new.definition else "options"
            reasons[name] = f"its {changes} change{'s' if changes == 'definition' else ''}"
            continue
        why = _why(old, view_reads(old), now, tgt) or _calls(old, ctx.recreated_functions)
        if why is not None:
            reasons[name] = why
    # a view read by a view that is dropped or recreated has to go first, and
    # come back: Postgres keeps no view without the views it reads
    going = set(have.keys() - want.keys()) | set(reasons)
    changed = True
    while changed:
        changed = False
        for name, view in sorted(have.items()):
            if name in going:
                continue
            dep = next((d for d in sorted(view_reads(view).relations) if d in going), None)
            if dep is not None:
                going.add(name)
                if name in want:
                    reasons[name] = f"it reads {dep}, which is recreated"
                changed = True
    for name in reversed(view_order(have, going)):
        ctx.emit("drop_dependents", DropView(have[name], reasons.get(name)))
    coming = (want.keys() - have.keys()) | {n for n in reasons if n in want}
    for name in view_order(want, coming):
        ctx.emit("decorate", CreateView(want[name], reasons.get(name)))
    # kept as they are: comments and a materialized view's indexes
    for name in sorted((have.keys() & want.keys()) - set(reasons)):
        _alter(ctx, have[name], want[name])


def _alter(ctx: PlanContext, old: View, new: View) -> None:
    if old.comment != new.comment:
        ctx.emit(
            "decorate", CommentOnView(new.name, new.materialized, None, old.comment, new.comment)
        )
    # undeclared columns (None) carry no comments: a view whose declared columns are
    # forgotten loses their comments, as a fresh CREATE VIEW would have none
    declared = new.columns if new.columns is not None else old.columns
    for i, col in enumerate(declared or ()):
        before = old.columns[i].comment if old.columns and i < len(old.columns) else None
        after = new.columns[i].comment if new.columns and i < len(new.columns) else None
        if before != after:
            ctx.emit(
                "decorate",
                CommentOnView(new.name, new.materialized, col.name, before, after),
            )
    old_i = {i.name: i for i in old.indexes}
    new_i = {i.name: i for i in new.indexes}
    for iname in sorted(old_i):
        if new_i.get(iname) != old_i[iname]:
            ctx.emit("drop_dependents", DropIndex(new.name, old_i[iname]))
    for iname in sorted(new_i):
        if old_i.get(iname) != new_i[iname]:
            ctx.emit("constrain", CreateIndex(new.name, new_i[iname]))


__all__ = ["plan_views", "view_order", "view_reads"]
