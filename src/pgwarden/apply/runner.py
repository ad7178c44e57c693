"""The runner: apply and revert migrations without ever half-recording one.

Per migration, consecutive atomic steps run in one transaction together with
the history rows that record them; a non-atomic step (``CREATE INDEX
CONCURRENTLY``) runs alone and is recorded right after it succeeds. A crash
therefore leaves either nothing or a ``running`` row whose recorded steps are
exactly the ones that committed; the next ``apply`` resumes after them, and a
concurrent index build the crash interrupted (an INVALID index) is dropped and
rebuilt. The row becomes ``applied`` only in the transaction of the last step.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from pglast import parse_sql
from psycopg import sql

from pgwarden.apply import history
from pgwarden.apply.backfill import (
    BATCH_SIZE,
    BATCH_TIME,
    BatchSizer,
    batch_bound,
    batch_update,
    end_key,
    parse_update,
    primary_key,
    remaining,
)
from pgwarden.apply.files import FileStep, Migration, Preflight, Script, update_statement
from pgwarden.apply.lock import lock_key, migration_lock
from pgwarden.apply.preflight import Finding, PreflightError, missing_object, run_check
from pgwarden.apply.progress import Progress
from pgwarden.apply.resolve import Outcome, claim, flag, unfinished, way_out
from pgwarden.db import connect, mask_secrets
from pgwarden.errors import PgwardenError, RefusedError
from pgwarden.spec.model import Schema
from pgwarden.spec.sqltext import trusted

#: Test hook: SIGKILL this process right after the N-th boundary (a statement
#: executed or a transaction committed) of a run. Used by the crash-safety tests.
CRASH_ENV = "PGWARDEN_TEST_CRASH_AFTER"


class ApplyError(PgwardenError):
    """A migration statement failed; committed progress is recorded for a resume."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class MigrationState:
    """One migration as ``migrate status`` shows it."""

    version: int
    name: str
    state: str
    """pending, applied, baseline, running, reverting, changed, missing."""
    steps_done: int
    steps_total: int
    applied_at: datetime | None = None
    applied_by: str | None = None
    duration_ms: int | None = None

    def line(self) -> str:
        """The status line: name, state, and for a half-done migration what resumes it."""
        text = f"{self.name:<40} {self.state}"
        if self.state in ("running", "reverting"):
            again = "apply" if self.state == "running" else "down"
            text += (
                f" ({self.steps_done}/{self.steps_total} steps done; `migrate {again}` resumes,"
                f" `migrate resolve` after a hand repair)"
            )
        if self.applied_at is not None and self.state in ("applied", "baseline", "changed"):
            text += f"  {self.applied_at:%Y-%m-%d %H:%M:%S%z} by {self.applied_by}"
            if self.duration_ms is not None:
                text += f" in {self.duration_ms} ms"
        return text


class Runner:
    """Apply / revert / report the migrations of one directory against one database."""

    def __init__(
        self,
        url: str,
        migrations: Sequence[Migration],
        echo: Callable[[str], None] | None = None,
        *,
        schema: str = "public",
        trace: Callable[[str], None] | None = None,
        progress: Progress | None = None,
        history_schema: str = history.HISTORY_SCHEMA,
        batch_size: int = BATCH_SIZE,
        batch_time: float = BATCH_TIME,
    ) -> None:
        if batch_size < 1:
            raise PgwardenError(f"--batch-size {batch_size}: must be at least 1")
        if batch_time < 0:
            raise PgwardenError(f"--batch-time {batch_time * 1000:g}: must be 0 or more")
        self.url = url
        self.batch_size = batch_size
        """The most rows per transaction of a batched backfill step."""
        self.batch_time = batch_time
        """Target seconds per batch (0: every batch takes ``batch_size`` rows)."""
        self.schema = schema
        self.history_schema = history_schema
        """Where this target's history lives: ``pgwarden``, or a tenant's own (fleet)."""
        self._h = {"schema": history_schema}
        self.trace = trace
        """Called with every migration statement just before it runs."""
        self.migrations = tuple(migrations)
        self.by_version = {m.version: m for m in self.migrations}
        self.echo = echo or (lambda _msg: None)
        self.progress = progress or Progress()
        """Told of each migration, step and statement (pgwarden.apply.progress)."""
        self._boundaries = 0
        self._crash_after = int(os.environ.get(CRASH_ENV, "0") or 0)

    # ------------------------------------------------------------------ plumbing

    def _boundary(self) -> None:
        self._boundaries += 1
        if self._crash_after and self._boundaries >= self._crash_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def _waiting(self) -> None:
        self.echo("waiting for another pgwarden applier to finish (advisory lock)")

    def _connect(self) -> psycopg.Connection[Any]:
        conn = connect(self.url)
        # rendered SQL is unqualified: the governed namespace comes from search_path
        path = [self.schema] if self.schema == "public" else [self.schema, "public"]
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.SQL(", ").join(map(sql.Identifier, path)))
        )
        return conn

    def _ensure_namespace(self, conn: psycopg.Connection[Any]) -> None:
        if self.schema == "public":
            return
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))

    def _check_history(self, rows: dict[int, history.HistoryRow]) -> None:
        problems: list[str] = []
        for version, row in sorted(rows.items()):
            mig = self.by_version.get(version)
            if mig is None:
                problems.append(
                    f"{row.name} is {row.status} in this database but missing from the "
                    "migrations directory (restore it from version control)"
                )
            elif mig.name != row.name:
                problems.append(
                    f"{mig.path}: the database has {row.name} at number {version:04d} "
                    "(renamed or replaced after it was applied)"
                )
            elif mig.checksum != row.checksum:
                problems.append(
                    f"{mig.path}: changed after it was applied to this database "
                    f"(checksum {mig.checksum[:12]}, applied {row.checksum[:12]}); revert the "
                    "edit and put the change in a new migration"
                )
        if problems:
            raise RefusedError("refused:\n  " + "\n  ".join(problems))

    # ------------------------------------------------------------------ status

    def status(self) -> list[MigrationState]:
        """Every migration of the directory with its state in the database's history."""
        with self._connect() as conn:
            rows = history.read(conn, **self._h)
            states: list[MigrationState] = []
            for mig in self.migrations:
                row = rows.get(mig.version)
                total = len(mig.up.steps)
                if row is None:
                    states.append(MigrationState(mig.version, mig.name, "pending", 0, total))
                    continue
                state = row.status
                if row.name != mig.name or row.checksum != mig.checksum:
                    state = "changed"
                done = 0
                if row.status in ("running", "reverting"):
                    direction: history.Direction = "up" if row.status == "running" else "down"
                    done = len(history.steps_done(conn, mig.version, direction, **self._h))
                    if direction == "down" and mig.down is not None:
                        total = len(mig.down.steps)
                states.append(
                    MigrationState(
                        mig.version,
                        mig.name,
                        state,
                        done,
                        total,
                        row.finished_at,
                        f"{row.applied_by} ({row.os_user}@{row.client_host})",
                        row.duration_ms,
                    )
                )
            for version, extra in sorted(rows.items()):
                if version not in self.by_version:
                    states.append(MigrationState(version, extra.name, "missing", 0, 0))
            return sorted(states, key=lambda s: s.version)

    # ------------------------------------------------------------------ apply

    def _pending(self, rows: dict[int, history.HistoryRow], to: int | None) -> list[Migration]:
        for row in rows.values():
            if row.status == "reverting":
                raise RefusedError(
                    f"{row.name} is half-reverted, so nothing can be applied\n"
                    f"  fix: run `pgwarden migrate down` to finish reverting it first; "
                    f"{_stuck_hint(row.version)}"
                )
        done_max = max(rows, default=0)
        pending = [
            m
            for m in self.migrations
            if (m.version not in rows or rows[m.version].status == "running")
            and (to is None or m.version <= to)
        ]
        late = [m for m in pending if m.version not in rows and m.version < done_max]
        if late:
            raise RefusedError(
                f"{late[0].path}: numbered {late[0].version:04d} but this database is already "
                f"at {done_max:04d} (a migration merged in out of order)\n"
                "  fix: renumber it after the applied ones (regenerate it with "
                "`pgwarden migrate new`)"
            )
        return pending

    def apply(self, to: int | None = None) -> list[Migration]:
        """Apply pending migrations (up to ``to``); resumes a half-applied one first."""
        if to is not None and to not in self.by_version:
            raise PgwardenError(f"--to {to}: no migration numbered {to:04d}")
        with (
            self._connect() as conn,
            migration_lock(conn, self._waiting, key=lock_key(self.history_schema)),
        ):
            history.ensure_tables(conn, **self._h)
            self._ensure_namespace(conn)
            rows = history.read(conn, **self._h)
            self._check_history(rows)
            applied: list[Migration] = []
            for mig in self._pending(rows, to):
                self._run(conn, mig, "up", mig.up, started=mig.version in rows)
                applied.append(mig)
                self.echo(f"applied {mig.name}")
            return applied

    def dry_run(self, to: int | None = None) -> list[Migration]:
        """Print what ``apply`` would run and preflight the next migration; change nothing.

        Only the next migration's checks run: later ones read a schema that
        does not exist until the earlier migrations are applied.
        """
        if to is not None and to not in self.by_version:
            raise PgwardenError(f"--to {to}: no migration numbered {to:04d}")
        with self._connect() as conn:
            rows = history.read(conn, **self._h)
            self._check_history(rows)
            pending = self._pending(rows, to)
            for position, mig in enumerate(pending):
                first = (
                    len(history.steps_done(conn, mig.version, "up", **self._h))
                    if mig.version in rows
                    else 0
                )
                self.echo(f"{mig.name}: {len(mig.up.steps) - first} step(s) to run")
                for index, step in enumerate(mig.up.steps[first:], start=first):
                    mode = "" if step.atomic else "  [outside a transaction]"
                    self.echo(f"  {index + 1}. {step.description}{mode}")
                if position:
                    continue
                findings: list[Finding] = []
                for check in mig.up.preflights:
                    if check.before_step < first:
                        continue
                    if check.deferred:
                        self.echo(f"  preflight deferred to its step: {check.description}")
                        continue
                    try:
                        finding = run_check(conn, check)
                    except psycopg.Error as exc:
                        if missing_object(exc):
                            self.echo(f"  preflight deferred to its step: {check.description}")
                            continue
                        raise self._failed(mig, check.query, exc, changed=False) from None
                    if finding.count:
                        findings.append(finding)
                if findings:
                    raise PreflightError(mig.name, findings, changed=False)
                if mig.up.preflights:
                    self.echo(f"  preflight: {len(mig.up.preflights)} check(s) find no rows")
            return pending

    def down(self, to: int | None = None) -> list[Migration]:
        """Revert the latest applied migration, or every one above ``to``."""
        with (
            self._connect() as conn,
            migration_lock(conn, self._waiting, key=lock_key(self.history_schema)),
        ):
            history.ensure_tables(conn, **self._h)
            rows = history.read(conn, **self._h)
            self._check_history(rows)
            reverted: list[Migration] = []
            for mig in self._down_targets(rows, to):
                assert mig.down is not None
                started = rows[mig.version].status == "reverting"
                self._run(conn, mig, "down", mig.down, started=started)
                reverted.append(mig)
                self.echo(f"reverted {mig.name}")
            return reverted

    def _down_targets(self, rows: dict[int, history.HistoryRow], to: int | None) -> list[Migration]:
        running = [r for r in rows.values() if r.status == "running"]
        if running:
            raise RefusedError(
                f"{running[0].name} is half-applied, so nothing can be reverted\n"
                "  fix: run `pgwarden migrate apply` to finish it, then revert; "
                f"{_stuck_hint(running[0].version)}"
            )
        versions = sorted(rows, reverse=True)
        if to is not None:
            targets = [v for v in versions if v > to]
        else:
            reverting = [v for v in versions if rows[v].status == "reverting"]
            targets = reverting[:1] or versions[:1]
        for v in targets:
            if self.by_version[v].down is None:
                raise RefusedError(
                    f"{self.by_version[v].path}: has no down.sql, so it cannot be reverted\n"
                    "  fix: write down.sql by hand, review it, run `pgwarden migrate hash`"
                )
        return [self.by_version[v] for v in targets]

    # ------------------------------------------------------------------ review

    def pending(
        self, direction: history.Direction, to: int | None = None
    ) -> list[tuple[Migration, int]]:
        """What ``apply(to)`` (``"up"``) or ``down(to)`` (``"down"``) would run now, each
        migration with the index of its first step to run (a resume). Read only; refuses
        what those commands refuse (``migrate apply --sql``, :mod:`pgwarden.apply.review`)."""
        if direction == "up" and to is not None and to not in self.by_version:
            raise PgwardenError(f"--to {to}: no migration numbered {to:04d}")
        with self._connect() as conn:
            rows = history.read(conn, **self._h)
            self._check_history(rows)
            if direction == "up":
                migrations = self._pending(rows, to)
                started = {m.version for m in migrations if m.version in rows}
            else:
                migrations = self._down_targets(rows, to)
                started = {m.version for m in migrations if rows[m.version].status == "reverting"}
            return [
                (
                    m,
                    len(history.steps_done(conn, m.version, direction, **self._h))
                    if m.version in started
                    else 0,
                )
                for m in migrations
            ]

    def backfill_key(self, statement: str) -> list[tuple[str, str]] | None:
        """The primary key ``(column, type)`` the batches of this backfill ``UPDATE`` walk,
        read from the table as it is now: empty when it has none (one transaction), None
        when the table does not exist yet (an earlier step creates it)."""
        update = parse_update(statement)
        with self._connect() as conn:
            row = conn.execute(
                "SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                (update.relation().as_string(conn),),
            ).fetchone()
            if row is None or not row[0]:
                return None
            return primary_key(conn, update)

    # ------------------------------------------------------------------ baseline

    def baseline(self, to: int | None = None) -> list[Migration]:
        """Record migrations 1..``to`` as applied after checking the database matches."""
        if not self.migrations:
            raise PgwardenError("no migrations to baseline\n  fix: `pgwarden migrate new NAME`")
        target = self.by_version.get(to) if to is not None else self.migrations[-1]
        if target is None:
            raise PgwardenError(f"--to {to}: no migration numbered {to:04d}")
        if target.snapshot is None:
            raise RefusedError(
                f"{target.path}: has no snapshot.toml, so there is nothing to check the "
                "database against\n  fix: baseline at a migration written by `pgwarden migrate new`"
            )
        from pgwarden.spec.load import load_schema_text

        expected = load_schema_text(target.snapshot, str(target.path / "snapshot.toml"))
        with (
            self._connect() as conn,
            migration_lock(conn, self._waiting, key=lock_key(self.history_schema)),
        ):
            history.ensure_tables(conn, **self._h)
            rows = history.read(conn, **self._h)
            if rows:
                raise RefusedError(
                    f"this database already has migration history (latest "
                    f"{rows[max(rows)].name})\n  fix: baseline only a database pgwarden has never "
                    "migrated; use `pgwarden migrate apply` here"
                )
            drift = database_drift(conn, expected)
            if drift:
                raise RefusedError(
                    f"the database does not match {target.name}'s snapshot, refusing to "
                    "baseline:\n  " + "\n  ".join(drift) + "\n  fix: bring the database to "
                    "that state first, or baseline at the migration it does match (--to N)"
                )
            marked = [m for m in self.migrations if m.version <= target.version]
            with conn.transaction():
                for mig in marked:
                    history.baseline(conn, mig.version, mig.name, mig.checksum, **self._h)
            for mig in marked:
                self.echo(f"baseline {mig.name}")
            return marked

    # ------------------------------------------------------------------ resolve

    def resolve(self, version: int, outcome: Outcome, *, force: bool = False) -> Migration:
        """Declare a half-done migration applied or rolled back after a hand repair,
        once the database matches what that claims (pgwarden.apply.resolve)."""
        option = f"{flag(outcome)} {version}"
        mig = self.by_version.get(version)
        if mig is None:
            raise PgwardenError(f"{option}: no migration numbered {version:04d}")
        target = claim(self.migrations, mig, outcome, self.schema)
        if target.expected is None and not force:
            raise RefusedError(
                f"{target.label} does not exist, so there is nothing to check the database "
                "against\n  fix: check by hand that the database is where you claim, then "
                f"rerun with --force: `pgwarden migrate resolve {option} --force`"
            )
        if target.expected is not None and force:
            raise PgwardenError(
                f"{option} --force: {target.label} exists, so the database is checked "
                "against it and --force is not needed\n  fix: drop --force"
            )
        with (
            self._connect() as conn,
            migration_lock(conn, self._waiting, key=lock_key(self.history_schema)),
        ):
            history.ensure_tables(conn, **self._h)
            rows = history.read(conn, **self._h)
            self._check_history(rows)
            row = rows.get(version)
            if row is None or row.status not in ("running", "reverting"):
                state = "pending (never applied)" if row is None else row.status
                raise RefusedError(
                    f"{mig.name} is {state} in this database; resolve is only for a "
                    "half-applied (running) or half-reverted (reverting) migration\n"
                    "  fix: `pgwarden migrate status` shows each state; use `pgwarden migrate "
                    "apply` / `down`, or `baseline` for a database pgwarden never migrated"
                )
            later = [r.name for v, r in rows.items() if v > version]
            if outcome == "rolled_back" and later:
                raise RefusedError(
                    f"{option}: {', '.join(later)} is recorded above it\n"
                    "  fix: revert those first (`pgwarden migrate down --to N`)"
                )
            direction: history.Direction = "up" if row.status == "running" else "down"
            done = len(history.steps_done(conn, version, direction, **self._h))
            if target.expected is not None:
                problems = database_drift(conn, target.expected) + unfinished(conn, self.schema)
                if problems:
                    raise RefusedError(
                        f"the database does not match {target.label}, refusing {option}:\n  "
                        + "\n  ".join(problems)
                        + "\n  fix: finish the repair until it matches (or resolve the other "
                        "way), then rerun; nothing was recorded"
                    )
            with conn.transaction():
                history.resolve(
                    conn, row, outcome, done, checked=target.expected is not None, **self._h
                )
            self._boundary()
        what = "applied" if outcome == "applied" else "rolled back"
        self.echo(f"resolved {mig.name} as {what} (it was {row.status}, {done} step(s) recorded)")
        return mig

    # ------------------------------------------------------------------ one migration

    def _run(
        self,
        conn: psycopg.Connection[Any],
        mig: Migration,
        direction: history.Direction,
        script: Script,
        *,
        started: bool,
    ) -> None:
        status: history.Status = "running" if direction == "up" else "reverting"
        done = history.steps_done(conn, mig.version, direction, **self._h) if started else set()
        first = len(done)
        if done != set(range(first)):
            raise RefusedError(
                f"{mig.name}: recorded steps {sorted(done)} are not a prefix of the migration\n"
                "  fix: inspect pgwarden.migration_steps; the history was edited by hand; "
                f"{_stuck_hint(mig.version)}"
            )
        steps = script.steps
        self.progress.migration_started(mig.name, direction, first, len(steps))
        if first:
            self.echo(f"resuming {mig.name} {direction} at step {first + 1}/{len(steps)}")

        # Preflight every check of the remaining steps before any change; a check on
        # an object this migration creates waits until just before its step.
        deferred: list[Preflight] = []
        findings: list[Finding] = []
        for check in script.preflights:
            if check.before_step < first:
                continue
            if check.deferred:
                deferred.append(check)
                continue
            try:
                finding = run_check(conn, check)
            except psycopg.Error as exc:
                if missing_object(exc):
                    deferred.append(check)
                    continue
                raise self._failed(
                    mig, check.query, exc, changed=started, direction=direction
                ) from None
            if finding.count:
                findings.append(finding)
        if findings:
            raise PreflightError(
                mig.name, findings, changed=bool(first), way_out=way_out(mig.version, direction)
            )

        finish = history.finish_up if direction == "up" else history.finish_down
        if not steps:  # an empty script still moves the history
            with conn.transaction():
                history.start(conn, mig.version, mig.name, mig.checksum, status, **self._h)
                finish(conn, mig.version, **self._h)
            self._boundary()
            return

        def deferred_checks(index: int) -> None:
            # inside an atomic run these see the earlier steps of the same transaction
            for check in deferred:
                if check.before_step == index:
                    try:
                        finding = run_check(conn, check)
                    except psycopg.Error as exc:
                        raise self._failed(
                            mig, check.query, exc, changed=started, direction=direction
                        ) from None
                    if finding.count:
                        raise PreflightError(
                            mig.name,
                            [finding],
                            changed=started,
                            way_out=way_out(mig.version, direction),
                        )

        for group in _groups(steps, first):
            last = group[-1] == len(steps) - 1
            if steps[group[0]].atomic:
                try:
                    with conn.transaction():
                        history.start(conn, mig.version, mig.name, mig.checksum, status, **self._h)
                        for index in group:
                            deferred_checks(index)
                            self._step(index, steps)
                            began = datetime.now(UTC)
                            for stmt in steps[index].statements:
                                self._execute(conn, stmt)
                            history.record_step(
                                conn,
                                mig.version,
                                direction,
                                index,
                                steps[index].description,
                                True,
                                began,
                                **self._h,
                            )
                        if last:
                            finish(conn, mig.version, **self._h)
                except psycopg.Error as exc:
                    raise self._failed(
                        mig, _current_stmt(exc), exc, changed=started, direction=direction
                    ) from None
                self._boundary()
            else:
                (index,) = group
                deferred_checks(index)
                self._step(index, steps)
                if not started:
                    with conn.transaction():
                        history.start(conn, mig.version, mig.name, mig.checksum, status, **self._h)
                    self._boundary()
                started = True
                began = datetime.now(UTC)
                if steps[index].batched:
                    self._backfill(conn, mig, direction, index, steps[index])
                else:
                    for stmt in steps[index].statements:
                        self._execute_outside(conn, mig, stmt, direction)
                with conn.transaction():
                    history.record_step(
                        conn,
                        mig.version,
                        direction,
                        index,
                        steps[index].description,
                        False,
                        began,
                        **self._h,
                    )
                    if last:
                        finish(conn, mig.version, **self._h)
                self._boundary()
            started = True
        self.progress.migration_finished(mig.name)

    def _step(self, index: int, steps: Sequence[FileStep]) -> None:
        step = steps[index]
        self.progress.step_started(index, len(steps), step.description, atomic=step.atomic)

    def _execute(self, conn: psycopg.Connection[Any], stmt: str) -> None:
        if self.trace is not None:
            self.trace(stmt)
        self.progress.statement_started(stmt, conn.info.backend_pid)
        try:
            conn.execute(trusted(stmt))  # the reviewed file's text is the query
        except psycopg.Error as exc:
            exc.add_note(stmt)
            raise
        finally:
            self.progress.statement_finished()
        self._boundary()

    def _execute_outside(
        self,
        conn: psycopg.Connection[Any],
        mig: Migration,
        stmt: str,
        direction: history.Direction = "up",
    ) -> None:
        """Run a non-transactional statement, repairing what a crash may have left."""
        action = _resume_action(conn, stmt)
        if action == "skip":
            self.echo(f"  already done: {_short(stmt)}")
            return
        if isinstance(action, sql.Composed):
            self.echo(f"  dropping the INVALID index a failed build left: {_short(stmt)}")
            conn.execute(action)
        if self.trace is not None:
            self.trace(stmt)
        self.progress.statement_started(stmt, conn.info.backend_pid)
        try:
            conn.execute(trusted(stmt))  # the reviewed file's text is the query
        except psycopg.Error as exc:
            raise self._failed(mig, stmt, exc, changed=True, direction=direction) from None
        finally:
            self.progress.statement_finished()
        self._boundary()

    def _backfill(
        self,
        conn: psycopg.Connection[Any],
        mig: Migration,
        direction: history.Direction,
        index: int,
        step: FileStep,
    ) -> None:
        """A batched step: keyset batches, each committed with its progress, resuming
        after the last committed one (pgwarden.apply.backfill)."""
        stmt = update_statement(step.statements)
        update = parse_update(stmt)
        h = self._h
        self.progress.statement_started(stmt, conn.info.backend_pid)
        try:
            for setting in step.statements:
                if setting != stmt:
                    if self.trace is not None:
                        self.trace(setting)
                    conn.execute(trusted(setting))  # the timeouts hold for every batch
            if self.trace is not None:
                self.trace(stmt)
            key = primary_key(conn, update)
            last, rows, _batches = history.backfill_done(conn, mig.version, direction, index, **h)
            if not key or set(update.columns) & {name for name, _ in key}:
                if _batches:
                    return  # the one-transaction form committed before a crash
                with conn.transaction():
                    cur = conn.execute(trusted(stmt))
                    history.record_batch(
                        conn, mig.version, direction, index, None, max(cur.rowcount, 0), **h
                    )
                self._boundary()
                return
            if last is not None:
                self.echo(f"  resuming the backfill after {rows:,} rows")
            end = end_key(conn, update, key)
            if end is None:
                return  # an empty table
            total = rows + remaining(conn, update, key, last, end)
            self.progress.batch(rows, total)
            sizer = BatchSizer(self.batch_size, self.batch_time)
            while last != end:
                resume = last is not None
                params = list(last or ())
                # the whole transaction, commit included: how long its row locks are held
                started = time.perf_counter()
                with conn.transaction():
                    bound = batch_bound(update, key, resume=resume, size=sizer.size)
                    found = conn.execute(bound, [*params, *end]).fetchone()
                    upto = end if found is None else tuple(str(v) for v in found[0])
                    done = conn.execute(batch_update(update, key, resume=resume), [*params, *upto])
                    last = upto
                    rows += max(done.rowcount, 0)
                    history.record_batch(
                        conn, mig.version, direction, index, last, max(done.rowcount, 0), **h
                    )
                # a batch short of its size (the last one) says nothing of the next
                sizer.measured(sizer.size if found else 0, time.perf_counter() - started)
                self._boundary()
                self.progress.batch(rows, max(total, rows))
        except psycopg.Error as exc:
            raise self._failed(mig, stmt, exc, changed=True, direction=direction) from None
        finally:
            self.progress.statement_finished()

    def _failed(
        self,
        mig: Migration,
        stmt: str,
        exc: psycopg.Error,
        *,
        changed: bool,
        direction: history.Direction = "up",
    ) -> ApplyError:
        """The error of a failed statement, ending with the command that gets out."""
        again = "apply" if direction == "up" else "down"
        if changed:
            half = "half-applied" if direction == "up" else "half-reverted"
            state = f"{mig.name} is {half}: the steps recorded before it are committed"
        elif direction == "up":
            state = "its transaction was rolled back; nothing of it is recorded"
        else:
            state = "its transaction was rolled back; the migration is still applied"
        message = mask_secrets(str(exc)).strip()
        timeout = isinstance(exc, psycopg.errors.LockNotAvailable | psycopg.errors.QueryCanceled)
        if changed:
            fix = way_out(mig.version, direction)
            if timeout:
                fix = (
                    "another session holds a lock on the table (or the statement hit its "
                    f"timeout); {fix}"
                )
        elif timeout:
            fix = (
                "another session holds a lock on the table (or the statement hit its "
                f"timeout); rerun `pgwarden migrate {again}` when traffic is lower"
            )
        elif direction == "up":
            fix = (
                "correct the data, or the migration if it is applied nowhere yet (then "
                "`pgwarden migrate hash`), and rerun `pgwarden migrate apply`"
            )
        else:
            fix = (
                "correct the data and rerun `pgwarden migrate down` (an applied migration's "
                "files are never edited: write a new migration instead)"
            )
        return ApplyError(
            f"{mig.path}: statement failed ({state}):\n    {_short(stmt, 300)}\n  {message}"
            f"\n  fix: {fix}"
        )


def _stuck_hint(version: int) -> str:
    return (
        "if that keeps failing, repair the database by hand and run `pgwarden migrate resolve "
        f"--applied {version}` or `--rolled-back {version}`"
    )


def _current_stmt(exc: psycopg.Error) -> str:
    notes = getattr(exc, "__notes__", None)
    return str(notes[-1]) if notes else "(history update)"


def _short(stmt: str, limit: int = 100) -> str:
    text = " ".join(stmt.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _groups(steps: Sequence[FileStep], first: int) -> list[list[int]]:
    """Remaining steps in runs: consecutive atomic steps together, others alone."""
    groups: list[list[int]] = []
    for index in range(first, len(steps)):
        if steps[index].atomic and groups and steps[groups[-1][-1]].atomic:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _resume_action(conn: psycopg.Connection[Any], stmt: str) -> str | sql.Composed:
    """``run``, ``skip`` (already done) or a DROP to run first (an INVALID index)."""
    try:
        node: Any = parse_sql(stmt)[0].stmt
    except Exception:  # parse errors were reported when the file was read
        return "run"
    kind = type(node).__name__
    if kind == "IndexStmt" and node.concurrent and node.idxname:
        schema = node.relation.schemaname
        state = _index_state(conn, schema, node.idxname)
        if state is None:
            return "run"
        if state:
            return "skip"
        return sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
            _qualified(conn, schema, node.idxname)
        )
    if kind == "AlterEnumStmt" and node.newVal and not node.oldVal:
        # ADD VALUE cannot be undone by a rollback; a rerun would fail on the label
        parts = [s.sval for s in node.typeName]
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
        row = conn.execute(
            "SELECT 1 FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
            " WHERE t.typname = %s AND n.nspname = coalesce(%s, current_schema())"
            " AND e.enumlabel = %s",
            (name, schema, node.newVal),
        ).fetchone()
        return "skip" if row else "run"
    if kind == "DropStmt" and node.concurrent and len(node.objects) == 1:
        parts = [s.sval for s in node.objects[0]]
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
        if _index_state(conn, schema, name) is None:
            return "skip"
    return "run"


def _index_state(conn: psycopg.Connection[Any], schema: str | None, name: str) -> bool | None:
    """None: no such index; else whether it is valid."""
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_catalog.pg_index i"
        " JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = %s AND n.nspname = coalesce(%s, current_schema())",
        (name, schema),
    ).fetchone()
    return None if row is None else bool(row[0])


def _qualified(conn: psycopg.Connection[Any], schema: str | None, name: str) -> sql.Identifier:
    if schema is None:
        row = conn.execute("SELECT current_schema()").fetchone()
        schema = str(row[0]) if row else "public"
    return sql.Identifier(schema, name)


def database_drift(conn: psycopg.Connection[Any], expected: Schema) -> list[str]:
    """How the live namespace ``expected.name`` (and the spec's other namespaces)
    differ from ``expected`` (empty: none); objects only in the database that the
    spec's ``ignore`` acknowledges are not drift."""
    return database_state(conn, expected)[0]


def database_state(conn: psycopg.Connection[Any], expected: Schema) -> tuple[list[str], list[str]]:
    """(drift, unmanaged): the differences that are drift, and what the database
    holds that the model does not govern and ``ignore`` does not acknowledge."""
    from pgwarden.apply.canonical import canonicalize
    from pgwarden.introspect import drift, inspect_schema, unmanaged

    actual = inspect_schema(conn, expected.name, also=[n.name for n in expected.schemas])
    canonical = canonicalize(expected, conn)
    # pgwarden's own history (``pgwarden``, a fleet tenant's ``pgwarden_<tenant>``) is
    # governed by the runner, not unmanaged: a clean quick start must not list it
    own = [
        u
        for u in unmanaged(expected, actual)
        if not (
            u.startswith(f"schema {history.HISTORY_SCHEMA}:")
            or u.startswith(f"schema {history.HISTORY_SCHEMA}_")
        )
    ]
    return [d.render() for d in drift(canonical, actual)], own
