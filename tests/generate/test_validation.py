"""Validation at the application boundary: each rule kind (ok and err), every problem
of a call reported together, the check translator, and Postgres's integrity errors
mapped to the typed family -- all against a real server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from pgwarden.generators.validation import check_rule, numeric_limit
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.generate.helpers import build_package, create
from tests.pg import server_version

SPEC = """
[enums.Status]
values = ["ACTIVE", "PAUSED"]

[tables.Owner.columns]
id    = { type = "integer", primary_key = true }
email = { type = "text", unique = true }

[tables.Item]
[[tables.Item.foreign_keys]]
columns = ["ownerId"]
references = { table = "Owner", columns = ["id"] }
on_delete = "restrict"
[[tables.Item.checks]]
name = "price_positive"
expression = "price > 0"
[[tables.Item.checks]]
name = "window"
expression = "\\"endsAt\\" IS NULL OR \\"endsAt\\" > \\"startsAt\\""
[[tables.Item.checks]]
name = "code_length"
expression = "length(code) BETWEEN 2 AND 3"
[[tables.Item.checks]]
name = "paused_empty"
expression = "status IN ('ACTIVE') OR qty = 0"
[[tables.Item.checks]]
name = "name_set"
expression = "name::text <> ''::text AND NOT name = 'x'"
[[tables.Item.checks]]
name = "qty_range"
expression = "qty NOT BETWEEN 90 AND 99 AND qty <> 13"
[[tables.Item.checks]]
name = "day_recent"
expression = "day >= '2000-01-01' AND day < CAST('2100-01-01' AS date)"
[[tables.Item.checks]]
name = "note_not_upper"
expression = "note IS NULL OR note <> upper(note)"

[tables.Item.columns]
id       = { type = "integer", identity = "by default", primary_key = true }
ownerId  = { type = "integer", nullable = true }
name     = { type = "varchar(5)" }
code     = { type = "char(3)", nullable = true }
price    = { type = "numeric(5,2)", default = 1 }
qty      = { type = "smallint", default = 0 }
big      = { type = "bigint", nullable = true }
status   = { type = "Status", default = "ACTIVE" }
tags     = { type = "Status[]", nullable = true }
note     = { type = "text", nullable = true }
day      = { type = "date", nullable = true }
fill     = { type = "text", default_sql = "nullif('a', 'a')" }
startsAt = { type = "timestamptz", default_sql = "now()" }
endsAt   = { type = "timestamptz", nullable = true }
"""

OK: dict[str, Any] = {"name": "abc", "code": "ab", "price": Decimal("9.99"), "fill": "f"}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Schema, str, ModuleType]:
    schema = load_schema_text(SPEC, "tests/validation.toml")
    name, sync, _ = build_package(schema, tmp_path_factory.mktemp("validation"))
    return schema, name, sync


@pytest.fixture
def db(package: tuple[Schema, str, ModuleType], database_url: str) -> Iterator[Any]:
    schema, _, sync = package
    create(database_url, schema)
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield sync.Database(conn)


def errors(package: tuple[Schema, str, ModuleType]) -> ModuleType:
    return __import__(f"{package[1]}.errors", fromlist=["x"])


def issues(package: tuple[Schema, str, ModuleType], call: Any) -> list[tuple[Any, ...]]:
    """(column, rule, constraint, row) of every issue ``call`` raises; [] if it succeeds."""
    try:
        call()
    except errors(package).ValidationError as exc:
        return [(i.column, i.rule, i.constraint, i.row) for i in exc.issues]
    return []


def test_not_null(package: Any, db: Any) -> None:
    missing = {k: v for k, v in OK.items() if k != "name"}
    assert issues(package, lambda: db.item.insert(missing)) == [("name", "not_null", None, None)]
    # None for a NOT NULL column with a default is still NULL (not DEFAULT)
    assert issues(package, lambda: db.item.insert({**OK, "qty": None})) == [
        ("qty", "not_null", None, None)
    ]
    assert issues(package, lambda: db.item.update(1, {"name": None})) == [
        ("name", "not_null", None, None)
    ]
    row = db.item.insert({**OK, "code": None, "big": None})  # nullable None and omitted defaults
    assert row.code is None and row.qty == 0 and row.price == Decimal("9.99")


def test_enum(package: Any, db: Any) -> None:
    assert issues(package, lambda: db.item.insert({**OK, "status": "GONE"})) == [
        ("status", "enum", None, None)
    ]
    assert issues(package, lambda: db.item.insert({**OK, "tags": ["ACTIVE", "nope"]})) == [
        ("tags", "enum", None, None)
    ]
    row = db.item.insert({**OK, "status": "PAUSED", "qty": 0, "tags": ["PAUSED"]})
    assert row.status == "PAUSED"


def test_length(package: Any, db: Any) -> None:
    assert issues(package, lambda: db.item.insert({**OK, "name": "abcdef"})) == [
        ("name", "length", None, None)
    ]
    assert issues(package, lambda: db.item.insert({**OK, "code": "abcd"})) == [
        ("code", "length", None, None)
    ]
    # Postgres cuts excess trailing spaces instead of failing; so does the validator
    row = db.item.insert({**OK, "name": "abcde   ", "code": "ab    "})
    assert row.name == "abcde" and row.code == "ab "


def test_numeric_precision_and_scale(package: Any, db: Any) -> None:
    assert numeric_limit(5, 2) == Decimal("999.995") and numeric_limit(3, 0) == Decimal("999.5")
    for bad in (Decimal("999.995"), Decimal("-1000"), Decimal("Infinity")):
        assert issues(package, lambda v=bad: db.item.insert({**OK, "price": v})) == [
            ("price", "numeric", None, None)
        ], bad
    row = db.item.insert({**OK, "price": Decimal("999.994999")})  # rounds to 999.99
    assert row.price == Decimal("999.99")


def test_integer_ranges(package: Any, db: Any) -> None:
    assert issues(package, lambda: db.item.insert({**OK, "qty": 32768})) == [
        ("qty", "range", None, None)
    ]
    assert issues(package, lambda: db.item.insert({**OK, "big": 2**63})) == [
        ("big", "range", None, None)
    ]
    assert db.item.insert({**OK, "qty": 32767, "big": -(2**63)}).qty == 32767


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"price": Decimal("-1")}, "price_positive"),  # comparison with a constant
        ({"price": Decimal("0.004")}, "price_positive"),  # judged after rounding to 0.00
        ({"code": "a  "}, "code_length"),  # length() ignores char's trailing blanks
        ({"status": "PAUSED", "qty": 3}, "paused_empty"),  # IN ... OR
        ({"name": "x"}, "name_set"),  # NOT, cast to text
        ({"qty": 95}, "qty_range"),  # NOT BETWEEN
        ({"qty": 13}, "qty_range"),
        ({"day": dt.date(1999, 12, 31)}, "day_recent"),  # ISO date constants
        ({"day": dt.date(2100, 1, 1)}, "day_recent"),
    ],
)
def test_translated_checks(package: Any, db: Any, values: dict[str, Any], constraint: str) -> None:
    row = {**OK, **values}
    found = issues(package, lambda: db.item.insert(row))
    assert [(c, r, k) for c, r, k, _ in found] == [
        (next(iter(values)) if len(values) == 1 else None, "check", constraint)
    ]


def test_checks_follow_sql_null_logic_and_column_pairs(package: Any, db: Any) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    early = start - dt.timedelta(days=1)
    assert issues(
        package, lambda: db.item.insert({**OK, "starts_at": start, "ends_at": early})
    ) == [(None, "check", "window", None)]
    # startsAt omitted: its default is computed by the server, so Postgres decides
    rules = __import__(f"{package[1]}._validate", fromlist=["x"]).ItemRules
    assert issues(package, lambda: rules.insert([{**OK, "ends_at": early}])) == []
    with pytest.raises(errors(package).CheckViolationError) as info:
        db.item.insert({**OK, "ends_at": early})
    assert info.value.constraint == "window" and info.value.columns == ("endsAt", "startsAt")
    # code NULL: length(NULL) BETWEEN ... is NULL, which a CHECK accepts
    late = start + dt.timedelta(days=1)
    row = db.item.insert({**OK, "code": None, "starts_at": start, "ends_at": late})
    assert row.code is None
    # a patch is judged only on the columns it sets
    assert issues(package, lambda: db.item.update(row.id, {"qty": 3})) == []
    assert issues(package, lambda: db.item.update(row.id, {"qty": 3, "status": "PAUSED"})) == [
        (None, "check", "paused_empty", None)
    ]


def test_every_problem_reported_together(package: Any, db: Any) -> None:
    bad = {"name": "far too long", "status": "nope", "qty": 99, "price": Decimal("-1")}
    got = issues(package, lambda: db.item.insert_many([OK, {**OK, **bad}, {"code": "xyzw"}]))
    # "fill" is missing from row 2 too, but its default is computed by the server
    assert sorted(got, key=str) == sorted(
        [
            ("name", "length", None, 1),
            ("status", "enum", None, 1),
            ("qty", "check", "qty_range", 1),
            ("price", "check", "price_positive", 1),
            ("name", "not_null", None, 2),
            ("code", "length", None, 2),
        ],
        key=str,
    )
    try:
        db.item.insert_many([OK, {**OK, **bad}])
    except errors(package).ValidationError as exc:
        text = str(exc)
        assert "Item.name (row 1)" in text and "qty_range" in text
        assert all(i.table == "Item" for i in exc.issues)
    assert db.item.count() == 0  # nothing ran


def test_untranslatable_check_left_to_postgres(package: Any, db: Any) -> None:
    rules = __import__(f"{package[1]}._validate", fromlist=["x"]).ItemRules
    assert rules.SKIPPED == ("note_not_upper",)
    err = errors(package)
    assert issues(package, lambda: rules.insert([{**OK, "note": "LOUD"}])) == []
    with pytest.raises(err.CheckViolationError) as info:
        db.item.insert({**OK, "note": "LOUD"})
    assert info.value.constraint == "note_not_upper" and info.value.columns == ("note",)
    assert info.value.table == "Item"
    assert isinstance(info.value, err.ConstraintError)
    assert isinstance(info.value.__cause__, psycopg.errors.CheckViolation)


def test_database_errors_are_typed(package: Any, db: Any, database_url: str) -> None:
    err = errors(package)
    owner = db.owner.insert({"id": 1, "email": "a@example.com"})
    with pytest.raises(err.UniqueViolationError) as unique:
        db.owner.insert({"id": 2, "email": "a@example.com"})
    assert unique.value.constraint == "Owner_email_key" and unique.value.columns == ("email",)
    with pytest.raises(err.UniqueViolationError) as pk:
        db.owner.insert({"id": owner.id, "email": "b@example.com"})
    assert pk.value.constraint == "Owner_pkey" and pk.value.columns == ("id",)
    with pytest.raises(err.ForeignKeyViolationError) as fk:
        db.item.insert({**OK, "owner_id": 42})
    assert fk.value.constraint == "Item_ownerId_fkey" and fk.value.columns == ("ownerId",)
    db.item.insert({**OK, "owner_id": 1})
    # ON DELETE RESTRICT: PostgreSQL 18 says 23001, older servers 23503 (the base class)
    restrict_error = (
        err.RestrictViolationError
        if server_version(database_url) >= 180000
        else err.ForeignKeyViolationError
    )
    with pytest.raises(restrict_error) as restrict:
        db.owner.delete(1)
    assert isinstance(restrict.value, err.ForeignKeyViolationError)
    assert restrict.value.constraint == "Item_ownerId_fkey" and restrict.value.table == "Item"
    assert restrict.value.columns == ("ownerId",)
    # a server default that yields NULL passes the validator and fails in Postgres
    with pytest.raises(err.NotNullViolationError) as notnull:
        db.item.insert({k: v for k, v in OK.items() if k != "fill"})
    assert notnull.value.columns == ("fill",) and notnull.value.table == "Item"
    for exc in (unique, pk, fk, restrict, notnull):
        assert isinstance(exc.value, err.ConstraintError)
        assert not isinstance(exc.value, err.ValidationError)
    assert issubclass(err.ValidationError, err.ConstraintError)


def test_translator_skips_what_python_cannot_decide() -> None:
    schema = load_schema_text(SPEC, "tests/validation.toml")
    table = schema.table("Item")
    assert table is not None
    attrs = {c.name: c.name for c in table.columns if c.name != "id"}
    enums = {"Status": ("ACTIVE", "PAUSED")}
    skipped = {
        "name < 'b'": "ordering of str",  # text order depends on the collation
        "price + 1 > 2": "operand",
        "lower(name) = 'a'": "function lower",
        "status > 'ACTIVE'": "ordering of enum",
        "qty > '5'": "comparison of num with lit",
        "status = 'GONE'": "outside the enum",
        "\"startsAt\" > '2024-01-01'": "comparison",
        "day > '2024-1-1'": "YYYY-MM-DD",
    }
    for expression, reason in skipped.items():
        rule = check_rule(table, "k", expression, attrs, enums)
        assert rule.body is None and rule.reason is not None, expression
        assert reason in rule.reason, (expression, rule.reason)
    for expression in (
        "qty IS DISTINCT FROM 3",
        "price BETWEEN -1.5 AND 2",
        "code = 'ab '",
        "char_length(name) >= 1",
        "qty IN (1, 2, NULL)",
        'tags IS NULL OR "startsAt" IS NOT NULL',  # a NULL test needs no comparable type
    ):
        assert check_rule(table, "k", expression, attrs, enums).body is not None, expression


def test_validation_module_is_importable_alone(package: Any, tmp_path: Path) -> None:
    validate = __import__(f"{package[1]}._validate", fromlist=["x"])
    with pytest.raises(errors(package).ValidationError):
        validate.ItemRules.patch({"status": "nope"})
    validate.ItemRules.patch({"status": "ACTIVE"})


def test_async_accessors_validate_and_map_errors(package: Any, database_url: str) -> None:
    import asyncio

    schema, name, _ = package
    create(database_url, schema)
    aio = __import__(f"{name}.aio", fromlist=["x"])
    err = errors(package)

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            d = aio.AsyncDatabase(conn)
            with pytest.raises(err.ValidationError) as bad:
                await d.item.insert_many([{**OK, "qty": -(2**15) - 1}, {**OK, "name": None}])
            assert [(i.column, i.rule, i.row) for i in bad.value.issues] == [
                ("qty", "range", 0),
                ("name", "not_null", 1),
            ]
            row = await d.item.insert(OK)
            with pytest.raises(err.ValidationError):
                await d.item.update(row.id, {"price": Decimal("1000")})
            with pytest.raises(err.ForeignKeyViolationError) as fk:
                await d.item.update(row.id, {"owner_id": 7})
            assert fk.value.columns == ("ownerId",)

    asyncio.run(run())


def test_hostile_names_in_checks(tmp_path: Path, database_url: str) -> None:
    """Hostile table, column, enum and constraint names and check literals: the
    validation module is still clean Python and judges the values correctly."""
    import subprocess
    import sys
    from dataclasses import replace

    from pgwarden.spec.exprs import normalize_expr
    from pgwarden.spec.model import CheckConstraint
    from tests.generate.test_injection import ENUM, TABLE, hostile_schema

    schema = hostile_schema()
    enum_sql = '"' + ENUM.replace('"', '""') + '"'
    child = schema.table(TABLE)
    assert child is not None
    checks = (
        CheckConstraint(
            'c"k %(x)s',
            normalize_expr(
                '"val%(x)s" <> \'%s\' AND ("from" BETWEEN -1 AND 2 OR "from" IS NULL)'
                " AND status IN ('it''s', 'q\"uote', 'ok') AND length(\"own\"\"er\") < 40"
            ),
        ),
        CheckConstraint("'); --", normalize_expr(f"status <> CAST('%s' AS {enum_sql})")),
    )
    schema = replace(
        schema, tables=tuple(replace(t, checks=checks) if t is child else t for t in schema.tables)
    )
    create(database_url, schema)
    name, sync, _ = build_package(schema, tmp_path)
    pkg = tmp_path / name
    for args in (["check"], ["format", "--check"]):
        cmd = [sys.executable, "-m", "ruff", *args, "--no-cache", "--line-length", "100"]
        result = subprocess.run([*cmd, str(pkg)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(pkg)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    validate = __import__(f"{name}._validate", fromlist=["x"])
    rules = next(r for r in vars(validate).values() if getattr(r, "TABLE", None) == TABLE)
    assert not hasattr(rules, "SKIPPED") or rules.SKIPPED == ()
    err = __import__(f"{name}.errors", fromlist=["x"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        db = sync.Database(conn)
        owner_row = db.us_er_x_s_0.insert({"e_mail_s": "x"})
        table = db.robert_drop_table_students
        good = {"own_er": owner_row.id, "val_x_s": "v", "from_": 2, "status": "it's"}
        assert table.insert(good).from_ == 2
        for bad, constraint in (
            ({"val_x_s": "%s"}, 'c"k %(x)s'),
            ({"from_": 3}, 'c"k %(x)s'),
            ({"status": "ok"}, None),
            ({"status": "%s"}, "'); --"),  # and the IN list of the first
        ):
            if constraint is None:
                assert table.insert({**good, **bad, "val_x_s": "w"}).status == "ok"
                continue
            with pytest.raises(err.ValidationError) as info:
                table.insert({**good, **bad})
            assert constraint in [i.constraint for i in info.value.issues]


def test_fractional_default_of_an_integer_column_is_rounded_like_postgres() -> None:
    """Postgres stores default -2.25 of an integer column as -2 (and 2.5 as 3), so a
    check is judged on that value (found by the validation property test)."""
    from pgwarden.generators.validation import _default_value
    from pgwarden.spec.model import Column, ColumnType

    for default, stored in (("-2.25", -2), ("2.5", 3), ("-2.5", -3), ("7", 7)):
        col = Column("c", ColumnType("integer"), default=default)
        assert _default_value(col, {}) == (True, stored)
