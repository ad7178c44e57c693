# ruff: noqa: E501 - spec snippets read best unwrapped
"""Every schema rule: a spec that triggers it and the fixed spec that does not."""

from __future__ import annotations

import pytest

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import finish, lint_schema
from pgwarden.checks.registry import Finding, all_rules
from pgwarden.spec.load import load_schema_text

USER = """
[tables.User.columns]
id = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
"""

# rule id -> (bad spec, good spec); both include USER.
CASES: dict[str, tuple[str, str]] = {
    "implied-foreign-key": (
        """[tables.Cluster.columns]
id = { type = "bigint", identity = "always", primary_key = true }
authUserId = { type = "uuid" }
[[tables.Cluster.indexes]]
columns = ["authUserId"]""",
        """[tables.Cluster.columns]
id = { type = "bigint", identity = "always", primary_key = true }
authUserId = { type = "uuid", references = { table = "User", on_delete = "restrict" } }
[[tables.Cluster.indexes]]
columns = ["authUserId"]""",
    ),
    "schema-without-foreign-keys": (
        """[tables.Note.columns]
id = { type = "bigint", identity = "always", primary_key = true }""",
        """[tables.Note.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "cascade" } }
[[tables.Note.indexes]]
columns = ["user_id"]""",
    ),
    "fk-missing-index": (
        """[tables.Note.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "cascade" } }
[[tables.Note.indexes]]
columns = ["user_id"]
where = "id > 0"
""",
        """[tables.Note.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "cascade" } }
[[tables.Note.indexes]]
columns = ["user_id", "id"]""",
    ),
    "fk-missing-on-delete": (
        """[tables.Note.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User" } }""",
        """[tables.Note.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", nullable = true, references = { table = "User", on_delete = "set null" } }
""",
    ),
    "cascade-deletes-protected-data": (
        """[tables.Invoice]
billing = {}
[tables.Invoice.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "cascade" } }""",
        """[tables.Invoice]
billing = {}
[tables.Invoice.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "restrict" } }""",
    ),
    "soft-delete-unique-not-partial": (
        """[tables.Doc]
soft_delete = "deletedAt"
[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
slug = { type = "text", unique = { all_rows = true } }
deletedAt = { type = "timestamptz", nullable = true }""",
        """[tables.Doc]
soft_delete = "deletedAt"
[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
slug = { type = "text", unique = true }
deletedAt = { type = "timestamptz", nullable = true }""",
    ),
    "soft-delete-without-unique": (
        """[tables.Doc]
soft_delete = "deletedAt"
[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
deletedAt = { type = "timestamptz", nullable = true }""",
        """[tables.Doc]
soft_delete = "deletedAt"
[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
slug = { type = "text", unique = true }
deletedAt = { type = "timestamptz", nullable = true }""",
    ),
    "boolean-soft-delete": (
        """[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
is_deleted = { type = "boolean", default = false }""",
        """[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
is_published = { type = "boolean", default = false }""",
    ),
    "partitioned-unique-without-key": (
        """[tables.Event]
partition_by = "RANGE (at)"
primary_key = ["id"]
[tables.Event.columns]
id = { type = "bigint", identity = "always" }
at = { type = "timestamptz" }""",
        """[tables.Event]
partition_by = "RANGE (at)"
primary_key = ["id", "at"]
[tables.Event.columns]
id = { type = "bigint", identity = "always" }
at = { type = "timestamptz" }""",
    ),
    "table-without-primary-key": (
        """[tables.Log.columns]
message = { type = "text" }""",
        """[tables.Log.columns]
id = { type = "bigint", identity = "always", primary_key = true }
message = { type = "text" }""",
    ),
    "timestamp-without-time-zone": (
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
at = { type = "timestamp(3)" }""",
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
at = { type = "timestamptz(3)" }""",
    ),
    "prefer-text": (
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
code = { type = "varchar(20)" }""",
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
code = { type = "text" }""",
    ),
    "int-primary-key": (
        """[tables.Ev.columns]
id = { type = "integer", identity = "serial", primary_key = true }""",
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }""",
    ),
    "updated-at-not-maintained": (
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
updatedAt = { type = "timestamptz", default_sql = "now()" }""",
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
updatedAt = { type = "timestamptz", default_sql = "now()", maintained = "on_update" }""",
    ),
    "plaintext-secret": (
        """[tables.Cred.columns]
id = { type = "bigint", identity = "always", primary_key = true }
refresh_token = { type = "text" }
token_type = { type = "text" }""",
        """[tables.Cred.columns]
id = { type = "bigint", identity = "always", primary_key = true }
refresh_token = { type = "bytea", secret = "encrypted" }
token_type = { type = "text" }""",
    ),
    "tenant-table-without-rls": (
        """[tables.Doc]
owner = "user_id"
[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "cascade" } }""",
        """[tables.Doc]
owner = "user_id"
tenant = { column = "user_id", setting = "app.user_id" }
[tables.Doc.columns]
id = { type = "bigint", identity = "always", primary_key = true }
user_id = { type = "uuid", references = { table = "User", on_delete = "cascade" } }""",
    ),
    "duplicate-index": (
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
kind = { type = "text" }
[[tables.Ev.indexes]]
columns = ["kind"]
[[tables.Ev.indexes]]
columns = ["kind"]
name = "ev_kind_again"
""",
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
kind = { type = "text" }
[[tables.Ev.indexes]]
columns = ["kind"]
[[tables.Ev.indexes]]
columns = ["kind"]
name = "ev_kind_recent"
where = "id > 100"
""",
    ),
    "redundant-index": (
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
kind = { type = "text" }
at = { type = "timestamptz" }
[[tables.Ev.indexes]]
columns = ["kind"]
[[tables.Ev.indexes]]
columns = ["kind", "at"]
""",
        """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
kind = { type = "text" }
at = { type = "timestamptz" }
[[tables.Ev.indexes]]
columns = ["at"]
[[tables.Ev.indexes]]
columns = ["kind", "at"]
""",
    ),
}

ALL = LintConfig(select=("ALL",))


def findings(spec: str, rule_id: str) -> list[Finding]:
    schema = load_schema_text(USER + spec, "spec.toml")
    return [f for f in lint_schema(schema, ALL).findings if f.rule == rule_id]


def test_every_schema_rule_has_cases() -> None:
    schema_rules = {i for i, r in all_rules().items() if r.family == "schema"}
    assert schema_rules == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_err(rule_id: str) -> None:
    found = findings(CASES[rule_id][0], rule_id)
    assert found, f"{rule_id} did not fire"
    for f in found:
        assert f.location.file == "spec.toml"
        assert f.location.object
        assert f.fix


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_ok(rule_id: str) -> None:
    assert findings(CASES[rule_id][1], rule_id) == []


def test_finding_points_at_the_column_line() -> None:
    spec = USER + CASES["prefer-text"][0]
    schema = load_schema_text(spec, "spec.toml")
    (f,) = [f for f in lint_schema(schema).findings if f.rule == "prefer-text"]
    assert f.location.object == "Ev.code"
    assert spec.splitlines()[(f.location.line or 0) - 1].startswith("code =")


def test_implied_fk_variants_and_non_matches() -> None:
    spec = """
[tables.Organization.columns]
id = { type = "bigint", identity = "always", primary_key = true }
[tables.Account.columns]
id = { type = "text", primary_key = true }
user_id = { type = "uuid" }
orgId = { type = "bigint" }
providerAccountId = { type = "text" }
owner_id = { type = "uuid" }
legacy_user_id = { type = "integer" }
"""
    found = {f.location.object for f in findings(spec, "implied-foreign-key")}
    # user_id -> User (uuid), orgId -> Organization (bigint); providerAccountId names its
    # own table, owner_id names no table, legacy_user_id has the wrong type.
    assert found == {"Account.user_id", "Account.orgId"}


def test_implied_fk_is_never_the_own_key_and_only_the_longest_name() -> None:
    spec = """
[tables.person.columns]
person_id = { type = "bigint", primary_key = true }
[tables.team.columns]
team_id = { type = "bigint", primary_key = true }
[tables.team_person.columns]
team_person_id = { type = "bigint", primary_key = true }
team_id = { type = "bigint" }
parent_team_person_id = { type = "bigint" }
[tables.team_member.columns]
team_id = { type = "bigint" }
person_id = { type = "bigint" }
team_person_id = { type = "bigint" }
[tables.team_member.primary_key]
columns = ["team_id", "person_id"]
"""
    found = {f.location.object for f in findings(spec, "implied-foreign-key")}
    # team_person.team_person_id is its own key (not user.person_id); parent_team_person_id names
    # team_person itself (the longest match), so "person" is not tried; a composite key's
    # columns in a join table are references.
    assert found == {
        "team_person.team_id",
        "team_member.team_id",
        "team_member.person_id",
        "team_member.team_person_id",
    }


def test_tenant_rule_is_opt_in() -> None:
    bad = load_schema_text(USER + CASES["tenant-table-without-rls"][0], "spec.toml")
    assert not [f for f in lint_schema(bad).findings if f.rule == "tenant-table-without-rls"]
    assert [f for f in lint_schema(bad, ALL).findings if f.rule == "tenant-table-without-rls"]


def test_spec_ignore_suppresses_and_unused_is_reported() -> None:
    spec = (
        USER
        + """[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
code = { type = "varchar(20)", ignore = [{ rule = "prefer-text", reason = "ISO code, fixed" }] }
name = { type = "text", ignore = [{ rule = "prefer-text", reason = "stale" }] }
"""
    )
    result = finish(lint_schema(load_schema_text(spec, "spec.toml")))
    rules = [(f.rule, f.location.object) for f in result.findings]
    assert ("prefer-text", "Ev.code") not in rules
    assert ("unused-suppression", "Ev.name") in rules
    assert result.suppressed == 1


def test_spec_ignore_of_an_unknown_rule_is_invalid() -> None:
    spec = (
        USER
        + """[tables.Ev]
ignore = [{ rule = "no-such-rule", reason = "typo" }]
[tables.Ev.columns]
id = { type = "bigint", identity = "always", primary_key = true }
"""
    )
    result = finish(lint_schema(load_schema_text(spec, "spec.toml")))
    (f,) = [f for f in result.findings if f.rule == "invalid-suppression"]
    assert f.location.object == "Ev" and "no-such-rule" in f.message


def test_partitioned_soft_delete_unique_rule_needs_the_key() -> None:
    spec = """[tables.Ev]
partition_by = "RANGE (at)"
soft_delete = "deletedAt"
primary_key = ["id", "at"]
[tables.Ev.columns]
id = { type = "bigint", identity = "always" }
at = { type = "timestamptz" }
name = { type = "text", unique = true }
deletedAt = { type = "timestamptz", nullable = true }"""
    (found,) = findings(spec, "partitioned-unique-without-key")
    assert "partial" in found.message and "(at)" in found.message
    fixed = spec.replace('name = { type = "text", unique = true }', 'name = { type = "text" }')
    fixed += '\n[[tables.Ev.uniques]]\ncolumns = ["name", "at"]'
    assert findings(fixed, "partitioned-unique-without-key") == []
