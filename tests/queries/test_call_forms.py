"""Every call form finds the query: random code shapes around one known query.

A hypothesis strategy builds a Python module in which one ``execute`` of a known
query sits inside random wrappers (chained ``.fetchone()[0]``, ``await``, a
comprehension, a lambda, ``return``, ``with``/``async with conn.cursor() as cur``,
``for``/``if``/``try`` blocks, SQLAlchemy's ``text()``). The query must be found
exactly once, at the line of its call; in a loop with the loop variable as its
parameter, the N+1 rule must report it exactly once at that line too.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.checks.engine import lint_python
from pgwarden.checks.queries import extract_queries
from pgwarden.spec.load import load_schema_text

SPEC = """
[tables.Post.columns]
id       = { type = "integer", primary_key = true }
authorId = { type = "text" }
"""
SCHEMA = load_schema_text(SPEC)
QUERY = 'SELECT id FROM "Post" WHERE "authorId" = %s'


@dataclass(frozen=True)
class Shape:
    receiver: str
    """``conn``, ``cur`` (opened by a with block), ``session`` (SQLAlchemy)."""
    expr: list[str]
    """Expression wrappers, innermost first."""
    blocks: list[str]
    """Block wrappers, innermost first."""
    stmt: str
    is_async: bool
    multiline: bool
    const: bool
    """The query text in a module constant instead of a literal."""


EXPRS = ["fetchone", "fetchall", "index0", "list", "paren", "ternary", "lambda_call", "lambda"]
COMPS = ["listcomp", "dictcomp", "setcomp", "genexp"]
BLOCKS = ["for", "if", "try", "while", "with_cursor", "async_with_cursor"]
STMTS = ["assign", "return", "expr", "print", "annassign", "augassign"]


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    is_async = draw(st.booleans())
    blocks = draw(st.lists(st.sampled_from(BLOCKS), max_size=3))
    if not is_async:
        blocks = [b for b in blocks if b != "async_with_cursor"]
    expr = draw(st.lists(st.sampled_from(EXPRS + COMPS), max_size=3))
    receiver = draw(st.sampled_from(["conn", "session", "self.db"]))
    if any(b.endswith("with_cursor") for b in blocks):
        receiver = "cur"
    return Shape(
        receiver,
        expr,
        blocks,
        draw(st.sampled_from(STMTS)),
        is_async,
        draw(st.booleans()),
        draw(st.booleans()),
    )


def render(shape: Shape, param: str = "(key,)") -> tuple[str, int]:
    """The module's text and the line of the execute call."""
    query = "Q" if shape.const else repr(QUERY)
    if shape.receiver == "session":
        query = f"text({query})"
        param = "{'k': key}" if param == "(key,)" else param
    call = f"{shape.receiver}.execute({query}, {param})"
    if shape.multiline:
        call = f"{shape.receiver}.execute(\n        {query},\n        {param},\n    )"
    expr = f"(await {call})" if shape.is_async else call
    for w in shape.expr:
        expr = {
            "fetchone": f"{expr}.fetchone()",
            "fetchall": f"{expr}.fetchall()",
            "index0": f"{expr}.fetchone()[0]",
            "list": f"list({expr})",
            "paren": f"({expr})",
            "ternary": f"({expr} if flag else None)",
            "lambda_call": f"(lambda: {expr})()" if not shape.is_async else expr,
            "lambda": f"(lambda: {expr})" if not shape.is_async else expr,
            "listcomp": f"[{expr} for key in keys]",
            "dictcomp": f"{{key: {expr} for key in keys}}",
            "setcomp": f"{{{expr} for key in keys}}",
            "genexp": f"list({expr} for key in keys)",
        }[w]
    stmt = {
        "assign": f"row = {expr}",
        "return": f"return {expr}",
        "expr": expr,
        "print": f"print({expr})",
        "annassign": f"row: object = {expr}",
        "augassign": f"total += {expr}",
    }[shape.stmt]
    body = [stmt]
    for b in shape.blocks:
        head = {
            "for": ["for key in keys:"],
            "if": ["if flag:"],
            "try": ["try:"],
            "while": ["while flag:"],
            "with_cursor": ["with conn.cursor() as cur:"],
            "async_with_cursor": ["async with conn.cursor() as cur:"],
        }[b]
        tail = ["except Exception:", "    pass"] if b == "try" else []
        body = head + ["    " + line for line in "\n".join(body).splitlines()] + tail
    header = [
        "from psycopg import sql",
        "from sqlalchemy import text",
        "",
        f"Q = {QUERY!r}",
        "",
        "",
        f"{'async ' if shape.is_async else ''}def run(self, conn, session, keys, key, flag):",
        "    total = 0",
    ]
    lines = header + ["    " + line for line in "\n".join(body).splitlines()]
    text = "\n".join(lines) + "\n"
    call_line = next(n for n, line in enumerate(lines, 1) if ".execute(" in line)
    return text, call_line


@settings(max_examples=150, deadline=None)
@given(shapes())
def test_one_known_query_is_found_exactly_once_at_its_line(shape: Shape) -> None:
    text, line = render(shape)
    found = [q for q in extract_queries(text, "app.py", SCHEMA) if q.sql == QUERY]
    assert [q.line for q in found] == [line], text


@settings(max_examples=150, deadline=None)
@given(shapes())
def test_n_plus_one_in_a_loop_is_reported_exactly_once(shape: Shape) -> None:
    looped = Shape(
        shape.receiver,
        [w for w in shape.expr if w not in COMPS and w != "lambda"],
        ["for", *shape.blocks],
        shape.stmt,
        shape.is_async,
        shape.multiline,
        shape.const,
    )
    text, line = render(looped)
    found = [f for f in lint_python([("app.py", text)]).findings if f.rule == "n-plus-one-loop"]
    assert [f.location.line for f in found] == [line], text
    # the same call with a constant parameter is one query, not one per item
    text, _ = render(looped, param="(1,)")
    assert [
        f for f in lint_python([("app.py", text)]).findings if f.rule == "n-plus-one-loop"
    ] == []


def test_sqlalchemy_core_text_is_a_query() -> None:
    text = (
        "from sqlalchemy import text\n\n"
        "def f(session, key):\n"
        '    return session.execute(text(\'SELECT id FROM "Post" WHERE "authorId" = :k\'), '
        "{'k': key}).scalar_one()\n"
    )
    (q,) = extract_queries(text, "app.py", SCHEMA)
    assert q.line == 4 and q.label == "session.execute"
    assert [(c.column, c.op) for c in q.accesses[0].conds] == [("authorId", "=")]


def test_n_plus_one_through_map_and_an_immediately_called_lambda() -> None:
    text = (
        "def f(conn, keys):\n"
        "    rows = list(map(lambda k: conn.execute('SELECT 1 WHERE %s', (k,)), keys))\n"
        "    for k in keys:\n"
        "        later = lambda: conn.execute('SELECT 1 WHERE %s', (k,))\n"  # not run here
        "        now = (lambda: conn.execute('SELECT 1 WHERE %s', (k,)))()\n"
        "    return rows, later, now\n"
    )
    found = sorted(f.location.line for f in lint_python([("app.py", text)]).findings)
    assert found == [2, 5]


def test_query_rules_see_chained_calls() -> None:
    from pgwarden.checks.query_rules import lint_queries

    text = (
        "def f(conn, key):\n"
        f"    return [r[0] for r in conn.execute({QUERY!r}, (key,)).fetchall()]\n\n"
        "def g(conn, key):\n"
        f"    return conn.execute({QUERY!r}, (key,)).fetchone()[0]\n"
    )
    found = lint_queries([("app.py", text)], SCHEMA, {"query-without-index"})
    assert sorted((f.rule, f.location.line) for f in found) == [
        ("query-without-index", 2),
        ("query-without-index", 5),
    ]
