"""Hand-built schemas shared by the render and planner tests."""

from __future__ import annotations

from pgwarden.spec import names
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    Policy,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

TEXT = ColumnType("text")
INT = ColumnType("integer")
TS3 = ColumnType("timestamp", (3,))


def col(name: str, type_: ColumnType = TEXT, **kw: object) -> Column:
    return Column(name, type_, **kw)  # type: ignore[arg-type]


def basefly() -> Schema:
    """A trimmed Basefly: User, Customer, K8sClusterConfig with the seed's rules."""
    user = Table(
        "User",
        (
            col("id", default="gen_random_uuid()"),
            col("name", nullable=True),
            col("email", nullable=True),
        ),
        primary_key=PrimaryKey("User_pkey", ("id",)),
        uniques=(UniqueConstraint("User_email_key", ("email",)),),
    )
    customer = Table(
        "Customer",
        (
            col("id", INT, identity="serial"),
            col("authUserId"),
            col("plan", ColumnType("SubscriptionPlan"), nullable=True),
            col("stripeCustomerId", nullable=True),
            col("createdAt", TS3, default="CURRENT_TIMESTAMP"),
            col("updatedAt", TS3, default="CURRENT_TIMESTAMP", maintained="on_update"),
        ),
        primary_key=PrimaryKey("Customer_pkey", ("id",)),
        uniques=(UniqueConstraint("Customer_stripeCustomerId_key", ("stripeCustomerId",)),),
        foreign_keys=(
            ForeignKey(
                "Customer_authUserId_fkey", ("authUserId",), "User", ("id",), on_delete="restrict"
            ),
        ),
        indexes=(Index("Customer_authUserId_idx", (IndexElement("authUserId"),)),),
    )
    cluster = Table(
        "K8sClusterConfig",
        (
            col("id", INT, identity="by default"),
            col("name"),
            col("authUserId"),
            col("plan", ColumnType("SubscriptionPlan"), nullable=True, default="'FREE'"),
            col("status", ColumnType("Status"), nullable=True, default="'PENDING'"),
            col("updatedAt", TS3, default="CURRENT_TIMESTAMP", maintained="on_update"),
            col("deletedAt", TS3, nullable=True),
        ),
        primary_key=PrimaryKey("K8sClusterConfig_pkey", ("id",)),
        foreign_keys=(
            ForeignKey(
                "K8sClusterConfig_authUserId_fkey",
                ("authUserId",),
                "User",
                ("id",),
                on_delete="restrict",
            ),
        ),
        indexes=(
            Index("K8sClusterConfig_authUserId_idx", (IndexElement("authUserId"),)),
            Index("K8sClusterConfig_deletedAt_idx", (IndexElement("deletedAt"),)),
            Index(
                "K8sClusterConfig_plan_authUserId_key",
                (IndexElement("plan"), IndexElement("authUserId")),
                unique=True,
                where='"deletedAt" IS NULL',
            ),
        ),
        comment="Kubernetes cluster configurations",
        rls_enabled=True,
        policies=(
            Policy(
                names.tenant_policy("K8sClusterConfig"),
                using="\"authUserId\" = current_setting('app.user_id', true)",
                with_check="\"authUserId\" = current_setting('app.user_id', true)",
            ),
        ),
    )
    return Schema(
        tables=(user, customer, cluster),
        enums=(
            Enum("SubscriptionPlan", ("FREE", "PRO", "BUSINESS"), comment="Billing plans"),
            Enum("Status", ("PENDING", "CREATING", "INITING", "RUNNING", "STOPPED", "DELETED")),
        ),
    ).normalized()


def hostile() -> Schema:
    """Names with quotes, spaces, capitals and non-ASCII; a self-reference and a cycle."""
    weird = 'Tä"ble one'
    other = "naïve table"
    return Schema(
        enums=(Enum('Mood "x"', ("hap'py", "sad ☹", 'q"uote')),),
        tables=(
            Table(
                weird,
                (
                    col("Id", INT, identity="always"),
                    col('col "q"', ColumnType('Mood "x"'), default="'sad ☹'", comment="it's"),
                    col("parent", INT, nullable=True),
                    col("other id", INT, nullable=True),
                    col("größe", ColumnType("numeric", (10, 2)), nullable=True),
                    col("tags", TEXT.__class__("text", (), True), default="'{}'"),
                    col(
                        "double",
                        ColumnType("numeric", (12, 2)),
                        nullable=True,
                        generated='"größe" * 2',
                    ),
                ),
                primary_key=PrimaryKey(f"{weird}_pkey", ("Id",)),
                checks=(CheckConstraint("größe positive", '"größe" > 0'),),
                uniques=(
                    UniqueConstraint(
                        "u nnd", ("other id", "parent"), nulls_not_distinct=True, deferrable=True
                    ),
                ),
                foreign_keys=(
                    ForeignKey("self ref", ("parent",), weird, ("Id",), on_delete="set null"),
                    ForeignKey("to other", ("other id",), other, ("id",), on_update="cascade"),
                ),
                indexes=(
                    Index(
                        "expr idx",
                        (
                            IndexElement(expression='("col ""q""" = \'sad ☹\')'),
                            IndexElement("größe", descending=True, nulls_first=False),
                        ),
                        where='"parent" IS NOT NULL',
                        include=("Id",),
                    ),
                    Index("gin tags", (IndexElement("tags"),), method="gin"),
                ),
                comment='a "weird" table',
                rls_enabled=True,
                rls_forced=True,
                policies=(
                    Policy("read all", command="select", using="true"),
                    Policy("no delete", command="delete", permissive=False, using="false"),
                ),
            ),
            Table(
                other,
                (
                    col("id", INT, identity="serial"),
                    col("ref", INT, nullable=True),
                    col(
                        "touched",
                        ColumnType("timestamptz"),
                        default="now()",
                        maintained="on_update",
                    ),
                ),
                primary_key=PrimaryKey("other pk", ("id",)),
                foreign_keys=(ForeignKey("cycle back", ("ref",), weird, ("Id",)),),
            ),
        ),
    ).normalized()
