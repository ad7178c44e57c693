"""The decorations of a table: maintained triggers, RLS, policies, comments."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from pgwarden.planner import ops as o
from pgwarden.planner.context import PlanContext
from pgwarden.planner.passes.named import diff_named
from pgwarden.spec import names
from pgwarden.spec.exprs import column_refs
from pgwarden.spec.model import Policy, Table


def plan_decorations(
    ctx: PlanContext, have: Table | None, want: Table, retyped: AbstractSet[str] = frozenset()
) -> None:
    """Triggers, RLS, policies and comments (``have`` None: a new table).

    Policies reading a column whose type changes are dropped and created
    again: Postgres refuses ALTER COLUMN TYPE under a policy."""
    name = want.name
    _triggers(ctx, have, want)
    # RLS
    was_enabled = have.rls_enabled if have else False
    was_forced = have.rls_forced if have else False
    if want.rls_enabled != was_enabled:
        where = "decorate" if want.rls_enabled else "drop_dependents"
        ctx.emit(where, o.SetRowLevelSecurity(name, want.rls_enabled))
    if want.rls_forced != was_forced:
        where = "decorate" if want.rls_forced else "drop_dependents"
        ctx.emit(where, o.SetForceRowLevelSecurity(name, want.rls_forced))
    # policies (a policy named after a renamed table is renamed, not rebuilt)
    diff_named(
        ctx,
        name,
        have.policies if have else (),
        want.policies,
        rebuild=lambda p: reads(p, retyped),
        drop=lambda p: o.DropPolicy(name, p),
        add=lambda p: [o.CreatePolicy(name, p)],
        rename=o.RenamePolicy,
        create_phase="decorate",
    )
    _comments(ctx, have, want)


def _triggers(ctx: PlanContext, have: Table | None, want: Table) -> None:
    name = want.name
    for c in want.columns:
        if c.maintained != "on_update":
            continue
        wanted = names.on_update_trigger(name, c.name)
        if ctx.trigger_names.get((name, c.name)) != wanted or (
            have is not None and have.column(c.name) is None
        ):
            ctx.emit("decorate", o.CreateOnUpdateTrigger(name, c.name, wanted))
    if have is None:
        return
    for c in have.columns:
        old = ctx.trigger_names.get((name, c.name))
        if old is None:
            continue
        w = want.column(c.name)
        if w is None or w.maintained != "on_update" or old != names.on_update_trigger(name, c.name):
            ctx.emit("drop_dependents", o.DropOnUpdateTrigger(name, c.name, old))


def _comments(ctx: PlanContext, have: Table | None, want: Table) -> None:
    name = want.name
    if want.comment != (have.comment if have else None):
        ctx.emit(
            "decorate",
            o.SetComment("table", (name,), have.comment if have else None, want.comment),
        )
    for c in want.columns:
        old_comment = hc.comment if have is not None and (hc := have.column(c.name)) else None
        if c.comment != old_comment:
            ctx.emit("decorate", o.SetComment("column", (name, c.name), old_comment, c.comment))


def reads(policy: Policy, columns: AbstractSet[str]) -> bool:
    """Whether the policy's expressions name one of the columns (unparsable: assume so)."""
    if not columns:
        return False
    for text in (policy.using, policy.with_check):
        if text is None:
            continue
        try:
            refs = column_refs(text)
        except Exception:  # an expression pglast cannot read: be safe
            return True
        if columns & set(refs):
            return True
    return False


__all__ = ["plan_decorations", "reads"]
