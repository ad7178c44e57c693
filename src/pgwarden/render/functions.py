"""SQL of the function ops (registered in :mod:`pgwarden.render.sql`'s registry).

The body goes in dollar quotes whose tag it does not contain (as pg_dump does),
so it reaches ``prosrc`` byte for byte. Arguments and the return type are SQL
text by definition (parsed when loaded, or printed by Postgres).
"""

from __future__ import annotations

import re
from dataclasses import replace

from psycopg import sql

from pgwarden.planner.ops.functions import CreateFunction, DropFunction, ReplaceFunction
from pgwarden.render.sql import Statement, relation, renders
from pgwarden.spec.model import Function
from pgwarden.spec.routines import identity_arguments

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


def dollar_quoted(body: str) -> str:
    """``$function$body$function$`` with a tag the body does not contain."""
    tag, n = "function", 0
    while f"${tag}$" in body or body.endswith(f"${tag}"):
        n += 1
        tag = f"function{n}"
    return f"${tag}${body}${tag}$"


def _plain(name: str) -> sql.Composable:
    return S(name) if _PLAIN.match(name) else I(name)


def signature(f: Function) -> sql.Composable:
    """``name(identity arguments)`` as DROP and COMMENT ON take it."""
    return S("{}({})").format(relation(f.name), S(identity_arguments(f.arguments)))


def function_sql(f: Function, *, or_replace: bool = False) -> sql.Composable:
    """CREATE [OR REPLACE] FUNCTION / PROCEDURE with its arguments, result, language, options
    and body."""
    kind = S("PROCEDURE" if f.kind == "procedure" else "FUNCTION")
    parts: list[sql.Composable] = [
        S("CREATE {}{} {}({})").format(
            S("OR REPLACE " if or_replace else ""), kind, relation(f.name), S(f.arguments)
        )
    ]
    if f.returns is not None:
        parts.append(S("RETURNS {}").format(S(f.returns)))
    parts.append(S("LANGUAGE {}").format(_plain(f.language)))
    if f.kind == "function":
        if f.volatility != "volatile":
            parts.append(S(f.volatility.upper()))
        if f.strict:
            parts.append(S("STRICT"))
        if f.leakproof:
            parts.append(S("LEAKPROOF"))
        if f.parallel != "unsafe":
            parts.append(S("PARALLEL {}").format(S(f.parallel.upper())))
    if f.security_definer:
        parts.append(S("SECURITY DEFINER"))
    if f.search_path is not None:
        path = S(", ").join([I(n) for n in f.search_path]) if f.search_path else L("")
        parts.append(S("SET search_path = {}").format(path))
    for name, value in f.settings:
        parts.append(S("SET {} = {}").format(I(name), L(value)))
    parts.append(S("AS {}").format(S(dollar_quoted(f.body))))
    return S("\n").join(parts)


def _comment(f: Function, text: str | None) -> Statement:
    kind = S("PROCEDURE" if f.kind == "procedure" else "FUNCTION")
    return Statement(S("COMMENT ON {} {} IS {}").format(kind, signature(f), L(text)))


@renders(CreateFunction)
def _create_function(op: CreateFunction) -> list[Statement]:
    out = [Statement(function_sql(op.function))]
    if op.function.comment is not None:
        out.append(_comment(op.function, op.function.comment))
    return out


@renders(DropFunction)
def _drop_function(op: DropFunction) -> list[Statement]:
    f = op.function
    kind = S("PROCEDURE" if f.kind == "procedure" else "FUNCTION")
    return [Statement(S("DROP {} {}").format(kind, signature(f)))]


@renders(ReplaceFunction)
def _replace_function(op: ReplaceFunction) -> list[Statement]:
    out: list[Statement] = []
    if op.new != replace(op.old, comment=op.new.comment):
        out.append(Statement(function_sql(op.new, or_replace=True)))
    if op.old.comment != op.new.comment:
        out.append(_comment(op.new, op.new.comment))
    return out
