"""Run the rules over inputs: spec, migration SQL, Python source.

Order of filters: enabled rules run -> suppressions (inline / spec) -> severity
overrides -> baseline. Only what survives decides the exit code.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pgwarden import textfile
from pgwarden.checks import layouts
from pgwarden.checks.baseline import fingerprint, read_baseline
from pgwarden.checks.calls import CALLING_KINDS, MigrationCalls
from pgwarden.checks.config import LintConfig
from pgwarden.checks.registry import Finding, Location, Rule, all_rules, rule
from pgwarden.checks.replay import Replay
from pgwarden.checks.sqlfile import CHUNK, Statement, blank_outside, iter_statements
from pgwarden.checks.suppress import (
    SqlSuppressions,
    Suppression,
    apply_suppressions,
    python_suppressions,
    spec_suppressions,
)
from pgwarden.errors import PgwardenError

if TYPE_CHECKING:
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
        """Add another part's findings and suppressions to these."""
        self.findings += other.findings
        self.suppressions += other.suppressions


@dataclass(frozen=True)
class LintResult:
    """What a lint run reports: the findings kept, and how many were suppressed or baselined."""

    findings: list[Finding]
    suppressed: int = 0
    baselined: int = 0

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        """1 when an error was found, else 0 (warnings do not fail)."""
        return 1 if self.errors else 0


def _enabled(config: LintConfig, family: str) -> list[str]:
    return [i for i, r in all_rules().items() if r.family == family and config.enabled(r)]


# --------------------------------------------------------------------------- inputs


def lint_schema(schema: Schema, config: LintConfig | None = None) -> Collected:
    """The enabled schema rules over a spec, with the spec's suppressions."""
    config = config or LintConfig()
    out = Collected(suppressions=spec_suppressions(schema))
    for rid in _enabled(config, "schema"):
        out.findings += list(all_rules()[rid].fn(schema))
    return out


@dataclass(frozen=True, slots=True)
class SqlSource:
    """One SQL file to lint: its text and how its tool runs it (see ``layouts``)."""

    file: str
    text: str
    tx: str = "auto"
    """``steps``, ``file``, ``implicit``, ``none``; ``auto``: steps when it has markers."""
    layout: str = "plain"


def _source(item: SqlSource | tuple[str, str]) -> SqlSource:
    return item if isinstance(item, SqlSource) else SqlSource(item[0], item[1])


class SqlLinter:
    """The migration rules by statement kind, and the replayed catalog of one history."""

    def __init__(self, config: LintConfig | None = None) -> None:
        config = config or LintConfig()
        ids = _enabled(config, "migration")
        self.unparsable = "unparsable-statement" in ids
        self.by_kind: dict[str, list[Rule]] = {}
        for rid in ids:
            r = all_rules()[rid]
            for kind in r.kinds or ():
                self.by_kind.setdefault(kind, []).append(r)
        self.state = Replay()
        self._by_subtypes: dict[frozenset[str], list[Rule]] = {}
        self.calls = MigrationCalls(self.rules_for)

    def rules_for(self, stmt: Statement) -> list[Rule]:
        """The enabled rules that read ``stmt``."""
        rules = self.by_kind.get(stmt.kind)
        if rules and stmt.kind == "AlterTableStmt":
            rules = self._alter_rules(stmt, rules)
        return rules or []

    def _alter_rules(self, stmt: Statement, rules: list[Rule]) -> list[Rule]:
        """The ALTER TABLE rules that read one of the statement's sub-command types."""
        subs = frozenset(
            c.get("AlterTableCmd", {}).get("subtype", "")
            for c in (stmt.tree or {}).get("cmds") or ()
        )
        got = self._by_subtypes.get(subs)
        if got is None:
            got = self._by_subtypes[subs] = [
                r for r in rules if r.subtypes is None or r.subtypes & subs
            ]
        return got

    def _statements(self, source: SqlSource) -> Iterator[Statement]:
        """The file's statements, streamed, after the file-level transaction is decided
        (it needs to know whether the file holds more than one statement)."""
        it = iter_statements(source.text, source.file)
        head: list[Statement] = []
        if len(source.text) <= CHUNK:
            head = list(it)  # a migration-sized file: all at once
        else:
            for stmt in it:  # a large file streams: two statements tell "several"
                head.append(stmt)
                if sum(1 for s in head if s.origin is None) > 1:
                    break
        self.state.start_file(source.file, source.tx, source.layout)
        self.state.begin_statements(head, "pgwarden:step" in source.text)
        yield from head
        yield from it

    def replay(self, source: SqlSource) -> None:
        """Run a file through the catalog only (history before the linted files)."""
        state = self.state
        for stmt in self._statements(source):
            state.assign_tx(stmt)
            if stmt.kind in CALLING_KINDS:
                self.calls.check(stmt, state, report=False)
            state.apply(stmt)

    def lint(self, source: SqlSource) -> Collected:
        """The enabled migration rules over one SQL file, statement by statement, replaying the
        schema state the statements build."""
        state = self.state
        file = source.file
        suppressions = SqlSuppressions(source.text, file)
        out = Collected()
        by_kind = self.by_kind
        for stmt in self._statements(source):
            suppressions.see(stmt)
            state.assign_tx(stmt)
            if stmt.tree is None:
                if stmt.error is not None and self.unparsable:
                    out.findings.append(
                        rule("unparsable-statement").finding(
                            Location(file, stmt.line, stmt.col),
                            f"Postgres cannot parse this statement: {stmt.error}",
                            "fix the SQL (pgwarden parses with Postgres's own parser)",
                        )
                    )
                continue
            rules = by_kind.get(stmt.kind)
            if rules and stmt.kind == "AlterTableStmt":
                rules = self._alter_rules(stmt, rules)
            if rules:
                for r in rules:
                    out.findings += r.fn(stmt, state)
            if stmt.kind in CALLING_KINDS:  # the bodies of functions it calls
                out.findings += self.calls.check(stmt, state)
            state.apply(stmt)
        out.suppressions += suppressions.result()
        return out


def iter_sql(
    files: Sequence[SqlSource | tuple[str, str]],
    config: LintConfig | None = None,
    history: Iterable[SqlSource | tuple[str, str]] = (),
    report: set[str] | None = None,
) -> Iterator[tuple[str, Collected]]:
    """Lint SQL files in order, one result per reported file as it is done (after
    replaying ``history`` silently). ``report``: names of the files to report on
    (default all of ``files``); the others are replayed only, so a later file sees
    the catalog they leave."""
    linter = SqlLinter(config)
    for item in history:
        linter.replay(_source(item))
    for item in files:
        source = _source(item)
        if report is not None and source.file not in report:
            linter.replay(source)
            continue
        yield source.file, linter.lint(source)


def lint_sql(
    files: Sequence[SqlSource | tuple[str, str]],
    config: LintConfig | None = None,
    history: Iterable[SqlSource | tuple[str, str]] = (),
    report: set[str] | None = None,
) -> Collected:
    """Lint SQL texts ``(file, text)`` (or :class:`SqlSource`) in order, after replaying
    ``history`` silently; see :func:`iter_sql`."""
    out = Collected()
    for _, part in iter_sql(files, config, history, report):
        out.extend(part)
    return out


def lint_python(
    files: Sequence[tuple[str, str]],
    config: LintConfig | None = None,
    tables: Iterable[str] = (),
) -> Collected:
    """Lint Python texts; ``tables`` (spec table names) lets the N+1 rule know
    generated accessors (``db.user.get(id)``)."""
    from pgwarden.checks.access_rules import PythonSource, accessor_names, parse_python

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


class Finisher:
    """Suppressions, severity overrides and the baseline, applied part by part (a part:
    one SQL file, or the spec and Python findings), so results can stream."""

    def __init__(self, config: LintConfig | None = None, baseline: Path | None = None) -> None:
        self.config = config or LintConfig()
        self.left: Counter[tuple[str, str, str]] | None = (
            read_baseline(baseline) if baseline is not None else None
        )
        self.suppressed = 0
        self.baselined = 0
        self.enabled = self.config.enabled_ids()

    def part(self, collected: Collected) -> list[Finding]:
        """The findings of one part with suppressions, severities and the baseline applied."""
        config = self.config
        if not collected.findings and not collected.suppressions:
            return []
        findings, suppressed = apply_suppressions(
            collected.findings, collected.suppressions, self.enabled
        )
        self.suppressed += suppressed
        findings = [config.adjust(f) for f in findings if f.rule in self.enabled]
        if self.left is not None:
            kept = []
            for f in findings:
                fp = fingerprint(f)
                if self.left[fp] > 0:
                    self.left[fp] -= 1
                    self.baselined += 1
                else:
                    kept.append(f)
            findings = kept
        findings.sort(key=_place)
        return findings


def _place(f: Finding) -> tuple[str, int, int, str, str]:
    return (
        f.location.file,
        f.location.line or 0,
        f.location.col or 0,
        f.location.object or "",
        f.rule,
    )


def finish(
    collected: Collected, config: LintConfig | None = None, baseline: Path | None = None
) -> LintResult:
    """Suppressions, severity overrides, baseline; findings sorted by place."""
    fin = Finisher(config, baseline)
    findings = fin.part(collected)
    return LintResult(findings, fin.suppressed, fin.baselined)


# --------------------------------------------------------------------------- paths


@dataclass
class Inputs:
    """The files one lint run reads, by kind."""

    specs: list[Path] = field(default_factory=list)
    sql: list[Path] = field(default_factory=list)
    python: list[Path] = field(default_factory=list)


def _walk(root: Path, suffix: str) -> list[Path]:
    """Files under ``root`` ending in ``suffix``, not inside hidden, venv or build dirs."""
    out: list[Path] = []
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        out += [Path(top, f) for f in files if f.endswith(suffix)]
    return sorted(out, key=str)


def _spec_tomls(path: Path) -> list[Path]:
    """Spec files at the top of a directory (not a migration tool's own files)."""
    if layouts.detect(path) not in (None, "plain"):
        return []
    return [
        p
        for p in sorted(path.glob("*.toml"))
        if p.name != "pyproject.toml" and p.name not in layouts.TOOL_FILES
    ]


def classify(paths: Sequence[Path]) -> Inputs:
    """Sort paths into spec files/dirs, SQL migrations and Python files."""
    inputs = Inputs()
    for path in paths:
        if not path.exists():
            raise PgwardenError(f"{path}: no such file or directory\n  fix: pass an existing path")
        if path.is_file():
            if path.name in layouts.TOOL_FILES:
                raise PgwardenError(
                    f"{path}: a migration tool's own file, not a pgwarden spec\n"
                    f"  fix: pass the migrations directory ({path.parent}) to lint its history"
                )
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
        if _spec_tomls(path) and not _MIGRATION_DIR.match(path.name):
            inputs.specs.append(path)
        inputs.specs += sorted(path.glob("*.prisma"))
        inputs.sql += [p for p in _walk(path, ".sql") if layouts.is_migration_file(p)]
        inputs.python += _walk(path, ".py")
        if (len(inputs.specs), len(inputs.sql), len(inputs.python)) == before:
            raise PgwardenError(
                f"{path}: nothing to lint (no spec *.toml at its top, no *.prisma, "
                "*.sql or *.py files)\n  fix: pass the schema, migrations or source directory"
            )
    return inputs


def _read(path: Path) -> str:
    return textfile.read_text(path)


def _load_spec(path: Path) -> Schema:
    """A pgwarden spec (file or directory), or a Prisma schema read by the importer."""
    if path.suffix == ".prisma":
        from pgwarden.importers.prisma import import_prisma

        return import_prisma(path).schema
    from pgwarden.spec.load import load_schema

    return load_schema(path)


def _sql_source(f: layouts.MigrationFile) -> SqlSource:
    text = _read(f.path)
    tx = f.tx
    if f.layout == "dbmate":
        found = layouts.dbmate_section(text)
        if found is not None:
            section, transactional = found
            text = blank_outside(text, section)
            tx = "file" if transactional else "none"
    return SqlSource(str(f.path), text, tx, f.layout)


def sql_histories(
    files: Sequence[Path], layout: str | None = None
) -> Iterator[tuple[list[SqlSource], set[str]]]:
    """(every file of each history in apply order, the names to report on)."""
    for hist, selected in layouts.group(files, layout):
        # Files after the last selected one cannot change what is reported.
        last = max(i for i, f in enumerate(hist.files) if f.path in selected)
        yield [_sql_source(f) for f in hist.files[: last + 1]], {str(p) for p in selected}


def iter_lint(
    paths: Sequence[Path], config: LintConfig | None = None, fin: Finisher | None = None
) -> Iterator[list[Finding]]:
    """Lint every input under ``paths``, yielding each part's findings when it is done
    (every SQL file as soon as it is linted; spec and Python findings last)."""
    config = config or LintConfig()
    fin = fin or Finisher(config)
    layouts.detect.cache_clear()  # directories may have changed since the last run
    inputs = classify(paths)
    collected = Collected()
    tables: set[str] = set()
    loaded: Schema | None = None
    for spec in inputs.specs:
        schema = _load_spec(spec)
        loaded = loaded or schema
        tables |= {t.name for t in schema.tables}
        collected.extend(lint_schema(schema, config))
    for sources, selected in sql_histories(inputs.sql, config.layout):
        for _, part in iter_sql(sources, config, report=selected):
            yield fin.part(part)
    if inputs.python and not tables:
        # Python alone: the configured spec still names the generated accessors.
        default = config.schema or Path("schema")
        try:
            loaded = _load_spec(default) if default.exists() else None
            tables = {t.name for t in loaded.tables} if loaded else set()
        except PgwardenError:
            tables = set()
    python = [(str(p), _read(p)) for p in inputs.python]
    collected.extend(lint_python(python, config, tables))
    if loaded is not None and python:
        # query patterns: the Python's queries against the spec's indexes
        from pgwarden.checks.query_rules import lint_queries

        collected.findings += lint_queries(python, loaded, config.enabled_ids())
    yield fin.part(collected)


def lint_paths(
    paths: Sequence[Path], config: LintConfig | None = None, baseline: Path | None = None
) -> LintResult:
    """Lint every input under ``paths`` (all findings, sorted by place)."""
    fin = Finisher(config, baseline)
    findings = [f for part in iter_lint(paths, config, fin) for f in part]
    findings.sort(key=_place)
    return LintResult(findings, fin.suppressed, fin.baselined)
