"""Python source -> the :class:`~.model.Query` objects it runs (all static, nothing runs).

Queries are string literals passed to psycopg's ``execute`` / ``executemany`` /
``copy`` / ``stream`` (a module or function constant holding the text counts
too, and static ``psycopg.sql`` compositions), SQLAlchemy Core's
``session.execute(text("..."))`` (and ``scalar``, ``scalars``, ``exec_driver_sql``),
and calls of generated accessors -- in any call form: chained
(``conn.execute(q).fetchone()[0]``), returned, awaited, in comprehensions and
lambdas, inside ``with``/``async with conn.cursor() as cur``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from pgwarden.checks.queries.accessors import (
    GENERATED,
    AccessorMap,
    accessor_map,
    generated_accessors,
    is_generated_queries,
    query_constants,
    sibling_access,
)
from pgwarden.checks.queries.analysis import analyse_sql
from pgwarden.checks.queries.model import ALL_ROWS, Query
from pgwarden.checks.queries.statics import SQL_START, StaticText, assignments
from pgwarden.spec.model import Schema

QUERY_METHODS = frozenset(
    {"execute", "executemany", "copy", "stream", "exec_driver_sql", "scalar", "scalars"}
)


def extract_queries(
    text: str,
    file: str,
    schema: Schema,
    accessors: AccessorMap | None = None,
    root: Path | None = None,
) -> list[Query]:
    """Every static query of one Python file, analysed against ``schema`` (``root``:
    what a relative ``file`` is relative to, to find a generated package's sync.py)."""
    if text.startswith(GENERATED):
        if not is_generated_queries(text):
            return []  # sync.py/aio.py run the constants of _queries.py: counted there
        access = sibling_access(file, root)
        users = accessor_map(text, access).users if access else {}
        out: list[Query] = []
        for label, (sql_text, line) in query_constants(text).items():
            accesses = analyse_sql(sql_text, schema)
            if accesses:
                shown = ", ".join(users.get(label, ())) or label
                out.append(
                    Query(
                        file,
                        line,
                        1,
                        sql_text,
                        shown,
                        accesses,
                        generated=True,
                        all_rows=label.endswith(ALL_ROWS),
                    )
                )
        return out
    try:
        tree = ast.parse(text, filename=file)
    except SyntaxError:
        return []
    accessors = accessors if accessors is not None else generated_accessors(schema)
    module_names = assignments(tree.body)
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef):
            for k, v in assignments(cls.body).items():
                module_names.setdefault(k, v)
    out = []
    # Each call belongs to exactly one scope (the innermost function around it; lambdas
    # and comprehensions are part of it), and a nested function sees its enclosing
    # functions' names.
    stack: list[tuple[ast.AST, dict[str, ast.expr]]] = [(tree, module_names)]
    while stack:
        owner, names = stack.pop()
        static = StaticText(names)
        for call, nested in _own_calls(owner):
            if call is not None:
                out += _call_queries(call, static, file, schema, accessors)
            if nested is not None:
                stack.append((nested, {**names, **assignments(nested.body)}))
    return sorted(out, key=lambda q: (q.line, q.col, q.label))


def _own_calls(
    root: ast.AST,
) -> Iterator[tuple[ast.Call | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
    """The calls of ``root`` outside nested functions (``(call, None)``), and the nested
    functions themselves (``(None, function)``)."""
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield None, node
            continue
        if isinstance(node, ast.Call):
            yield node, None
        stack.extend(ast.iter_child_nodes(node))


def _call_queries(
    call: ast.Call, static: StaticText, file: str, schema: Schema, accessors: AccessorMap
) -> list[Query]:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return []
    receiver = ast.unparse(func.value)
    if func.attr in QUERY_METHODS and call.args:
        text = static.text(call.args[0])
        if text is None or not SQL_START.match(text):
            return []
        accesses = analyse_sql(text, schema)
        if not accesses:
            return []
        return [
            Query(file, call.lineno, call.col_offset + 1, text, f"{receiver}.{func.attr}", accesses)
        ]
    last = receiver.rsplit(".", 1)[-1]
    found = accessors.methods.get((last, func.attr))
    if not found:
        return []
    out = []
    for label, text in found:
        accesses = analyse_sql(text, schema)
        if accesses:
            out.append(
                Query(
                    file,
                    call.lineno,
                    call.col_offset + 1,
                    text,
                    f"{receiver}.{func.attr} ({label})",
                    accesses,
                    all_rows=label.endswith(ALL_ROWS),
                )
            )
    return out
