"""The databases (or tenant schemas) a fleet command runs on, from wherever they are listed.

Four sources, one shape (:class:`Target`):

* a file (``--targets FILE``): one URL or ``env:VAR`` per line, ``#`` comments;
* ``[tool.pgwarden.fleet] targets = [...]`` in pyproject.toml;
* ``[tool.pgwarden.fleet] query = "SELECT url FROM tenants"`` run on a control database;
* ``schemas = "tenant_%"``: every matching schema of one database is a target
  (schema-per-tenant): the spec's objects live in each, each with its own history.

A target's URL is a secret (it may hold a password): it is never printed; what
output shows is :attr:`Target.label` (``env:VAR``, or the URL with the password
masked, or ``database/schema``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from pgwarden import textfile
from pgwarden.apply.history import HISTORY_SCHEMA
from pgwarden.db import connect, mask_dsn, mask_secrets
from pgwarden.errors import PgwardenError
from pgwarden.spec.names import fit

#: Prefix of the schema that holds one tenant's history (``pgwarden_tenant_a``).
TENANT_HISTORY_PREFIX = "pgwarden_"


class TargetError(PgwardenError):
    """A target list is unreadable or names something that does not resolve (exit 2)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One database (or one tenant schema of a database) the fleet governs."""

    label: str
    """What output shows: never holds a password."""
    url: str = field(repr=False)
    schema: str = "public"
    """The namespace the spec's objects live in (a tenant schema, or the default)."""
    history_schema: str = HISTORY_SCHEMA
    """Where this target's migration history lives; its advisory lock derives from it."""


def tenant_history(schema: str) -> str:
    """The history schema of tenant ``schema``: beside it, never inside it, so the
    tenant's namespace holds exactly the spec's objects (verify and drift stay clean)."""
    return fit(TENANT_HISTORY_PREFIX + schema)


# --------------------------------------------------------------------------- entries


def resolve_entry(entry: str, where: str) -> Target:
    """A URL or ``env:VAR`` (from ``where``, e.g. ``targets.txt:3``) as a target."""
    text = entry.strip()
    if text.startswith("env:"):
        var = text[4:].strip()
        if not var:
            raise TargetError(f"{where}: `env:` names no variable\n  fix: write env:VAR_NAME")
        value = os.environ.get(var)
        if not value:
            raise TargetError(
                f"{where}: environment variable {var} is not set (or empty)\n"
                f"  fix: export {var}=postgresql://... or remove the line"
            )
        url, label = value, f"env:{var}"
    else:
        url, label = text, mask_dsn(text)
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise TargetError(
            f"{where}: {label} is not a PostgreSQL URL: {mask_secrets(str(exc)).strip()}\n"
            "  fix: write postgresql://user@host:port/dbname (or key=value pairs)"
        ) from None
    return Target(label=label, url=url)


def _unique(targets: Sequence[tuple[str, Target]]) -> list[Target]:
    seen: dict[tuple[str, str], str] = {}
    for where, t in targets:
        key = (_identity(t.url), t.schema)
        if key in seen:
            raise TargetError(
                f"{where}: {t.label} is listed twice (first at {seen[key]})\n"
                "  fix: remove the duplicate line"
            )
        seen[key] = where
    return [t for _, t in targets]


def _identity(url: str) -> str:
    # the same database spelled twice (URL vs key=value, option order) is one target
    params = psycopg.conninfo.conninfo_to_dict(url)
    return psycopg.conninfo.make_conninfo(
        "", **{k: v for k, v in sorted(params.items()) if k in ("host", "port", "dbname", "user")}
    )


_COMMENT = re.compile(r"(^|\s)#.*$")


def from_file(path: Path) -> list[Target]:
    """One URL or ``env:VAR`` per line; blank lines and ``#`` comments are skipped."""
    text = textfile.read_text(path)  # strict UTF-8, no NUL: errors say file:line
    entries: list[tuple[str, Target]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = _COMMENT.sub("", line).strip()
        if entry:
            where = f"{path}:{number}"
            entries.append((where, resolve_entry(entry, where)))
    if not entries:
        raise TargetError(f"{path}: lists no target\n  fix: one URL or env:VAR per line")
    return _unique(entries)


def from_list(entries: Iterable[Any], where: str) -> list[Target]:
    """``targets = [...]`` of a config (``where`` names it for messages)."""
    resolved: list[tuple[str, Target]] = []
    for index, entry in enumerate(entries):
        spot = f"{where}[{index}]"
        if not isinstance(entry, str):
            raise TargetError(f"{spot}: expected a URL or env:VAR string, got {entry!r}")
        resolved.append((spot, resolve_entry(entry, spot)))
    if not resolved:
        raise TargetError(f"{where}: lists no target")
    return _unique(resolved)


def from_query(control_url: str, query: str, where: str) -> list[Target]:
    """Run ``query`` on the control database; each row's first column is a URL or env:VAR."""
    with connect(control_url) as conn:
        try:
            rows = conn.execute(query.encode()).fetchall()
        except psycopg.Error as exc:
            raise TargetError(
                f"{where}: the target query failed on {mask_dsn(control_url)}: "
                f"{mask_secrets(str(exc)).strip()}\n"
                '  fix: a SELECT returning one URL per row, e.g. "SELECT url FROM tenants"'
            ) from None
    resolved: list[tuple[str, Target]] = []
    for number, row in enumerate(rows, start=1):
        spot = f"{where}: row {number}"
        if not row or not isinstance(row[0], str) or not row[0].strip():
            raise TargetError(f"{spot}: the first column is not a URL (got {row[:1]!r})")
        resolved.append((spot, resolve_entry(row[0], spot)))
    if not resolved:
        raise TargetError(f"{where}: the target query returned no rows")
    return _unique(resolved)


# --------------------------------------------------------------------------- tenants

_TENANT_SCHEMAS = """
SELECT nspname FROM pg_catalog.pg_namespace
WHERE nspname LIKE %s
  AND nspname NOT LIKE 'pg\\_%%' AND nspname <> 'information_schema'
  AND nspname NOT LIKE 'pgwarden%%'
ORDER BY nspname COLLATE "C"
"""


def tenant_schemas(url: str, pattern: str, label: str | None = None) -> list[Target]:
    """Every schema of the database at ``url`` whose name is LIKE ``pattern``.

    System schemas and pgwarden's own (``pgwarden``, ``pgwarden_*`` histories)
    never match, whatever the pattern.
    """
    with connect(url) as conn:
        names = [str(r[0]) for r in conn.execute(_TENANT_SCHEMAS, (pattern,)).fetchall()]
        dbname = conn.info.dbname
    if not names:
        raise TargetError(
            f"no schema of {label or mask_dsn(url)} matches {pattern!r}\n"
            "  fix: create the tenant schemas first (CREATE SCHEMA tenant_1), or correct "
            "the pattern (SQL LIKE: % any characters, _ one character)"
        )
    return [
        Target(label=f"{dbname}/{n}", url=url, schema=n, history_schema=tenant_history(n))
        for n in names
    ]
