"""SQL of the user trigger ops (registered in :mod:`pgwarden.render.sql`'s registry)."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.ops.triggers import CreateTrigger, DropTrigger
from pgwarden.render.sql import Statement, relation, renders
from pgwarden.spec.model import Trigger

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


def trigger_sql(table: str, t: Trigger) -> sql.Composable:
    """CREATE TRIGGER on ``table``: timing, events (``UPDATE OF`` columns), level, condition."""
    events: list[sql.Composable] = []
    for event in t.events:
        if event == "update" and t.columns:
            events.append(S("UPDATE OF {}").format(S(", ").join([I(c) for c in t.columns])))
        else:
            events.append(S(event.upper()))
    parts: list[sql.Composable] = [
        S("CREATE TRIGGER {} {} {} ON {}").format(
            I(t.name), S(t.timing.upper()), S(" OR ").join(events), relation(table)
        )
    ]
    referencing: list[sql.Composable] = []
    if t.old_table is not None:
        referencing.append(S("OLD TABLE AS {}").format(I(t.old_table)))
    if t.new_table is not None:
        referencing.append(S("NEW TABLE AS {}").format(I(t.new_table)))
    if referencing:
        parts.append(S("REFERENCING {}").format(S(" ").join(referencing)))
    parts.append(S("FOR EACH {}").format(S(t.for_each.upper())))
    if t.when is not None:
        parts.append(S("WHEN ({})").format(S(t.when)))  # an expression: SQL by definition
    args = S(", ").join([L(a) for a in t.arguments])
    parts.append(S("EXECUTE FUNCTION {}({})").format(relation(t.function), args))
    return S(" ").join(parts)


@renders(CreateTrigger)
def _create_trigger(op: CreateTrigger) -> list[Statement]:
    return create_trigger_sql(op.table, op.trigger)


def create_trigger_sql(table: str, trigger: Trigger) -> list[Statement]:
    """CREATE TRIGGER and its comment (also used by an enum recreate, which
    drops the triggers over the columns it retypes and creates them again)."""
    out = [Statement(trigger_sql(table, trigger))]
    if trigger.comment is not None:
        out.append(
            Statement(
                S("COMMENT ON TRIGGER {} ON {} IS {}").format(
                    I(trigger.name), relation(table), L(trigger.comment)
                )
            )
        )
    return out


@renders(DropTrigger)
def _drop_trigger(op: DropTrigger) -> list[Statement]:
    return [Statement(S("DROP TRIGGER {} ON {}").format(I(op.trigger.name), relation(op.table)))]
