"""A small stand-in renderer for the introspection tests.

The catalog tests exercise introspection alone, so they render their models
with this plain renderer (tests only; not part of pgwarden). The whole-pipeline
tests (property test, Basefly, CLI) use the planner's
``pgwarden.render.sql.render_schema``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.spec import names
from pgwarden.spec.model import Column, Index, Schema, Table
from pgwarden.spec.types import type_sql

Renderer = Callable[[Schema], str]


def render(schema: Schema) -> str:
    return stand_in_render(schema)


def _q(schema: Schema, name: str) -> sql.Composable:
    return sql.Identifier(schema.name, name)


def _cols(cols: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c) for c in cols)


def _column(schema: Schema, c: Column) -> sql.Composable:
    ctype = c.type
    if not ctype.is_builtin:
        typ: sql.Composable = sql.Identifier(schema.name, ctype.name)
        if ctype.array:
            typ = sql.Composed([typ, sql.SQL("[]")])
    elif c.identity == "serial":
        typ = sql.SQL({"smallint": "smallserial", "bigint": "bigserial"}.get(ctype.name, "serial"))
    else:
        typ = type_sql(ctype)
    parts: list[sql.Composable] = [sql.Identifier(c.name), typ]
    if c.identity in ("always", "by default"):
        parts.append(sql.SQL(f"GENERATED {c.identity.upper()} AS IDENTITY"))
    if c.generated is not None:
        parts.append(sql.SQL("GENERATED ALWAYS AS ({}) STORED").format(sql.SQL(c.generated)))  # type: ignore[arg-type]
    if c.default is not None:
        parts.append(sql.SQL("DEFAULT {}").format(sql.SQL(c.default)))  # type: ignore[arg-type]
    if not c.nullable:
        parts.append(sql.SQL("NOT NULL"))
    return sql.SQL(" ").join(parts)


def _index(schema: Schema, t: Table, i: Index) -> sql.Composable:
    keys = []
    for e in i.elements:
        key: sql.Composable = (
            sql.Identifier(e.column)
            if e.column is not None
            else sql.SQL("({})").format(sql.SQL(e.expression or ""))  # type: ignore[arg-type]
        )
        extra = []
        if e.opclass:
            extra.append(sql.SQL(e.opclass))  # type: ignore[arg-type]
        if e.descending:
            extra.append(sql.SQL("DESC"))
        if e.nulls_first is not None:
            extra.append(sql.SQL("NULLS FIRST" if e.nulls_first else "NULLS LAST"))
        keys.append(sql.SQL(" ").join([key, *extra]))
    stmt = sql.SQL("CREATE {}INDEX {} ON {} USING {} ({})").format(
        sql.SQL("UNIQUE " if i.unique else ""),
        sql.Identifier(i.name),
        _q(schema, t.name),
        sql.SQL(i.method),  # type: ignore[arg-type]
        sql.SQL(", ").join(keys),
    )
    if i.include:
        stmt = sql.Composed([stmt, sql.SQL(" INCLUDE ({})").format(_cols(i.include))])
    if i.nulls_not_distinct:
        stmt = sql.Composed([stmt, sql.SQL(" NULLS NOT DISTINCT")])
    if i.where:
        stmt = sql.Composed([stmt, sql.SQL(" WHERE {}").format(sql.SQL(i.where))])  # type: ignore[arg-type]
    return stmt


def stand_in_render(schema: Schema) -> str:
    out: list[sql.Composable] = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema.name))
    ]
    for e in schema.enums:
        out.append(
            sql.SQL("CREATE TYPE {} AS ENUM ({})").format(
                _q(schema, e.name), sql.SQL(", ").join(sql.Literal(v) for v in e.values)
            )
        )
        if e.comment is not None:
            out.append(
                sql.SQL("COMMENT ON TYPE {} IS {}").format(
                    _q(schema, e.name), sql.Literal(e.comment)
                )
            )
    for t in schema.tables:
        items = [_column(schema, c) for c in t.columns]
        if t.primary_key:
            items.append(
                sql.SQL("CONSTRAINT {} PRIMARY KEY ({})").format(
                    sql.Identifier(t.primary_key.name), _cols(t.primary_key.columns)
                )
            )
        for u in t.uniques:
            items.append(
                sql.SQL("CONSTRAINT {} UNIQUE {}({}){}").format(
                    sql.Identifier(u.name),
                    sql.SQL("NULLS NOT DISTINCT " if u.nulls_not_distinct else ""),
                    _cols(u.columns),
                    sql.SQL(
                        (" DEFERRABLE" if u.deferrable else "")
                        + (" INITIALLY DEFERRED" if u.initially_deferred else "")
                    ),
                )
            )
        for ch in t.checks:
            items.append(
                sql.SQL("CONSTRAINT {} CHECK ({})").format(
                    sql.Identifier(ch.name),
                    sql.SQL(ch.expression),  # type: ignore[arg-type]
                )
            )
        out.append(
            sql.SQL("CREATE TABLE {} ({})").format(_q(schema, t.name), sql.SQL(", ").join(items))
        )
    for t in schema.tables:
        for i in t.indexes:
            out.append(_index(schema, t, i))
    for t in schema.tables:
        for f in t.foreign_keys:
            out.append(
                sql.SQL(
                    "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})"
                    " ON DELETE {} ON UPDATE {}{}"
                ).format(
                    _q(schema, t.name),
                    sql.Identifier(f.name),
                    _cols(f.columns),
                    _q(schema, f.ref_table),
                    _cols(f.ref_columns),
                    sql.SQL(f.on_delete.upper()),  # type: ignore[arg-type]
                    sql.SQL(f.on_update.upper()),  # type: ignore[arg-type]
                    sql.SQL(
                        (" DEFERRABLE" if f.deferrable else "")
                        + (" INITIALLY DEFERRED" if f.initially_deferred else "")
                    ),
                )
            )
    for t in schema.tables:
        for c in t.columns:
            if c.maintained == "on_update":
                name = names.on_update_trigger(t.name, c.name)
                body = sql.SQL("BEGIN NEW.{} := now(); RETURN NEW; END").format(
                    sql.Identifier(c.name)
                )
                out.append(
                    sql.SQL("CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}").format(
                        _q(schema, name), sql.Literal(body.as_string())
                    )
                )
                out.append(
                    sql.SQL(
                        "CREATE TRIGGER {} BEFORE UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {}()"
                    ).format(sql.Identifier(name), _q(schema, t.name), _q(schema, name))
                )
        if t.rls_enabled:
            out.append(
                sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(_q(schema, t.name))
            )
        if t.rls_forced:
            out.append(
                sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(_q(schema, t.name))
            )
        for p in t.policies:
            stmt: sql.Composable = sql.SQL("CREATE POLICY {} ON {} AS {} FOR {} TO {}").format(
                sql.Identifier(p.name),
                _q(schema, t.name),
                sql.SQL("PERMISSIVE" if p.permissive else "RESTRICTIVE"),
                sql.SQL(p.command.upper()),  # type: ignore[arg-type]
                sql.SQL(", ").join(
                    sql.SQL("PUBLIC") if r == "public" else sql.Identifier(r) for r in p.roles
                ),
            )
            if p.using is not None:
                stmt = sql.Composed([stmt, sql.SQL(" USING ({})").format(sql.SQL(p.using))])  # type: ignore[arg-type]
            if p.with_check is not None:
                stmt = sql.Composed(
                    [stmt, sql.SQL(" WITH CHECK ({})").format(sql.SQL(p.with_check))]  # type: ignore[arg-type]
                )
            out.append(stmt)
        if t.comment is not None:
            out.append(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(
                    _q(schema, t.name), sql.Literal(t.comment)
                )
            )
        for c in t.columns:
            if c.comment is not None:
                out.append(
                    sql.SQL("COMMENT ON COLUMN {} IS {}").format(
                        sql.Identifier(schema.name, t.name, c.name), sql.Literal(c.comment)
                    )
                )
    return "".join(s.as_string() + ";\n" for s in out)


def pipeline_render(schema: Schema) -> str:
    """The planner's ``render_schema`` (unqualified names: run it with ``apply_ddl``)."""
    from pgwarden.render.sql import render_schema

    return render_schema(schema)


def apply_ddl(
    conn: psycopg.Connection[Any], schema: Schema, render: Renderer = stand_in_render
) -> None:
    """Run ``render(schema)`` in one transaction with ``search_path`` on the schema's namespace."""
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema.name)))
        conn.execute("SELECT set_config('search_path', quote_ident(%s), true)", (schema.name,))
        conn.execute(render(schema))  # type: ignore[arg-type]


def inspects_equal(conn: psycopg.Connection[Any], spec: Schema) -> Schema:
    """Inspect the database and assert it equals ``spec`` as the server canonicalises
    it (the readable diff first, then the models); returns the inspected schema (the
    spec's other namespaces included)."""
    db = inspect_schema(conn, spec.name, also=[n.name for n in spec.schemas])
    expected = canonicalize(spec, conn)
    assert format_diff(schema_diff(expected, db)) == ""
    assert db == expected
    return db
