"""Read-only passes over a fleet: status (history), verify (spec vs each target), drift
(targets grouped by the fingerprint of their inspected schema).

The spec is canonicalised through the server once per server version, not once per
target: a thousand databases on one PostgreSQL major cost one scratch render.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from pgwarden.apply.files import Migration
from pgwarden.apply.fleet.rollout import (
    DEFAULT_CONNECT_TIMEOUT,
    Outcome,
    Phase,
    Plan,
    error_text,
    probe,
    run_pool,
    with_timeout,
)
from pgwarden.apply.fleet.targets import Target
from pgwarden.db import connect
from pgwarden.spec.model import Schema

# --------------------------------------------------------------------------- status


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One target's migration state for ``fleet status``."""

    target: Target
    state: str
    """current, pending, half-applied, changed, unreachable (or skipped)."""
    version: int | None = None
    pending: tuple[str, ...] = ()
    error: str | None = None
    duration_ms: int = 0

    @property
    def failed(self) -> bool:
        """A state that needs a person: a changed history or an unreachable target."""
        return self.state in ("changed", "unreachable")

    def as_json(self) -> dict[str, Any]:
        """The status as ``fleet status --json`` prints it."""
        return {
            "target": self.target.label,
            "schema": self.target.schema,
            "state": self.state,
            "version": self.version,
            "pending": list(self.pending),
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


def _ms(began: float) -> int:
    return int((time.monotonic() - began) * 1000)


def status_of(
    target: Target, migrations: Sequence[Migration], connect_timeout: int
) -> TargetStatus:
    """Read one target's history and compare it with the migrations (never raises: an
    unreachable target is a state)."""
    began = time.monotonic()
    try:
        found = probe(target, connect_timeout)
    except Exception as exc:
        return TargetStatus(target, "unreachable", error=error_text(exc), duration_ms=_ms(began))
    state = found.state(migrations)
    error = None
    if state == "changed":
        error = (
            "the history does not match the migrations directory (an applied migration was "
            "edited, renamed or removed); `pgwarden migrate status` on it says which"
        )
    return TargetStatus(
        target,
        state,
        found.version,
        tuple(found.pending(migrations)),
        error,
        _ms(began),
    )


def fleet_status(
    targets: Sequence[Target],
    migrations: Sequence[Migration],
    *,
    parallel: int,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    on_done: Callable[[int, TargetStatus], None] | None = None,
) -> Outcome[TargetStatus]:
    """Every target's status, ``parallel`` at a time; ``on_done`` reports each as it ends."""
    return run_pool(
        targets,
        lambda t, _phase: status_of(t, migrations, connect_timeout),
        plan=Plan(parallel=parallel, max_failures=None),
        failed=lambda r: r.failed,
        skipped=lambda t, _p, why: TargetStatus(t, "skipped", error=why),
        on_done=on_done,
    )


# --------------------------------------------------------------------------- the spec, per server


class CanonicalSpecs:
    """The spec canonicalised once per server version (thread-safe)."""

    def __init__(self, spec: Schema) -> None:
        self.spec = spec
        self._by_version: dict[int, Schema] = {}
        self._lock = threading.Lock()

    def for_connection(self, conn: psycopg.Connection[Any], namespace: str) -> Schema:
        """The spec as this connection's server version canonicalises it, in ``namespace``."""
        from pgwarden.apply.canonical import canonicalize

        version = conn.info.server_version
        with self._lock:
            known = self._by_version.get(version)
        if known is None:
            known = canonicalize(self.spec, conn)
            with self._lock:
                self._by_version.setdefault(version, known)
        return replace(known, name=namespace)


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True, slots=True)
class TargetVerify:
    """One target's ``fleet verify`` result: ok, drift (with its differences) or failed."""

    target: Target
    state: str
    """ok, drift, failed (or skipped)."""
    differences: tuple[str, ...] = ()
    error: str | None = None
    duration_ms: int = 0

    @property
    def failed(self) -> bool:
        """Anything but a clean match."""
        return self.state != "ok"

    def as_json(self) -> dict[str, Any]:
        """The result as ``fleet verify --json`` prints it."""
        return {
            "target": self.target.label,
            "schema": self.target.schema,
            "state": self.state,
            "differences": list(self.differences),
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


def _inspect(target: Target, connect_timeout: int) -> tuple[Schema, int, psycopg.Connection[Any]]:
    from pgwarden.introspect import inspect_schema

    conn = connect(with_timeout(target.url, connect_timeout))
    try:
        return inspect_schema(conn, target.schema), conn.info.server_version, conn
    except BaseException:
        conn.close()
        raise


def verify_one(target: Target, specs: CanonicalSpecs, connect_timeout: int) -> TargetVerify:
    """Compare one target with the spec (never raises: a failure is a state)."""
    from pgwarden.introspect import schema_diff

    began = time.monotonic()
    try:
        actual, _version, conn = _inspect(target, connect_timeout)
        with conn:
            expected = specs.for_connection(conn, target.schema)
        diffs = tuple(d.render() for d in schema_diff(expected, actual))
    except Exception as exc:
        return TargetVerify(target, "failed", error=error_text(exc), duration_ms=_ms(began))
    return TargetVerify(target, "drift" if diffs else "ok", diffs, duration_ms=_ms(began))


def fleet_verify(
    targets: Sequence[Target],
    spec: Schema,
    *,
    parallel: int,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    on_done: Callable[[int, TargetVerify], None] | None = None,
) -> Outcome[TargetVerify]:
    """Every target compared with the spec, ``parallel`` at a time."""
    specs = CanonicalSpecs(spec)
    return run_pool(
        targets,
        lambda t, _phase: verify_one(t, specs, connect_timeout),
        plan=Plan(parallel=parallel, max_failures=None),
        failed=lambda r: r.failed,
        skipped=lambda t, _p, why: TargetVerify(t, "skipped", error=why),
        on_done=on_done,
    )


# --------------------------------------------------------------------------- drift


def fingerprint(schema: Schema) -> str:
    """A short hash of an inspected schema, independent of its namespace's name (tenants
    of one layout share it)."""
    from pgwarden.spec.dump import dump_schema

    text = dump_schema(replace(schema, name="public").normalized())
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Inspected:
    """One target as ``fleet drift`` saw it: a fingerprint of its schema, or the error."""

    target: Target
    fingerprint: str | None
    server_version: int | None = None
    differences: tuple[str, ...] | None = None
    """Against the spec; computed for one member per fingerprint, then shared."""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DriftGroup:
    """Targets whose schemas are identical, and how that schema differs from the spec."""

    fingerprint: str
    targets: tuple[Target, ...]
    server_versions: tuple[int, ...]
    differences: tuple[str, ...]
    """How this layout differs from the spec (empty: it matches)."""

    @property
    def matches_spec(self) -> bool:
        """The group's schema is the spec's."""
        return not self.differences

    def as_json(self) -> dict[str, Any]:
        """The group as ``fleet drift --json`` prints it."""
        return {
            "fingerprint": self.fingerprint,
            "matches_spec": self.matches_spec,
            "count": len(self.targets),
            "targets": [t.label for t in self.targets],
            "server_versions": list(self.server_versions),
            "differences": list(self.differences),
        }


@dataclass(frozen=True, slots=True)
class DriftReport:
    """What ``fleet drift`` found: groups of identical schemas, and the targets it could not
    read."""

    groups: tuple[DriftGroup, ...]
    """Largest first."""
    failed: tuple[Inspected, ...]
    seconds: float
    interrupted: bool = False

    @property
    def clean(self) -> bool:
        """Every target read, and every one matches the spec."""
        return not self.failed and all(g.matches_spec for g in self.groups)

    def as_json(self) -> dict[str, Any]:
        """The report as ``fleet drift --json`` prints it."""
        return {
            "groups": [g.as_json() for g in self.groups],
            "failed": [{"target": i.target.label, "error": i.error} for i in self.failed],
            "clean": self.clean,
            "seconds": round(self.seconds, 3),
        }


class _Differ:
    """Diff against the spec once per (fingerprint, server version)."""

    def __init__(self, specs: CanonicalSpecs) -> None:
        self.specs = specs
        self._known: dict[tuple[str, int], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def differences(
        self, key: tuple[str, int], conn: psycopg.Connection[Any], actual: Schema, target: Target
    ) -> tuple[str, ...]:
        from pgwarden.introspect import schema_diff

        with self._lock:
            if key in self._known:
                return self._known[key]
        expected = self.specs.for_connection(conn, target.schema)
        diffs = tuple(d.render() for d in schema_diff(expected, actual))
        with self._lock:
            self._known.setdefault(key, diffs)
        return diffs


def inspect_one(target: Target, differ: _Differ, connect_timeout: int) -> Inspected:
    """Introspect one target and fingerprint its schema (never raises: a failure is kept)."""
    try:
        actual, version, conn = _inspect(target, connect_timeout)
        with conn:
            mark = fingerprint(actual)
            diffs = differ.differences((mark, version), conn, actual, target)
    except Exception as exc:
        return Inspected(target, None, error=error_text(exc))
    return Inspected(target, mark, version, diffs)


def fleet_drift(
    targets: Sequence[Target],
    spec: Schema,
    *,
    parallel: int,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    on_done: Callable[[int, Inspected], None] | None = None,
) -> DriftReport:
    """Inspect every target once (``parallel`` at a time) and group them by fingerprint."""
    differ = _Differ(CanonicalSpecs(spec))

    def work(t: Target, _phase: Phase) -> Inspected:
        return inspect_one(t, differ, connect_timeout)

    outcome = run_pool(
        targets,
        work,
        plan=Plan(parallel=parallel, max_failures=None),
        failed=lambda r: r.fingerprint is None,
        skipped=lambda t, _p, why: Inspected(t, None, error=why),
        on_done=on_done,
    )
    members: dict[str, list[Inspected]] = {}
    for item in outcome.results:
        if item.fingerprint is not None:
            members.setdefault(item.fingerprint, []).append(item)
    groups = [
        DriftGroup(
            mark,
            tuple(i.target for i in items),
            tuple(sorted({i.server_version for i in items if i.server_version is not None})),
            # one member's diff stands for the group (same layout, same server prints)
            next((i.differences for i in items if i.differences), ()) or (),
        )
        for mark, items in members.items()
    ]
    groups.sort(key=lambda g: (-len(g.targets), g.fingerprint))
    failed = tuple(i for i in outcome.results if i.fingerprint is None)
    return DriftReport(tuple(groups), failed, outcome.seconds, outcome.interrupted)
