"""The generated user-deletion service writes its own audit row, in the same
transaction as the rows its statements change (Basefly, generated/basefly_db)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.generate.helpers import basefly_package, basefly_schema, create


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    create(database_url, basefly_schema())
    basefly_package()
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as c:
        c.execute("SET app.user_id = 'admin-1'")
        yield c


def _log(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT table_name, op, actor, row_key, changed, before, after, xact::text AS xact"
        " FROM pgwarden_audit ORDER BY id"
    ).fetchall()


def test_delete_user_writes_its_entry_with_the_row_changes(
    conn: psycopg.Connection[Any],
) -> None:
    from basefly_db import Database, StaticKeyProvider

    d = Database(conn, keys=StaticKeyProvider({"k1": bytes(range(32))}, current="k1"))
    uid = d.user.insert({"email": "gone@example.com"}).id
    d.account.insert(
        {
            "user_id": uid,
            "type": "oauth",
            "provider": "github",
            "provider_account_id": "1",
            "access_token": "gho_SECRET",
        }
    )
    d.customer.insert({"auth_user_id": uid, "name": "Gone Inc"})
    before = len(_log(conn))
    result = d.user_deletion_service.delete_user(uid)
    assert result.deleted and not result.tombstoned
    rows = _log(conn)[before:]
    entry = rows[-1]
    assert (entry["table_name"], entry["op"], entry["actor"]) == ("User", "delete_user", "admin-1")
    assert entry["row_key"] == {"id": uid}
    assert entry["after"] == {
        "deleted": True,
        "tombstoned": False,
        "soft_deleted": result.soft_deleted,
        "removed": result.removed,
    }
    assert entry["after"]["removed"]["Account"] == 1 and entry["after"]["removed"]["Customer"] == 1
    # every audited row the service removed is logged, all in one transaction
    deleted = sorted(r["table_name"] for r in rows if r["op"] == "delete")
    assert deleted == ["Account", "Customer", "User"]
    assert len({r["xact"] for r in rows}) == 1
    assert all("gho_SECRET" not in str(r) and "pgw1:" not in str(r) for r in rows)


def test_soft_delete_user_and_a_refused_delete(conn: psycopg.Connection[Any]) -> None:
    from basefly_db import Database, OutstandingBilling

    d = Database(conn)
    uid = d.user.insert({"email": "soft@example.com"}).id
    d.k8s_cluster_config.insert({"name": "c", "location": "eu", "auth_user_id": uid})
    before = len(_log(conn))
    result = d.user_deletion_service.soft_delete_user(uid)
    (entry,) = _log(conn)[before:]  # K8sClusterConfig is not audited
    assert (entry["op"], entry["row_key"]) == ("soft_delete_user", {"id": uid})
    assert entry["after"]["soft_deleted"] == result.soft_deleted == {"K8sClusterConfig": 1}

    # a refused call writes nothing: the entry shares the call's transaction
    conn.execute(
        'INSERT INTO "Customer" ("authUserId", "stripeSubscriptionId", "stripeCurrentPeriodEnd")'
        " VALUES (%s, 'sub_1', now() + interval '1 day')",
        (uid,),
    )
    count = len(_log(conn))
    with pytest.raises(OutstandingBilling):
        d.user_deletion_service.delete_user(uid)
    assert len(_log(conn)) == count
