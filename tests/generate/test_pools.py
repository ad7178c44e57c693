"""The generated Database over psycopg_pool pools, on a real server: every call borrows
and returns a connection, services and ``db.transaction()`` pin one, exhaustion and
timeouts raise the package's typed errors."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pgwarden.generators.accessors import PoolView
from pgwarden.generators.engine import render
from tests.generate.helpers import (
    CountingConnection,
    CountingCursor,
    basefly_schema,
    dump,
)


def _pool(url: str, **kw: Any) -> ConnectionPool[Any]:
    kw.setdefault("min_size", 1)
    kw.setdefault("max_size", 2)
    kw.setdefault("timeout", 5.0)
    return ConnectionPool(url, kwargs={"autocommit": True}, open=True, **kw)


@pytest.fixture
def pool(url: str) -> Iterator[ConnectionPool[Any]]:
    with _pool(url) as p:
        yield p


def test_calls_borrow_and_return(pool: ConnectionPool[Any]) -> None:
    from basefly_db import Database

    d = Database(pool)
    before = pool.get_stats()
    u = d.user.insert({"email": "p@x.io", "name": "P"})
    assert d.user.get(u.id) == u and d.user.get_many([u.id]) == {u.id: u}
    assert d.user.count() == 1
    stats = pool.get_stats()
    assert stats["requests_num"] - before.get("requests_num", 0) == 4  # one borrow per call
    # the pool may still be opening a connection it grows by (counted in pool_size
    # before it is available): wait for that, not for a borrowed one to come back
    deadline = time.monotonic() + 5
    while stats["pool_available"] != stats["pool_size"] and time.monotonic() < deadline:
        time.sleep(0.05)
        stats = pool.get_stats()
    assert stats["pool_available"] == stats["pool_size"]  # every connection came back


def test_exhausted_pool_raises_typed_error(url: str) -> None:
    from basefly_db import DataAccessError, Database, PoolTimeoutError

    with _pool(url, max_size=1, timeout=0.2) as pool:
        d = Database(pool)
        held = pool.getconn()  # the only connection
        try:
            with pytest.raises(PoolTimeoutError) as err:
                d.user.count()
            assert isinstance(err.value, DataAccessError)
            assert err.value.server == "primary" and err.value.timeout == pytest.approx(0.2)
            assert "0.2 s" in str(err.value)
        finally:
            pool.putconn(held)
        assert d.user.count() == 0  # back to normal once a connection is free


def test_statement_timeout_is_typed(url: str) -> None:
    """A write that waits on a row lock past statement_timeout raises StatementTimeoutError."""
    from basefly_db import Database, StatementTimeoutError

    with psycopg.connect(url, autocommit=True) as setup:
        uid = setup.execute("""INSERT INTO "User" (email) VALUES ('t@x.io') RETURNING id""")
        key = uid.fetchone()[0]  # type: ignore[index]
    with (
        ConnectionPool(
            url,
            min_size=1,
            max_size=1,
            kwargs={"autocommit": True, "options": "-c statement_timeout=200"},
        ) as pool,
        psycopg.connect(url) as locker,
    ):
        locker.execute('SELECT 1 FROM "User" WHERE id = %s FOR UPDATE', (key,))
        with pytest.raises(StatementTimeoutError, match="statement timeout"):
            Database(pool).user.update(key, {"name": "late"})
        locker.rollback()
        assert Database(pool).user.update(key, {"name": "now"}).name == "now"  # type: ignore[union-attr]
        assert pool.get_stats()["pool_available"] == 1


def test_transaction_pins_one_connection(pool: ConnectionPool[Any], url: str) -> None:
    from basefly_db import Database

    d = Database(pool)
    with d.transaction() as conn:
        u = d.user.insert({"email": "in@x.io"})
        assert d.user.get(u.id) == u  # the same connection sees its own uncommitted row
        with psycopg.connect(url) as other:
            assert other.execute('SELECT count(*) FROM "User"').fetchone() == (0,)
        assert conn.execute("SELECT pg_current_xact_id_if_assigned()").fetchone() != (None,)
    assert d.user.get(u.id) == u  # committed at the end of the block

    with pytest.raises(RuntimeError), d.transaction():
        d.user.insert({"email": "gone@x.io"})
        raise RuntimeError("abort")
    assert d.user.count() == 1  # rolled back
    assert pool.get_stats()["pool_available"] == pool.get_stats()["pool_size"]


def test_transaction_nests_as_savepoint(pool: ConnectionPool[Any]) -> None:
    from basefly_db import Database

    d = Database(pool)
    with d.transaction() as outer:
        d.user.insert({"email": "keep@x.io"})
        with pytest.raises(RuntimeError), d.transaction() as inner:
            assert inner is outer
            d.user.insert({"email": "drop@x.io"})
            raise RuntimeError("inner only")
    assert sorted(u.email for u in d.user.page()) == ["keep@x.io"]


def test_threads_get_their_own_pins(pool: ConnectionPool[Any]) -> None:
    """A transaction pins its connection for its own thread only."""
    from basefly_db import Database

    d = Database(pool)
    seen: list[int] = []

    def other_thread() -> None:  # not pinned: autocommit calls on borrowed connections
        d.user.insert({"email": "thread@x.io"})
        seen.append(d.user.count())

    with d.transaction() as conn:
        mine = conn.info.backend_pid
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        assert seen == [1]
        assert d.user.count() == 1  # the thread's row is committed, visible here
        assert conn.info.backend_pid == mine


def _boom(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"""
        )
        conn.execute(
            'CREATE TRIGGER boom BEFORE DELETE ON "Customer" FOR EACH ROW EXECUTE FUNCTION boom()'
        )


def test_service_is_atomic_on_one_pooled_connection(url: str) -> None:
    """delete_user runs every statement on one borrowed connection in one transaction;
    a failure half-way leaves every table exactly as it was."""
    from basefly_db import Database, enums

    def configure(conn: psycopg.Connection[Any]) -> None:
        conn.statements = []  # type: ignore[attr-defined]

    with ConnectionPool(
        url,
        min_size=2,
        max_size=2,
        connection_class=CountingConnection,
        kwargs={"autocommit": True, "cursor_factory": CountingCursor},
        configure=configure,
    ) as pool:
        pool.wait()
        d = Database(pool)
        u = d.user.insert({"email": "atom@x.io", "name": "A"}).id
        d.k8s_cluster_config.insert(
            {"name": "c", "location": "eu", "auth_user_id": u, "plan": enums.SubscriptionPlan.PRO}
        )
        d.customer.insert({"auth_user_id": u, "stripe_customer_id": "cus"})
        _boom(url)
        with psycopg.connect(url) as conn:
            before = dump(conn)
        conns = [pool.getconn() for _ in range(2)]
        for c in conns:
            c.statements.clear()  # type: ignore[attr-defined]
            pool.putconn(c)
        with pytest.raises(psycopg.errors.RaiseException, match="injected failure"):
            d.user_deletion_service.delete_user(u)
        with psycopg.connect(url) as conn:
            assert dump(conn) == before
        conns = [pool.getconn() for _ in range(2)]
        used = [c.statements for c in conns if c.statements]  # type: ignore[attr-defined]
        for c in conns:
            pool.putconn(c)
        assert len(used) == 1 and len(used[0]) >= 4  # lock, billing, soft delete, ... on one
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute('DROP TRIGGER boom ON "Customer"')
        result = d.user_deletion_service.delete_user(u)
        assert result.tombstoned and d.customer.count() == 0


def test_async_pool(url: str) -> None:
    from basefly_db import PoolTimeoutError
    from basefly_db.aio import AsyncDatabase

    async def main() -> None:
        async with AsyncConnectionPool(
            url, min_size=1, max_size=1, timeout=0.2, kwargs={"autocommit": True}
        ) as pool:
            d = AsyncDatabase(pool)
            u = await d.user.insert({"email": "a@x.io"})
            assert await d.user.get(u.id) == u
            with pytest.raises(RuntimeError):
                async with d.transaction():
                    await d.user.insert({"email": "b@x.io"})
                    raise RuntimeError("abort")
            assert await d.user.count() == 1
            held = await pool.getconn()
            try:
                with pytest.raises(PoolTimeoutError):
                    await d.user.count()
            finally:
                await pool.putconn(held)
            await d.user_deletion_service.delete_user(u.id)
            assert await d.user.count() == 0

    asyncio.run(main())


def test_create_pool_uses_generated_settings(url: str, tmp_path: Any) -> None:
    """``pool = {...}`` in the generate settings becomes create_pool's default."""
    import importlib
    import sys
    import uuid

    name = f"pooled_{uuid.uuid4().hex[:8]}"
    render(basefly_schema(), name, sources=["s.toml"], pool=PoolView(2, 3, 4.5)).write(
        tmp_path / name
    )
    sys.path.insert(0, str(tmp_path))
    try:
        pkg = importlib.import_module(name)
        assert pkg._runtime.PoolSettings(2, 3, 4.5) == pkg._runtime.POOL
        with pkg.create_pool(url) as pool:
            assert (pool.min_size, pool.max_size, pool.timeout) == (2, 3, 4.5)
            with pool.connection() as conn:
                assert conn.autocommit
            assert pkg.Database(pool).user.count() == 0
        with pkg.create_pool(url, max_size=5, kwargs={"application_name": "x"}) as pool:
            assert pool.max_size == 5
            with pool.connection() as conn:
                assert conn.autocommit and conn.info.get_parameters()["application_name"] == "x"
    finally:
        sys.path.remove(str(tmp_path))


def test_database_refuses_other_sources(url: str) -> None:
    from basefly_db import Database

    with pytest.raises(TypeError, match=r"psycopg\.Connection or a psycopg_pool\.ConnectionPool"):
        Database(url)  # type: ignore[arg-type]
    with psycopg.connect(url) as conn, pytest.raises(TypeError, match="not both"):
        Database(conn, primary=conn)


@pytest.mark.parametrize(
    ("pool", "error"),
    [
        ("pool = 3", "must be a table"),
        ("pool = { max = 3 }", "unknown key(s) max"),
        ("pool = { min_size = 5, max_size = 2 }", "does not make a pool"),
        ("pool = { timeout = 0 }", "does not make a pool"),
        ("pool = { max_size = true }", "does not make a pool"),
    ],
)
def test_pool_settings_are_checked(tmp_path: Any, pool: str, error: str) -> None:
    from pgwarden.cli.generate_cmds import read_config
    from pgwarden.errors import PgwardenError

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.pgwarden.generate]\n{pool}\n")
    with pytest.raises(PgwardenError, match=error.replace("(", r"\(").replace(")", r"\)")):
        read_config(pyproject)


def test_pool_settings_fill_defaults(tmp_path: Any) -> None:
    from pgwarden.cli.generate_cmds import read_config

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.pgwarden.generate]\npool = { max_size = 20, timeout = 2 }\n")
    assert read_config(pyproject).pool == PoolView(min_size=1, max_size=20, timeout=2.0)
