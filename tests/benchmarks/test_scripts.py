"""Every benchmark script at a small size: it runs against the real server and
writes a well-formed results section. Timings are never asserted; counts and
structure are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import accessors, fleet, introspection, lint, planning, stall, synth
from benchmarks.common import (
    _find_log,
    markdown_table,
    read_section,
    write_section,
)
from pgwarden.render.sql import render_schema

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_TIME = re.compile(r"^\d+(\.\d+)? (µs|ms|s)$")


def tables(section: str) -> list[tuple[list[str], list[list[str]]]]:
    """The markdown tables of a section, each checked to be rectangular."""
    out: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            cells = [[c.strip() for c in r.strip().strip("|").split(" | ")] for r in block]
            header, sep, rows = cells[0], block[1], cells[2:]
            assert re.fullmatch(r"\|(---\|)+", sep), sep
            for r in rows:
                assert len(r) == len(header), (header, r)
            assert rows, f"table {header} has no rows"
            out.append((header, rows))
            block = []
    return out


def section(doc: Path, key: str) -> str:
    text = read_section(doc, key)
    assert text is not None, f"no {key} section in {doc}"
    assert "Machine: CPU " in text and "Python " in text
    return text


def test_write_section_replaces_only_its_own_block(tmp_path: Path) -> None:
    doc = tmp_path / "b.md"
    doc.write_text("# Benchmarks\n\nhand-written analysis\n")
    write_section(doc, "a", "first\n")
    write_section(doc, "b", "other\n")
    write_section(doc, "a", "second\n")
    text = doc.read_text()
    assert "hand-written analysis" in text and "other" in text
    assert "second" in text and "first" not in text
    assert read_section(doc, "a") == "\nsecond\n"
    assert text.index("bench:a:start") < text.index("bench:b:start")


def test_markdown_table_rejects_ragged_rows() -> None:
    assert markdown_table(["x", "y"], [["1", "2"]]).count("\n") == 2
    with pytest.raises(ValueError):
        markdown_table(["x", "y"], [["1"]])


def test_statement_counter_counts_what_the_server_ran(pg_server: str) -> None:
    import psycopg

    from benchmarks.common import StatementCounter

    log = _find_log(pg_server)
    if log is None:
        pytest.skip("the server's log is not readable here")
    with (
        psycopg.connect(pg_server, autocommit=True, options="-c log_statement=all") as conn,
        psycopg.connect(pg_server, autocommit=True, options="-c log_statement=all") as other,
    ):
        counter = StatementCounter(log)
        conn.execute("SELECT 1")
        conn.execute("SELECT %s::int", (2,))  # extended protocol: one 'execute' line
        conn.execute("SELECT\n  3")  # one statement over two lines
        with conn.transaction():  # BEGIN, the statement, COMMIT
            conn.execute("SELECT 4")
        other.execute("SELECT 5")  # another backend: not counted for conn
        assert counter.count({conn.info.backend_pid}) == 6
        assert counter.count({other.info.backend_pid}) == 1


def test_synthetic_schema_shape_and_mutation() -> None:
    a = synth.synthetic_schema(30)
    assert len(a.tables) == 30 and len(a.enums) == 3
    assert all(len(t.columns) == 10 for t in a.tables)
    assert sum(len(t.foreign_keys) for t in a.tables) == 2 * 29
    assert all(any(i.where for i in t.indexes) for t in a.tables)
    assert all(any(e.expression for i in t.indexes for e in i.elements) for t in a.tables)
    b = synth.mutate(a, 0.1)
    assert synth.changed_tables(a, b) == 3
    assert synth.synthetic_schema(30) == a  # deterministic


def test_synthetic_schema_round_trips_as_spec_toml() -> None:
    from pgwarden.spec.dump import dump_schema
    from pgwarden.spec.load import load_schema_text

    a = synth.synthetic_schema(20)
    for s in (a, synth.mutate(a)):
        assert load_schema_text(dump_schema(s)) == s


def test_synthetic_schema_creates_on_the_server(database_url: str) -> None:
    import psycopg

    from pgwarden.introspect import inspect_schema

    schema = synth.synthetic_schema(12)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render_schema(schema))
        got = inspect_schema(conn)
    assert [t.name for t in got.tables] == [t.name for t in schema.tables]
    assert sum(len(t.foreign_keys) for t in got.tables) == 22


def test_introspection(pg_server: str, tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    args = ["--tables", "5", "15", "--repeat", "1", "--peers-up-to", "5"]
    assert introspection.main([*args, "--database-url", pg_server, "--doc", str(doc)]) == 0
    text = section(doc, "introspection")
    (header, rows), (_, verdicts), (_, scaling) = tables(text)
    assert header[:6] == [
        "tables",
        "tool",
        "median wall time",
        "client CPU",
        "peak Python memory",
        "statements (server log)",
    ]
    # the peers up to --peers-up-to, pgwarden at every size
    assert [(r[0], r[1]) for r in rows] == [
        *(("5", introspection.LABELS[t]) for t in introspection.TOOLS),
        ("15", introspection.LABELS["pgwarden"]),
    ]
    ours = {r[0]: r for r in rows if r[1] == introspection.LABELS["pgwarden"]}
    for n, r in ours.items():
        assert _TIME.match(r[2]) and _TIME.match(r[3]) and r[4].endswith(" MiB"), r
        assert r[8] == f"{n} tables"
    for r in rows:
        if r[2] == "n/a":  # a peer that is not installed says how to install it
            assert "pip install" in r[8], r
        elif r[1] != introspection.LABELS["alembic"]:
            assert r[8] == f"{r[0]} tables", r  # every peer read every table
        else:
            assert r[8] == "0 differences", r  # the model equals the database
    if _find_log(pg_server) is not None:
        # counted at the server: pgwarden's query count does not grow with the tables
        assert ours["5"][5].isdigit() and ours["5"][5] == ours["15"][5]
        assert all(r[5].isdigit() for r in rows)
    assert verdicts and all(v[3].startswith(("met", "missed")) for v in verdicts)
    assert [r[0] for r in scaling] == ["5", "15"] and scaling[0][3] == "1.00"
    png = doc.with_name("bench-introspection.png")  # the curves, linked from the section
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({png.name})" in text


def test_planning(tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    assert planning.main(["--tables", "10", "30", "--repeat", "1", "--doc", str(doc)]) == 0
    text = section(doc, "planning")
    (_, rows), (_, e2e), (_, scaling), (_, verdicts) = tables(text)
    assert [r[0] for r in rows] == ["10", "30"]
    assert [r[1] for r in rows] == ["100", "300"]
    assert [r[2] for r in rows] == ["1", "3"]
    assert all(int(r[3]) >= int(r[2]) for r in rows)  # at least one op per changed table
    assert all(r[7].endswith("MiB") for r in rows)
    assert [r[0] for r in e2e] == ["10", "30"] and all(_TIME.match(c) for c in e2e[0][1:5])
    assert scaling[0][2] == "1.00"
    assert [v[3] in ("met", "missed") for v in verdicts] == [True, True]
    assert (tmp_path / "bench-planning.png").read_bytes()[:4] == b"\x89PNG"


def test_lint(tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    args = ["--statements", "300", "--history-files", "40", "--repeat", "1", "--doc", str(doc)]
    assert lint.main(args) == 0
    text = section(doc, "lint")
    speed, ratios, hazards = (rows for _, rows in tables(text))
    assert [r[:2] for r in speed][:3] == [
        ["synthetic", "pgwarden lint_sql (in-process)"],
        ["synthetic", "`pgwarden lint` (new process)"],
        ["synthetic", "squawk (one process)"],
    ]
    assert {r[0] for r in speed} == {"synthetic", "real-shaped history"}
    assert all(r[3].replace(",", "").isdigit() for r in speed)
    assert len(ratios) == 4 and all(r[2] != "n/a" for r in ratios)
    assert "synthetic: " in text and " 300 statements" in text
    assert len(hazards) == len(lint.HAZARDS) + 1
    by_hazard = {r[0]: r for r in hazards}
    # the unambiguous hazards are flagged by both tools
    row = by_hazard["CREATE INDEX without CONCURRENTLY"]
    assert "require-concurrent-index-creation" in row[2]
    assert "create-index-non-concurrently" in row[3] and row[4] == "both"


def test_accessors(pg_server: str, tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    args = ["--keys", "50", "--rounds", "1", "--clusters", "1", "25"]
    assert accessors.main([*args, "--database-url", pg_server, "--doc", str(doc)]) == 0
    lookups, batch, pooled, cached, verdicts, deletion = (
        rows for _, rows in tables(section(doc, "accessors"))
    )
    assert len(lookups) == 3 and all(_TIME.match(r[1]) for r in lookups)
    assert len(batch) == 3 and all(r[2].endswith("x") for r in batch[1:])
    assert all(_TIME.match(r[3]) for r in batch[1:])  # client CPU of both batches
    assert len(pooled) == 2 and all(_TIME.match(r[1]) and _TIME.match(r[2]) for r in pooled)
    assert len(cached) == 2 and all(_TIME.match(r[1]) and _TIME.match(r[3]) for r in cached)
    assert cached[0][2].endswith("x") and "cache hit" in cached[0][0]
    assert len(verdicts) == 3 and all(r[3] in ("met", "missed") for r in verdicts)
    assert [r[0] for r in deletion] == ["1", "25"]
    assert deletion[1][3].startswith("25 soft-deleted")
    if _find_log(pg_server) is not None:
        # one fixed handful of statements whatever the number of clusters
        assert deletion[0][1].isdigit() and deletion[0][1] == deletion[1][1]


def test_stall(pg_server: str, tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    args = [
        "--rows",
        "5000",
        "--warmup",
        "0.2",
        "--trials",
        "1",
        "--database-url",
        pg_server,
        "--doc",
        str(doc),
    ]
    assert stall.main(args) == 0
    results, steps = (rows for _, rows in tables(section(doc, "stall")))
    assert [r[0].split(" ")[0] for r in results] == ["pgwarden", "naive"]
    assert all(_TIME.match(r[2]) for r in results)
    assert all(re.fullmatch(r"\d+ of \d+", r[8]) for r in results)  # lock-wait samples
    for r in results:  # a step is named only where a lock-wait sample fell
        assert r[9] == "—" or int(r[8].split()[0]) > 0, r
    sql = " ".join(r[0] for r in steps)
    assert "CONCURRENTLY" in sql and "NOT VALID" in sql and "VALIDATE CONSTRAINT" in sql


def test_stall_backfill(pg_server: str, tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    args = ["--backfill", "--rows", "3000", "--warmup", "0.2", "--trials", "1"]
    assert stall.main([*args, "--database-url", pg_server, "--doc", str(doc)]) == 0
    text = section(doc, "stall_backfill")
    ((_, results),) = tables(text)
    assert [r[0].split(" ")[0] for r in results] == ["pgwarden", "one-shot"]
    assert "batches of about 50 ms, at most 10,000" in results[0][0]
    assert all(_TIME.match(r[2]) and _TIME.match(r[8]) for r in results)
    assert re.search(r"verdict: longest writer wait < 100 ms (met|missed) \(the worst", text)


def test_startup(tmp_path: Path) -> None:
    from benchmarks import startup

    doc = tmp_path / "bench.md"
    assert startup.main(["--repeat", "1", "--doc", str(doc)]) == 0
    ((header, rows),) = tables(section(doc, "startup"))
    assert header[:6] == [
        "command",
        "median wall",
        "best wall",
        "wall ratio to python -c pass",
        "median CPU",
        "CPU ratio to python -c pass",
    ]
    assert [r[0] for r in rows][:1] == ["python -c pass"] and rows[0][3] == "1.0x"
    assert rows[0][5] == "1.0x"
    by_command = {r[0]: r for r in rows}
    for command in startup.TARGETS:
        row = by_command[command]
        assert _TIME.match(row[1]) and _TIME.match(row[4])
        assert row[7] in (
            "met",
            "missed",
            "met when unloaded (best run), missed at the median",
            "met on CPU time; wall missed under load",
        )


def test_fleet(pg_server: str, tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    args = ["--databases", "2", "--parallel", "2", "--database-url", pg_server, "--doc", str(doc)]
    assert fleet.main(args) == 0
    ((_header, rows),) = tables(section(doc, "fleet"))
    assert [r[0] for r in rows] == ["one migration", "nothing to apply"]
    assert all(_TIME.match(r[2]) and _TIME.match(r[3]) for r in rows)
    assert all(re.fullmatch(r"\d+\.\dx", r[4]) for r in rows)
    assert "Cost per idle target" in section(doc, "fleet")
