"""``pgwarden validate`` through click's CliRunner and the console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pgwarden.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_valid_spec_prints_summary() -> None:
    result = CliRunner().invoke(cli, ["--schema", str(ROOT / "schema"), "validate"])
    assert result.exit_code == 0, result.output
    assert "valid (6 tables, 2 enums, 1 file; not proved on a server)" in result.output


def test_bad_spec_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(
        '[tables.User.columns]\nid = { type = "uuid", primary_key = true }\n'
        'email = { type = "text", nulable = true }\n'
        '[tables.Post.columns]\nuid = { type = "uuid", references = { table = "Usr" } }\n'
    )
    result = CliRunner().invoke(cli, ["--schema", str(tmp_path), "validate"])
    assert result.exit_code == 2
    out = result.output
    assert f"{tmp_path / 'app.toml'}:3: tables.User.columns.email.nulable: unknown key" in out
    assert "did you mean 'nullable'" in out
    assert f"{tmp_path / 'app.toml'}:5: tables.Post.columns.uid.references" in out
    assert "2 problems in" in out
    assert "Traceback" not in out
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_console_script_has_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[tables.User\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", "--schema", str(tmp_path), "validate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert f"{tmp_path / 'bad.toml'}:1: TOML syntax error" in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "pgwarden", "--schema", str(tmp_path / "nope"), "validate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr
    assert "Traceback" not in missing.stderr
