"""Split a SQL file into statements with Postgres's own scanner and parser.

Splitting uses pglast's scanner (so ``;`` inside strings, dollar quotes and
comments never splits), then each piece is parsed on its own: one statement the
parser cannot read becomes an ``unparsable-statement`` finding instead of hiding
the rest of the file.

The file also carries two kinds of comments pgwarden reads:

* ``-- pgwarden:step atomic=true|false`` (the migration runner's step markers):
  consecutive atomic steps run in one transaction;
* ``-- pgwarden: ignore[rule-id] reason`` (suppressions, see ``suppress``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pglast import parse_sql
from pglast.parser import ParseError, scan

_STEP_RE = re.compile(r"^\s*--\s*pgwarden:step\b.*?\batomic=(true|false)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a SQL file: its text, position and parse tree (None if unreadable)."""

    file: str
    index: int
    line: int
    col: int
    end_line: int
    text: str
    node: Any
    """The pglast statement node (``IndexStmt``, ``AlterTableStmt`` ...), or None."""
    error: str | None = None
    step_atomic: bool | None = None
    """``atomic=`` of the enclosing ``-- pgwarden:step`` marker, None without markers."""

    @property
    def kind(self) -> str:
        return type(self.node).__name__ if self.node is not None else ""


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _step_markers(text: str) -> list[tuple[int, bool]]:
    return [(m.start(), m.group(1) == "true") for m in _STEP_RE.finditer(text)]


def split_statements(text: str, file: str) -> list[Statement]:
    """Every statement of ``text`` with its line/column (1-based) and parse tree."""
    markers = _step_markers(text)
    pieces: list[tuple[int, int]] = []
    try:
        tokens = scan(text)
    except ParseError as exc:
        # The scanner stops at e.g. an unterminated quote: the rest is one bad piece.
        tokens = []
        bad_at = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        pieces = _split_tokens(scan(text[:bad_at]) if bad_at else [], text[:bad_at])
        start = _next_code(text, pieces[-1][1] if pieces else 0)
        if pieces and text[pieces[-1][1] - 1] != ";":
            start = pieces.pop()[0]
        if start < len(text):
            pieces.append((start, len(text)))
        return [_statement(text, file, n, s, e, markers) for n, (s, e) in enumerate(pieces)]
    pieces = _split_tokens(tokens, text)
    return [_statement(text, file, n, s, e, markers) for n, (s, e) in enumerate(pieces)]


def _next_code(text: str, pos: int) -> int:
    while pos < len(text) and (text[pos].isspace() or text[pos] == ";"):
        pos += 1
    return pos


def _split_tokens(tokens: list[Any], text: str) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    start: int | None = None
    for tok in tokens:
        if tok.name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if tok.name == "ASCII_59":  # ';'
            if start is not None:
                pieces.append((start, tok.end + 1))
            start = None
            continue
        if start is None:
            start = tok.start
        end = tok.end + 1
    if start is not None:
        pieces.append((start, end))
    return pieces


def _statement(
    text: str, file: str, index: int, start: int, end: int, markers: list[tuple[int, bool]]
) -> Statement:
    piece = text[start:end]
    line, col = _line_col(text, start)
    end_line, _ = _line_col(text, max(start, end - 1))
    atomic = None
    for pos, flag in markers:
        if pos <= start:
            atomic = flag
    try:
        parsed = parse_sql(piece)
    except ParseError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        return Statement(file, index, line, col, end_line, piece, None, message, atomic)
    node = parsed[0].stmt if parsed else None
    return Statement(file, index, line, col, end_line, piece, node, None, atomic)
