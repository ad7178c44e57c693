"""Unusual shapes still generate clean code: empty schema, enums only, no primary key,
composite keys, JSON without enums, an owner table with no dependents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pgwarden.spec.load import load_schema_text
from tests.generate.helpers import build_package, create

SPECS = {
    "empty": "",
    "enums_only": '[enums.Color]\nvalues = ["red", "green"]\n',
    "no_pk": """
[tables.Log.columns]
at   = { type = "timestamptz", default_sql = "now()" }
line = { type = "jsonb" }
""",
    "composite": """
[tables.Pair]
primary_key = { columns = ["a", "b"] }
soft_delete = "gone"

[tables.Pair.columns]
a    = { type = "integer" }
b    = { type = "text" }
note = { type = "text", nullable = true }
gone = { type = "timestamp", nullable = true }
""",
    "lonely_owner": """
[tables.Account]
owner_table = true

[tables.Account.columns]
id   = { type = "bigint", identity = "always", primary_key = true }
name = { type = "text" }
""",
}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("edge")
    names = {}
    for key, spec in SPECS.items():
        name, _, _ = build_package(load_schema_text(spec, f"tests/{key}.toml"), root)
        names[key] = name
    return root, names


def test_clean_python(packages: tuple[Path, dict[str, str]]) -> None:
    root, names = packages
    dirs = [str(root / n) for n in names.values()]
    for args in (["check"], ["format", "--check"]):
        cmd = [sys.executable, "-m", "ruff", *args, "--no-cache", "--line-length", "100", *dirs]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *dirs],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr


def test_composite_key_and_no_pk(database_url: str, tmp_path: Path) -> None:
    schema = load_schema_text(SPECS["composite"] + SPECS["no_pk"], "tests/edge.toml")
    create(database_url, schema)
    _, sync, _ = build_package(schema, tmp_path)
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        rows = d.pair.insert_many([{"a": i % 3, "b": str(i)} for i in range(7)])
        assert d.pair.get(1, "1") == rows[1]
        assert d.pair.get_many([(0, "0"), (2, "5"), (9, "9")]) == {
            (0, "0"): rows[0],
            (2, "5"): rows[5],
        }
        keys = [(r.a, r.b) for r in d.pair.page(after=(0, "3"), limit=3)]
        assert keys == sorted((r.a, r.b) for r in rows if (r.a, r.b) > (0, "3"))[:3]
        assert d.pair.update(1, "1", {"note": "n"}).note == "n"
        assert d.pair_service.soft_delete(1, "1").gone is not None
        assert d.pair.get(1, "1") is None and d.pair_service.restore(1, "1").gone is None
        assert d.log.insert({"line": {"x": 1}}).line == {"x": 1}
        assert d.log.count() == 1 and not hasattr(d.log, "get")


def test_owner_without_dependents(database_url: str, tmp_path: Path) -> None:
    schema = load_schema_text(SPECS["lonely_owner"], "tests/edge.toml")
    create(database_url, schema)
    name, sync, _ = build_package(schema, tmp_path)
    models = __import__(f"{name}.models", fromlist=["x"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        acc = d.account.insert({"name": "solo"})
        assert d.account_deletion_service.get_account_summary(acc.id) == models.AccountSummary()
        result = d.account_deletion_service.delete_account(acc.id)
        assert result.deleted and not result.tombstoned and d.account.get(acc.id) is None
