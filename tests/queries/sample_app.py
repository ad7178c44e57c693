"""A sample application module for the query-pattern analysis (never imported).

Each line marked ``# expect: <rule>`` must get exactly that finding; every other
query is a decoy the analysis must leave alone. The spec is ``sample.toml``.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

BY_TITLE = 'SELECT * FROM "Post" WHERE "title" = %s AND "deletedAt" IS NULL'


def findings(conn: Any, db: Any, x: Any) -> None:
    # a filter no index serves: title is not indexed
    conn.execute(BY_TITLE, (x,))  # expect: query-without-index
    # a filter on the second column of a composite index only
    conn.execute(  # expect: query-without-index
        'SELECT * FROM "Post" WHERE "createdAt" > %s AND "deletedAt" IS NULL', (x,)
    )
    # the partial index's predicate is not implied (deleted rows are wanted)
    conn.execute(  # expect: query-without-index
        'SELECT * FROM "Post" WHERE "authorId" = %s AND "deletedAt" IS NOT NULL', (x,)
    )
    # a join no index serves: Comment.postId is not indexed
    conn.execute(  # expect: query-without-index
        'SELECT c.* FROM "Post" p JOIN "Comment" c ON c."postId" = p.id '
        'WHERE p."tenantId" = %s AND p."deletedAt" IS NULL',
        (x,),
    )
    # ORDER BY + LIMIT: authorId is indexed, but every match must be sorted
    with conn.cursor() as cur:
        cur.execute(  # expect: query-without-index
            'SELECT * FROM "Comment" WHERE "authorId" = %s ORDER BY "createdAt" LIMIT 10', (x,)
        )
    # a psycopg.sql composition with static parts
    query = sql.SQL("SELECT * FROM {} WHERE {} = {}").format(
        sql.Identifier("Comment"), sql.Identifier("body"), sql.Placeholder()
    )
    conn.execute(query, (x,))  # expect: query-without-index
    # a generated accessor: its include_deleted=True form reads every row, which the
    # partial index (active rows only) cannot serve
    db.post.find_by_author_id(x)  # expect: query-without-index
    # the same column pair in two places, no composite index
    conn.execute(  # expect: query-composite-index
        'SELECT * FROM "Comment" WHERE "status" = %s AND "kind" = %s', (x, x)
    )
    conn.executemany(  # expect: query-composite-index
        'UPDATE "Comment" SET "body" = %s WHERE "kind" = %s AND "status" = %s', [(x, x, x)]
    )
    # a soft-delete table read without the active-rows predicate
    rows = 'SELECT * FROM "Post" WHERE "tenantId" = %s'
    conn.execute(rows, (x,))  # expect: query-reads-deleted-rows


def decoys(conn: Any, db: Any, x: Any) -> None:
    # served by a partial index whose predicate the query implies (and its leading column)
    conn.execute('SELECT * FROM "Post" WHERE "authorId" = %s AND "deletedAt" IS NULL', (x,))
    # served by the partial unique index on both columns, through the generated accessor
    db.post.get_by_author_id_and_slug(x, x)
    # served by the leading column of a composite index, and its ORDER BY (backwards)
    conn.execute(
        'SELECT * FROM "Post" WHERE "tenantId" = %s AND "deletedAt" IS NULL '
        'ORDER BY "createdAt" ASC LIMIT 20',
        (x,),
    )
    # served by the generated accessor's index; the soft-delete switch names deletedAt
    db.post.find_by_tenant_id(x)
    db.post_service.find_all_active()
    # primary-key lookups, a count of everything, an insert
    conn.execute('SELECT * FROM "Tenant" WHERE id = %s', (x,))
    conn.execute('SELECT count(*) FROM "Comment"')
    conn.execute('INSERT INTO "Comment" ("postId", "body") VALUES (%s, %s)', (x, x))
    # a hard delete and a purge reach deleted rows on purpose
    conn.execute('DELETE FROM "Post" WHERE id = %s', (x,))
    # existence checks may see deleted rows
    conn.execute(
        'SELECT * FROM "Tenant" t WHERE t.id = %s AND EXISTS '
        '(SELECT 1 FROM "Post" p WHERE p."tenantId" = t.id)',
        (x,),
    )
    # not static: not analysed
    conn.execute(f'SELECT * FROM "Comment" WHERE {x} = 1')
    # a table the spec does not know
    conn.execute("SELECT * FROM pg_class WHERE relname = %s", (x,))
    # not a query method
    x.execute_later('SELECT * FROM "Comment" WHERE "body" = %s')
