"""``migrate apply --sql`` / ``migrate down --sql``: the script the runner would run.

Printed in the order and with the transaction boundaries the runner uses
(:mod:`pgwarden.apply.runner`): the up-front preflights in a rolled-back
transaction before anything changes; each run of consecutive atomic steps in one
``BEGIN`` ... ``COMMIT``; each non-atomic step alone, outside a transaction; a
deferred preflight just before the step it guards (inside that step's
transaction when the step is atomic). The runner's own bookkeeping (history rows,
the advisory lock) is named in comments, not printed as SQL: it carries the
values of the run (who, when).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgwarden.apply import history
from pgwarden.apply.files import FileStep, Migration, Preflight, Script
from pgwarden.apply.history import Direction
from pgwarden.apply.runner import Runner
from pgwarden.errors import PgwardenError, RefusedError


@dataclass(frozen=True, slots=True)
class Pending:
    """A migration to run in one direction, from step ``first`` (a resume)."""

    migration: Migration
    direction: Direction
    first: int = 0

    @property
    def script(self) -> Script:
        """The script this direction runs (up.sql, or down.sql for a revert)."""
        script = self.migration.up if self.direction == "up" else self.migration.down
        assert script is not None  # the caller refused a migration without down.sql
        return script


def groups(steps: Sequence[FileStep], first: int) -> list[list[int]]:
    """Remaining steps in runs: consecutive atomic steps together, others alone
    (the runner's transaction boundaries)."""
    out: list[list[int]] = []
    for index in range(first, len(steps)):
        if steps[index].atomic and out and steps[out[-1][-1]].atomic:
            out[-1].append(index)
        else:
            out.append([index])
    return out


def _terminated(text: str) -> str:
    text = text.strip()
    return text if text.endswith(";") else text + ";"


def _preflight(check: Preflight, where: str) -> list[str]:
    want = "0 violations" if check.returns == "count" else "no rows"
    return [
        f"-- preflight ({where}; must find {want}): {check.description}",
        _terminated(check.query),
    ]


def render(pending: Sequence[Pending]) -> str:
    """The whole run as one SQL text (empty when nothing is pending)."""
    out: list[str] = []
    for item in pending:
        mig, script = item.migration, item.script
        steps = script.steps
        verb = "apply" if item.direction == "up" else "revert"
        resume = f", resuming at step {item.first + 1}" if item.first else ""
        out.append(
            f"-- {verb} {mig.name} ({len(steps) - item.first} of {len(steps)} steps{resume})"
        )
        upfront = [c for c in script.preflights if c.before_step >= item.first and not c.deferred]
        deferred = [c for c in script.preflights if c.before_step >= item.first and c.deferred]
        if upfront:
            out += [
                "",
                "-- before anything changes, in a transaction that is rolled back:",
                "BEGIN;",
            ]
            for check in upfront:
                out += _preflight(check, f"guards step {check.before_step + 1}")
            out.append("ROLLBACK;")
        for run in groups(steps, item.first):
            atomic = steps[run[0]].atomic
            out.append("")
            if atomic:
                out.append("BEGIN;")
            for index in run:
                for check in (c for c in deferred if c.before_step == index):
                    out += _preflight(check, "deferred to its step")
                mode = "" if atomic else ", outside a transaction"
                out.append(f"-- step {index + 1}/{len(steps)}{mode}: {steps[index].description}")
                out += [_terminated(s) for s in steps[index].statements]
            last = run[-1] == len(steps) - 1
            record = "records the step" + (
                f" and marks {mig.name} {'applied' if item.direction == 'up' else 'reverted'}"
                if last
                else ""
            )
            if atomic:
                out.append(f"-- (pgwarden {record} in this transaction)")
                out.append("COMMIT;")
            else:
                out.append(f"-- (pgwarden then {record} in its own transaction)")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n" if out else ""


def pending_up(runner: Runner, to: int | None = None) -> list[Pending]:
    """What ``runner.apply(to)`` would run on its database now (read only)."""
    if to is not None and to not in runner.by_version:
        raise PgwardenError(f"--to {to}: no migration numbered {to:04d}")
    with runner._connect() as conn:
        rows = history.read(conn, schema=runner.history_schema)
        runner._check_history(rows)
        out: list[Pending] = []
        for mig in runner._pending(rows, to):
            first = 0
            if mig.version in rows:
                done = history.steps_done(conn, mig.version, "up", schema=runner.history_schema)
                first = len(done)
            out.append(Pending(mig, "up", first))
        return out


def pending_down(runner: Runner, to: int | None = None) -> list[Pending]:
    """What ``runner.down(to)`` would run on its database now (read only)."""
    with runner._connect() as conn:
        rows = history.read(conn, schema=runner.history_schema)
        runner._check_history(rows)
        running = [r for r in rows.values() if r.status == "running"]
        if running:
            raise RefusedError(
                f"{running[0].name} is half-applied\n"
                "  fix: run `pgwarden migrate apply` to finish it, then revert"
            )
        versions = sorted(rows, reverse=True)
        if to is not None:
            targets = [v for v in versions if v > to]
        else:
            reverting = [v for v in versions if rows[v].status == "reverting"]
            targets = reverting[:1] or versions[:1]
        out: list[Pending] = []
        for version in targets:
            mig = runner.by_version[version]
            if mig.down is None:
                raise RefusedError(
                    f"{mig.path}: has no down.sql, so it cannot be reverted\n"
                    "  fix: write down.sql by hand, review it, run `pgwarden migrate hash`"
                )
            first = 0
            if rows[version].status == "reverting":
                done = history.steps_done(conn, version, "down", schema=runner.history_schema)
                first = len(done)
            out.append(Pending(mig, "down", first))
        return out
