"""The opt-in read cache of the generated package, on a real server: keyed by query and
parameters, invalidated by the package's own writes (foreign-key cascades included),
bypassed inside transactions, with hit/miss counters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from pgwarden.generators.accessors import GenerateError
from pgwarden.generators.engine import render
from pgwarden.spec.load import load_schema_text
from tests.generate.helpers import build_package, counting_connect, create

SPEC = """
[tables.Team]
cache = { ttl = "30s" }

[tables.Team.columns]
id   = { type = "integer", identity = "by default", primary_key = true }
name = { type = "text", unique = true }
tags = { type = "text[]", nullable = true }

[tables.Member]
cache = { ttl = "1m", methods = ["find_by_team_id", "count"] }

[tables.Member.columns]
id     = { type = "integer", identity = "by default", primary_key = true }
teamId = { type = "integer", references = { table = "Team", on_delete = "cascade" } }
name   = { type = "text" }

[[tables.Member.indexes]]
columns = ["teamId"]
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType, ModuleType]:
    schema = load_schema_text(SPEC, "cache.toml")
    name, sync, aio = build_package(schema, tmp_path_factory.mktemp("cache"))
    import importlib

    return importlib.import_module(f"{name}._runtime"), sync, aio


@pytest.fixture
def url(database_url: str) -> str:
    create(database_url, load_schema_text(SPEC, "cache.toml"))
    return database_url


@pytest.fixture
def env(pkg: Any, url: str) -> Iterator[tuple[Any, Any, Any, Clock]]:
    rt, sync, _ = pkg
    clock = Clock()
    with counting_connect(url) as conn:
        d = sync.Database(conn, cache=rt.Cache(clock=clock))
        yield d, conn, d.cache, clock


def test_hits_and_misses_are_counted_and_keyed_by_parameters(env: Any) -> None:
    d, conn, cache, _ = env
    a = d.team.insert({"name": "a"})
    b = d.team.insert({"name": "b"})
    conn.statements.clear()
    assert d.team.get(a.id) == a
    assert d.team.get(a.id) == a
    assert d.team.get(b.id) == b  # other parameters: another entry
    assert d.team.get_by_name("a") == a
    assert d.team.get_many([a.id, b.id]) == {a.id: a, b.id: b}
    assert d.team.get_many([a.id, b.id]) == {a.id: a, b.id: b}
    assert len(conn.statements) == 4
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (2, 4, 4)


def test_own_writes_invalidate(env: Any) -> None:
    d, _conn, cache, _ = env
    t = d.team.insert({"name": "t"})
    assert d.team.get(t.id).name == "t"
    d.team.update(t.id, {"name": "renamed"})
    assert d.team.get(t.id).name == "renamed"
    assert cache.stats().invalidations >= 1
    d.team.delete(t.id)
    assert d.team.get(t.id) is None


def test_cascade_invalidates_the_children(env: Any) -> None:
    d, _, _, _ = env
    t = d.team.insert({"name": "parent"})
    d.member.insert({"team_id": t.id, "name": "m"})
    assert [m.name for m in d.member.find_by_team_id(t.id)] == ["m"]
    assert d.member.count() == 1
    d.team.delete(t.id)  # ON DELETE CASCADE removes the member
    assert d.member.find_by_team_id(t.id) == [] and d.member.count() == 0


def test_other_writers_are_seen_when_entries_expire(env: Any, url: str) -> None:
    d, _, _, clock = env
    t = d.team.insert({"name": "old"})
    assert d.team.get(t.id).name == "old"
    with psycopg.connect(url, autocommit=True) as other:
        other.execute('UPDATE "Team" SET name = %s WHERE id = %s', ("new", t.id))
    assert d.team.get(t.id).name == "old"  # cached: another writer is not seen ...
    clock.now += 31
    assert d.team.get(t.id).name == "new"  # ... until the 30 s entry expires


def test_only_the_listed_methods_are_cached(env: Any) -> None:
    d, conn, cache, _ = env
    t = d.team.insert({"name": "x"})
    m = d.member.insert({"team_id": t.id, "name": "m"})
    conn.statements.clear()
    before = cache.stats()
    for _ in range(3):
        assert d.member.get(m.id) == m  # not listed: always a query
    assert len(conn.statements) == 3 and cache.stats() == before


def test_transactions_bypass_the_cache(env: Any) -> None:
    d, _conn, cache, _ = env
    t = d.team.insert({"name": "tx"})
    assert d.team.get(t.id).name == "tx"  # cached outside
    before = cache.stats()
    with d.transaction():
        d.team.update(t.id, {"name": "inside"})
        assert d.team.get(t.id).name == "inside"  # its own snapshot, not the cache
        assert d.team.get(t.id).name == "inside"
    assert (cache.stats().hits, cache.stats().misses) == (before.hits, before.misses)
    assert d.team.get(t.id).name == "inside"

    with pytest.raises(RuntimeError), d.transaction():
        d.team.update(t.id, {"name": "rolled back"})
        raise RuntimeError
    assert d.team.get(t.id).name == "inside"  # nothing cached from the aborted block


def test_plain_connection_in_a_transaction_bypasses(pkg: Any, url: str) -> None:
    rt, sync, _ = pkg
    with psycopg.connect(url) as conn:  # not autocommit: an implicit transaction
        d = sync.Database(conn, cache=rt.Cache())
        t = d.team.insert({"name": "implicit"})
        d.team.get(t.id)
        d.team.get(t.id)
        assert d.cache.stats().hits == 0
        conn.rollback()
        assert d.team.get(t.id) is None  # the rolled-back row was never cached


def test_mutable_values_are_copies(env: Any) -> None:
    d, _, _, _ = env
    t = d.team.insert({"name": "m", "tags": ["a"]})
    first = d.team.get(t.id)
    first.tags.append("mutated by the caller")
    assert d.team.get(t.id).tags == ["a"]
    assert d.team.get(t.id).tags == ["a"]


def test_disabled_and_shared_caches(pkg: Any, url: str) -> None:
    rt, sync, _ = pkg
    with counting_connect(url) as conn:
        off = sync.Database(conn, cache=False)
        assert off.cache is None
        t = off.team.insert({"name": "off"})
        conn.statements.clear()
        off.team.get(t.id)
        off.team.get(t.id)
        assert len(conn.statements) == 2
        shared = rt.Cache()
        one, two = sync.Database(conn, cache=shared), sync.Database(conn, cache=shared)
        one.team.get(t.id)
        assert two.team.get(t.id) == one.team.get(t.id) and shared.stats().hits == 2
        two.team.update(t.id, {"name": "via two"})  # invalidates the shared cache
        assert one.team.get(t.id).name == "via two"


def test_bounded_size(pkg: Any) -> None:
    rt, _, _ = pkg
    cache = rt.Cache(max_entries=3)
    route = rt.Route("T", 10.0, False, False)
    for i in range(5):
        cache.put(route, ("q", (i,)), i)
    assert cache.stats().entries == 3
    assert cache.get(route, ("q", (4,))) == 4 and cache.get(route, ("q", (0,))) is rt.MISS


def test_async(pkg: Any, url: str) -> None:
    _rt, _, aio = pkg

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            d = aio.AsyncDatabase(conn)
            t = await d.team.insert({"name": "async"})
            assert await d.team.get(t.id) == t
            assert await d.team.get(t.id) == t
            await d.team.update(t.id, {"name": "changed"})
            assert (await d.team.get(t.id)).name == "changed"
            stats = d.cache.stats()
            assert (stats.hits, stats.misses) == (1, 2)

    asyncio.run(main())


def test_unknown_method_is_a_generation_error(tmp_path: Path) -> None:
    spec = SPEC.replace('methods = ["find_by_team_id", "count"]', 'methods = ["find_by_team"]')
    with pytest.raises(GenerateError) as err:
        render(load_schema_text(spec, "cache.toml"), "x")
    text = str(err.value)
    assert "cache.toml:" in text and "Member" in text and "find_by_team" in text
    assert "find_by_team_id" in text  # did you mean
