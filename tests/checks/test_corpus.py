"""A generated real-shaped history of 300+ migrations, in every layout: no crash, and
the same findings whatever the layout (transaction rules aside: those depend on it)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.lint_corpus import history
from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import lint_paths
from tests.checks.histories import LAYOUTS, write

#: Rules whose verdict depends on how the tool groups statements into transactions.
TX_RULES = {"concurrently-in-transaction", "not-valid-validated-in-transaction"}


def test_same_findings_in_every_layout(tmp_path: Path) -> None:
    migrations = history(300)
    seen: dict[str, list[tuple[int, int | None, int | None, str, str]]] = {}
    for layout in LAYOUTS:
        files = write(tmp_path / layout, layout, migrations)
        order = {str(f): n for n, f in enumerate(files)}
        result = lint_paths([tmp_path / layout], LintConfig(select=("ALL",)))
        assert not [f for f in result.findings if f.rule == "unparsable-statement"], layout
        seen[layout] = sorted(
            (order[f.location.file], f.location.line, f.location.col, f.rule, f.message)
            for f in result.findings
            if f.rule not in TX_RULES
        )
    baseline = seen["plain"]
    assert len(baseline) > 200 and len({r for *_, r, _ in baseline}) >= 6
    for layout, got in seen.items():
        assert got == baseline, layout
