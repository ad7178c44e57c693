"""The shadow check: a migration is proven on a scratch database before it is trusted.

``migrate new`` runs it on the migration it is about to write, ``migrate check``
on every migration of an existing history (CI). In one scratch database, made
fresh on the shadow server and always dropped afterwards, each migration is put
through the cycle a user's database may go through:

1. ``up`` -- applied by the real runner, after the history before it;
2. ``verify up`` -- the database equals the migration's snapshot;
3. ``down`` -- reverted with its down.sql;
4. ``verify down`` -- the database equals the previous snapshot (empty before
   the first migration);
5. ``up again`` -- applied once more, and equal to its snapshot again.

The first failure stops the check with the step and Postgres's error
(:class:`ShadowError`, exit 1). Prisma Migrate's shadow database serves the
same purpose; here the down is exercised too, since a down that fails strands
a user mid-revert.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from psycopg import sql

from pgwarden.apply import files
from pgwarden.apply.files import Migration
from pgwarden.apply.runner import Runner, database_drift
from pgwarden.db import connect, mask_dsn, mask_secrets, with_dbname
from pgwarden.errors import DatabaseError, PgwardenError, RefusedError
from pgwarden.spec.model import Schema

SHADOW_ENV = "PGWARDEN_SHADOW_DATABASE_URL"
"""The environment variable naming the shadow server (like ``--shadow-database-url``)."""

SCRATCH_PREFIX = "pgwarden_shadow_"
STEPS = ("up", "verify up", "down", "verify down", "up again")


class ShadowError(RefusedError):
    """A migration failed a step of the shadow check."""

    def __init__(self, migration: str, step: str, detail: str) -> None:
        self.migration = migration
        self.step = step
        self.detail = detail
        super().__init__(f'{migration} failed the shadow check at step "{step}":\n{detail}')

    def with_fix(self, fix: str) -> ShadowError:
        """The same failure, with the advice of the command that ran the check."""
        error = ShadowError(self.migration, self.step, self.detail)
        error.args = (f"{self}\n  fix: {fix}",)
        return error


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh empty database on the server of ``server_url``; dropped afterwards,
    whatever happened (``WITH (FORCE)`` ends connections a failure left open)."""
    # the pid says which process made it, should one ever outlive a kill -9
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    ident = sql.Identifier(name)
    with connect(server_url) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(ident))
        except Exception as exc:
            raise DatabaseError(
                f"cannot create a shadow database on {mask_dsn(server_url)}: "
                f"{mask_secrets(str(exc)).strip()}\n"
                "  fix: pass --shadow-database-url (or $PGWARDEN_SHADOW_DATABASE_URL) naming a "
                "server where this role may CREATE DATABASE, or --no-check to skip the proof"
            ) from None
    try:
        yield with_dbname(server_url, name)
    finally:
        with connect(server_url) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def in_memory(
    directory: Path, version: int, slug: str, up: str, down: str, snapshot: str
) -> Migration:
    """A migration not written yet (what ``migrate new`` is about to write)."""
    name = f"{version:04d}_{slug}"
    path = directory / name
    digest = hashlib.sha256("\0".join((up, down, snapshot)).encode()).hexdigest()
    return Migration(
        version,
        name,
        path,
        files.parse_script(up, str(path / files.UP)),
        files.parse_script(down, str(path / files.DOWN)),
        snapshot,
        digest,
    )


@dataclass(frozen=True, slots=True)
class Report:
    """What one check proved: per migration, the steps it passed and those it skipped."""

    lines: tuple[str, ...]


def prove(
    server_url: str,
    migrations: Sequence[Migration],
    *,
    first: int = 0,
    namespace: str | None = None,
    echo: Callable[[str], None] | None = None,
) -> Report:
    """Replay ``migrations[:first]`` and put each of ``migrations[first:]`` through the
    cycle, in one scratch database on ``server_url``. Raises :class:`ShadowError`.

    ``namespace``: where the migrations run (``--pg-schema``); default the
    snapshots' own."""
    say = echo or (lambda _m: None)
    lines: list[str] = []
    snapshots = [_snapshot(m) for m in migrations]
    if namespace is None:
        namespace = next((s.name for s in reversed(snapshots) if s is not None), "public")
    snapshots = [None if s is None else _named(s, namespace) for s in snapshots]
    with scratch_database(server_url) as url:
        runner = Runner(url, migrations, schema=namespace)
        if first:
            last = migrations[first - 1]
            _run(last, "replay history", lambda: runner.apply(last.version))
        for index in range(first, len(migrations)):
            mig = migrations[index]
            previous = Schema(name=namespace) if index == 0 else snapshots[index - 1]
            line = _cycle(url, runner, mig, snapshots[index], previous)
            lines.append(line)
            say(line)
    return Report(tuple(lines))


def _cycle(
    url: str, runner: Runner, mig: Migration, snapshot: Schema | None, previous: Schema | None
) -> str:
    skipped: list[str] = []
    _run(mig, "up", lambda: runner.apply(mig.version))
    if snapshot is None:
        skipped.append("verify (no snapshot.toml)")
    else:
        _verify(url, mig, "verify up", snapshot)
    if mig.down is None:
        skipped.append("down (no down.sql)")
    else:
        _run(mig, "down", lambda: runner.down())
        if previous is None:
            skipped.append("verify down (the previous migration has no snapshot.toml)")
        else:
            _verify(url, mig, "verify down", previous)
        _run(mig, "up again", lambda: runner.apply(mig.version))
        if snapshot is not None:
            _verify(url, mig, "up again", snapshot)
    done = "up, down, up" if mig.down is not None else "up"
    return f"{mig.name}: ok ({done})" + (f"; not checked: {', '.join(skipped)}" if skipped else "")


def _run(mig: Migration, step: str, action: Callable[[], object]) -> None:
    try:
        action()
    except PgwardenError as exc:
        raise ShadowError(mig.name, step, _detail(str(exc))) from None


def _verify(url: str, mig: Migration, step: str, expected: Schema) -> None:
    try:
        with connect(url) as conn:
            drift = database_drift(conn, expected)
    except PgwardenError as exc:
        raise ShadowError(mig.name, step, _detail(str(exc))) from None
    if drift:
        wanted = "its snapshot" if step != "verify down" else "the previous snapshot"
        raise ShadowError(
            mig.name,
            step,
            f"  the database does not equal {wanted}:\n    " + "\n    ".join(drift),
        )


def _detail(message: str) -> str:
    """A runner error's text, indented, without its ``fix:`` advice: that speaks of
    a real database ("rerun to resume"), and this one is thrown away."""
    kept = [line for line in message.splitlines() if not line.lstrip().startswith("fix:")]
    return "\n".join(f"  {line}" for line in kept)


def _snapshot(mig: Migration) -> Schema | None:
    from pgwarden.spec.load import load_schema_text

    if mig.snapshot is None:
        return None
    return load_schema_text(mig.snapshot, str(mig.path / files.SNAPSHOT))


def _named(schema: Schema, namespace: str) -> Schema:
    return schema if schema.name == namespace else replace(schema, name=namespace)
