"""What Postgres refuses at CREATE time, found by ``validate`` without a server
(issue 19 item 2): ok/err pairs whose message names file:line, the dotted path and
the fix -- and the same pairs run on the server, so each verdict is Postgres's."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from pgwarden.errors import SpecError
from pgwarden.spec.load import load_schema_text
from tests.migrations.helpers import PGWARDEN

FILE = "schema/app.toml"

TABLE = """[enums.Plan]
values = ["FREE", "PRO"]

[tables.T.columns]
id = { type = "integer", primary_key = true }
n = { type = "integer" }
g = { type = "text" }
j = { type = "json" }
p = { type = "point" }
plan = { type = "Plan" }
tags = { type = "text[]" }
"""
# the same table as SQL: each case's DDL runs after it on the server
SERVER_TABLE = (
    "CREATE TYPE \"Plan\" AS ENUM ('FREE', 'PRO');"
    'CREATE TABLE "T" (id integer PRIMARY KEY, n integer, g text, j json, p point, '
    'plan "Plan", tags text[]);'
)


@dataclass(frozen=True)
class Case:
    spec: str
    """TOML added after TABLE (a column line, or a section)."""
    ddl: str
    """The same object as SQL, run after SERVER_TABLE."""
    words: str | None = None
    """None: valid. Else words of the message."""
    path: str = ""
    hint: str = ""


def col(line: str) -> str:
    return f"x = {{ {line} }}\n"


def index(body: str) -> str:
    return f"[[tables.T.indexes]]\n{body}\n"


CASES = {
    # DEFAULT: no columns, subqueries, aggregates, windows, set-returning functions
    "default column ref": Case(
        col('type = "integer", default_sql = "n + 1"'),
        'ALTER TABLE "T" ADD COLUMN x integer DEFAULT n + 1',
        "a default cannot read columns ('n')",
        "tables.T.columns.x.default",
        'use generated = "..."',
    ),
    "default constant expression": Case(
        col('type = "integer", default_sql = "1 + 2 * 3"'),
        'ALTER TABLE "T" ADD COLUMN x integer DEFAULT 1 + 2 * 3',
    ),
    "default subquery": Case(
        col('type = "integer", default_sql = "(SELECT 1)"'),
        'ALTER TABLE "T" ADD COLUMN x integer DEFAULT (SELECT 1)',
        "a default cannot contain a subquery",
        "tables.T.columns.x.default",
        "trigger",
    ),
    "default aggregate": Case(
        col('type = "bigint", default_sql = "count(*)"'),
        'ALTER TABLE "T" ADD COLUMN x bigint DEFAULT count(*)',
        "cannot call aggregate function count()",
        "tables.T.columns.x.default",
        "in a query or a view",
    ),
    "default aggregate max": Case(
        col('type = "integer", default_sql = "max(1)"'),
        'ALTER TABLE "T" ADD COLUMN x integer DEFAULT max(1)',
        "cannot call aggregate function max()",
        "tables.T.columns.x.default",
    ),
    "default greatest (not an aggregate)": Case(
        col('type = "integer", default_sql = "greatest(1, 2)"'),
        'ALTER TABLE "T" ADD COLUMN x integer DEFAULT greatest(1, 2)',
    ),
    "default window": Case(
        col('type = "bigint", default_sql = "row_number() OVER ()"'),
        'ALTER TABLE "T" ADD COLUMN x bigint DEFAULT row_number() OVER ()',
        "cannot call window function row_number() OVER (...)",
        "tables.T.columns.x.default",
    ),
    "default window function without over": Case(
        col('type = "bigint", default_sql = "lag(1)"'),
        'ALTER TABLE "T" ADD COLUMN x bigint DEFAULT lag(1)',
        "lag() is a window function: it needs OVER",
        "tables.T.columns.x.default",
    ),
    "default set-returning": Case(
        col('type = "integer", default_sql = "generate_series(1, 3)"'),
        'ALTER TABLE "T" ADD COLUMN x integer DEFAULT generate_series(1, 3)',
        "cannot call set-returning function generate_series()",
        "tables.T.columns.x.default",
        "array",
    ),
    "default volatile is fine": Case(
        col('type = "timestamptz", default_sql = "clock_timestamp()"'),
        'ALTER TABLE "T" ADD COLUMN x timestamptz DEFAULT clock_timestamp()',
    ),
    # generated: immutable calls only, no aggregates...
    "generated now()": Case(
        col('type = "timestamptz", generated = "now()"'),
        'ALTER TABLE "T" ADD COLUMN x timestamptz GENERATED ALWAYS AS (now()) STORED',
        "a generated column may call only immutable functions; now() is not",
        "tables.T.columns.x.generated",
        "a plain column with a default",
    ),
    "generated random()": Case(
        col('type = "double precision", generated = "random() * n"'),
        'ALTER TABLE "T" ADD COLUMN x double precision GENERATED ALWAYS AS (random() * n) STORED',
        "random() is not",
        "tables.T.columns.x.generated",
    ),
    "generated CURRENT_DATE": Case(
        col('type = "date", generated = "CURRENT_DATE"'),
        'ALTER TABLE "T" ADD COLUMN x date GENERATED ALWAYS AS (CURRENT_DATE) STORED',
        "CURRENT_DATE is not",
        "tables.T.columns.x.generated",
    ),
    "generated concat": Case(
        col('type = "text", generated = "concat(g, \'!\')"'),
        "ALTER TABLE \"T\" ADD COLUMN x text GENERATED ALWAYS AS (concat(g, '!')) STORED",
        "concat() is not",
        "tables.T.columns.x.generated",
        "join text with ||",
    ),
    "generated ||": Case(
        col('type = "text", generated = "g || \'!\'"'),
        "ALTER TABLE \"T\" ADD COLUMN x text GENERATED ALWAYS AS (g || '!') STORED",
    ),
    "generated subquery": Case(
        col('type = "integer", generated = "(SELECT 1)"'),
        'ALTER TABLE "T" ADD COLUMN x integer GENERATED ALWAYS AS ((SELECT 1)) STORED',
        "a generated column cannot contain a subquery",
        "tables.T.columns.x.generated",
    ),
    "generated aggregate": Case(
        col('type = "bigint", generated = "sum(n)"'),
        'ALTER TABLE "T" ADD COLUMN x bigint GENERATED ALWAYS AS (sum(n)) STORED',
        "cannot call aggregate function sum()",
        "tables.T.columns.x.generated",
    ),
    # checks: volatile calls are allowed, aggregates and subqueries are not
    "check aggregate": Case(
        '[[tables.T.checks]]\nname = "c"\nexpression = "avg(n) > 0"\n',
        'ALTER TABLE "T" ADD CONSTRAINT c CHECK (avg(n) > 0)',
        "a check constraint cannot call aggregate function avg()",
        "tables.T.checks[0].expression",
    ),
    "check subquery": Case(
        '[[tables.T.checks]]\nname = "c"\nexpression = "n > (SELECT 0)"\n',
        'ALTER TABLE "T" ADD CONSTRAINT c CHECK (n > (SELECT 0))',
        "a check constraint cannot contain a subquery",
        "tables.T.checks[0].expression",
    ),
    "check volatile is fine": Case(
        '[[tables.T.checks]]\nname = "c"\nexpression = "n < 10 OR random() < 2"\n',
        'ALTER TABLE "T" ADD CONSTRAINT c CHECK (n < 10 OR random() < 2)',
    ),
    # indexes: immutable expressions, default operator classes
    "index on now()": Case(
        index('name = "i"\ncolumns = [{ expression = "n + extract(epoch from now())" }]'),
        'CREATE INDEX i ON "T" ((n + extract(epoch from now())))',
        "an index may call only immutable functions; now() is not",
        "tables.T.indexes[0]",
    ),
    "partial index on now()": Case(
        index('name = "i"\ncolumns = ["n"]\nwhere = "n > extract(epoch from now())"'),
        'CREATE INDEX i ON "T" (n) WHERE n > extract(epoch from now())',
        "now() is not",
        "tables.T.indexes[0].where",
    ),
    "gist on text": Case(
        index('name = "i"\ncolumns = ["g"]\nmethod = "gist"'),
        'CREATE INDEX i ON "T" USING gist (g)',
        "column 'g' of type text has no default operator class for index method gist",
        "tables.T.indexes[0]",
        "declare btree_gist = {} under [extensions]",
    ),
    "gist on point": Case(
        index('name = "i"\ncolumns = ["p"]\nmethod = "gist"'),
        'CREATE INDEX i ON "T" USING gist (p)',
    ),
    "btree on point": Case(
        index('name = "i"\ncolumns = ["p"]'),
        'CREATE INDEX i ON "T" (p)',
        "column 'p' of type point has no default operator class for index method btree",
        "tables.T.indexes[0]",
        "use one of the methods gist, spgist",
    ),
    "gin on text": Case(
        index('name = "i"\ncolumns = ["g"]\nmethod = "gin"'),
        'CREATE INDEX i ON "T" USING gin (g)',
        "no default operator class for index method gin",
        "tables.T.indexes[0]",
        "gin_trgm_ops",
    ),
    "gin on text[]": Case(
        index('name = "i"\ncolumns = ["tags"]\nmethod = "gin"'),
        'CREATE INDEX i ON "T" USING gin (tags)',
    ),
    "btree on json": Case(
        index('name = "i"\ncolumns = ["j"]'),
        'CREATE INDEX i ON "T" (j)',
        "column 'j' of type json has no default operator class for index method btree",
        "tables.T.indexes[0]",
        "jsonb",
    ),
    "hash on an enum": Case(
        index('name = "i"\ncolumns = ["plan"]\nmethod = "hash"'),
        'CREATE INDEX i ON "T" USING hash (plan)',
    ),
    "brin on an enum": Case(
        index('name = "i"\ncolumns = ["plan"]\nmethod = "brin"'),
        'CREATE INDEX i ON "T" USING brin (plan)',
        "column 'plan' of type Plan has no default operator class for index method brin",
        "tables.T.indexes[0]",
    ),
    "unique on json": Case(
        col('type = "json", unique = true'),
        'ALTER TABLE "T" ADD COLUMN x json UNIQUE',
        "unique constraint: column 'x' of type json has no default operator class",
        "tables.T",
    ),
    # policies: subqueries are allowed, aggregates are not
    "policy subquery is fine": Case(
        '[[tables.T.policies]]\nname = "p"\nusing = "n IN (SELECT 1)"\n',
        'CREATE POLICY p ON "T" USING (n IN (SELECT 1))',
    ),
    "policy aggregate": Case(
        '[[tables.T.policies]]\nname = "p"\nusing = "count(*) > 0"\n',
        'CREATE POLICY p ON "T" USING (count(*) > 0)',
        "a policy cannot call aggregate function count()",
        "tables.T.policies[0].using",
    ),
}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("name", sorted(CASES))
def test_static_verdict_with_file_line_path_and_fix(name: str) -> None:
    case = CASES[name]
    text = TABLE + case.spec
    if case.words is None:
        load_schema_text(text, FILE)
        return
    with pytest.raises(SpecError) as err:
        load_schema_text(text, FILE)
    found = [p for p in err.value.problems if case.words in p.message]
    assert len(found) == 1, (name, [str(p) for p in err.value.problems])
    problem = found[0]
    assert problem.file == FILE and problem.path.startswith(case.path), str(problem)
    assert problem.line is not None and problem.line > _line_of(TABLE, "tags"), str(problem)
    assert problem.hint and case.hint in problem.hint, str(problem)


def test_the_server_agrees(database_url: str) -> None:
    """The static rules are Postgres's own: every err case fails there, every ok case runs."""
    wrong = []
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        conn.execute(SERVER_TABLE)
        for name, case in sorted(CASES.items()):
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(case.ddl)
                refused = None
            except psycopg.Error as exc:
                refused = str(exc)
            if (refused is not None) != (case.words is not None):
                wrong.append((name, refused))
    assert not wrong


def test_an_own_function_is_not_mistaken_for_a_catalog_one() -> None:
    """Qualified calls are the user's: the rules judge only pg_catalog's names."""
    load_schema_text(TABLE + col('type = "bigint", default_sql = "app.count(1)"'), FILE)


def test_btree_gist_declared_gives_gist_a_class_for_text() -> None:
    spec = "[extensions]\nbtree_gist = {}\n\n" + TABLE
    spec += index('name = "i"\ncolumns = ["g"]\nmethod = "gist"')
    load_schema_text(spec, FILE)


def test_all_problems_at_once_on_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "app.toml"
    errs = [c for c in CASES.values() if c.words is not None and c.spec.startswith("x =")]
    body = TABLE + "".join(c.spec.replace("x =", f"x{i} =", 1) for i, c in enumerate(errs))
    spec.write_text(body)
    proc = subprocess.run(
        [*PGWARDEN, "--schema", str(spec), "validate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for i, case in enumerate(errs):
        assert f"{spec}:{_line_of(body, f'x{i} =')}: tables.T.columns.x{i}." in proc.stderr
        assert case.words is not None and case.words.replace("'x'", f"'x{i}'") in proc.stderr
    assert proc.stderr.count("  fix: ") >= len(errs)
