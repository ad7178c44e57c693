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
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pglast import parse_sql
from pglast.parser import ParseError, scan

_STEP_RE = re.compile(r"^\s*--\s*pgwarden:step\b.*?\batomic=(true|false)", re.MULTILINE)
_NEWLINE = re.compile("\n")


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


class LineStarts:
    """Where each line of a text starts: line/column of an offset by bisection.

    Counting newlines from offset 0 for every statement made lint quadratic in the
    file size (a 2 MB file took 37 s); this index is built once, in linear time.
    """

    def __init__(self, text: str) -> None:
        self._starts = array("q", [0])
        self._starts.extend(m.end() for m in _NEWLINE.finditer(text))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of character ``offset``."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


#: Characters scanned at once. The scanner's token list (a Python object per
#: token) is what costs memory, so a large file is scanned chunk by chunk.
CHUNK = 1 << 18


def _step_markers(text: str) -> tuple[list[int], list[bool]]:
    found = [(m.start(), m.group(1) == "true") for m in _STEP_RE.finditer(text)]
    return [pos for pos, _ in found], [flag for _, flag in found]


def split_statements(text: str, file: str) -> list[Statement]:
    """Every statement of ``text`` with its line/column (1-based) and parse tree."""
    return list(iter_statements(text, file))


def iter_statements(text: str, file: str, chunk: int = CHUNK) -> Iterator[Statement]:
    """:func:`split_statements` one statement at a time: time and memory linear in the
    file, whatever its size (only one chunk's tokens are alive at once)."""
    lines = LineStarts(text)
    markers = _step_markers(text)
    for n, (s, e) in enumerate(_pieces(text, chunk)):
        yield _statement(text, file, n, s, e, lines, markers)


def _pieces(text: str, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, end) of every statement, scanning ``CHUNK``-sized pieces of ``text``.

    A chunk ends at a line end; a statement it cuts is scanned again with the next
    chunk, and a chunk that cuts a string, identifier, comment or dollar quote (the
    scanner reports it unterminated) is retried twice as long. Only at the end of
    the text is an unterminated token a real error.
    """
    pos, size = 0, chunk
    while pos < len(text):
        end = _line_end(text, pos + size)
        try:
            tokens = scan(text[pos:end])
        except ParseError as exc:
            if end < len(text):
                size *= 2
                continue
            yield from _unterminated(text, pos, exc)
            return
        pieces = _split_tokens(tokens, pos)
        del tokens
        if end < len(text):
            if pieces and text[pieces[-1][1] - 1] != ";":
                pieces.pop()  # cut by the chunk's end: scanned again with the next one
            if not pieces:
                size *= 2  # one statement longer than the chunk
                continue
            next_pos = pieces[-1][1]
        else:
            next_pos = end
        yield from pieces
        pos, size = next_pos, chunk


def _line_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    newline = text.find("\n", pos)
    return len(text) if newline < 0 else newline + 1


def _unterminated(text: str, pos: int, exc: ParseError) -> Iterator[tuple[int, int]]:
    """The scanner stopped at e.g. an unterminated quote: the rest is one bad piece."""
    rest = text[pos:]
    bad_at = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
    pieces = _split_tokens(scan(rest[:bad_at]) if bad_at else [], pos)
    start = _next_code(text, pieces[-1][1] if pieces else pos)
    if pieces and text[pieces[-1][1] - 1] != ";":
        start = pieces.pop()[0]
    yield from pieces
    if start < len(text):
        yield start, len(text)


def _next_code(text: str, pos: int) -> int:
    while pos < len(text) and (text[pos].isspace() or text[pos] == ";"):
        pos += 1
    return pos


def _split_tokens(tokens: list[Any], base: int) -> list[tuple[int, int]]:
    """Statement spans from tokens of a piece of text that starts at offset ``base``."""
    pieces: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    for tok in tokens:
        if tok.name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if tok.name == "ASCII_59":  # ';'
            if start is not None:
                pieces.append((base + start, base + tok.end + 1))
            start = None
            continue
        if start is None:
            start = tok.start
        end = tok.end + 1
    if start is not None:
        pieces.append((base + start, base + end))
    return pieces


def _statement(
    text: str,
    file: str,
    index: int,
    start: int,
    end: int,
    lines: LineStarts,
    markers: tuple[list[int], list[bool]],
) -> Statement:
    piece = text[start:end]
    line, col = lines.line_col(start)
    end_line, _ = lines.line_col(max(start, end - 1))
    positions, flags = markers
    before = bisect_right(positions, start)
    atomic = flags[before - 1] if before else None
    try:
        parsed = parse_sql(piece)
    except ParseError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        return Statement(file, index, line, col, end_line, piece, None, message, atomic)
    node = parsed[0].stmt if parsed else None
    return Statement(file, index, line, col, end_line, piece, node, None, atomic)
