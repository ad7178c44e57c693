"""Read every input file the same way: strict UTF-8, no NUL, errors that say where.

pgwarden hands file text to C libraries that stop at the first NUL byte: psycopg
sends a query as a C string and libpg_query (pglast) parses one, so a migration
``SELECT 1;\\0DROP TABLE x;`` would be applied, recorded and linted as ``SELECT 1;``.
Invalid UTF-8 used to surface as a ``UnicodeDecodeError`` traceback. So the spec,
migrations, SQL and Python given to lint and Prisma schemas are all read here:

* a NUL byte or a byte sequence that is not UTF-8 is an :class:`UnreadableFile`
  error (exit 2) naming the file, the line, the column and the byte offset;
* a UTF-8 byte-order mark at the start is dropped (editors on Windows write one);
* line ends are read as Python's text mode reads them (``\\r\\n`` and ``\\r``
  become ``\\n``), so line numbers agree with every editor; a migration script
  (:func:`read_script`) keeps its ``\\r``, which may be data inside a string literal.

Checksums are taken over the raw bytes (:func:`read_checked_bytes`), which are
validated first: a file pgwarden refuses to read can neither be hashed nor applied.
"""

from __future__ import annotations

import re
from pathlib import Path

from pgwarden.errors import PgwardenError, Problem

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class UnreadableFile(PgwardenError):
    """A file that cannot be read as text: missing, unreadable, not UTF-8, or holding NUL.

    ``problem`` is the same report as a :class:`~pgwarden.errors.Problem`, so a
    caller that collects problems (the spec loader) can list it with the others.
    """

    exit_code = 2

    def __init__(self, problem: Problem, byte_offset: int | None = None) -> None:
        self.problem = problem
        self.byte_offset = byte_offset
        super().__init__(str(problem))


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset`` of ``data``."""
    prefix = data[:offset].decode("utf-8", "replace")
    lines = _LINE_BREAK.split(prefix)
    return len(lines), len(lines[-1]) + 1


def lines(text: str) -> list[str]:
    """``text`` split at its line ends only (``\\n``, ``\\r\\n``, ``\\r``), like a file's
    lines. ``str.splitlines`` also breaks at U+0085, U+2028, ``\\x1c``-``\\x1e``, ``\\v`` and
    ``\\f``, which a string literal or a comment of a migration may hold."""
    parts = _LINE_BREAK.split(text)
    return parts[:-1] if parts and parts[-1] == "" else parts


def _problem(name: str, data: bytes, offset: int, what: str, hint: str) -> UnreadableFile:
    line, col = line_col(data, offset)
    message = f"{what} at column {col} (byte offset {offset})"
    return UnreadableFile(Problem(name, "", message, hint, line), offset)


def check_bytes(data: bytes, name: str) -> None:
    """Raise :class:`UnreadableFile` unless ``data`` is UTF-8 text without NUL bytes."""
    if data.startswith(_UTF16_BOMS):
        raise _problem(
            name,
            data,
            0,
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8",
            "save it as UTF-8",
        )
    nul = data.find(b"\x00")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if nul < 0 or exc.start < nul:
            bad = data[exc.start : exc.end]
            raise _problem(
                name,
                data,
                exc.start,
                f"invalid UTF-8 (byte {' '.join(f'0x{b:02x}' for b in bad)})",
                "save the file as UTF-8 (a Latin-1 or binary file is not read)",
            ) from None
    if nul >= 0:
        head = data[:200]
        utf16 = head.count(0) * 4 >= len(head)  # every other byte NUL: UTF-16 text
        raise _problem(
            name,
            data,
            nul,
            "NUL byte (0x00)",
            "the file looks UTF-16 encoded: save it as UTF-8"
            if utf16
            else "remove the NUL byte: PostgreSQL cannot store or run text containing NUL, "
            "and everything after it would be silently lost",
        )


def decode(data: bytes, name: str, *, keep_line_ends: bool = False) -> str:
    """``data`` as text (BOM dropped, line ends normalised unless ``keep_line_ends``),
    or :class:`UnreadableFile`."""
    if data.startswith(_UTF16_BOMS):
        check_bytes(data, name)
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        check_bytes(data, name)  # raises, saying where
        raise
    if "\x00" in decoded:
        check_bytes(data, name)
    if decoded.startswith("\ufeff"):
        decoded = decoded[1:]
    if "\r" in decoded and not keep_line_ends:
        decoded = decoded.replace("\r\n", "\n").replace("\r", "\n")
    return decoded


def _read(path: Path | str) -> bytes:
    try:
        with open(path, "rb") as fh:  # not Path.read_bytes: lint reads thousands of files
            return fh.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnreadableFile(
            Problem(str(path), "", f"cannot read: {reason}", "check the path and its permissions")
        ) from None


def read_text(path: Path | str) -> str:
    """The text of ``path``, read strictly (see the module docstring)."""
    return decode(_read(path), str(path))


def read_script(path: Path | str) -> str:
    """A migration script as ``psql -f`` would run it: read strictly, but a ``\\r`` is
    kept (a string literal may hold one; normalising it would change the data)."""
    path = Path(path)
    return decode(_read(path), str(path), keep_line_ends=True)


def read_checked_bytes(path: Path | str) -> bytes:
    """The raw bytes of ``path`` (for checksums), after checking they read as text."""
    path = Path(path)
    data = _read(path)
    check_bytes(data, str(path))
    return data
