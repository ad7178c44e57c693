"""Evaluate Python expressions that are static SQL text: string constants, names
assigned once, ``+`` and f-strings of those, and ``psycopg.sql`` compositions
(``SQL``, ``Identifier``, ``Literal`` of a constant, ``Placeholder``, ``.format``,
``.join``)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping

from psycopg import sql

SQL_START = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT|COPY)\b", re.IGNORECASE)


class StaticText:
    """Evaluate expressions that are static strings (constants, psycopg.sql compositions)."""

    def __init__(self, names: Mapping[str, ast.expr]) -> None:
        self.names = names

    def text(self, node: ast.expr | None, depth: int = 0) -> str | None:
        """The string a Python expression always evaluates to (constants, names bound once,
        concatenation, f-strings of constants), or None when it is built at run time."""
        if node is None or depth > 20:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.names:
            return self.text(self.names[node.id], depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left, depth + 1), self.text(node.right, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.JoinedStr):
            parts = [
                self.text(v, depth + 1) if not isinstance(v, ast.Constant) else str(v.value)
                for v in node.values
            ]
            return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
        if isinstance(node, ast.FormattedValue):
            return None
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        return None

    def call(self, node: ast.Call, depth: int) -> str | None:
        """The static text of a call that builds SQL (psycopg's ``sql.SQL``, ``Identifier``,
        ``Literal``, ``.format``; SQLAlchemy's ``text``), or None."""
        func = node.func
        fname = (
            func.attr
            if isinstance(func, ast.Attribute)
            else func.id
            if isinstance(func, ast.Name)
            else ""
        )
        args = node.args
        if fname == "_j":  # the generated modules' line-wrapped constants
            parts = [self.text(a, depth + 1) for a in args]
            return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
        if fname in ("SQL", "text") and len(args) == 1 and not node.keywords:
            # psycopg.sql.SQL, SQLAlchemy's text()
            return self.text(args[0], depth + 1)
        if fname == "Identifier" and args:
            parts = [self.text(a, depth + 1) for a in args]
            if any(p is None for p in parts):
                return None
            return ".".join(sql.Identifier(p or "").as_string(None) for p in parts)
        if fname == "Literal" and len(args) == 1 and isinstance(args[0], ast.Constant):
            return sql.Literal(args[0].value).as_string(None)
        if fname == "Placeholder" and not args:
            return "%s"
        if fname == "format" and isinstance(func, ast.Attribute):
            template = self.text(func.value, depth + 1)
            if template is None or node.keywords:
                return None
            values = [self.text(a, depth + 1) for a in args]
            if any(v is None for v in values):
                return None
            pieces = template.split("{}")
            if len(pieces) != len(values) + 1:
                return None
            out = pieces[0]
            for value, piece in zip(values, pieces[1:], strict=True):
                out += (value or "") + piece
            return out
        if fname == "join" and isinstance(func, ast.Attribute) and len(args) == 1:
            sep = self.text(func.value, depth + 1)
            seq = args[0]
            if sep is None or not isinstance(seq, ast.List | ast.Tuple):
                return None
            items = [self.text(e, depth + 1) for e in seq.elts]
            return None if any(i is None for i in items) else sep.join(i or "" for i in items)
        return None


def assignments(body: Iterable[ast.stmt]) -> dict[str, ast.expr]:
    """Names assigned exactly once in ``body`` (not descending into functions/classes)."""
    seen: dict[str, list[ast.expr]] = {}
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    seen.setdefault(t.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            seen.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            seen.setdefault(node.target.id, []).extend([node.value, node.value])
        stack.extend(ast.iter_child_nodes(node))  # type: ignore[arg-type]
    return {k: v[0] for k, v in seen.items() if len(v) == 1}
