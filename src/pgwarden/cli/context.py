"""The options every command shares, and the :class:`Context` that resolves them.

``--database-url``, ``--schema``, ``--pg-schema``, ``--dir``, ``--state-dir``,
``--env`` and ``--quiet`` are accepted by the group *and* by each subcommand that
uses them (``pgwarden -u URL migrate apply`` and ``pgwarden migrate apply -u URL``
are the same); given in both places, the subcommand's value wins. One decorator,
:func:`shared_options`, declares them everywhere, so their help reads the same.

A value comes, first found: the command line; the ``--env`` environment
(``[tool.pgwarden.env.NAME]``); ``DATABASE_URL``; the project's ``[tool.pgwarden]``;
the default. Paths from the project are relative to its root.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import click

from pgwarden.cli.project import Environment, Project, ProjectError, find_project

F = TypeVar("F", bound=Callable[..., Any])

_META = "pgwarden.options"
ENV_VARIABLE = "PGWARDEN_ENV"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Record an option given on the command line; later (inner) commands overwrite."""
    if value is None or value == () or value is False:
        return value
    assert param.name is not None
    ctx.meta.setdefault(_META, {})[param.name] = value
    return value


_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "database_url": (
        ("--database-url", "-u", "database_url"),
        {
            "metavar": "URL",
            "help": "PostgreSQL URL (default: --env's url, then DATABASE_URL, then the "
            "embedded server in --state-dir).",
        },
    ),
    "schema": (
        ("--schema", "schema_dir"),
        {
            "type": click.Path(path_type=Path),
            "metavar": "DIR",
            "help": "Spec directory or file (default: [tool.pgwarden] schema, 'schema').",
        },
    ),
    "pg_schema": (
        ("--pg-schema", "pg_schema"),
        {
            "multiple": True,
            "metavar": "NAME",
            "help": "Postgres namespace pgwarden governs; repeatable (default: "
            "[tool.pgwarden] pg_schema, 'public').",
        },
    ),
    "dir": (
        ("--dir", "migrations_dir"),
        {
            "type": click.Path(path_type=Path),
            "metavar": "DIR",
            "help": "Migrations directory (default: [tool.pgwarden] migrations, 'migrations').",
        },
    ),
    "state_dir": (
        ("--state-dir", "state_dir"),
        {
            "type": click.Path(path_type=Path),
            "metavar": "DIR",
            "help": "Where the embedded server keeps its data (default: .pgwarden/ in the "
            "project).",
        },
    ),
    "env": (
        ("--env", "env_name"),
        {
            "metavar": "NAME",
            "help": f"Use [tool.pgwarden.env.NAME] (url, pg_schema); default ${ENV_VARIABLE}.",
        },
    ),
    "quiet": (
        ("--quiet", "-q", "quiet"),
        {"is_flag": True, "default": None, "help": "No progress display."},
    ),
}
ALL = tuple(_OPTIONS)
DATABASE = ("database_url", "pg_schema", "state_dir", "env")
"""What a command that connects to a database takes."""


def shared_options(*names: str) -> Callable[[F], F]:
    """Declare the shared options ``names`` (default: all) on a command or group."""
    chosen = names or ALL
    unknown = set(chosen) - set(_OPTIONS)
    assert not unknown, unknown

    def decorate(f: F) -> F:
        for name in reversed([n for n in ALL if n in chosen]):
            decls, attrs = _OPTIONS[name]
            f = click.option(*decls, expose_value=False, callback=_remember, **attrs)(f)
        return f

    return decorate


def examples(*lines: str) -> str:
    """A help epilog listing real invocations, printed as written (click's ``\\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def shown_path(path: Path) -> Path:
    """A path as the user reads it: relative when it lies under the working directory."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


class Context:
    """The shared options of one invocation, resolved on first use."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options  # shared with click's meta: filled while parsing

    def _given(self, name: str) -> Any:
        return self._options.get(name)

    @cached_property
    def project(self) -> Project | None:
        """The pyproject.toml with ``[tool.pgwarden]`` at or above the working directory."""
        return find_project()

    def require_project(self, what: str, option: str) -> Project:
        """The project, or a :class:`ProjectError` naming the option that replaces it."""
        if self.project is None:
            raise ProjectError(
                f"no pgwarden project here: no pyproject.toml with [tool.pgwarden] in "
                f"{Path.cwd()} or above, so there is no {what}\n"
                f"  fix: cd into your project, run `pgwarden init` to start one, or pass {option}"
            )
        return self.project

    @property
    def quiet(self) -> bool:
        """``--quiet`` was given (before or after the subcommand)."""
        return bool(self._given("quiet"))

    @property
    def schema_dir(self) -> Path:
        """The spec directory: ``--schema``, else the project's."""
        given = self._given("schema_dir")
        if given is not None:
            return Path(given)
        return shown_path(self.require_project("spec", "--schema DIR").schema)

    @property
    def migrations_dir(self) -> Path:
        """The migrations directory: ``--dir``, else the project's."""
        given = self._given("migrations_dir")
        if given is not None:
            return Path(given)
        return shown_path(self.require_project("migrations directory", "--dir DIR").migrations)

    @property
    def state_dir(self) -> Path:
        """Where the embedded server lives: ``--state-dir``, else the project's state directory."""
        given = self._given("state_dir")
        if given is not None:
            return Path(given)
        project = self.require_project(
            "place for the embedded server", "--database-url URL (or --state-dir DIR)"
        )
        return shown_path(project.state_dir)

    @cached_property
    def env(self) -> Environment | None:
        """The ``--env`` environment (or ``$PGWARDEN_ENV``'s), None when neither names one."""
        name = self._given("env_name") or os.environ.get(ENV_VARIABLE) or None
        if name is None:
            return None
        project = self.require_project(f"environment {name!r}", "--database-url URL")
        if name not in project.envs:
            known = ", ".join(sorted(project.envs)) or "none"
            raise ProjectError(
                f"{project.pyproject}: no [tool.pgwarden.env.{name}] (environments: {known})\n"
                f'  fix: add [tool.pgwarden.env.{name}] with url = "env:DATABASE_URL"'
            )
        return project.envs[name]

    @property
    def pg_schemas(self) -> tuple[str, ...]:
        """Every namespace given (``--pg-schema`` repeated), else the env's / project's."""
        given: tuple[str, ...] | None = self._given("pg_schema")
        if given:
            return tuple(given)
        if self.env is not None and self.env.pg_schema:
            return self.env.pg_schema
        return self.project.pg_schema if self.project is not None else ("public",)

    @property
    def pg_schema(self) -> str:
        """The one namespace of a command that governs one."""
        schemas = self.pg_schemas
        if len(schemas) > 1:
            raise ProjectError(
                f"this command governs one namespace, got {len(schemas)}: {', '.join(schemas)}\n"
                "  fix: pass a single --pg-schema NAME"
            )
        return schemas[0]

    @property
    def database_url(self) -> str | None:
        """The URL given (option, env, ``DATABASE_URL``), checked; None: the embedded one."""
        url: str | None = self._given("database_url")
        if url is None and self.env is not None:
            url = self.env.database_url()
        if url is None:
            url = os.environ.get("DATABASE_URL") or None
        if url is not None:
            from pgwarden.db import parse_url

            parse_url(url)  # a malformed URL fails here, masked, before anything starts
        return url

    def url(self) -> str:
        """The database URL, starting the embedded server when none was given."""
        url = self.database_url
        if url is not None:
            return url
        from pgwarden.db import embedded_start

        return embedded_start(self.state_dir)


pass_ctx = click.make_pass_decorator(Context)


def new_context(ctx: click.Context) -> Context:
    """The :class:`Context` of a click invocation (options recorded in its meta)."""
    options: dict[str, Any] = ctx.meta.setdefault(_META, {})
    return Context(options)
