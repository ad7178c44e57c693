"""Preflight: count the rows that would break a migration before it changes anything.

Each check is a query returning one row per offending row (or duplicate group),
keyed so a human can find it. The runner counts it, samples a few keys and,
when any check finds rows, stops with a report naming the table, the count, the
sample keys and the SQL that would fix the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.apply.files import Preflight
from pgwarden.errors import RefusedError

SAMPLE_SIZE = 5


@dataclass(frozen=True, slots=True)
class Finding:
    """A preflight check that found offending rows: how many, and a sample of their keys."""

    check: Preflight
    count: int
    sample: tuple[str, ...]

    def report(self) -> str:
        """The lines the runner prints before refusing: table, count, what is wrong, sample, fix."""
        lines = [f"{self.check.table}: {self.count} row(s): {self.check.description}"]
        if self.sample:
            lines.append("    sample keys: " + "; ".join(self.sample))
        if self.check.fix:
            fix = "\n         ".join(self.check.fix.strip().splitlines())
            lines.append(f"    fix: {fix}")
        return "\n".join(lines)


class PreflightError(RefusedError):
    """Existing data would break the migration; nothing was changed."""

    def __init__(
        self,
        migration: str,
        findings: Sequence[Finding],
        *,
        changed: bool,
        way_out: str = "fix the data and rerun `pgwarden migrate apply` to resume",
    ) -> None:
        self.migration = migration
        self.findings = tuple(findings)
        state = f"earlier steps are committed; {way_out}" if changed else "nothing was changed"
        body = "\n  ".join(f.report() for f in findings)
        super().__init__(f"preflight stopped {migration} ({state}):\n  {body}")


def _format_row(names: Sequence[str], row: Sequence[Any]) -> str:
    parts = [
        f"{n}={v!r}" if isinstance(v, str) else f"{n}={v}" for n, v in zip(names, row, strict=True)
    ]
    return "(" + ", ".join(parts) + ")"


def run_check(conn: psycopg.Connection[Any], check: Preflight) -> Finding:
    """Count and sample one check (read-only; runs in a rolled-back transaction)."""
    query = sql.SQL(check.query.strip().rstrip(";"))
    with conn.transaction(force_rollback=True):
        if check.returns == "count":
            # the planner's form: one row (violations, samples text[])
            counted = conn.execute(query).fetchone()
            if counted is None:
                return Finding(check, 0, ())
            samples = tuple(str(x) for x in (counted[1] or ())[:SAMPLE_SIZE])
            return Finding(check, int(counted[0] or 0), samples)
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM ({}) AS preflight").format(query)
        ).fetchone()
        count = int(row[0]) if row else 0
        sample: tuple[str, ...] = ()
        if count:
            cur = conn.execute(
                sql.SQL("SELECT * FROM ({}) AS preflight LIMIT {}").format(
                    query, sql.Literal(SAMPLE_SIZE)
                )
            )
            names = [d.name for d in cur.description or ()]
            sample = tuple(_format_row(names, r) for r in cur.fetchall())
    return Finding(check, count, sample)


def missing_object(exc: psycopg.Error) -> bool:
    """The check reads a table or column this migration has not created yet."""
    return isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn)
