"""Every public class and function of src/ says what it is for: a docstring on each
module-level class and function and each public method whose name has no leading
underscore (``@overload`` stubs excepted). A method that overrides a documented method of
a base class carries that docstring, as ``help()`` shows it (``inspect.getdoc``): an op's
``description`` or ``reverse`` says what every op's does. Modules not yet there are
listed in PENDING; the list only shrinks (a listed module that becomes complete fails the
test until it is taken off)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

#: Modules (relative to src/) that still have undocumented public definitions.
PENDING = frozenset(
    {
        "pgwarden/crypto.py",
    }
)


def _undocumented(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing: list[str] = []
    module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_") or _is_overload(node):
                continue
            if ast.get_docstring(node) is None and not _inherits_doc(module, prefix, node.name):
                missing.append(f"{prefix}{node.name} (line {node.lineno})")
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return missing


def _inherits_doc(module: str, prefix: str, name: str) -> bool:
    """A method of a class (``prefix`` names it) that overrides a documented one."""
    if not prefix:
        return False
    owner: object = importlib.import_module(module)
    for part in prefix.rstrip(".").split("."):
        owner = getattr(owner, part, None)
    if not inspect.isclass(owner):
        return False
    return any(inspect.getdoc(vars(base)[name]) for base in owner.__mro__[1:] if name in vars(base))


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
