"""Progress on a terminal while migrations run: step k/n with elapsed time, and for a
``CREATE INDEX CONCURRENTLY`` its phase and blocks from ``pg_stat_progress_create_index``
(read from a second connection). ``VALIDATE CONSTRAINT`` and batched backfills show
their elapsed time and batches.

Nothing is drawn unless stderr is a terminal and ``--quiet`` was not given, and
nothing before a step has run for a second: quick runs stay quiet. Implements the
runner's :class:`~pgwarden.apply.progress.Progress` hooks; rich is imported only here.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from typing import Any

from pgwarden.apply.progress import BatchRate, Progress

#: Show nothing for work that ends sooner than this (seconds).
DELAY = 1.0
POLL = 0.5

_INDEX = re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b", re.IGNORECASE)
_VALIDATE = re.compile(r"\bVALIDATE\s+CONSTRAINT\b", re.IGNORECASE)

INDEX_PROGRESS = (
    "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total"
    " FROM pg_catalog.pg_stat_progress_create_index WHERE pid = %s"
)


def index_progress(conn: Any, pid: int) -> str | None:
    """The phase of the index build running in backend ``pid``, with blocks or tuples."""
    row = conn.execute(INDEX_PROGRESS, (pid,)).fetchone()
    if row is None:
        return None
    phase, blocks_done, blocks_total, tuples_done, tuples_total = row
    text = str(phase)
    if blocks_total:
        text += f", blocks {blocks_done:,}/{blocks_total:,}"
    elif tuples_total:
        text += f", tuples {tuples_done:,}/{tuples_total:,}"
    return text


def wanted(quiet: bool) -> bool:
    """Draw progress: on a terminal, unless ``--quiet``."""
    return not quiet and sys.stderr.isatty()


class TerminalProgress(Progress):
    """Draws the runner's progress with rich on stderr (see the module docstring)."""

    def __init__(self, url: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self._url = url
        self._rate = BatchRate()
        self._bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: Any = None
        self._label = ""
        self._detail = ""
        self._shown = False
        self._since = time.monotonic()
        self._watch: threading.Event | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    # ------------------------------------------------------------------ drawing

    def _refresh(self) -> None:
        with self._lock:
            if not self._shown:
                return
            text = self._label + (f" -- {self._detail}" if self._detail else "")
            self._bar.update(self._task, description=text)

    def _show(self) -> None:
        with self._lock:
            if self._shown:
                return
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=None)
            self._shown = True
        self._refresh()

    def _arm(self) -> None:
        """Show the display once the current work has run for DELAY seconds."""
        if self._shown or self._timer is not None:
            return
        self._timer = threading.Timer(DELAY, self._show)
        self._timer.daemon = True
        self._timer.start()

    def close(self) -> None:
        """Stop drawing (the timer, the watcher, the bar); safe to call twice."""
        if self._timer is not None:
            self._timer.cancel()
        self._stop_watch()
        with self._lock:
            if self._shown:
                self._bar.stop()
                self._shown = False

    # ------------------------------------------------------------------ hooks

    def migration_started(self, name: str, direction: str, first: int, steps: int) -> None:
        super().migration_started(name, direction, first, steps)
        self._label = f"{name} ({direction})"
        self._arm()
        self._refresh()

    def step_started(self, index: int, steps: int, description: str, *, atomic: bool) -> None:
        super().step_started(index, steps, description, atomic=atomic)
        name = self.where.migration if self.where else ""
        self._label = f"{name}: step {index + 1}/{steps} {description}"
        self._detail = ""
        self._rate = BatchRate()
        with self._lock:
            if self._shown:
                self._bar.update(self._task, total=None, completed=0)
        self._refresh()

    def statement_started(self, statement: str, backend_pid: int) -> None:
        if _INDEX.search(statement):
            self._start_watch(backend_pid)
        elif _VALIDATE.search(statement):
            self._detail = "validating the constraint over every row"
            self._refresh()

    def statement_finished(self) -> None:
        self._stop_watch()
        self._detail = ""

    def batch(self, done: int, total: int | None) -> None:
        self._detail = self._rate.text(done, total)
        with self._lock:
            if self._shown and total:
                self._bar.update(self._task, total=total, completed=done)
        self._refresh()

    def migration_finished(self, name: str) -> None:
        super().migration_finished(name)
        self._detail = ""

    # ------------------------------------------------------------------ index watcher

    def _start_watch(self, pid: int) -> None:
        stop = threading.Event()
        self._watch = stop
        thread = threading.Thread(target=self._poll, args=(pid, stop), daemon=True)
        thread.start()

    def _stop_watch(self) -> None:
        if self._watch is not None:
            self._watch.set()
            self._watch = None

    def _poll(self, pid: int, stop: threading.Event) -> None:
        from pgwarden.db import connect

        try:
            with connect(self._url, connect_timeout=5) as conn:
                while not stop.wait(POLL):
                    phase = index_progress(conn, pid)
                    if phase is not None and not stop.is_set():
                        self._detail = phase
                        self._refresh()
        except Exception:  # progress is a courtesy: never fail the migration for it
            return
