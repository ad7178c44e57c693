"""Static N+1 detection in Python source (``ast``).

A database call -- psycopg's ``execute``, asyncpg-style ``fetch*``, or a
generated per-key accessor (``get_by_*``, ``find_by_*``) -- that runs inside a
``for`` loop or a comprehension *with an argument drawn from the loop variable*
issues one query per item. Loops over literal constants (``for stmt in ("A",
"B")``, ``range(3)``) are bounded and not reported; batch calls
(``executemany``, ``*_many*``) are the cure, not the disease.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pgwarden.checks.registry import Finding, Location, check, rule

#: Methods that send one statement per call, whatever the receiver.
DB_METHODS = frozenset({"execute", "fetch", "fetchrow", "fetchval", "query", "scalar", "scalars"})
#: Generated per-key accessors (``get_by_email``, ``find_by_auth_user_id``, ``count_by_plan``).
ACCESSOR_RE = re.compile(r"^(get|find|count|load|fetch|exists)_(\w+_)?by_\w+$|^find_active$")
_BATCH_RE = re.compile(r"many|batch|bulk|_all\b|_in$")


#: Per-row methods of generated table accessors / services (``db.user.get(id)``),
#: with their batch form when one exists. Only matched on a receiver that names a
#: spec table (``user``, ``k8s_cluster_config``) or a ``*_service``, so
#: ``os.environ.get(name)`` in a loop is not a query.
PER_ROW_METHODS: dict[str, str | None] = {
    "get": "get_many",
    "insert": "insert_many",
    "count": None,
    "update": None,
    "delete": None,
    "find_active": None,
    "find_all_active": None,
    "find_deleted": None,
    "soft_delete": None,
    "restore": None,
    "get_user_summary": None,
}


def accessor_names(table_names: Iterable[str]) -> frozenset[str]:
    """The attribute names generated accessors use for tables: ``K8sClusterConfig`` ->
    ``k8s_cluster_config``."""
    from pgwarden.spec.names import words

    return frozenset("_".join(words(name)) for name in table_names)


@dataclass(frozen=True, slots=True)
class PythonSource:
    """One parsed Python file and what the access rules need to read it."""

    file: str
    text: str
    tree: ast.Module
    accessor_re: re.Pattern[str] = field(default=ACCESSOR_RE)
    tables: frozenset[str] = frozenset()
    """Accessor attribute names of the spec's tables (see :func:`accessor_names`)."""


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _target_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _constant_iterable(node: ast.expr) -> bool:
    """A literal collection of constants or ``range(<constants>)``: a bounded loop."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(isinstance(k, ast.Constant) for k in node.keys if k is not None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        return all(isinstance(a, ast.Constant) for a in node.args)
    return False


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of a loop body, not descending into nested functions, classes or lambdas
    (their code runs when called, not here) -- except a lambda called on the spot,
    ``(lambda: conn.execute(...))()``, which runs in the loop."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if isinstance(child, ast.Lambda) and isinstance(node, ast.Call) and node.func is child:
                stack.append(child.body)
                continue
            if isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ):
                continue
            stack.append(child)


def _taint(body: list[ast.stmt], seed: set[str]) -> set[str]:
    """Loop variables plus every name assigned (in the body) from them, to a fixed point."""
    tainted = set(seed)
    changed = True
    while changed:
        changed = False
        for node in _own_nodes(body):
            pairs: list[tuple[ast.AST, ast.AST]] = []
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                if node.value is not None:
                    pairs = [(node.target, node.value)]
            elif isinstance(node, ast.For | ast.AsyncFor):
                pairs = [(node.target, node.iter)]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                pairs = [(node.optional_vars, node.context_expr)]
            for target, value in pairs:
                new = _target_names(target) - tainted
                if new and _names(value) & tainted:
                    tainted |= new
                    changed = True
    return tainted


def _call_name(call: ast.Call) -> tuple[str, str] | None:
    """(receiver text, method) of ``x.y.method(...)`` / ``method(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return ast.unparse(func.value), func.attr
    if isinstance(func, ast.Name):
        return "", func.id
    return None


def _batch_suggestion(method: str) -> str:
    if method in PER_ROW_METHODS:
        batch = PER_ROW_METHODS[method]
        if batch:
            return f"collect the items and call `{batch}(...)` once (one query)"
        return (
            f"`{method}` has no batch form: write one statement for all items "
            "(`WHERE key = ANY(%s)`), or batch the work in the service"
        )
    if method in DB_METHODS:
        return (
            "query all items at once (`WHERE key = ANY(%s)` with a list, or a JOIN), "
            "or `executemany` for writes"
        )
    if "_by_" in method:
        verb, _, key = method.partition("_by_")
        return f"collect the keys and call `{verb}_many_by_{key}(keys)` once (returns a dict)"
    return f"collect the keys and call `{method}_many(keys)` once"


def _db_call(src: PythonSource, call: ast.Call) -> tuple[str, str] | None:
    named = _call_name(call)
    if named is None:
        return None
    receiver, method = named
    if _BATCH_RE.search(method):
        return None
    if method in DB_METHODS and receiver:
        return receiver, method
    if method in PER_ROW_METHODS and receiver:
        last = receiver.rsplit(".", 1)[-1]
        if last in src.tables or last.endswith("_service"):
            return receiver, method
    if src.accessor_re.match(method):
        return receiver, method
    return None


def _args_tainted(call: ast.Call, tainted: set[str], params_only: bool) -> set[str]:
    """Loop-derived names in the call's arguments. For ``execute``-style calls only
    the parameters count: a statement whose *text* changes per item (one catalog
    query per name, one count per table) is a different query each time, not the
    same query repeated -- the runtime recorder, which fingerprints the text, agrees."""
    args = call.args[1:] if params_only else call.args
    used: set[str] = set()
    for arg in [*args, *(k.value for k in call.keywords)]:
        used |= _names(arg) & tainted
    return used


def _report(
    src: PythonSource, call: ast.Call, loop: ast.AST, tainted: set[str], what: str
) -> Finding | None:
    found = _db_call(src, call)
    if found is None:
        return None
    receiver, method = found
    used = _args_tainted(call, tainted, params_only=method in DB_METHODS)
    if not used:
        return None
    shown = f"{receiver}.{method}" if receiver else method
    var = ", ".join(sorted(used))
    return rule("n-plus-one-loop").finding(
        Location(src.file, call.lineno, call.col_offset + 1),
        f"`{shown}(...)` runs once per item of the {what} on line {getattr(loop, 'lineno', '?')} "
        f"(argument uses {var}): one query per item (N+1)",
        _batch_suggestion(method),
    )


@check(id="n-plus-one-loop", family="access", severity="error")
def n_plus_one_loop(src: PythonSource) -> Iterator[Finding]:
    """A database call in a loop/comprehension with arguments from the loop variable."""
    seen: set[tuple[int, int]] = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.For | ast.AsyncFor):
            if _constant_iterable(node.iter):
                continue
            body = [*node.body, *node.orelse]
            tainted = _taint(body, _target_names(node.target))
            candidates = [n for n in _own_nodes(body) if isinstance(n, ast.Call)]
            what = "loop"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("map", "filter")
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Lambda)
        ):
            # map(lambda key: conn.execute(q, (key,)), keys): one call per item
            if all(_constant_iterable(a) for a in node.args[1:]):
                continue
            fn = node.args[0]
            tainted = {a.arg for a in fn.args.args}
            candidates = [n for n in ast.walk(fn.body) if isinstance(n, ast.Call)]
            what = f"{node.func.id}()"
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            gens = [g for g in node.generators if not _constant_iterable(g.iter)]
            if not gens:
                continue
            tainted = set().union(*(_target_names(g.target) for g in gens))
            parts: list[ast.AST] = (
                [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            )
            parts += [cond for g in node.generators for cond in g.ifs]
            candidates = [n for p in parts for n in ast.walk(p) if isinstance(n, ast.Call)]
            what = "comprehension"
        else:
            continue
        for call in candidates:
            key = (call.lineno, call.col_offset)
            if key in seen:
                continue
            finding = _report(src, call, node, tainted, what)
            if finding is not None:
                seen.add(key)
                yield finding


def parse_python(
    text: str, file: str, tables: frozenset[str] = frozenset()
) -> PythonSource | SyntaxError:
    """The parsed file, or the SyntaxError (reported as a finding by the caller)."""
    try:
        return PythonSource(file, text, ast.parse(text, filename=file), tables=tables)
    except SyntaxError as exc:
        return exc
