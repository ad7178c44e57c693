"""The column-order rule: order is not governed.

Postgres cannot move a column without rebuilding its table, and appends every
column a migration adds (or a down re-adds). So the planner never plans a
reorder, ``verify`` and ``baseline`` compare no order
(:func:`pgwarden.introspect.schema_diff`), and the spec's order serves only
the generated code and docs. :func:`order_notes` is what ``migrate new`` says
about it, so that a reorder that plans nothing is not a surprise.
"""

from __future__ import annotations

from pgwarden.spec.model import Schema, Table

RULE = "column order is not governed: see docs/migrations.md#column-order"


def order_notes(current: Schema, target: Schema) -> list[str]:
    """One line per table whose target order the database will not have: a new
    column placed before an existing one, or existing columns reordered."""
    notes: list[str] = []
    for table in target.tables:
        before = current.table(_old_name(table))
        if before is None:
            continue  # created whole, in the spec's order
        old = [c.name for c in before.columns]
        kept = {c.renamed_from or c.name: c.name for c in table.columns}
        existing = [kept[n] for n in old if n in kept]
        new = [c.name for c in table.columns if (c.renamed_from or c.name) not in old]
        wanted = [c.name for c in table.columns]
        misplaced = [n for n in new if any(wanted.index(n) < wanted.index(e) for e in existing)]
        for name in misplaced:
            notes.append(f"{table.name}.{name} goes at the end of the table ({RULE})")
        if [n for n in wanted if n in existing] != existing:
            notes.append(
                f"the column order of {table.name} differs from the latest snapshot's ({RULE})"
            )
    return notes


def _old_name(table: Table) -> str:
    return table.renamed_from or table.name
