"""Read-replica routing of the generated Database against a REAL streaming replica of
the per-worker embedded server (tests/replica.py). Which server answered is read from
the serving connection itself: ``pg_is_in_recovery()`` is true only on the standby."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from tests.generate.helpers import basefly_package, basefly_schema, create
from tests.replica import Replica, drop_replica, in_recovery, start_replica

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the streaming replica is built from the embedded PostgreSQL 18's binaries "
    "(pg_basebackup/pg_ctl), which cannot stream from the DATABASE_URL server (another "
    "major version); these tests run on the embedded pass",
)


@pytest.fixture(scope="session")
def replica(pg_server: str) -> Iterator[Replica]:
    standby = start_replica(pg_server)
    try:
        yield standby
    finally:
        drop_replica(standby)


class Served:
    """Every statement each pooled connection ran, with the server role it ran on."""

    def __init__(self) -> None:
        self.log: list[tuple[str, bool]] = []

    def cursor_factory(self) -> type[psycopg.Cursor[Any]]:
        log = self.log

        class Recording(psycopg.Cursor[Any]):
            def execute(self, query: Any, params: Any = None, **kw: Any) -> Any:
                out = super().execute(query, params, **kw)
                text = query if isinstance(query, str) else query.as_string(self.connection)
                if "pg_is_in_recovery" not in text:
                    log.append((text, self.connection.standby))  # type: ignore[attr-defined]
                return out

        return Recording

    def pool(self, url: str, **kw: Any) -> ConnectionPool[Any]:
        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.standby = in_recovery(conn)  # type: ignore[attr-defined]

        return ConnectionPool(
            url,
            min_size=1,
            max_size=2,
            timeout=5,
            kwargs={"autocommit": True, "cursor_factory": self.cursor_factory()},
            configure=configure,
            **kw,
        )

    def last(self, fragment: str) -> bool:
        """Whether the last statement containing ``fragment`` ran on the standby."""
        for text, standby in reversed(self.log):
            if fragment in text:
                return standby
        raise AssertionError(f"no statement with {fragment!r} in {self.log}")


@pytest.fixture
def env(database_url: str, replica: Replica) -> Iterator[tuple[Any, Served, str, Replica]]:
    create(database_url, basefly_schema())
    basefly_package()
    from basefly_db import Database

    replica.wait_for(database_url)
    served = Served()
    with (
        served.pool(database_url) as primary,
        served.pool(replica.url(database_url)) as standby,
    ):
        d = Database(
            primary=primary, replicas=[standby], read_your_writes=0.3, max_lag=5.0, check_every=0.0
        )
        yield d, served, database_url, replica


def _seed(url: str, replica: Replica, clusters: int = 2) -> str:
    """A user and clusters written behind the Database's back (no read-your-writes)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("""INSERT INTO "User" (email) VALUES ('dash@x.io') RETURNING id""")
        uid = str(row.fetchone()[0])  # type: ignore[index]
        conn.execute(
            'INSERT INTO "K8sClusterConfig" (name, location, "authUserId", plan) '
            "SELECT 'c' || g, 'eu', %s, NULL FROM generate_series(1, %s) g",
            (uid, clusters),
        )
    replica.wait_for(url)
    return uid


def test_dashboard_read_goes_to_the_replica(env: Any) -> None:
    d, served, url, replica = env
    uid = _seed(url, replica)
    clusters = d.k8s_cluster_service.find_all_active(uid)
    assert [c.name for c in clusters] == ["c1", "c2"]
    assert served.last('"K8sClusterConfig"') is True  # answered by the standby
    assert d.k8s_cluster_config.count() == 2 and served.last("count(*)") is True
    assert d.k8s_cluster_config.find_by_auth_user_id(uid)
    assert served.last('"authUserId" = ') is True
    status = d.replica_status()
    assert len(status) == 1 and status[0].healthy and status[0].lag <= 5.0


def test_reads_not_marked_replica_safe_stay_on_the_primary(env: Any) -> None:
    d, served, url, replica = env
    uid = _seed(url, replica)
    assert d.user.get(uid) is not None
    assert served.last('"User"') is False
    cluster = d.k8s_cluster_service.find_all_active(uid)[0]
    assert d.k8s_cluster_config.get(cluster.id) == cluster  # get is not in replica = [...]
    assert served.last('WHERE "id" = ') is False


def test_write_then_immediate_read_goes_to_the_primary(env: Any) -> None:
    d, served, url, replica = env
    uid = _seed(url, replica, clusters=0)
    made = d.k8s_cluster_config.insert({"name": "new", "location": "eu", "auth_user_id": uid})
    # the replica may not have it yet: right after a write the read must go to the primary
    assert d.k8s_cluster_service.find_all_active(uid) == [made]
    assert served.last('"K8sClusterConfig"') is False
    time.sleep(0.35)  # read_your_writes = 0.3 s has passed
    replica.wait_for(url)
    assert d.k8s_cluster_service.find_all_active(uid) == [made]
    assert served.last('"K8sClusterConfig"') is True


def test_reads_inside_a_transaction_go_to_the_primary(env: Any) -> None:
    d, served, url, replica = env
    uid = _seed(url, replica)
    with d.transaction() as conn:
        assert not in_recovery(conn)
        assert len(d.k8s_cluster_service.find_all_active(uid)) == 2
        assert served.last('"K8sClusterConfig"') is False


def test_a_lagging_replica_is_skipped(env: Any) -> None:
    d, served, url, replica = env
    uid = _seed(url, replica)
    d._rt.max_lag = 0.5
    with psycopg.connect(replica.url(url), autocommit=True) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            with psycopg.connect(url, autocommit=True) as primary:
                primary.execute("UPDATE \"K8sClusterConfig\" SET name = name || '!'")
            time.sleep(1.0)  # replay stands still while the primary moved on
            clusters = d.k8s_cluster_service.find_all_active(uid)
            assert sorted(c.name for c in clusters) == ["c1!", "c2!"]  # the primary's data
            assert served.last('"K8sClusterConfig"') is False
            assert d.replica_status()[0].healthy is False
            assert d.replica_status()[0].lag > 0.5
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
    replica.wait_for(url)
    assert sorted(c.name for c in d.k8s_cluster_service.find_all_active(uid)) == ["c1!", "c2!"]
    assert served.last('"K8sClusterConfig"') is True  # caught up: used again


def test_a_stopped_replica_fails_over_to_the_primary(env: Any) -> None:
    d, served, url, replica = env
    uid = _seed(url, replica)
    assert d.k8s_cluster_config.count() == 2 and served.last("count(*)") is True
    replica.stop()
    try:
        assert not replica.running()
        for _ in range(3):  # the pooled standby connection is dead: each read still answers
            assert len(d.k8s_cluster_service.find_all_active(uid)) == 2
            assert served.last('"K8sClusterConfig"') is False
        assert d.replica_status()[0].healthy is False
    finally:
        replica.start()
    replica.wait_for(url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the pool reconnects; the next check sees it healthy
        d.k8s_cluster_config.count()
        if served.last("count(*)"):
            break
        time.sleep(0.2)
    assert served.last("count(*)") is True


def test_round_robin_over_replicas(database_url: str, replica: Replica) -> None:
    create(database_url, basefly_schema())
    basefly_package()
    from basefly_db import Database

    replica.wait_for(database_url)
    served = Served()
    with (
        served.pool(database_url) as primary,
        served.pool(replica.url(database_url)) as one,
        served.pool(replica.url(database_url)) as two,
    ):
        d = Database(primary=primary, replicas=[one, two], check_every=60.0)
        before = (one.get_stats().get("requests_num", 0), two.get_stats().get("requests_num", 0))
        for _ in range(6):
            assert d.k8s_cluster_config.count() == 0
            assert served.last("count(*)") is True
        used = (
            one.get_stats()["requests_num"] - before[0],
            two.get_stats()["requests_num"] - before[1],
        )
        assert used == (4, 4)  # 3 reads each, plus one health check each


def test_plain_connections_as_primary_and_replica(database_url: str, replica: Replica) -> None:
    create(database_url, basefly_schema())
    basefly_package()
    from basefly_db import Database

    replica.wait_for(database_url)
    with (
        psycopg.connect(database_url, autocommit=True) as primary,
        psycopg.connect(replica.url(database_url), autocommit=True) as standby,
    ):
        d = Database(primary=primary, replicas=[standby], read_your_writes=0.0)
        assert d.k8s_cluster_config.count() == 0
        assert d.replica_status()[0].healthy  # a health check ran on the standby
        assert in_recovery(standby) and not in_recovery(primary)
