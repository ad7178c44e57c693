"""The guarantee of issue 19 as a test: a spec ``validate`` accepts applies.

Valid random specs (``tests.strategies``), Basefly and single Basefly tables (with
the tables they reference) are mutated at the spec level -- column types,
expressions (defaults, generated columns, checks, index predicates and keys,
policies), literal defaults, names, deleted keys -- and each mutant is judged as
``pgwarden validate`` judges it: the loader's offline checks, then the proof on
the server. Every mutant it accepts must apply cleanly (its ``pgwarden sql`` DDL,
in a fresh database, as the first migration would), and no
mutant may end in anything but a clean error.

``PGWARDEN_FUZZ_EXAMPLES`` (default 300; ``.ci/run`` runs 3,000 on its second
server) and ``PGWARDEN_FUZZ_SEED`` (default 19) choose the run; the figures
(accepted, refused offline, refused by the server, applied) are printed at the end
(``pytest -s``) for docs/status.md.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from pgwarden.apply.proof import prove_on, scratch_connection
from pgwarden.errors import PgwardenError, SpecError
from pgwarden.render.sql import render_schema
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from tests.strategies import schemas

ROOT = Path(__file__).resolve().parents[2]
FILE = "schema/app.toml"
EXAMPLES = int(os.environ.get("PGWARDEN_FUZZ_EXAMPLES", "300"))
SEED = int(os.environ.get("PGWARDEN_FUZZ_SEED", "19"))
BASEFLY = (ROOT / "schema" / "basefly.toml").read_text(encoding="utf-8")

TYPES = [
    "text", "varchar(20)", "varchar(0)", "char(3)", "smallint", "integer", "bigint",
    "numeric", "numeric(5,2)", "numeric(2000)", "real", "double precision", "boolean",
    "uuid", "date", "time", "timetz", "timestamp(3)", "timestamptz", "interval", "json",
    "jsonb", "bytea", "inet", "cidr", "text[]", "integer[]", "Plan", "Plan[]", "point",
    "tsvector", "int4range", "money", "xml", "bit(3)", "macaddr", "integr", "", "text[][]",
    "SubscriptionPlan", "vector(3)",
]  # fmt: skip
LITERALS: list[Any] = [
    0, 1, -1, 99999, 2**31, 2**63 - 1, -(2**63), 1.5, -2.25, 1e39, 1e-50, "abc", "",
    "2024-01-31", "2024-02-30", "2024-01-31 12:00", "12:00", "12:00+02", "now", "1 day",
    "true", "maybe", "t", "{}", "{1,2}", '{"a": 1}', "{bad", "00000000-0000-0000-0000-000000000000",
    "not-a-uuid", "FREE", "PRO", "GOLD", "x\x00y", "é€😀", "\\x00ff", "192.168.0.1",
    True, False, [], ["a", "b"], [1, 2], ["FREE"], [1, "x"],
]  # fmt: skip
NAMES = ["x", "a b", 'q"uote', "é", "select", "user", "x" * 64, "ctid", "", "a\x00b", "A"]
ATOMS = [
    "1", "0", "-5", "99999999999", "1.5", "'abc'", "'2024-01-01'", "TRUE", "NULL",
    "now()", "random()", "CURRENT_DATE", "CURRENT_TIMESTAMP", "gen_random_uuid()", "'{}'",
    "current_setting('app.x', true)", "nextval('s')", "'x\x00'",
]  # fmt: skip
UNARY = [
    "length({})", "lower({})", "upper({})", "abs({})", "coalesce({}, NULL)", "({})::text",
    "({})::integer", "count({})", "sum({})", "(SELECT {})", "concat({}, 'x')", "md5({})",
    "array_length({}, 1)", "{} IS NULL", "NOT {}", "-({})", "row_number() OVER ()",
    "generate_series(1, {})", "date_trunc('day', {})", "({})::timestamptz",
]  # fmt: skip
BINARY = [
    "{} + {}", "{} > {}", "{} = {}", "{} || {}", "{} AND {}", "{} OR {}", "{} LIKE {}",
    "{} IN ({}, 1)", "{} - {}", "{} * {}", "{} / {}", "{} @> {}", "{} <> {}",
]  # fmt: skip


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


COLUMN = "\x01"  # stands for a column of the table until the expression is drawn

_EXPRESSIONS = st.recursive(
    st.sampled_from([*ATOMS, COLUMN, COLUMN]),
    lambda inner: (
        st.builds(lambda f, a: f.format(a), st.sampled_from(UNARY), inner)
        | st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(BINARY), inner, inner)
    ),
    max_leaves=4,
)


@st.composite
def expressions(draw: st.DrawFn, columns: list[str]) -> str:
    text = draw(_EXPRESSIONS)
    while COLUMN in text:
        name = draw(st.sampled_from(columns)) if columns else "missing"
        text = text.replace(COLUMN, _ident(name), 1)
    return text


def _tables(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        return []
    return [(n, t) for n, t in tables.items() if isinstance(t, dict)]


def _columns(table: dict[str, Any]) -> dict[str, Any]:
    cols = table.get("columns")
    return cols if isinstance(cols, dict) else {}


@st.composite
def _mutate(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """One spec-level mutation of ``doc``, in place."""
    tables = _tables(doc)
    if not tables:
        doc.setdefault("tables", {})["T"] = {"columns": {"id": {"type": "integer"}}}
        return
    name, table = draw(st.sampled_from(tables))
    columns = _columns(table)
    col_names = [c for c, v in columns.items() if isinstance(v, dict)]
    column = columns[draw(st.sampled_from(col_names))] if col_names else None
    expr = expressions(col_names)
    kind = draw(
        st.sampled_from(
            [
                "type", "default", "default_sql", "generated", "check", "index", "policy",
                "rename column", "rename table", "delete key", "literal", "unique",
            ]
        )
    )  # fmt: skip
    if kind == "type" and column is not None:
        column["type"] = draw(st.sampled_from(TYPES))
    elif kind == "default" and column is not None:
        column.pop("default_sql", None)
        column["default"] = draw(st.sampled_from(LITERALS))
    elif kind == "default_sql" and column is not None:
        column.pop("default", None)
        column["default_sql"] = draw(expr)
    elif kind == "generated" and column is not None:
        for key in ("default", "default_sql", "identity"):
            column.pop(key, None)
        column["generated"] = draw(expr)
    elif kind == "check":
        table.setdefault("checks", []).append({"expression": draw(expr)})
    elif kind == "index" and col_names:
        method = draw(st.sampled_from(["btree", "hash", "gist", "gin", "brin", "spgist"]))
        key: Any = draw(st.sampled_from(col_names))
        if draw(st.booleans()):
            key = {"expression": draw(expr)}
        index: dict[str, Any] = {"columns": [key], "method": method}
        if draw(st.booleans()):
            index["where"] = draw(expr)
        table.setdefault("indexes", []).append(index)
    elif kind == "policy":
        policy = {"name": f"p{draw(st.integers(0, 9))}", "using": draw(expr)}
        table.setdefault("policies", []).append(policy)
    elif kind == "rename column" and col_names:
        old = draw(st.sampled_from(col_names))
        columns[draw(st.sampled_from(NAMES))] = columns.pop(old)
    elif kind == "rename table":
        doc["tables"][draw(st.sampled_from(NAMES))] = doc["tables"].pop(name)
    elif kind == "delete key" and column is not None and column:
        column.pop(draw(st.sampled_from(sorted(column))))
    elif kind == "literal" and column is not None and column:
        column[draw(st.sampled_from(sorted(column)))] = draw(st.sampled_from(LITERALS))
    elif kind == "unique" and column is not None:
        column["unique"] = True


def _toml(value: Any) -> str:
    """A TOML value on one line (inline tables and arrays): tomlkit is too slow here."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON escapes are TOML's
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict), value
    return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"


def dumps(doc: dict[str, Any]) -> str:
    """``doc`` as TOML: a header per table and per other top-level section."""
    out: list[str] = []
    for section, body in doc.items():
        if section == "tables" and isinstance(body, dict):
            for name, table in body.items():
                out.append(f"[tables.{_toml(str(name))}]")
                out += [f"{_toml(str(k))} = {_toml(v)}" for k, v in table.items()]
        elif isinstance(body, dict):
            out.append(f"[{_toml(section)}]")
            out += [f"{_toml(str(k))} = {_toml(v)}" for k, v in body.items()]
        else:
            out.insert(0, f"{_toml(section)} = {_toml(body)}")
    return "\n".join(out) + "\n"


def _only_around(doc: dict[str, Any], name: str) -> None:
    """Keep table ``name`` and the tables it references (transitively), in place: a
    mutant of one Basefly table costs the server a fifth of the whole spec."""
    tables = doc["tables"]
    keep, todo = set(), [name]
    while todo:
        table = todo.pop()
        if table in keep or table not in tables:
            continue
        keep.add(table)
        for column in _columns(tables[table]).values():
            ref = column.get("references") if isinstance(column, dict) else None
            if isinstance(ref, dict) and isinstance(ref.get("table"), str):
                todo.append(ref["table"])
    for table in [t for t in tables if t not in keep]:
        del tables[table]


@st.composite
def mutants(draw: st.DrawFn) -> str:
    # Basefly whole (1 in 4), one Basefly table with what it references (2 in 4), or
    # a random valid spec of up to two tables
    base = draw(st.sampled_from(["random", "basefly", "basefly part", "basefly part"]))
    text = dump_schema(draw(schemas(max_tables=2))) if base == "random" else BASEFLY
    doc = tomllib.loads(text)
    if base == "basefly part":
        _only_around(doc, draw(st.sampled_from(sorted(doc["tables"]))))
    for _ in range(draw(st.integers(1, 3))):
        draw(_mutate(doc))
    return dumps(doc)


FIGURES: Counter[str] = Counter()


@contextmanager
def _connections(url: str) -> Iterator[tuple[psycopg.Connection[Any], psycopg.Connection[Any]]]:
    with scratch_connection(url) as proof, psycopg.connect(url) as target:
        yield proof, target


def _judge(text: str, proof: psycopg.Connection[Any], target: psycopg.Connection[Any]) -> None:
    FIGURES["mutants"] += 1
    try:
        schema = load_schema_text(text, FILE)
    except SpecError as err:
        FIGURES["refused offline"] += 1
        assert err.problems and all(p.file == FILE for p in err.problems), str(err)
        return
    except PgwardenError as err:  # another clean error (exit 2), never a traceback
        FIGURES["refused offline"] += 1
        assert str(err)
        return
    problems = prove_on(proof, schema)
    if problems:
        FIGURES["refused by the server"] += 1
        assert all(p.file == FILE and "PostgreSQL refuses it" in p.message for p in problems)
        return
    FIGURES["accepted"] += 1
    ddl = render_schema(schema)  # what `pgwarden sql` prints and the first migration runs
    with target.transaction(force_rollback=True):
        try:
            target.execute(ddl.encode())
        except psycopg.Error as exc:
            raise AssertionError(f"validate accepted a spec that fails: {exc}\n{text}") from None
    FIGURES["applied"] += 1


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    FIGURES.clear()
    yield
    if FIGURES:
        print("\nmutation fuzz figures:", dict(FIGURES))


def test_the_writer_round_trips() -> None:
    doc = tomllib.loads(BASEFLY)
    assert tomllib.loads(dumps(doc)) == doc
    odd = {"tables": {'a"\x00': {"columns": {"é": {"type": "text", "default": "x\ny\x00"}}}}}
    assert tomllib.loads(dumps(odd)) == odd


# not marked slow: it runs in both passes of .ci/run (both servers), 300 mutants each;
# .ci/run runs 3,000 more on the second server
def test_every_spec_validate_accepts_applies(database_url: str) -> None:
    with _connections(database_url) as (proof, target):

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            derandomize=False,  # the seed chooses the run, under every profile
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        )
        @given(text=mutants())
        def check(text: str) -> None:
            _judge(text, proof, target)

        check()
    assert FIGURES["mutants"] >= EXAMPLES
    # the mutants reach every verdict: the property is not vacuous
    assert FIGURES["accepted"] and FIGURES["refused offline"] and FIGURES["refused by the server"]
    assert FIGURES["applied"] == FIGURES["accepted"]
