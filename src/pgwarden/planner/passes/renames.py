"""The rename pass: declared renames of enums, values, tables and columns.

Renames are declared (``renamed_from``), never guessed. A dependency sort
orders chains and breaks swaps (:func:`~pgwarden.planner.order.sort_renames`).
The pass returns the current schema with every rename applied, so each later
pass compares it with the target by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgwarden.planner import ops as o
from pgwarden.planner import rewrite
from pgwarden.planner.context import PlanContext
from pgwarden.planner.order import sort_renames
from pgwarden.spec import names
from pgwarden.spec.model import Schema


def plan_renames(ctx: PlanContext) -> Schema:
    """Renames declared with ``renamed_from`` (enums, tables, columns, indexes, constraints) come
    first; returns the current schema as it is after them, which later passes diff."""
    cur, tgt = ctx.cur, ctx.tgt
    cur_enums = {e.name for e in cur.enums}
    tgt_enums = {e.name for e in tgt.enums}
    enum_pairs = rename_pairs([(e.renamed_from, e.name) for e in tgt.enums], cur_enums, tgt_enums)
    cur_tables = {t.name for t in cur.tables}
    tgt_tables = {t.name for t in tgt.tables}
    table_pairs = rename_pairs(
        [(t.renamed_from, t.name) for t in tgt.tables], cur_tables, tgt_tables
    )
    # the model's triggers are named after table and column as they were
    for t in cur.tables:
        for c in t.columns:
            if c.maintained == "on_update":
                ctx.trigger_names[(t.name, c.name)] = names.on_update_trigger(t.name, c.name)
    now = cur
    for old, new in sort_renames(enum_pairs, cur_enums):
        ctx.emit("rename", o.RenameEnum(old, new))
        now = rewrite.rename_enum(now, old, new)
    # enum values
    for e in tgt.enums:
        have = now.enum(e.name)
        if have is None or not e.value_renames:
            continue
        pairs = rename_pairs(list(e.value_renames), set(have.values), set(e.values))
        for old, new in sort_renames(pairs, set(have.values)):
            ctx.emit("rename", o.RenameEnumValue(e.name, old, new))
            now = rewrite.rename_enum_value(now, e.name, old, new)
    for old, new in sort_renames(table_pairs, cur_tables):
        renamed = now.table(old)
        kept = tuple(c.name for c in renamed.columns if not c.nullable) if renamed else ()
        ctx.emit("rename", o.RenameTable(old, new, kept))
        now = rewrite.rename_table(now, old, new)
        ctx.renamed_tables |= {old, new}
        ctx.trigger_names = {
            ((new if t == old else t), c): n for (t, c), n in ctx.trigger_names.items()
        }
    # columns, per table (in target names)
    for t in tgt.tables:
        have_t = now.table(t.name)
        if have_t is None:
            continue
        have_names = set(have_t.column_names)
        col_pairs = rename_pairs(
            [(c.renamed_from, c.name) for c in t.columns], have_names, set(t.column_names)
        )
        for old, new in sort_renames(col_pairs, have_names):
            current = now.table(t.name)  # after the renames so far (a temporary name too)
            col = current.column(old) if current else None
            ctx.emit(
                "rename", o.RenameColumn(t.name, old, new, col is not None and not col.nullable)
            )
            now = rewrite.rename_column(now, t.name, old, new)
            ctx.renamed_columns.setdefault(t.name, set()).update((old, new))
            key = (t.name, old)
            if key in ctx.trigger_names:
                ctx.trigger_names[(t.name, new)] = ctx.trigger_names.pop(key)
    return now.normalized()


def rename_pairs(
    declared: Iterable[tuple[str | None, str]], have: set[str], want: set[str]
) -> list[tuple[str, str]]:
    """The declared renames that apply: the old name exists and is not wanted as
    itself, and the new name is free (or is itself renamed away: a swap)."""
    candidates = [(r, n) for r, n in declared if r is not None and r != n and r in have]
    sources = {r for r, _ in candidates}
    targets = {n for _, n in candidates}
    return [
        (r, n)
        for r, n in candidates
        if (n not in have or n in sources) and (r not in want or r in targets)
    ]


__all__ = ["plan_renames", "rename_pairs"]
