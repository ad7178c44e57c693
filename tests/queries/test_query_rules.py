"""Query-pattern rules: the sample application, one ok/err pair per case, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pgwarden.checks.query_rules import lint_queries
from pgwarden.checks.registry import Finding, all_rules
from pgwarden.cli import cli
from pgwarden.spec.load import load_schema, load_schema_text
from pgwarden.spec.model import Schema

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sample.toml"
APP = HERE / "sample_app.py"
_EXPECT = re.compile(r"#\s*expect:\s*([a-z0-9-]+)")


def run(schema: Schema, text: str, file: str = "app.py") -> list[Finding]:
    return lint_queries([(file, text)], schema, set(all_rules()))


def marked(path: Path) -> set[tuple[int, str]]:
    return {
        (n, m.group(1))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if (m := _EXPECT.search(line))
    }


def test_sample_app_gets_each_finding_at_its_line_and_none_on_decoys() -> None:
    findings = run(load_schema(SPEC), APP.read_text(), str(APP))
    got = {(f.location.line, f.rule) for f in findings if f.location.file == str(APP)}
    expected = marked(APP)
    assert {r for _, r in expected} == {
        "query-without-index",
        "query-composite-index",
        "query-reads-deleted-rows",
    }
    assert got == expected
    # exactly one finding per marked line and rule (no duplicates from one call)
    assert len([f for f in findings if f.location.file == str(APP)]) == len(expected)
    # the unused index is reported on the spec, at info
    unused = [f for f in findings if f.rule == "unused-index"]
    views_line = next(
        n
        for n, line in enumerate(SPEC.read_text().splitlines(), 1)
        if line.strip() == 'columns = ["views"]'
    )
    assert [(u.location.object, u.severity) for u in unused] == [("Post.Post_views_idx", "info")]
    assert unused[0].location.file == str(SPEC)
    assert unused[0].location.line is not None and unused[0].location.line <= views_line


def test_sample_fixes_name_the_index_that_would_serve() -> None:
    findings = run(load_schema(SPEC), APP.read_text(), str(APP))
    fixes = " ".join(f.fix or "" for f in findings if f.rule == "query-without-index")
    # a soft-delete read of active rows: the proposal is partial, like the query
    assert (
        'CREATE INDEX CONCURRENTLY "Post_title_idx" ON "public"."Post" ("title") '
        'WHERE "deletedAt" IS NULL' in fixes
    )
    # ORDER BY + LIMIT: the equality column, then the sort column
    assert '"Comment_authorId_createdAt_idx" ON "public"."Comment" ("authorId", "createdAt")' in (
        fixes
    )
    assert '"Comment_postId_idx" ON "public"."Comment" ("postId")' in fixes  # the join
    composite = [f for f in findings if f.rule == "query-composite-index"]
    assert all('("kind", "status")' in (f.fix or "") for f in composite)


SOFT = """
[tables.Post]
soft_delete = "deletedAt"

[tables.Post.columns]
id        = { type = "integer", identity = "by default", primary_key = true }
a         = { type = "text" }
b         = { type = "text" }
c         = { type = "text" }
d         = { type = "integer" }
deletedAt = { type = "timestamptz", nullable = true }

[[tables.Post.indexes]]
columns = ["a", "b"]

[[tables.Post.indexes]]
columns = ["c"]
unique = true

[[tables.Post.indexes]]
columns = ["d"]
where = '"d" > 0'
"""


def _rules(text: str, spec: str = SOFT) -> list[str]:
    return sorted(f.rule for f in run(load_schema_text(spec), text) if f.rule != "unused-index")


def _q(query: str) -> str:
    return f"def f(conn):\n    conn.execute({query!r}, ())\n"


@pytest.mark.parametrize(
    ("query", "rules"),
    [
        # leading columns
        ('SELECT * FROM "Post" WHERE a = %s AND "deletedAt" IS NULL', []),
        ('SELECT * FROM "Post" WHERE b = %s AND "deletedAt" IS NULL', ["query-without-index"]),
        ('SELECT * FROM "Post" WHERE a = %s AND b > %s AND "deletedAt" IS NULL', []),
        # partial-index predicates: implied only by the same conjunct
        ('SELECT * FROM "Post" WHERE c = %s AND "deletedAt" IS NULL', []),
        ('SELECT * FROM "Post" WHERE c = %s AND "deletedAt" IS NOT NULL', ["query-without-index"]),
        (
            'SELECT * FROM "Post" WHERE c = %s AND (%s OR "deletedAt" IS NULL)',
            ["query-without-index"],
        ),
        ('SELECT * FROM "Post" WHERE d = %s AND "deletedAt" IS NULL', ["query-without-index"]),
        ('SELECT * FROM "Post" WHERE d = %s AND d > 0 AND "deletedAt" IS NULL', []),
        # ORDER BY + LIMIT
        ('SELECT * FROM "Post" WHERE a = %s AND "deletedAt" IS NULL ORDER BY b DESC LIMIT 5', []),
        (
            'SELECT * FROM "Post" WHERE "deletedAt" IS NULL ORDER BY b LIMIT 5',
            ["query-without-index"],
        ),
        ('SELECT * FROM "Post" WHERE "deletedAt" IS NULL ORDER BY id LIMIT 5', []),
        ('SELECT * FROM "Post" WHERE "deletedAt" IS NULL ORDER BY b', []),  # no LIMIT: no claim
        # soft delete
        ('SELECT * FROM "Post" WHERE id = %s', ["query-reads-deleted-rows"]),
        ('UPDATE "Post" SET b = %s WHERE id = %s', ["query-reads-deleted-rows"]),
        ('UPDATE "Post" SET "deletedAt" = NULL WHERE id = %s', []),
        ('DELETE FROM "Post" WHERE id = %s', []),
        # a purge reaches deleted rows on purpose (no deletedAt index here, though)
        ('DELETE FROM "Post" WHERE "deletedAt" < %s', ["query-without-index"]),
        ('SELECT * FROM "Post" WHERE id = %s AND "deletedAt" IS NOT NULL', []),
        ('SELECT * FROM "Post" p WHERE p.id = %s AND p."deletedAt" IS NULL', []),
        # pyformat parameters, row comparisons, = ANY, IN
        ('SELECT * FROM "Post" WHERE a = %(a)s AND "deletedAt" IS NULL', []),
        ('SELECT * FROM "Post" WHERE (a, b) > (%s, %s) AND "deletedAt" IS NULL', []),
        ('SELECT * FROM "Post" WHERE a = ANY(%s) AND "deletedAt" IS NULL', []),
        (
            'SELECT * FROM "Post" WHERE b IN (%s, %s) AND "deletedAt" IS NULL',
            ["query-without-index"],
        ),
        # no condition at all: a full read is what was asked, nothing to index
        ('SELECT count(*) FROM "Post" WHERE "deletedAt" IS NULL', []),
    ],
)
def test_single_queries(query: str, rules: list[str]) -> None:
    assert _rules(_q(query)) == rules


def test_composite_needs_two_places_and_no_index_leading_with_both() -> None:
    one = 'SELECT * FROM "Post" WHERE c = %s AND d = %s AND "deletedAt" IS NULL'
    other = 'SELECT id FROM "Post" WHERE d = %s AND c = %s AND "deletedAt" IS NULL'
    # c is a unique key over active rows: at most one row, no composite needed
    assert "query-composite-index" not in _rules(_q(one) + _q(other).replace("def f", "def g"))
    spec = SOFT.replace("unique = true\n", "")
    twice = _rules(_q(one) + _q(other).replace("def f", "def g"), spec)
    assert twice.count("query-composite-index") == 2
    assert "query-composite-index" not in _rules(_q(one), spec)  # one place only
    served = spec + '\n[[tables.Post.indexes]]\ncolumns = ["d", "c"]\n'
    assert "query-composite-index" not in _rules(
        _q(one) + _q(other).replace("def f", "def g"), served
    )


def test_reads_deleted_rows_through_a_join_but_not_in_existence_checks() -> None:
    spec = SOFT + '\n[tables.Tag.columns]\nid = { type = "integer", primary_key = true }\n'
    join = 'SELECT t.* FROM "Tag" t JOIN "Post" p ON p.id = t.id WHERE t.id = %s'
    assert _rules(_q(join), spec) == ["query-reads-deleted-rows"]
    on = join.replace("p.id = t.id", 'p.id = t.id AND p."deletedAt" IS NULL')
    assert _rules(_q(on), spec) == []
    exists = (
        'SELECT * FROM "Tag" t WHERE t.id = %s '
        'AND EXISTS (SELECT 1 FROM "Post" p WHERE p.id = t.id)'
    )
    assert _rules(_q(exists), spec) == []


def test_unused_index_is_info_and_needs_analysed_queries() -> None:
    schema = load_schema_text(SOFT)

    def unused(text: str) -> list[str]:
        return sorted(
            f.location.object or "" for f in run(schema, text) if f.rule == "unused-index"
        )

    assert unused("x = 1\n") == []  # nothing analysed, nothing claimed
    q = _q('SELECT * FROM "Post" WHERE a = %s AND "deletedAt" IS NULL')
    assert unused(q) == ["Post.Post_d_idx"]  # the unique index c is a constraint
    assert (
        all(f.severity == "info" for f in run(schema, q) if f.rule == "unused-index")
        and all_rules()["unused-index"].severity == "info"
    )
    both = q + _q('SELECT * FROM "Post" WHERE d = 1 AND d > 0 AND "deletedAt" IS NULL').replace(
        "def f", "def g"
    )
    assert unused(both) == []
    # an index whose leading column is a foreign key serves the constraint
    fk = SOFT.replace(
        'a         = { type = "text" }',
        'a = { type = "integer", references = { table = "Ref", on_delete = "restrict" } }',
    )
    fk += '\n[tables.Ref.columns]\nid = { type = "integer", primary_key = true }\n'
    q2 = _q('SELECT * FROM "Post" WHERE d = 1 AND d > 0 AND "deletedAt" IS NULL')
    assert [f for f in run(load_schema_text(fk), q2) if f.rule == "unused-index"] == []


def test_lint_cli_runs_the_query_rules_and_honours_suppressions(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["lint", str(SPEC), str(APP), "--select", "query"])
    assert result.exit_code == 0, result.output  # warnings and info only
    for line, rule_id in marked(APP):
        assert f"{APP}:{line}:" in result.output and rule_id in result.output
    assert "unused-index" in result.output
    # an inline suppression with a reason silences that line
    text = APP.read_text().replace(
        "conn.execute(rows, (x,))  # expect: query-reads-deleted-rows",
        "# pgwarden: ignore[query-reads-deleted-rows] the audit view lists deleted posts\n"
        "    conn.execute(rows, (x,))",
    )
    copy = tmp_path / "app.py"
    copy.write_text(text)
    quiet = runner.invoke(cli, ["lint", str(SPEC), str(copy), "--select", "query"])
    assert quiet.exit_code == 0, quiet.output
    assert "query-reads-deleted-rows" not in quiet.output
    assert "1 suppressed" in quiet.output
    # --select access only: the query family does not run
    other = runner.invoke(cli, ["lint", str(SPEC), str(APP), "--select", "access"])
    assert "query-without-index" not in other.output


def test_lint_with_configured_paths_runs_the_query_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "app.toml").write_text(SPEC.read_text())
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(APP.read_text())
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pgwarden.lint]\npaths = { schema = "schema", source = ["app"] }\n'
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["lint", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    found = {
        (Path(f["file"]).name, f["line"], f["rule"])
        for f in json.loads(result.stdout)
        if f["rule"].startswith("query-")
    }
    assert found == {("views.py", line, rule) for line, rule in marked(APP)}
