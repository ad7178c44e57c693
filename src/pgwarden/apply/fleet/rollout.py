"""Roll one migration directory out to many targets: a canary first, then a bounded pool.

Every target is an ordinary :class:`~pgwarden.apply.runner.Runner` run with its
own advisory lock and history, so everything a single database guarantees holds
per target: a crash (of a target's connection, or of this whole process) leaves
each target either untouched, applied, or half-applied with its committed steps
recorded; the next rollout resumes each where it stopped.

The idle part of a fleet costs one round trip per target: before any lock or
``CREATE SCHEMA IF NOT EXISTS``, :func:`probe` reads the target's history in a
single query; a target whose every migration is applied with the expected
checksum is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import psycopg

from pgwarden.apply import history
from pgwarden.apply.files import Migration
from pgwarden.apply.fleet.targets import Target
from pgwarden.apply.runner import Runner
from pgwarden.db import connect, mask_secrets
from pgwarden.errors import PgwardenError

DEFAULT_PARALLEL = 8
DEFAULT_CONNECT_TIMEOUT = 10
Phase = Literal["canary", "wave"]
R = TypeVar("R")


def with_timeout(url: str, seconds: int) -> str:
    """``url`` with libpq's ``connect_timeout`` unless it sets one (an unroutable host
    would otherwise hold a pool slot for minutes)."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    if "connect_timeout" in params:
        return url
    return psycopg.conninfo.make_conninfo(url, connect_timeout=str(seconds))


def error_text(exc: BaseException) -> str:
    """A failure as one masked message: pgwarden's own text, or the driver's."""
    if isinstance(exc, PgwardenError | psycopg.Error):
        return mask_secrets(str(exc)).strip()
    return f"unexpected {type(exc).__name__}: {mask_secrets(str(exc)).strip()}"


# --------------------------------------------------------------------------- one target


@dataclass(frozen=True, slots=True)
class Probe:
    """What a target's history says, read in one round trip."""

    rows: dict[int, tuple[str, str, str]]
    """version -> (name, checksum, status)."""

    @property
    def version(self) -> int | None:
        """The highest applied (or baselined) migration; None: none yet."""
        done = [v for v, (_n, _c, s) in self.rows.items() if s in ("applied", "baseline")]
        return max(done, default=None)

    def state(self, migrations: Sequence[Migration]) -> str:
        """current, pending, half-applied (running/reverting) or changed (tampered/missing)."""
        by_version = {m.version: m for m in migrations}
        for version, (name, checksum, _status) in self.rows.items():
            mig = by_version.get(version)
            if mig is None or mig.name != name or mig.checksum != checksum:
                return "changed"
        if any(s in ("running", "reverting") for _n, _c, s in self.rows.values()):
            return "half-applied"
        return "pending" if self.pending(migrations) else "current"

    def pending(self, migrations: Sequence[Migration]) -> list[str]:
        """The names of the migrations the target has not applied yet."""
        return [m.name for m in migrations if m.version not in self.rows]


def probe(target: Target, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT) -> Probe:
    """Read the target's history (a short connect timeout: an unreachable target is reported,
    not waited for)."""
    with connect(with_timeout(target.url, connect_timeout)) as conn:
        return Probe(history.summary(conn, schema=target.history_schema))


@dataclass(frozen=True, slots=True)
class TargetResult:
    """How one target's rollout ended."""

    target: Target
    status: Literal["applied", "current", "failed", "skipped"]
    phase: Phase
    version_before: int | None = None
    version_after: int | None = None
    applied: tuple[str, ...] = ()
    duration_ms: int = 0
    error: str | None = None
    notes: tuple[str, ...] = ()
    """What the runner said on the way (resumed a half-applied migration, waited for a lock)."""

    @property
    def failed(self) -> bool:
        """The target ended in failure."""
        return self.status == "failed"

    def as_json(self) -> dict[str, Any]:
        """The result as ``fleet apply --json`` prints it."""
        return {
            "target": self.target.label,
            "schema": self.target.schema,
            "status": self.status,
            "phase": self.phase,
            "version_before": self.version_before,
            "version_after": self.version_after,
            "applied": list(self.applied),
            "duration_ms": self.duration_ms,
            "error": self.error,
            "notes": list(self.notes),
        }


def apply_target(
    target: Target,
    migrations: Sequence[Migration],
    phase: Phase,
    *,
    to: int | None = None,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
) -> TargetResult:
    """Bring one target to the latest migration (or ``to``); never raises."""
    began = time.monotonic()
    notes: list[str] = []
    before: int | None = None

    def elapsed() -> int:
        return int((time.monotonic() - began) * 1000)

    try:
        found = probe(target, connect_timeout)
        before = found.version
        wanted = [m for m in migrations if to is None or m.version <= to]
        if found.state(wanted) == "current":
            return TargetResult(target, "current", phase, before, before, duration_ms=elapsed())
        runner = Runner(
            with_timeout(target.url, connect_timeout),
            migrations,
            echo=lambda msg: notes.append(msg) if not msg.startswith("applied ") else None,
            schema=target.schema,
            history_schema=target.history_schema,
        )
        done = runner.apply(to)
    except Exception as exc:  # one target's failure is a row of the report, not a crash
        after = before
        with suppress(Exception):  # unreachable: the first error says why
            after = probe(target, connect_timeout).version
        return TargetResult(
            target,
            "failed",
            phase,
            before,
            after,
            duration_ms=elapsed(),
            error=error_text(exc),
            notes=tuple(notes),
        )
    after = max([m.version for m in done], default=before) if done else before
    return TargetResult(
        target,
        "applied" if done else "current",
        phase,
        before,
        after,
        applied=tuple(m.name for m in done),
        duration_ms=elapsed(),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- the pool


@dataclass(frozen=True, slots=True)
class Plan:
    """How a rollout proceeds."""

    canary: int = 0
    """Targets run first as a wave of their own; all of them run, and any failure among
    them stops the rollout before the first wave."""
    parallel: int = DEFAULT_PARALLEL
    """At most this many targets in flight (one connection each)."""
    max_failures: int | None = 1
    """Stop starting targets once this many failed (None: never stop)."""


@dataclass
class Outcome(Generic[R]):
    """What a rollout did: a result per started target, and why it stopped early, if it did."""

    results: list[R]
    stopped: str | None = None
    """Why targets were left unstarted (canary failed, max failures, interrupted)."""
    interrupted: bool = False
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class _Pool(Generic[R]):
    """One rollout's bookkeeping: results by target index, failures, why it stopped."""

    def __init__(
        self,
        targets: Sequence[Target],
        work: Callable[[Target, Phase], R],
        plan: Plan,
        failed: Callable[[R], bool],
        on_start: Callable[[int], None] | None,
        on_done: Callable[[int, R], None] | None,
    ) -> None:
        self.targets = targets
        self.work = work
        self.plan = plan
        self.failed = failed
        self.on_start = on_start
        self.on_done = on_done
        self.results: dict[int, R] = {}
        self.failures = 0
        self.stopped: str | None = None
        self.interrupted = False

    def phase(self, phase: Phase, indices: Sequence[int]) -> None:
        width = max(1, min(self.plan.parallel, len(indices)))
        queue = iter(indices)
        inflight: dict[Future[R], int] = {}
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="pgwarden-fleet") as pool:

            def fill() -> None:
                while self.stopped is None and len(inflight) < width:
                    index = next(queue, None)
                    if index is None:
                        return
                    if self.on_start is not None:
                        self.on_start(index)
                    inflight[pool.submit(self.work, self.targets[index], phase)] = index

            fill()
            while inflight:
                try:
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    self.interrupted, self.stopped = True, "interrupted (Ctrl-C)"
                    done, _ = wait(inflight)  # in-flight targets finish their run
                for future in done:
                    self._record(inflight.pop(future), future.result())
                if self.stopped is None and phase == "wave" and self._limit_reached():
                    self.stopped = f"stopped after {self.failures} failure(s) (--max-failures)"
                fill()
        canary_failed = any(self.failed(self.results[i]) for i in indices if i in self.results)
        if phase == "canary" and self.stopped is None and canary_failed:
            self.stopped = "a canary target failed; no wave started"

    def _record(self, index: int, result: R) -> None:
        self.results[index] = result
        if self.failed(result):
            self.failures += 1
        if self.on_done is not None:
            self.on_done(index, result)

    def _limit_reached(self) -> bool:
        limit = self.plan.max_failures
        return limit is not None and self.failures >= limit


def run_pool(
    targets: Sequence[Target],
    work: Callable[[Target, Phase], R],
    *,
    plan: Plan,
    failed: Callable[[R], bool],
    skipped: Callable[[Target, Phase, str], R],
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[int, R], None] | None = None,
) -> Outcome[R]:
    """Run ``work`` on every target: the canary targets, then the rest, ``plan.parallel``
    at a time (a new target starts as soon as one finishes); results in target order.

    Ctrl-C stops starting targets; the ones in flight finish (each is crash-safe,
    but finishing keeps the report true), then the outcome says ``interrupted``.
    ``on_start`` / ``on_done`` are called on the calling thread.
    """
    began = time.monotonic()
    pool = _Pool(targets, work, plan, failed, on_start, on_done)
    canary = min(plan.canary, len(targets))
    for phase, indices in (
        ("canary", range(canary)),
        ("wave", range(canary, len(targets))),
    ):
        if indices and pool.stopped is None:
            pool.phase(phase, indices)  # type: ignore[arg-type]
    results = [
        pool.results[i]
        if i in pool.results
        else skipped(t, "canary" if i < canary else "wave", pool.stopped or "not started")
        for i, t in enumerate(targets)
    ]
    return Outcome(results, pool.stopped, pool.interrupted, time.monotonic() - began)


def roll_out(
    targets: Sequence[Target],
    migrations: Sequence[Migration],
    plan: Plan,
    *,
    to: int | None = None,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[int, TargetResult], None] | None = None,
) -> Outcome[TargetResult]:
    """Apply ``migrations`` to every target per ``plan``."""
    return run_pool(
        targets,
        lambda t, phase: apply_target(t, migrations, phase, to=to, connect_timeout=connect_timeout),
        plan=plan,
        failed=lambda r: r.failed,
        skipped=lambda t, phase, why: TargetResult(t, "skipped", phase, error=why),
        on_start=on_start,
        on_done=on_done,
    )
