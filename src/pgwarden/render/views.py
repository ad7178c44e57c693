"""SQL of the view ops (registered in :mod:`pgwarden.render.sql`'s registry)."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.ops.views import CommentOnView, CreateView, DropView
from pgwarden.render.sql import Statement, index_sql, relation, renders
from pgwarden.spec.model import View
from pgwarden.spec.names import split_name

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


def _kind(materialized: bool) -> sql.Composable:
    return S("MATERIALIZED VIEW" if materialized else "VIEW")


@renders(CreateView)
def _create_view(op: CreateView) -> list[Statement]:
    return create_view_sql(op.view)


def create_view_sql(v: View) -> list[Statement]:
    """CREATE [MATERIALIZED] VIEW with its options, then its indexes and comments."""
    options: list[sql.Composable] = []
    if v.security_barrier:
        options.append(S("security_barrier = true"))
    if v.security_invoker:
        options.append(S("security_invoker = true"))
    if v.check_option is not None:
        options.append(S("check_option = {}").format(S(v.check_option)))  # a fixed choice
    with_options = S(" WITH ({})").format(S(", ").join(options)) if options else S("")
    # the definition is SQL by definition (normalized by pglast or printed by Postgres)
    query = S(v.definition)
    tail = S(" WITH NO DATA") if v.materialized and not v.with_data else S("")
    out = [
        Statement(
            S("CREATE {} {}{} AS\n{}{}").format(
                _kind(v.materialized), relation(v.name), with_options, query, tail
            )
        )
    ]
    out += [Statement(index_sql(v.name, i)) for i in v.indexes]
    if v.comment is not None:
        out.append(_comment(v.name, v.materialized, None, v.comment))
    for col in v.columns or ():
        if col.comment is not None:
            out.append(_comment(v.name, v.materialized, col.name, col.comment))
    return out


def _comment(view: str, materialized: bool, column: str | None, text: str | None) -> Statement:
    if column is None:
        return Statement(
            S("COMMENT ON {} {} IS {}").format(_kind(materialized), relation(view), L(text))
        )
    return Statement(S("COMMENT ON COLUMN {} IS {}").format(I(*split_name(view), column), L(text)))


@renders(DropView)
def _drop_view(op: DropView) -> list[Statement]:
    return [drop_view_sql(op.view)]


def drop_view_sql(v: View) -> Statement:
    """DROP [MATERIALIZED] VIEW (its indexes go with it)."""
    return Statement(S("DROP {} {}").format(_kind(v.materialized), relation(v.name)))


@renders(CommentOnView)
def _comment_on_view(op: CommentOnView) -> list[Statement]:
    return [_comment(op.view, op.materialized, op.column, op.new)]
