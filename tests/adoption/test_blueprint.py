"""``pgwarden docs``: the generated Data Blueprint and its lint-driven checklist."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from pgwarden.cli import cli
from pgwarden.docs.blueprint import CHECKLIST, lint_issues, render_blueprint
from pgwarden.importers.prisma import import_prisma
from pgwarden.spec.model import (
    Column,
    ColumnType,
    ForeignKey,
    Index,
    IndexElement,
    Schema,
    Suppression,
    Table,
)

ROOT = Path(__file__).parents[2]
SAASFLY = ROOT / "tests" / "fixtures" / "saasfly_before" / "schema.prisma"

SPEC = """
[enums.Plan]
values = ["FREE", "PRO"]

[tables.User]
comment = "People"
[tables.User.columns]
id = { type = "text", primary_key = true }

[tables.Cluster]
comment = "Clusters"
[tables.Cluster.columns]
id     = { type = "integer", identity = "by default", primary_key = true }
userId = { type = "text" }
plan   = { type = "Plan", default = "FREE" }
"""


def checklist(text: str) -> dict[str, bool]:
    """Checklist line text -> ticked, read back from the Markdown."""
    found: dict[str, bool] = {}
    for mark, line in re.findall(r"^- (✅|❌) (.+?) \(`", text, re.MULTILINE):
        found[line] = mark == "✅"
    return found


def saasfly() -> Schema:
    return import_prisma(SAASFLY).schema


def swap_table(schema: Schema, table: Table) -> Schema:
    return replace(
        schema, tables=tuple(table if t.name == table.name else t for t in schema.tables)
    )


def test_blueprint_is_deterministic_and_has_every_section() -> None:
    schema = saasfly()
    text = render_blueprint(schema)
    assert text == render_blueprint(replace(schema, tables=tuple(reversed(schema.tables))))
    for heading in (
        "## Entity-relationship diagram",
        "## Data Models",
        "## Enums",
        "## Index Analysis",
        "## Data Integrity",
    ):
        assert heading in text
    assert "```mermaid\nerDiagram\n" in text
    assert "| Customer | `Customer_stripeCustomerId_key` | `stripeCustomerId` | Unique |  |" in text
    assert set(checklist(text)) == {line for line, _ in CHECKLIST}


def test_checklist_follows_real_lint_results_on_saasfly() -> None:
    schema = saasfly()
    rules = {i.rule for i in lint_issues(schema)}
    marks = checklist(render_blueprint(schema))
    for line, line_rules in CHECKLIST:
        assert marks[line] == (not rules & set(line_rules)), line
    # the seed's "before" problems are crosses
    assert not marks["Foreign keys enforce every relation"]
    assert not marks["Soft delete uses a timestamp, not a boolean flag"]


def test_cross_turns_into_tick_when_the_problem_is_fixed() -> None:
    schema = saasfly()
    before_text = render_blueprint(schema)
    before = checklist(before_text)
    # the unenforced reference is drawn dotted in the ER diagram
    assert 'User ||..o{ Customer : "authUserId (no foreign key)"' in before_text
    assert not before["Soft delete uses a timestamp, not a boolean flag"]
    assert not before["Foreign keys enforce every relation"]

    # fix 1: the boolean flag becomes a deletedAt timestamp, with the partial unique rule
    k8s = schema.table("K8sClusterConfig")
    assert k8s is not None
    k8s = replace(
        k8s,
        columns=(
            *(c for c in k8s.columns if c.name != "delete"),
            Column("deletedAt", ColumnType("timestamptz", (3,)), nullable=True),
        ),
        soft_delete="deletedAt",
        indexes=(
            *k8s.indexes,
            Index(
                "K8sClusterConfig_plan_authUserId_key",
                (IndexElement(column="plan"), IndexElement(column="authUserId")),
                unique=True,
                where='"deletedAt" IS NULL',
            ),
        ),
    )
    fixed = swap_table(schema, k8s)
    after = checklist(render_blueprint(fixed))
    assert after["Soft delete uses a timestamp, not a boolean flag"]
    assert after["Unique rules on soft-deleted tables cover active rows only"]
    assert not after["Foreign keys enforce every relation"]  # not fixed yet

    # fix 2: real foreign keys for every user reference
    for name, col, action in (
        ("Customer", "authUserId", "restrict"),
        ("K8sClusterConfig", "authUserId", "restrict"),
        ("Account", "userId", "cascade"),
        ("Session", "userId", "cascade"),
    ):
        t = fixed.table(name)
        assert t is not None
        fk = ForeignKey(f"{name}_{col}_fkey", (col,), "User", ("id",), on_delete=action)
        fixed = swap_table(fixed, replace(t, foreign_keys=(fk,)))
    text = render_blueprint(fixed)
    assert checklist(text)["Foreign keys enforce every relation"]
    assert "User ||--o{ Customer" in text
    assert "..o{" not in text


def test_acknowledged_finding_does_not_cross_its_line() -> None:
    schema = saasfly()
    issue = next(i for i in lint_issues(schema) if i.rule == "boolean-soft-delete")
    assert issue.object == "K8sClusterConfig.delete"
    k8s = schema.table("K8sClusterConfig")
    assert k8s is not None
    columns = tuple(
        replace(c, ignore=(Suppression(issue.rule, "kept until the app reads deletedAt"),))
        if c.name == "delete"
        else c
        for c in k8s.columns
    )
    text = render_blueprint(swap_table(schema, replace(k8s, columns=columns)))
    assert checklist(text)["Soft delete uses a timestamp, not a boolean flag"]
    assert (
        "acknowledged `K8sClusterConfig.delete` (`boolean-soft-delete`): "
        "kept until the app reads deletedAt" in text
    )


def test_docs_command_writes_and_checks(tmp_path: Path) -> None:
    spec_dir = tmp_path / "schema"
    spec_dir.mkdir()
    (spec_dir / "app.toml").write_text(SPEC)
    out = tmp_path / "blueprint.md"
    runner = CliRunner()
    args = ["--schema", str(spec_dir), "docs", "--output", str(out)]
    stale = runner.invoke(cli, [*args, "--check"])
    assert stale.exit_code == 1 and "stale" in stale.output
    assert not out.exists()
    wrote = runner.invoke(cli, args)
    assert wrote.exit_code == 0, wrote.output
    text = out.read_text()
    assert "- ❌ Foreign keys enforce every relation" in text
    assert runner.invoke(cli, [*args, "--check"]).exit_code == 0

    # the spec gains the foreign key: the committed file is stale, and the cross turns
    (spec_dir / "app.toml").write_text(
        SPEC.replace(
            'userId = { type = "text" }',
            'userId = { type = "text", references = { table = "User", on_delete = "restrict" } }',
        )
    )
    check = runner.invoke(cli, [*args, "--check"])
    assert check.exit_code == 1
    assert "-- ❌ Foreign keys enforce every relation" in check.output  # the diff shows it
    assert runner.invoke(cli, args).exit_code == 0
    assert "- ✅ Foreign keys enforce every relation" in out.read_text()


@pytest.mark.skipif(not (ROOT / "schema").is_dir(), reason="Basefly's spec is not in this tree")
def test_committed_basefly_blueprint_is_current() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--schema",
            str(ROOT / "schema"),
            "docs",
            "--check",
            "--output",
            str(ROOT / "docs" / "blueprint.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    text = (ROOT / "docs" / "blueprint.md").read_text()
    assert "erDiagram" in text and "User ||--o{ K8sClusterConfig" in text


def test_blueprint_of_a_prisma_import_describes_relations_enums_and_the_diagram() -> None:
    schema = import_prisma(ROOT / "tests" / "adoption" / "fixtures" / "constructs.prisma").schema
    text = render_blueprint(schema)
    # enum value docs (///) come through the importer's "VALUE: text" comment lines
    assert "### role\n\nRoles a member can have\n\n- `admin`: full access\n- `member`\n" in text
    assert "Used by: `users.role`." in text
    # relations with both actions, and who references a table
    assert (
        "- **Relation**: `editorId` → `users`.`id` (ON DELETE SET NULL, ON UPDATE CASCADE)" in text
    )
    assert "- **Referenced by**: `Post`.`author_id` (ON DELETE CASCADE)" in text
    # the ER diagram: nullable reference |o, quoted names that are not plain identifiers
    mermaid = text.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()
    assert '    users |o--o{ Post : "editorId (set null)"' in mermaid
    assert '    users ||--o{ Post : "author_id (cascade)"' in mermaid
    assert '    Tag ||--o{ "_PostToTag" : "B (cascade)"' in mermaid
    entity = re.compile(r'^    ("[^"]+"|[A-Za-z][A-Za-z0-9_-]*) \{$')
    attribute = re.compile(
        r"^        [A-Za-z_][A-Za-z0-9_]*(\[\])? [A-Za-z0-9_]+( (PK|FK|UK)(, (PK|FK|UK))*)?$"
    )
    relation = re.compile(r'^    \S+ (\|\||\|o)(--|\.\.)(o\{|o\|) \S+ : "[^"]*"$')
    for line in mermaid[1:]:
        assert (
            entity.match(line) or attribute.match(line) or relation.match(line) or line == "    }"
        ), line
    # the partial-unique and index notes of the index table
    assert "| Post | `Post_body_idx` | `body` | Index (gin) |  |" in text
