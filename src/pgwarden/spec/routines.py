"""Function signatures in the spec: one normal form, parsed by Postgres's parser.

A spec writes ``arguments = "a int, b text default 'x'"``; pglast parses it as the
parameter list of a ``CREATE FUNCTION`` and prints it back, so equal lists load
equal (the server's ``pg_get_function_arguments`` text replaces it once
canonicalized, as for every expression). The identity of a function for ``DROP``
is the list without defaults (:func:`identity_arguments`); ``search_path`` values
are read from ``proconfig`` by :func:`split_search_path`.
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream

from pgwarden.spec.exprs import ExprSyntaxError


def _parse(arguments: str, returns: str | None) -> Any:
    ret = f" RETURNS {returns}" if returns is not None else ""
    kind = "FUNCTION" if returns is not None else "PROCEDURE"
    text = f"CREATE {kind} pgwarden_f({arguments}){ret} LANGUAGE sql AS ''"
    try:
        stmts = parse_sql(text)
    except Exception as exc:  # pglast raises ParseError, sometimes others on odd input
        message = str(exc).split("\n")[0]
        raise ExprSyntaxError(f"not a valid argument list or return type: {message}") from None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.CreateFunctionStmt):
        raise ExprSyntaxError("must be an argument list (or a return type), nothing else")
    return stmts[0].stmt


def _table_mode(p: Any) -> bool:
    return bool(p.mode == enums.FunctionParameterMode.FUNC_PARAM_TABLE)


def normalize_arguments(arguments: str) -> str:
    """The parameter list in pglast's spelling (``a integer, b text = 'x'``)."""
    stmt = _parse(arguments, "void")
    return ", ".join(str(RawStream()(p)) for p in stmt.parameters or () if not _table_mode(p))


def normalize_returns(arguments: str, returns: str) -> str:
    """The return type in pglast's spelling (``SETOF text``, ``TABLE(a integer)``)."""
    stmt = _parse(arguments, returns)
    table = [p for p in stmt.parameters or () if _table_mode(p)]
    if table:
        return "TABLE(" + ", ".join(str(RawStream()(p)) for p in table) + ")"
    return str(RawStream()(stmt.returnType))


def identity_arguments(arguments: str) -> str:
    """The parameter list ``DROP FUNCTION`` and ``COMMENT ON FUNCTION`` take: no
    defaults (``pg_get_function_identity_arguments`` without the server)."""
    stmt = _parse(arguments, "void")
    out = []
    for p in stmt.parameters or ():
        if _table_mode(p):
            continue
        p.defexpr = None
        out.append(str(RawStream()(p)))
    return ", ".join(out)


def split_search_path(value: str) -> tuple[str, ...]:
    """``public, "My Schema"`` (a ``proconfig`` value) as its schema names."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " ,":
            i += 1
        if i >= n:
            break
        if value[i] == '"':
            j, name = i + 1, []
            while j < n:
                if value[j] == '"':
                    if j + 1 < n and value[j + 1] == '"':
                        name.append('"')
                        j += 2
                        continue
                    break
                name.append(value[j])
                j += 1
            out.append("".join(name))
            i = j + 1
        else:
            j = value.find(",", i)
            j = n if j < 0 else j
            out.append(value[i:j].strip())
            i = j
    return tuple(out)


__all__ = ["identity_arguments", "normalize_arguments", "normalize_returns", "split_search_path"]
