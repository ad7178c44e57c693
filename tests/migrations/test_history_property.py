"""The differential history property (issue 12, item 7): random multi-step histories
(type changes of keys together with their FKs, NOT NULL on populated tables, PK swaps,
enum edits, renames; tests/planner/derive.py) are written by the planner as migration
files and run by the real runner on the server under test. At every step: up gives
the target catalog (the model, and every constraint and index name from pg_constraint
/ pg_indexes as a plain CREATE names them), a second plan is empty, down gives the
previous catalog, and up again gives the target.

Rows are seeded once, after the first migration, and carried through the whole
history. When a preflight refuses a step because of those rows (a NOT NULL over NULLs,
a key over duplicates: the refusal is right), the tables are emptied and the command is
rerun, as a user who fixed the data would (which resumes the half-done migration).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import event, given, seed, settings

from pgwarden.apply.canonical import canonicalize
from pgwarden.apply.generate import write_migration
from pgwarden.apply.preflight import PreflightError
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.model import Schema
from tests.migrations.lifecycle import fresh_names, names, runner, spec
from tests.pg import reset_schema
from tests.planner.derive import histories
from tests.planner.helpers import seed_rows, truncate_all

ALL = PlanOptions(allow_destructive=True)


def _any_column_order(s: Schema) -> Schema:
    """Column order is not governed (docs/migrations.md): a down that restores a
    dropped column appends it."""
    return replace(
        s,
        tables=tuple(
            replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name))) for t in s.tables
        ),
    )


@dataclass
class _Run:
    """One history on one database, with what it did (for the harness's own test)."""

    url: str
    directory: Path
    emptied: int = 0
    rows: list[int] = field(default_factory=list)

    def _retry(self, command: str, to: int) -> None:
        r = runner(self.url, self.directory)
        try:
            getattr(r, command)(to)
        except PreflightError:
            with psycopg.connect(self.url, autocommit=True) as conn:
                truncate_all(conn, inspect_schema(conn))
            self.emptied += 1
            getattr(runner(self.url, self.directory), command)(to)

    def at(self, state: Schema, where: str) -> None:
        """The database equals ``state`` (model, an empty second plan) and every
        constraint and index name equals what a fresh CREATE gives, the NOT NULL
        constraints PostgreSQL 18 names after their table and column included, after a
        rename too (the planner renames them along)."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            got = inspect_schema(conn)
            want = canonicalize(state, conn)
            diff = format_diff(schema_diff(want, got))
            assert _any_column_order(got) == _any_column_order(want), f"{where}:\n{diff}"
            again = plan(got, want, ALL)
            assert not again, f"{where}: not converged:\n{again.describe()}"
            have = names(conn)
            self.rows.append(_row_count(conn, got))
        fresh = fresh_names(self.url, state)
        assert have == fresh, where

    def run(self, states: list[Schema]) -> None:
        versions: list[Schema] = []
        for n, state in enumerate(states, 1):
            if write_migration(self.directory, f"step{n}", state, allow_destructive=True):
                versions.append(state)
        self._retry("apply", 1)
        self.at(versions[0], "0001 up")
        with psycopg.connect(self.url, autocommit=True) as conn:
            seed_rows(conn, versions[0])
        for v in range(2, len(versions) + 1):
            self._retry("apply", v)
            self.at(versions[v - 1], f"{v:04d} up")
            self._retry("down", v - 1)
            self.at(versions[v - 2], f"{v:04d} down")
            self._retry("apply", v)
            self.at(versions[v - 1], f"{v:04d} up again")


def _row_count(conn: psycopg.Connection[Any], schema: Schema) -> int:
    total = 0
    for t in schema.tables:
        row = conn.execute(
            psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(t.name))
        ).fetchone()
        total += int(row[0]) if row else 0
    return total


def _history(url: str, states: list[Schema]) -> _Run:
    with psycopg.connect(url, autocommit=True) as conn:
        reset_schema(conn)
        conn.execute("DROP SCHEMA IF EXISTS pgwarden CASCADE")
    with tempfile.TemporaryDirectory() as tmp:
        run = _Run(url, Path(tmp) / "migrations")
        run.directory.mkdir()
        run.run(states)
        return run


@seed(12)
@settings(max_examples=6)
@given(states=histories(max_tables=3, max_steps=3))
def test_random_histories_converge_step_by_step(database_url: str, states: list[Schema]) -> None:
    """Seeded and small, for the normal suite; the slow variant draws more and longer."""
    run = _history(database_url, states)
    event(f"rows at the last step: {'some' if run.rows[-1] else 'none'}")
    event(f"emptied after a preflight: {run.emptied}")


@pytest.mark.slow
@settings(max_examples=40)
@given(states=histories(max_tables=4, max_steps=5))
def test_random_long_histories_converge_step_by_step(
    database_url: str, states: list[Schema]
) -> None:
    _history(database_url, states)


REAL_SHAPED = [
    """
[enums.Status]
values = ["DRAFT", "LIVE", "GONE"]

[tables.P.columns]
id = { type = "integer", primary_key = true }
code = { type = "text" }
state = { type = "Status", nullable = true }

[tables.C.columns]
id = { type = "integer", primary_key = true }
pid = { type = "integer", nullable = true, references = { table = "P" } }
note = { type = "text", nullable = true }
""",
    # ids widened on both sides of the FK; NOT NULL on a populated column
    """
[enums.Status]
values = ["DRAFT", "LIVE", "GONE"]

[tables.P.columns]
id = { type = "bigint", primary_key = true }
code = { type = "text" }
state = { type = "Status" }

[tables.C.columns]
id = { type = "integer", primary_key = true }
pid = { type = "bigint", nullable = true, references = { table = "P" } }
note = { type = "text", nullable = true }
""",
    # int ids become text ids; an enum value removed; C's key moves to note
    """
[enums.Status]
values = ["DRAFT", "LIVE"]

[tables.P.columns]
id = { type = "text", primary_key = true }
code = { type = "text" }
state = { type = "Status" }

[tables.C.columns]
id = { type = "integer" }
pid = { type = "text", nullable = true, references = { table = "P" } }
note = { type = "text", primary_key = true }
""",
]


def test_a_real_shaped_history_keeps_its_rows(database_url: str) -> None:
    # the harness itself: a hand-written history of every edit kind the generator
    # draws, on rows that satisfy each step, must keep the rows through all of it
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS pgwarden CASCADE")
    states = [spec(text) for text in REAL_SHAPED]
    with tempfile.TemporaryDirectory() as tmp:
        run = _Run(database_url, Path(tmp) / "migrations")
        run.directory.mkdir()
        for n, state in enumerate(states, 1):
            assert write_migration(run.directory, f"step{n}", state, allow_destructive=True)
        run._retry("apply", 1)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                """INSERT INTO "P" VALUES (1, 'a', 'DRAFT'), (2, 'b', 'LIVE');"""
                """INSERT INTO "C" VALUES (1, 1, 'x'), (2, NULL, 'y')"""
            )
        for v in (2, 3):
            run._retry("apply", v)
            run.at(states[v - 1], f"{v} up")
            run._retry("down", v - 1)
            run.at(states[v - 2], f"{v} down")
            run._retry("apply", v)
            run.at(states[v - 1], f"{v} up again")
    assert run.emptied == 0
    assert run.rows == [4] * 6
