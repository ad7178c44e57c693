"""``[tool.pgwarden.lint]`` in pyproject.toml: which rules, at which severity, on which paths.

```toml
[tool.pgwarden.lint]
select = ["ALL"]                       # rule ids or families (schema, migration, access)
ignore = ["prefer-text"]
severity = { "int-primary-key" = "error", "fk-missing-index" = "info" }
paths = { schema = "schema", migrations = "migrations", source = ["src"] }
baseline = "pgwarden-baseline.json"
layout = "prisma"                      # migration layout (default: detected per directory)
```

``select`` empty (the default) runs every rule that is on by default; opt-in
rules (``tenant-table-without-rls``) run when named or with ``ALL``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pgwarden import textfile
from pgwarden.checks.layouts import LAYOUTS
from pgwarden.checks.registry import FAMILIES, SEVERITIES, Finding, Rule, Severity, all_rules
from pgwarden.errors import PgwardenError


class ConfigError(PgwardenError):
    """``[tool.pgwarden.lint]`` is invalid (exit 2)."""


@dataclass(frozen=True)
class LintConfig:
    """What to run and how loud; paths are absolute (resolved against the pyproject)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    schema: Path | None = None
    migrations: Path | None = None
    source: tuple[Path, ...] = ()
    baseline: Path | None = None
    file: str | None = None
    layout: str | None = None
    """Migration layout for every SQL input (None: detected per directory)."""

    def enabled(self, r: Rule) -> bool:
        """Ignore wins; meta rules always run; opt-in rules need their id or ``ALL``."""
        if "ALL" in self.ignore or r.id in self.ignore or r.family in self.ignore:
            return False
        if r.family == "meta":
            return True
        if not self.select:
            return r.default_enabled
        if r.id in self.select or "ALL" in self.select:
            return True
        return r.family in self.select and r.default_enabled

    def enabled_ids(self) -> set[str]:
        """The ids of the rules this configuration runs (select/ignore over the defaults)."""
        return {i for i, r in all_rules().items() if self.enabled(r)}

    def adjust(self, finding: Finding) -> Finding:
        """The finding with the severity the configuration gives its rule, if any."""
        sev = self.severity.get(finding.rule)
        return finding if sev is None else replace(finding, severity=sev)

    def merged(self, **overrides: Any) -> LintConfig:
        """This config with the given (non-None) fields replaced (CLI options)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` (None: there is none)."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(pyproject: Path | None) -> LintConfig:
    """The lint config from ``pyproject`` (defaults when absent); paths relative to its dir."""
    if pyproject is None:
        return LintConfig()
    try:
        data = tomllib.loads(textfile.read_text(pyproject))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc}") from None
    raw = data.get("tool", {}).get("pgwarden", {}).get("lint")
    if raw is None:
        return LintConfig(file=str(pyproject))
    return parse_config(raw, pyproject)


def _bad(pyproject: Path, key: str, message: str, fix: str) -> ConfigError:
    return ConfigError(f"{pyproject}: [tool.pgwarden.lint] {key}: {message}\n  fix: {fix}")


def _names(raw: dict[str, Any], key: str, pyproject: Path) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(pyproject, key, "must be a list of rule ids", f'{key} = ["rule-id"]')
    known = set(all_rules()) | set(FAMILIES) | {"ALL"}
    for v in value:
        if v not in known:
            raise _bad(pyproject, key, f"unknown rule {v!r}", "see `pgwarden lint --list-rules`")
    return tuple(value)


def parse_config(raw: dict[str, Any], pyproject: Path) -> LintConfig:
    """``[tool.pgwarden.lint]`` as a :class:`LintConfig`; an unknown key or value is an error
    naming the file, the key and the fix."""
    base = pyproject.parent
    allowed = {"select", "ignore", "severity", "paths", "baseline", "layout"}
    for key in raw:
        if key not in allowed:
            raise _bad(pyproject, key, "unknown key", f"use one of {', '.join(sorted(allowed))}")
    severity: dict[str, Severity] = {}
    sev_raw = raw.get("severity", {})
    if not isinstance(sev_raw, dict):
        raise _bad(pyproject, "severity", "must be a table", 'severity = { "rule-id" = "warning" }')
    for rid, sev in sev_raw.items():
        if rid not in all_rules():
            raise _bad(pyproject, f"severity.{rid}", "unknown rule", "check the rule id")
        if sev not in SEVERITIES:
            raise _bad(
                pyproject, f"severity.{rid}", f"unknown severity {sev!r}", "error/warning/info"
            )
        severity[rid] = sev
    paths = raw.get("paths", {})
    if not isinstance(paths, dict):
        raise _bad(pyproject, "paths", "must be a table", 'paths = { schema = "schema" }')
    for key in paths:
        if key not in ("schema", "migrations", "source"):
            raise _bad(pyproject, f"paths.{key}", "unknown key", "schema, migrations or source")
    source = paths.get("source", [])
    if isinstance(source, str):
        source = [source]
    baseline = raw.get("baseline")
    layout = raw.get("layout")
    if layout is not None and layout not in LAYOUTS:
        raise _bad(
            pyproject,
            "layout",
            f"unknown layout {layout!r}",
            f"one of {', '.join(LAYOUTS)} (or leave it out: detected per directory)",
        )
    return LintConfig(
        select=_names(raw, "select", pyproject),
        ignore=_names(raw, "ignore", pyproject),
        severity=severity,
        schema=base / paths["schema"] if "schema" in paths else None,
        migrations=base / paths["migrations"] if "migrations" in paths else None,
        source=tuple(base / s for s in source),
        baseline=base / baseline if isinstance(baseline, str) else None,
        file=str(pyproject),
        layout=layout,
    )
