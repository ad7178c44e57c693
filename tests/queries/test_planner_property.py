"""Property: whenever the analysis says an index serves a query, Postgres's planner
(with sequential scans off) can search that index, or another one the analysis
also counts as usable. Random btree indexes (composite, partial) on one table,
random equality/range/IS NULL/ORDER BY + LIMIT queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pgwarden.checks.queries import analyse, filter_score, serves_order
from pgwarden.spec.load import load_schema_text

COLS = ("a", "b", "c")

TABLE = """
[tables.T.columns]
id = { type = "integer", primary_key = true }
a  = { type = "integer" }
b  = { type = "integer" }
c  = { type = "integer" }
d  = { type = "timestamptz", nullable = true }
"""

indexes = st.lists(
    st.tuples(
        st.lists(st.sampled_from(COLS), min_size=1, max_size=3, unique=True),
        st.booleans(),  # partial WHERE d IS NULL
    ),
    min_size=0,
    max_size=3,
)
queries = st.tuples(
    st.lists(st.sampled_from(COLS), min_size=0, max_size=3, unique=True),  # equalities
    st.one_of(st.none(), st.sampled_from(COLS)),  # one range column
    st.booleans(),  # AND d IS NULL
    st.one_of(st.none(), st.tuples(st.sampled_from(COLS), st.booleans())),  # ORDER BY .. LIMIT
)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plan(conn: psycopg.Connection[Any], text: str) -> list[dict[str, Any]]:
    row = conn.execute("EXPLAIN (FORMAT JSON) " + text).fetchone()
    assert row is not None
    plan = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return list(_nodes(plan[0]["Plan"]))


def _spec(ixs: list[tuple[list[str], bool]]) -> str:
    text = TABLE
    for n, (cols, partial) in enumerate(ixs):
        text += f'\n[[tables.T.indexes]]\nname = "ix{n}"\ncolumns = {json.dumps(cols)}\n'
        if partial:
            text += "where = 'd IS NULL'\n"
    return text


def _query(eq: list[str], rng: str | None, active: bool, order: tuple[str, bool] | None) -> str:
    conds = [f"{c} = 3" for c in eq]
    if rng is not None and rng not in eq:
        conds.append(f"{rng} > 5")
    if active:
        conds.append("d IS NULL")
    text = 'SELECT * FROM "T"'
    if conds:
        text += " WHERE " + " AND ".join(conds)
    if order is not None:
        text += f" ORDER BY {order[0]}{' DESC' if order[1] else ''} LIMIT 10"
    return text


@settings(max_examples=30)
@given(ixs=indexes, q=queries)
# a small partial index the planner scans whole instead of the claimed one
@example(
    ixs=[(["c"], True), (["b", "a", "c"], True), (["c", "a", "b"], False)], q=([], "b", True, None)
)
def test_served_claims_hold_in_the_planner(
    database_url: str, ixs: list[tuple[list[str], bool]], q: Any
) -> None:
    schema = load_schema_text(_spec(ixs))
    text = _query(*q)
    analysis = analyse([("app.py", f"def f(c):\n    c.execute({text!r})\n")], schema)
    [query] = analysis.queries
    [access] = query.accesses
    verdict = analysis.verdict(access)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('DROP TABLE IF EXISTS "T"')
        conn.execute(
            'CREATE TABLE "T" (id integer PRIMARY KEY, a integer NOT NULL, b integer NOT NULL, '
            "c integer NOT NULL, d timestamptz)"
        )
        conn.execute(
            'INSERT INTO "T" SELECT g, g % 100, g % 37, g % 11, '
            "CASE WHEN g % 10 = 0 THEN now() END FROM generate_series(1, 3000) g"
        )
        for n, (cols, partial) in enumerate(ixs):
            where = " WHERE d IS NULL" if partial else ""
            conn.execute(f'CREATE INDEX ix{n} ON "T" ({", ".join(cols)}){where}')
        conn.execute('ANALYZE "T"')
        conn.execute("SET enable_seqscan = off")
        nodes = _plan(conn, text)
        if not verdict.needs or verdict.index is None:
            return  # only the claims are checked (PG 18's skip scan may use more)
        usable = {
            ix.name
            for ix in analysis.table_indexes("T")
            if filter_score(ix, access) > 0 or serves_order(ix, access)
        }
        assert verdict.index.name in usable
        used = {n["Index Name"] for n in nodes if "Index Name" in n}
        if not used & usable:
            # The planner may prefer a whole scan of a small partial index whose
            # predicate the query implies (ix(c) WHERE d IS NULL for `b > 5 AND d IS
            # NULL`); the claim is that the chosen index *can* serve the query: with
            # the other indexes gone, the planner searches it.
            for ix in analysis.table_indexes("T"):
                if ix.name != verdict.index.name and ix.kind == "index":
                    conn.execute(f"DROP INDEX {ix.name}")
            nodes = _plan(conn, text)
            used = {n["Index Name"] for n in nodes if "Index Name" in n}
        assert used & usable, (text, verdict.index.name, used)
    if access.filtered and not access.order:
        # the filter is a search condition of the index, not a filter over all of it
        assert any("Index Cond" in n for n in nodes if n.get("Index Name") in usable), (
            text,
            nodes,
        )
