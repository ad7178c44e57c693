"""The one home of SQL text built from names (spec/sqltext.py) and of expression trees
(spec/exprs.py): what each helper writes, letter for letter, and that it means what it
says once Postgres's parser reads it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pglast import ast
from pglast.enums.primnodes import NullTestType

from pgwarden.spec import exprs, sqltext

#: Names that need quoting for every reason: case, space, quote, keyword, non-ASCII, %.
NAMES = st.one_of(
    st.sampled_from(["deletedAt", "deleted_at", "user", "a b", 'we"ird', "Ä", "50%", "x"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=20),
)


def test_ident_quotes_always_and_doubles_quotes() -> None:
    assert sqltext.ident("deletedAt") == '"deletedAt"'
    assert sqltext.ident("plain") == '"plain"'
    assert sqltext.ident('we"ird') == '"we""ird"'
    assert sqltext.qualified("billing", "Invoice") == '"billing"."Invoice"'


def test_bare_ident_quotes_where_postgres_needs_it() -> None:
    assert sqltext.bare_ident("plain") == "plain"
    assert sqltext.bare_ident("user") == '"user"'  # a keyword
    assert sqltext.bare_ident("deletedAt") == '"deletedAt"'
    assert sqltext.bare_ident('a"b') == '"a""b"'


def test_query_text_doubles_percent_for_placeholders() -> None:
    assert sqltext.query_ident("50%") == '"50%%"'
    assert sqltext.query_qualified("s", "t%") == '"s"."t%%"'
    assert sqltext.placeholder_safe("a % b") == "a %% b"


def test_the_soft_delete_predicate_letter_for_letter() -> None:
    assert sqltext.active_rows("deletedAt") == '"deletedAt" IS NULL'
    assert sqltext.active_rows_where("deletedAt") == '"deletedAt" IS NULL'
    assert sqltext.active_rows_where("deleted_at") == "deleted_at IS NULL"


@given(NAMES)
def test_the_soft_delete_predicate_keeps_the_rows_whose_column_is_null(name: str) -> None:
    # read back by Postgres's parser: a NullTest, IS NULL (not IS NOT NULL), on that column
    for text in (sqltext.active_rows(name), sqltext.active_rows_where(name)):
        tree = exprs.parse_expr(text)
        assert isinstance(tree, ast.NullTest)
        assert tree.nulltesttype == NullTestType.IS_NULL
        assert isinstance(tree.arg, ast.ColumnRef)
        assert [f.sval for f in tree.arg.fields] == [name]
    assert exprs.column_refs(sqltext.active_rows(name)) == [name]


def test_is_active_rows_accepts_any_spelling_and_nothing_else() -> None:
    col = "deletedAt"
    for where in ('"deletedAt" IS NULL', '("deletedAt" is null)', ' "deletedAt"   IS  NULL '):
        assert sqltext.is_active_rows(where, col), where
    for where in ('"deletedAt" IS NOT NULL', "deletedat IS NULL", '"deletedAt" IS NULL AND x'):
        assert not sqltext.is_active_rows(where, col), where
    assert not sqltext.is_active_rows(None, col)
    assert not sqltext.is_active_rows("not ( sql", col)


def test_has_active_rows_finds_the_predicate_among_the_and_operands() -> None:
    col = "deletedAt"
    assert sqltext.has_active_rows('"deletedAt" IS NULL', col)
    assert sqltext.has_active_rows('kind = 1 AND ("deletedAt" IS NULL)', col)
    assert sqltext.has_active_rows('(a AND "deletedAt" IS NULL) AND b', col)
    assert not sqltext.has_active_rows('kind = 1 OR "deletedAt" IS NULL', col)
    assert not sqltext.has_active_rows('"deletedAt" IS NOT NULL', col)
    assert not sqltext.has_active_rows(None, col)


def test_conjuncts_flatten_nested_ands() -> None:
    assert exprs.conjuncts("(a = 1 AND b) AND (c OR d)") == ("a = 1", "b", "c OR d")
    assert exprs.conjuncts("a OR b") == ("a OR b",)


def test_rewrite_expr_prints_only_when_something_changed() -> None:
    def rename(node: object) -> bool:
        if isinstance(node, ast.ColumnRef) and node.fields:
            last = node.fields[-1]
            if isinstance(last, ast.String) and last.sval == "a":
                node.fields = (ast.String(sval="b"),)
                return True
        return False

    assert exprs.rewrite_expr("A  >  1", rename) == "b > 1"
    untouched = "c  >  1"
    assert exprs.rewrite_expr(untouched, rename) is untouched


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a, b", ["a", "b"]),
        ("f(a, b), 'x,y', \"c,d\"", ["f(a, b)", "'x,y'", '"c,d"']),
        ("'it''s, here', (1, (2, 3))", ["'it''s, here'", "(1, (2, 3))"]),
        ("')(' , b", ["')('", "b"]),
        ("", [""]),
    ],
)
def test_split_top_splits_outside_parentheses_and_quotes(text: str, parts: list[str]) -> None:
    from pgwarden.spec.sqltext import split_top

    assert split_top(text) == parts


def test_the_scanner_finds_and_closes_outside_quotes() -> None:
    from pgwarden.introspect.build import when_clause
    from pgwarden.spec.sqltext import find_outside_quotes, up_to_close

    text = "CREATE TRIGGER \" WHEN (x\" ON t WHEN (a = ')' AND f(b)) EXECUTE FUNCTION g()"
    start = find_outside_quotes(text, " WHEN (")
    assert start == text.index(" WHEN (a")
    assert up_to_close(text, start + len(" WHEN (")) == "a = ')' AND f(b)"
    assert when_clause(text) == "a = ')' AND f(b)"
    assert find_outside_quotes("'x WHEN (' y", " WHEN (") == -1
    assert up_to_close("(a, (b)", 1) is None
