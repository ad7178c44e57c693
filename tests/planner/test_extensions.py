"""Extensions kept by a plan: altered only when their schema or pinned version changes
(a mutant of planner/passes/extensions.py that altered every kept extension survived
the sampled mutmut run: docs/status.md)."""

from __future__ import annotations

from pgwarden.planner import plan
from pgwarden.spec.load import load_schema_text

BEFORE = """
[extensions]
pg_trgm = {}
vector = { version = "0.7.0" }
"""


def test_kept_extensions_are_left_alone_unless_they_change() -> None:
    before = load_schema_text(BEFORE)
    assert [op.description for op in plan(before, before)] == []
    after = load_schema_text(BEFORE.replace('"0.7.0"', '"0.8.0"'))
    up = plan(before, after)
    assert [type(op).__name__ for op in up] == ["AlterExtension"]
    assert "0.8.0" in up.describe()
