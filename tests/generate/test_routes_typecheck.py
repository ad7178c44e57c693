"""Reads routed through the cache or a replica, and secret columns (sealed, opened,
hashed, verified), are ``mypy --strict`` and ruff clean for every key type, on table
accessors and on the soft-delete service."""

from __future__ import annotations

from pathlib import Path

from pgwarden.generators.engine import render
from pgwarden.spec.load import load_schema_text
from tests.generate.test_key_types_typecheck import check_clean, key_spec

SERVICE = """
[tables.Owner.columns]
id = { type = "uuid", primary_key = true }

[tables.Doc]
soft_delete = "deletedAt"
owner = "ownerId"
replica = true
cache = { ttl = "250ms", methods = ["find_all_active", "get", "find_by_owner_id", "count"] }

[tables.Doc.columns]
id        = { type = "bigint", identity = "always", primary_key = true }
ownerId   = { type = "uuid", references = { table = "Owner", on_delete = "cascade" } }
body      = { type = "jsonb", nullable = true }
tags      = { type = "text[]", nullable = true }
token     = { type = "text", nullable = true, secret = "encrypted" }
sealed    = { type = "bytea", secret = "encrypted" }
pw        = { type = "text", secret = "hashed" }
pin       = { type = "text", nullable = true, secret = "hashed" }
deletedAt = { type = "timestamptz", nullable = true }

[[tables.Doc.indexes]]
columns = ["ownerId"]
"""


def routed_spec() -> str:
    """The key-type spec with routing rules: every read of the Pair tables replica-safe
    and cached, most reads of the Single tables cached, one replica-safe."""
    text = key_spec()
    lines = []
    for line in text.splitlines():
        lines.append(line)
        if line.startswith("[tables.Pair") and not line.endswith(".columns]"):
            lines += ["replica = true", 'cache = { ttl = "30s" }']
    text = "\n".join(lines) + "\n"
    for i in range(len(text.split("[tables.Single")) - 1):
        text = text.replace(
            f"[tables.Single{i}.columns]",
            f'[tables.Single{i}]\ncache = {{ ttl = "5s", methods = ["get", "get_many", '
            f'"get_by_alt", "get_many_by_alt", "page", "count"] }}\nreplica = ["get_by_alt"]\n\n'
            f"[tables.Single{i}.columns]",
        )
    return text + SERVICE


def test_routed_reads_are_strictly_typed(tmp_path: Path) -> None:
    schema = load_schema_text(routed_spec(), "tests/routes.toml")
    routed = [t for t in schema.tables if t.cache or t.replica]
    assert len(routed) >= 40
    render(schema, "routes", sources=["tests/routes.toml"]).write(tmp_path / "routes")
    for module in ("sync.py", "aio.py"):
        text = (tmp_path / "routes" / module).read_text()
        assert text.count("self._rt.read(") >= 200
        assert '_r_find_all_active = _rt.Route("Doc", 0.25, True, True)' in text
        assert "def verify_pw(" in text and "def verify_pin(" in text
    assert (tmp_path / "routes" / "_crypto.py").is_file()
    check_clean(tmp_path, ["routes"])
