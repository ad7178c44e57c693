"""Nothing is ignored silently: `migrate verify` reports a view, function or
trigger made by hand, and a changed function body, as drift (exit 1); what the
model does not govern (another schema, an aggregate, an extension's objects) is
listed by `verify` and `inspect` as unmanaged, and `[schema] ignore` acknowledges
both; a trigger naming a missing function is a clear error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from pgwarden.spec.load import load_schema_text
from tests.cli.helpers import run_main
from tests.introspect.ddl import apply_ddl, pipeline_render
from tests.spec.test_triggers import SPEC


def _project(tmp_path: Path, database_url: str, extra: str = "") -> Path:
    assert run_main("init", cwd=tmp_path).code == 0
    (tmp_path / "schema" / "app.toml").write_text(SPEC + extra)
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_ddl(conn, load_schema_text(SPEC), pipeline_render)
    return tmp_path


def _verify(root: Path, url: str) -> tuple[int, str, str]:
    r = run_main("migrate", "verify", "-u", url, cwd=root)
    return r.code, r.out, r.err


def test_objects_made_by_hand_are_drift(tmp_path: Path, database_url: str) -> None:
    root = _project(tmp_path, database_url)
    assert _verify(root, database_url)[0] == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('CREATE VIEW "Sneaky" AS SELECT id FROM "Account"')
        conn.execute("CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        conn.execute(
            'CREATE TRIGGER "sneaky_t" AFTER DELETE ON "Account" '
            'FOR EACH ROW EXECUTE FUNCTION "count_changes"()'
        )
        conn.execute(
            "CREATE OR REPLACE FUNCTION count_changes() RETURNS trigger LANGUAGE plpgsql "
            "AS $$BEGIN RETURN NEW; END$$"
        )
    code, _, err = _verify(root, database_url)
    assert code == 1
    assert "view Sneaky: only in the database" in err
    assert "function sneaky: only in the database" in err
    assert "table Account.trigger sneaky_t: only in the database" in err
    assert "function count_changes: body: spec" in err
    assert "Traceback" not in err
    # acknowledged objects are not drift; a changed body still is
    spec = root / "schema" / "app.toml"
    spec.write_text(
        '[schema]\nignore = ["view Sneaky", "function sneak*", "table Account.trigger sneaky_*"]\n'
        + SPEC
    )
    code, _, err = _verify(root, database_url)
    assert code == 1
    assert "only in the database" not in err
    assert "function count_changes: body" in err


def test_what_the_model_does_not_govern_is_listed(tmp_path: Path, database_url: str) -> None:
    root = _project(tmp_path, database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA analytics; CREATE TABLE analytics.hits (n int)")
        conn.execute("CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0')")
    code, _, err = _verify(root, database_url)
    assert code == 0, err
    assert "not governed by" in err
    assert "schema analytics: 1 relations, 0 functions" in err
    assert "function total(integer): an aggregate" in err
    as_json = run_main("migrate", "verify", "--json", "-u", database_url, cwd=root)
    report = json.loads(as_json.out)
    assert report["drift"] is False
    assert "schema analytics: 1 relations, 0 functions" in report["unmanaged"]
    # inspect lists them as comments above a spec that still loads
    inspected = run_main("inspect", "-u", database_url, cwd=root)
    assert inspected.code == 0, inspected.output
    assert inspected.out.startswith("# Not governed by this spec")
    assert "#   function total(integer): an aggregate\n" in inspected.out
    assert load_schema_text(inspected.out).tables[0].name == "Account"
    # acknowledged: no longer listed
    spec = root / "schema" / "app.toml"
    spec.write_text('[schema]\nignore = ["schema analytics", "function total(*)"]\n' + SPEC)
    code, _, err = _verify(root, database_url)
    assert code == 0 and "not governed" not in err, err


def test_a_trigger_naming_a_missing_function_exits_2(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(
        SPEC.replace('function = "count_changes"', 'function = "nope"', 1)
    )
    result = run_main("--schema", str(tmp_path), "validate", cwd=tmp_path)
    assert result.code == 2
    assert (
        f"{tmp_path / 'app.toml'}:26: tables.Account.triggers[2].function: trigger "
        "'account_changes' on 'Account' calls function 'nope', which the spec does not define"
    ) in result.err
    assert 'fix: add [functions.nope] with returns = "trigger"' in result.err
    assert "Traceback" not in result.output


def test_pgwarden_history_is_not_listed_as_unmanaged(tmp_path: Path, database_url: str) -> None:
    """After `migrate apply` the database holds the ``pgwarden`` history schema: it is
    the runner's own, so a clean `verify` lists nothing as ungoverned."""
    root = _project(tmp_path, database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS pgwarden")
        conn.execute("CREATE TABLE IF NOT EXISTS pgwarden.probe_history (id int)")
        conn.execute("CREATE SCHEMA IF NOT EXISTS someone_else")
    code, _, err = _verify(root, database_url)
    assert code == 0, err
    assert "schema pgwarden:" not in err
    assert "schema someone_else:" in err  # another schema is still listed
