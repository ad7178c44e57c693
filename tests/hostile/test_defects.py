"""Issue 20's reproductions, run as the commands a user types (subprocess, real
server): each defect now ends in a clean error, exit 2, nothing applied."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import psycopg
import pytest

from pgwarden.apply import files
from tests.migrations.helpers import PGWARDEN, run_cli


def _hand_written(d: Path, data: bytes) -> Path:
    """A migration whose sum matches its bytes (as an older pgwarden would write it)."""
    up = d / "0001_hand" / "up.sql"
    up.parent.mkdir(parents=True)
    up.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (d / files.SUM_FILE).write_text(f"{digest}  0001_hand/up.sql\n")
    return up


def _clean_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def _lint(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PGWARDEN, *args, str(path)], capture_output=True, text=True, timeout=120
    )


def test_nul_in_a_migration_is_neither_hashed_applied_nor_linted(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE x (id int)")
    d = tmp_path / "migrations"
    up = _hand_written(d, b"SELECT 1;\x00DROP TABLE x;\n")
    where = f"{up}:1: NUL byte (0x00) at column 10 (byte offset 9)"
    _clean_error(run_cli(database_url, d, "hash"), where)
    _clean_error(run_cli(database_url, d, "apply"), where)
    _clean_error(run_cli(database_url, d, "status"), where)
    _clean_error(_lint(up, "lint"), where)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('x') IS NOT NULL").fetchone() == (True,)
        # the runner never started: no history table, nothing recorded
        assert conn.execute("SELECT to_regclass('pgwarden.migrations')").fetchone() == (None,)


def test_invalid_utf8_in_a_migration_is_a_clean_error(database_url: str, tmp_path: Path) -> None:
    d = tmp_path / "migrations"
    up = _hand_written(d, b"SELECT 1;\n-- caf\xe9\nSELECT 2;\n")
    where = f"{up}:2: invalid UTF-8 (byte 0xe9) at column 7 (byte offset 16)"
    for command in ("apply", "status", "hash"):
        _clean_error(run_cli(database_url, d, command), where)


def test_binary_prisma_file_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "x.prisma"
    path.write_bytes(bytes(range(256)) * 4)
    _clean_error(_lint(path, "lint"), f"{path}:1: NUL byte (0x00) at column 1 (byte offset 0)")
    _clean_error(_lint(path, "import", "prisma"), f"{path}:1: NUL byte")
    path.write_bytes(b'model A {\n  id Int @id\n  n String @default("\xff")\n}\n')
    _clean_error(_lint(path, "import", "prisma"), f"{path}:3: invalid UTF-8 (byte 0xff)")


def test_quadratic_lint_repro_is_now_linear_and_complete(tmp_path: Path) -> None:
    """The issue's file (``INSERT ...`` x N): every statement is read, the last
    one's line is right, and a hazard at the end is still found."""
    path = tmp_path / "b.sql"
    path.write_text("INSERT INTO t VALUES (1);\n" * 20_000 + "DROP TABLE t;\n")
    proc = _lint(path, "lint", "--format", "gcc")
    assert proc.returncode == 1, proc.stderr
    assert f"{path}:20001:1: error: dropping table t" in proc.stdout
    assert "[drop-table]" in proc.stdout


_NUL_SPECS = {
    "table name": '[tables."T\\u0000"]\ncolumns = { id = { type = "integer" } }\n',
    "column name": '[tables.T.columns]\n"a\\u0000b" = { type = "text" }\n',
    "enum name": '[enums."E\\u0000"]\nvalues = ["a"]\n',
    "enum value": '[enums.E]\nvalues = ["a\\u0000"]\n',
    "default": '[tables.T.columns]\na = { type = "text", default = "x\\u0000y" }\n',
    "default_sql": '[tables.T.columns]\na = { type = "text", default_sql = "\'x\\u0000\'" }\n',
    "check": '[tables.T.columns]\na = { type = "text" }\n[[tables.T.checks]]\n'
    "expression = \"a <> 'x\\u0000'\"\n",
    "index name": '[tables.T.columns]\na = { type = "text" }\n[[tables.T.indexes]]\n'
    'columns = ["a"]\nname = "i\\u0000"\n',
    "comment": '[tables.T]\ncomment = "c\\u0000"\ncolumns = { a = { type = "text" } }\n',
    "tenant setting": '[tables.T]\ntenant = { column = "a", setting = "app.\\u0000" }\n'
    'columns = { a = { type = "text" } }\n',
}


@pytest.mark.parametrize("where", sorted(_NUL_SPECS))
def test_nul_in_names_and_literals_is_refused_like_comments(tmp_path: Path, where: str) -> None:
    spec = tmp_path / "app.toml"
    spec.write_text(_NUL_SPECS[where])
    for command in (["validate"], ["sql"], ["migrate", "--dir", str(tmp_path / "m"), "new", "x"]):
        proc = subprocess.run(
            [*PGWARDEN, "--schema", str(spec), *command],
            capture_output=True,
            text=True,
            timeout=120,
        )
        _clean_error(proc, f"{spec}:")
        assert "NUL" in proc.stderr and "\x00" not in proc.stderr, (where, proc.stderr)
        assert "DataError" not in proc.stderr
    assert not (tmp_path / "m").exists()
