"""Fix texts in the user's own tool: concrete rewritten statements, placed the way
the tool runs them (pgwarden steps for pgwarden's layout, plain SQL in a migration
of its own for Prisma, Diesel, Flyway, golang-migrate, dbmate, Sqitch, psql).

The rewrites edit the user's statement text at token positions (pglast's scanner),
so their formatting and quoting survive: ``CREATE INDEX i ON t (c)`` becomes
``CREATE INDEX CONCURRENTLY i ON t (c)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pgwarden.checks.sqlfile import Statement
from pgwarden.pgquery import ParseError, scan

#: How to run one statement outside a transaction, per layout.
_OUTSIDE = {
    "pgwarden": "in a step of its own marked `-- pgwarden:step atomic=false`",
    "prisma": "in a migration of its own (a migration.sql holding only this statement "
    "runs outside a transaction)",
    "golang-migrate": "in a migration file of its own (one statement runs outside a transaction)",
    "diesel": "in a migration of its own whose metadata.toml says `run_in_transaction = false`",
    "flyway": "in a migration of its own (Flyway runs a migration of non-transactional "
    "statements outside a transaction), or set `executeInTransaction=false` in its .conf",
    "dbmate": "in a migration of its own marked `-- migrate:up transaction:false`",
    "sqitch": "outside BEGIN ... COMMIT in the deploy script",
    "plain": "outside any BEGIN ... COMMIT block",
}
#: How to run a statement in a later transaction than the one before it.
_LATER = {
    "pgwarden": "in a later step",
    "prisma": "in a later migration",
    "golang-migrate": "in a later migration file",
    "diesel": "in a later migration",
    "flyway": "in a later migration",
    "dbmate": "in a later migration",
    "sqitch": "after COMMIT (or in a later change)",
    "plain": "after COMMIT (or in a later file)",
}


def outside(layout: str) -> str:
    """How a fix in this migration layout says "run this outside a transaction"."""
    return _OUTSIDE.get(layout, _OUTSIDE["plain"])


def later(layout: str) -> str:
    """How a fix in this migration layout says "run this in a later migration"."""
    return _LATER.get(layout, _LATER["plain"])


def block(layout: str, statements: Sequence[str], atomic: bool | None = None) -> str:
    """SQL lines of a fix, as steps for pgwarden (``atomic``: the marker to write)."""
    lines = []
    for sql in statements:
        text = sql.strip()
        if not text.endswith(";"):
            text += ";"
        if layout == "pgwarden" and atomic is not None:
            lines.append(f"-- pgwarden:step atomic={'true' if atomic else 'false'}")
        lines.append(text)
    return "\n".join(lines)


def fix(advice: str, *sql_blocks: str) -> str:
    """An advice line, then the SQL (indented by the text reporter)."""
    body = "\n".join(b for b in sql_blocks if b)
    return f"{advice}:\n{body}" if body else advice


def _tokens(text: str) -> list[object]:
    try:
        return list(scan(text))
    except ParseError:
        return []


def insert_after(text: str, keyword: str, insertion: str, skip: Sequence[str] = ()) -> str | None:
    """``text`` with ``insertion`` after the first ``keyword`` token (then after any
    ``skip`` keywords that follow it)."""
    toks = _tokens(text)
    for n, tok in enumerate(toks):
        if getattr(tok, "name", "") == keyword:
            at = tok.end + 1  # type: ignore[attr-defined]
            for nxt in toks[n + 1 :]:
                if getattr(nxt, "name", "") in skip:
                    at = nxt.end + 1  # type: ignore[attr-defined]
                else:
                    break
            return text[:at] + " " + insertion + text[at:]
    return None


def statement_sql(stmt: Statement) -> str:
    """The statement's text without its trailing semicolon."""
    return stmt.text.strip().rstrip(";").strip()


_NAME = r'(?:"(?:[^"]|"")*"|[\w$]+)'
_ALTER_HEAD = re.compile(
    rf"\s*ALTER\s+(?:FOREIGN\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_NAME}"
    rf"(?:\s*\.\s*{_NAME})*\s*\*?\s*",
    re.IGNORECASE,
)
#: What can hide a comma or a parenthesis: strings, quoted names, comments, dollar quotes.
_OPAQUE = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|(\$\w*\$).*?\1|[(),;]",
    re.DOTALL,
)


def subcommands(stmt: Statement) -> list[tuple[int, int]]:
    """(start, end) character ranges of an ALTER TABLE's sub-commands in ``stmt.text``
    (computed once per statement)."""
    memo = stmt.memo
    if memo is None:
        memo = stmt.memo = {}
    got = memo.get("subcommands")
    if got is None:
        got = memo["subcommands"] = _subcommands(stmt.text)
    return got


def _subcommands(text: str) -> list[tuple[int, int]]:
    head = _ALTER_HEAD.match(text)
    if head is None:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    start = head.end()
    depth = 0
    for m in _OPAQUE.finditer(text, start):
        ch = m.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in (",", ";"):
            out.append((start, m.start()))
            start = m.end()
            while start < len(text) and text[start].isspace():
                start += 1
    end = len(text.rstrip().rstrip(";").rstrip())
    if start < end:
        out.append((start, end))
    return out


def alter_prefix(stmt: Statement) -> str:
    """``ALTER TABLE [ONLY] name`` as the statement writes it."""
    subs = subcommands(stmt)
    return stmt.text[: subs[0][0]].strip() if subs else "ALTER TABLE"
