"""The committed Basefly package against a real server: every accessor kind."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import psycopg
import pytest

from tests.generate.helpers import basefly_package, basefly_schema, create


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[ModuleType, Any, psycopg.Connection[Any]]]:
    create(database_url, basefly_schema())
    sync = basefly_package()
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield sync, sync.Database(conn), conn


def _user(d: Any, email: str) -> Any:
    return d.user.insert({"email": email, "name": email.split("@")[0]})


def test_insert_get_and_types(db: tuple[ModuleType, Any, psycopg.Connection[Any]]) -> None:
    _sync, d, _ = db
    from basefly_db import enums, models

    user = _user(d, "ada@example.com")
    assert isinstance(user, models.User) and isinstance(user.id, str)
    cluster = d.k8s_cluster_config.insert({"name": "c1", "location": "eu", "auth_user_id": user.id})
    # defaults came back from RETURNING, with exact Python types
    assert cluster.plan is enums.SubscriptionPlan.FREE
    assert cluster.status is enums.Status.PENDING
    assert isinstance(cluster.created_at, dt.datetime) and cluster.created_at.tzinfo is None
    assert cluster.deleted_at is None
    assert d.k8s_cluster_config.get(cluster.id) == cluster
    assert d.k8s_cluster_config.get(cluster.id + 1000) is None
    assert d.user.get_by_email("ada@example.com") == user
    assert d.user.get_by_email("nobody@example.com") is None
    with pytest.raises(TypeError, match="not writable"):
        d.user.insert({"emial": "typo"})  # type: ignore[typeddict-unknown-key]


def test_batch_forms_are_keyed(db: tuple[ModuleType, Any, psycopg.Connection[Any]]) -> None:
    _, d, _ = db
    users = d.user.insert_many([{"email": f"u{i}@x.io"} for i in range(5)] + [{"name": "no email"}])
    assert [u.email for u in users] == [f"u{i}@x.io" for i in range(5)] + [None]
    assert users[-1].name == "no email"
    got = d.user.get_many([u.id for u in users[:3]] + ["missing"])
    assert got == {u.id: u for u in users[:3]}
    by_email = d.user.get_many_by_email(["u1@x.io", "u4@x.io", "zz"])
    assert set(by_email) == {"u1@x.io", "u4@x.io"}
    assert by_email["u4@x.io"] == users[4]
    clusters = d.k8s_cluster_config.insert_many(
        [
            {"name": f"c{i}", "location": "us", "auth_user_id": users[i % 2].id, "plan": None}
            for i in range(6)
        ]
    )
    grouped = d.k8s_cluster_config.find_many_by_auth_user_id([users[0].id, users[1].id, "none"])
    assert [c.name for c in grouped[users[0].id]] == ["c0", "c2", "c4"]
    assert [c.name for c in grouped[users[1].id]] == ["c1", "c3", "c5"]
    assert grouped["none"] == []
    assert d.k8s_cluster_config.find_by_auth_user_id(users[1].id) == grouped[users[1].id]
    assert len(clusters) == 6


def test_composite_unique_and_partial(db: tuple[ModuleType, Any, psycopg.Connection[Any]]) -> None:
    _, d, _ = db
    from basefly_db import enums

    user = _user(d, "p@x.io")
    acc = d.account.insert(
        {"user_id": user.id, "type": "oauth", "provider": "github", "provider_account_id": "42"}
    )
    assert d.account.get_by_provider_and_provider_account_id("github", "42") == acc
    many = d.account.get_many_by_provider_and_provider_account_id(
        [("github", "42"), ("google", "42")]
    )
    assert many == {("github", "42"): acc}
    pro = d.k8s_cluster_config.insert(
        {"name": "a", "location": "l", "auth_user_id": user.id, "plan": enums.SubscriptionPlan.PRO}
    )
    assert (
        d.k8s_cluster_config.get_by_plan_and_auth_user_id(enums.SubscriptionPlan.PRO, user.id)
        == pro
    )
    keyed = d.k8s_cluster_config.get_many_by_plan_and_auth_user_id(
        [(enums.SubscriptionPlan.PRO, user.id)]
    )
    assert list(keyed) == [(enums.SubscriptionPlan.PRO, user.id)]
    assert isinstance(next(iter(keyed))[0], enums.SubscriptionPlan)


def test_update_delete_page_count(db: tuple[ModuleType, Any, psycopg.Connection[Any]]) -> None:
    _, d, _ = db
    from basefly_db import enums

    users = d.user.insert_many([{"email": f"{i:03}@x.io"} for i in range(25)])
    ids = sorted(u.id for u in users)
    seen: list[str] = []
    after = None
    while True:
        page = d.user.page(after=after, limit=10)
        if not page:
            break
        seen.extend(u.id for u in page)
        after = page[-1].id
    assert seen == ids
    assert d.user.count() == 25
    updated = d.user.update(ids[0], {"name": "renamed", "image": None})
    assert updated is not None and updated.name == "renamed" and updated.image is None
    assert d.user.update("missing", {"name": "x"}) is None
    assert d.user.update(ids[0], {}) == updated
    c = d.k8s_cluster_config.insert({"name": "n", "location": "l", "auth_user_id": ids[1]})
    c2 = d.k8s_cluster_config.update(c.id, {"status": enums.Status.RUNNING, "network": "10/8"})
    assert c2 is not None and c2.status is enums.Status.RUNNING and c2.network == "10/8"
    assert d.k8s_cluster_config.delete(c.id) == c2
    assert d.k8s_cluster_config.delete(c.id) is None
    assert d.user.delete(ids[2]) is not None
    assert d.user.count() == 24


def test_soft_deleted_rows_hidden_from_reads(
    db: tuple[ModuleType, Any, psycopg.Connection[Any]],
) -> None:
    _, d, _ = db
    user = _user(d, "s@x.io")
    c = d.k8s_cluster_config.insert({"name": "n", "location": "l", "auth_user_id": user.id})
    d.k8s_cluster_service.soft_delete(c.id, user.id)
    assert d.k8s_cluster_config.get(c.id) is None
    assert d.k8s_cluster_config.get(c.id, include_deleted=True) is not None
    assert d.k8s_cluster_config.find_by_auth_user_id(user.id) == []
    assert d.k8s_cluster_config.count() == 0
    assert d.k8s_cluster_config.count(include_deleted=True) == 1


def test_async_accessors(database_url: str) -> None:
    create(database_url, basefly_schema())
    basefly_package()
    from basefly_db import aio

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            d = aio.AsyncDatabase(conn)
            user = await d.user.insert({"email": "a@x.io"})
            c = await d.k8s_cluster_config.insert(
                {"name": "n", "location": "l", "auth_user_id": user.id}
            )
            assert await d.k8s_cluster_service.find_all_active(user.id) == [c]
            deleted = await d.k8s_cluster_service.soft_delete(c.id, user.id)
            assert deleted.deleted_at is not None
            assert await d.k8s_cluster_service.restore(
                c.id, user.id
            ) == await d.k8s_cluster_config.get(c.id)
            summary = await d.user_deletion_service.get_user_summary(user.id)
            assert summary is not None and summary.k8s_cluster_config_active == 1
            result = await d.user_deletion_service.delete_user(user.id)
            assert result.tombstoned and not result.deleted

    asyncio.run(main())


def test_insert_many_has_no_parameter_ceiling(
    db: tuple[ModuleType, Any, psycopg.Connection[Any]],
) -> None:
    """20,000 rows x 4 columns would exceed PostgreSQL's 65,535 bind parameters as VALUES."""
    _, d, _ = db
    user = _user(d, "bulk@x.io")
    rows = d.k8s_cluster_config.insert_many(
        [
            {"name": f"c{i}", "location": "l", "auth_user_id": user.id, "plan": None}
            for i in range(20000)
        ]
    )
    assert [r.name for r in rows] == [f"c{i}" for i in range(20000)]
    assert d.k8s_cluster_config.count() == 20000
