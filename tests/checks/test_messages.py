"""Messages: one finding per statement and hazard, at the offending sub-command, with a
fix written for the user's tool and a code frame in the text report."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import SqlSource, iter_lint, lint_sql
from pgwarden.checks.report import text as text_report
from tests.checks.histories import write

ALL = LintConfig(select=("ALL",))


def test_multi_column_alter_is_one_finding_at_the_first_offender() -> None:
    sql = (
        "SET lock_timeout = '5s';\n"
        "ALTER TABLE users\n"
        "  ADD COLUMN note text,\n"
        "  ADD COLUMN a int NOT NULL,\n"
        "  ADD COLUMN b int NOT NULL;\n"
    )
    (f,) = [
        f
        for f in lint_sql([("m.sql", sql)], ALL).findings
        if f.rule == "add-column-not-null-without-default"
    ]
    assert (f.location.line, f.location.col) == (4, 3)
    assert "users.a, b" in f.message


@pytest.mark.parametrize(
    ("layout", "marker"),
    [
        ("pgwarden", "-- pgwarden:step atomic=false"),
        ("prisma", None),
        ("diesel", None),
        ("flyway", None),
    ],
)
def test_fix_is_a_rewritten_statement_for_the_users_tool(layout: str, marker: str | None) -> None:
    sql = 'SET lock_timeout = \'5s\';\nCREATE INDEX "Post_authorId_idx" ON "Post"("authorId");'
    (f,) = [
        f
        for f in lint_sql([SqlSource("m.sql", sql, "none", layout)], ALL).findings
        if f.rule == "create-index-non-concurrently"
    ]
    assert f.fix is not None
    assert 'CREATE INDEX CONCURRENTLY "Post_authorId_idx" ON "Post"("authorId");' in f.fix
    assert ("pgwarden:step" in f.fix) == (marker is not None)
    if layout == "prisma":
        assert "a migration of its own" in f.fix
    if layout == "diesel":
        assert "run_in_transaction = false" in f.fix


def test_not_valid_fix_names_the_constraint_and_validates_later() -> None:
    sql = (
        "SET lock_timeout = '5s';\n"
        "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);"
    )
    (f,) = [
        f
        for f in lint_sql([("m.sql", sql)], ALL).findings
        if f.rule == "constraint-without-not-valid"
    ]
    assert f.fix is not None
    assert (
        "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;" in f.fix
    )
    assert "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;" in f.fix


def test_text_report_shows_a_code_frame_the_fix_and_the_docs(tmp_path: Path) -> None:
    m = tmp_path / "m.sql"
    m.write_text("SET lock_timeout = '5s';\nALTER TABLE t\n  DROP COLUMN old;\n")
    findings = lint_sql([(str(m), m.read_text())], ALL).findings
    out = text_report.render(findings)
    assert out.splitlines()[:4] == [
        f"{m}:3:3: drop-column dropping t.old loses its data, and application code still "
        "reading it fails",
        "   |",
        " 3 |   DROP COLUMN old;",
        "   |   ^",
    ]
    assert "\n  docs: docs/rules/drop-column.md" in out


def test_results_stream_per_file(tmp_path: Path) -> None:
    files = write(tmp_path / "m", "plain", [("a", "DROP TABLE a;"), ("b", "DROP TABLE b;")])
    parts = iter_lint([tmp_path / "m"], ALL)
    # one part per file, as soon as it is linted (the CLI prints it then)
    assert {Path(f.location.file).name for f in next(parts)} == {files[0].name}
    assert {Path(f.location.file).name for f in next(parts)} == {files[1].name}
    assert [f for part in parts for f in part] == []  # spec and Python part: nothing


def test_the_command_prints_each_file_before_reading_the_next_input(tmp_path: Path) -> None:
    # The Python source is a FIFO: reading it blocks until the test writes to it. The
    # migration's finding must be on stdout while the command waits there; without
    # streaming it would come only after the FIFO is read, i.e. never (timeout).
    write(tmp_path / "m", "plain", [("a", "DROP TABLE a;")])
    (tmp_path / "src").mkdir()
    fifo = tmp_path / "src" / "app.py"
    os.mkfifo(fifo)
    exe = Path(sys.executable).parent / "pgwarden"
    with subprocess.Popen(
        [str(exe), "lint", "--format", "gcc", str(tmp_path / "m"), str(tmp_path / "src")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        first = proc.stdout.readline() if ready else ""
        fifo.write_text("x = 1\n")  # let it finish
        proc.communicate(timeout=60)
    assert "001_a.sql" in first and "drop-table" in first
