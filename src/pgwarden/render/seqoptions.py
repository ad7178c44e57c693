"""The sequence-number clauses of CREATE / ALTER SEQUENCE and identity columns.

Creating, only the numbers Postgres would not choose itself are written
(``START WITH 100 INCREMENT BY 10``); altering, every number is written, so the
result does not depend on what the sequence had before (a new type's defaults).
"""

from __future__ import annotations

from psycopg import sql

from pgwarden.spec.model import SequenceOptions
from pgwarden.spec.sequences import effective

S = sql.SQL
L = sql.Literal


def option_clauses(
    type_name: str, options: SequenceOptions, *, every: bool = False
) -> list[sql.Composable]:
    """``INCREMENT BY .., MINVALUE .., ..`` clauses (``every``: all of them)."""
    o = effective(type_name, options) if every else options
    out: list[sql.Composable] = []
    if every or o.increment != 1:
        out.append(S("INCREMENT BY {}").format(L(o.increment)))
    if o.min_value is not None:
        out.append(S("MINVALUE {}").format(L(o.min_value)))
    if o.max_value is not None:
        out.append(S("MAXVALUE {}").format(L(o.max_value)))
    if o.start is not None:
        out.append(S("START WITH {}").format(L(o.start)))
    if every or o.cache != 1:
        out.append(S("CACHE {}").format(L(o.cache)))
    if every or o.cycle:
        out.append(S("CYCLE" if o.cycle else "NO CYCLE"))
    return out


__all__ = ["option_clauses"]
