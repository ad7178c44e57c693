"""Hostile identifiers in a spec and hostile values in calls: generated code stays
valid Python (ruff, mypy --strict), the SQL quotes every name, values round-trip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pgwarden.spec import names
from pgwarden.spec.model import (
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)
from tests.generate.helpers import REPO, build_package, create, orphans

LINE = ("--line-length", "100")
NS = 'we"ird %s ns'
OWNER = 'Us"er %(x)s {0}'
TABLE = "Robert'); DROP TABLE students; --"
ENUM = 'St"at%us'
HOSTILE = ["'); DROP TABLE students; --", "%s", "%(x)s", "{}", "\\'\\\\", 'q"uote', "ünï €", ""]


def hostile_schema() -> Schema:
    owner = Table(
        name=OWNER,
        columns=(
            Column("id", ColumnType("text"), default="(gen_random_uuid())::text"),
            Column("e-mail %s", ColumnType("text"), nullable=True),
            Column("class", ColumnType("text"), nullable=True),
        ),
        primary_key=PrimaryKey(names.primary_key(OWNER), ("id",)),
        uniques=(UniqueConstraint(names.unique(OWNER, ["e-mail %s"]), ("e-mail %s",)),),
        owner_table=True,
    )
    child = Table(
        name=TABLE,
        columns=(
            Column("id", ColumnType("integer"), identity="by default"),
            Column('own"er', ColumnType("text")),
            Column("val%(x)s", ColumnType("text")),
            Column("from", ColumnType("integer"), nullable=True),
            Column("self", ColumnType("jsonb"), nullable=True),
            Column("status", ColumnType(ENUM), nullable=True, default='\'ok\'::"St""at%us"'),
            Column("gone at", ColumnType("timestamptz"), nullable=True),
        ),
        primary_key=PrimaryKey(names.primary_key(TABLE), ("id",)),
        foreign_keys=(
            ForeignKey(
                names.foreign_key(TABLE, ['own"er']), ('own"er',), OWNER, ("id",), "restrict"
            ),
        ),
        indexes=(
            Index(
                names.unique(TABLE, ["val%(x)s", 'own"er']),
                (IndexElement(column="val%(x)s"), IndexElement(column='own"er')),
                unique=True,
                where='"gone at" IS NULL',
                soft_delete_partial=True,
            ),
            Index(names.index(TABLE, ['own"er']), (IndexElement(column='own"er'),)),
        ),
        soft_delete="gone at",
        owner='own"er',
    )
    return Schema(
        tables=(owner, child),
        enums=(Enum(ENUM, ("ok", "it's", 'q"uote', "%s", "DELETED")),),
        name=NS,
    )


def test_hostile_identifiers_and_values(database_url: str, tmp_path: Path) -> None:
    schema = hostile_schema()
    create(database_url, schema)
    name, sync, _ = build_package(schema, tmp_path)
    pkg = tmp_path / name
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *LINE, str(pkg)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *LINE, str(pkg)],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(pkg)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr

    enums = __import__(f"{name}.enums", fromlist=["x"])
    errors = __import__(f"{name}.errors", fromlist=["x"])
    status = list(enums.StAtUs)
    assert [s.value for s in status] == ["ok", "it's", 'q"uote', "%s", "DELETED"]
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        owners = d.us_er_x_s_0.insert_many([{"e_mail_s": v, "class_": v} for v in HOSTILE])
        assert [(o.e_mail_s, o.class_) for o in owners] == [(v, v) for v in HOSTILE]
        by_mail = d.us_er_x_s_0.get_many_by_e_mail_s(HOSTILE)
        assert set(by_mail) == set(HOSTILE)
        uid = owners[0].id
        rows = d.robert_drop_table_students.insert_many(
            [
                {
                    "own_er": uid,
                    "val_x_s": v,
                    "from_": i,
                    "self_": {v: [v]},
                    "status": status[i % 5],
                }
                for i, v in enumerate(HOSTILE)
            ]
        )
        for i, (row, v) in enumerate(zip(rows, HOSTILE, strict=True)):
            assert (row.val_x_s, row.from_, row.self_, row.status) == (
                v,
                i,
                {v: [v]},
                status[i % 5],
            )
            assert d.robert_drop_table_students.get_by_val_x_s_and_own_er(v, uid) == row
        table = d.robert_drop_table_students
        assert [r.id for r in table.find_by_own_er(uid)] == [r.id for r in rows]
        patched = table.update(rows[0].id, {"val_x_s": "%(x)s%s'", "self_": None})
        assert patched is not None and patched.val_x_s == "%(x)s%s'" and patched.self_ is None
        svc = d.robert_drop_table_students_service
        gone = svc.soft_delete(rows[1].id, uid)
        assert gone.status == "DELETED"
        table.insert({"own_er": uid, "val_x_s": rows[1].val_x_s})
        with pytest.raises(errors.RestoreConflict):
            svc.restore(rows[1].id, uid)
        summary = d.us_er_x_s_0_deletion_service.get_us_er_x_s_0_summary(uid)
        assert summary.robert_drop_table_students == len(HOSTILE) + 1
        result = d.us_er_x_s_0_deletion_service.delete_us_er_x_s_0(uid)
        assert result.tombstoned
        assert d.us_er_x_s_0.get(uid).e_mail_s is None
        assert orphans(conn, schema) == []
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (NS,)
        ).fetchone()
        assert tables == (2,)


def test_colliding_python_names_are_an_error() -> None:
    from pgwarden.generators.accessors import GenerateError, build

    table = Table(
        name="t",
        columns=(Column("userId", ColumnType("text")), Column("user_id", ColumnType("text"))),
    )
    with pytest.raises(GenerateError, match=r"(?s)'userId' and 'user_id'.*rename one"):
        build(Schema(tables=(table,)), "pkg")
    with pytest.raises(GenerateError, match="not a Python identifier"):
        build(Schema(), "my-package")
    assert REPO.is_dir()


@pytest.mark.parametrize(
    ("owner", "pk", "message"),
    [
        (
            "nope",
            ("id",),
            "table 't': owner names column 'nope', which does not exist\n"
            "  fix: add the column or correct owner",
        ),
        (
            "uid",
            ("id", "uid"),
            "table 't': owner column 'uid' is part of the primary key, so it cannot scope "
            "lookups by that key\n"
            "  fix: drop owner from this table (the key already identifies the owner)",
        ),
    ],
)
def test_an_owner_that_cannot_scope_the_service_is_an_error(
    owner: str, pk: tuple[str, ...], message: str
) -> None:
    """The soft-delete service's owner scope, refused in so many words when the spec
    was not validated (a model built in Python)."""
    from pgwarden.generators.accessors import GenerateError, build
    from pgwarden.spec.model import PrimaryKey

    table = Table(
        name="t",
        columns=(
            Column("id", ColumnType("integer"), nullable=False),
            Column("uid", ColumnType("text"), nullable=False),
            Column("deletedAt", ColumnType("timestamptz"), nullable=True),
        ),
        primary_key=PrimaryKey("t_pkey", pk),
        soft_delete="deletedAt",
        owner=owner,
    )
    with pytest.raises(GenerateError) as err:
        build(Schema(tables=(table,)), "pkg")
    assert str(err.value) == message


def test_finders_skip_single_column_unique_keys_but_not_composite_ones() -> None:
    """A column that is a unique key by itself has ``get_by_<col>``, no finder; the
    leading column of a composite unique key has a finder (it is no key alone)."""
    from pgwarden.generators.accessors import build
    from pgwarden.spec.load import load_schema_text

    spec = (
        '[tables.T.columns]\nid = { type = "integer", primary_key = true }\n'
        'email = { type = "text", unique = true }\na = { type = "text" }\n'
        'b = { type = "text" }\n[[tables.T.uniques]]\ncolumns = ["a", "b"]\n'
        '[[tables.T.indexes]]\ncolumns = ["email"]\n[[tables.T.indexes]]\ncolumns = ["id"]\n'
    )
    (view,) = build(load_schema_text(spec), "pkg").tables
    assert [k.suffix for k in view.uniques] == ["a_and_b", "email"]
    assert [k.suffix for k in view.finders] == ["a"]


def test_a_clash_in_the_deletion_summary_names_the_summary_and_both_tables() -> None:
    """The deletion summary's fields (``post``, ``post_active``...) are one namespace:
    a table whose name becomes another's ``_active`` field is refused, naming both."""
    from pgwarden.generators.accessors import GenerateError, build
    from pgwarden.spec.load import load_schema_text

    child = '\nid = {{ type = "integer", primary_key = true }}\n' + (
        'uid = {{ type = "integer", references = {{ table = "User", on_delete = "cascade" }} }}\n'
    )
    spec = (
        "[tables.User]\nowner_table = true\n[tables.User.columns]\n"
        'id = { type = "integer", primary_key = true }\n'
        '[tables.Post]\nsoft_delete = "deletedAt"\nowner = "uid"\n[tables.Post.columns]'
        + child.format()
        + 'deletedAt = { type = "timestamptz", nullable = true }\n'
        "[tables.PostActive.columns]" + child.format()
    )
    with pytest.raises(GenerateError) as err:
        build(load_schema_text(spec), "pkg")
    assert str(err.value) == (
        "summary of 'User': 'Post' and 'PostActive' both become the Python name "
        "'post_active'\n  fix: rename one of them in the spec"
    )


@pytest.mark.parametrize(
    "name",
    [
        "Database",
        "AsyncDatabase",
        "JsonValue",
        "DataAccessError",
        "Col",
        "NotFound",
        "RestoreConflict",
        "OutstandingBilling",
    ],
)
def test_a_type_named_like_a_class_of_the_runtime_is_refused(name: str) -> None:
    """Every class name the package defines itself is taken before the spec's types."""
    from pgwarden.generators.accessors import GenerateError, build
    from pgwarden.spec.load import load_schema_text

    with pytest.raises(GenerateError) as err:
        build(load_schema_text(f'[enums.{name}]\nvalues = ["a"]\n'), "pkg")
    assert str(err.value).startswith(
        f"generated classes: 'pgwarden' and 'enum {name}' both become the Python name {name!r}"
    )
