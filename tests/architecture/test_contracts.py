"""The import contracts in pyproject.toml are real: ``lint-imports`` passes on the tree,
and fails on a copy of it where a moved function's new home is deleted and the old,
wrong-way import comes back, or an illegal import is added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "src" / "pgwarden",
        tree / "src" / "pgwarden",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found (the test's anchor moved)"
    path.write_text(text.replace(old, new, 1))


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint_imports(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _secret_like_back_in_checks(pkg: Path) -> None:
    # spec/names.py loses secret_like; the audit redaction imports it from the lint again
    names = pkg / "spec" / "names.py"
    text = names.read_text()
    start = text.index("def secret_like(")
    names.write_text(text[:start])
    _edit(
        pkg / "spec" / "audit.py",
        "from pgwarden.spec import names\n",
        "from pgwarden.spec import names\nfrom pgwarden.checks.schema_rules import secret_like\n",
    )


def _canonical_renders_itself(pkg: Path) -> None:
    # apply/canonical.py (the default renderer's home) deleted; introspect takes it back
    (pkg / "apply" / "canonical.py").unlink()
    _edit(
        pkg / "introspect" / "canonical.py",
        "from pgwarden.spec.citus import local_only\n",
        "from pgwarden.render.sql import render_schema  # noqa: F401\n"
        "from pgwarden.spec.citus import local_only\n",
    )


def _checks_render_the_package(pkg: Path) -> None:
    # the lint reaches past generators/exports.py into the generator's engine
    _edit(
        pkg / "checks" / "queries" / "accessors.py",
        "    from pgwarden.generators.exports import accessor_sources\n",
        "    from pgwarden.generators.engine import render  # noqa: F401\n"
        "    from pgwarden.generators.exports import accessor_sources\n",
    )


def _blueprint_back_in_generators(pkg: Path) -> None:
    shutil.move(pkg / "docs" / "blueprint.py", pkg / "generators" / "blueprint.py")


def _planner_reads_the_database(pkg: Path) -> None:
    _edit(
        pkg / "planner" / "plan.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport pgwarden.introspect  # noqa: F401\n",
    )


def _spec_imports_the_planner(pkg: Path) -> None:
    _edit(
        pkg / "spec" / "model.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport pgwarden.planner  # noqa: F401\n",
    )


def _apply_imports_cli(pkg: Path) -> None:
    _edit(
        pkg / "apply" / "runner.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport pgwarden.cli  # noqa: F401\n",
    )


@pytest.mark.parametrize(
    ("break_it", "contract"),
    [
        (_secret_like_back_in_checks, "spec depends on no other stage"),
        (_canonical_renders_itself, "introspect depends on spec only"),
        (_checks_render_the_package, "checks use spec, planner and render"),
        (_blueprint_back_in_generators, "generators use spec, planner and render only"),
        (_planner_reads_the_database, "planner and render are pure"),
        (_spec_imports_the_planner, "pipeline stages import only downward"),
        (_apply_imports_cli, "pipeline stages import only downward"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(
    tmp_path: Path, break_it: object, contract: str
) -> None:
    tree = _copy(tmp_path)
    assert callable(break_it)
    break_it(tree / "src" / "pgwarden")
    result = _lint_imports(tree)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), result.stdout
