"""``migrate apply --sql`` / ``migrate down --sql`` print exactly what the runner runs
(checked against the statements the real runner executes, traced), with its
transactions; ``migrate dev NAME`` is new + apply."""

from __future__ import annotations

import re
from pathlib import Path

from pglast.parser import split

from pgwarden.apply import files
from pgwarden.apply.runner import Runner
from pgwarden.apply.shadow import SHADOW_ENV
from tests.cli.helpers import Result, run_main
from tests.migrations.helpers import fetch, history

ROOT = Path(__file__).resolve().parents[2]
BASEFLY = ROOT / "migrations"


def _cli(url: str, *args: str, cwd: Path = ROOT) -> Result:
    return run_main("--database-url", url, "migrate", "--dir", str(BASEFLY), *args, cwd=cwd)


#: a batched backfill printed as its loop (pgwarden.apply.backfill.render_loop): psql
#: variables (:end, :last) for the keys; the runner traces the step's UPDATE instead
_LOOP = re.compile(
    r"^-- batched backfill of .*?^-- then, until a batch's :upto is :end.*?^COMMIT;$", re.M | re.S
)


def _batched(migrations: tuple[files.Migration, ...]) -> set[str]:
    scripts = [s for m in migrations for s in (m.up, m.down) if s is not None]
    return {
        " ".join(files.update_statement(step.statements).split()).rstrip(";")
        for script in scripts
        for step in script.steps
        if step.batched
    }


def _as_run(traced: list[str], script: str, migrations: tuple[files.Migration, ...]) -> list[str]:
    """The traced statements, without the UPDATE of a batched step shown as its loop."""
    if not _LOOP.search(script):
        return traced
    batched = _batched(migrations)
    return [s for s in traced if s not in batched]


def _run_statements(script: str, migrations: tuple[files.Migration, ...]) -> list[str]:
    """The statements of a --sql script that the runner executes as migration SQL:
    no transaction control, no preflight query (those run as checks), no backfill loop."""
    checks = {" ".join(p.query.split()).rstrip(";") for m in migrations for p in _checks(m)}
    out = []
    for stmt in split(_LOOP.sub("", script)):
        text = " ".join(stmt.split())
        if text.upper() in ("BEGIN", "COMMIT", "ROLLBACK") or text in checks:
            continue
        out.append(text)
    return out


def _checks(m: files.Migration) -> list[files.Preflight]:
    return [*m.up.preflights, *(m.down.preflights if m.down else ())]


def _traced(runner_call: str, url: str) -> list[str]:
    seen: list[str] = []
    runner = Runner(url, files.load_migrations(BASEFLY), trace=seen.append)
    getattr(runner, runner_call)()
    return [" ".join(s.split()).rstrip(";") for s in seen]


def test_apply_sql_is_what_apply_runs(database_url: str) -> None:
    migrations = files.load_migrations(BASEFLY)
    shown = _cli(database_url, "apply", "--sql")
    assert shown.code == 0, shown.output
    ran = "SELECT tablename FROM pg_tables WHERE schemaname IN ('public', 'pgwarden')"
    assert fetch(database_url, ran) == []  # --sql ran nothing
    script = shown.out
    traced = _traced("apply", database_url)
    assert _run_statements(script, migrations) == _as_run(traced, script, migrations)
    # 0002's backfill of a table 0001 creates is shown as the loop over the key 0001
    # gives it (what the runner walks), not as the plain UPDATE
    assert len(_LOOP.findall(script)) == sum(
        1 for m in migrations for step in m.up.steps if step.batched
    )
    assert "-- batched backfill of K8sClusterConfig, in key order" in script
    # transactions: a concurrent build is never inside BEGIN ... COMMIT
    depth = 0
    for line in script.splitlines():
        depth += line == "BEGIN;"
        depth -= line in ("COMMIT;", "ROLLBACK;")
        if "CONCURRENTLY" in line and not line.startswith("--"):
            assert depth == 0, line
        assert depth in (0, 1)
    # the deferred preflight (the partial unique over the new deletedAt) sits right
    # before its step; the FK orphan check runs before anything changes, rolled back
    deferred = script.index("-- preflight (deferred to its step; must find 0 violations)")
    step = script.index("CREATE UNIQUE INDEX CONCURRENTLY", deferred)
    assert "-- step" in script[deferred:step] and "COMMIT;" not in script[deferred:step]
    upfront = script.index("orphan rows in Customer")
    assert script.rindex("BEGIN;", 0, upfront) > script.index("-- apply 0002_blueprint")
    assert "ROLLBACK;" in script[upfront : script.index("-- step 1/", upfront)]


def test_down_sql_is_what_down_runs(database_url: str) -> None:
    assert _cli(database_url, "apply").code == 0
    shown = _cli(database_url, "down", "--sql", "--to", "1")
    assert shown.code == 0, shown.output
    assert [r[1] for r in history(database_url)] == [m.name for m in files.load_migrations(BASEFLY)]
    assert re.findall(r"^-- revert (\S+)", shown.out, re.M) == [
        "0006_tombstone_restore",
        "0005_tombstone",
        "0004_fk_indexes",
        "0003_audit",
        "0002_blueprint",
    ]
    migrations = files.load_migrations(BASEFLY)
    seen: list[str] = []
    Runner(database_url, migrations, trace=seen.append).down(1)
    traced = [" ".join(s.split()) for s in seen]
    assert _run_statements(shown.out, migrations) == _as_run(traced, shown.out, migrations)
    # every batched step of the reverted migrations is printed as its loop
    loops = _LOOP.findall(shown.out)
    assert len(loops) == sum(
        1 for m in migrations[1:] if m.down for step in m.down.steps if step.batched
    )
    assert all("OFFSET :size - 1 LIMIT 1" in loop and "at most 10,000" in loop for loop in loops)
    assert _cli(database_url, "apply", "--sql", "--to", "1").out == ""  # nothing pending


def test_dev_writes_and_applies(tmp_path: Path, database_url: str, pg_server: str) -> None:
    spec = tmp_path / "schema" / "app.toml"
    spec.parent.mkdir()
    spec.write_text('[tables.Note.columns]\nid = { type = "integer", primary_key = true }\n')
    env = {SHADOW_ENV: pg_server}

    def dev(name: str) -> Result:
        return run_main(
            "--schema", "schema", "--database-url", database_url, "migrate", "--dir",
            "migrations", "dev", name, cwd=tmp_path, env=env,
        )  # fmt: skip

    first = dev("init")
    assert first.code == 0, first.output
    assert "wrote migrations/0001_init" in first.out and "applied 0001_init" in first.out
    spec.write_text(spec.read_text() + 'body = { type = "text", nullable = true }\n')
    second = dev("body")
    assert second.code == 0, second.output
    assert [h[1:] for h in history(database_url)] == [
        ("0001_init", "applied"),
        ("0002_body", "applied"),
    ]
    again = dev("nothing")
    assert again.code == 0 and "no changes" in again.out and "nothing to apply" in again.out
    verified = run_main(
        "--schema", "schema", "--database-url", database_url, "migrate", "verify", cwd=tmp_path
    )
    assert verified.code == 0, verified.output
