"""The runner's progress hooks (pgwarden.apply.progress) on a real apply and revert:
every migration, step k/n and statement is announced, in order, with the backend
pid of the connection that runs it."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pgwarden.apply import files
from pgwarden.apply.progress import Progress
from pgwarden.apply.runner import Runner
from tests.migrations.helpers import write_migration
from tests.migrations.test_runner import CREATE_T, DROP_T, MULTI, MULTI_DOWN, MULTI_STEPS


class Recorder(Progress):
    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def migration_started(self, name: str, direction: str, first: int, steps: int) -> None:
        super().migration_started(name, direction, first, steps)
        self.events.append(("migration", name, direction, first, steps))

    def step_started(self, index: int, steps: int, description: str, *, atomic: bool) -> None:
        super().step_started(index, steps, description, atomic=atomic)
        assert self.where is not None and self.where.step == index
        self.events.append(("step", index, steps, description, atomic))

    def statement_started(self, statement: str, backend_pid: int) -> None:
        self.events.append(("statement", statement.split()[0], backend_pid))

    def statement_finished(self) -> None:
        self.events.append(("done",))

    def migration_finished(self, name: str) -> None:
        super().migration_finished(name)
        self.events.append(("finished", name))


def test_apply_and_down_report_every_step_and_statement(database_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "0001_create", CREATE_T, DROP_T)
    write_migration(tmp_path, "0002_multi", MULTI, MULTI_DOWN)
    recorder = Recorder()
    runner = Runner(database_url, files.load_migrations(tmp_path), progress=recorder)
    runner.apply()
    events = recorder.events
    assert events[0] == ("migration", "0001_create", "up", 0, 2)
    steps = [e for e in events if e[0] == "step"]
    assert [(e[1], e[2]) for e in steps] == [(0, 2), (1, 2)] + [
        (i, MULTI_STEPS) for i in range(MULTI_STEPS)
    ]
    assert ("step", 2, MULTI_STEPS, "unique index t_code_key", False) in steps
    assert [e for e in events if e[0] == "finished"] == [
        ("finished", "0001_create"),
        ("finished", "0002_multi"),
    ]
    # every statement is announced and closed, on the connection that runs it
    statements = [e for e in events if e[0] == "statement"]
    assert ("statement", "CREATE", statements[0][2]) in statements
    assert len(statements) == len([e for e in events if e[0] == "done"]) >= 10
    pids = {e[2] for e in statements}
    assert len(pids) == 1 and all(isinstance(p, int) and p > 0 for p in pids)
    with psycopg.connect(database_url) as other:
        assert other.info.backend_pid not in pids
    assert recorder.where is None  # nothing left half-done
    recorder.events.clear()
    runner.down()
    assert recorder.events[0] == ("migration", "0002_multi", "down", 0, 3)
