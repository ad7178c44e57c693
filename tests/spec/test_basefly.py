"""schema/basefly.toml encodes the seed's blueprint; the saasfly fixture its "before"."""

from __future__ import annotations

from pathlib import Path

from pgwarden.spec.load import load_schema
from pgwarden.spec.model import ColumnType

ROOT = Path(__file__).resolve().parents[2]


def test_basefly_encodes_the_blueprint() -> None:
    schema = load_schema(ROOT / "schema")
    assert [t.name for t in schema.tables] == [
        "Account",
        "Customer",
        "K8sClusterConfig",
        "Session",
        "User",
        "VerificationToken",
    ]
    assert {e.name: e.values for e in schema.enums} == {
        "Status": ("PENDING", "CREATING", "INITING", "RUNNING", "STOPPED", "DELETED"),
        "SubscriptionPlan": ("FREE", "PRO", "BUSINESS"),
    }
    fks = {
        (t.name, fk.columns, fk.ref_table, fk.on_delete)
        for t in schema.tables
        for fk in t.foreign_keys
    }
    assert fks == {
        ("Account", ("userId",), "User", "cascade"),
        ("Session", ("userId",), "User", "cascade"),
        ("Customer", ("authUserId",), "User", "restrict"),
        ("K8sClusterConfig", ("authUserId",), "User", "restrict"),
    }
    # the seed's index table
    unique_rules = {
        (t.name, cols)
        for t in schema.tables
        for cols in [*(u.columns for u in t.uniques)]
        + [tuple(str(c) for c in i.column_names) for i in t.indexes if i.unique]
    }
    assert {
        ("User", ("email",)),
        ("Account", ("provider", "providerAccountId")),
        ("Customer", ("stripeCustomerId",)),
        ("Customer", ("stripeSubscriptionId",)),
        ("K8sClusterConfig", ("plan", "authUserId")),
    } <= unique_rules
    k8s = schema.table("K8sClusterConfig")
    customer = schema.table("Customer")
    user = schema.table("User")
    assert k8s is not None and customer is not None and user is not None
    assert k8s.soft_delete == "deletedAt"
    by_name = {i.name: i for i in k8s.indexes}
    assert by_name["K8sClusterConfig_plan_authUserId_key"].where == '"deletedAt" IS NULL'
    assert by_name["K8sClusterConfig_plan_authUserId_key"].unique
    assert {"K8sClusterConfig_authUserId_idx", "K8sClusterConfig_deletedAt_idx"} <= set(by_name)
    assert [i.name for i in customer.indexes] == ["Customer_authUserId_idx"]
    for table in (k8s, customer):
        updated = table.column("updatedAt")
        assert updated is not None and updated.maintained == "on_update"
        assert updated.default == "CURRENT_TIMESTAMP"
        ident = table.column("id")
        assert ident is not None and ident.identity == "serial"
        assert ident.type == ColumnType("integer")
        assert table.owner == "authUserId"
    assert user.owner_table
    assert customer.billing is not None
    assert customer.billing.active_when == (
        '"stripeSubscriptionId" IS NOT NULL AND "stripeCurrentPeriodEnd" > now()'
    )
    plan = k8s.column("plan")
    assert plan is not None and plan.default == "'FREE'"


def test_saasfly_before_is_the_original_state() -> None:
    before = load_schema(ROOT / "tests/fixtures/saasfly_before/saasfly.toml")
    after = load_schema(ROOT / "schema")
    k8s = before.table("K8sClusterConfig")
    customer = before.table("Customer")
    assert k8s is not None and customer is not None
    assert k8s.foreign_keys == () and customer.foreign_keys == ()
    assert k8s.column("deletedAt") is None
    delete = k8s.column("delete")
    assert delete is not None and delete.type == ColumnType("boolean")
    assert delete.default == "FALSE"
    assert not any(i.unique for i in k8s.indexes)
    updated = k8s.column("updatedAt")
    assert updated is not None and updated.maintained is None
    assert [(e.name, e.values) for e in before.enums] == [(e.name, e.values) for e in after.enums]
    account_before, account_after = before.table("Account"), after.table("Account")
    assert account_before is not None and account_after is not None
    assert account_before.columns == account_after.columns  # tokens: same state
    assert all(c.ignore == () for c in account_before.columns)
