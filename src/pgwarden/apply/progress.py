"""What the runner reports while it works: a small callback interface.

The runner calls these hooks; the command line shows them (``pgwarden.cli.progress``
draws bars with rich on a terminal, prints nothing otherwise). Every hook is a
no-op here, so a caller overrides only what it shows, and the runner never cares
who listens. A long data step (a batched backfill) reports with :meth:`batch`.

The last position the runner announced is kept (:attr:`where`), so an interrupted
run can say what state it left the database in.
"""

from __future__ import annotations

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


#: The default listener: says nothing.
SILENT = Progress()
