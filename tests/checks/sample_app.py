"""A small application module for the static N+1 rule.

Lines marked ``# N+1`` must be reported; every other database call is a decoy
that must not be. (Never imported: the rule reads it with ``ast``.)
"""

from __future__ import annotations

from typing import Any

Conn = Any
CLUSTER_NAME = 'SELECT name FROM "K8sClusterConfig" WHERE "authUserId" = %s'


def cluster_names(conn: Conn, user_ids: list[str]) -> list[str]:
    names = []
    for uid in user_ids:
        row = conn.execute(CLUSTER_NAME, (uid,)).fetchone()  # N+1
        names.append(row[0])
    return names


def customers_by_user(conn: Conn, users: list[Any]) -> dict[str, Any]:
    out = {}
    with conn.cursor() as cur:
        for user in users:
            key = user.id
            cur.execute('SELECT * FROM "Customer" WHERE "authUserId" = %s', [key])  # N+1
            out[key] = cur.fetchone()
    return out


def plans(db: Any, clusters: list[Any]) -> list[Any]:
    return [db.customers.get_by_auth_user_id(c.auth_user_id) for c in clusters]  # N+1


async def statuses(conn: Conn, ids: list[int]) -> list[Any]:
    return [await conn.fetchval("SELECT status FROM t WHERE id = $1", i) for i in ids]  # N+1


def nested(conn: Conn, orgs: list[Any]) -> None:
    for org in orgs:
        for member in org.members:
            conn.execute("UPDATE m SET seen = now() WHERE id = %s", (member,))  # N+1


def summaries(db: Any, user_ids: list[str]) -> list[Any]:
    out = []
    for uid in user_ids:
        out.append(db.user.get(uid))  # N+1
        out.append(db.user_deletion_service.get_user_summary(uid))  # N+1
    return out


# --------------------------------------------------------------------- decoys


def lookups_that_are_not_queries(names: list[str], cache: dict[str, Any]) -> list[Any]:
    import os

    return [(os.environ.get(n), cache.get(n)) for n in names]


def one_statement_per_table(conn: Conn, tables: list[str]) -> dict[str, int]:
    from psycopg import sql

    counts = {}
    for name in tables:  # a different statement per table, not one query repeated
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
        counts[name] = conn.execute(query).fetchone()[0]
    return counts


def batched_accessor(db: Any, user_ids: list[str]) -> Any:
    users = db.user.get_many(user_ids)
    return [users.get(uid) for uid in user_ids]


def query_before_loop(conn: Conn, user_ids: list[str]) -> list[Any]:
    rows = conn.execute(
        'SELECT * FROM "Customer" WHERE "authUserId" = ANY(%s)', (user_ids,)
    ).fetchall()
    return [r for r in rows if r[0] in user_ids]


def loop_over_constants(conn: Conn) -> None:
    for stmt in ("SET lock_timeout = '5s'", "SET statement_timeout = '30s'"):
        conn.execute(stmt)
    for n in range(3):
        conn.execute("SELECT pg_sleep(%s)", (n,))


def batch_calls(conn: Conn, db: Any, rows: list[tuple[str, int]], keys: list[str]) -> Any:
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO t (a, b) VALUES (%s, %s)", rows)
    found = db.customers.get_many_by_auth_user_id(keys)
    for k in keys:
        print(found.get(k))
    return found


def loop_without_loop_variable(conn: Conn, items: list[Any]) -> int:
    total = 0
    for _item in items:
        total += 1
    conn.execute("SELECT count(*) FROM t")
    for item in items:
        conn.execute("SELECT 1")  # same query each time, not driven by the item
        total += item
    return total


def suppressed(conn: Conn, ids: list[int]) -> None:
    for i in ids:
        # pgwarden: ignore[n-plus-one-loop] ids is at most 3 feature flags, read at startup
        conn.execute("SELECT * FROM flags WHERE id = %s", (i,))
