"""The query lint's sqlglot normaliser (checks.queries) agrees with the spec's pglast one
(spec.exprs): an index ``WHERE`` stored in pglast's spelling and the same predicate as an
application writes it normalise to one text, so a partial index is matched to the
queries it serves however either side spells it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pgwarden.checks.queries import conjuncts, normalize_text
from pgwarden.spec import exprs, sqltext

COLUMNS = st.sampled_from(["status", "kind", "deletedAt", "ownerId", "user", "a b"])
INTS = st.integers(min_value=-1000, max_value=10**6)
STRINGS = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8)


@st.composite
def spelled_column(draw: st.DrawFn, name: str) -> str:
    """``name`` quoted, or bare in any case when Postgres folds it back to ``name``."""
    if name.isidentifier() and name == name.lower() and name not in ("user",):
        return draw(st.sampled_from([name, name.upper(), sqltext.ident(name)]))
    return sqltext.ident(name)


def kw(draw: st.DrawFn, word: str) -> str:
    return draw(st.sampled_from([word, word.lower(), word.title()]))


@st.composite
def atom(draw: st.DrawFn) -> tuple[str, str]:
    """One predicate in two independent spellings."""
    name = draw(COLUMNS)
    kind = draw(st.sampled_from(["cmp", "null", "notnull", "in", "str"]))
    value = draw(INTS)
    text = draw(STRINGS)
    op = draw(st.sampled_from(["=", "<>", "<", ">=", ">"]))
    values = draw(st.lists(INTS, min_size=1, max_size=3))
    spellings = []
    for _ in range(2):
        col = draw(spelled_column(name))
        space = draw(st.sampled_from([" ", "  ", "\n"]))
        if kind == "cmp":
            out = f"{col}{space}{op}{space}{value}"
        elif kind == "str":
            out = f"{col} = {sqltext.placeholder_safe(exprs.literal_sql(text))}"
        elif kind == "null":
            out = f"{col}{space}{kw(draw, 'IS')} {kw(draw, 'NULL')}"
        elif kind == "notnull":
            out = f"{col} {kw(draw, 'IS')} {kw(draw, 'NOT')} {kw(draw, 'NULL')}"
        else:
            out = f"{col} {kw(draw, 'IN')} ({', '.join(str(v) for v in values)})"
        spellings.append(f"({out})" if draw(st.booleans()) else out)
    return spellings[0], spellings[1]


@st.composite
def predicate(draw: st.DrawFn) -> tuple[str, str]:
    parts = draw(st.lists(atom(), min_size=1, max_size=3))
    a = " AND ".join(p for p, _ in parts)
    b = f" {kw(draw, 'AND')} ".join(q for _, q in parts)
    return a, b


@given(atom())
def test_pglast_spelling_of_a_predicate_reads_the_same_to_sqlglot(pair: tuple[str, str]) -> None:
    written, _ = pair
    stored = exprs.normalize_expr(written)  # what the spec keeps for an index WHERE
    assert normalize_text(stored) == normalize_text(written)


@given(atom())
def test_two_spellings_of_one_predicate_normalise_alike(pair: tuple[str, str]) -> None:
    a, b = pair
    assert exprs.normalize_expr(a) == exprs.normalize_expr(b)
    assert normalize_text(a) == normalize_text(b)


# Whole conjunctions are compared operand by operand (sqlglot keeps inner parentheses in
# normalize_text, pglast drops them): the lint matches an index WHERE by its operands.
@given(predicate())
def test_conjunctions_have_the_same_operands_in_either_spelling(pair: tuple[str, str]) -> None:
    a, b = pair
    stored = exprs.normalize_expr(a)
    assert stored == exprs.normalize_expr(b)
    assert conjuncts(stored) == conjuncts(a) == conjuncts(b)


@given(predicate())
def test_the_and_operands_agree(pair: tuple[str, str]) -> None:
    written, _ = pair
    mine = frozenset(normalize_text(c) for c in exprs.conjuncts(written))
    assert conjuncts(written) == mine


def test_a_flipped_null_test_is_another_predicate() -> None:
    assert normalize_text('"deletedAt" IS NULL') != normalize_text('"deletedAt" IS NOT NULL')
    assert normalize_text(sqltext.active_rows("deletedAt")) == normalize_text(
        exprs.normalize_expr('("deletedAt"   is null)')
    )
