"""Edits that tests.strategies.schema_pairs does not make: renames, type widening,
keys and FKs on existing tables, enum insertions/removals, identity, triggers, RLS.

``evolved_pairs()`` draws ``(a, b)``: a random schema and the same after 1-3 of
these edits (each kept only when the result still validates). ``histories()`` draws a
chain of such states with two more edits a real history makes: a key's type changed
together with every FK column that references it, and a primary key moved to another
column.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import event
from hypothesis import strategies as st

from pgwarden.spec import names, sqltext
from pgwarden.spec.exprs import column_refs, normalize_expr
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    ForeignKey,
    IndexElement,
    Policy,
    Schema,
    Table,
    UniqueConstraint,
)
from pgwarden.spec.validate import validate_schema
from tests.strategies import _distinct_names, keyable, schemas

KINDS = [
    "rename_table",
    "rename_column",
    "rename_enum",
    "rename_enum_value",
    "widen_type",
    "add_unique",
    "add_check",
    "add_fk",
    "enum_insert",
    "enum_remove",
    "identity",
    "maintained",
    "rls",
    "set_not_null",
    "fk_action",
    "unique_flip",
    "drop_pk",
    "enum_comment",
    "narrow_type",
]

_WIDER = {
    "smallint": ColumnType("integer"),
    "integer": ColumnType("bigint"),
    "timestamp": ColumnType("timestamptz"),
    "real": ColumnType("double precision"),
}


def _wider(t: ColumnType) -> ColumnType | None:
    if t.array:
        return None
    if t.name == "varchar":
        return (
            ColumnType("text") if not t.modifiers else ColumnType("varchar", (t.modifiers[0] + 10,))
        )
    if t.name == "numeric" and t.modifiers:
        return ColumnType("numeric", (t.modifiers[0] + 2, *t.modifiers[1:]))
    return _WIDER.get(t.name) if not t.modifiers else None


def _expr_texts(schema: Schema) -> list[str]:
    texts: list[str] = []
    for t in schema.tables:
        texts += [c.generated or "" for c in t.columns] + [c.default or "" for c in t.columns]
        texts += [c.expression for c in t.checks]
        texts += [p.using or "" for p in t.policies] + [p.with_check or "" for p in t.policies]
        for i in t.indexes:
            texts += [i.where or "", *(e.expression or "" for e in i.elements)]
    return texts


def _in_fk(schema: Schema, table: str, column: str) -> bool:
    return any(
        (t.name == table and column in fk.columns)
        or (fk.ref_table == table and column in fk.ref_columns)
        for t in schema.tables
        for fk in t.foreign_keys
    )


def _set_table(schema: Schema, table: Table) -> Schema:
    return replace(
        schema, tables=tuple(table if t.name == table.name else t for t in schema.tables)
    )


def _set_column(t: Table, col: Column) -> Table:
    return replace(t, columns=tuple(col if c.name == col.name else c for c in t.columns))


@st.composite
def _edit(draw: st.DrawFn, s: Schema) -> Schema:
    kind = draw(st.sampled_from(KINDS))
    t = draw(st.sampled_from(s.tables))
    taken = frozenset(x.name for x in s.tables) | frozenset(e.name for e in s.enums)
    if kind == "rename_table":
        new = draw(_distinct_names(1, avoid=taken))[0]
        tables = []
        for x in s.tables:
            fks = tuple(
                replace(f, ref_table=new) if f.ref_table == t.name else f for f in x.foreign_keys
            )
            tables.append(
                replace(x, name=new, renamed_from=t.renamed_from or t.name, foreign_keys=fks)
                if x.name == t.name
                else replace(x, foreign_keys=fks)
            )
        return replace(s, tables=tuple(tables))
    if kind == "rename_column":
        # any column: keys, FKs, indexes and expressions follow the rename
        free = list(t.columns)
        c = draw(st.sampled_from(free))
        new = draw(_distinct_names(1, avoid=frozenset(t.column_names)))[0]
        renamed = replace(c, name=new, renamed_from=c.renamed_from or c.name)
        cols = tuple(renamed if x.name == c.name else x for x in t.columns)
        return _set_table(s, replace(t, columns=cols))
    if kind == "rename_enum" and s.enums:
        e = draw(st.sampled_from(s.enums))
        new = draw(_distinct_names(1, avoid=taken))[0]

        def ty(c: Column) -> Column:
            if c.type.name == e.name and not c.type.is_builtin:
                return replace(c, type=replace(c.type, name=new))
            return c

        if any(e.name in text for text in _expr_texts(s)):
            return s
        return replace(
            s,
            enums=tuple(
                replace(x, name=new, renamed_from=e.renamed_from or e.name) if x is e else x
                for x in s.enums
            ),
            tables=tuple(replace(x, columns=tuple(ty(c) for c in x.columns)) for x in s.tables),
        )
    if kind == "rename_enum_value" and s.enums:
        e = draw(st.sampled_from(s.enums))
        old = draw(st.sampled_from(e.values))
        new = f"{old}_v2"
        if new in e.values or len(new.encode()) > 63:
            return s
        # a scalar default of this enum follows the rename; other texts would not
        own_defaults = {
            c.default
            for x in s.tables
            for c in x.columns
            if c.type.name == e.name and not c.type.array and c.default is not None
        }
        if any(old in text for text in _expr_texts(s) if text not in own_defaults):
            return s
        values = tuple(new if v == old else v for v in e.values)
        # compose with an earlier rename of the same value
        first = next((a for a, b in e.value_renames if b == old), old)
        renames = (*((a, b) for a, b in e.value_renames if b != old), (first, new))
        return replace(
            s,
            enums=tuple(
                replace(x, values=values, value_renames=renames) if x is e else x for x in s.enums
            ),
        )
    if kind == "widen_type":
        exprs = {r for text in _expr_texts(s) if text for r in column_refs(text)}
        cands = [
            c
            for c in t.columns
            if _wider(c.type) is not None
            and c.generated is None
            and c.identity is None
            and not _in_fk(s, t.name, c.name)
            and c.name not in exprs
            and not any(e.column == c.name and e.opclass for i in t.indexes for e in i.elements)
        ]
        if not cands:
            return s
        c = draw(st.sampled_from(cands))
        return _set_table(s, _set_column(t, replace(c, type=_wider(c.type) or c.type)))
    if kind == "add_unique":
        plain = [c for c in t.columns if keyable(c.type) and c.generated is None]
        if not plain:
            return s
        c = draw(st.sampled_from(plain))
        u = UniqueConstraint(names.unique(t.name, [c.name]), (c.name,))
        if u.name in {x.name for x in t.uniques} | {i.name for i in t.indexes}:
            return s
        return _set_table(s, replace(t, uniques=(*t.uniques, u)))
    if kind == "add_check":
        c = draw(st.sampled_from(t.columns))
        chk = CheckConstraint(
            names.fit(f"{t.name}_{c.name}", "_nn_check"),
            normalize_expr(f"num_nonnulls({sqltext.ident(c.name)}) >= 0"),
        )
        if chk.name in {x.name for x in t.checks}:
            return s
        return _set_table(s, replace(t, checks=(*t.checks, chk)))
    if kind == "add_fk":
        targets = [x for x in s.tables if x.primary_key and len(x.primary_key.columns) == 1]
        if not targets:
            return s
        ref = draw(st.sampled_from(targets))
        assert ref.primary_key is not None
        ref_col = ref.column(ref.primary_key.columns[0])
        assert ref_col is not None
        # (Postgres cannot validate an FK over array columns on a table with rows)
        same = [
            c
            for c in t.columns
            if c.type == ref_col.type and c.generated is None and not c.type.array
        ]
        if not same:
            return s
        c = draw(st.sampled_from(same))
        fk = ForeignKey(names.foreign_key(t.name, [c.name]), (c.name,), ref.name, (ref_col.name,))
        if fk.name in {x.name for x in t.foreign_keys}:
            return s
        return _set_table(s, replace(t, foreign_keys=(*t.foreign_keys, fk)))
    if kind == "enum_insert" and s.enums:
        e = draw(st.sampled_from(s.enums))
        value = f"new_{draw(st.integers(0, 999))}"
        if value in e.values:
            return s
        at = draw(st.integers(0, len(e.values)))
        values = (*e.values[:at], value, *e.values[at:])
        return replace(s, enums=tuple(replace(x, values=values) if x is e else x for x in s.enums))
    if kind == "enum_remove" and s.enums:
        e = draw(st.sampled_from(s.enums))
        if len(e.values) < 2:
            return s
        gone = draw(st.sampled_from(e.values))
        if any(gone in text for text in _expr_texts(s)):
            return s
        values = tuple(v for v in e.values if v != gone)
        return replace(s, enums=tuple(replace(x, values=values) if x is e else x for x in s.enums))
    if kind == "identity":
        cands = [
            c
            for c in t.columns
            if c.type.name in {"smallint", "integer", "bigint"}
            and not c.type.array
            and c.generated is None
            and not _in_fk(s, t.name, c.name)
        ]
        if not cands:
            return s
        c = draw(st.sampled_from(cands))
        new = draw(st.sampled_from([None, "always", "by default", "serial"]))
        nullable = c.nullable if new is None else False
        return _set_table(
            s, _set_column(t, replace(c, identity=new, default=None, nullable=nullable))
        )
    if kind == "maintained":
        cands = [c for c in t.columns if c.type.name in {"timestamp", "timestamptz"}]
        if not cands:
            return s
        c = draw(st.sampled_from(cands))
        flip = None if c.maintained else "on_update"
        return _set_table(s, _set_column(t, replace(c, maintained=flip)))
    if kind == "rls":
        pol = Policy(names.fit(t.name, "_all"), using="true")
        if t.rls_enabled:
            return _set_table(s, replace(t, rls_enabled=False, rls_forced=False, policies=()))
        return _set_table(
            s,
            replace(
                t,
                rls_enabled=True,
                rls_forced=draw(st.booleans()),
                policies=(*t.policies, pol)
                if pol.name not in {p.name for p in t.policies}
                else t.policies,
            ),
        )
    if kind == "set_not_null":
        cands = [c for c in t.columns if c.nullable and c.generated is None]
        if not cands:
            return s
        c = draw(st.sampled_from(cands))
        return _set_table(s, _set_column(t, replace(c, nullable=False)))
    if kind == "fk_action" and t.foreign_keys:
        fk = draw(st.sampled_from(t.foreign_keys))
        action = draw(st.sampled_from(["no action", "restrict", "cascade"]))
        fks = tuple(replace(f, on_delete=action) if f is fk else f for f in t.foreign_keys)
        return _set_table(s, replace(t, foreign_keys=fks))
    if kind == "unique_flip" and t.uniques:
        u = draw(st.sampled_from(t.uniques))
        flipped = replace(u, nulls_not_distinct=not u.nulls_not_distinct)
        return _set_table(s, replace(t, uniques=tuple(flipped if x is u else x for x in t.uniques)))
    if kind == "drop_pk" and t.primary_key is not None:
        if any(f.ref_table == t.name for x in s.tables for f in x.foreign_keys):
            return s
        return _set_table(s, replace(t, primary_key=None))
    if kind == "enum_comment" and s.enums:
        e = draw(st.sampled_from(s.enums))
        comment = draw(st.sampled_from([None, "a comment", "it's"]))
        return replace(
            s, enums=tuple(replace(x, comment=comment) if x is e else x for x in s.enums)
        )
    if kind == "narrow_type":
        narrower = {"bigint": ColumnType("integer"), "integer": ColumnType("smallint")}
        exprs = {r for text in _expr_texts(s) if text for r in column_refs(text)}
        cands = [
            c
            for c in t.columns
            if not c.type.array
            and c.generated is None
            and c.identity is None
            and c.default is None
            and c.name not in exprs
            and not _in_fk(s, t.name, c.name)
            and (
                c.type.name in narrower
                or (c.type.name == "varchar" and c.type.modifiers and c.type.modifiers[0] > 1)
            )
        ]
        if not cands:
            return s
        c = draw(st.sampled_from(cands))
        new = narrower.get(c.type.name) or ColumnType("varchar", (c.type.modifiers[0] - 1,))
        return _set_table(s, _set_column(t, replace(c, type=new)))
    return s


#: key type changes a real history makes (int ids widened, int ids turned into text)
_KEY_TYPES = {
    "smallint": ColumnType("integer"),
    "integer": ColumnType("bigint"),
    "bigint": ColumnType("text"),
}
_PK_TYPES = {"smallint", "integer", "bigint", "text", "varchar", "uuid"}


def _key_type(s: Schema, t: Table) -> Schema:
    """``t``'s single-column key and every FK column referencing it change type together."""
    if t.primary_key is None or len(t.primary_key.columns) != 1:
        return s
    key = t.column(t.primary_key.columns[0])
    exprs = {r for text in _expr_texts(s) if text for r in column_refs(text)}
    if key is None or key.type.array or key.name in exprs or key.identity or key.default:
        return s
    new = _KEY_TYPES.get(key.type.name) if not key.type.modifiers else None
    if new is None:
        return s
    moved = {(t.name, key.name)}
    for x in s.tables:
        for fk in x.foreign_keys:
            if fk.ref_table == t.name and fk.ref_columns == (key.name,):
                moved.add((x.name, fk.columns[0]))
    changed = []
    for x in s.tables:
        cols = []
        for c in x.columns:
            if (x.name, c.name) in moved:
                if c.generated or c.identity or c.default or c.type != key.type or c.name in exprs:
                    return s  # a dependent this edit does not rewrite
                if any(e.column == c.name and e.opclass for i in x.indexes for e in i.elements):
                    return s
                c = replace(c, type=new)
            cols.append(c)
        changed.append(replace(x, columns=tuple(cols)))
    return replace(s, tables=tuple(changed))


@st.composite
def _pk_swap(draw: st.DrawFn, s: Schema, t: Table) -> Schema:
    """The primary key moves to another plain column (which becomes NOT NULL)."""
    if t.primary_key is None or any(
        f.ref_table == t.name for x in s.tables for f in x.foreign_keys
    ):
        return s
    cands = [
        c
        for c in t.columns
        if (c.name,) != t.primary_key.columns
        and c.type.name in _PK_TYPES
        and not c.type.array
        and c.generated is None
        and c.identity is None
        and c.default is None
    ]
    if not cands:
        return s
    c = draw(st.sampled_from(cands))
    pk = replace(t.primary_key, columns=(c.name,))
    return _set_table(s, replace(_set_column(t, replace(c, nullable=False)), primary_key=pk))


@st.composite
def _history_edit(draw: st.DrawFn, s: Schema) -> Schema:
    kind = draw(st.sampled_from(["key_type", "pk_swap", "other", "other"]))
    t = draw(st.sampled_from(s.tables))
    if kind == "key_type":
        out = _key_type(s, t)
    elif kind == "pk_swap":
        out = draw(_pk_swap(s, t))
    else:
        out = draw(_edit(s))
    if out != s and kind != "other":
        event(f"history edit: {kind}")
    return out


@st.composite
def histories(
    draw: st.DrawFn, max_tables: int = 3, max_steps: int = 4, max_edits: int = 2
) -> list[Schema]:
    """A random schema, then 1..``max_steps`` later states, each 1..``max_edits``
    edits after the one before (an edit is kept only when the result validates)."""
    states = [draw(schemas(max_tables=max_tables))]
    for _ in range(draw(st.integers(1, max_steps))):
        s = states[-1]
        for _ in range(draw(st.integers(1, max_edits))):
            candidate = draw(_history_edit(s)).normalized()
            if not validate_schema(candidate):
                s = candidate
        states.append(s)
    return states


@st.composite
def evolved_pairs(
    draw: st.DrawFn, max_tables: int = 4, max_edits: int = 3
) -> tuple[Schema, Schema]:
    a = draw(schemas(max_tables=max_tables))
    b = a
    for _ in range(draw(st.integers(1, max_edits))):
        candidate = draw(_edit(b)).normalized()
        if not validate_schema(candidate):
            b = candidate
    return a, b


__all__ = ["IndexElement", "evolved_pairs", "histories"]
