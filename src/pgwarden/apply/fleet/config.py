"""``[tool.pgwarden.fleet]`` in pyproject.toml: where the targets are, and rollout defaults.

```toml
[tool.pgwarden.fleet]
targets = ["env:EU_DATABASE_URL", "postgresql://app@db-us/app"]   # a fixed list, or
query = "SELECT url FROM tenants WHERE active"   # run on `control` (default: --database-url), or
schemas = "tenant_%"                             # schema-per-tenant on `database`
parallel = 8
canary = 1
max_failures = 1
```
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgwarden import textfile
from pgwarden.apply.fleet.targets import TargetError

_SOURCES = ("targets", "query", "schemas")
_STRINGS = ("query", "schemas", "control", "database")
_COUNTS = ("parallel", "canary", "max_failures", "connect_timeout")
_MINIMUM = {"parallel": 1, "connect_timeout": 1}
KEYS = (*_SOURCES, "control", "database", *_COUNTS)


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """``[tool.pgwarden.fleet]``: where the targets come from (a file, a query on a control
    database, or tenant schemas) and how the rollout proceeds."""

    file: str
    targets: tuple[str, ...] | None = None
    query: str | None = None
    control: str | None = None
    """URL or env:VAR of the database ``query`` runs on (default: --database-url)."""
    schemas: str | None = None
    database: str | None = None
    """URL or env:VAR of the schema-per-tenant database (default: --database-url)."""
    parallel: int | None = None
    canary: int | None = None
    max_failures: int | None = None
    connect_timeout: int | None = None


def load_fleet_config(pyproject: Path | None) -> FleetConfig | None:
    """The section, or None when the project has none."""
    if pyproject is None or not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(textfile.read_text(pyproject))
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"{pyproject}: not valid TOML: {exc}") from None
    section = data.get("tool", {}).get("pgwarden", {}).get("fleet")
    if section is None:
        return None
    where = f"{pyproject}: [tool.pgwarden.fleet]"
    if not isinstance(section, dict):
        raise TargetError(f"{where} must be a table")
    return _decode(section, where, str(pyproject))


def _decode(section: dict[str, Any], where: str, file: str) -> FleetConfig:
    problems: list[str] = []
    for key in section:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(KEYS)})"
            problems.append(f"unknown key {key!r}{hint}")
    given = [k for k in _SOURCES if k in section]
    if len(given) != 1:
        problems.append(
            "set exactly one of targets / query / schemas"
            + (f" (found {', '.join(given)})" if given else "")
        )
    targets = section.get("targets")
    if targets is not None and (
        not isinstance(targets, list) or not all(isinstance(t, str) for t in targets)
    ):
        problems.append("targets must be a list of URL or env:VAR strings")
    for key in _STRINGS:
        value = section.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{key} must be a non-empty string")
    for key in _COUNTS:
        value = section.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"{key} must be an integer")
        elif isinstance(value, int) and value < (
            1 if key in ("parallel", "connect_timeout") else 0
        ):
            problems.append(
                f"{key} must be >= {1 if key in ('parallel', 'connect_timeout') else 0}"
            )
    if "control" in section and "query" not in section:
        problems.append("control is only used with query")
    if "database" in section and "schemas" not in section:
        problems.append("database is only used with schemas")
    if problems:
        raise TargetError(f"{where}:\n  " + "\n  ".join(problems))
    return FleetConfig(
        file=file,
        targets=tuple(targets) if targets is not None else None,
        query=section.get("query"),
        control=section.get("control"),
        schemas=section.get("schemas"),
        database=section.get("database"),
        parallel=section.get("parallel"),
        canary=section.get("canary"),
        max_failures=section.get("max_failures"),
        connect_timeout=section.get("connect_timeout"),
    )
