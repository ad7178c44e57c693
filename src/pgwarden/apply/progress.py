"""What the runner reports while it works: a small callback interface.

The runner calls these hooks; the command line shows them (``pgwarden.cli.progress``
draws bars with rich on a terminal, prints nothing otherwise). Every hook is a
no-op here, so a caller overrides only what it shows, and the runner never cares
who listens. A long data step (a batched backfill) reports with :meth:`batch`.

The last position the runner announced is kept (:attr:`where`), so an interrupted
run can say what state it left the database in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """Where a run is: migration, direction, the step under way (0-based) of ``steps``."""

    migration: str
    direction: str
    step: int
    steps: int
    atomic: bool = True


class Progress:
    """Hooks called by :class:`pgwarden.apply.runner.Runner`; all no-ops by default."""

    where: Position | None = None

    def migration_started(self, name: str, direction: str, first: int, steps: int) -> None:
        """A migration begins (``first`` > 0: resuming after that many committed steps)."""
        self.where = Position(name, direction, first, steps)

    def step_started(self, index: int, steps: int, description: str, *, atomic: bool) -> None:
        """Step ``index`` (0-based) of ``steps`` begins."""
        if self.where is not None:
            self.where = Position(
                self.where.migration, self.where.direction, index, steps, atomic=atomic
            )

    def statement_started(self, statement: str, backend_pid: int) -> None:
        """A statement goes to the server on the connection whose backend is ``backend_pid``
        (a watcher may poll ``pg_stat_progress_create_index`` for it)."""

    def statement_finished(self) -> None:
        """The statement announced last has returned."""

    def batch(self, done: int, total: int | None) -> None:
        """A batched data step has processed ``done`` rows (of ``total``, when known)."""

    def migration_finished(self, name: str) -> None:
        """The migration is recorded as applied (or reverted)."""
        self.where = None


@dataclass(slots=True)
class BatchRate:
    """Rows per second and the time left of a batched step, from its ``batch`` calls
    (the first call, a resume's starting point, is not counted in the rate)."""

    clock: Callable[[], float] = time.monotonic
    _start: tuple[float, int] | None = None

    def text(self, done: int, total: int | None) -> str:
        """``1,230,000 of 4,000,000 rows (31%), 85,000 rows/s, ETA 33s``."""
        now = self.clock()
        if self._start is None:
            self._start = (now, done)
        text = f"{done:,} rows" + (f" of {total:,} ({done * 100 // total}%)" if total else "")
        began, first = self._start
        if now > began and done > first:
            rate = (done - first) / (now - began)
            text += f", {rate:,.0f} rows/s"
            if total and total > done:
                text += f", ETA {_duration((total - done) / rate)}"
        return text


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


#: The default listener: says nothing.
SILENT = Progress()
