"""Query-pattern rules: the application's queries against the spec's indexes.

Rules of family ``query`` get one :class:`~pgwarden.checks.queries.QueryAnalysis`
(every static query of the linted Python files, parsed, plus the spec) and report
at the line of the call (or generated constant) that runs the query; the unused
index is reported on the spec.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

from pgwarden.checks.registry import Finding, Location, check, rule

if TYPE_CHECKING:
    # checks.queries imports sqlglot and psycopg: registering these rules must not
    # (a lint of one .sql file would pay for both), so each rule imports it when run
    from pgwarden.checks.queries import Access, Query, QueryAnalysis
    from pgwarden.spec.model import Schema, Table


def _where(q: Query) -> Location:
    return Location(q.file, q.line, q.col)


def _active_predicate(table: Table, access: Access) -> str | None:
    """``"deletedAt" IS NULL`` when the table is soft-deleted and the query reads active rows."""
    from pgwarden.spec import sqltext

    if table.soft_delete is None:
        return None
    text = sqltext.active_rows(table.soft_delete)
    from pgwarden.checks.queries import normalize_text

    return text if normalize_text(text) in access.predicates else None


def _spec_fix(schema: Schema, table: str, columns: Sequence[str], where: str | None) -> str:
    from pgwarden.checks.queries import create_index_sql

    cols = ", ".join(f'"{c}"' for c in columns)
    spec = f"[[tables.{table}.indexes]] columns = [{cols}]"
    if where:
        spec += f" where = '{where}'"
    ddl = create_index_sql(schema.name, table, columns, where)
    return f"add to the spec `{spec}` (renders `{ddl}`)"


@check(id="query-without-index", family="query", severity="warning")
def query_without_index(analysis: QueryAnalysis) -> Iterator[Finding]:
    """A query filters, joins or sorts (ORDER BY + LIMIT) on columns no valid index serves."""
    from pgwarden.checks.queries import suggested_columns

    seen: set[tuple[str, int, str, str]] = set()
    for q in analysis.queries:
        for a in q.accesses:
            verdict = analysis.verdict(a)
            if not verdict.needs or verdict.index is not None:
                continue
            key = (q.file, q.line, a.table, a.pattern())
            if key in seen:
                continue
            seen.add(key)
            table = analysis.schema.table(a.table)
            assert table is not None
            cols = suggested_columns(a)
            where = _active_predicate(table, a)
            shown = ", ".join(f'"{c}"' for c in cols)
            yield rule("query-without-index").finding(
                _where(q),
                f'`{q.label}`: {verdict.missing} on "{a.table}" ({a.pattern()}) is served by '
                f'no index: Postgres reads every row of "{a.table}"'
                + (" and sorts the matches" if verdict.missing.startswith("ORDER") else ""),
                _spec_fix(analysis.schema, a.table, cols, where),
                key=f"query-without-index:{a.table}({shown}):{q.label}",
            )


@check(id="query-composite-index", family="query", severity="warning")
def query_composite_index(analysis: QueryAnalysis) -> Iterator[Finding]:
    """Several queries filter on the same column pair that no composite index serves."""
    from pgwarden.checks.queries import EQ_OPS
    from pgwarden.spec import sqltext

    sites: dict[tuple[str, str, str], list[tuple[Query, Access]]] = {}
    for q in analysis.queries:
        for a in q.accesses:
            eq = sorted(a.columns(EQ_OPS - {"join"}))
            indexes = analysis.table_indexes(a.table)
            # a unique key fully given by equality: at most one row, nothing to combine
            if any(ix.constraint and set(ix.columns) <= set(eq) for ix in indexes if ix.columns):
                continue
            for x, y in combinations(eq, 2):
                sites.setdefault((a.table, x, y), []).append((q, a))
    for (table, x, y), found in sorted(sites.items()):
        places = sorted({(q.file, q.line) for q, _ in found})
        if len(places) < 2:
            continue
        if any(_serves_pair(analysis, table, x, y, a) for _, a in found):
            continue
        where = None
        spec_table = analysis.schema.table(table)
        if (
            spec_table is not None
            and spec_table.soft_delete
            and all(_active_predicate(spec_table, a) for _, a in found)
        ):
            where = sqltext.active_rows(spec_table.soft_delete)
        done: set[tuple[str, int]] = set()
        for q, _ in found:
            if (q.file, q.line) in done:
                continue
            done.add((q.file, q.line))
            others = ", ".join(
                f"{Path(f).name}:{n}" for f, n in places if (f, n) != (q.file, q.line)
            )
            yield rule("query-composite-index").finding(
                _where(q),
                f'`{q.label}` filters "{table}" on "{x}" and "{y}" with equality, as '
                f"{_others(len(places) - 1)} ({others}); "
                "no index leads with both columns",
                _spec_fix(analysis.schema, table, (x, y), where)
                + ": one composite index serves every one of them",
                key=f"query-composite-index:{table}({x},{y}):{q.label}",
            )


def _others(n: int) -> str:
    return "1 other query does" if n == 1 else f"{n} other queries do"


def _serves_pair(analysis: QueryAnalysis, table: str, x: str, y: str, a: Access) -> bool:
    from pgwarden.checks.queries import usable

    return any(
        set(ix.columns[:2]) == {x, y} and usable(ix, a) for ix in analysis.table_indexes(table)
    )


@check(id="query-reads-deleted-rows", family="query", severity="warning")
def query_reads_deleted_rows(analysis: QueryAnalysis) -> Iterator[Finding]:
    """A query on a soft-delete table names no condition on its deleted-at column."""
    from pgwarden.spec import sqltext

    seen: set[tuple[str, int, str]] = set()
    for q in analysis.queries:
        for a in q.accesses:
            table = analysis.schema.table(a.table)
            if table is None or table.soft_delete is None or not a.top or q.all_rows:
                continue
            col = table.soft_delete
            if a.kind not in ("select", "update") or col in a.mentions or col in a.sets:
                continue
            if (q.file, q.line, a.table) in seen:
                continue
            seen.add((q.file, q.line, a.table))
            verb = "reads" if a.kind == "select" else "updates"
            yield rule("query-reads-deleted-rows").finding(
                _where(q),
                f'`{q.label}` {verb} "{a.table}", a soft-delete table, without a condition on '
                f'"{col}": it {verb} soft-deleted rows as if they were live',
                f"add `AND {sqltext.active_rows(col)}` (active rows; use the generated "
                "service), or "
                f'`"{col}" IS NOT NULL` when deleted rows are what you want',
                key=f"query-reads-deleted-rows:{a.table}:{q.label}",
            )


@check(id="unused-index", family="query", severity="info")
def unused_index(analysis: QueryAnalysis) -> Iterator[Finding]:
    """An index that no analysed query and no constraint uses."""
    from pgwarden.checks.queries import covers_foreign_key, index_used

    if not analysis.queries:
        return  # nothing analysed: every index would look unused
    for table in analysis.schema.tables:
        for ix in analysis.table_indexes(table.name):
            if ix.constraint or covers_foreign_key(ix, table) or index_used(ix, analysis.queries):
                continue
            spec_index = next((i for i in table.indexes if i.name == ix.name), None)
            source = spec_index.source if spec_index else None
            file = source.file if source else (analysis.schema.sources or ("<spec>",))[0]
            line = source.line if source else None
            yield rule("unused-index").finding(
                Location(file, line, None, f"{table.name}.{ix.name}"),
                f'index {ix.name} on "{table.name}" is used by none of the {len(analysis.queries)} '
                "analysed queries and backs no constraint or foreign key: every write "
                "maintains it for nothing",
                "drop it (`DROP INDEX CONCURRENTLY`) if no other application reads through it, "
                "or add the source that uses it to the analysed paths",
                key=f"unused-index:{table.name}.{ix.name}",
            )


def lint_queries(
    files: Sequence[tuple[str, str]],
    schema: Schema,
    enabled: set[str],
    services: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Run the enabled query rules over Python texts ``(file, text)``; ``services``
    default to ``[tool.pgwarden.generate] services`` of the nearest pyproject.toml."""
    from pgwarden.checks.config import find_pyproject
    from pgwarden.checks.queries import analyse, generate_services
    from pgwarden.checks.registry import all_rules

    ids = [i for i, r in all_rules().items() if r.family == "query" and i in enabled]
    if not ids or not files:
        return []
    if services is None:
        services = generate_services(find_pyproject(Path.cwd()))
    analysis = analyse(files, schema, services)
    out: list[Finding] = []
    for rid in ids:
        out += list(all_rules()[rid].fn(analysis))
    return out
