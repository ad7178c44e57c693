"""dump_schema is the inverse of the loader: load(dump(s)) == s."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import given, settings

from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema, load_schema_text
from pgwarden.spec.model import Schema
from tests.strategies import EXTENSION_TYPES, schemas

ROOT = Path(__file__).resolve().parents[2]


def _intent(schema: Schema) -> list[object]:
    """The compare=False fields equality skips: dump must keep them too."""
    out: list[object] = []
    for t in schema.tables:
        out.append((t.name, t.soft_delete, t.owner, t.owner_table, t.billing, t.audit, t.ignore))
        out.append((t.name, t.replica, t.cache))
        out += [(c.name, c.secret, c.ignore, c.backfill, c.renamed_from) for c in t.columns]
        out += [(i.name, i.soft_delete_partial) for i in t.indexes]
        out += [(f.name, f.on_delete_explicit) for f in t.foreign_keys]
    return out


def test_basefly_round_trips() -> None:
    for path in (ROOT / "schema", ROOT / "tests/fixtures/saasfly_before/saasfly.toml"):
        schema = load_schema(path)
        text = dump_schema(schema)
        again = load_schema_text(text, "dumped.toml")
        assert again == schema
        assert _intent(again) == _intent(schema)
        assert dump_schema(again) == text  # deterministic, a fixed point


def test_dump_uses_sugar_and_conventional_names() -> None:
    schema = load_schema(ROOT / "schema")
    doc = tomllib.loads(dump_schema(schema))
    k8s = doc["tables"]["K8sClusterConfig"]
    assert k8s["columns"]["id"] == {"type": "integer", "identity": "serial", "primary_key": True}
    assert k8s["columns"]["authUserId"]["references"] == {
        "table": "User",
        "on_delete": "restrict",
        "on_update": "cascade",
    }
    assert k8s["columns"]["plan"]["default"] == "FREE"
    # the partial unique index is written as the rule soft delete makes partial
    assert k8s["uniques"] == [{"columns": ["plan", "authUserId"]}]
    assert k8s["indexes"] == [
        {"columns": ["authUserId"]},
        {"columns": ["deletedAt"]},
        {"columns": ["plan"]},  # serves find_by_plan(include_deleted=True)
    ]
    assert doc["tables"]["User"]["columns"]["email"]["unique"] is True


def test_explicit_names_and_odd_values_survive() -> None:
    text = """
[tables."we ird"]
soft_delete = "del"
primary_key = { columns = ["id x"], name = "pk here" }
[tables."we ird".columns]
"id x" = { type = "bigint", identity = "always" }
del = { type = "timestamptz", nullable = true }
t = { type = "text", default = "line\\nbreak \\"q\\" \\u0001", unique = { name = "custom" } }
[[tables."we ird".indexes]]
columns = ["t"]
unique = true
all_rows = true
[[tables."we ird".checks]]
name = "we ird_t_check1"
expression = "t <> ''"
[[tables."we ird".checks]]
expression = "t <> 'x'"
"""
    schema = load_schema_text(text)
    assert load_schema_text(dump_schema(schema)) == schema
    t = schema.tables[0]
    assert {i.name: i.where for i in t.indexes} == {"custom": "del IS NULL", "we ird_t_idx": None}


@settings(max_examples=40)
@given(schemas(every_kind=True, extensions=tuple(EXTENSION_TYPES)))
def test_load_dump_round_trip(schema: Schema) -> None:
    text = dump_schema(schema)
    again = load_schema_text(text, "dumped.toml")
    assert again == schema
    assert dump_schema(again) == text


def test_read_rules_round_trip() -> None:
    text = """
[tables.T]
replica = ["count"]
cache = { ttl = "1500ms", methods = ["get"] }

[tables.U]
replica = true
cache = { ttl = "1m" }

[tables.T.columns]
id = { type = "integer", primary_key = true }

[tables.U.columns]
id = { type = "integer", primary_key = true }
"""
    schema = load_schema_text(text)
    again = load_schema_text(dump_schema(schema))
    for a, b in zip(schema.tables, again.tables, strict=True):
        assert (a.replica, a.cache) == (b.replica, b.cache)
    assert 'cache = { ttl = "60s" }' in dump_schema(schema)
