"""Migration layouts: detected, replayed in their tool's order, transactions inferred."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgwarden.checks import layouts
from pgwarden.checks.config import LintConfig, load_config
from pgwarden.checks.engine import lint_paths
from pgwarden.errors import PgwardenError
from tests.checks.histories import LAYOUTS, write

ALL = LintConfig(select=("ALL",))

#: varchar(20) -> text is binary-coercible: safe only when file 1 is known.
HISTORY = [
    ("users", "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(20));"),
    ("widen", "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email TYPE text;"),
    ("index", "SET lock_timeout = '5s';\nCREATE INDEX users_email_idx ON users (email);"),
]


def rules(paths: list[Path], config: LintConfig = ALL) -> list[tuple[str, int | None, str]]:
    result = lint_paths(paths, config)
    return sorted((Path(f.location.file).name, f.location.line, f.rule) for f in result.findings)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_is_detected_and_replayed_in_order(tmp_path: Path, layout: str) -> None:
    files = write(tmp_path / "m", layout, HISTORY)
    root = (
        files[0].parent.parent
        if layout in ("pgwarden", "prisma", "diesel", "sqitch")
        else files[0].parent
    )
    assert layouts.detect(root) == layout
    hist = layouts.history(root, layout)
    assert [f.path for f in hist.files] == files
    # the history is known: widening varchar is no rewrite; the index is on an old table
    assert rules([root]) == [(files[2].name, 3, "create-index-non-concurrently")]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_file_is_linted_with_the_history_before_it(tmp_path: Path, layout: str) -> None:
    files = write(tmp_path / "m", layout, HISTORY)
    assert rules([files[1]]) == []
    # alone (copied out of its history) the column's type is unknown: reported
    alone = tmp_path / "alone.sql"
    alone.write_text(f"-- widen\n{HISTORY[1][1]}\n")
    assert [r for _, _, r in rules([alone])] == ["column-type-change"]


def test_numeric_orders_golang_and_flyway(tmp_path: Path) -> None:
    history = [(f"m{i}", f"SELECT {i};") for i in range(1, 12)]
    files = write(tmp_path / "g", "golang-migrate", history)
    assert [f.path for f in layouts.history(tmp_path / "g", "golang-migrate").files] == files
    fly = tmp_path / "f"
    fly.mkdir()
    for name in ("V1_10__b.sql", "V1_2__a.sql", "V2__c.sql", "R__views.sql", "U2__undo.sql"):
        (fly / name).write_text("SELECT 1;\n")
    order = [f.path.name for f in layouts.history(fly, "flyway").files]
    assert order == ["V1_2__a.sql", "V1_10__b.sql", "V2__c.sql", "R__views.sql"]


def test_sqitch_plan_order_and_reworked_changes() -> None:
    plan = (
        "%syntax-version=1.0.0\n%project=x\n\nusers 2024-01-01T00:00:00Z A <a@x> # first\n"
        "@v1 2024-01-02T00:00:00Z A <a@x> # tag\nappuser [users] 2024-01-03T00:00:00Z A <a@x>\n"
        "users [users@v1] 2024-01-04T00:00:00Z A <a@x> # reworked\n"
    )
    assert layouts.sqitch_plan(plan) == ["users@v1", "appuser", "users"]


def test_dbmate_lints_only_the_up_section(tmp_path: Path) -> None:
    f = tmp_path / "20240101000000_x.sql"
    f.write_text(
        "-- migrate:up\nSET lock_timeout = '1s';\nCREATE INDEX i ON t (a);\n\n"
        "-- migrate:down\nDROP TABLE t;\n"
    )
    assert rules([tmp_path]) == [(f.name, 3, "create-index-non-concurrently")]


# --------------------------------------------------------------------------- transactions

CIC = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);"


@pytest.mark.parametrize(
    ("layout", "sql", "fails"),
    [
        ("prisma", f"SET lock_timeout = '5s';\n{CIC}", True),  # several statements: one transaction
        ("prisma", CIC, False),  # a migration of one statement runs outside a transaction
        ("golang-migrate", f"SET lock_timeout = '5s';\n{CIC}", True),
        ("golang-migrate", CIC, False),
        ("diesel", CIC, True),  # always in a transaction without metadata.toml
        ("flyway", f"{CIC}\nANALYZE users;", True),
        ("flyway", CIC, False),  # only non-transactional statements: outside a transaction
        ("dbmate", CIC, True),
        ("pgwarden", f"-- pgwarden:step atomic=true\n{CIC}", True),
        ("pgwarden", f"-- pgwarden:step atomic=false\n{CIC}", False),
        ("plain", f"BEGIN;\n{CIC}\nCOMMIT;", True),
        ("plain", CIC, False),
        ("sqitch", f"BEGIN;\n{CIC}\nCOMMIT;", True),
        ("sqitch", CIC, False),
    ],
)
def test_concurrently_in_a_transactional_file(
    tmp_path: Path, layout: str, sql: str, fails: bool
) -> None:
    files = write(tmp_path / "m", layout, [HISTORY[0], ("cic", sql)])
    found = [r for _, _, r in rules([files[1]])]
    assert ("concurrently-in-transaction" in found) == fails, found


def test_diesel_and_dbmate_opt_out_of_the_transaction(tmp_path: Path) -> None:
    files = write(tmp_path / "d", "diesel", [HISTORY[0], ("cic", CIC)])
    (files[1].parent / "metadata.toml").write_text("run_in_transaction = false\n")
    assert "concurrently-in-transaction" not in [r for _, _, r in rules([files[1]])]
    f = tmp_path / "db" / "20240101000000_cic.sql"
    f.parent.mkdir()
    f.write_text(f"-- migrate:up transaction:false\n{CIC}\n-- migrate:down\n")
    assert "concurrently-in-transaction" not in [r for _, _, r in rules([f])]


def test_not_valid_then_validate_in_one_prisma_migration(tmp_path: Path) -> None:
    add = "ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '') NOT VALID;"
    validate = "ALTER TABLE users VALIDATE CONSTRAINT users_email_check;"
    one = write(tmp_path / "one", "prisma", [HISTORY[0], ("both", f"{add}\n{validate}")])
    assert ("both", 3, "not-valid-validated-in-transaction") in [
        (p.split("_", 1)[1], line, r)
        for p, line, r in [(one[1].parent.name, *x[1:]) for x in rules([one[1]])]
    ]
    two = write(tmp_path / "two", "prisma", [HISTORY[0], ("add", add), ("validate", validate)])
    assert "not-valid-validated-in-transaction" not in [
        r for _, _, r in rules([two[0].parent.parent])
    ]


def test_prisma_enum_swap_is_a_value_removal(tmp_path: Path) -> None:
    swap = (
        "CREATE TYPE \"Role_new\" AS ENUM ('USER');\n"
        'ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");\n'
        'ALTER TYPE "Role" RENAME TO "Role_old";\n'
        'ALTER TYPE "Role_new" RENAME TO "Role";\n'
        'DROP TYPE "Role_old";'
    )
    files = write(
        tmp_path / "p",
        "prisma",
        [
            (
                "init",
                "CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN');\n"
                'CREATE TABLE "User" (id int, role "Role");',
            ),
            ("swap", swap),
        ],
    )
    result = lint_paths([files[1]], ALL)
    (f,) = [f for f in result.findings if f.rule == "enum-value-removed"]
    assert f.location.line == 5 and "ADMIN" in f.message
    # adding a value the same way removes nothing
    files[1].write_text(files[1].read_text().replace("('USER')", "('USER', 'ADMIN', 'OWNER')"))
    assert not [f for f in lint_paths([files[1]], ALL).findings if f.rule == "enum-value-removed"]


# --------------------------------------------------------------------------- inputs


def test_migration_lock_toml_is_never_a_spec(tmp_path: Path) -> None:
    files = write(tmp_path / "prisma" / "migrations", "prisma", HISTORY)
    root = files[0].parent.parent
    assert rules([root])  # lints the history instead of failing on the lock file
    with pytest.raises(PgwardenError, match="migration tool's own file"):
        lint_paths([root / "migration_lock.toml"])


def test_layout_override_in_pyproject(tmp_path: Path) -> None:
    files = write(
        tmp_path / "m", "golang-migrate", [HISTORY[0], ("cic", f"SET lock_timeout = '5s';\n{CIC}")]
    )
    assert "concurrently-in-transaction" in [r for _, _, r in rules([files[1]])]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.pgwarden.lint]\nselect = ["ALL"]\nlayout = "plain"\n')
    config = load_config(pyproject)
    assert config.layout == "plain"
    assert "concurrently-in-transaction" not in [r for _, _, r in rules([files[1]], config)]
    pyproject.write_text('[tool.pgwarden.lint]\nlayout = "rails"\n')
    with pytest.raises(PgwardenError, match="unknown layout 'rails'"):
        load_config(pyproject)


def test_lint_command_on_prisma_migrations_lints_the_history(tmp_path: Path) -> None:
    from tests.checks.test_cli import invoke

    files = write(tmp_path / "prisma" / "migrations", "prisma", HISTORY)
    code, out = invoke("--format", "gcc", str(files[0].parent.parent))
    assert code == 1  # findings, not bad input (2) from reading migration_lock.toml
    assert f"{files[2]}:3:1: error:" in out and "[create-index-non-concurrently]" in out
