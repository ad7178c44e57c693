"""Lint on the project's own inputs: Basefly's spec and migrations, saasfly's "before"."""

from __future__ import annotations

from pathlib import Path

from pgwarden.checks.engine import finish, lint_paths, lint_schema, lint_sql
from pgwarden.importers.prisma import import_prisma

ROOT = Path(__file__).resolve().parents[2]


def test_basefly_spec_lints_clean_at_error_severity_with_reasons() -> None:
    result = lint_paths([ROOT / "schema"])
    errors = [f for f in result.findings if f.severity == "error"]
    assert errors == []
    # What remains is acknowledged in the spec, each with a reason, and none is stale.
    assert result.suppressed >= 1
    assert not [
        f for f in result.findings if f.rule in ("unused-suppression", "invalid-suppression")
    ]


SEED_PROBLEMS = {
    # no FKs on authUserId (the seed's #1)
    ("implied-foreign-key", "Customer.authUserId"),
    ("implied-foreign-key", "K8sClusterConfig.authUserId"),
    # the `delete` flag (#3)
    ("boolean-soft-delete", "K8sClusterConfig.delete"),
    # no unique rule over active rows: the per-plan rule is commented out (#3/#4)
    ("soft-delete-without-unique", "K8sClusterConfig"),
    # updatedAt has only a default
    ("updated-at-not-maintained", "Customer.updatedAt"),
    ("updated-at-not-maintained", "K8sClusterConfig.updatedAt"),
    # tokens in plain text
    ("plaintext-secret", "Account.refresh_token"),
    ("plaintext-secret", "Account.access_token"),
    ("plaintext-secret", "Account.id_token"),
    ("plaintext-secret", "Session.sessionToken"),
    ("plaintext-secret", "VerificationToken.token"),
}


def test_saasfly_before_reports_each_seed_problem_and_nothing_else_at_error() -> None:
    spec = ROOT / "tests/fixtures/saasfly_before/saasfly.toml"
    result = lint_paths([spec])
    errors = {(f.rule, f.location.object) for f in result.findings if f.severity == "error"}
    assert errors == SEED_PROBLEMS
    # Each points at its line in the spec file.
    lines = spec.read_text().splitlines()
    for f in result.findings:
        if f.severity == "error" and f.location.object and "." in f.location.object:
            column = f.location.object.split(".", 1)[1]
            assert lines[(f.location.line or 0) - 1].lstrip().startswith(column), f


def test_saasfly_prisma_schema_reports_the_same_plus_emulated_relations() -> None:
    """The Prisma original (relationMode = "prisma": no FK in the database at all)."""
    schema = import_prisma(ROOT / "tests/fixtures/saasfly_before/schema.prisma").schema
    result = finish(lint_schema(schema))
    errors = {(f.rule, f.location.object) for f in result.findings if f.severity == "error"}
    assert errors == SEED_PROBLEMS | {
        ("implied-foreign-key", "Account.userId"),
        ("implied-foreign-key", "Session.userId"),
    }
    assert all(f.location.line for f in result.findings if f.severity == "error")


def basefly_migrations() -> list[Path]:
    return sorted((ROOT / "migrations").glob("*/up.sql"))


def test_basefly_migrations_lint_clean() -> None:
    assert basefly_migrations(), "migrations/ lost its generated history"
    result = lint_paths([ROOT / "migrations"])
    errors = [f for f in result.findings if f.severity == "error"]
    assert errors == [], "\n".join(f"{f.location} {f.rule} {f.message}" for f in errors)


def test_planner_generated_blueprint_migration_lints_clean() -> None:
    """saasfly -> Basefly as the planner writes it: online forms everywhere (CONCURRENTLY,
    NOT VALID + VALIDATE, USING INDEX, lock_timeout per step). The drop of the `delete`
    flag follows the backfill of deletedAt from it, so it is a warning (deploy order),
    not data loss."""
    from pgwarden.apply.generate import render_migration
    from pgwarden.spec.load import load_schema
    from pgwarden.spec.model import Schema

    before = import_prisma(ROOT / "tests/fixtures/saasfly_before/schema.prisma").schema
    after = load_schema(ROOT / "schema")
    first = render_migration(Schema(), before)
    second = render_migration(before, after, allow_destructive=True)
    assert first is not None and second is not None
    files = [("0001_saasfly/up.sql", first[0]), ("0002_blueprint/up.sql", second[0])]
    result = finish(lint_sql(files))
    assert [f for f in result.findings if f.severity == "error"] == []
    (drop,) = [f for f in result.findings if f.rule == "drop-column"]
    assert drop.severity == "warning" and "deletedAt" in drop.message
    assert '"delete"' in second[0].splitlines()[(drop.location.line or 0) - 1]
