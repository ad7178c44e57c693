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

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pgwarden.apply.backfill import created_key, parse_update, render_loop
from pgwarden.apply.files import FileStep, Migration, Preflight, Script, update_statement
from pgwarden.apply.history import Direction
from pgwarden.apply.runner import Runner


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


def render(pending: Sequence[Pending], loop: Callable[[str], str] | None = None) -> str:
    """The whole run as one SQL text (empty when nothing is pending). ``loop``: the text
    of a batched backfill's ``UPDATE`` as the runner runs it (:func:`loops`); without
    it the plain ``UPDATE`` is printed."""
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
                statements = steps[index].statements
                if steps[index].batched and loop is not None:
                    update = update_statement(statements)
                    out += [_terminated(s) for s in statements if s != update]
                    out.append(loop(update).rstrip("\n"))
                else:
                    out += [_terminated(s) for s in statements]
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


def loops(runner: Runner, pending: Sequence[Pending] = ()) -> Callable[[str], str]:
    """A batched backfill as the loop ``runner`` runs: keyset batches sized as its batch
    size and time say, over the table's primary key as the table has it now, or (a
    table that an earlier step of ``pending`` creates) as that step creates it."""

    def before(statement: str) -> list[str]:
        """The statements of the run up to the batched step of ``statement``."""
        out: list[str] = []
        for item in pending:
            for step in item.script.steps[item.first :]:
                if step.batched and update_statement(step.statements) == statement:
                    return out
                out += step.statements
        return out

    def text(statement: str) -> str:
        key = runner.backfill_key(statement)
        if key is None:
            key = created_key(before(statement), parse_update(statement), runner.schema)
        if key is None:
            return (
                "-- batched backfill: its table does not exist and no earlier step creates\n"
                "-- it, so this statement fails as it stands:\n"
                f"{_terminated(statement)}\n"
            )
        return render_loop(statement, key, runner.batch_size, runner.batch_time)

    return text


def pending_up(runner: Runner, to: int | None = None) -> list[Pending]:
    """What ``runner.apply(to)`` would run on its database now (read only)."""
    return [Pending(m, "up", first) for m, first in runner.pending("up", to)]


def pending_down(runner: Runner, to: int | None = None) -> list[Pending]:
    """What ``runner.down(to)`` would run on its database now (read only)."""
    return [Pending(m, "down", first) for m, first in runner.pending("down", to)]
