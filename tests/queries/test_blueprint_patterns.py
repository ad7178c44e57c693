"""The blueprint's index purposes and query-pattern table (``pgwarden docs``)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pgwarden.checks.queries import analyse
from pgwarden.cli import cli
from pgwarden.docs.blueprint import render_blueprint
from pgwarden.spec.load import load_schema

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPEC = HERE / "sample.toml"
APP = HERE / "sample_app.py"


def rows(text: str) -> dict[str, list[str]]:
    """Query-pattern rows keyed by pattern: [places, served by, mark]."""
    section = text.split("### Query Pattern Analysis", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] != "Pattern":
            out[cells[0]] = cells[1:]
    return out


def index_purpose(text: str, name: str) -> str:
    line = next(x for x in text.splitlines() if x.startswith("| ") and f"| `{name}` |" in x)
    return line.rstrip(" |").rsplit(" | ", 1)[1]


def test_sample_blueprint_tables() -> None:
    schema = load_schema(SPEC)
    analysis = analyse([("app.py", APP.read_text())], schema)
    text = render_blueprint(schema, queries=analysis, query_sources=["app.py"])
    table = rows(text)
    # a finding: ✗ with the index that would serve it, at the line of the call
    title = table['Post: "title" =, "deletedAt" IS NULL']
    assert title == ["`conn.execute` (app.py:18)", "none (would be: index on `title`)", "✗"]
    # a decoy: the partial index serves the query that implies its predicate
    decoy = table['Post: "authorId" =, "deletedAt" IS NULL']
    assert decoy[1:] == ["`Post_authorId_slug_idx`", "✓"]
    # the generated accessor: named by method, with the line of the call; its active
    # form is served by the partial index, its include_deleted=True form by none
    assert table['Post: "authorId" ='][0].startswith("`db.post.find_by_author_id` (app.py:")
    assert table['Post: "authorId" ='][2] == "✗"
    assert "`db.post.find_by_author_id`" in decoy[0]
    # purposes: unused, foreign key + queries, uniqueness over active rows
    assert index_purpose(text, "Post_views_idx") == "**Unused** by the analysed queries"
    assert index_purpose(text, "Post_tenantId_createdAt_idx").startswith(
        "Foreign key `Post_tenantId_fkey` (delete checks, joins); Serves "
    )
    assert index_purpose(text, "Post_authorId_slug_idx").startswith(
        "Uniqueness over active rows; Serves 3 query patterns"
    )


def test_docs_command_takes_sources(tmp_path: Path) -> None:
    out = tmp_path / "bp.md"
    spec = tmp_path / "sample.toml"  # outside this repository: no [tool.pgwarden.docs] applies
    spec.write_text(SPEC.read_text())
    runner = CliRunner()
    args = ["--schema", str(spec), "docs", "--output", str(out)]
    plain = runner.invoke(cli, args)
    assert plain.exit_code == 0, plain.output
    assert "No application source was analysed" in out.read_text()
    with_src = runner.invoke(cli, [*args, "--source", str(APP)])
    assert with_src.exit_code == 0, with_src.output
    text = out.read_text()
    assert 'Post: "title" =, "deletedAt" IS NULL' in text and "✗" in text
    # --check compares with the same sources
    assert runner.invoke(cli, [*args, "--source", str(APP), "--check"]).exit_code == 0
    assert runner.invoke(cli, [*args, "--check"]).exit_code == 1
    missing = runner.invoke(cli, [*args, "--source", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_committed_basefly_blueprint_marks_exactly_the_unserved_patterns() -> None:
    text = (ROOT / "docs" / "blueprint.md").read_text()
    table = rows(text)
    crossed = sorted(p for p, (_, _, mark) in table.items() if mark == "✗")
    # every Basefly query is served (tests/queries/test_basefly.py proves it)
    assert crossed == []
    assert table['Account: "userId" ='][1:] == ["`Account_userId_idx`", "✓"]
    assert table['K8sClusterConfig: "plan" =, "deletedAt" IS NULL'][1:] == [
        "`K8sClusterConfig_plan_authUserId_key`",
        "✓",
    ]
    assert table['Customer: "authUserId" ='][1:] == ["`Customer_authUserId_idx`", "✓"]
    assert table['Customer: "stripeSubscriptionId" ='][1:] == [
        "`Customer_stripeSubscriptionId_key`",
        "✓",
    ]
    assert "| User | `User_email_key` | `email` | Unique |  | Uniqueness; Serves 2" in text
