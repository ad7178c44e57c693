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
from typing import TYPE_CHECKING

from pgwarden.checks.registry import Finding, Location, all_rules, rule
from pgwarden.checks.sqlfile import LineStarts, Statement

if TYPE_CHECKING:
    from pgwarden.spec.model import Schema

_SQL_LINE_RE = re.compile(r"--[ \t]*pgwarden:[ \t]*ignore\[([^\]\n]*)\][ \t]*(.*?)[ \t]*$", re.M)
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
        """The finding is one this suppression silences (its rule, on its lines or object)."""
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


class SqlSuppressions:
    """The SQL suppressions of one file, matched to its statements in one pass.

    Statements arrive in file order (``see``), so lint can stream a large file:
    each pending comment goes to the first statement that contains its line or
    starts after it. Linear in the file, where a search per comment over every
    statement was quadratic.
    """

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        lines = LineStarts(text)
        self._pending: list[tuple[int, int, re.Match[str]]] = []
        for m in _SQL_LINE_RE.finditer(text):
            line, col = lines.line_col(m.start())
            self._pending.append((line, col, m))
        self._pending.reverse()  # pop() from the end: first comment first
        self._done: list[Suppression] = []

    def see(self, statement: Statement) -> None:
        """A statement was read: suppression comments waiting above it now cover its lines."""
        while self._pending and self._pending[-1][0] <= statement.end_line:
            self._add(self._pending.pop(), (statement.line, statement.end_line))

    def result(self) -> list[Suppression]:
        """Every suppression of the file; comments after the last statement cover their own line."""
        while self._pending:
            line = self._pending[-1][0]
            self._add(self._pending.pop(), (line, line))
        return self._done

    def _add(self, found: tuple[int, int, re.Match[str]], lines: tuple[int, int]) -> None:
        line, col, m = found
        self._done.append(
            Suppression(Location(self.file, line, col), _rules(m[1]), m[2], self.file, lines)
        )


def python_suppressions(text: str, file: str) -> list[Suppression]:
    """The ``# pgwarden: ignore[...]`` comments of a Python file, each covering its line or the
    statement below it."""
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
    """The ``ignore = [...]`` lists of the spec's tables and columns as suppressions."""
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
