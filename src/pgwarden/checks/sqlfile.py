"""Split a SQL file into statements with Postgres's own parser, cheaply.

The whole file is parsed once by libpg_query (pglast's ``parse_sql_json``): one C
call yields every statement's tree as JSON and its position, and the rules read
those plain dicts -- no Python AST is built (``Statement.node`` builds pglast's
AST for one statement on demand). A statement's *kind* (``IndexStmt``,
``AlterTableStmt`` ...) is its tree's only key, so the engine runs on it only the
rules that read that kind.

When the file does not parse as a whole, it is split with pglast's scanner (so
``;`` inside strings, dollar quotes and comments never splits) and each piece is
parsed on its own: one statement the parser cannot read becomes an
``unparsable-statement`` finding instead of hiding the rest of the file.

Time and memory stay linear in the file whatever its size: positions come from a
line-start index, and a file larger than ``CHUNK`` is split with the scanner run
over ``CHUNK``-sized pieces, then parsed in groups of statements of about that
size (only one group's trees are alive at once).

Statements inside ``DO`` blocks are parsed with pglast's PL/pgSQL parser and
returned after their block, at their own line, as if they were top level
(``origin="do"``; they always run inside the block's transaction). What else the
block evaluates comes with them (see ``plpgsql``): an expression, ``PERFORM`` or
``CALL`` as kind ``PLpgSQL_expr`` (for the functions it calls), an ``EXECUTE`` of
SQL known only at run time as ``PLpgSQL_dynexecute``; their tree is ``{"query": sql}``.

The file also carries two kinds of comments pgwarden reads:

* ``-- pgwarden:step atomic=true|false`` (the migration runner's step markers);
* ``-- pgwarden: ignore[rule-id] reason`` (suppressions, see ``suppress``).
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

from pgwarden.checks.plpgsql import plpgsql_items
from pgwarden.pgquery import ParseError, parse_plpgsql_json, parse_sql_json, scan

_STEP_RE = re.compile(r"^\s*--\s*pgwarden:step\b.*?\batomic=(true|false)", re.MULTILINE)
#: Whitespace and comments before a statement (libpg_query's location starts after the
#: previous ``;``).
_LEAD = re.compile(r"(?:\s+|--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)*")
_NEWLINE = re.compile("\n")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")

Tree = dict[str, Any]


class Statement:
    """One statement of a SQL file: its text, position and parse tree (None if unreadable)."""

    __slots__ = (
        "col",
        "end_line",
        "error",
        "file",
        "index",
        "kind",
        "line",
        "memo",
        "offset",
        "origin",
        "step",
        "step_atomic",
        "step_batched",
        "text",
        "tree",
        "tx",
    )

    def __init__(
        self,
        file: str,
        index: int,
        line: int,
        col: int,
        end_line: int,
        text: str,
        kind: str,
        tree: Tree | None,
        error: str | None = None,
        step_atomic: bool | None = None,
        step: int = -1,
        offset: int = 0,
        origin: str | None = None,
    ) -> None:
        self.file = file
        self.index = index
        self.line = line
        self.col = col
        self.end_line = end_line
        self.text = text
        self.kind = kind
        self.tree = tree
        """The node's fields as libpg_query's JSON has them (``{"relation": ..., "cmds": ...}``)."""
        self.error = error
        self.step_atomic = step_atomic
        """``atomic=`` of the enclosing ``-- pgwarden:step`` marker, None without markers."""
        self.step = step
        """Index of the enclosing step marker (-1: before any)."""
        self.step_batched = False
        """The enclosing step is marked ``batched=true``: the runner runs its UPDATE in
        keyset batches, each its own transaction (pgwarden.apply.backfill)."""
        self.offset = offset
        """Character offset of the statement in its file."""
        self.origin = origin
        """``"do"`` for a statement inside a DO block."""
        self.tx: int | None = None
        """The transaction it runs in (set by the replay; None: autocommit)."""
        self.memo: dict[str, Any] | None = None
        """What rules computed about the statement once for all (sub-command spans ...)."""

    @property
    def node(self) -> Any:
        """pglast's Python AST of the statement (built on demand: it is slow)."""
        from pglast import parse_sql

        if self.tree is None:
            return None
        parsed = parse_sql(self.text)
        return parsed[0].stmt if parsed else None

    def __repr__(self) -> str:
        return f"Statement({self.file}:{self.line}:{self.col} {self.kind})"


class LineStarts:
    """Where each line of a text starts: line/column of an offset by bisection.

    Counting newlines from offset 0 for every statement made lint quadratic in the
    file size (a 2 MB file took 37 s); this index is built once, in linear time.
    """

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        self._starts = array("q", [0])
        self._starts.extend(m.end() for m in _NEWLINE.finditer(text))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of character ``offset``."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def start(self, line: int) -> int | None:
        """Offset where 1-based ``line`` starts (None past the end)."""
        return self._starts[line - 1] if 0 < line <= len(self._starts) else None


#: Characters scanned (and parsed) at once: a larger file is split chunk by chunk.
CHUNK = 1 << 18


#: positions of the step markers, their ``atomic=`` and their ``batched=true``
Markers = tuple[list[int], list[bool], list[bool]]
_BATCHED_RE = re.compile(r"\bbatched=true\b")


def _step_markers(text: str) -> Markers:
    if "pgwarden:step" not in text:
        return [], [], []
    positions, flags, batched = [], [], []
    for m in _STEP_RE.finditer(text):
        positions.append(m.start())
        flags.append(m.group(1) == "true")
        end = text.find("\n", m.start())
        header = text[m.start() : end if end >= 0 else len(text)].split(" description=")[0]
        batched.append(_BATCHED_RE.search(header) is not None)
    return positions, flags, batched


def _char_offsets(text: str, byte_offsets: list[int]) -> list[int]:
    """libpg_query positions are UTF-8 byte offsets: the character offsets (linear)."""
    if text.isascii():
        return byte_offsets
    data = text.encode("utf-8")
    out: list[int] = []
    prev_b = prev_c = 0
    for b in byte_offsets:
        if b < prev_b:  # out of order (never from one parse): restart
            prev_b = prev_c = 0
        prev_c += len(data[prev_b:b].decode("utf-8", errors="replace"))
        prev_b = b
        out.append(prev_c)
    return out


def split_statements(text: str, file: str) -> list[Statement]:
    """Every statement of ``text`` with its line/column (1-based) and parse tree."""
    return list(iter_statements(text, file))


def iter_statements(text: str, file: str, chunk: int = CHUNK) -> Iterator[Statement]:
    """:func:`split_statements` one statement at a time (time and memory linear in the
    file: a large one is parsed a group of statements at a time)."""
    lines = LineStarts(text)
    markers = _step_markers(text)
    index = 0
    for a, b in _groups(text, chunk):
        for stmt in _parse_group(text, file, a, b, lines, markers, index, chunk):
            yield stmt
            index += 1


def _make(
    text: str,
    file: str,
    index: int,
    start: int,
    end: int,
    kind: str,
    tree: Tree | None,
    error: str | None,
    markers: Markers,
    lines: LineStarts,
) -> Statement:
    line, col = lines.line_col(start)
    end_line = lines.line_col(max(start, end - 1))[0]
    positions, flags, batched = markers
    before = bisect_right(positions, start)
    atomic = flags[before - 1] if before else None
    stmt = Statement(
        file,
        index,
        line,
        col,
        end_line,
        text[start:end],
        kind,
        tree,
        error,
        atomic,
        before - 1,
        start,
    )
    stmt.step_batched = bool(before) and batched[before - 1]
    return stmt


def _groups(text: str, chunk: int) -> Iterator[tuple[int, int]]:
    """Spans of whole statements of about ``chunk`` characters (one for a small file)."""
    if len(text) <= chunk:
        yield 0, len(text)
        return
    start: int | None = None
    end = 0
    for s, e in _pieces(text, chunk):
        if start is None:
            start = s
        end = e
        if end - start >= chunk:
            yield start, end
            start = None
    if start is not None:
        yield start, end


def _parse_group(
    text: str,
    file: str,
    a: int,
    b: int,
    lines: LineStarts,
    markers: Markers,
    index: int,
    chunk: int,
) -> Iterator[Statement]:
    """The statements of ``text[a:b]``: one parse; piece by piece if it does not parse."""
    part = text[a:b]
    try:
        parsed = json.loads(parse_sql_json(part))["stmts"]
    except ParseError:
        yield from _parse_pieces(text, file, a, b, lines, markers, index, chunk)
        return
    bounds: list[int] = []
    for raw in parsed:
        start = raw.get("stmt_location", 0)
        bounds.append(start)
        length = raw.get("stmt_len", 0)
        bounds.append(start + length if length else -1)
    chars = iter(_char_offsets(part, [x for x in bounds if x >= 0]))
    resolved = [a + next(chars) if x >= 0 else -1 for x in bounds]
    for n, raw in enumerate(parsed):
        ((kind, tree),) = raw["stmt"].items()
        start = _LEAD.match(text, resolved[2 * n]).end()  # type: ignore[union-attr]
        end = resolved[2 * n + 1]
        if end < 0:  # the last statement, without a ';': up to its last token
            end = _last_token_end(text, start, b)
        elif end < len(text) and text[end] == ";":
            end += 1
        stmt = _make(text, file, index, start, end, kind, tree, None, markers, lines)
        index += 1
        yield stmt
        if kind == "DoStmt":
            for inner in do_statements(stmt, text, lines, index):
                index += 1
                yield inner


def _last_token_end(text: str, start: int, b: int) -> int:
    end = start
    try:
        for tok in scan(text[start:b]):
            if tok.name not in ("SQL_COMMENT", "C_COMMENT"):
                end = start + tok.end + 1
    except ParseError:
        return b
    return end


def _parse_pieces(
    text: str,
    file: str,
    a: int,
    b: int,
    lines: LineStarts,
    markers: Markers,
    index: int,
    chunk: int,
) -> Iterator[Statement]:
    """Scanner split of ``text[a:b]``, then one parse per piece (it holds an unreadable
    statement)."""
    part = text[a:b]
    for s, e in _pieces(part, chunk):
        start, end = a + s, a + e
        piece = text[start:end]
        try:
            stmts = json.loads(parse_sql_json(piece))["stmts"]
        except ParseError as exc:
            message = str(exc.args[0]) if exc.args else str(exc)
            yield _make(text, file, index, start, end, "", None, message, markers, lines)
            index += 1
            continue
        if not stmts:
            continue
        ((kind, tree),) = stmts[0]["stmt"].items()
        stmt = _make(text, file, index, start, end, kind, tree, None, markers, lines)
        index += 1
        yield stmt
        if kind == "DoStmt":
            for inner in do_statements(stmt, text, lines, index):
                index += 1
                yield inner


def _pieces(text: str, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, end) of every statement, scanning ``chunk``-sized pieces of ``text``.

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


# --------------------------------------------------------------------------- DO blocks


def _do_body(tree: Tree) -> tuple[str, str] | None:
    """(language, body) of a DO statement."""
    body = None
    language = "plpgsql"
    for arg in tree.get("args", ()):
        elem = arg.get("DefElem", {})
        value = elem.get("arg", {}).get("String", {}).get("sval")
        if elem.get("defname") == "as":
            body = value
        elif elem.get("defname") == "language" and value:
            language = value.lower()
    return (language, body) if body is not None else None


def do_statements(do: Statement, text: str, lines: LineStarts, index: int) -> list[Statement]:
    """The statements a DO block runs, located at their own lines of ``text``."""
    assert do.tree is not None
    found = _do_body(do.tree)
    if found is None or found[0] != "plpgsql":
        return []
    body = found[1]
    opener = _DOLLAR.search(text, do.offset, do.offset + len(do.text))
    if opener is None:
        return []
    first_line = lines.line_col(opener.end())[0]
    wrapper = (
        f"CREATE FUNCTION pgwarden_do() RETURNS void LANGUAGE plpgsql AS $pgwarden${body}$pgwarden$"
    )
    out: list[Statement] = []
    try:
        tree = json.loads(parse_plpgsql_json(wrapper))
    except ParseError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        out.append(
            Statement(
                do.file,
                index,
                do.line,
                do.col,
                do.end_line,
                do.text,
                "",
                None,
                f"PL/pgSQL body of the DO block: {message}",
                do.step_atomic,
                do.step,
                do.offset,
                "do",
            )
        )
        return out
    body_start = opener.end()
    for item in plpgsql_items(tree):
        line = first_line + item.line - 1
        at = _find_on_line(text, lines, line, item.text, body_start)
        line, col = lines.line_col(at) if at >= 0 else (line, 1)
        if item.kind != "sql":
            # an expression (read for the functions it calls) or dynamic SQL
            kind = "PLpgSQL_expr" if item.kind == "expr" else "PLpgSQL_dynexecute"
            out.append(
                Statement(
                    do.file,
                    index + len(out),
                    line,
                    col,
                    line + item.text.count("\n"),
                    item.text,
                    kind,
                    {"query": item.sql},
                    None,
                    do.step_atomic,
                    do.step,
                    max(at, do.offset),
                    "do",
                )
            )
            continue
        query = item.sql
        try:
            parsed = json.loads(parse_sql_json(query))["stmts"]
        except ParseError as exc:
            message = str(exc.args[0]) if exc.args else str(exc)
            out.append(
                Statement(
                    do.file,
                    index + len(out),
                    line,
                    col,
                    line,
                    query,
                    "",
                    None,
                    message,
                    do.step_atomic,
                    do.step,
                    max(at, do.offset),
                    "do",
                )
            )
            continue
        for raw in parsed:
            ((kind, node),) = raw["stmt"].items()
            end_line = line + query.count("\n")
            out.append(
                Statement(
                    do.file,
                    index + len(out),
                    line,
                    col,
                    end_line,
                    query,
                    kind,
                    node,
                    None,
                    do.step_atomic,
                    do.step,
                    max(at, do.offset),
                    "do",
                )
            )
    return out


def _find_on_line(text: str, lines: LineStarts, line: int, query: str, floor: int) -> int:
    """Offset of ``query``'s first word on ``line`` (or -1)."""
    first = lines.start(line)
    if first is None:
        return -1
    start = max(first, floor)
    nxt = lines.start(line + 1)
    end = nxt if nxt is not None else len(text)
    head = query.lstrip().split(None, 1)[0] if query.strip() else ""
    pos = text.find(head, start, end) if head else -1
    if pos < 0:
        m = re.compile(re.escape(head), re.IGNORECASE).search(text, start, end) if head else None
        pos = m.start() if m else -1
    return pos


def blank_outside(text: str, section: tuple[int, int] | None) -> str:
    """``text`` with everything outside ``section`` blanked (newlines kept, so positions hold)."""
    if section is None:
        return text
    a, b = section
    return re.sub(r"[^\n]", " ", text[:a]) + text[a:b] + re.sub(r"[^\n]", " ", text[b:])
