"""Lint locates statements in linear time and bounded memory (issue 20 item 3).

The 1-50 MB timings live in ``benchmarks/large_files.py``; here the work is
counted instead of timed: characters handed to Postgres's scanner, and the
memory alive while a file streams through.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.checks import sqlfile
from pgwarden.checks.engine import finish, lint_sql
from pgwarden.checks.sqlfile import LineStarts, iter_statements

_PIECES = [
    "SELECT 1;",
    "INSERT INTO t VALUES ('a;\nb');",
    "/* multi\nline; comment */",
    "-- line comment;",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\nSELECT 1;\n$$;",
    'SELECT "quoted\nident";',
    "SELEC broken;",
    "ALTER TABLE t\n  ADD COLUMN a int;",
    '-- pgwarden:step atomic=false description="x"',
    "-- pgwarden: ignore[drop-table] on purpose",
    "DROP TABLE t;",
    "SELECT 'é€😀';",
    "'unterminated",
    "\n",
    "  ",
]


def _shape(text: str, chunk: int) -> list[tuple[object, ...]]:
    return [
        (s.index, s.line, s.col, s.end_line, s.text, s.kind, s.error, s.step_atomic)
        for s in iter_statements(text, "f.sql", chunk)
    ]


@settings(max_examples=200)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("\n".join), st.integers(1, 64))
def test_chunked_scanning_splits_like_one_scan(text: str, chunk: int) -> None:
    assert _shape(text, chunk) == _shape(text, len(text) + 1)


def test_line_starts_agree_with_counting() -> None:
    text = "a\n\nbc\r\nd\n" * 3
    lines = LineStarts(text)
    for offset in range(len(text)):
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        assert lines.line_col(offset) == (line, col)


def _scanned(text: str) -> int:
    """Characters the splitter hands to the scanner for ``text`` (a spy: the real
    scanner still runs)."""
    real = sqlfile.scan
    seen = 0

    def counting(piece: str) -> object:
        nonlocal seen
        seen += len(piece)
        return real(piece)

    sqlfile.scan = counting  # type: ignore[assignment]
    try:
        for _ in sqlfile._pieces(text, sqlfile.CHUNK):
            pass
    finally:
        sqlfile.scan = real
    return seen


def test_scanning_work_is_linear_in_the_file() -> None:
    statement = "INSERT INTO t VALUES ('" + "x" * 200 + "');\n"
    small = statement * (sqlfile.CHUNK // len(statement) * 2)
    large = small * 8
    # every character is scanned about once (a statement cut by a chunk's end twice)
    assert _scanned(large) <= 1.1 * len(large)
    assert _scanned(large) <= 8 * 1.1 * _scanned(small)
    # a dollar quote longer than a chunk: the chunk grows, the work stays linear
    body = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n" + "-- x\n" * 200_000 + "$$;\n"
    assert _scanned(body) <= 3 * len(body)


def _peak_streaming(text: str) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _ in sqlfile._pieces(text, sqlfile.CHUNK):
            pass
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file() -> None:
    statement = "SELECT '" + "a" * 100 + "';\n"
    small = statement * (256 * 1024 // len(statement))
    large = small * 8
    # one chunk's tokens at a time: 8x the file, about the same peak (the whole
    # file's token list would be ~8x)
    assert _peak_streaming(large) < 2 * _peak_streaming(small)


def test_many_suppressions_are_matched_in_one_pass() -> None:
    text = "".join(f"-- pgwarden: ignore[drop-table] t{i}\nDROP TABLE t{i};\n" for i in range(2000))
    result = finish(lint_sql([("f.sql", text)]))
    assert result.findings == [] or all(f.rule != "drop-table" for f in result.findings)
    assert result.suppressed >= 2000


def test_benchmark_script_runs_and_reports_per_mb(tmp_path: Path) -> None:
    from benchmarks import large_files

    doc = tmp_path / "b.md"
    assert large_files.main(["--mb", "0.02", "0.04", "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert "| pgwarden lint | 0.0" in text and "per MB vs smallest file" in text
