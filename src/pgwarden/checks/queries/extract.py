"""Python source -> the :class:`~.model.Query` objects it runs (all static, nothing runs).

Queries are string literals passed to psycopg's ``execute`` / ``executemany`` /
``copy`` / ``stream`` (a module or function constant holding the text counts
too, and static ``psycopg.sql`` compositions), and calls of generated accessors.
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

QUERY_METHODS = frozenset({"execute", "executemany", "copy", "stream"})


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
        out = []
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
    scopes: list[tuple[ast.AST, dict[str, ast.expr]]] = [(tree, module_names)]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scopes.append((node, {**module_names, **assignments(node.body)}))
    seen: set[tuple[int, int]] = set()
    for owner, names in reversed(scopes):
        static = StaticText(names)
        for call in _own_calls(owner):
            key = (call.lineno, call.col_offset)
            if key in seen:
                continue
            seen.add(key)
            out += _call_queries(call, static, file, schema, accessors)
    return sorted(out, key=lambda q: (q.line, q.col, q.label))


def _own_calls(root: ast.AST) -> Iterator[ast.Call]:
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Call):
            yield node
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
