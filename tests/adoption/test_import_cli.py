"""``pgwarden import prisma`` as a user runs it: exit codes, messages, the written spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import psycopg

from pgwarden.apply.canonical import canonicalize
from pgwarden.importers.prisma import import_prisma
from pgwarden.introspect import format_diff, inspect_schema, schema_diff

HERE = Path(__file__).parent
SAASFLY = HERE.parent / "fixtures" / "saasfly_before" / "schema.prisma"
CONSTRUCTS = HERE / "fixtures" / "constructs.prisma"
PRISMA_DDL = HERE / "fixtures" / "saasfly_prisma.sql"


def pgwarden(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pgwarden", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_syntax_error_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.prisma"
    bad.write_text("model A {\n  id Int @id\n  name String @default(\n}\n")
    proc = pgwarden("import", "prisma", str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{bad}:4: column 1: expected a value" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_semantic_errors_are_all_listed(tmp_path: Path) -> None:
    bad = tmp_path / "schema.prisma"
    bad.write_text(
        "model A {\n  id Int @id @primary\n  b Missing\n}\n"
        "model B {\n  id Int @id\n  @@index([nope])\n}\n"
    )
    proc = pgwarden("import", "prisma", str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    assert "3 problems in the Prisma schema" in proc.stderr
    for line, text in (
        (2, "unknown attribute @primary"),
        (3, "unknown type 'Missing'"),
        (7, "nope"),
    ):
        assert f"{bad}:{line}:" in proc.stderr and text in proc.stderr
    assert proc.stderr.count("fix:") >= 2


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    proc = pgwarden("import", "prisma", "nope.prisma", cwd=tmp_path)
    assert proc.returncode == 2 and "nope.prisma" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_import_writes_a_spec_that_loads_to_the_imported_model(
    tmp_path: Path, database_url: str
) -> None:
    from pgwarden.spec.load import load_schema

    proc = pgwarden("import", "prisma", str(CONSTRUCTS), "--output", "schema/", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / "schema" / "constructs.toml"
    assert "wrote" in proc.stderr and written.exists()
    assert "uuid()" in proc.stderr  # the warnings are shown with file:line
    assert f"{CONSTRUCTS}:" in proc.stderr
    loaded = load_schema(written)
    imported = import_prisma(CONSTRUCTS).schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        a, b = canonicalize(imported, conn), canonicalize(loaded, conn)
    assert not schema_diff(a, b), format_diff(schema_diff(a, b), "imported", "spec file")
    # intent the spec carries but the database does not compare
    fk = next(f for t in loaded.tables for f in t.foreign_keys if f.name == "Post_editorId_fkey")
    assert fk.on_delete == "set null"


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    proc = pgwarden("import", "prisma", str(SAASFLY), "--strict", cwd=tmp_path)
    assert proc.returncode == 1
    assert "relationMode" in proc.stderr and "[tables.User" in proc.stdout


def test_imported_saasfly_spec_has_no_drift_on_the_prisma_database(
    tmp_path: Path, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(cast(Any, PRISMA_DDL.read_text()))
        live = inspect_schema(conn)
    proc = pgwarden("import", "prisma", str(SAASFLY), "-o", "imported/saasfly.toml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    verify = pgwarden(
        "--schema",
        "imported",
        "migrate",
        "verify",
        cwd=tmp_path,
        env={"DATABASE_URL": database_url},
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "no drift" in verify.stdout
    assert live.table("K8sClusterConfig") is not None
