"""Project discovery (walk up to [tool.pgwarden]), the no-project error, `pgwarden init`,
and `db url` that starts nothing unless asked."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pgwarden.apply.shadow import SHADOW_ENV
from tests.cli.helpers import run_main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [
        ["migrate", "apply"],
        ["migrate", "status"],
        ["migrate", "down"],
        ["migrate", "verify"],
        ["migrate", "new", "x"],
        ["validate"],
        ["sql"],
        ["roundtrip"],
        ["generate"],
        ["inspect"],
        ["db", "start"],
        ["db", "url"],
    ],
)
def test_outside_a_project_commands_say_so_and_start_no_server(
    tmp_path: Path, args: list[str]
) -> None:
    done = run_main(*args, cwd=tmp_path)
    assert done.code == 2, done.output
    assert "no pgwarden project here" in done.err or "no output directory" in done.err
    assert "fix:" in done.err and "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == []  # no .pgwarden/, nothing written


def test_init_on_an_empty_directory_makes_a_working_project(tmp_path: Path, pg_server: str) -> None:
    done = run_main("init", cwd=tmp_path)
    assert done.code == 0, done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "pyproject.toml", "schema"]
    table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["pgwarden"]
    package = f"{tmp_path.name.replace('-', '_').lower()}_db"
    assert table["generate"] == {"output": f"generated/{package}", "package": package}
    assert table["env"]["dev"] == {"url": "env:DATABASE_URL"}
    assert ".pgwarden/" in (tmp_path / ".gitignore").read_text().splitlines()
    spec = (tmp_path / "schema" / "app.toml").read_text()
    assert spec.startswith("# pgwarden spec") and spec.count("\n#") >= 3  # commented
    assert run_main("validate", cwd=tmp_path).code == 0
    lint = run_main("lint", cwd=tmp_path)
    assert lint.code == 0 and "0 at error severity" in lint.err, lint.output
    generated = run_main("generate", cwd=tmp_path)
    assert generated.code == 0 and (tmp_path / "generated" / package / "sync.py").exists()
    migration = run_main("migrate", "new", "initial", cwd=tmp_path, env={SHADOW_ENV: pg_server})
    assert migration.code == 0 and (tmp_path / "migrations" / "0001_initial").is_dir()
    # a second init overwrites nothing
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = run_main("init", cwd=tmp_path)
    assert again.code == 1 and "overwrites nothing" in again.err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


EXISTING = """\
# my project, hand-formatted
[tool.black]
line-length = 88

[project]
name = "shop"   # the name
version = "1.0"
dependencies = [
    "flask",  # web
]

[tool.ruff]
line-length = 88
"""


@pytest.mark.parametrize("tool_table", [True, False])
def test_init_extends_an_existing_pyproject_without_clobbering(
    tmp_path: Path, tool_table: bool
) -> None:
    text = EXISTING if tool_table else EXISTING.split("[tool.ruff]")[0].rstrip("\n")
    (tmp_path / "pyproject.toml").write_text(text)
    (tmp_path / ".gitignore").write_text("node_modules\n*.pyc")
    done = run_main("init", cwd=tmp_path)
    assert done.code == 0, done.output
    assert "extended" in done.out
    new = (tmp_path / "pyproject.toml").read_text()
    assert new.startswith(text)  # every byte kept, comments and spacing included
    data = tomllib.loads(new)
    assert data["project"]["name"] == "shop" and data["tool"]["pgwarden"]["schema"] == "schema"
    assert (tmp_path / ".gitignore").read_text().startswith("node_modules\n*.pyc\n")
    assert run_main("validate", cwd=tmp_path).code == 0
    # [tool.pgwarden] present: refused, nothing changed
    (tmp_path / "schema" / "app.toml").unlink()
    refused = run_main("init", cwd=tmp_path)
    assert refused.code == 1 and "already has [tool.pgwarden]" in refused.err
    assert (tmp_path / "pyproject.toml").read_text() == new
    assert not (tmp_path / "schema" / "app.toml").exists()


def test_init_from_prisma(tmp_path: Path) -> None:
    prisma = ROOT / "tests" / "fixtures" / "saasfly_before" / "schema.prisma"
    done = run_main("init", "--from-prisma", str(prisma), cwd=tmp_path)
    assert done.code == 0, done.output
    assert "[tables.K8sClusterConfig" in (tmp_path / "schema" / "schema.toml").read_text()
    assert "warning:" in done.err  # the importer's warnings are shown
    assert run_main("validate", cwd=tmp_path).code == 0


def test_init_from_database(tmp_path: Path, database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('CREATE TABLE "Shop" ("id" bigint PRIMARY KEY, "name" text NOT NULL)')
    done = run_main("init", "--from-database", database_url, "--name", "live", cwd=tmp_path)
    assert done.code == 0, done.output
    assert "[tables.Shop" in (tmp_path / "schema" / "live.toml").read_text()
    assert "migrate baseline" in done.out
    verify = run_main("migrate", "verify", "-u", database_url, cwd=tmp_path)
    assert verify.code == 0, verify.output


def test_discovery_from_a_subdirectory_uses_the_project_root(
    tmp_path: Path, pg_server: str
) -> None:
    assert run_main("init", cwd=tmp_path).code == 0
    deep = tmp_path / "src" / "app" / "deep"
    deep.mkdir(parents=True)
    valid = run_main("validate", cwd=deep)
    assert valid.code == 0 and f"{tmp_path / 'schema'}: valid" in valid.out, valid.output
    assert run_main("migrate", "new", "initial", cwd=deep, env={SHADOW_ENV: pg_server}).code == 0
    assert (tmp_path / "migrations" / "0001_initial" / "up.sql").exists()
    assert not (deep / "migrations").exists()
    # a pyproject.toml without [tool.pgwarden] in between is not the project (like ruff)
    (tmp_path / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert run_main("validate", cwd=deep).code == 0
    # paths in [tool.pgwarden] are relative to the project root
    (tmp_path / "schema").rename(tmp_path / "spec")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('schema = "schema"', 'schema = "spec"'))
    moved = run_main("validate", cwd=deep)
    assert moved.code == 0 and f"{tmp_path / 'spec'}: valid" in moved.out, moved.output
    # shown relative to the working directory when under it
    assert run_main("validate", cwd=tmp_path).out.startswith("spec: valid")


def test_db_url_starts_nothing_unless_asked(tmp_path: Path) -> None:
    assert run_main("init", cwd=tmp_path).code == 0
    done = run_main("db", "url", cwd=tmp_path)
    assert done.code == 1 and "not running" in done.err and "--start" in done.err
    assert not (tmp_path / ".pgwarden").exists()
    given = run_main("db", "url", "-u", "postgresql://app:Sekr1tpw@db.internal/app", cwd=tmp_path)
    assert given.code == 0 and given.out.strip() == "postgresql://app:***@db.internal/app"


def test_init_places_the_table_inside_an_inline_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "# keep me\ntool = { black = { line-length = 88 } }  # inline\n"
    )
    assert run_main("init", cwd=tmp_path).code == 0
    new = (tmp_path / "pyproject.toml").read_text()
    assert new.startswith("# keep me\n")
    data = tomllib.loads(new)
    assert data["tool"]["black"] == {"line-length": 88} and "pgwarden" in data["tool"]
