"""Online backfills: a declared backfill runs after the DDL committed, in keyset batches
of their own short transactions, resumable after a SIGKILL at any batch, and ends with
exactly what a one-shot UPDATE gives; the NOT NULL after it goes through a validated
CHECK. Against a real server, with a concurrent writer."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from pgwarden.apply import files
from pgwarden.apply.backfill import (
    FIRST_BATCH,
    BackfillShapeError,
    BatchSizer,
    created_key,
    parse_update,
    render_loop,
)
from pgwarden.apply.progress import BatchRate, Progress
from pgwarden.apply.runner import CRASH_ENV
from pgwarden.errors import PgwardenError
from tests.migrations.helpers import fetch, history, run_cli
from tests.migrations.lifecycle import assert_at, history_of, runner, spec

BEFORE = """
[tables.item.columns]
id = { type = "bigint", primary_key = true }
v = { type = "integer" }
"""
# % exercises the placeholder escaping of the batch query; NULL for some rows
EXPR = "CASE WHEN v % 10 = 0 THEN NULL ELSE (v % 97) * 2 END"
AFTER = BEFORE + f'c = {{ type = "integer", nullable = true, backfill = "{EXPR}" }}\n'
NOT_NULL = BEFORE + 'n = { type = "integer", backfill = "v % 97" }\n'


def _seed(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO item SELECT g, (g * 7919) %% 100003 FROM generate_series(1, %s) g",
            (rows,),
        )
        # what a one-shot UPDATE gives, on a copy made before the migration
        conn.execute("CREATE TABLE pgw_expected AS SELECT id, v FROM item")
        conn.execute("ALTER TABLE pgw_expected ADD COLUMN c integer")
        conn.execute(f"UPDATE pgw_expected SET c = ({EXPR})".encode())


def _matches_one_shot(url: str) -> None:
    diff = fetch(
        url,
        "SELECT count(*) FROM ((SELECT id, v, c FROM item EXCEPT SELECT id, v, c FROM pgw_expected)"
        " UNION ALL (SELECT id, v, c FROM pgw_expected EXCEPT SELECT id, v, c FROM item)) d",
    )
    assert diff == [(0,)]


def _progress(url: str) -> list[tuple[int, int]]:
    return [
        (int(r[0]), int(r[1]))
        for r in fetch(url, "SELECT batches, rows_done FROM pgwarden.backfill_progress")
    ]


def test_generated_backfill_is_a_batched_step_after_the_ddl(tmp_path: Path) -> None:
    directory = history_of(tmp_path / "m", spec(BEFORE), spec(NOT_NULL))
    up = files.load_migrations(directory)[1].up.steps
    kinds = [(s.atomic, s.batched, s.description.split(" ")[0]) for s in up]
    assert kinds[:2] == [(True, False, "add"), (False, True, "backfill")]
    text = (directory / "0002_step2" / "up.sql").read_text()
    assert "atomic=false batched=true" in text
    # the NOT NULL after it: CHECK NOT VALID -> VALIDATE -> SET NOT NULL
    order = [text.index(p) for p in ("NOT VALID", "VALIDATE CONSTRAINT", "SET NOT NULL")]
    assert order == sorted(order) and text.index("batched=true") < order[0]
    fixed = render_loop('UPDATE "item" SET "n" = (v % 97)', [("id", "bigint")], 500, 0)
    assert "500 rows per transaction" in fixed and 'ORDER BY "id" OFFSET 499 LIMIT 1' in fixed
    assert '("id") > (:last::bigint) AND ("id") <= (:end::bigint)' in fixed
    # the UPDATE walks a key range (an index range scan at any batch size)
    assert (
        'SET "n" = (v % 97) WHERE ("id") > (:last::bigint) AND ("id") <= (:upto::bigint)' in fixed
    )
    # sized by time (the default): the loop says how :size is chosen
    timed = render_loop('UPDATE "item" SET "n" = (v % 97)', [("id", "bigint")], 500, 0.02)
    assert 'ORDER BY "id" OFFSET :size - 1 LIMIT 1' in timed and "OFFSET 499" not in timed
    assert "100 first" in timed and "about 20 ms" in timed and "at most 500" in timed


def test_batch_sizer_follows_the_measured_time() -> None:
    sizer = BatchSizer(10_000, 0.05)
    assert sizer.size == FIRST_BATCH
    sizer.measured(FIRST_BATCH, 0.005)  # 10x too fast: grows, at most double
    assert sizer.size == 2 * FIRST_BATCH
    sizer.measured(sizer.size, 0.1)  # twice the target: halves
    assert sizer.size == FIRST_BATCH
    sizer.measured(sizer.size, 10.0)  # far too slow: a tenth at once, never below 1
    assert sizer.size == 10
    for _ in range(5):
        sizer.measured(sizer.size, 10.0)
    assert sizer.size == 1
    sizer.measured(1, 0.0)  # below the clock's resolution: grows
    assert sizer.size == 2
    sizer.measured(1, 10.0)  # a short (last) batch says nothing
    assert sizer.size == 2
    for _ in range(20):
        sizer.measured(sizer.size, 0.001)
    assert sizer.size == 10_000  # never more than --batch-size
    assert BatchSizer(50, 0.05).size == 50  # a --batch-size under the first size
    fixed = BatchSizer(700, 0)
    fixed.measured(700, 99.0)
    assert fixed.size == 700  # --batch-time 0: every batch the same


def test_a_batched_step_must_be_a_plain_update(tmp_path: Path) -> None:
    for bad in ("DELETE FROM t", "UPDATE t SET a = 1 FROM u", "UPDATE t SET (a, b) = (1, 2)"):
        with pytest.raises(BackfillShapeError):
            parse_update(bad)
    text = "-- pgwarden:step atomic=true batched=true\nUPDATE t SET a = 1;\n"
    with pytest.raises(PgwardenError, match=r"x\.sql:1: a batched step runs as its own"):
        files.parse_script(text, "x.sql")
    text = "-- pgwarden:step atomic=false batched=true\nDELETE FROM t;\n"
    with pytest.raises(PgwardenError, match=r"x\.sql:1: a batched step holds one UPDATE"):
        files.parse_script(text, "x.sql")


def test_batch_rate_text() -> None:
    now = [0.0]
    rate = BatchRate(clock=lambda: now[0])
    assert rate.text(1000, 10_000) == "1,000 rows of 10,000 (10%)"
    now[0] = 2.0
    assert rate.text(5000, 10_000) == "5,000 rows of 10,000 (50%), 2,000 rows/s, ETA 2s"


@dataclass
class _Watch(Progress):
    """Samples, while the backfill statement runs, the locks its backend holds on the
    table and whether the writer waits on it."""

    url: str = ""
    modes: set[str] = field(default_factory=set)
    writer_pid: int = 0
    writer_blocked: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def statement_started(self, statement: str, backend_pid: int) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            self._thread = threading.Thread(target=self._poll, args=(backend_pid,), daemon=True)
            self._thread.start()

    def statement_finished(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None

    def _poll(self, pid: int) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                for (mode,) in conn.execute(
                    "SELECT mode FROM pg_locks WHERE pid = %s AND locktype = 'relation'"
                    " AND relation = 'item'::regclass",
                    (pid,),
                ).fetchall():
                    self.modes.add(str(mode))
                row = conn.execute(
                    "SELECT %s = ANY (pg_blocking_pids(%s))", (pid, self.writer_pid)
                ).fetchone()
                self.writer_blocked += bool(row and row[0])
                self.samples += 1
                time.sleep(0.002)


def test_backfill_with_a_concurrent_writer_takes_no_table_lock(
    database_url: str, tmp_path: Path
) -> None:
    rows, size = 100_000, 5_000
    directory = history_of(tmp_path / "m", spec(BEFORE), spec(AFTER))
    runner(database_url, directory).apply(1)
    _seed(database_url, rows)
    stop, commits, pid = threading.Event(), [0], [0]
    ready = threading.Event()

    def write() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            pid[0] = conn.info.backend_pid
            ready.set()
            n = rows
            while not stop.is_set():
                n += 1
                conn.execute("INSERT INTO item (id, v) VALUES (%s, 1)", (n,))
                commits[0] += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    ready.wait(30)
    watch = _Watch(url=database_url, writer_pid=pid[0])
    try:
        runner(database_url, directory, progress=watch, batch_size=size).apply()
    finally:
        stop.set()
        writer.join(30)
    assert history(database_url)[-1][2] == "applied"
    # no lock stronger than ROW EXCLUSIVE on the table while the backfill ran
    assert watch.samples > 0
    assert watch.modes <= {"AccessShareLock", "RowExclusiveLock"}, watch.modes
    # the writer's inserts queue behind the backfill at most for a moment (a sample in
    # 2 ms polls), never for the run: it commits all along
    assert watch.writer_blocked * 20 <= watch.samples
    # every batch its own transaction: committed batches counted, one xmin each
    ((batches, done),) = _progress(database_url)
    assert batches >= rows // size and done >= rows
    xmins = fetch(
        database_url, "SELECT count(DISTINCT xmin::text) FROM item WHERE id <= %s", (rows,)
    )
    assert xmins[0][0] >= rows // size
    assert commits[0] > 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM item WHERE id > %s", (rows,))
    _matches_one_shot(database_url)


def test_sigkill_mid_backfill_resumes_after_the_last_committed_batch(
    database_url: str, tmp_path: Path
) -> None:
    rows, size = 20_000, 1_000
    directory = history_of(tmp_path / "m", spec(BEFORE), spec(AFTER))
    runner(database_url, directory).apply(1)
    _seed(database_url, rows)
    # boundaries: 3 statements + the commit of the ADD COLUMN run, then one per batch;
    # batches sized by time (the default), whatever sizes this machine's speed gives
    crashed = run_cli(
        database_url, directory, "apply", "--batch-size", str(size), env={CRASH_ENV: "11"}
    )
    assert crashed.returncode == -9, crashed.stderr
    assert history(database_url)[-1] == (2, "0002_step2", "running")
    ((batches, done),) = _progress(database_url)
    assert batches == 7 and 0 < done < rows
    # exactly the committed batches' rows are filled: the batch under way rolled back
    filled = fetch(
        database_url,
        "SELECT count(*) FROM item WHERE c IS NOT DISTINCT FROM ("
        + EXPR.replace("%", "%%")
        + ") AND id <= %s",
        (done,),
    )
    assert filled == [(done,)]
    untouched = fetch(
        database_url, "SELECT count(*) FROM item WHERE id > %s AND c IS NOT NULL", (done,)
    )
    assert untouched == [(0,)]

    resumed = run_cli(database_url, directory, "apply", "--batch-size", str(size))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming the backfill after {done:,} rows" in resumed.stdout
    assert history(database_url)[-1] == (2, "0002_step2", "applied")
    ((batches, done),) = _progress(database_url)
    assert done == rows and batches >= rows // size  # no row counted twice
    _matches_one_shot(database_url)
    assert_at_after = spec(AFTER)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE pgw_expected")
    assert_at(database_url, assert_at_after)
    # down forgets the progress; up again backfills from the start
    runner(database_url, directory).down()
    assert fetch(database_url, "SELECT count(*) FROM pgwarden.backfill_progress") == [(0,)]
    runner(database_url, directory, batch_size=7_000, batch_time=0).apply()
    assert _progress(database_url) == [(3, rows)]


def test_not_null_backfill_then_validated_check(database_url: str, tmp_path: Path) -> None:
    before, after = spec(BEFORE), spec(NOT_NULL)
    directory = history_of(tmp_path / "m", before, after)
    runner(database_url, directory).apply(1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO item SELECT g, g FROM generate_series(1, 2500) g")
    runner(database_url, directory, batch_size=1000, batch_time=0).apply()
    assert_at(database_url, after)
    assert _progress(database_url) == [(3, 2500)]
    assert fetch(database_url, "SELECT count(*) FROM item WHERE n <> v % 97") == [(0,)]
    runner(database_url, directory).down()
    assert_at(database_url, before)


def test_apply_sql_prints_the_batched_backfill_as_its_loop(
    database_url: str, tmp_path: Path
) -> None:
    directory = history_of(tmp_path / "migrations", spec(BEFORE), spec(AFTER))
    runner(database_url, directory).apply(1)
    _seed(database_url, 50)
    shown = run_cli(database_url, directory, "apply", "--sql", "--batch-size", "500")
    assert shown.returncode == 0, shown.stderr
    (step,) = [s for s in files.load_migrations(directory)[1].up.steps if s.batched]
    update = files.update_statement(step.statements)
    loop = render_loop(update, [("id", "bigint")], 500)
    assert loop in shown.stdout, shown.stdout
    assert "OFFSET :size - 1" in loop and "at most 500" in loop
    fixed = run_cli(
        database_url, directory, "apply", "--sql", "--batch-size", "500", "--batch-time", "0"
    )
    assert fixed.returncode == 0, fixed.stderr
    assert render_loop(update, [("id", "bigint")], 500, 0) in fixed.stdout
    assert "OFFSET 499 LIMIT 1" in fixed.stdout
    ran = (
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'item' AND column_name = 'c'"
    )
    assert fetch(database_url, ran) == [(0,)]  # --sql ran nothing
    # the plain one-statement UPDATE is not what --sql says will run
    assert f"\n{update.strip().rstrip(';')};\n" not in shown.stdout


@dataclass
class _Batches(Progress):
    """The rows of each batch, from the runner's progress calls."""

    done: list[int] = field(default_factory=list)

    def batch(self, rows: int, total: int) -> None:
        self.done.append(rows)

    def sizes(self) -> list[int]:
        return [b - a for a, b in zip(self.done, self.done[1:], strict=False)]


def test_batches_are_sized_by_time(database_url: str, tmp_path: Path) -> None:
    # 5 ms of sleep per row: the first batch (100 rows) takes 0.5 s, ten times a 50 ms
    # target, so the next ones shrink (a loaded machine only makes them slower)
    slow = BEFORE + (
        'c = { type = "integer", nullable = true,'
        ' backfill = "v + (pg_sleep(0.005) IS NULL)::integer" }\n'
    )
    directory = history_of(tmp_path / "m", spec(BEFORE), spec(slow))
    runner(database_url, directory).apply(1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO item SELECT g, g FROM generate_series(1, 160) g")
    watch = _Batches()
    runner(database_url, directory, progress=watch).apply()
    sizes = watch.sizes()
    assert sizes[0] == FIRST_BATCH and 0 < sizes[1] <= FIRST_BATCH // 10, sizes
    assert sum(sizes) == 160 and max(sizes[1:]) < FIRST_BATCH, sizes
    assert fetch(database_url, "SELECT count(*) FROM item WHERE c <> v") == [(0,)]
    # batches far faster than their target (10 s, so load cannot matter) grow from the
    # first, never past --batch-size
    directory = history_of(tmp_path / "n", spec(BEFORE), spec(AFTER))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE item")
        conn.execute("DROP SCHEMA pgwarden CASCADE")
    runner(database_url, directory).apply(1)
    _seed(database_url, 30_000)
    watch = _Batches()
    runner(database_url, directory, progress=watch, batch_size=2_000, batch_time=10).apply()
    sizes = watch.sizes()
    assert sizes[:6] == [100, 200, 400, 800, 1_600, 2_000], sizes
    assert max(sizes) == 2_000 and sum(sizes) == 30_000, sizes
    _matches_one_shot(database_url)


def test_apply_sql_walks_the_key_of_a_table_an_earlier_step_creates(
    database_url: str, tmp_path: Path
) -> None:
    # 0001 creates the table, 0002 backfills it: on a fresh database --sql shows the loop
    # over the key 0001 creates (what apply walks), not the plain UPDATE
    directory = history_of(tmp_path / "m", spec(BEFORE), spec(AFTER))
    shown = run_cli(database_url, directory, "apply", "--sql", "--batch-size", "500")
    assert shown.returncode == 0, shown.stderr
    (step,) = [s for s in files.load_migrations(directory)[1].up.steps if s.batched]
    update = files.update_statement(step.statements)
    assert render_loop(update, [("id", "bigint")], 500) in shown.stdout, shown.stdout
    assert f"\n{update.strip().rstrip(';')};\n" not in shown.stdout
    # and that key is the one the runner reads once 0001 ran
    runner(database_url, directory).apply(1)
    assert runner(database_url, directory).backfill_key(update) == [("id", "bigint")]


def test_created_key_reads_the_run_before_the_backfill() -> None:
    update = parse_update('UPDATE "T" SET "c" = (1)')
    create = 'CREATE TABLE "T" ("a" varchar(20), "b" timestamptz, "c" integer, {})'
    pk = 'CONSTRAINT "T_pkey" PRIMARY KEY ("a", "b")'
    assert created_key([create.format(pk)], update) == [
        ("a", "character varying(20)"),
        ("b", "timestamp with time zone"),
    ]
    assert created_key(['CREATE TABLE "T" ("id" serial PRIMARY KEY)'], update) == [
        ("id", "integer")
    ]
    no_key = create.format('"d" text')
    assert created_key([no_key], update) == []  # the one-transaction form
    added = 'ALTER TABLE "T" ADD CONSTRAINT "T_pkey" PRIMARY KEY ("c")'
    assert created_key([no_key, added], update) == [("c", "integer")]
    assert created_key([no_key, 'DROP TABLE "T"'], update) is None
    assert created_key([no_key, 'DROP INDEX "T"'], update) == []
    assert created_key(['CREATE TABLE "U" ("id" bigint PRIMARY KEY)'], update) is None
    assert created_key(['CREATE TABLE other."T" ("id" bigint PRIMARY KEY)'], update) is None
    assert created_key(['CREATE TABLE public."T" ("id" bigint PRIMARY KEY)'], update) == [
        ("id", "bigint")
    ]
