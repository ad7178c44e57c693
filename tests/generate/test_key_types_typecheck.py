"""Generated code is ``mypy --strict`` and ruff clean whatever type its keys have:
every column type as a single primary key, in a composite key and as a unique
lookup key (deterministic), then random specs (hypothesis), each package checked by
the real tools. mypy and ruff come with the ``test`` extra: a missing tool fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from pgwarden.generators.accessors import GenerateError
from pgwarden.generators.engine import render
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.strategies import schemas

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"  # the project's rule set

KEY_TYPES = [
    "text", "varchar(20)", "char(3)", "smallint", "integer", "bigint", "numeric(10,2)",
    "numeric", "real", "double precision", "boolean", "uuid", "date", "time", "timetz",
    "timestamp", "timestamptz(3)", "interval", "jsonb", "bytea", "inet", "cidr", "Color",
]  # fmt: skip


def key_spec() -> str:
    parts = ['[enums.Color]\nvalues = ["red", "green"]\n']
    for i, t in enumerate(KEY_TYPES):
        parts.append(
            f"""
[tables.Single{i}.columns]
id   = {{ type = "{t}", primary_key = true }}
alt  = {{ type = "{t}", unique = true }}
note = {{ type = "text", nullable = true }}

[tables.Pair{i}]
primary_key = {{ columns = ["a", "b"] }}

[tables.Pair{i}.columns]
a = {{ type = "{t}" }}
b = {{ type = "bigint" }}
c = {{ type = "uuid" }}
"""
        )
    return "".join(parts)


def check_clean(root: Path, names: list[str]) -> None:
    """mypy --strict and ruff (check with this project's rule set, format --check) over
    the packages, as the user runs them: hostile names (wide characters, long names,
    ``O``) included."""
    dirs = [str(root / n) for n in names]
    for args in (["check"], ["format", "--check"]):
        cmd = [sys.executable, "-m", "ruff", *args, "--no-cache", "--config", str(PYPROJECT), *dirs]
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *dirs],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr


def test_every_column_type_as_a_key_is_strictly_typed(tmp_path: Path) -> None:
    schema = load_schema_text(key_spec(), "tests/keys.toml")
    render(schema, "keys", sources=["tests/keys.toml"]).write(tmp_path / "keys")
    for module in ("sync.py", "aio.py"):
        text = (tmp_path / "keys" / module).read_text()
        assert "import uuid as _uuid" in text and "import datetime as _dt" in text
    check_clean(tmp_path, ["keys"])


@pytest.mark.slow
def test_random_specs_generate_strictly_typed_packages(tmp_path: Path) -> None:
    names: list[str] = []

    @settings(max_examples=12, deadline=None)
    @given(schema=schemas(max_tables=4), key=st.sampled_from(["uuid", "text", "bigint"]))
    def draw(schema: Schema, key: str) -> None:
        name = f"rand{len(names)}"
        # one more table keyed by the drawn type, so every run has such a key
        extra = load_schema_text(
            f'[tables.Keyed_{name}.columns]\nid = {{ type = "{key}", primary_key = true }}\n',
            "tests/extra.toml",
        )
        from dataclasses import replace

        schema = replace(schema, tables=(*schema.tables, *extra.tables))
        try:
            generated = render(schema, name, sources=["tests/random.toml"])
        except GenerateError as exc:
            if "both become the Python name" in str(exc) or "cycle" in str(exc):
                reject()
            raise
        generated.write(tmp_path / name)
        names.append(name)

    draw()
    assert len(names) >= 6
    check_clean(tmp_path, names)
