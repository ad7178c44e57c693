"""Every lock hazard squawk finds in the hand-written unsafe migrations, pgwarden finds too.

squawk (the ``squawk-cli`` package) runs on the same files; each of its findings
is mapped to the pgwarden rule(s) that cover it (docs/lint.md has the table) and
must be reported by pgwarden on the same statement. squawk rules that are not lock
hazards (statement style, idempotence, column type advice) are listed
explicitly, so a squawk upgrade with a new rule fails here until it is mapped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import lint_sql
from pgwarden.checks.sqlfile import split_statements

UNSAFE = Path(__file__).parent / "fixtures" / "unsafe"

#: squawk lock-hazard rule -> pgwarden rules, any of which covers it.
LOCK_HAZARDS: dict[str, set[str]] = {
    "require-concurrent-index-creation": {"create-index-non-concurrently"},
    "require-concurrent-index-deletion": {"drop-index-non-concurrently"},
    "ban-concurrent-index-creation-in-transaction": {"concurrently-in-transaction"},
    "constraint-missing-not-valid": {
        "constraint-without-not-valid",
        "unique-constraint-under-lock",
    },
    "adding-foreign-key-constraint": {"constraint-without-not-valid"},
    "adding-not-nullable-field": {"set-not-null"},
    "adding-required-field": {"add-column-not-null-without-default"},
    "adding-field-with-default": {"volatile-default"},
    "changing-column-type": {"column-type-change"},
    "disallowed-unique-constraint": {"unique-constraint-under-lock"},
    "adding-serial-primary-key-field": {"unique-constraint-under-lock"},
    "ban-drop-column": {"drop-column"},
    "ban-drop-table": {"drop-table"},
    "ban-drop-schema": {"drop-schema"},
    "ban-drop-database": {"drop-database"},
    "renaming-column": {"rename-column"},
    "renaming-table": {"rename-table"},
    "require-lock-timeout": {"missing-lock-timeout"},
}
#: Reported once per file by both tools (where the first lock is taken).
PER_FILE = {"require-lock-timeout"}
#: squawk rules that are not lock hazards (see docs/lint.md for why).
NOT_LOCK_HAZARDS = {
    "prefer-robust-stmts",
    "require-statement-timeout",
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "prefer-timestamp-tz",
    "ban-char-field",
}


def _squawk() -> str:
    exe = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    assert Path(exe).exists(), "squawk-cli is in the test extra: pip install -e '.[test]'"
    return exe


def run_squawk(files: list[Path]) -> list[dict[str, object]]:
    proc = subprocess.run(
        [_squawk(), "--reporter", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return list(json.loads(proc.stdout))


def test_every_squawk_lock_hazard_is_reported_by_pgwarden() -> None:
    files = sorted(UNSAFE.glob("*.sql"))
    texts = [(str(f), f.read_text()) for f in files]
    ours = lint_sql(texts, LintConfig(select=("ALL",))).findings
    statements = {name: split_statements(text, name) for name, text in texts}

    def statement_line(file: str, line: int) -> int:
        for s in statements[file]:
            if s.line <= line <= s.end_line:
                return s.line
        raise AssertionError(f"no statement at {file}:{line}")

    hazards = 0
    missing = []
    for item in run_squawk(files):
        rule = str(item["rule_name"])
        if rule in NOT_LOCK_HAZARDS:
            continue
        assert rule in LOCK_HAZARDS, f"unmapped squawk rule {rule}: map it in docs/lint.md"
        hazards += 1
        file = str(Path(str(item["file"])))
        file = next(name for name, _ in texts if Path(name).resolve() == Path(file).resolve())
        line = statement_line(file, int(str(item["line"])) + 1)
        wanted = LOCK_HAZARDS[rule]
        # pgwarden locates a finding at the offending sub-command: compare statements
        hit = any(
            f.rule in wanted
            and f.location.file == file
            and (rule in PER_FILE or statement_line(file, f.location.line or 0) == line)
            for f in ours
        )
        if not hit:
            missing.append(f"{file}:{line} squawk {rule} -> none of {sorted(wanted)}")
    assert hazards >= 15, "the unsafe fixtures should make squawk report many hazards"
    assert not missing, "\n".join(missing)


def test_pgwarden_reports_every_hazard_in_the_unsafe_migrations() -> None:
    files = sorted(UNSAFE.glob("*.sql"))
    ours = lint_sql([(str(f), f.read_text()) for f in files]).findings
    got = {(Path(f.location.file).name[:4], f.location.line, f.rule) for f in ours}
    assert got == {
        ("0001", 3, "create-index-non-concurrently"),
        ("0001", 3, "missing-lock-timeout"),
        ("0001", 6, "constraint-without-not-valid"),  # at its ADD CONSTRAINT
        ("0001", 9, "constraint-without-not-valid"),
        ("0001", 11, "set-not-null"),
        ("0001", 13, "add-column-not-null-without-default"),
        ("0001", 15, "volatile-default"),
        ("0001", 17, "column-type-change"),
        ("0001", 19, "unique-constraint-under-lock"),
        ("0001", 21, "drop-index-non-concurrently"),
        ("0002", 2, "drop-column"),
        ("0002", 2, "missing-lock-timeout"),
        ("0002", 4, "rename-column"),
        ("0002", 6, "rename-table"),
        ("0002", 8, "drop-table"),
        ("0002", 10, "drop-schema"),
        ("0002", 12, "unique-constraint-under-lock"),
        ("0002", 15, "concurrently-in-transaction"),
        # Beyond squawk: VACUUM FULL is a lock hazard squawk does not report.
        ("0002", 18, "vacuum-full-or-cluster"),
    }
