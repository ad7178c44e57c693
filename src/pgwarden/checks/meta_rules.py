"""Findings the lint runner makes itself: unreadable input and suppression hygiene."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.checks.registry import Finding, check


@check(id="unparsable-statement", family="migration", severity="error")
def unparsable_statement(*_: object) -> Iterator[Finding]:
    """A SQL statement Postgres's parser cannot read (reported by the migration runner)."""
    yield from ()


@check(id="unparsable-python", family="access", severity="error")
def unparsable_python(*_: object) -> Iterator[Finding]:
    """A Python file ``ast`` cannot parse (reported by the access runner)."""
    yield from ()


@check(id="invalid-suppression", family="meta", severity="error")
def invalid_suppression(*_: object) -> Iterator[Finding]:
    """A suppression without a reason or naming an unknown rule."""
    yield from ()


@check(id="unused-suppression", family="meta", severity="warning")
def unused_suppression(*_: object) -> Iterator[Finding]:
    """A suppression that matched no finding: remove it."""
    yield from ()
