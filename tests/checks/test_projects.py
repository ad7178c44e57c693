"""Lint on the project's own inputs: Basefly's spec and migrations, saasfly's "before"."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_saasfly_before_reports_each_seed_problem_and_nothing_else_at_error() -> None:
    schema = import_prisma(ROOT / "tests/fixtures/saasfly_before/schema.prisma").schema
    result = finish(lint_schema(schema))
    errors = {(f.rule, f.location.object) for f in result.findings if f.severity == "error"}
    assert errors == {
        # seed #1: no FKs on authUserId (relationMode = "prisma": none on userId either)
        ("implied-foreign-key", "Customer.authUserId"),
        ("implied-foreign-key", "K8sClusterConfig.authUserId"),
        ("implied-foreign-key", "Account.userId"),
        ("implied-foreign-key", "Session.userId"),
        # seed #3: the `delete` flag
        ("boolean-soft-delete", "K8sClusterConfig.delete"),
        # seed #3/#4: no unique rule over active rows (the per-plan rule is commented out)
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
    # The findings point into the Prisma file.
    assert all(f.location.line for f in result.findings if f.severity == "error")


def basefly_migrations() -> list[Path]:
    return sorted((ROOT / "migrations").glob("*/up.sql"))


def test_basefly_migrations_lint_clean() -> None:
    files = basefly_migrations()
    if not files:
        pytest.skip("migrations/ has no generated history yet")
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
