"""The server proof ``validate``, ``sql``, ``generate``, ``docs`` and ``migrate new``
run before they trust a spec (``pgwarden.apply.proof``), cached by the spec.

The cache key is the DDL the spec renders to (so any change that matters
changes it), the pgwarden version and the server it was proved on (a hash of
the URL: never the URL itself, which may hold a password). A proof is cached
only when it passed; a spec with problems is proved again each time.
``PGWARDEN_OFFLINE=1`` (or ``validate --offline``) skips the proof.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pgwarden.cli.context import Context
from pgwarden.errors import SpecError
from pgwarden.spec.model import Schema

OFFLINE_VARIABLE = "PGWARDEN_OFFLINE"
CACHE_DIR = "proofs"


def offline() -> bool:
    """Whether ``PGWARDEN_OFFLINE`` asks to skip every proof on a server."""
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def prove_spec(ctx: Context, schema: Schema, *, skip: bool = False) -> bool:
    """Raise :class:`SpecError` with every problem the server finds; True when the
    proof ran or was cached, False when skipped (offline)."""
    if skip or offline():
        return False
    import pgwarden
    from pgwarden.render.sql import render_schema

    url = ctx.database_url
    state = _state_dir(ctx, needed=url is None)
    server = url if url is not None else f"embedded:{state.resolve() if state else ''}"
    key = hashlib.sha256(
        "\0".join((pgwarden.__version__, server, render_schema(schema))).encode()
    ).hexdigest()
    marker = state / CACHE_DIR / key if state is not None else None
    if marker is not None and marker.exists():
        return True
    from pgwarden.apply.proof import prove

    problems = prove(schema, ctx.url())
    if problems:
        raise SpecError(problems)
    if marker is None:
        return True  # outside a project with a URL: nowhere to keep the cache
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("proved\n", encoding="utf-8")
    except OSError:
        pass  # a read-only state dir: the next command proves again
    return True


def _state_dir(ctx: Context, *, needed: bool) -> Path | None:
    """The state dir (the embedded server's home and the cache's); None outside a
    project when a URL makes it unnecessary."""
    from pgwarden.cli.project import ProjectError

    try:
        return Path(ctx.state_dir)
    except ProjectError as exc:
        if not needed:
            return None
        raise ProjectError(
            f"{exc}\n  or skip the proof on a server: --offline (validate) or PGWARDEN_OFFLINE=1"
        ) from None
