"""Run the rules over inputs: spec, migration SQL, Python source.

Order of filters: enabled rules run -> suppressions (inline / spec) -> severity
overrides -> baseline. Only what survives decides the exit code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pgwarden import textfile
from pgwarden.checks.access_rules import PythonSource, accessor_names, parse_python
from pgwarden.checks.baseline import filter_baseline, read_baseline
from pgwarden.checks.config import LintConfig
from pgwarden.checks.migration_rules import Replay
from pgwarden.checks.registry import Finding, Location, all_rules, rule
from pgwarden.checks.sqlfile import iter_statements
from pgwarden.checks.suppress import (
    SqlSuppressions,
    Suppression,
    apply_suppressions,
    python_suppressions,
    spec_suppressions,
)
from pgwarden.errors import PgwardenError
from pgwarden.spec.model import Schema

_MIGRATION_DIR = re.compile(r"^\d{4,}_")
_SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git", ".pgwarden", "build", "dist"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Collected:
    """Raw findings and the suppressions found next to them."""

    findings: list[Finding] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)

    def extend(self, other: Collected) -> None:
        self.findings += other.findings
        self.suppressions += other.suppressions


@dataclass(frozen=True)
class LintResult:
    findings: list[Finding]
    suppressed: int = 0
    baselined: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def _enabled(config: LintConfig, family: str) -> list[str]:
    return [i for i, r in all_rules().items() if r.family == family and config.enabled(r)]


# --------------------------------------------------------------------------- inputs


def lint_schema(schema: Schema, config: LintConfig | None = None) -> Collected:
    config = config or LintConfig()
    out = Collected(suppressions=spec_suppressions(schema))
    for rid in _enabled(config, "schema"):
        out.findings += list(all_rules()[rid].fn(schema))
    return out


def lint_sql(
    files: Sequence[tuple[str, str]],
    config: LintConfig | None = None,
    history: Iterable[tuple[str, str]] = (),
    report: set[str] | None = None,
) -> Collected:
    """Lint SQL texts ``(file, text)`` in order, after replaying ``history`` silently.

    ``report``: names of the files to report on (default all of ``files``); the
    others are replayed only, so a later file sees the catalog they leave.
    """
    config = config or LintConfig()
    ids = _enabled(config, "migration")
    rules = [all_rules()[i] for i in ids if i != "unparsable-statement"]
    state = Replay()
    out = Collected()
    for file, text in history:
        _replay(state, file, text)
    for file, text in files:
        if report is not None and file not in report:
            _replay(state, file, text)
            continue
        state.start_file(file)
        suppressions = SqlSuppressions(text, file)
        for stmt in iter_statements(text, file):
            suppressions.see(stmt)
            if stmt.node is None:
                if stmt.error is not None and "unparsable-statement" in ids:
                    out.findings.append(
                        rule("unparsable-statement").finding(
                            Location(file, stmt.line, stmt.col),
                            f"Postgres cannot parse this statement: {stmt.error}",
                            "fix the SQL (pgwarden parses with Postgres's own parser)",
                        )
                    )
                continue
            for r in rules:
                out.findings += list(r.fn(stmt, state))
            state.apply(stmt)
        out.suppressions += suppressions.result()
    return out


def _replay(state: Replay, file: str, text: str) -> None:
    state.start_file(file)
    for stmt in iter_statements(text, file):
        if stmt.node is not None:
            state.apply(stmt)


def lint_python(
    files: Sequence[tuple[str, str]],
    config: LintConfig | None = None,
    tables: Iterable[str] = (),
) -> Collected:
    """Lint Python texts; ``tables`` (spec table names) lets the N+1 rule know
    generated accessors (``db.user.get(id)``)."""
    config = config or LintConfig()
    ids = _enabled(config, "access")
    out = Collected()
    known = accessor_names(tables)
    for file, text in files:
        parsed = parse_python(text, file, known)
        if not isinstance(parsed, PythonSource):
            if "unparsable-python" in ids:
                out.findings.append(
                    rule("unparsable-python").finding(
                        Location(file, parsed.lineno or 1, (parsed.offset or 0) or 1),
                        f"Python cannot parse this file: {parsed.msg}",
                        "fix the syntax error",
                    )
                )
            continue
        out.suppressions += python_suppressions(text, file)
        for rid in ids:
            if rid != "unparsable-python":
                out.findings += list(all_rules()[rid].fn(parsed))
    return out


def finish(
    collected: Collected, config: LintConfig | None = None, baseline: Path | None = None
) -> LintResult:
    """Suppressions, severity overrides, baseline; findings sorted by place."""
    config = config or LintConfig()
    findings, suppressed = apply_suppressions(
        collected.findings, collected.suppressions, config.enabled_ids()
    )
    findings = [config.adjust(f) for f in findings if config.enabled(all_rules()[f.rule])]
    baselined = 0
    if baseline is not None:
        findings, baselined = filter_baseline(findings, read_baseline(baseline))
    findings.sort(
        key=lambda f: (
            f.location.file,
            f.location.line or 0,
            f.location.col or 0,
            f.location.object or "",
            f.rule,
        )
    )
    return LintResult(findings, suppressed, baselined)


# --------------------------------------------------------------------------- paths


@dataclass
class Inputs:
    specs: list[Path] = field(default_factory=list)
    sql: list[Path] = field(default_factory=list)
    python: list[Path] = field(default_factory=list)


def _walk(root: Path, suffix: str) -> list[Path]:
    return sorted(
        p
        for p in root.rglob(f"*{suffix}")
        if p.is_file()
        and not any(
            part in _SKIP_DIRS or part.startswith(".") for part in p.relative_to(root).parts[:-1]
        )
    )


def classify(paths: Sequence[Path]) -> Inputs:
    """Sort paths into spec files/dirs, SQL migrations and Python files."""
    inputs = Inputs()
    for path in paths:
        if not path.exists():
            raise PgwardenError(f"{path}: no such file or directory\n  fix: pass an existing path")
        if path.is_file():
            if (
                path.suffix == ".toml" and path.name != "pyproject.toml"
            ) or path.suffix == ".prisma":
                inputs.specs.append(path)
            elif path.suffix == ".sql":
                inputs.sql.append(path)
            elif path.suffix == ".py":
                inputs.python.append(path)
            else:
                raise PgwardenError(
                    f"{path}: not a spec (.toml, .prisma), migration (.sql) or Python (.py) file\n"
                    "  fix: pass a file or directory pgwarden can lint"
                )
            continue
        before = (len(inputs.specs), len(inputs.sql), len(inputs.python))
        tomls = [p for p in sorted(path.glob("*.toml")) if p.name not in ("pyproject.toml",)]
        if tomls and not _MIGRATION_DIR.match(path.name):
            inputs.specs.append(path)
        inputs.specs += sorted(path.glob("*.prisma"))
        inputs.sql += [p for p in _walk(path, ".sql") if p.name != "down.sql"]
        inputs.python += _walk(path, ".py")
        if (len(inputs.specs), len(inputs.sql), len(inputs.python)) == before:
            raise PgwardenError(
                f"{path}: nothing to lint (no spec *.toml at its top, no *.prisma, "
                "*.sql or *.py files)\n  fix: pass the schema, migrations or source directory"
            )
    return inputs


def _read(path: Path) -> str:
    return textfile.read_text(path)


def _sql_groups(files: list[Path]) -> dict[Path, list[Path]]:
    """Group SQL files by migration root, each group in apply order (with its history)."""
    groups: dict[Path, set[Path]] = {}
    for f in files:
        if _MIGRATION_DIR.match(f.parent.name):
            root = f.parent.parent
            history = {p for p in root.glob("*/up.sql") if _MIGRATION_DIR.match(p.parent.name)}
            groups.setdefault(root, set()).update(history | {f})
        else:
            groups.setdefault(f.parent, set()).add(f)
    return {root: sorted(fs) for root, fs in groups.items()}


def _load_spec(path: Path) -> Schema:
    """A pgwarden spec (file or directory), or a Prisma schema read by the importer."""
    if path.suffix == ".prisma":
        from pgwarden.importers.prisma import import_prisma

        return import_prisma(path).schema
    from pgwarden.spec.load import load_schema

    return load_schema(path)


def lint_paths(
    paths: Sequence[Path], config: LintConfig | None = None, baseline: Path | None = None
) -> LintResult:
    """Lint every input under ``paths``: the CLI's entry point."""
    config = config or LintConfig()
    inputs = classify(paths)
    collected = Collected()
    tables: set[str] = set()
    loaded: Schema | None = None
    for spec in inputs.specs:
        schema = _load_spec(spec)
        loaded = loaded or schema
        tables |= {t.name for t in schema.tables}
        collected.extend(lint_schema(schema, config))
    if inputs.python and not tables:
        # Python alone: the configured spec still names the generated accessors.
        default = config.schema or Path("schema")
        try:
            loaded = _load_spec(default) if default.exists() else None
            tables = {t.name for t in loaded.tables} if loaded else set()
        except PgwardenError:
            tables = set()
    selected = {str(p) for p in inputs.sql}
    for files in _sql_groups(inputs.sql).values():
        texts = [(str(p), _read(p)) for p in files]
        collected.extend(lint_sql(texts, config, report=selected))
    python = [(str(p), _read(p)) for p in inputs.python]
    collected.extend(lint_python(python, config, tables))
    if loaded is not None and python:
        # query patterns: the Python's queries against the spec's indexes
        from pgwarden.checks.query_rules import lint_queries

        collected.findings += lint_queries(python, loaded, config.enabled_ids())
    return finish(collected, config, baseline)
