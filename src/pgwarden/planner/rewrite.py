"""Schema rewrites the rename pass applies: a model renamed as Postgres would rename it.

After ``ALTER TABLE .. RENAME COLUMN`` Postgres updates every expression that
names the column (checks, predicates, policies, generated columns), and after
``ALTER TYPE .. RENAME VALUE`` a default holding the label follows it; these
functions do the same to a :class:`~pgwarden.spec.model.Schema`, so the later
passes compare like with like.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast import ast

from pgwarden.spec.exprs import column_refs, rewrite_expr
from pgwarden.spec.model import Column, ColumnType, ForeignKey, IndexElement, Schema, Table


def rename_enum(s: Schema, old: str, new: str) -> Schema:
    """``s`` with enum type ``old`` called ``new``, its columns included."""

    def ty(t: ColumnType) -> ColumnType:
        return replace(t, name=new) if t.name == old and not t.is_builtin else t

    return replace(
        s,
        enums=tuple(replace(e, name=new) if e.name == old else e for e in s.enums),
        tables=tuple(
            replace(t, columns=tuple(replace(c, type=ty(c.type)) for c in t.columns))
            for t in s.tables
        ),
    )


def rename_enum_value(s: Schema, enum: str, old: str, new: str) -> Schema:
    """``s`` with label ``old`` of ``enum`` called ``new``; defaults holding it follow."""

    def col(c: Column) -> Column:
        # a default holding the label follows it (Postgres stores the value, not the text)
        if c.type.name != enum or c.type.is_builtin or c.type.array or c.default is None:
            return c
        return replace(c, default=_relabelled(c.default, old, new))

    return replace(
        s,
        enums=tuple(
            replace(e, values=tuple(new if v == old else v for v in e.values))
            if e.name == enum
            else e
            for e in s.enums
        ),
        tables=tuple(replace(t, columns=tuple(col(c) for c in t.columns)) for t in s.tables),
    )


def rename_table(s: Schema, old: str, new: str) -> Schema:
    """``s`` with table ``old`` called ``new``; foreign keys to it follow."""

    def fk(f: ForeignKey) -> ForeignKey:
        return replace(f, ref_table=new) if f.ref_table == old else f

    return replace(
        s,
        tables=tuple(
            replace(
                t,
                name=new if t.name == old else t.name,
                foreign_keys=tuple(fk(f) for f in t.foreign_keys),
            )
            for t in s.tables
        ),
    )


def rename_column(s: Schema, table: str, old: str, new: str) -> Schema:
    """``s`` with column ``old`` of ``table`` called ``new`` in every key, index and expression."""

    def r(c: str) -> str:
        return new if c == old else c

    def rs(cols: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(r(c) for c in cols)

    def elem(e: IndexElement) -> IndexElement:
        if e.column is not None:
            return replace(e, column=r(e.column))
        return replace(e, expression=renamed_in(e.expression, old, new))

    def x(text: str | None) -> str | None:
        return renamed_in(text, old, new)

    def own(t: Table) -> Table:
        return replace(
            t,
            columns=tuple(replace(c, name=r(c.name), generated=x(c.generated)) for c in t.columns),
            checks=tuple(replace(c, expression=x(c.expression) or "") for c in t.checks),
            policies=tuple(
                replace(p, using=x(p.using), with_check=x(p.with_check)) for p in t.policies
            ),
            primary_key=(
                replace(t.primary_key, columns=rs(t.primary_key.columns)) if t.primary_key else None
            ),
            uniques=tuple(replace(u, columns=rs(u.columns)) for u in t.uniques),
            foreign_keys=tuple(replace(f, columns=rs(f.columns)) for f in t.foreign_keys),
            indexes=tuple(
                replace(
                    i,
                    elements=tuple(elem(e) for e in i.elements),
                    include=rs(i.include),
                    where=x(i.where),
                )
                for i in t.indexes
            ),
        )

    def refs(t: Table) -> Table:
        return replace(
            t,
            foreign_keys=tuple(
                replace(f, ref_columns=rs(f.ref_columns)) if f.ref_table == table else f
                for f in t.foreign_keys
            ),
        )

    return replace(s, tables=tuple(refs(own(t)) if t.name == table else refs(t) for t in s.tables))


def renamed_in(text: str | None, old: str, new: str) -> str | None:
    """``text`` with column ``old`` renamed to ``new`` (Postgres does the same to the
    expressions it stores), printed like the loader prints expressions. Text that
    does not name ``old`` is returned as it is."""
    if text is None:
        return None

    def rename(node: Any) -> bool:
        if isinstance(node, ast.ColumnRef) and node.fields:
            last = node.fields[-1]
            if isinstance(last, ast.String) and last.sval == old:
                node.fields = (*node.fields[:-1], ast.String(sval=new))
                return True
        return False

    try:
        return text if old not in column_refs(text) else rewrite_expr(text, rename)
    except Exception:  # unreadable: leave it; the object is then rebuilt, not renamed
        return text


def _relabelled(text: str, old: str, new: str) -> str:
    """A default whose string constant is ``old`` with ``new`` instead."""

    def relabel(node: Any) -> bool:
        value = node.val if isinstance(node, ast.A_Const) else None
        if isinstance(value, ast.String) and value.sval == old:
            node.val = ast.String(sval=new)
            return True
        return False

    try:
        return rewrite_expr(text, relabel)
    except Exception:  # unreadable: the default is then simply set again
        return text


__all__ = ["rename_column", "rename_enum", "rename_enum_value", "rename_table", "renamed_in"]
