"""``pgwarden migrate new``: plan from the latest snapshot, no database, deterministic files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pgwarden.apply import files
from tests.migrations.helpers import PGWARDEN, fetch, history, run_cli

V1 = """
[enums.Plan]
values = ["FREE", "PRO"]

[tables.Team.columns]
id   = { type = "integer", identity = "by default", primary_key = true }
name = { type = "text" }
plan = { type = "Plan", default = "FREE" }
"""

V2 = (
    V1
    + """
note = { type = "text", nullable = true }

[[tables.Team.indexes]]
columns = ["name"]
"""
)

V3 = """
[enums.Plan]
values = ["FREE", "PRO"]

[tables.Team.columns]
id   = { type = "integer", identity = "by default", primary_key = true }
name = { type = "text" }
plan = { type = "Plan", default = "FREE" }

[[tables.Team.indexes]]
columns = ["name"]
"""


def _new(schema: Path, migrations: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # --no-check: the shadow check (tests/migrations/test_shadow.py) is the one part
        # of `new` that needs a server
        [
            *PGWARDEN,
            "--schema",
            str(schema),
            "migrate",
            "--dir",
            str(migrations),
            "new",
            *args,
            "--no-check",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},  # no DATABASE_URL: new needs no database
    )


def _tree(d: Path) -> dict[str, bytes]:
    return {
        p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()
    }


def test_new_plans_from_the_snapshot_without_a_database(database_url: str, tmp_path: Path) -> None:
    spec = tmp_path / "schema" / "app.toml"
    spec.parent.mkdir()
    d = tmp_path / "migrations"
    spec.write_text(V1)
    first = _new(spec.parent, d, "Create teams")
    assert first.returncode == 0, first.stderr
    assert (d / "0001_create_teams" / "up.sql").exists()
    assert set(_tree(d)) == {
        "0001_create_teams/down.sql",
        "0001_create_teams/snapshot.toml",
        "0001_create_teams/up.sql",
        "pgwarden.sum",
    }

    before = _tree(d)
    same = _new(spec.parent, d, "again")
    assert same.returncode == 0 and same.stdout.strip() == "no changes"
    assert _tree(d) == before

    spec.write_text(V2)
    second = _new(spec.parent, d, "note_and_index")
    assert second.returncode == 0, second.stderr
    up = (d / "0002_note_and_index" / "up.sql").read_text()
    assert "-- pgwarden:step atomic=false" in up and "CREATE INDEX CONCURRENTLY" in up
    assert 'ADD COLUMN "note"' in up
    down = (d / "0002_note_and_index" / "down.sql").read_text()
    assert 'DROP COLUMN "note"' in down and "DROP INDEX CONCURRENTLY" in down

    # dropping a column needs consent, and the refusal names the loss
    spec.write_text(V3)
    refused = _new(spec.parent, d, "drop_note")
    assert refused.returncode == 1
    assert "Team" in refused.stderr and "note" in refused.stderr
    assert not (d / "0003_drop_note").exists()
    allowed = _new(spec.parent, d, "drop_note", "--allow-destructive")
    assert allowed.returncode == 0, allowed.stderr

    # the files run: up all the way, then down all the way, then up again
    assert run_cli(database_url, d, "apply").returncode == 0
    assert [r[2] for r in history(database_url)] == ["applied"] * 3
    with_rows = fetch(database_url, """INSERT INTO "Team" (name) VALUES ('a') RETURNING plan""")
    assert with_rows == [("FREE",)]
    down_all = run_cli(database_url, d, "down", "--to", "0")
    assert down_all.returncode == 0, down_all.stderr
    assert fetch(database_url, "SELECT to_regclass('public.\"Team\"')") == [(None,)]
    assert run_cli(database_url, d, "apply").returncode == 0

    # a hand edit of a written migration is refused by name until it is re-hashed
    (d / "0002_note_and_index" / "up.sql").write_text(up + "\n-- reviewed\n")
    spec.write_text(V1)
    edited = _new(spec.parent, d, "whatever")
    assert edited.returncode == 1
    assert "0002_note_and_index/up.sql: edited after it was written" in edited.stderr


def test_same_specs_give_the_same_bytes(tmp_path: Path) -> None:
    spec = tmp_path / "schema" / "app.toml"
    spec.parent.mkdir()
    trees = []
    for run in ("a", "b"):
        d = tmp_path / run
        spec.write_text(V1)
        assert _new(spec.parent, d, "one").returncode == 0
        spec.write_text(V2)
        assert _new(spec.parent, d, "two").returncode == 0
        trees.append(_tree(d))
    assert trees[0] == trees[1]
    parsed = files.load_migrations(tmp_path / "a")
    assert [m.version for m in parsed] == [1, 2]
    assert all(m.snapshot for m in parsed)


def test_new_after_a_hand_written_migration_without_snapshot(tmp_path: Path) -> None:
    spec = tmp_path / "schema" / "app.toml"
    spec.parent.mkdir()
    spec.write_text(V1)
    d = tmp_path / "migrations"
    assert _new(spec.parent, d, "one").returncode == 0
    hand = d / "0002_hand_written"
    hand.mkdir()
    (hand / "up.sql").write_text('UPDATE "Team" SET name = trim(name);\n')
    files.write_sum(d)
    refused = _new(spec.parent, d, "two")
    assert refused.returncode == 1
    assert "0002_hand_written: has no snapshot.toml" in refused.stderr
    assert [m.name for m in files.load_migrations(d)] == ["0001_one", "0002_hand_written"]
