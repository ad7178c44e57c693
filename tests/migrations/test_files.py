"""The migration directory format: markers, hand-written scripts, pgwarden.sum."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden import textfile
from pgwarden.apply import files
from pgwarden.apply.files import FileStep, Preflight, format_script, parse_script
from pgwarden.errors import PgwardenError, RefusedError
from tests.migrations.helpers import write_migration

STEPS = (
    FileStep('ALTER TABLE "t" ADD COLUMN "c" integer;', True, "add column t.c"),
    FileStep('UPDATE "t" SET "c" = 1 WHERE "x" = \'%a;b\';', True, "backfill t.c"),
    FileStep(
        'SET lock_timeout = \'2s\';\nCREATE INDEX CONCURRENTLY "t_c_idx" ON "t" ("c");',
        False,
        "create index t_c_idx",
    ),
    FileStep(
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN NEW.x := now(); RETURN NEW; END;\n$$;",
        True,
        'a "quoted" description',
    ),
)


def test_script_round_trip_keeps_steps_atomicity_and_preflights() -> None:
    check = Preflight(
        "t", "rows without a parent", 'SELECT "id" FROM "t" WHERE "p" IS NULL', "DELETE ...;", 2
    )
    text = format_script(STEPS, [check], header="migration 0001_x (up)")
    parsed = parse_script(text, "up.sql")
    assert [(s.atomic, s.description) for s in parsed.steps] == [
        (s.atomic, s.description) for s in STEPS
    ]
    assert [s.statements for s in parsed.steps] == [s.statements for s in STEPS]
    assert parsed.steps[2].statements[-1].startswith("CREATE INDEX CONCURRENTLY")
    assert parsed.preflights == (check,)
    assert format_script(parsed.steps, parsed.preflights, header="migration 0001_x (up)") == text


def test_literals_keep_characters_python_reads_as_line_breaks(tmp_path: Path) -> None:
    # str.splitlines() breaks at U+0085, U+2028, \x1c-\x1e, \v and \f, and reading
    # a file in text mode turns \r into \n: a comment '\x85' and an enum value '\r'
    # came back from the file as '\n' (found by the history property)
    odd = "\r\x85\u2028\x1c\x1d\x1e\x0b\x0c"
    step = FileStep(f"COMMENT ON TABLE \"t\" IS 'a{odd}b';", True, "comment")
    check = Preflight("t", "rows", 'SELECT "id" FROM "t"', f"UPDATE t SET c = '{odd}';", 0)
    path = tmp_path / "up.sql"
    path.write_bytes(format_script([step], [check], header=f"migration{odd}").encode())
    parsed = parse_script(textfile.read_script(path), "up.sql")
    assert parsed.steps[0].statements == (f"COMMENT ON TABLE \"t\" IS 'a{odd}b'",)
    # a fix is a commented suggestion, and SQL ends a comment at \r: that one is a line end
    assert parsed.preflights[0].fix == check.fix.replace("\r", "\n")


def test_hand_written_script_without_markers() -> None:
    text = """
-- my hand-written migration
CREATE TABLE "a" (id int PRIMARY KEY);
INSERT INTO "a" VALUES (1); -- a comment
CREATE INDEX CONCURRENTLY "a_id_idx" ON "a" (id);
DROP INDEX CONCURRENTLY "a_id_idx";
"""
    parsed = parse_script(text, "up.sql")
    assert [s.atomic for s in parsed.steps] == [True, True, False, False]
    assert parsed.steps[1].statements == ('INSERT INTO "a" VALUES (1)',)


def test_bad_scripts_are_refused_with_file_and_line() -> None:
    with pytest.raises(PgwardenError, match=r"up.sql:2: SQL does not parse"):
        parse_script("-- pgwarden:step atomic=true\nSELEC 1;\n", "up.sql")
    with pytest.raises(PgwardenError, match=r"up.sql:1: step marked atomic=true"):
        parse_script(
            "-- pgwarden:step atomic=true\nCREATE INDEX CONCURRENTLY i ON t (x);", "up.sql"
        )
    with pytest.raises(PgwardenError, match=r"up.sql:1: a step marked atomic=false holds"):
        parse_script("-- pgwarden:step atomic=false\nSELECT 1; SELECT 2;", "up.sql")


def test_sum_refuses_edit_delete_unlisted_and_merge(tmp_path: Path) -> None:
    d = tmp_path / "migrations"
    write_migration(d, "0001_one", "CREATE TABLE a (id int);", "DROP TABLE a;")
    write_migration(d, "0002_two", "CREATE TABLE b (id int);")
    assert [m.name for m in files.load_migrations(d)] == ["0001_one", "0002_two"]

    up = d / "0001_one" / "up.sql"
    up.write_text("CREATE TABLE a (id bigint);")
    with pytest.raises(RefusedError, match=r"0001_one/up.sql: edited after it was written"):
        files.load_migrations(d)
    up.write_text("CREATE TABLE a (id int);")
    files.load_migrations(d)

    (d / "0001_one" / "down.sql").unlink()
    with pytest.raises(RefusedError, match=r"0001_one/down.sql: deleted"):
        files.load_migrations(d)
    (d / "0001_one" / "down.sql").write_text("DROP TABLE a;")

    (d / "0002_two" / "down.sql").write_text("DROP TABLE b;")
    with pytest.raises(RefusedError, match=r"0002_two/down.sql: not listed"):
        files.load_migrations(d)
    (d / "0002_two" / "down.sql").unlink()

    # a merge: two branches each added a 0003, and the sum lists both
    (d / "0003_left").mkdir()
    (d / "0003_left" / "up.sql").write_text("SELECT 1;")
    (d / "0003_right").mkdir()
    (d / "0003_right" / "up.sql").write_text("SELECT 2;")
    files.write_sum(d)
    with pytest.raises(RefusedError, match=r"0003_left.*0003_right") as err:
        files.load_migrations(d)
    assert "share one number" in str(err.value)


def test_missing_sum_file_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "m"
    write_migration(d, "0001_one", "SELECT 1;")
    (d / files.SUM_FILE).unlink()
    with pytest.raises(RefusedError, match=r"pgwarden\.sum is missing"):
        files.load_migrations(d)


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
_STATEMENTS = st.sampled_from(
    [
        'ALTER TABLE "t" ADD COLUMN "c" integer',
        'UPDATE "t" SET "c" = 1 WHERE "x" = \'100%; -- not a comment\'',
        'CREATE TABLE "weird "" name" ("id" int)',
        "SET lock_timeout = '5s'",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
    ]
)


_FIXES = [
    "DELETE FROM t;",
    "-- keeps one row; review first\nDELETE FROM t a USING t b WHERE a.ctid > b.ctid;",
    'UPDATE "t" SET "c" = <value> WHERE "c" IS NULL;',
]


@given(
    steps=st.lists(
        st.tuples(st.lists(_STATEMENTS, min_size=1, max_size=3), st.booleans(), _TEXT),
        min_size=1,
        max_size=6,
    ),
    checks=st.lists(
        st.tuples(st.integers(0, 5), _TEXT, _TEXT, st.booleans(), st.sampled_from(_FIXES)),
        max_size=3,
    ),
)
@settings(max_examples=60)
def test_format_then_parse_is_the_identity(
    steps: list[tuple[list[str], bool, str]], checks: list[tuple[int, str, str, bool, str]]
) -> None:
    file_steps = []
    for statements, atomic, description in steps:
        if not atomic:  # one statement per non-transactional step
            statements = ['CREATE INDEX CONCURRENTLY "i" ON "t" ("c")']
        file_steps.append(FileStep(";\n".join(statements) + ";", atomic, description))
    preflights = [
        Preflight(
            table,
            description,
            'SELECT "id" FROM "t"',
            fix,
            min(at, len(steps) - 1),
            deferred=deferred,
        )
        for at, table, description, deferred, fix in checks
    ]
    preflights.sort(key=lambda p: p.before_step)
    text = format_script(file_steps, preflights)
    parsed = parse_script(text, "up.sql")
    assert [(s.atomic, s.statements) for s in parsed.steps] == [
        (s.atomic, s.statements) for s in file_steps
    ]
    assert [s.description for s in parsed.steps] == [
        " ".join(s.description.split()) or parsed.steps[i].description
        for i, s in enumerate(file_steps)
    ]
    assert [
        (p.before_step, p.table, p.description, p.deferred, p.fix) for p in parsed.preflights
    ] == [(p.before_step, p.table, p.description, p.deferred, p.fix) for p in preflights]
    # the fix is commented out: the file parses as SQL whatever placeholder it holds
    assert all(f"\n{line}" not in text for p in preflights for line in p.fix.splitlines())


def test_hidden_files_are_not_migration_files(tmp_path: Path) -> None:
    d = tmp_path / "m"
    write_migration(d, "0001_one", "SELECT 1;")
    (d / "0001_one" / ".DS_Store").write_bytes(b"\0junk")
    (d / "0001_one" / ".up.sql.swp").write_bytes(b"\0swap")
    assert [m.name for m in files.load_migrations(d)] == ["0001_one"]
    (d / "0001_one" / "notes.txt").write_text("hi")
    with pytest.raises(RefusedError, match=r"0001_one/notes\.txt"):
        files.load_migrations(d)
