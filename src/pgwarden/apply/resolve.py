"""``pgwarden migrate resolve``: the way out of a half-done migration after a hand repair.

A failed non-atomic step leaves a migration ``running`` (half-applied), a failed
down step leaves it ``reverting`` (half-reverted). When rerunning ``apply`` or
``down`` cannot finish it (the statement keeps failing), the user repairs the
database by hand and declares where it now is: ``--applied N`` (it matches
migration N's snapshot) or ``--rolled-back N`` (it matches the snapshot before N).
The claim is checked -- the live namespace against that snapshot, and no INVALID
index or NOT VALID constraint a failed step left -- and recorded with who made it
and when (``pgwarden.migration_resolutions``), like Prisma's ``migrate resolve``.

Also the one home of the "which command gets out" text every error that leaves a
migration half-done ends with (:func:`way_out`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import psycopg

from pgwarden.apply.files import SNAPSHOT, Migration
from pgwarden.spec.model import Schema

Outcome = Literal["applied", "rolled_back"]
Direction = Literal["up", "down"]


def flag(outcome: Outcome) -> str:
    """The ``migrate resolve`` option that records this outcome."""
    return "--applied" if outcome == "applied" else "--rolled-back"


def way_out(version: int, direction: Direction) -> str:
    """The commands that get a half-applied (``up``) or half-reverted (``down``)
    migration out: rerun the command, or repair by hand and resolve."""
    again = "apply" if direction == "up" else "down"
    return (
        f"fix the cause and rerun `pgwarden migrate {again}` (it resumes after the committed "
        "steps); if it keeps failing, repair the database by hand and run `pgwarden migrate "
        f"resolve --applied {version}` (it now matches this migration's snapshot) or "
        f"`pgwarden migrate resolve --rolled-back {version}` (it matches the one before)"
    )


@dataclass(frozen=True, slots=True)
class Claim:
    """What the database is said to match: a snapshot (None: there is none to check)."""

    expected: Schema | None
    label: str
    """Where the expected state comes from, for messages."""


def claim(
    migrations: Sequence[Migration], mig: Migration, outcome: Outcome, namespace: str
) -> Claim:
    """Migration ``mig``'s snapshot (``applied``) or the one before it (``rolled_back``;
    an empty namespace before the first migration)."""
    from pgwarden.spec.load import load_schema_text

    if outcome == "applied":
        source: Migration | None = mig
    else:
        earlier = [m for m in migrations if m.version < mig.version]
        source = earlier[-1] if earlier else None
        if source is None:
            return Claim(Schema(name=namespace), "an empty namespace (before the first migration)")
    assert source is not None
    label = f"{source.name}/{SNAPSHOT}"
    if source.snapshot is None:
        return Claim(None, label)
    expected = load_schema_text(source.snapshot, str(source.path / SNAPSHOT))
    if namespace != "public" and expected.name != namespace:
        expected = replace(expected, name=namespace)
    return Claim(expected, label)


def unfinished(conn: psycopg.Connection[Any], namespace: str) -> list[str]:
    """What a failed step leaves that the model does not show: INVALID indexes (an
    interrupted CREATE INDEX CONCURRENTLY) and NOT VALID checks or foreign keys."""
    rows = conn.execute(
        "SELECT 'index ' || quote_ident(c.relname) || ' on ' || quote_ident(t.relname)"
        " || ': INVALID (a failed CREATE INDEX CONCURRENTLY); drop it with DROP INDEX"
        " CONCURRENTLY, or rebuild it'"
        " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_catalog.pg_class t ON t.oid = i.indrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND NOT i.indisvalid"
        " UNION ALL SELECT 'constraint ' || quote_ident(k.conname) || ' on '"
        " || quote_ident(t.relname) || ': NOT VALID; run ALTER TABLE ... VALIDATE CONSTRAINT,"
        " or drop it'"
        " FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class t ON t.oid = k.conrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = %s AND NOT k.convalidated ORDER BY 1",
        (namespace, namespace),
    ).fetchall()
    return [str(r[0]) for r in rows]
