"""Question 5: online migration stall — a writer thread commits single-row
INSERTs in a loop into a big table while a migration adds a foreign key and a
partial unique index: pgwarden's plan (``plan`` + ``render_plan``: NOT VALID then
VALIDATE, CREATE INDEX CONCURRENTLY, lock_timeout) vs the naive plan (plain
ADD CONSTRAINT, plain CREATE UNIQUE INDEX) on an identical copy. Reports the
writer's longest stall (the slowest INSERT+COMMIT) during each migration.

    python -m benchmarks.stall --rows 1000000

``--backfill``: the writer's stall while a column is added and backfilled over every
row, ``pgwarden migrate apply`` run as users run it, in its own process (ADD COLUMN
committed alone, then keyset batches sized so each takes about ``--batch-time`` ms, at
most ``--batch-size`` rows, one transaction each) vs the one-shot form (ADD COLUMN and
one UPDATE in one transaction, what pgwarden did before), reported as a ratio and as a
verdict against the target (longest writer wait < 100 ms). The writer alternates an
INSERT and an UPDATE of a random existing row, so it meets the batches' row locks too.

    python -m benchmarks.stall --backfill --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

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
    touch: int = 0
    """> 0: every other commit UPDATEs a random existing row with id <= touch."""
    latencies: list[float] = field(default_factory=list)
    marks: list[tuple[float, float]] = field(default_factory=list)
    error: BaseException | None = None
    pid: int | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                self.pid = conn.info.backend_pid
                self.ready.set()
                n = 0
                pick = random.Random(n)
                while not self._stop.is_set():
                    n += 1
                    t = time.perf_counter()
                    if self.touch and n % 2:
                        conn.execute(
                            "UPDATE event SET payload = 'u' WHERE id = %s",
                            (pick.randint(1, self.touch),),
                        )
                    else:
                        conn.execute(
                            "INSERT INTO event (account_id, code, payload) VALUES (%s, %s, 'w')",
                            (1 + n % ACCOUNTS, f"{self.tag}-{n}"),
                        )
                    d = time.perf_counter() - t
                    self.latencies.append(d)
                    self.marks.append((t, d))
        except BaseException as exc:  # reported by stop()
            self.error = exc
            self.ready.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.ready.wait(timeout=60)

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=120)
        if self.error is not None:
            raise self.error


@dataclass
class LockSampler:
    """Polls ``pg_stat_activity`` for one backend: (time, waiting on a lock) samples.

    This is what tells a lock wait (the writer queued behind the migration's
    lock) from a slow commit for other reasons (CPU, I/O)."""

    url: str
    pid: int
    interval: float = 0.005
    samples: list[tuple[float, bool]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                    (self.pid,),
                ).fetchone()
                self.samples.append((time.perf_counter(), bool(row and row[0])))
                time.sleep(self.interval)

    def __enter__(self) -> LockSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=60)


Spans = list[tuple[str, float, float]]


def run_pgwarden(url: str, steps: tuple[Step, ...]) -> Spans:
    """Each step as the runner runs it: settings first; atomic steps in a transaction.
    Returns (step, start, end) spans."""
    spans: Spans = []
    with psycopg.connect(url, autocommit=True) as conn:
        for step in steps:
            t = time.perf_counter()
            if step.atomic:
                with conn.transaction():
                    for s in step.settings:
                        conn.execute(s)
                    conn.execute(step.sql)
            else:
                for s in step.settings:
                    conn.execute(s)
                conn.execute(step.sql)
            spans.append((_label(step.sql), t, time.perf_counter()))
    return spans


def run_naive(url: str) -> Spans:
    spans: Spans = []
    with psycopg.connect(url, autocommit=True) as conn:
        for s in NAIVE:
            t = time.perf_counter()
            conn.execute(s)
            spans.append((_label(s), t, time.perf_counter()))
    return spans


def _label(stmt: str) -> str:
    words = stmt.replace('"', "").split()
    if words[:2] == ["ALTER", "TABLE"]:
        return " ".join(words[3:5]) + (" NOT VALID" if stmt.endswith("NOT VALID") else "")
    return " ".join(w for w in words[:4] if w != "ON")


@dataclass
class Outcome:
    migration_s: float
    stall_s: float
    p99_s: float
    baseline_max_s: float
    commits: int
    during_step: str
    lock_samples: int
    samples: int
    lock_steps: tuple[str, ...]
    lock_wait_s: float = 0.0
    """The longest run of consecutive lock-wait samples (from its first sample to the
    first sample after it): how long the writer was seen queued behind a lock."""


def _longest_wait(samples: list[tuple[float, bool]]) -> float:
    longest, since = 0.0, None
    for t, locked in samples:
        if locked and since is None:
            since = t
        elif not locked and since is not None:
            longest, since = max(longest, t - since), None
    if since is not None and samples:
        longest = max(longest, samples[-1][0] - since)
    return longest


def measure(
    url: str, tag: str, migrate: Callable[[], Spans], warmup: float, touch: int = 0
) -> Outcome:
    w = Writer(url, tag, touch)
    w.start()
    time.sleep(warmup)
    t0 = time.perf_counter()
    spans: Spans = []
    assert w.pid is not None, w.error
    try:
        with LockSampler(url, w.pid) as sampler:
            spans = migrate()
    finally:
        t1 = time.perf_counter()
        time.sleep(min(warmup, 0.5))
        w.stop()
    in_window = [locked for (t, locked) in sampler.samples if t0 <= t <= t1]
    during = [d for (t, d) in w.marks if t + d >= t0 and t <= t1]
    before = [d for (t, d) in w.marks if t + d < t0] or [0.0]
    if not during:
        during = [max(d for (_, d) in w.marks)]
    q = (
        statistics.quantiles(during, n=100, method="inclusive")[98]
        if len(during) >= 2
        else during[0]
    )
    worst = max((m for m in w.marks if m[0] + m[1] >= t0 and m[0] <= t1), key=lambda m: m[1])
    # the step(s) running while the slowest commit waited
    hit = [n for (n, a, b) in spans if a <= worst[0] + worst[1] and b >= worst[0]]
    return Outcome(
        t1 - t0,
        max(during),
        q,
        max(before),
        len(during),
        ", ".join(hit) or "between steps",
        sum(in_window),
        len(in_window),
        tuple(
            n
            for (n, a, b) in spans
            if any(locked and a <= t <= b for (t, locked) in sampler.samples)
        ),
        _longest_wait([(t, locked) for (t, locked) in sampler.samples if t0 <= t <= t1]),
    )


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


BACKFILL = "CASE WHEN deleted_at IS NULL THEN length(code) ELSE 0 END"


def backfill_schemas() -> tuple[Schema, Schema]:
    """(before, after): after adds ``event.score`` with a declared backfill."""
    before, _ = schemas()
    event = before.table("event")
    assert event is not None
    score = Column("score", ColumnType("integer"), nullable=True, backfill=BACKFILL)
    after = replace(
        before,
        tables=tuple(
            replace(t, columns=(*t.columns, score)) if t.name == "event" else t
            for t in before.tables
        ),
    ).normalized()
    return before, after


#: The issue's target for the writer's longest wait during a backfill.
TARGET_S = 0.1


def run_backfill_pgwarden(url: str, directory: Path, batch_size: int, batch_time: int) -> Spans:
    """``pgwarden migrate apply`` in its own process, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pgwarden",
            "--database-url",
            url,
            "migrate",
            "--dir",
            str(directory),
            "apply",
            "--quiet",
            "--batch-size",
            str(batch_size),
            "--batch-time",
            str(batch_time),
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return [("ADD COLUMN, then batched backfill", t, time.perf_counter())]


def run_backfill_one_shot(url: str) -> Spans:
    t = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute('ALTER TABLE "event" ADD COLUMN "score" integer')
        conn.execute(f'UPDATE "event" SET "score" = ({BACKFILL})'.encode())
    return [("ADD COLUMN + one UPDATE", t, time.perf_counter())]


def backfill_main(args: argparse.Namespace) -> int:
    from pgwarden.apply.generate import write_migration

    before, after = backfill_schemas()
    with tempfile.TemporaryDirectory() as tmp, server(args.database_url) as srv:
        directory = Path(tmp) / "migrations"
        directory.mkdir()
        write_migration(directory, "before", before)
        write_migration(directory, "backfill", after)
        res = Result(
            "stall_backfill",
            "5b. Writer stall during a backfill",
            f"python -m benchmarks.stall --backfill --rows {args.rows} "
            f"--batch-size {args.batch_size} --batch-time {args.batch_time} "
            f"--trials {args.trials}",
            environment(srv),
        )
        outcomes: dict[str, list[Outcome]] = {"pgwarden": [], "one-shot": []}
        for trial in range(args.trials):
            for name in outcomes:
                with srv.database(f"bench_backfill_{name.replace('-', '_')}") as url:
                    from pgwarden.apply import files
                    from pgwarden.apply.runner import Runner

                    Runner(url, files.load_migrations(directory)).apply(1)
                    _fill(url, args.rows)
                    tag = f"{name}{trial}"
                    migrate = (
                        partial(
                            run_backfill_pgwarden, url, directory, args.batch_size, args.batch_time
                        )
                        if name == "pgwarden"
                        else partial(run_backfill_one_shot, url)
                    )
                    outcomes[name].append(measure(url, tag, migrate, args.warmup, args.rows))
                    _check_backfill(url)
        rows = []
        for label, name in (
            (
                f"pgwarden (batches of about {args.batch_time} ms, at most {args.batch_size:,})"
                if args.batch_time
                else f"pgwarden (batches of {args.batch_size:,})",
                "pgwarden",
            ),
            ("one-shot (ADD COLUMN + UPDATE in one transaction)", "one-shot"),
        ):
            os_ = outcomes[name]
            rows.append(
                [
                    label,
                    fmt_s(statistics.median(o.migration_s for o in os_)),
                    fmt_s(statistics.median(o.stall_s for o in os_)),
                    fmt_s(max(o.stall_s for o in os_)),
                    fmt_s(statistics.median(o.p99_s for o in os_)),
                    fmt_s(max(o.baseline_max_s for o in os_)),
                    str(round(statistics.median(o.commits for o in os_))),
                    f"{sum(o.lock_samples for o in os_)} of {sum(o.samples for o in os_)}",
                    fmt_s(max(o.lock_wait_s for o in os_)),
                ]
            )
        res.add_table(
            [
                "backfill",
                "wall time (median)",
                "writer's longest stall (median)",
                "worst stall",
                "p99 commit",
                "longest commit before migrating",
                "writer commits during",
                "writer seen waiting on a lock (samples)",
                "longest lock wait seen",
            ],
            rows,
        )
        ours = statistics.median(o.stall_s for o in outcomes["pgwarden"])
        peer = statistics.median(o.stall_s for o in outcomes["one-shot"])
        res.notes.append(
            f"{args.rows:,} rows in `event`; the writer alternates a single-row INSERT and an "
            "UPDATE of a random existing row, each its own commit; pgwarden runs as "
            "`pgwarden migrate apply` in its own process"
        )
        res.notes.append(
            f"median longest-stall ratio pgwarden / one-shot: {ours / peer:.3g} "
            f"({args.trials} trials, each on fresh copies)"
            if peer
            else "stall ratio: n/a"
        )
        worst = max(o.stall_s for o in outcomes["pgwarden"])
        locked = max(o.lock_wait_s for o in outcomes["pgwarden"])
        verdict = "met" if worst < TARGET_S else "missed"
        res.notes.append(
            f"verdict: longest writer wait < {TARGET_S * 1000:g} ms {verdict} "
            f"(the worst of {args.trials} trials: {fmt_s(worst)}; median {fmt_s(ours)}); the "
            f"longest the writer was seen queued behind a lock: {fmt_s(locked)} (5 ms polls);"
            " load average {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
        )
    publish(res, args)
    return 0


def _fill(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
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


def _check_backfill(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM event WHERE score IS DISTINCT FROM ({BACKFILL})"
            " AND payload <> 'w'".encode()
        ).fetchone()
    if row != (0,):
        raise RuntimeError(f"backfill left {row} rows different from a one-shot UPDATE")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--warmup", type=float, default=1.0, help="writer seconds before migrating")
    p.add_argument("--trials", type=int, default=3, help="runs of each plan")
    p.add_argument("--backfill", action="store_true", help="the backfill scenario (see above)")
    p.add_argument("--batch-size", type=int, default=10_000, help="with --backfill")
    p.add_argument(
        "--batch-time", type=int, default=50, help="with --backfill: ms per batch (0: fixed)"
    )
    add_common_args(p)
    args = p.parse_args(argv)
    if args.backfill:
        return backfill_main(args)
    steps = pgwarden_steps()
    with server(args.database_url) as srv:
        res = Result(
            "stall",
            "5. Online migration stall",
            f"python -m benchmarks.stall --rows {args.rows} --trials {args.trials}",
            environment(srv),
        )
        outcomes: dict[str, list[Outcome]] = {"pgwarden": [], "naive": []}
        for trial in range(args.trials):
            for name in ("pgwarden", "naive"):
                with srv.database(f"bench_stall_{name}") as url:
                    setup(url, args.rows)
                    tag = f"{name}{trial}"
                    if name == "pgwarden":
                        o = measure(url, tag, partial(run_pgwarden, url, steps), args.warmup)
                    else:
                        o = measure(url, tag, partial(run_naive, url), args.warmup)
                    verify(url)
                    outcomes[name].append(o)
        rows = []
        for label, name in (
            ("pgwarden (plan + render_plan)", "pgwarden"),
            ("naive (plain ADD CONSTRAINT, CREATE UNIQUE INDEX)", "naive"),
        ):
            os_ = outcomes[name]
            worst = max(os_, key=lambda o: o.stall_s)
            rows.append(
                [
                    label,
                    fmt_s(statistics.median(o.migration_s for o in os_)),
                    fmt_s(statistics.median(o.stall_s for o in os_)),
                    fmt_s(worst.stall_s),
                    worst.during_step,
                    fmt_s(statistics.median(o.p99_s for o in os_)),
                    fmt_s(max(o.baseline_max_s for o in os_)),
                    str(round(statistics.median(o.commits for o in os_))),
                    f"{sum(o.lock_samples for o in os_)} of {sum(o.samples for o in os_)}",
                    ", ".join(sorted({n for o in os_ for n in o.lock_steps})) or "—",
                ]
            )
        res.add_table(
            [
                "plan",
                "migration wall time (median)",
                "writer's longest stall (median)",
                "worst stall",
                "worst stall while running",
                "p99 commit",
                "longest commit before migrating",
                "commits during",
                "writer seen waiting on a lock (samples)",
                "while running",
            ],
            rows,
        )
        ours_s = statistics.median(o.stall_s for o in outcomes["pgwarden"])
        naive_s = statistics.median(o.stall_s for o in outcomes["naive"])
        res.add_table(
            ["pgwarden step", "atomic"],
            [[f"`{s.sql}`", "yes" if s.atomic else "no"] for s in steps],
        )
        res.notes.append(
            "lock samples: pg_stat_activity polled every 5 ms during the migration (all "
            "trials); wait_event_type = 'Lock' means the writer was queued behind a lock"
        )
        res.notes.append(
            f"{args.rows:,} rows in `event` (10% soft-deleted), {ACCOUNTS} in `account`; the "
            "writer commits single-row INSERTs back to back on its own connection; each plan "
            "runs on its own freshly built copy"
        )
        res.notes.append(
            f"median longest-stall ratio pgwarden / naive: {ours_s / naive_s:.3g} "
            f"({args.trials} trials, each on fresh copies)"
            if naive_s
            else "stall ratio: n/a"
        )
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
