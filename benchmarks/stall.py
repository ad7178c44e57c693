"""Question 5: online migration stall — a writer thread commits single-row
INSERTs in a loop into a big table while a migration adds a foreign key and a
partial unique index: pgwarden's plan (``plan`` + ``render_plan``: NOT VALID then
VALIDATE, CREATE INDEX CONCURRENTLY, lock_timeout) vs the naive plan (plain
ADD CONSTRAINT, plain CREATE UNIQUE INDEX) on an identical copy. Reports the
writer's longest stall (the slowest INSERT+COMMIT) during each migration.

    python -m benchmarks.stall --rows 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field, replace

import psycopg

from benchmarks.common import Result, add_common_args, environment, fmt_s, publish, server
from pgwarden.planner import PlanOptions, plan
from pgwarden.render.sql import Step, render_plan, render_schema
from pgwarden.spec.model import (
    Column,
    ColumnType,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
)

ACCOUNTS = 1000
FK = ForeignKey("event_account_id_fkey", ("account_id",), "account", ("id",))
UNIQUE = Index(
    "event_code_key", (IndexElement(column="code"),), unique=True, where="deleted_at IS NULL"
)
NAIVE = [
    'ALTER TABLE "event" ADD CONSTRAINT "event_account_id_fkey" '
    'FOREIGN KEY ("account_id") REFERENCES "account" ("id")',
    'CREATE UNIQUE INDEX "event_code_key" ON "event" ("code") WHERE deleted_at IS NULL',
]


def schemas() -> tuple[Schema, Schema]:
    """(before, after): the after schema has the FK and the partial unique index."""
    account = Table(
        "account",
        (
            Column("id", ColumnType("bigint"), identity="by default"),
            Column("name", ColumnType("text")),
        ),
        primary_key=PrimaryKey("account_pkey", ("id",)),
    )
    event = Table(
        "event",
        (
            Column("id", ColumnType("bigint"), identity="by default"),
            Column("account_id", ColumnType("bigint")),
            Column("code", ColumnType("text")),
            Column("payload", ColumnType("text"), nullable=True),
            Column("deleted_at", ColumnType("timestamptz"), nullable=True),
        ),
        primary_key=PrimaryKey("event_pkey", ("id",)),
    )
    before = Schema(tables=(account, event)).normalized()
    after = Schema(
        tables=(account, replace(event, foreign_keys=(FK,), indexes=(UNIQUE,)))
    ).normalized()
    return before, after


def pgwarden_steps() -> tuple[Step, ...]:
    before, after = schemas()
    return render_plan(plan(before, after, PlanOptions()))


def setup(url: str, rows: int) -> None:
    before, _ = schemas()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(render_schema(before))
        conn.execute(
            "INSERT INTO account (name) SELECT 'a' || g FROM generate_series(1, %s) g",
            (ACCOUNTS,),
        )
        conn.execute(
            "INSERT INTO event (account_id, code, payload, deleted_at) "
            "SELECT 1 + g %% %s, 'c' || g, repeat('x', 40), "
            "CASE WHEN g %% 10 = 0 THEN now() END FROM generate_series(1, %s) g",
            (ACCOUNTS, rows),
        )
        conn.execute("VACUUM ANALYZE")


@dataclass
class Writer:
    """Commits one INSERT at a time until stopped; records each commit's latency."""

    url: str
    tag: str
    latencies: list[float] = field(default_factory=list)
    marks: list[tuple[float, float]] = field(default_factory=list)
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                n = 0
                while not self._stop.is_set():
                    n += 1
                    t = time.perf_counter()
                    conn.execute(
                        "INSERT INTO event (account_id, code, payload) VALUES (%s, %s, 'w')",
                        (1 + n % ACCOUNTS, f"{self.tag}-{n}"),
                    )
                    d = time.perf_counter() - t
                    self.latencies.append(d)
                    self.marks.append((t, d))
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=120)
        if self.error is not None:
            raise self.error


def run_pgwarden(url: str, steps: tuple[Step, ...]) -> None:
    """Each step as the runner runs it: settings first; atomic steps in a transaction."""
    with psycopg.connect(url, autocommit=True) as conn:
        for step in steps:
            if step.atomic:
                with conn.transaction():
                    for s in step.settings:
                        conn.execute(s)
                    conn.execute(step.sql)
            else:
                for s in step.settings:
                    conn.execute(s)
                conn.execute(step.sql)


def run_naive(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in NAIVE:
            conn.execute(s)


@dataclass
class Outcome:
    migration_s: float
    stall_s: float
    p99_s: float
    baseline_max_s: float
    commits: int


def measure(url: str, tag: str, migrate: object, warmup: float) -> Outcome:
    w = Writer(url, tag)
    w.start()
    time.sleep(warmup)
    t0 = time.perf_counter()
    try:
        migrate()  # type: ignore[operator]
    finally:
        t1 = time.perf_counter()
        time.sleep(min(warmup, 0.5))
        w.stop()
    during = [d for (t, d) in w.marks if t + d >= t0 and t <= t1]
    before = [d for (t, d) in w.marks if t + d < t0] or [0.0]
    if not during:
        during = [max(d for (_, d) in w.marks)]
    q = (
        statistics.quantiles(during, n=100, method="inclusive")[98]
        if len(during) >= 2
        else during[0]
    )
    return Outcome(t1 - t0, max(during), q, max(before), len(during))


def verify(url: str) -> None:
    """Both plans end with a valid FK and a valid unique index."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT convalidated FROM pg_constraint"
            "  WHERE conname = 'event_account_id_fkey'),"
            " (SELECT indisvalid AND indisunique FROM pg_index "
            "  WHERE indexrelid = 'event_code_key'::regclass)"
        ).fetchone()
    if row != (True, True):
        raise RuntimeError(f"migration did not leave a valid FK and unique index: {row}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--warmup", type=float, default=1.0, help="writer seconds before migrating")
    add_common_args(p)
    args = p.parse_args(argv)
    steps = pgwarden_steps()
    with server(args.database_url) as srv:
        res = Result(
            "stall",
            "5. Online migration stall",
            f"python -m benchmarks.stall --rows {args.rows}",
            environment(srv),
        )
        outcomes: dict[str, Outcome] = {}
        for name in ("pgwarden", "naive"):
            with srv.database(f"bench_stall_{name}") as url:
                setup(url, args.rows)
                if name == "pgwarden":
                    outcomes[name] = measure(
                        url, name, lambda u=url: run_pgwarden(u, steps), args.warmup
                    )
                else:
                    outcomes[name] = measure(url, name, lambda u=url: run_naive(u), args.warmup)
                verify(url)
        ours, naive = outcomes["pgwarden"], outcomes["naive"]
        res.add_table(
            [
                "plan",
                "migration wall time",
                "writer's longest stall",
                "p99 commit",
                "longest commit before migrating",
                "commits during",
            ],
            [
                [
                    label,
                    fmt_s(o.migration_s),
                    fmt_s(o.stall_s),
                    fmt_s(o.p99_s),
                    fmt_s(o.baseline_max_s),
                    str(o.commits),
                ]
                for label, o in (
                    ("pgwarden (plan + render_plan)", ours),
                    ("naive (plain ADD CONSTRAINT, CREATE UNIQUE INDEX)", naive),
                )
            ],
        )
        res.add_table(
            ["pgwarden step", "atomic"],
            [[f"`{s.sql}`", "yes" if s.atomic else "no"] for s in steps],
        )
        res.notes.append(
            f"{args.rows:,} rows in `event` (10% soft-deleted), {ACCOUNTS} in `account`; the "
            "writer commits single-row INSERTs back to back on its own connection; each plan "
            "runs on its own freshly built copy"
        )
        res.notes.append(
            f"stall ratio pgwarden / naive: {ours.stall_s / naive.stall_s:.3g}"
            if naive.stall_s
            else "stall ratio: n/a"
        )
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
