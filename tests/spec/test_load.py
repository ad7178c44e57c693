"""Loading the spec format of docs/spec.md into the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pgwarden.errors import SpecError
from pgwarden.spec.exprs import ExprSyntaxError, normalize_expr
from pgwarden.spec.load import load_schema, load_schema_text
from pgwarden.spec.locate import locate_line
from pgwarden.spec.model import (
    ColumnType,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    UniqueConstraint,
)

K8S = """
[enums.SubscriptionPlan]
values = ["FREE", "PRO", "BUSINESS"]

[tables.User.columns]
id = { type = "text", primary_key = true, default_sql = "gen_random_uuid()" }
email = { type = "text", nullable = true, unique = true }

[tables.K8sClusterConfig]
comment = "Kubernetes cluster configurations"
soft_delete = "deletedAt"
owner = "authUserId"

[tables.K8sClusterConfig.columns]
id         = { type = "integer", identity = "by default", primary_key = true }
name       = { type = "text" }
authUserId = { type = "text", references = { table = "User", on_delete = "restrict" } }
plan       = { type = "SubscriptionPlan", nullable = true, default = "FREE" }
updatedAt  = { type = "timestamp(3)", default_sql = "CURRENT_TIMESTAMP", maintained = "on_update" }
deletedAt  = { type = "timestamp(3)", nullable = true }

[[tables.K8sClusterConfig.indexes]]
columns = ["plan", "authUserId"]
unique = true

[[tables.K8sClusterConfig.indexes]]
columns = ["name"]
unique = true
all_rows = true
"""


def test_column_sugar_and_soft_delete() -> None:
    schema = load_schema_text(K8S)
    assert [t.name for t in schema.tables] == ["K8sClusterConfig", "User"]
    user = schema.table("User")
    assert user is not None
    assert user.primary_key == PrimaryKey("User_pkey", ("id",))
    assert user.uniques == (UniqueConstraint("User_email_key", ("email",)),)
    k8s = schema.table("K8sClusterConfig")
    assert k8s is not None
    assert k8s.foreign_keys == (
        ForeignKey(
            "K8sClusterConfig_authUserId_fkey",
            ("authUserId",),
            "User",
            ("id",),
            on_delete="restrict",
        ),
    )
    plan = k8s.column("plan")
    assert plan is not None and plan.default == "'FREE'"
    assert plan.type == ColumnType("SubscriptionPlan")
    updated = k8s.column("updatedAt")
    assert updated is not None
    assert updated.maintained == "on_update" and updated.default == "CURRENT_TIMESTAMP"
    by_name = {i.name: i for i in k8s.indexes}
    assert by_name["K8sClusterConfig_plan_authUserId_idx"].where == '"deletedAt" IS NULL'
    assert by_name["K8sClusterConfig_plan_authUserId_idx"].soft_delete_partial
    assert by_name["K8sClusterConfig_name_idx"] == Index(
        "K8sClusterConfig_name_idx", (IndexElement(column="name"),), unique=True
    )


def test_soft_delete_turns_uniques_into_partial_indexes() -> None:
    schema = load_schema_text(
        """
[tables.T]
soft_delete = "gone"
[tables.T.columns]
id = { type = "bigint", primary_key = true }
a = { type = "text", unique = true }
b = { type = "text", unique = { all_rows = true } }
gone = { type = "timestamptz", nullable = true }
[[tables.T.uniques]]
columns = ["a", "b"]
nulls_not_distinct = true
"""
    )
    t = schema.tables[0]
    assert [u.name for u in t.uniques] == ["T_b_key"]
    assert {i.name: (i.where, i.nulls_not_distinct) for i in t.indexes} == {
        "T_a_key": ("gone IS NULL", False),
        "T_a_b_key": ("gone IS NULL", True),
    }
    assert t.primary_key == PrimaryKey("T_pkey", ("id",))


def test_defaults_literals() -> None:
    schema = load_schema_text(
        """
[tables.T.columns]
s = { type = "text", default = "it's" }
n = { type = "integer", default = -3 }
f = { type = "numeric(5,2)", default = 1.5 }
b = { type = "boolean", default = true }
arr = { type = "text[]", default = ["a", "b c"] }
empty = { type = "integer[]", default = [] }
e = { type = "timestamptz", default_sql = "now()" }
"""
    )
    t = schema.tables[0]
    got = {c.name: c.default for c in t.columns}
    assert got == {
        "s": "'it''s'",
        "n": "-3",
        "f": "1.5",
        "b": "TRUE",
        "arr": '\'{"a","b c"}\'',
        "empty": "'{}'",
        "e": "now()",
    }


def test_table_level_constraints_and_names() -> None:
    schema = load_schema_text(
        """
[tables.Parent.columns]
a = { type = "integer" }
b = { type = "text" }
[tables.Parent]
primary_key = ["a", "b"]

[tables.Child.columns]
id = { type = "uuid", primary_key = true }
pa = { type = "integer" }
pb = { type = "text" }
[[tables.Child.foreign_keys]]
columns = ["pa", "pb"]
references = { table = "Parent", columns = ["a", "b"] }
on_delete = "SET NULL"
on_update = "cascade"
deferrable = true
[[tables.Child.checks]]
expression = "pa   >  0"
[[tables.Child.checks]]
expression = "pa < 100"
[[tables.Child.checks]]
name = "named"
expression = "length(pb) > 1"
[[tables.Child.indexes]]
columns = [{ expression = "lower(pb)" }, { column = "pa", order = "desc", nulls = "first" }]
method = "btree"
where = "pa is not null"
include = ["id"]
[[tables.Child.policies]]
name = "p"
command = "select"
roles = ["app"]
using = "true"
""".replace('on_delete = "SET NULL"', 'on_delete = "cascade"')
    )
    child = schema.table("Child")
    assert child is not None
    fk = child.foreign_keys[0]
    assert fk.name == "Child_pa_pb_fkey" and fk.ref_columns == ("a", "b")
    assert fk.on_update == "cascade" and fk.deferrable
    assert [c.name for c in child.checks] == ["Child_pa_check", "Child_pa_check1", "named"]
    assert child.checks[0].expression == "pa > 0"
    index = child.indexes[0]
    assert index.name == "Child_lower_pa_idx"
    assert index.elements == (
        IndexElement(expression="lower(pb)"),
        IndexElement(column="pa", descending=True),  # NULLS FIRST is desc's default
    )
    assert index.where == "pa IS NOT NULL" and index.include == ("id",)
    assert child.policies[0].roles == ("app",) and child.policies[0].using == "TRUE"


def test_tenant_sugar() -> None:
    schema = load_schema_text(
        """
[tables.T]
tenant = { column = "owner" }
[tables.T.columns]
owner = { type = "text" }
[tables.U]
tenant = { column = "owner", setting = "app.tenant" }
[tables.U.columns]
owner = { type = "uuid" }
"""
    )
    t, u = schema.tables
    assert t.rls_enabled and u.rls_enabled
    assert t.policies[0].name == "T_tenant"
    assert t.policies[0].using == "owner = current_setting('app.user_id', TRUE)"
    assert t.policies[0].with_check == t.policies[0].using
    assert u.policies[0].using == "owner = CAST(current_setting('app.tenant', TRUE) AS uuid)"


def test_directory_merges_and_reports_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[tables.A.columns]\nid = { type = "integer" }\n')
    (tmp_path / "b.toml").write_text(
        '[enums.E]\nvalues = ["x"]\n[tables.B.columns]\ne = { type = "E" }\n'
    )
    schema = load_schema(tmp_path)
    assert [t.name for t in schema.tables] == ["A", "B"]
    assert schema.sources == (str(tmp_path / "a.toml"), str(tmp_path / "b.toml"))
    (tmp_path / "c.toml").write_text('\n[tables.A.columns]\nx = { type = "integer" }\n')
    with pytest.raises(SpecError) as err:
        load_schema(tmp_path)
    message = str(err.value)
    assert "a.toml" in message and "c.toml:2" in message and "tables.A" in message


def test_whitespace_and_case_variants_normalize_equal() -> None:
    assert normalize_expr('"deletedAt"   is  null') == normalize_expr('"deletedAt" IS NULL')
    assert normalize_expr("NOW()") == normalize_expr("now( )")
    for bad in ["", "1 FROM t", "1; DROP TABLE x", "(((", "a AS b"]:
        with pytest.raises(ExprSyntaxError):
            normalize_expr(bad)


def test_locate_line() -> None:
    text = """
[tables.User]
comment = "x"

[tables.User.columns]
id = { type = "text" }
"quoted key" = { type = "text" }

[[tables.User.indexes]]
columns = ["id"]

[[tables.User.indexes]]
columns = ["quoted key"]
"""
    assert locate_line(text, "tables.User") == 2
    assert locate_line(text, "tables.User.comment") == 3
    assert locate_line(text, "tables.User.columns.id") == 6
    assert locate_line(text, "tables.User.columns.id.type") == 6
    assert locate_line(text, ["tables", "User", "columns", "quoted key"]) == 7
    assert locate_line(text, "tables.User.indexes[1].columns") == 13
    assert locate_line(text, "tables.User.indexes[0]") == 9
    assert locate_line(text, "tables.Nope") == 2  # nearest declared ancestor: tables
    assert locate_line(text, "enums.E") is None


READS = """
[tables.T]
{rules}

[tables.T.columns]
id = {{ type = "integer", primary_key = true }}
"""


@pytest.mark.parametrize(
    ("rules", "replica", "cache"),
    [
        ("replica = true", (), None),
        ('replica = ["count", "get"]', ("count", "get"), None),
        ("replica = false", None, None),
        ('cache = { ttl = "30s" }', None, ((), 30.0)),
        ('cache = { ttl = "500ms", methods = ["get"] }', None, (("get",), 0.5)),
        ('cache = { ttl = "2m" }\nreplica = ["page"]', ("page",), ((), 120.0)),
        ('cache = { ttl = "1h" }', None, ((), 3600.0)),
        ("cache = { ttl = 1.5 }", None, ((), 1.5)),
    ],
)
def test_read_rules(rules: str, replica: tuple[str, ...] | None, cache: Any) -> None:
    t = load_schema_text(READS.format(rules=rules), "r.toml").tables[0]
    assert (t.replica.methods if t.replica else None) == replica
    assert ((t.cache.methods, t.cache.ttl) if t.cache else None) == cache


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("replica = 3", "tables.T.replica: must be true or a list of read method names"),
        ("replica = []", "tables.T.replica: must be a non-empty list"),
        ('cache = { ttl = "30x" }', "tables.T.cache.ttl: '30x' is not a positive duration"),
        ("cache = { ttl = 0 }", "tables.T.cache.ttl: 0 is not a positive duration"),
        ("cache = { }", "tables.T.cache: missing required key 'ttl'"),
        ('cache = { ttl = "1s", methods = "get" }', "tables.T.cache.methods: must be a non-empty"),
        ('cache = { ttl = "1s", method = ["get"] }', "did you mean 'methods'"),
        ('cache = "30s"', "tables.T.cache: must be a table"),
    ],
)
def test_read_rules_errors(rules: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        load_schema_text(READS.format(rules=rules), "r.toml")
    assert message in str(err.value) and "r.toml:3" in str(err.value)
