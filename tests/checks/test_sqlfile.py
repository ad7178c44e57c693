"""Splitting SQL files with Postgres's scanner: positions, markers, unreadable pieces."""

from __future__ import annotations

from pgwarden.checks.sqlfile import split_statements


def test_semicolons_inside_strings_dollar_quotes_and_comments_do_not_split() -> None:
    sql = (
        "-- a comment; with a semicolon\n"
        "INSERT INTO t VALUES (';');\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
        "/* block; comment */ SELECT 'é€;';\n"
    )
    stmts = split_statements(sql, "f.sql")
    assert [(s.line, s.col, s.kind) for s in stmts] == [
        (2, 1, "InsertStmt"),
        (3, 1, "CreateFunctionStmt"),
        (4, 22, "SelectStmt"),
    ]


def test_unparsable_statement_keeps_its_position_and_the_rest_parses() -> None:
    stmts = split_statements("SELECT 1;\n  SELEC 2;\nSELECT 3", "f.sql")
    assert [(s.line, s.col, s.node is None) for s in stmts] == [
        (1, 1, False),
        (2, 3, True),
        (3, 1, False),
    ]
    assert stmts[1].error and "syntax error" in stmts[1].error


def test_unterminated_quote_is_one_bad_statement_at_its_start() -> None:
    stmts = split_statements("SELECT 1;\nSELECT 'oops;\nSELECT 2;\n", "f.sql")
    assert [(s.line, s.node is None) for s in stmts] == [(1, False), (2, True)]


def test_step_markers_apply_to_following_statements() -> None:
    sql = (
        "SELECT 0;\n"
        '-- pgwarden:step atomic=true description="a"\n'
        "SELECT 1;\nSELECT 2;\n"
        '-- pgwarden:step atomic=false description="b"\n'
        "CREATE INDEX CONCURRENTLY i ON t (a);\n"
    )
    assert [s.step_atomic for s in split_statements(sql, "f.sql")] == [None, True, True, False]


def test_multiline_statement_has_start_and_end_lines() -> None:
    (s,) = split_statements("\n\nALTER TABLE t\n  ADD COLUMN a int\n  ;\n", "f.sql")
    assert (s.line, s.end_line) == (3, 5)
