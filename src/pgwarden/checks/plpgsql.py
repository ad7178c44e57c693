"""What a PL/pgSQL or SQL body runs: its statements, the expressions it evaluates,
and the dynamic SQL it builds; and the functions and procedures a history defines.

One reader serves both DO blocks (``sqlfile`` turns the items into statements at
their own lines) and the bodies of ``CREATE FUNCTION`` / ``CREATE PROCEDURE``
(``calls`` checks them where a migration calls them). A body is read into
:class:`Item`\\ s, in body order:

* ``sql``: a statement it runs (plain SQL, ``EXECUTE 'constant'``, or an
  ``EXECUTE format(...)`` / ``'a' || 'b'`` whose arguments are all constants,
  resolved the way Postgres would build the string);
* ``expr``: an expression, ``PERFORM`` or ``CALL`` (read only for the functions it
  calls; parsed lazily, so a DO block full of ``IF`` conditions costs nothing);
* ``dynamic``: an ``EXECUTE`` of a string known only at run time.

Line numbers are PL/pgSQL's own (line 1 is the line of the body's opening quote),
the numbers Postgres prints in ``PL/pgSQL function f() line 3 at ...``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pgwarden.pgquery import ParseError, parse_plpgsql_json, parse_sql_json

Rel = tuple[str, str]

#: ``EXECUTE 'one constant'``: read without parsing the expression.
CONSTANT_STRING = re.compile(r"\s*'((?:[^']|'')*)'\s*")
_FORMAT_SPEC = re.compile(r"%(?:(\d+)\$)?(-?\d*)([sIL%])")
#: PL/pgSQL's parse modes of an expression (``RawParseMode``): 0 a whole statement,
#: 2 an expression, 3 an assignment ``x := expr``.
_MODE_STMT, _MODE_EXPR, _MODE_ASSIGN = 0, 2, 3


@dataclass(frozen=True, slots=True)
class Item:
    """One thing a body runs: ``kind`` (``sql``, ``expr``, ``dynamic``), its line in
    the body, ``text`` as written (for locating it) and ``sql`` to parse."""

    kind: str
    line: int
    text: str
    sql: str


def plpgsql_items(tree: Any) -> Iterator[Item]:
    """The items of a parsed PL/pgSQL function (``parse_plpgsql_json``), in body order."""
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        cur, line = stack.pop()
        if isinstance(cur, list):
            stack.extend((x, line) for x in reversed(cur))
            continue
        if not isinstance(cur, dict):
            continue
        line = cur.get("lineno", line)
        children: list[tuple[Any, int]] = []  # walked after this node, in order
        for key, value in cur.items():
            if key == "PLpgSQL_stmt_execsql":
                query = _query(value.get("sqlstmt"))
                if query:
                    yield Item("sql", value.get("lineno", line), query, query)
            elif key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                yield _dynamic(_query(value.get("query")), value.get("lineno", line))
                rest = {k: v for k, v in value.items() if k != "query"}
                children.append((rest, value.get("lineno", line)))
            elif key == "PLpgSQL_stmt_perform":
                query = _query(value.get("expr"))  # "SELECT f()": PERFORM as written
                text = re.sub(r"^\s*SELECT\b", "PERFORM", query, count=1, flags=re.IGNORECASE)
                yield Item("expr", value.get("lineno", line), text, query)
            elif key == "PLpgSQL_expr":
                got = _expression(value, line)
                if got is not None:
                    yield got
            elif isinstance(value, dict | list):
                children.append((value, line))
        stack.extend(reversed(children))


def _query(expr: Any) -> str:
    if not isinstance(expr, dict):
        return ""
    return str(expr.get("PLpgSQL_expr", {}).get("query", ""))


def _expression(expr: Tree, line: int) -> Item | None:
    """An expression PL/pgSQL evaluates (a condition, a default, an assignment ...)."""
    query = str(expr.get("query", ""))
    if "(" not in query:
        return None  # calls nothing
    mode = expr.get("parseMode", _MODE_STMT)
    if mode == _MODE_EXPR:
        return Item("expr", line, query, f"SELECT {query}")
    if mode == _MODE_ASSIGN:
        _, sep, value = query.partition(":=")
        if not sep:
            _, sep, value = query.partition("=")
        return Item("expr", line, query, f"SELECT {value}") if sep else None
    if mode == _MODE_STMT:
        return Item("expr", line, query, query)  # CALL p(), a FOR loop's query ...
    return None


Tree = dict[str, Any]


def _dynamic(query: str, line: int) -> Item:
    """An EXECUTE: its statement when the string is built from constants only."""
    m = CONSTANT_STRING.fullmatch(query)
    if m:
        text = m.group(1).replace("''", "'")
        return Item("sql", line, text, text)
    built = resolve_string(query)
    if built is not None:
        return Item("sql", line, query, built)
    return Item("dynamic", line, query, query)


def resolve_string(expr: str) -> str | None:
    """The text of a string expression made of constants (``'a' || 'b'``,
    ``format('... %I ...', 'x')``), or None when it depends on run-time values."""
    try:
        stmts = json.loads(parse_sql_json(f"SELECT {expr}"))["stmts"]
    except ParseError:
        return None
    if len(stmts) != 1:
        return None
    targets = stmts[0]["stmt"].get("SelectStmt", {}).get("targetList") or []
    if len(targets) != 1:
        return None
    return _const(targets[0].get("ResTarget", {}).get("val"))


def _const(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    if "A_Const" in node:
        const = node["A_Const"]
        if "sval" in const:
            return str(const["sval"].get("sval", ""))
        for key in ("ival", "fval"):
            if key in const:
                return str(const[key].get(key, 0))
        return None
    if "TypeCast" in node:  # 'x'::text
        return _const(node["TypeCast"].get("arg"))
    if "A_Expr" in node:
        expr = node["A_Expr"]
        op = [n.get("String", {}).get("sval") for n in expr.get("name") or ()]
        if op == ["||"]:
            left, right = _const(expr.get("lexpr")), _const(expr.get("rexpr"))
            return left + right if left is not None and right is not None else None
        return None
    if "FuncCall" in node:
        call = node["FuncCall"]
        fname = [n.get("String", {}).get("sval") for n in call.get("funcname") or ()]
        args = [_const(a) for a in call.get("args") or ()]
        if any(a is None for a in args):
            return None
        values = [a for a in args if a is not None]
        if fname[-1:] == ["format"] and values:
            return _format(values[0], values[1:])
        if fname[-1:] == ["quote_ident"] and len(values) == 1:
            return _ident(values[0])
        if fname[-1:] == ["quote_literal"] and len(values) == 1:
            return _literal(values[0])
        if fname[-1:] == ["concat"]:
            return "".join(values)
    return None


def _ident(value: str) -> str:
    # Quoting always names the same identifier as quote_ident's bare form would.
    return '"' + value.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _format(template: str, args: list[str]) -> str | None:
    """Postgres's ``format()`` over constant arguments (``%s``, ``%I``, ``%L``, ``%%``,
    positional ``%2$s``)."""
    out: list[str] = []
    pos = 0
    nxt = 0
    for m in _FORMAT_SPEC.finditer(template):
        out.append(template[pos : m.start()])
        pos = m.end()
        if m.group(3) == "%":
            out.append("%")
            continue
        index = int(m.group(1)) - 1 if m.group(1) else nxt
        if index >= len(args):
            return None
        nxt = index + 1
        value = args[index]
        out.append(
            _ident(value) if m.group(3) == "I" else _literal(value) if m.group(3) == "L" else value
        )
    out.append(template[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- routines


@dataclass(slots=True)
class Routine:
    """A function or procedure of the history, with what its body runs (read once,
    on its first call)."""

    name: Rel
    procedure: bool
    language: str
    body: str
    definition: str
    """The whole ``CREATE FUNCTION`` statement (PL/pgSQL's parser reads it)."""
    file: str
    line: int
    """Line of ``file`` where the body's line 1 is."""
    nargs: int
    _items: list[Item] | None = field(default=None, repr=False)
    error: str | None = None
    """Why the body could not be read (None: it was)."""

    @property
    def display(self) -> str:
        """``name()``, schema-qualified outside ``public`` (for messages)."""
        schema, name = self.name
        return f"{name}()" if schema == "public" else f"{schema}.{name}()"

    def items(self) -> list[Item]:
        """What the body runs, in order (empty when it cannot be read)."""
        if self._items is None:
            self._items = self._read()
        return self._items

    def _read(self) -> list[Item]:
        try:
            if self.language == "plpgsql":
                return list(plpgsql_items(json.loads(parse_plpgsql_json(self.definition))))
            if self.language == "sql":
                return _sql_items(self.body)
        except ParseError as exc:
            self.error = str(exc.args[0]) if exc.args else str(exc)
        return []


def _sql_items(body: str) -> list[Item]:
    """The statements of a ``LANGUAGE sql`` body, at their lines in it."""
    stmts = json.loads(parse_sql_json(body))["stmts"]
    data = body.encode("utf-8")
    out: list[Item] = []
    for raw in stmts:
        start = raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0) or len(data) - start
        before = data[:start].decode("utf-8", errors="replace")
        text = data[start : start + length].decode("utf-8", errors="replace")
        lead = len(text) - len(text.lstrip())
        line = before.count("\n") + text[:lead].count("\n") + 1
        out.append(Item("sql", line, text.strip(), text.strip()))
    return out


#: Return types of functions that cannot be called directly (only fired).
_FIRED = frozenset({"trigger", "event_trigger"})


@dataclass
class Routines:
    """The functions and procedures defined so far, by (schema, name)."""

    by_name: dict[Rel, list[Routine]] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.by_name)

    def define(self, rel: Rel, node: Tree, text: str, file: str, line: int) -> None:
        """Record ``CREATE [OR REPLACE] FUNCTION|PROCEDURE`` (``node`` its tree, ``text``
        the statement, ``line`` the file line it starts at)."""
        ret = [
            n.get("String", {}).get("sval")
            for n in (node.get("returnType") or {}).get("names") or ()
        ]
        if ret and ret[-1] in _FIRED:
            return
        language, body = "sql", None
        for opt in node.get("options") or ():
            elem = opt.get("DefElem", {})
            arg = elem.get("arg") or {}
            if elem.get("defname") == "language":
                language = str(arg.get("String", {}).get("sval", language)).lower()
            elif elem.get("defname") == "as":
                items = arg.get("List", {}).get("items") or [arg]
                body = items[0].get("String", {}).get("sval") if len(items) == 1 else None
        if body is None:
            if node.get("sql_body") is None:
                return  # a C function (obj file, link symbol): nothing to read
            body = ""  # BEGIN ATOMIC: only DML, already parsed; nothing DDL to check
            language = "atomic"
        params = [
            p
            for p in node.get("parameters") or ()
            if p.get("FunctionParameter", {}).get("mode")
            not in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE")
        ]
        at = text.find(body) if body else -1
        body_line = line + (text[:at].count("\n") if at >= 0 else 0)
        routine = Routine(
            rel, bool(node.get("is_procedure")), language, body, text, file, body_line, len(params)
        )
        same = [r for r in self.by_name.get(rel, []) if r.nargs != routine.nargs]
        self.by_name[rel] = [*same, routine]
        self._pattern = None

    def drop(self, rel: Rel, nargs: int | None) -> None:
        """``DROP FUNCTION|PROCEDURE`` (``nargs`` None: without an argument list)."""
        kept = [r for r in self.by_name.get(rel, []) if nargs is not None and r.nargs != nargs]
        if kept:
            self.by_name[rel] = kept
        else:
            self.by_name.pop(rel, None)
        self._pattern = None

    def rename(self, rel: Rel, nargs: int | None, new: str) -> None:
        """``ALTER FUNCTION|PROCEDURE ... RENAME TO new`` (same schema)."""
        moved = [r for r in self.by_name.get(rel, []) if nargs is None or r.nargs == nargs]
        self.drop(rel, nargs)
        target = (rel[0], new)
        for r in moved:
            r.name = target
            same = [x for x in self.by_name.get(target, []) if x.nargs != r.nargs]
            self.by_name[target] = [*same, r]
        self._pattern = None

    def mentioned(self, text: str) -> bool:
        """Whether ``text`` may call one of them (a cheap filter before the tree walk)."""
        if not self.by_name:
            return False
        if self._pattern is None:
            names = sorted({re.escape(name) for _, name in self.by_name}, key=len, reverse=True)
            self._pattern = re.compile(r'(?<![\w$])"?(?:' + "|".join(names) + r')"?\s*\(', re.I)
        return self._pattern.search(text) is not None

    def get(self, rel: Rel, nargs: int) -> Routine | None:
        """The routine a call of ``rel`` with ``nargs`` arguments runs."""
        found = self.by_name.get(rel)
        if not found:
            return None
        for r in found:
            if r.nargs == nargs:
                return r
        return found[-1]  # defaults or variadic: the latest definition
