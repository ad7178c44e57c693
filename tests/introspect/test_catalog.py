"""inspect_schema and canonicalize against a real server (no mocks)."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest
from psycopg import sql

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import DatabaseError
from pgwarden.introspect import QUERIES, inspect_schema, schema_diff
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
from tests.introspect.ddl import render
from tests.pg import server_version

T = ColumnType


def _feature_schema(name: str = "public") -> Schema:
    """One of everything the model can say, with awkward names."""
    plan = Enum("Subscription Plan", ("FREE", "PRO", "BUSINESS"), comment="plans")
    user = Table(
        "User",
        columns=(
            Column("id", T("uuid"), default="gen_random_uuid()"),
            Column("email", T("varchar", (320,)), nullable=True),
            Column('name"quoted', T("text"), nullable=True, comment="a 'quoted' name"),
            Column("ünïcode", T("numeric", (10, 2)), default="0"),
            Column("tags", T("text", array=True), default="'{}'"),
        ),
        primary_key=PrimaryKey("User_pkey", ("id",)),
        uniques=(UniqueConstraint("User_email_key", ("email",), nulls_not_distinct=True),),
        checks=(CheckConstraint("User_ünïcode_check", '"ünïcode" >= 0'),),
        indexes=(
            Index(
                "User_lower_idx",
                (IndexElement(expression="lower(email::text)", opclass="text_pattern_ops"),),
            ),
        ),
        comment="people",
    )
    cluster = Table(
        "K8s Cluster",
        columns=(
            Column("id", T("integer"), identity="serial"),
            Column("seq", T("bigint"), identity="always"),
            Column("authUserId", T("uuid")),
            Column("plan", T("Subscription Plan"), nullable=True, default="'FREE'"),
            Column("plans", T("Subscription Plan", array=True), nullable=True),
            Column("parentId", T("integer"), nullable=True),
            Column("double", T("integer"), nullable=True, generated="id * 2"),
            Column("updatedAt", T("timestamp", (3,)), default="now()", maintained="on_update"),
            Column("deletedAt", T("timestamptz"), nullable=True),
        ),
        # declared out of attnum order: conkey order must survive
        primary_key=PrimaryKey("K8s Cluster_pkey", ("id",)),
        uniques=(
            UniqueConstraint(
                "K8s_seq_auth_key", ("seq", "authUserId"), deferrable=True, initially_deferred=True
            ),
        ),
        foreign_keys=(
            ForeignKey(
                "K8s Cluster_authUserId_fkey",
                ("authUserId",),
                "User",
                ("id",),
                on_delete="restrict",
                on_update="cascade",
            ),
            ForeignKey(
                "K8s Cluster_parentId_fkey",
                ("parentId",),
                "K8s Cluster",
                ("id",),
                on_delete="set null",
                deferrable=True,
            ),
        ),
        indexes=(
            Index(
                "K8s Cluster_plan_authUserId_key",
                (IndexElement(column="authUserId"), IndexElement(column="plan")),
                unique=True,
                where='"deletedAt" IS NULL',
            ),
            Index(
                "K8s_desc_idx",
                (
                    IndexElement(column="updatedAt", descending=True, nulls_first=False),
                    IndexElement(column="id", nulls_first=True),
                ),
                include=("plan",),
            ),
            Index("K8s_plans_gin", (IndexElement(column="plans"),), method="gin"),
        ),
        rls_enabled=True,
        rls_forced=True,
        policies=(
            Policy(
                names.tenant_policy("K8s Cluster"),
                using="\"authUserId\"::text = current_setting('app.user_id', true)",
                with_check="\"authUserId\"::text = current_setting('app.user_id', true)",
            ),
            Policy(
                "read_only", command="select", permissive=False, roles=("postgres",), using="true"
            ),
        ),
    )
    # composite PK declared (b, a) while the columns are (a, b)
    pair = Table(
        "pair",
        columns=(
            Column("a", T("integer")),
            Column("b", T("integer")),
            Column("ch", T("char", (1,))),
        ),
        primary_key=PrimaryKey("pair_pkey", ("b", "a")),
    )
    return Schema(tables=(user, cluster, pair), enums=(plan,), name=name).normalized()


def _apply(conn: psycopg.Connection[object], schema: Schema) -> None:
    conn.execute(render(schema))  # type: ignore[arg-type]


def test_feature_schema_round_trips(database_url: str) -> None:
    spec = _feature_schema()
    with psycopg.connect(database_url, autocommit=True) as conn:
        _apply(conn, spec)
        db = inspect_schema(conn)
        expected = canonicalize(spec, conn, render=render)
    assert schema_diff(expected, db) == []
    assert db == expected


def test_catalog_facts(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        _apply(conn, _feature_schema())
        db = inspect_schema(conn)
    cluster = db.table("K8s Cluster")
    assert cluster is not None
    col = {c.name: c for c in cluster.columns}
    assert col["id"].identity == "serial" and col["id"].default is None
    assert col["seq"].identity == "always"
    assert col["plan"].type == T("Subscription Plan") and col["plan"].default is not None
    assert "FREE" in col["plan"].default
    assert col["plans"].type == T("Subscription Plan", array=True)
    assert col["double"].generated == "id * 2" and col["double"].default is None
    assert col["updatedAt"].maintained == "on_update"
    assert col["deletedAt"].maintained is None
    assert [c.name for c in cluster.columns][:3] == ["id", "seq", "authUserId"]
    assert cluster.rls_enabled and cluster.rls_forced
    fks = {f.name: f for f in cluster.foreign_keys}
    assert fks["K8s Cluster_authUserId_fkey"].on_delete == "restrict"
    assert fks["K8s Cluster_authUserId_fkey"].on_update == "cascade"
    assert fks["K8s Cluster_parentId_fkey"].deferrable
    assert cluster.uniques[0].initially_deferred
    idx = {i.name: i for i in cluster.indexes}
    partial = idx["K8s Cluster_plan_authUserId_key"]
    assert partial.unique and partial.where == '"deletedAt" IS NULL'
    assert partial.column_names == ("authUserId", "plan")
    desc = idx["K8s_desc_idx"]
    assert desc.elements[0] == IndexElement(column="updatedAt", descending=True, nulls_first=False)
    assert desc.elements[1] == IndexElement(column="id", nulls_first=True)
    assert desc.include == ("plan",)
    assert idx["K8s_plans_gin"].method == "gin"
    pols = {p.name: p for p in cluster.policies}
    assert pols["read_only"] == Policy(
        "read_only", command="select", permissive=False, roles=("postgres",), using="true"
    )
    user = db.table("User")
    assert user is not None
    assert user.uniques[0].nulls_not_distinct
    assert user.indexes[0].elements[0].opclass == "text_pattern_ops"
    assert user.indexes[0].elements[0].expression == "lower(email::text)"
    assert user.comment == "people"
    pair = db.table("pair")
    assert pair is not None and pair.primary_key == PrimaryKey("pair_pkey", ("b", "a"))
    assert db.enums == (Enum("Subscription Plan", ("FREE", "PRO", "BUSINESS"), comment="plans"),)


def test_enum_values_in_sort_order_not_oid_order(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
        conn.execute("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'happy'")
        conn.execute("ALTER TYPE mood ADD VALUE 'first' BEFORE 'sad'")
        assert inspect_schema(conn).enums == (Enum("mood", ("first", "sad", "meh", "happy")),)


def test_other_namespace_and_canonical_text(database_url: str) -> None:
    spec = replace(_feature_schema("app space"), name="app space")
    with psycopg.connect(database_url, autocommit=True) as conn:
        _apply(conn, spec)
        db = inspect_schema(conn, "app space")
        assert inspect_schema(conn) == Schema()  # public is empty
        expected = canonicalize(spec, conn, render=render)
        # names inside the inspected namespace print unqualified, as a spec writes them
        plan = db.table("K8s Cluster").column("plan")  # type: ignore[union-attr]
        assert plan is not None and plan.default == "'FREE'::\"Subscription Plan\""
        # canonicalize left nothing behind
        left = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgwarden_canon%'"
        ).fetchone()
        assert left == (0,)
    assert db == expected


def test_inside_a_callers_transaction(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:  # not autocommit
        conn.execute("SET search_path = pg_catalog, public")
        conn.commit()
        conn.execute("CREATE TABLE public.t (id integer NOT NULL)")
        db = inspect_schema(conn)  # sees the uncommitted table, in the same transaction
        assert [t.name for t in db.tables] == ["t"]
        # the caller's search_path is restored
        assert conn.execute("SHOW search_path").fetchone() == ("pg_catalog, public",)
        spec = db
        assert canonicalize(spec, conn, render=render) == spec
        conn.rollback()
        assert inspect_schema(conn) == Schema()


def test_a_type_of_another_namespace_is_read_qualified(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA other")
        conn.execute("CREATE DOMAIN other.positive AS integer CHECK (VALUE > 0)")
        conn.execute("CREATE TABLE t (n other.positive, m other.positive[], b bit varying(5))")
        db = inspect_schema(conn)
    t = db.table("t")
    assert t is not None
    assert [c.type for c in t.columns] == [
        T("other.positive"),
        T("other.positive", array=True),
        T("varbit", (5,)),  # no spec spelling: read by its catalog name
    ]


def test_operator_classes_and_collations_come_from_pg_index(database_url: str) -> None:
    """Only non-default classes and collations are recorded, as pg_get_indexdef prints them."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            'CREATE TABLE t (v varchar(10), s text COLLATE "C", a integer[], j jsonb);'
            "CREATE INDEX t_v_idx ON t (v text_ops, v text_pattern_ops);"  # default, non-default
            'CREATE INDEX t_s_idx ON t (s, s COLLATE "POSIX", lower(s) COLLATE "C");'
            "CREATE INDEX t_a_idx ON t USING gin (a);"  # array_ops via anyarray
            "CREATE INDEX t_j_idx ON t USING gin (j jsonb_path_ops, (j -> 'k'));"
        )
        db = inspect_schema(conn)
    t = db.table("t")
    assert t is not None
    assert t.column("s") == Column("s", T("text"), nullable=True, collation="C")
    idx = {i.name: i for i in t.indexes}
    assert [e.opclass for e in idx["t_v_idx"].elements] == [None, "text_pattern_ops"]
    assert [(e.column, e.collation) for e in idx["t_s_idx"].elements] == [
        ("s", None),
        ("s", "POSIX"),
        (None, "C"),
    ]
    assert [e.opclass for e in idx["t_a_idx"].elements] == [None]
    assert [(e.opclass, e.expression) for e in idx["t_j_idx"].elements] == [
        ("jsonb_path_ops", None),
        (None, "(j -> 'k'::text)"),
    ]


def test_bad_expression_in_spec_is_a_clear_error(database_url: str) -> None:
    spec = Schema(
        tables=(
            Table(
                "t",
                (Column("n", T("integer"), default="no_such_function()"),),
            ),
        )
    )
    with (
        psycopg.connect(database_url, autocommit=True) as conn,
        pytest.raises(DatabaseError, match="no_such_function"),
    ):
        canonicalize(spec, conn, render=render)


def test_works_on_this_server_version(pg_server: str) -> None:
    # the suite runs on PostgreSQL 18 (embedded) and 15 (127.0.0.1:5432 in CI)
    assert server_version(pg_server) >= 150000


def test_snapshot_is_one_repeatable_read_read_only_transaction(database_url: str) -> None:
    """All catalog queries share one REPEATABLE READ READ ONLY transaction (server says so)."""
    seen: list[tuple[int, str, str]] = []

    class Recording(psycopg.Cursor[object]):
        def execute(self, query, params=None, **kw):  # type: ignore[no-untyped-def, override]
            with psycopg.Cursor(self.connection) as probe:  # a plain cursor: not recorded
                probe.execute(
                    "SELECT txid_current(), current_setting('transaction_isolation'),"
                    " current_setting('transaction_read_only')"
                )
                row = probe.fetchone()
            assert row is not None
            seen.append((int(row[0]), str(row[1]), str(row[2])))
            return super().execute(query, params, **kw)

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id integer)")
        conn.cursor_factory = Recording  # type: ignore[assignment]
        inspect_schema(conn)
        conn.cursor_factory = psycopg.Cursor
        assert conn.isolation_level is None and conn.read_only is None  # restored
    assert len(seen) >= 6
    assert {s[1:] for s in seen} == {("repeatable read", "on")}
    assert len({s[0] for s in seen}) == 1  # one transaction


def test_drop_in_scratch_rolls_back(database_url: str) -> None:
    spec = _feature_schema()
    with psycopg.connect(database_url, autocommit=True) as conn:
        canonicalize(spec, conn, render=render)
        assert inspect_schema(conn) == Schema()
        rows = conn.execute(
            sql.SQL("SELECT count(*) FROM pg_class WHERE relname = {}").format(sql.Literal("pair"))
        ).fetchone()
        assert rows == (0,)


def test_enum_of_another_namespace_is_read_qualified(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA other")
        conn.execute("CREATE TYPE other.mood AS ENUM ('ok')")
        conn.execute("CREATE TABLE t (m other.mood)")
        alone = inspect_schema(conn)
        both = inspect_schema(conn, also=["other"])
    t = alone.table("t")
    assert t is not None and t.columns[0].type == T("other.mood")
    assert alone.enums == ()
    assert both.enums == (Enum("other.mood", ("ok",)),)


def test_concurrent_ddl_does_not_tear_the_read(database_url: str) -> None:
    """DDL committed by another session between two catalog queries is invisible:
    every query reads the snapshot taken at the first one."""
    with (
        psycopg.connect(database_url, autocommit=True) as conn,
        psycopg.connect(database_url, autocommit=True) as other,
    ):
        conn.execute("CREATE TABLE a (id integer PRIMARY KEY)")
        executed = 0

        class Interleaving(psycopg.Cursor[object]):
            def execute(self, query, params=None, **kw):  # type: ignore[no-untyped-def, override]
                nonlocal executed
                result = super().execute(query, params, **kw)
                executed += 1
                # right after the tables query (after reading and setting search_path)
                if executed == 2 + QUERIES.index("tables") + 1:
                    other.execute(
                        "CREATE TABLE b (id integer PRIMARY KEY REFERENCES a (id));"
                        "CREATE INDEX b_idx ON b (id);"
                        "ALTER TABLE a ADD COLUMN late text CHECK (late <> '');"
                        "CREATE POLICY p ON a USING (true)"
                    )
                return result

        conn.cursor_factory = Interleaving  # type: ignore[assignment]
        db = inspect_schema(conn)
        conn.cursor_factory = psycopg.Cursor
        assert executed == len(QUERIES) + 3
        assert [t.name for t in db.tables] == ["a"]
        a = db.tables[0]
        assert a.column_names == ("id",) and a.checks == () and a.policies == ()
        # and the next inspection sees it all
        after = inspect_schema(conn)
        assert [t.name for t in after.tables] == ["a", "b"]


def test_functions_of_other_namespaces_in_expressions(database_url: str) -> None:
    """An expression calling a function from public (where extensions live) works in
    another namespace, and both sides print it qualified the same way."""
    spec = Schema(
        tables=(Table("t", (Column("n", T("integer"), default="public.seven()"),)),),
        name="app",
    )
    unqualified = replace(
        spec, tables=(Table("t", (Column("n", T("integer"), default="seven()"),)),)
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.seven() RETURNS integer LANGUAGE sql AS 'SELECT 7'")
        conn.execute("CREATE SCHEMA app")
        conn.execute("SET search_path = app, public")
        conn.execute("CREATE TABLE t (n integer NOT NULL DEFAULT seven())")
        db = inspect_schema(conn, "app")
        assert db.tables[0].columns[0].default == "public.seven()"
        assert canonicalize(unqualified, conn, render=render) == db
        assert canonicalize(spec, conn, render=render) == db


def test_partitions_and_their_objects_are_skipped(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE m (id integer NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))"
            " PARTITION BY RANGE (at);"
            "CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
            "CREATE INDEX m_at_idx ON m (at);"
            "ALTER TABLE m_2026 ENABLE ROW LEVEL SECURITY;"
            "CREATE POLICY only_part ON m_2026 USING (true);"
            "CREATE VIEW v AS SELECT 1 AS one"
        )
        db = inspect_schema(conn)
    assert [t.name for t in db.tables] == ["m"]
    m = db.tables[0]
    assert m.primary_key == PrimaryKey("m_pkey", ("id", "at"))
    assert [i.name for i in m.indexes] == ["m_at_idx"]
    assert m.policies == ()
