"""SQL of the extension and exclusion-constraint ops (registered in
:mod:`pgwarden.render.sql`'s registry)."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.ops.extensions import (
    AddExclusion,
    AlterExtension,
    CreateExtension,
    DropExclusion,
    DropExtension,
)
from pgwarden.render.sql import Statement, exclusion_sql, relation, renders

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


@renders(CreateExtension)
def _create_extension(op: CreateExtension) -> list[Statement]:
    x = op.extension
    parts: list[sql.Composable] = [S("CREATE EXTENSION IF NOT EXISTS {}").format(I(x.name))]
    if x.schema is not None:
        parts.append(S("SCHEMA {}").format(I(x.schema)))
    if x.version is not None:
        parts.append(S("VERSION {}").format(L(x.version)))
    return [Statement(S(" ").join(parts))]


@renders(DropExtension)
def _drop_extension(op: DropExtension) -> list[Statement]:
    return [Statement(S("DROP EXTENSION {}").format(I(op.extension.name)))]


@renders(AlterExtension)
def _alter_extension(op: AlterExtension) -> list[Statement]:
    out: list[Statement] = []
    if op.old_schema != op.new_schema and op.new_schema is not None:
        out.append(
            Statement(S("ALTER EXTENSION {} SET SCHEMA {}").format(I(op.name), I(op.new_schema)))
        )
    elif op.old_schema != op.new_schema:
        # back to the default namespace: the first entry of the runner's search_path
        body = S("BEGIN EXECUTE format({}, {}, current_schema()); END").format(
            L("ALTER EXTENSION %I SET SCHEMA %I"), L(op.name)
        )
        out.append(Statement(S("DO {}").format(L(body.as_string(None)))))
    if op.new_version is not None and op.old_version != op.new_version:
        out.append(
            Statement(S("ALTER EXTENSION {} UPDATE TO {}").format(I(op.name), L(op.new_version)))
        )
    return out


@renders(AddExclusion)
def _add_exclusion(op: AddExclusion) -> list[Statement]:
    return [
        Statement(
            S("ALTER TABLE {} ADD {}").format(relation(op.table), exclusion_sql(op.exclusion))
        )
    ]


@renders(DropExclusion)
def _drop_exclusion(op: DropExclusion) -> list[Statement]:
    return [
        Statement(
            S("ALTER TABLE {} DROP CONSTRAINT {}").format(relation(op.table), I(op.exclusion.name))
        )
    ]
