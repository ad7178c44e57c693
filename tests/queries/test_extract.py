"""Finding the application's queries: psycopg calls, sql compositions, generated accessors."""

from __future__ import annotations

from pgwarden.checks.queries import (
    Cond,
    analyse_sql,
    extract_queries,
    generated_accessors,
    parse_sql,
)
from pgwarden.spec.load import load_schema_text

SPEC = """
[tables.Post.columns]
id       = { type = "integer", primary_key = true }
authorId = { type = "text" }
title    = { type = "text" }

[[tables.Post.indexes]]
columns = ["authorId"]

[tables.Note.columns]
id     = { type = "integer", primary_key = true }
postId = { type = "integer", references = { table = "Post", on_delete = "cascade" } }
"""


def test_static_compositions_and_constants_are_resolved() -> None:
    schema = load_schema_text(SPEC)
    text = """
from psycopg import sql
import psycopg

TABLE = "Post"
BASE = 'SELECT * FROM "Post" '


class Repo:
    BY_ID = BASE + "WHERE id = %s"

    def one(self, cur, x):
        cur.execute(Repo.BY_ID, (x,))                         # attribute: not resolved
        cur.execute(self.BY_ID, (x,))                         # not resolved either


def f(conn, cur, x, name):
    conn.execute(BASE + "WHERE title = %s", (x,))             # q
    q = sql.SQL("SELECT * FROM {} WHERE {} = {} AND {} = %s").format(
        sql.Identifier("public", TABLE),
        sql.Identifier("authorId"),
        sql.Literal("o'brien"),
        sql.Identifier("id"),
    )
    cur.execute(q, (x,))                                      # q
    cols = sql.SQL(", ").join([sql.Identifier("id"), sql.Identifier("title")])
    cur.execute(sql.SQL("SELECT {} FROM {}").format(cols, sql.Identifier(TABLE)))  # q
    with cur.copy('COPY (SELECT * FROM "Post" WHERE title = %s) TO STDOUT', (x,)) as cp:  # q
        pass
    cur.copy('COPY "Post" (id) FROM STDIN')                   # no read
    cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(name)))  # dynamic
    cur.execute(f"SELECT * FROM {name}")                      # dynamic
    cur.executemany('UPDATE "Post" SET title = %s WHERE id = %s', [(1, 2)])  # q
    psycopg.sql.SQL("SELECT 1")                               # not executed
"""
    found = extract_queries(text, "app.py", schema)
    marked = [n for n, line in enumerate(text.splitlines(), 1) if line.endswith("# q")]
    assert [q.line for q in found] == marked
    by_line = dict(zip(["where", "compose", "join", "copy", "many"], found, strict=True))
    assert by_line["compose"].sql == (
        'SELECT * FROM "public"."Post" WHERE "authorId" = \'o\'\'brien\' AND "id" = %s'
    )
    assert by_line["compose"].accesses[0].conds == (Cond("authorId", "="), Cond("id", "="))
    assert by_line["join"].sql == 'SELECT "id", "title" FROM "Post"'
    assert by_line["copy"].accesses[0].conds == (Cond("title", "="),)
    assert by_line["many"].label == "cur.executemany"
    assert by_line["many"].accesses[0].kind == "update"


def test_scopes_joins_and_unknown_tables() -> None:
    schema = load_schema_text(SPEC)
    accesses = analyse_sql(
        'SELECT p.title FROM "Post" p JOIN "Note" n ON n."postId" = p.id '
        'WHERE p."authorId" = %s AND n.id IN (SELECT id FROM "Note" WHERE "postId" > 3) '
        "AND relname = 'x'",
        schema,
    )
    assert accesses is not None
    outer = [a for a in accesses if a.top]
    inner = [a for a in accesses if not a.top]
    post = next(a for a in outer if a.table == "Post")
    note = next(a for a in outer if a.table == "Note")
    assert set(post.conds) == {Cond("authorId", "="), Cond("id", "join")}
    assert set(note.conds) == {Cond("postId", "join"), Cond("id", "IN")}
    assert [(a.table, a.conds) for a in inner] == [("Note", (Cond("postId", ">"),))]
    assert analyse_sql("SELECT * FROM pg_class WHERE relname = 'x'", schema) == ()
    assert parse_sql("SELEC nonsense FROM") is None


def test_generated_accessors_map_methods_to_their_queries() -> None:
    schema = load_schema_text(SPEC).normalized()
    accessors = generated_accessors(schema)
    assert ("post", "find_by_author_id") in accessors.methods
    label, text = accessors.methods[("post", "find_by_author_id")][0]
    assert label == "PostSql.FIND_0" and '"authorId" = %s' in text
    # page() runs one of two queries: both are counted
    assert len(accessors.methods[("post", "page")]) == 2
    found = extract_queries(
        "def f(db, x):\n    db.post.find_by_author_id(x)\n    app.db.note.get(x)\n"
        "    x.find_by_author_id(1)\n",
        "app.py",
        schema,
    )
    assert [(q.line, q.label) for q in found] == [
        (2, "db.post.find_by_author_id (PostSql.FIND_0)"),
        (3, "app.db.note.get (NoteSql.GET)"),
    ]
