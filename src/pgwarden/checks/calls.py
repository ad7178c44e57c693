"""Functions and procedures a migration calls: their bodies checked where they run.

A ``SELECT f()``, ``CALL p()``, ``PERFORM f()`` (in a DO block or another body) or
a call inside an ``INSERT``/``UPDATE``/``DELETE`` runs the body of a function the
history defined (``plpgsql.Routines``, recorded by the replay) at that point of
the migration. Each statement of the body goes through the migration rules as if
it ran there, against the catalog as it is then, in the caller's transaction;
it updates the catalog as it would (a table the body creates is new). Its
findings are located at the call site and name the chain of calls with the line
in each body (``add_index() line 3``) and where the body is defined. Calls nest
up to :data:`MAX_DEPTH`; a function already being checked on the way down (a
recursion) is not entered again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from pgwarden.checks.plpgsql import Routine
from pgwarden.checks.registry import Finding, Location, Rule, check, rule
from pgwarden.checks.replay import Replay, names, walk
from pgwarden.checks.sqlfile import Statement, Tree
from pgwarden.pgquery import ParseError, parse_sql_json

#: How deep nested calls are followed (f calls g calls h ...).
MAX_DEPTH = 8

#: Statement kinds that run what they call at migration time (a view or a default
#: only stores the call).
CALLING_KINDS = frozenset(
    {
        "SelectStmt",
        "CallStmt",
        "InsertStmt",
        "UpdateStmt",
        "DeleteStmt",
        "MergeStmt",
        "CreateTableAsStmt",
        "PLpgSQL_expr",
    }
)

#: Body languages pgwarden reads (``atomic``: a ``BEGIN ATOMIC`` body, DML only).
READABLE = frozenset({"plpgsql", "sql", "atomic"})

Frame = tuple[Routine, int]
"""A function being run, and the line of its body that runs the next one."""


@check(
    id="unchecked-dynamic-sql",
    family="migration",
    severity="info",
    kinds=("PLpgSQL_dynexecute",),
)
def unchecked_dynamic_sql(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """An EXECUTE of SQL built at run time: lint cannot check the statement it runs."""
    yield rule("unchecked-dynamic-sql").finding(
        Location(stmt.file, stmt.line, stmt.col),
        f"EXECUTE {_short((stmt.tree or {}).get('query', stmt.text))}: the statement is built "
        "from values known only when it runs, so lint cannot check what it locks",
        "review the statement it builds by hand (or build it from constants, which lint "
        "resolves); then suppress this with the reason",
    )


def _short(text: str) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= 60 else one[:57] + "..."


class MigrationCalls:
    """Checks the bodies a statement calls, with ``rules_for`` (the linter's rules for
    a statement, already filtered by the configuration)."""

    def __init__(self, rules_for: Callable[[Statement], list[Rule]]) -> None:
        self.rules_for = rules_for

    def check(self, stmt: Statement, state: Replay, report: bool = True) -> list[Finding]:
        """Findings of the bodies ``stmt`` calls (``report`` False: only replay their
        effect on the catalog)."""
        routines = state.routines
        if not routines or not routines.mentioned(stmt.text):
            return []
        tree = _tree(stmt)
        if tree is None:
            return []
        out: list[Finding] = []
        for routine, offset in self._called(tree, stmt.text, state):
            site = _position(stmt, offset)
            self._run(routine, stmt, site, state.call_tx(stmt), (), state, out, report)
        return out

    def _called(self, tree: Tree, text: str, state: Replay) -> list[tuple[Routine, int]]:
        """Every distinct routine the tree calls, with the offset of the call in ``text``."""
        found: dict[int, tuple[Routine, int]] = {}
        calls = [node for kind, node in walk(tree) if kind == "FuncCall"]
        if "funccall" in tree:  # CALL p(): its FuncCall is not under a typed key
            calls.insert(0, tree["funccall"])
        for call in calls:
            parts = names(call.get("funcname"))
            if not parts:
                continue
            rel = state.qualify_names(parts, state.routines.by_name)
            routine = state.routines.get(rel, len(call.get("args") or ()))
            if routine is None or id(routine) in found:
                continue
            m = re.search(rf'(?<![\w$])"?{re.escape(parts[-1])}"?\s*\(', text, re.IGNORECASE)
            found[id(routine)] = (routine, m.start() if m else 0)
        return sorted(found.values(), key=lambda x: x[1])

    def _run(
        self,
        routine: Routine,
        caller: Statement,
        site: Location,
        tx: int,
        chain: tuple[Frame, ...],
        state: Replay,
        out: list[Finding],
        report: bool,
    ) -> None:
        if len(chain) >= MAX_DEPTH or any(r is routine for r, _ in chain):
            return
        if routine.language not in READABLE:
            if report:
                out.append(_unreadable(routine, chain, site))
            return
        for item in routine.items():
            frames = (*chain, (routine, item.line))
            if item.kind == "dynamic":
                body = Statement(
                    caller.file, caller.index, site.line or 1, site.col or 1, site.line or 1,
                    item.text, "PLpgSQL_dynexecute", {"query": item.sql}, None,
                    caller.step_atomic, caller.step, caller.offset, "call",
                )  # fmt: skip
                body.tx = tx
                if report:
                    self._report(body, frames, site, state, out)
                continue
            for kind, tree, text in _parsed(item.sql):
                body = Statement(
                    caller.file, caller.index, site.line or 1, site.col or 1, site.line or 1,
                    text, kind, tree, None, caller.step_atomic, caller.step, caller.offset, "call",
                )  # fmt: skip
                body.tx = tx
                if report:
                    self._report(body, frames, site, state, out)
                if kind in CALLING_KINDS and state.routines.mentioned(text):
                    for inner, _ in self._called(tree, text, state):
                        self._run(inner, caller, site, tx, frames, state, out, report)
                state.apply(body)

    def _report(
        self,
        body: Statement,
        frames: tuple[Frame, ...],
        site: Location,
        state: Replay,
        out: list[Finding],
    ) -> None:
        for r in self.rules_for(body):
            out += [_at_call(f, frames, site) for f in r.fn(body, state)]


def _unreadable(routine: Routine, chain: tuple[Frame, ...], site: Location) -> Finding:
    """A called body in a language lint does not read: said once, not skipped silently."""
    via = " -> ".join(f"{r.display} line {line}" for r, line in chain)
    return rule("unchecked-dynamic-sql").finding(
        site,
        f"{via + ' -> ' if via else ''}{routine.display} ({routine.file}:{routine.line}) is "
        f"written in {routine.language}: lint cannot check the statements it runs",
        "review what the function runs by hand (its locks on tables that hold rows); "
        "then suppress this with the reason",
    )


def _at_call(f: Finding, frames: tuple[Frame, ...], site: Location) -> Finding:
    """``f`` (found in a body) located at the call site, naming the calls and lines."""
    path = " -> ".join(f"{r.display} line {line}" for r, line in frames)
    inner, line = frames[-1]
    where = f"{inner.file}:{inner.line + line - 1}"
    if f.rule == "concurrently-in-transaction":
        fix: str | None = (
            f"a function or procedure body always runs inside a transaction: move the "
            f"statement out of {inner.display} ({where}) into the migration, run on its own"
        )
    else:
        fix = f"in {inner.display} ({where}): {f.fix}" if f.fix else None
    message = f"{path} ({where}), called here: {f.message}"
    return replace(f, location=site, message=message, fix=fix)


def _tree(stmt: Statement) -> Tree | None:
    if stmt.kind != "PLpgSQL_expr":
        return stmt.tree
    got = _parsed(str((stmt.tree or {}).get("query", "")))
    return got[0][1] if got else None


def _parsed(sql: str) -> list[tuple[str, Tree, str]]:
    """(kind, tree, text) of each statement of ``sql`` (none if it does not parse:
    Postgres checked the body when the function was created)."""
    try:
        stmts = json.loads(parse_sql_json(sql))["stmts"]
    except ParseError:
        return []
    out: list[tuple[str, Tree, str]] = []
    for raw in stmts:
        ((kind, tree),) = raw["stmt"].items()
        out.append((kind, tree, sql if len(stmts) == 1 else _slice(sql, raw)))
    return out


def _slice(sql: str, raw: Tree) -> str:
    data = sql.encode("utf-8")
    start = raw.get("stmt_location", 0)
    length = raw.get("stmt_len", 0) or len(data) - start
    return data[start : start + length].decode("utf-8", errors="replace").strip()


def _position(stmt: Statement, offset: int) -> Location:
    """Where character ``offset`` of the statement's text is in its file."""
    before = stmt.text[:offset]
    nl = before.count("\n")
    if nl == 0:
        return Location(stmt.file, stmt.line, stmt.col + offset)
    return Location(stmt.file, stmt.line + nl, offset - before.rfind("\n"))
