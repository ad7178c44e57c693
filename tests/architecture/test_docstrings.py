"""Every public class and function of src/ says what it is for: a docstring on each
module-level class and function and each public method whose name has no leading
underscore (``@overload`` stubs excepted). Modules not yet there are listed in PENDING;
the list only shrinks (a listed module that becomes complete fails the test until it is
taken off)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

#: Modules (relative to src/) that still have undocumented public definitions.
PENDING = frozenset(
    {
        "pgwarden/apply/backfill.py",
        "pgwarden/apply/files.py",
        "pgwarden/apply/fleet/config.py",
        "pgwarden/apply/fleet/rollout.py",
        "pgwarden/apply/fleet/survey.py",
        "pgwarden/apply/generate.py",
        "pgwarden/apply/history.py",
        "pgwarden/apply/preflight.py",
        "pgwarden/apply/resolve.py",
        "pgwarden/apply/review.py",
        "pgwarden/apply/runner.py",
        "pgwarden/checks/access_rules.py",
        "pgwarden/checks/baseline.py",
        "pgwarden/checks/casts.py",
        "pgwarden/checks/config.py",
        "pgwarden/checks/engine.py",
        "pgwarden/checks/fixes.py",
        "pgwarden/checks/migration_rules.py",
        "pgwarden/checks/pytest_plugin.py",
        "pgwarden/checks/queries/analysis.py",
        "pgwarden/checks/queries/indexes.py",
        "pgwarden/checks/queries/model.py",
        "pgwarden/checks/queries/run.py",
        "pgwarden/checks/queries/statics.py",
        "pgwarden/checks/recorder.py",
        "pgwarden/checks/registry.py",
        "pgwarden/checks/replay.py",
        "pgwarden/checks/schema_rules.py",
        "pgwarden/checks/suppress.py",
        "pgwarden/cli/context.py",
        "pgwarden/cli/fleet_board.py",
        "pgwarden/cli/fleet_cmds.py",
        "pgwarden/cli/generate_cmds.py",
        "pgwarden/cli/group.py",
        "pgwarden/cli/progress.py",
        "pgwarden/cli/project.py",
        "pgwarden/crypto.py",
        "pgwarden/docs/blueprint.py",
        "pgwarden/generators/accessors.py",
        "pgwarden/generators/layout.py",
        "pgwarden/generators/validation.py",
        "pgwarden/importers/prisma_ast.py",
        "pgwarden/planner/audit.py",
        "pgwarden/planner/citus.py",
        "pgwarden/planner/context.py",
        "pgwarden/planner/ops/base.py",
        "pgwarden/planner/ops/constraints.py",
        "pgwarden/planner/ops/decorations.py",
        "pgwarden/planner/ops/enums.py",
        "pgwarden/planner/ops/extensions.py",
        "pgwarden/planner/ops/functions.py",
        "pgwarden/planner/ops/partitions.py",
        "pgwarden/planner/ops/sequences.py",
        "pgwarden/planner/ops/tables.py",
        "pgwarden/planner/ops/triggers.py",
        "pgwarden/planner/ops/types.py",
        "pgwarden/planner/ops/views.py",
        "pgwarden/planner/passes/constraints.py",
        "pgwarden/planner/passes/enums.py",
        "pgwarden/planner/passes/functions.py",
        "pgwarden/planner/passes/partitions.py",
        "pgwarden/planner/passes/renames.py",
        "pgwarden/planner/passes/sequences.py",
        "pgwarden/planner/passes/tables.py",
        "pgwarden/planner/passes/triggers.py",
        "pgwarden/planner/passes/types.py",
        "pgwarden/planner/passes/views.py",
        "pgwarden/render/functions.py",
        "pgwarden/render/sql.py",
        "pgwarden/render/triggers.py",
        "pgwarden/spec/load/citus.py",
        "pgwarden/spec/load/columns.py",
        "pgwarden/spec/load/constraints.py",
        "pgwarden/spec/load/document.py",
        "pgwarden/spec/load/enums.py",
        "pgwarden/spec/load/extensions.py",
        "pgwarden/spec/load/namespaces.py",
        "pgwarden/spec/load/partitions.py",
        "pgwarden/spec/load/policies.py",
        "pgwarden/spec/load/reader.py",
        "pgwarden/spec/load/sequences.py",
        "pgwarden/spec/load/tables.py",
        "pgwarden/spec/load/triggers.py",
        "pgwarden/spec/load/types.py",
        "pgwarden/spec/locate.py",
        "pgwarden/spec/model.py",
        "pgwarden/spec/partitions.py",
    }
)


def _undocumented(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing: list[str] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_") or _is_overload(node):
                continue
            if ast.get_docstring(node) is None:
                missing.append(f"{prefix}{node.name} (line {node.lineno})")
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return missing


def _is_overload(node: ast.stmt) -> bool:
    """An ``@overload`` stub: the implementation below it carries the docstring."""
    decorators = getattr(node, "decorator_list", [])
    return any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in decorators
    )


def _modules() -> dict[str, list[str]]:
    return {
        str(p.relative_to(SRC)): _undocumented(p) for p in sorted((SRC / "pgwarden").rglob("*.py"))
    }


def test_public_definitions_have_docstrings() -> None:
    found = _modules()
    bad = {m: names for m, names in found.items() if names and m not in PENDING}
    assert not bad, "public definitions without a docstring:\n" + "\n".join(
        f"  {m}: {', '.join(names)}" for m, names in sorted(bad.items())
    )


def test_the_pending_list_only_shrinks() -> None:
    found = _modules()
    done = sorted(m for m in PENDING if m in found and not found[m])
    gone = sorted(m for m in PENDING if m not in found)
    assert not done, f"documented now, take off PENDING: {done}"
    assert not gone, f"no such module, take off PENDING: {gone}"
