"""pgwarden roundtrip / inspect against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pgwarden.apply.canonical import canonicalize
from pgwarden.cli import cli
from pgwarden.errors import DatabaseError
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema, load_schema_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "schema"


def _with_password(url: str) -> str:
    # trust authentication ignores the password, so it can be any secret to hunt for
    return psycopg.conninfo.make_conninfo(url, password="s3cret-pw")


def _scratch_dbs(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\\_roundtrip\\_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_roundtrip_basefly_matches(pg_server: str) -> None:
    before = _scratch_dbs(pg_server)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pgwarden",
            "--database-url",
            _with_password(pg_server),
            "roundtrip",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "schema/ matches the database: 6 tables, 2 enums\n"
    assert "s3cret" not in result.stdout + result.stderr
    assert _scratch_dbs(pg_server) <= before  # the scratch database is gone


def test_roundtrip_reports_differences_and_exits_1(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.toml").write_text(
        """
[tables.Item.columns]
id = { type = "integer", identity = "by default", primary_key = true }
name = { type = "text", default = "x" }

[[tables.Item.indexes]]
columns = ["name"]
"""
    )
    import pgwarden.cli.inspect_cmds as inspect_cmds

    real = inspect_cmds.render_schema

    def forgetful(schema):  # type: ignore[no-untyped-def]
        # a renderer that loses the index and the default: the diff must say so
        ddl = real(schema)
        return ddl + '\nDROP INDEX "Item_name_idx";\nALTER TABLE "Item" ALTER name DROP DEFAULT;\n'

    monkeypatch.setattr(inspect_cmds, "render_schema", forgetful)
    result = CliRunner().invoke(
        cli, ["--schema", str(tmp_path), "--database-url", _with_password(pg_server), "roundtrip"]
    )
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        f"{tmp_path}/ does not match the database (2 differences):",
        "table Item.column name: default: spec \"'x'\" vs database NULL",
        "table Item.index Item_name_idx: only in the spec",
    ]
    assert "s3cret" not in result.output


def test_roundtrip_bad_spec_exits_2_without_traceback(pg_server: str, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[tables.T.columns]\nid = { type = "integr" }\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pgwarden",
            "--schema",
            str(tmp_path),
            "--database-url",
            pg_server,
            "roundtrip",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "Traceback" not in result.stderr


def test_inspect_missing_namespace_is_an_error(database_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["--database-url", _with_password(database_url), "--pg-schema", "nope", "inspect"]
    )
    assert isinstance(result.exception, DatabaseError)  # main() prints it, exit 2
    assert "schema 'nope' does not exist" in str(result.exception)
    assert "s3cret" not in str(result.exception)


def test_inspect_output_loads_back_equal(database_url: str, tmp_path: Path) -> None:
    spec = load_schema(SCHEMA)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render_schema(spec))
        db = inspect_schema(conn)
        url = _with_password(database_url)
        printed = CliRunner().invoke(cli, ["--database-url", url, "inspect"])
        assert printed.exit_code == 0, printed.output
        out = tmp_path / "new-dir" / "live.toml"  # a directory that does not exist yet
        written = CliRunner().invoke(cli, ["--database-url", url, "inspect", "-o", str(out)])
        assert written.exit_code == 0, written.output
        assert out.read_text() == printed.output
        assert "s3cret" not in printed.output + written.output
        loaded = load_schema_text(printed.output, "live.toml")
        assert loaded.table("K8sClusterConfig") is not None
        back = canonicalize(loaded, conn)
    assert format_diff(schema_diff(db, back), "database", "inspect output") == ""
    assert back == db
    # and the database is the Basefly spec
    assert len(db.tables) == 6


def test_inspect_writes_cast_literal_defaults_as_literals(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render_schema(load_schema(SCHEMA)))
        db = inspect_schema(conn)
        printed = CliRunner().invoke(cli, ["--database-url", database_url, "inspect"])
        assert printed.exit_code == 0, printed.output
        # Postgres stores 'FREE'::"SubscriptionPlan"; the spec a person reads says FREE
        assert 'plan = { type = "SubscriptionPlan", nullable = true, default = "FREE" }' in (
            printed.output
        )
        assert "CAST(" not in printed.output and "::" not in printed.output
        assert canonicalize(load_schema_text(printed.output, "live.toml"), conn) == db
