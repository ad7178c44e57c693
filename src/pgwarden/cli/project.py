"""Project discovery and environments: where the spec, migrations and server live.

Like ruff and pytest, pgwarden finds its project by walking up from the working
directory to the first ``pyproject.toml`` that has a ``[tool.pgwarden]`` table;
every path in that table is relative to the directory holding it::

    [tool.pgwarden]
    schema = "schema"            # the spec directory (default)
    migrations = "migrations"    # the migrations directory (default)
    state_dir = ".pgwarden"      # the embedded server's data (default)
    pg_schema = "public"         # the governed namespace, or a list of them

    [tool.pgwarden.env.staging]
    url = "env:STAGING_DATABASE_URL"   # names a variable: secrets are never stored here
    pg_schema = "app"

Only the standard library here: every command pays for this module.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgwarden.errors import PgwardenError

PYPROJECT = "pyproject.toml"
DEFAULTS = {"schema": "schema", "migrations": "migrations", "state_dir": ".pgwarden"}


class ProjectError(PgwardenError):
    """No project where one is needed, or a bad ``[tool.pgwarden]`` table (exit 2)."""


@dataclass(frozen=True, slots=True)
class Environment:
    """``[tool.pgwarden.env.NAME]``: where one deployment's database is."""

    name: str
    url: str | None = None
    """A URL without a password, or ``env:VARIABLE``."""
    pg_schema: tuple[str, ...] = ()
    source: str = PYPROJECT

    def database_url(self) -> str | None:
        """The URL, read from the environment variable the table names."""
        if self.url is None:
            return None
        if not self.url.startswith("env:"):
            return self.url
        variable = self.url[4:]
        value = os.environ.get(variable)
        if not value:
            raise ProjectError(
                f"{self.source}: [tool.pgwarden.env.{self.name}] url reads ${variable}, "
                "which is not set\n"
                f"  fix: export {variable}=postgresql://..., or pass --database-url"
            )
        return value


@dataclass(frozen=True, slots=True)
class Project:
    """A pgwarden project: its root and the ``[tool.pgwarden]`` settings, paths resolved."""

    root: Path
    pyproject: Path
    schema: Path
    migrations: Path
    state_dir: Path
    pg_schema: tuple[str, ...] = ("public",)
    envs: dict[str, Environment] = field(default_factory=dict)
    table: dict[str, Any] = field(default_factory=dict)
    """The raw ``[tool.pgwarden]`` table (sub-tables: generate, docs, lint, ...)."""


def read_pyproject(path: Path) -> dict[str, Any]:
    """A pyproject.toml as a dict (unreadable or malformed: a :class:`ProjectError`)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: cannot read: {exc}\n  fix: save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{path}: {exc}\n  fix: correct the TOML syntax") from None


def _tool_table(path: Path) -> dict[str, Any] | None:
    table = read_pyproject(path).get("tool", {}).get("pgwarden")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ProjectError(f"{path}: tool.pgwarden must be a table\n  fix: write [tool.pgwarden]")
    return table


def find_project(start: Path | None = None) -> Project | None:
    """The project of ``start`` (default: the working directory), or None outside any."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / PYPROJECT
        if candidate.is_file():
            table = _tool_table(candidate)
            if table is not None:
                return _project(candidate, table)
    return None


def _schemas(value: Any, where: str, path: Path) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ProjectError(
            f'{path}: {where} pg_schema must be a name or a list of names\n  fix: pg_schema = "app"'
        )
    return tuple(names)


def _project(pyproject: Path, table: dict[str, Any]) -> Project:
    root = pyproject.parent
    paths: dict[str, Path] = {}
    for key, default in DEFAULTS.items():
        value = table.get(key, default)
        if not isinstance(value, str):
            raise ProjectError(
                f'{pyproject}: [tool.pgwarden] {key} must be a path\n  fix: {key} = "{default}"'
            )
        paths[key] = root / value
    pg_schema = _schemas(table.get("pg_schema", "public"), "[tool.pgwarden]", pyproject)
    raw_envs = table.get("env", {})
    if not isinstance(raw_envs, dict) or not all(isinstance(v, dict) for v in raw_envs.values()):
        raise ProjectError(
            f"{pyproject}: [tool.pgwarden.env] must hold one table per environment\n"
            '  fix: [tool.pgwarden.env.staging] with url = "env:STAGING_DATABASE_URL"'
        )
    envs = {name: _environment(name, raw, pyproject) for name, raw in raw_envs.items()}
    return Project(root, pyproject, pg_schema=pg_schema, envs=envs, table=table, **paths)


def _environment(name: str, raw: dict[str, Any], pyproject: Path) -> Environment:
    where = f"[tool.pgwarden.env.{name}]"
    unknown = sorted(set(raw) - {"url", "pg_schema"})
    if unknown:
        raise ProjectError(
            f"{pyproject}: {where} {unknown[0]}: unknown key\n  fix: use url and pg_schema"
        )
    url = raw.get("url")
    if url is not None and not isinstance(url, str):
        raise ProjectError(
            f'{pyproject}: {where} url must be a string\n  fix: url = "env:DATABASE_URL"'
        )
    if url is not None and not url.startswith("env:"):
        from pgwarden.db import has_password

        if has_password(url):
            raise ProjectError(
                f"{pyproject}: {where} url holds a password, and pyproject.toml is committed\n"
                f'  fix: url = "env:{name.upper()}_DATABASE_URL" and export that variable'
            )
    schemas = _schemas(raw["pg_schema"], where, pyproject) if "pg_schema" in raw else ()
    return Environment(name, url, schemas, str(pyproject))
