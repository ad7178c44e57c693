"""Suppressions: a finding acknowledged where it is, with a required reason.

* SQL: ``-- pgwarden: ignore[rule-id, other-id] reason`` covers the statement the
  comment is in, or else the next statement after it.
* Python: ``# pgwarden: ignore[rule-id] reason`` covers its own line; on a line
  of its own it covers the next code line.
* Spec: ``ignore = [{ rule, reason }]`` on a table (covers the table and all its
  objects) or a column (covers that column).

A suppression without a reason, or naming an unknown rule, is itself a finding
(``invalid-suppression``); one that matched nothing is ``unused-suppression``.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from pgwarden.checks.registry import Finding, Location, all_rules, rule
from pgwarden.checks.sqlfile import Statement
from pgwarden.spec.model import Schema

_SQL_RE = re.compile(r"--\s*pgwarden:\s*ignore\[([^\]]*)\]\s*(.*?)\s*$")
_PY_RE = re.compile(r"#\s*pgwarden:\s*ignore\[([^\]]*)\]\s*(.*?)\s*$")


@dataclass
class Suppression:
    """One acknowledgement: which rules, where it applies, and why."""

    location: Location
    rules: tuple[str, ...]
    reason: str
    file: str
    lines: tuple[int, int] | None = None
    """Covered line range (inclusive) in ``file``; None for spec object suppressions."""
    objects: tuple[str, ...] = ()
    """Spec objects covered: ``Table`` covers ``Table`` and ``Table.*``."""
    used: bool = field(default=False)

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules:
            return False
        loc = finding.location
        if self.lines is not None:
            return (
                loc.file == self.file
                and loc.line is not None
                and self.lines[0] <= loc.line <= self.lines[1]
            )
        if loc.object is None:
            return False
        return any(loc.object == o or loc.object.startswith(o + ".") for o in self.objects)


def _rules(text: str) -> tuple[str, ...]:
    return tuple(r.strip() for r in text.split(",") if r.strip())


def sql_suppressions(text: str, file: str, statements: list[Statement]) -> list[Suppression]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        m = _SQL_RE.search(line)
        if not m:
            continue
        target = next((s for s in statements if s.line <= n <= s.end_line), None)
        if target is None:
            target = next((s for s in statements if s.line > n), None)
        lines = (target.line, target.end_line) if target else (n, n)
        out.append(
            Suppression(
                Location(file, n, m.start() + 1), _rules(m.group(1)), m.group(2), file, lines
            )
        )
    return out


def python_suppressions(text: str, file: str) -> list[Suppression]:
    out: list[Suppression] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    code_lines = sorted(
        {
            t.start[0]
            for t in tokens
            if t.type
            not in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
            )
            and t.type != tokenize.ENDMARKER
        }
    )
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _PY_RE.search(tok.string)
        if not m:
            continue
        n = tok.start[0]
        line = n if n in code_lines else next((c for c in code_lines if c > n), n)
        out.append(
            Suppression(
                Location(file, n, tok.start[1] + 1),
                _rules(m.group(1)),
                m.group(2),
                file,
                (line, line),
            )
        )
    return out


def spec_suppressions(schema: Schema) -> list[Suppression]:
    from pgwarden.checks.schema_rules import column_loc, table_loc

    out = []
    for table in schema.tables:
        for s in table.ignore:
            loc = table_loc(schema, table)
            out.append(Suppression(loc, (s.rule,), s.reason, loc.file, None, (table.name,)))
        for column in table.columns:
            for s in column.ignore:
                loc = column_loc(schema, table, column)
                obj = f"{table.name}.{column.name}"
                out.append(Suppression(loc, (s.rule,), s.reason, loc.file, None, (obj,)))
    return out


def apply_suppressions(
    findings: Iterable[Finding],
    suppressions: list[Suppression],
    enabled: set[str],
) -> tuple[list[Finding], int]:
    """(kept findings + suppression findings, number suppressed)."""
    known = set(all_rules())
    kept: list[Finding] = []
    suppressed = 0
    valid = []
    problems: list[Finding] = []
    invalid = rule("invalid-suppression")
    for s in suppressions:
        unknown = [r for r in s.rules if r not in known]
        if not s.rules or unknown:
            problems.append(
                invalid.finding(
                    s.location,
                    f"suppression names unknown rule(s): {', '.join(unknown) or '(none)'}",
                    "use a rule id from `pgwarden lint --list-rules`",
                )
            )
            continue
        if not s.reason.strip():
            problems.append(
                invalid.finding(
                    s.location,
                    f"suppression of {', '.join(s.rules)} has no reason",
                    "say why the finding is acceptable: ignore[rule-id] <reason>",
                )
            )
            continue
        valid.append(s)
    for f in findings:
        match = next((s for s in valid if s.covers(f)), None)
        if match is None:
            kept.append(f)
        else:
            match.used = True
            suppressed += 1
    unused = rule("unused-suppression")
    for s in valid:
        if not s.used and any(r in enabled for r in s.rules):
            problems.append(
                unused.finding(
                    s.location,
                    f"suppression of {', '.join(s.rules)} matched no finding",
                    "remove it",
                )
            )
    return kept + problems, suppressed
