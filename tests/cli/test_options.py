"""Shared options before or after the subcommand (the subcommand's wins), every --help
with its options and examples, and environments from [tool.pgwarden.env.NAME]."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pgwarden.cli import cli
from pgwarden.cli.context import Context, pass_ctx, shared_options
from tests.cli.helpers import run_main

DEAD = "postgresql://nobody@127.0.0.1:1/nowhere"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert run_main("init", cwd=tmp_path).code == 0
    return tmp_path


def test_database_url_works_after_the_subcommand(project: Path, database_url: str) -> None:
    for args in (
        ["inspect", "--database-url", database_url],
        ["inspect", "-u", database_url],
        ["-u", database_url, "inspect"],
        ["migrate", "status", "--database-url", database_url],
        ["migrate", "apply", "-u", database_url, "--dir", "migrations"],
        ["--dir", "nowhere", "migrate", "--dir", "elsewhere", "status", "--dir", "migrations",
         "-u", database_url],
    ):  # fmt: skip
        done = run_main(*args, cwd=project)
        assert done.code == 0, (args, done.output)
        assert "No such option" not in done.output


def test_the_subcommands_value_wins(project: Path, database_url: str) -> None:
    good = run_main("-u", DEAD, "migrate", "status", "-u", database_url, cwd=project)
    assert good.code == 0, good.output
    bad = run_main("-u", database_url, "migrate", "status", "-u", DEAD, cwd=project)
    assert bad.code == 2 and "127.0.0.1:1" in bad.err, bad.output
    # and DATABASE_URL yields to either placement
    env = {"DATABASE_URL": DEAD}
    assert run_main("inspect", "-u", database_url, cwd=project, env=env).code == 0
    assert run_main("-u", database_url, "inspect", cwd=project, env=env).code == 0


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # lazy commands too (group.LAZY)
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            out += _commands(command, (*path, name))
        else:
            out.append((*path, name))
    return out


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "pgwarden")
def test_every_help_ends_with_real_examples(path: tuple[str, ...]) -> None:
    done = CliRunner().invoke(cli, [*path, "--help"])
    assert done.exit_code == 0, done.output
    lines = [line.strip() for line in done.output.rstrip().splitlines()]
    start = lines.index("Examples:")
    examples = lines[start + 1 :]
    assert 2 <= len(examples) <= 3, examples
    for example in examples:
        assert example.split("pgwarden ", 1)[-1] != example, example
        assert f"pgwarden {' '.join(path)}".strip() in example or not path, (path, example)


@pytest.mark.parametrize(
    ("path", "options"),
    [
        (("migrate", "apply"), ["--database-url", "--pg-schema", "--dir", "--state-dir", "--env"]),
        (("migrate", "verify"), ["--database-url", "--schema", "--pg-schema", "--env"]),
        (("inspect",), ["--database-url", "-u", "--pg-schema", "--state-dir", "--env"]),
        (("validate",), ["--schema"]),
        (("lint",), ["--schema", "--dir"]),
        (("db", "url"), ["--database-url", "--state-dir", "--env", "--start"]),
        ((), ["--database-url", "--schema", "--pg-schema", "--dir", "--state-dir", "--env"]),
    ],
)
def test_subcommand_help_shows_the_shared_options(
    path: tuple[str, ...], options: list[str]
) -> None:
    text = CliRunner().invoke(cli, [*path, "--help"]).output
    for option in options:
        assert f"{option} " in text or f"{option}," in text, (path, option)


def test_pg_schema_is_repeatable_and_reaches_the_command_as_a_tuple(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @click.group()
    @shared_options()
    @click.pass_context
    def group(ctx: click.Context) -> None:
        from pgwarden.cli.context import new_context

        ctx.obj = new_context(ctx)

    @group.command()
    @shared_options("pg_schema")
    @pass_ctx
    def show(ctx: Context) -> None:
        click.echo(repr(ctx.pg_schemas))

    def shown(*args: str) -> str:
        done = CliRunner().invoke(group, list(args))
        assert done.exit_code == 0, done.output
        return done.output.strip()

    assert shown("--pg-schema", "x", "show", "--pg-schema", "a", "--pg-schema", "b") == (
        "('a', 'b')"
    )
    assert shown("--pg-schema", "x", "--pg-schema", "y", "show") == "('x', 'y')"
    monkeypatch.chdir(tmp_path)  # outside any project: the default namespace
    assert shown("show") == "('public',)"
    # a command that governs one namespace says so
    one = run_main(
        "init",
        "new",
        "--from-database",
        DEAD,
        "--pg-schema",
        "a",
        "--pg-schema",
        "b",
        cwd=tmp_path,
    )
    assert one.code == 2 and "governs one namespace, got 2: a, b" in one.err


def _with_envs(project: Path, body: str) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + body)


def test_env_names_a_variable_and_never_a_password(project: Path, database_url: str) -> None:
    _with_envs(project, '\n[tool.pgwarden.env.ci]\nurl = "env:CI_DB_URL"\npg_schema = "public"\n')
    ok = run_main("--env", "ci", "migrate", "status", cwd=project, env={"CI_DB_URL": database_url})
    assert ok.code == 0, ok.output
    after = run_main("inspect", "--env", "ci", cwd=project, env={"CI_DB_URL": database_url})
    assert after.code == 0 and "[tables.Account" not in after.out
    by_variable = run_main("migrate", "status", cwd=project, env={
        "PGWARDEN_ENV": "ci", "CI_DB_URL": database_url})  # fmt: skip
    assert by_variable.code == 0, by_variable.output
    unset = run_main("inspect", "--env", "ci", cwd=project)
    assert unset.code == 2 and "reads $CI_DB_URL, which is not set" in unset.err
    unknown = run_main("inspect", "--env", "prod", cwd=project)
    assert (
        unknown.code == 2 and "no [tool.pgwarden.env.prod] (environments: ci, dev)" in unknown.err
    )
    # an explicit URL still beats the environment's
    assert run_main("inspect", "--env", "ci", "-u", database_url, cwd=project).code == 0
    _with_envs(project, '\n[tool.pgwarden.env.leak]\nurl = "postgresql://app:Hunter22@db/app"\n')
    leak = run_main("inspect", "--env", "ci", cwd=project, env={"CI_DB_URL": database_url})
    assert leak.code == 2 and "holds a password" in leak.err
    assert "Hunter22" not in leak.output
