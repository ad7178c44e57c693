"""The static N+1 rule on a sample application module."""

from __future__ import annotations

from pathlib import Path

from pgwarden.checks.engine import finish, lint_python

SAMPLE = Path(__file__).parent / "sample_app.py"
TABLES = ("User", "K8sClusterConfig", "Customer")


def expected_lines(text: str) -> set[int]:
    return {n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("# N+1")}


def test_n_plus_one_loops_are_flagged_at_their_lines_and_decoys_are_not() -> None:
    text = SAMPLE.read_text()
    found = lint_python([(str(SAMPLE), text)], tables=TABLES).findings
    lines = {f.location.line for f in found if f.rule == "n-plus-one-loop"}
    # The suppressed loop is reported before suppressions apply ...
    suppressed_line = next(
        n + 1 for n, line in enumerate(text.splitlines(), 1) if "ignore[n-plus-one-loop]" in line
    )
    assert len(expected_lines(text)) == 7
    assert lines == expected_lines(text) | {suppressed_line}
    # ... and gone after them.
    result = finish(lint_python([(str(SAMPLE), text)], tables=TABLES))
    assert {f.location.line for f in result.findings} == expected_lines(text)
    assert result.suppressed == 1


def test_finding_names_the_batch_accessor() -> None:
    text = SAMPLE.read_text()
    found = lint_python([(str(SAMPLE), text)], tables=TABLES).findings
    accessor = next(f for f in found if "get_by_auth_user_id" in f.message)
    assert accessor.fix is not None and "get_many_by_auth_user_id" in accessor.fix
    execute = next(f for f in found if "conn.execute" in f.message)
    assert execute.fix is not None and "ANY(%s)" in execute.fix
    get = next(f for f in found if "db.user.get(" in f.message)
    assert get.fix is not None and "get_many" in get.fix


def test_generated_accessors_need_the_spec_tables() -> None:
    src = "def f(db, ids):\n    return [db.user.get(i) for i in ids]\n"
    assert lint_python([("a.py", src)]).findings == []
    assert len(lint_python([("a.py", src)], tables=("User",)).findings) == 1


def test_ok_batched_rewrite() -> None:
    src = """
def names(conn, user_ids):
    rows = conn.execute("SELECT id, name FROM u WHERE id = ANY(%s)", (user_ids,)).fetchall()
    return {r[0]: r[1] for r in rows}
"""
    assert lint_python([("ok.py", src)]).findings == []


def test_unparsable_python_is_a_finding() -> None:
    (f,) = lint_python([("bad.py", "def broken(:\n")]).findings
    assert f.rule == "unparsable-python" and f.location.line == 1
