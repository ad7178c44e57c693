"""Citus's rules on the spec, one ok and one err case (or more) per rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgwarden.errors import RefusedError, SpecError
from pgwarden.planner import plan
from pgwarden.spec.citus import RULES, citus_problems
from pgwarden.spec.load import load_schema, load_schema_text
from pgwarden.spec.model import Schema

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "basefly_citus"

USER = """
[tables.User]
{user}
[tables.User.columns]
id = {{ type = "text", primary_key = true }}
email = {{ type = "text", unique = true }}
"""


def problems(text: str) -> list[str]:
    try:
        load_schema_text(text, "citus.toml")
    except SpecError as exc:
        return [str(p) for p in exc.problems]
    return []


def schema(text: str) -> Schema:
    return load_schema_text(text, "citus.toml")


def owned(name: str, extra: str = "", key: str = '["authUserId", "id"]', ref: str = "User") -> str:
    return f"""
[tables.{name}]
{extra}
primary_key = {key}
[tables.{name}.columns]
id = {{ type = "bigint" }}
authUserId = {{ type = "text", references = {{ table = "{ref}" }} }}
code = {{ type = "text" }}
"""


REFERENCE_USER = USER.format(user="reference = true")
DISTRIBUTED_USER = USER.format(user='distribution = { column = "id" }').replace(
    'email = { type = "text", unique = true }', 'email = { type = "text" }'
)


def test_the_worked_example_is_valid() -> None:
    spec = load_schema(EXAMPLE)
    assert citus_problems(spec) == []
    placed = {t.name: (t.reference, t.distribution) for t in spec.tables}
    assert placed["User"][0] is True
    assert placed["K8sClusterConfig"][1] is not None
    assert placed["K8sClusterConfig"][1].colocate_with == "Account"


def test_no_markers_no_citus_rules() -> None:
    # a local spec may have keys Citus would refuse: nothing is said until it opts in
    assert problems(USER.format(user="") + owned("Cluster", key='["id"]')) == []


# ------------------------------------------------------------------ citus-placement


def test_placement_ok() -> None:
    text = REFERENCE_USER + owned("Cluster", 'distribution = { column = "authUserId" }')
    assert problems(text) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'reference = true\ndistribution = { column = "authUserId" }',
            "Cluster is marked both distributed and reference",
        ),
        ('distribution = { column = "ownerId" }', "distribution column 'ownerId' is not a column"),
        (
            'distribution = { column = "authUserId", colocate_with = "Nope" }',
            "colocate_with 'Nope' is not another distributed table",
        ),
        ('distribution = { colocate_with = "User" }', "missing required key 'column'"),
        ('distribution = { column = "authUserId", shards = 8 }', "unknown key 'shards'"),
    ],
)
def test_placement_errors(extra: str, message: str) -> None:
    found = problems(REFERENCE_USER + owned("Cluster", extra))
    assert any(message in p for p in found), found


def test_nullable_distribution_column() -> None:
    text = REFERENCE_USER + owned("Cluster", 'distribution = { column = "authUserId" }').replace(
        'references = { table = "User" }', 'nullable = true, references = { table = "User" }'
    )
    found = problems(text)
    assert any("is nullable; Citus refuses a row" in p and "[citus-placement]" in p for p in found)


def test_colocated_types_must_match() -> None:
    text = (
        REFERENCE_USER
        + owned("Cluster", 'distribution = { column = "authUserId" }')
        + owned("Node", 'distribution = { column = "id", colocate_with = "Cluster" }', '["id"]')
    )
    found = problems(text)
    assert any("distribution column types differ (bigint vs text)" in p for p in found), found


# ------------------------------------------------------------------ citus-unique-key


def test_unique_keys_ok() -> None:
    text = REFERENCE_USER + owned(
        "Cluster",
        'distribution = { column = "authUserId" }\n'
        'soft_delete = "deletedAt"\n'
        'uniques = [{ columns = ["authUserId", "code"] }]',
    ).replace(
        'code = { type = "text" }',
        'code = { type = "text" }\ndeletedAt = { type = "timestamptz", nullable = true }',
    )
    assert problems(text) == []


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ("", '["id"]', "primary key Cluster_pkey (id) does not contain the distribution column"),
        (
            'uniques = [{ columns = ["code"] }]',
            '["authUserId", "id"]',
            "unique constraint Cluster_code_key (code)",
        ),
        (
            'indexes = [{ columns = ["code"], unique = true }]',
            '["authUserId", "id"]',
            "unique index Cluster_code_idx (code)",
        ),
    ],
)
def test_unique_key_errors(extra: str, key: str, message: str) -> None:
    text = REFERENCE_USER + owned(
        "Cluster", 'distribution = { column = "authUserId" }\n' + extra, key
    )
    found = problems(text)
    assert any(message in p and "[citus-unique-key]" in p for p in found), found
    assert any("fix: add authUserId to the key" in p for p in found)


def test_soft_delete_partial_unique_index_needs_the_column() -> None:
    text = REFERENCE_USER + owned(
        "Cluster",
        'distribution = { column = "authUserId" }\nsoft_delete = "deletedAt"\n'
        'uniques = [{ columns = ["code"] }]',
    ).replace(
        'code = { type = "text" }',
        'code = { type = "text" }\ndeletedAt = { type = "timestamptz", nullable = true }',
    )
    found = problems(text)
    assert any("partial unique index (soft delete's, over active rows)" in p for p in found), found


# ------------------------------------------------------------------ citus-foreign-key


def test_foreign_keys_ok() -> None:
    # distributed -> reference, distributed -> colocated distributed on the column,
    # local -> reference
    text = (
        REFERENCE_USER
        + owned("Cluster", 'distribution = { column = "authUserId" }')
        + owned(
            "Node",
            'distribution = { column = "authUserId", colocate_with = "Cluster" }\n'
            'foreign_keys = [{ columns = ["authUserId", "id"], references = '
            '{ table = "Cluster", columns = ["authUserId", "id"] } }]',
        )
        + owned("Login", key='["id"]')
    )
    assert problems(text) == []


def test_default_colocation_by_type_counts_as_colocated() -> None:
    text = (
        REFERENCE_USER
        + owned("Cluster", 'distribution = { column = "authUserId" }')
        + owned(
            "Node",
            'distribution = { column = "authUserId" }\n'
            'foreign_keys = [{ columns = ["authUserId", "id"], references = '
            '{ table = "Cluster", columns = ["authUserId", "id"] } }]',
        )
    )
    assert problems(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # distributed -> local
            USER.format(user="") + owned("Cluster", 'distribution = { column = "authUserId" }'),
            "the distributed table Cluster references the local table User",
        ),
        (  # local -> distributed
            DISTRIBUTED_USER + owned("Login", key='["id"]'),
            "Login is a local table and references the distributed table User",
        ),
        (  # reference -> distributed
            DISTRIBUTED_USER + owned("Login", "reference = true", key='["id"]'),
            "Login is a reference table and references the distributed table User",
        ),
        (  # distributed -> distributed, not colocated (different types)
            DISTRIBUTED_USER.replace('"text", primary_key', '"uuid", primary_key')
            + owned("Cluster", 'distribution = { column = "authUserId" }')
            .replace('authUserId = { type = "text"', 'authUserId = { type = "uuid"')
            .replace(
                'distribution = { column = "authUserId" }', 'distribution = { column = "code" }'
            )
            .replace('primary_key = ["authUserId", "id"]', 'primary_key = ["code", "id"]'),
            "Cluster and User are distributed but not colocated",
        ),
        (  # colocated, but the key does not map the distribution columns
            REFERENCE_USER
            + owned("Cluster", 'distribution = { column = "authUserId" }', '["authUserId", "id"]')
            + owned(
                "Node",
                'distribution = { column = "authUserId", colocate_with = "Cluster" }\n'
                'uniques = [{ columns = ["authUserId", "code"] }]\n'
                'foreign_keys = [{ columns = ["code", "authUserId"], references = '
                '{ table = "Cluster", columns = ["authUserId", "id"] } }]',
            ),
            "must map the distribution column Node.authUserId to Cluster.authUserId",
        ),
    ],
)
def test_foreign_key_errors(text: str, message: str) -> None:
    found = problems(text)
    assert any(message in p and "[citus-foreign-key]" in p for p in found), found


def test_every_rule_has_a_page() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "scale-out.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule}`" in doc, rule


# ------------------------------------------------------------------ the distribution column


def test_distribution_column_type_never_changes() -> None:
    before = schema(REFERENCE_USER + owned("Cluster", 'distribution = { column = "authUserId" }'))
    assert plan(before, before).ops == ()  # ok: unchanged
    after = schema(
        (REFERENCE_USER + owned("Cluster", 'distribution = { column = "authUserId" }'))
        .replace(
            'id = { type = "text", primary_key = true }',
            'id = { type = "varchar(64)", primary_key = true }',
        )
        .replace('authUserId = { type = "text"', 'authUserId = { type = "varchar(64)"')
    )
    with pytest.raises(RefusedError) as caught:
        plan(before, after)
    assert (
        "Cluster.authUserId: the distribution column's type would change (text -> varchar(64))"
        in str(caught.value)
    )


def test_redistribution_is_refused() -> None:
    before = schema(REFERENCE_USER + owned("Cluster", 'distribution = { column = "authUserId" }'))
    after = schema(
        REFERENCE_USER
        + owned("Cluster", 'distribution = { column = "id" }', '["id"]').replace(
            'references = { table = "User" }', 'references = { table = "User" }'
        )
    )
    with pytest.raises(
        RefusedError, match="distributed by authUserId, the spec now says distributed by id"
    ):
        plan(before, after)
