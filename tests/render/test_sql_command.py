"""``pgwarden sql`` on the Basefly spec: the output creates the schema in a real database."""

from __future__ import annotations

from pathlib import Path

import psycopg
from click.testing import CliRunner

from pgwarden.apply.canonical import canonicalize
from pgwarden.cli import cli
from pgwarden.introspect import inspect_schema
from pgwarden.spec.load import load_schema

SCHEMA = Path(__file__).resolve().parents[2] / "schema"


def test_sql_prints_ddl_that_creates_the_spec(database_url: str) -> None:
    result = CliRunner().invoke(cli, ["--schema", str(SCHEMA), "sql"])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(cli, ["--schema", str(SCHEMA), "sql"])
    assert again.output == result.output
    with psycopg.connect(database_url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(result.output)  # the command's output is the unit under test
        spec = load_schema(SCHEMA)
        assert inspect_schema(conn) == canonicalize(spec, conn)


def test_sql_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.sql"
    result = CliRunner().invoke(cli, ["--schema", str(SCHEMA), "sql", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("CREATE TYPE")


def test_sql_reports_a_bad_spec(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[tables.T.columns]\nid = { type = "nope(" }\n')
    result = CliRunner().invoke(cli, ["--schema", str(tmp_path), "sql"])
    assert result.exit_code != 0
    assert "bad.toml" in str(result.exception) or "bad.toml" in result.output


def test_steps_carry_their_timeouts_and_a_file_form() -> None:
    from pgwarden.planner import PlanOptions, plan
    from pgwarden.render.sql import render_plan
    from tests.render.samples import basefly

    before = basefly()
    after = load_schema(SCHEMA)
    opts = PlanOptions(lock_timeout="2s", statement_timeout="1min", allow_destructive=True)
    steps = render_plan(plan(before, after, opts), opts)
    assert steps
    for step in steps:
        expected = "'1min'" if step.atomic else "'0'"
        assert step.settings == ("SET lock_timeout = '2s'", f"SET statement_timeout = {expected}")
        assert step.script == f"{step.settings[0]};\n{step.settings[1]};\n{step.sql};\n"
        assert not step.sql.endswith(";")
