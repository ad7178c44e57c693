"""Target lists and [tool.pgwarden.fleet]: what resolves, and what is refused with file:line."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgwarden.apply.fleet.config import load_fleet_config
from pgwarden.apply.fleet.targets import (
    TargetError,
    from_file,
    from_list,
    from_query,
    tenant_history,
)
from pgwarden.spec.names import MAX_IDENTIFIER_BYTES


def test_file_with_comments_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEET_EU", "postgresql://app:pw-eu@eu.example/app")
    listed = tmp_path / "fleet.txt"
    listed.write_text(
        "# production\n\npostgresql://app:pw-us@us.example/app   # US\n  env:FLEET_EU\n"
        "host=asia.example dbname=app\n",
        encoding="utf-8",
    )
    targets = from_file(listed)
    assert [t.label for t in targets] == [
        "postgresql://app:***@us.example/app",
        "env:FLEET_EU",
        "host=asia.example dbname=app",
    ]
    assert targets[1].url == "postgresql://app:pw-eu@eu.example/app"
    assert "pw-us" not in repr(targets)  # the URL never reaches a repr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("env:FLEET_UNSET_VAR\n", "fleet.txt:1: environment variable FLEET_UNSET_VAR is not set"),
        ("# only a comment\n", "fleet.txt: lists no target"),
        (
            "postgresql://a@h/db\n\npostgresql://a@h/db\n",
            "fleet.txt:3: postgresql://a@h/db is listed twice (first at",
        ),
        ("not a url at all\n", "fleet.txt:1: not a url at all is not a PostgreSQL URL"),
        ("env:\n", "fleet.txt:1: `env:` names no variable"),
    ],
)
def test_file_errors(tmp_path: Path, text: str, message: str) -> None:
    listed = tmp_path / "fleet.txt"
    listed.write_text(text, encoding="utf-8")
    with pytest.raises(TargetError) as caught:
        from_file(listed)
    assert message in str(caught.value)
    assert "fix:" in str(caught.value) or "lists no target" in str(caught.value)


def test_same_database_spelled_twice(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="listed twice"):
        from_list(["postgresql://a@h:5432/db", "host=h port=5432 dbname=db user=a"], "cfg")


def test_tenant_history_fits_63_bytes() -> None:
    assert tenant_history("tenant_1") == "pgwarden_tenant_1"
    long = tenant_history("t" * 63)
    assert len(long.encode()) <= MAX_IDENTIFIER_BYTES
    assert long != tenant_history("t" * 62 + "u")


def _pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.pgwarden.fleet]\n" + body, encoding="utf-8")
    return path


def test_config_ok(tmp_path: Path) -> None:
    config = load_fleet_config(_pyproject(tmp_path, 'schemas = "tenant_%"\nparallel = 16\n'))
    assert config is not None and config.schemas == "tenant_%" and config.parallel == 16
    assert load_fleet_config(tmp_path / "missing.toml") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('target = ["x"]\n', "unknown key 'target' (did you mean targets?)"),
        ('targets = ["x"]\nschemas = "t_%"\n', "set exactly one of targets / query / schemas"),
        ("parallel = 0\nschemas = 't'\n", "parallel must be >= 1"),
        ("canary = true\nschemas = 't'\n", "canary must be an integer"),
        ("targets = [1]\n", "targets must be a list of URL or env:VAR strings"),
        ("control = 'x'\nschemas = 't'\n", "control is only used with query"),
    ],
)
def test_config_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(TargetError) as caught:
        load_fleet_config(_pyproject(tmp_path, body))
    assert message in str(caught.value)
    assert "[tool.pgwarden.fleet]" in str(caught.value)


def test_query_on_a_control_database(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE tenants (url text, active boolean)")
        conn.execute(
            "INSERT INTO tenants VALUES ('postgresql://a@h1/t1', true),"
            " ('postgresql://a@h2/t2', false)"
        )
    targets = from_query(database_url, "SELECT url FROM tenants WHERE active", "cfg: query")
    assert [t.label for t in targets] == ["postgresql://a@h1/t1"]
    with pytest.raises(TargetError, match="the target query failed"):
        from_query(database_url, "SELECT url FROM nope", "cfg: query")
    with pytest.raises(TargetError, match="row 1: the first column is not a URL"):
        from_query(database_url, "SELECT 42", "cfg: query")


def test_unreadable_target_files(tmp_path: Path) -> None:
    from pgwarden.textfile import UnreadableFile

    listed = tmp_path / "fleet.txt"
    listed.write_bytes(b"postgresql://a@h/db\n\x00\n")
    with pytest.raises(UnreadableFile, match=r"fleet\.txt:2"):
        from_file(listed)
    with pytest.raises(UnreadableFile):
        from_file(tmp_path / "missing.txt")
