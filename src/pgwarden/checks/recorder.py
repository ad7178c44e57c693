"""Runtime N+1 detection: record the statements psycopg sends and find repeats.

While a :class:`QueryRecorder` is active, every ``execute`` / ``stream`` on a
psycopg cursor (sync or async, client- or server-side) is recorded with

* a *fingerprint*: the statement parsed by Postgres's own parser with literals
  and parameters normalised (``pglast`` fingerprint), so ``WHERE id = 1`` and
  ``WHERE id = %s`` are one query;
* a *call site*: the innermost frame outside psycopg and this module;
* the *unit of work* it ran in (the recorder's scope, or
  :meth:`QueryRecorder.unit_of_work` blocks).

A fingerprint sent ``threshold`` or more times from one call site in one unit
of work is an N+1. ``executemany`` is one batched call and counts once.

Use it as a context manager::

    with QueryRecorder(threshold=3) as rec:
        handler(conn)
    rec.assert_no_n_plus_one()

or in pytest: ``@pytest.mark.pgwarden_n_plus_one`` / the ``n_plus_one`` fixture
(``pgwarden.checks.pytest_plugin``) fail the test.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

import psycopg
from pglast.parser import ParseError, fingerprint

_PLACEHOLDER = re.compile(r"(?<!%)%(\([^)]*\))?[sbt]")
_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_HERE = os.path.abspath(__file__)
_PSYCOPG_DIR = os.path.dirname(os.path.abspath(psycopg.__file__))


def statement_fingerprint(sql: str) -> str:
    """The normalised identity of a statement: same shape, different values -> same value."""
    text = _PLACEHOLDER.sub("$1", sql).replace("%%", "%")
    try:
        return str(fingerprint(text))
    except ParseError:
        # Not SQL Postgres can parse (the server will say so); normalise crudely.
        return "raw:" + " ".join(_LITERAL.sub("?", text).split()).lower()


class NPlusOneError(AssertionError):
    """A statement repeated per item: the test fails with where and how often."""


@dataclass(frozen=True, slots=True)
class Execution:
    """One query the recorder saw: its text, its fingerprint and the call site that ran it."""

    sql: str
    fingerprint: str
    site: tuple[str, int]
    stack: tuple[tuple[str, int, str], ...]
    """Up to 4 caller frames (file, line, function), innermost first, for the report."""
    unit: int
    batch: bool = False


@dataclass(frozen=True, slots=True)
class RepeatedQuery:
    """One N+1: the statement, where it was sent from, and how many times."""

    sql: str
    fingerprint: str
    file: str
    line: int
    count: int
    stack: tuple[tuple[str, int, str], ...] = ()

    def __str__(self) -> str:
        sql = " ".join(self.sql.split())
        sql = sql if len(sql) <= 120 else sql[:117] + "..."
        callers = " <- ".join(f"{os.path.basename(f)}:{n} {fn}" for f, n, fn in self.stack)
        return (
            f"{self.file}:{self.line}: n-plus-one-query ran {self.count} times from this line: "
            f"{sql}\n  via {callers}\n"
            "  fix: fetch all items in one query (WHERE key = ANY(%s), a JOIN, or a generated "
            "*_many accessor), or executemany for writes"
        )


def _query_text(query: Any, cursor: Any) -> str:
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    if isinstance(query, str):
        return query
    as_string = getattr(query, "as_string", None)
    if as_string is not None:
        try:
            return str(as_string(cursor.connection))
        except Exception:
            return repr(query)
    return str(query)


def _caller(skip_dirs: tuple[str, ...]) -> tuple[tuple[str, int], tuple[tuple[str, int, str], ...]]:
    frame: FrameType | None = sys._getframe(2)
    stack: list[tuple[str, int, str]] = []
    while frame is not None and len(stack) < 4:
        file = os.path.abspath(frame.f_code.co_filename)
        if file != _HERE and not file.startswith(_PSYCOPG_DIR) and not file.startswith(skip_dirs):
            stack.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    if not stack:
        return ("<unknown>", 0), ()
    return (stack[0][0], stack[0][1]), tuple(stack)


# ------------------------------------------------------------------ the psycopg hook

_LOCK = threading.RLock()
_ACTIVE: list[QueryRecorder] = []
_ORIGINALS: dict[tuple[type, str], Callable[..., Any]] = {}
_PATCHED = [
    (cls, name)
    for cls in (
        psycopg.Cursor,
        psycopg.ServerCursor,
        psycopg.AsyncCursor,
        psycopg.AsyncServerCursor,
    )
    for name in ("execute", "executemany", "stream")
    if name in cls.__dict__
]


def _notify(cursor: Any, query: Any, batch: bool) -> None:
    with _LOCK:
        recorders = list(_ACTIVE)
    for rec in recorders:
        rec._record(cursor, query, batch)


def _wrap(original: Callable[..., Any], batch: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        _notify(self, query, batch)
        return original(self, query, *args, **kwargs)

    return wrapper


def _install() -> None:
    for cls, name in _PATCHED:
        original = cls.__dict__[name]
        _ORIGINALS[(cls, name)] = original
        setattr(cls, name, _wrap(original, batch=name == "executemany"))


def _uninstall() -> None:
    for (cls, name), original in _ORIGINALS.items():
        setattr(cls, name, original)
    _ORIGINALS.clear()


@dataclass
class QueryRecorder:
    """Records statements on psycopg connections; reports fingerprints repeated per item.

    ``connections``: record only these (default: every psycopg connection in the
    process). ``skip``: directories whose frames are not call sites (a data-access
    library, so the report names the application line that loops).
    """

    threshold: int = 3
    connections: tuple[Any, ...] | None = None
    skip: tuple[str, ...] = ()
    executions: list[Execution] = field(default_factory=list)
    _unit: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise ValueError("threshold must be at least 2 (one query per item, twice)")
        self.skip = tuple(os.path.abspath(s) for s in self.skip)

    def __enter__(self) -> QueryRecorder:
        with _LOCK:
            if not _ACTIVE:
                _install()
            _ACTIVE.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _LOCK:
            _ACTIVE.remove(self)
            if not _ACTIVE:
                _uninstall()

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """A new unit: repeats are counted per unit (one request, one job...)."""
        with self._lock:
            self._unit += 1
        try:
            yield
        finally:
            with self._lock:
                self._unit += 1

    def _record(self, cursor: Any, query: Any, batch: bool) -> None:
        if self.connections is not None and not any(
            cursor.connection is c for c in self.connections
        ):
            return
        sql = _query_text(query, cursor)
        site, stack = _caller(self.skip)
        with self._lock:
            unit = self._unit
            self.executions.append(
                Execution(sql, statement_fingerprint(sql), site, stack, unit, batch)
            )

    def repeated(self) -> list[RepeatedQuery]:
        """Every (unit, fingerprint, call site) seen ``threshold`` or more times."""
        counts: Counter[tuple[int, str, tuple[str, int]]] = Counter()
        first: dict[tuple[int, str, tuple[str, int]], Execution] = {}
        for e in self.executions:
            if e.batch:
                continue
            key = (e.unit, e.fingerprint, e.site)
            counts[key] += 1
            first.setdefault(key, e)
        out = [
            RepeatedQuery(first[k].sql, k[1], k[2][0], k[2][1], n, first[k].stack)
            for k, n in counts.items()
            if n >= self.threshold
        ]
        return sorted(out, key=lambda r: (r.file, r.line, -r.count))

    @property
    def count(self) -> int:
        """Statements recorded (a batch counts once)."""
        return len(self.executions)

    def assert_no_n_plus_one(self) -> None:
        """Raise :class:`NPlusOneError` listing each query repeated per item past the threshold."""
        found = self.repeated()
        if found:
            raise NPlusOneError(
                f"{len(found)} N+1 quer{'y' if len(found) == 1 else 'ies'} "
                f"(threshold {self.threshold}):\n" + "\n".join(str(r) for r in found)
            )
