"""pgwarden.pgquery calls libpg_query through ctypes: its results must be pglast's own
(same JSON, same tokens, same error message and position) on any input."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from pglast import parser

from pgwarden import pgquery

PIECES = [
    "SELECT 1",
    "CREATE TABLE t (a int, b text NOT NULL)",
    "ALTER TABLE t ADD COLUMN c text DEFAULT 'é'",
    "CREATE INDEX CONCURRENTLY i ON t (lower(b))",
    "INSERT INTO t VALUES (1, 'x''y')",
    "DO $$ BEGIN PERFORM 1; END $$",
    "-- comment ü\n",
    "/* block */",
    '"Quoted Ident"',
    "$tag$ body $tag$",
    "'unterminated",
    "SELEC",
    ";",
    " ",
    "\n",
    "日本語",
]


def _ours(fn: Any, text: str) -> Any:
    try:
        return fn(text)
    except pgquery.ParseError as exc:
        return ("error", *exc.args)


def _theirs(fn: Any, text: str) -> Any:
    try:
        return fn(text)
    except parser.ParseError as exc:
        return ("error", *exc.args)


sql_text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=8).map(" ".join),
    st.text(max_size=60),
)


def test_the_ctypes_binding_is_in_use() -> None:
    assert pgquery.BINDING == "ctypes"  # pglast ships libpg_query with exported symbols


@given(sql_text)
@example("SELECT 'é' , x FROM t -- c\n;")
@example("select 'unterminated")
def test_parse_and_scan_agree_with_pglast(text: str) -> None:
    ours = _ours(pgquery.parse_sql_json, text)
    theirs = _theirs(parser.parse_sql_json, text)
    assert (ours.decode("utf-8") if isinstance(ours, bytes) else ours) == theirs
    tokens = _ours(pgquery.scan, text)
    expected = _theirs(parser.scan, text)
    if isinstance(expected, list):
        expected = [tuple(t) for t in expected]
        tokens = [tuple(t) for t in tokens]
    assert tokens == expected


@given(st.lists(st.sampled_from(["PERFORM 1;", "x := 1;", "RAISE NOTICE 'é';", "END", "IF"])))
@example(["PERFORMx 1"])
def test_plpgsql_agrees_with_pglast(body: list[str]) -> None:
    text = (
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$DECLARE x int; BEGIN "
        + " ".join(body)
        + " END$f$"
    )
    ours = _ours(pgquery.parse_plpgsql_json, text)
    theirs = _theirs(parser.parse_plpgsql_json, text)
    assert (ours.decode("utf-8") if isinstance(ours, bytes) else ours) == theirs


def test_bare_ident_quotes_as_pglasts_printer_does() -> None:
    """Every keyword of every kind, and names that are or are not simple words."""
    from pglast import keywords
    from pglast.stream import maybe_double_quote_name

    words = set().union(
        keywords.COL_NAME_KEYWORDS,
        keywords.RESERVED_KEYWORDS,
        keywords.TYPE_FUNC_NAME_KEYWORDS,
        keywords.UNRESERVED_KEYWORDS,
    )
    assert len(words) > 400
    others = ["abc", "_x1", "deletedAt", "a b", 'a"b', "1a", "é", "user_id", "abc\n", "", "a$"]
    for name in sorted(words) + others + [w.upper() for w in sorted(words)[:20]]:
        assert pgquery.bare_ident(name) == maybe_double_quote_name(name), name
