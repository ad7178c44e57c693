"""Question 1: introspection — pgwarden's ``inspect_schema`` vs SQLAlchemy
reflection (``MetaData.reflect``), Alembic autogenerate's reflection
(``compare_metadata``) and migra's (``schemainspect.get_inspector``) on the same
synthetic databases: median wall time and statements counted at the server.

    python -m benchmarks.introspection --tables 100 1000
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable

import psycopg

from benchmarks.common import (
    Result,
    Server,
    StatementCounter,
    add_common_args,
    environment,
    fmt_s,
    median,
    publish,
    ratio,
    server,
    wall_times,
)
from benchmarks.synth import create_schema, synthetic_schema
from pgwarden.introspect import inspect_schema

_OPTS = "-c log_statement=all"


def _pgwarden(url: str) -> Callable[[], tuple[int, int]]:
    def run() -> tuple[int, int]:
        with psycopg.connect(url, autocommit=True, options=_OPTS) as conn:
            pid = conn.info.backend_pid
            s = inspect_schema(conn)
        return pid, len(s.tables)

    return run


def _sqlalchemy(url: str) -> Callable[[], tuple[int, int]]:
    import sqlalchemy as sa

    def run() -> tuple[int, int]:
        eng = sa.create_engine(
            "postgresql+psycopg://",
            creator=lambda: psycopg.connect(url, options=_OPTS),
            poolclass=sa.pool.NullPool,
        )
        with eng.connect() as conn:
            pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            md = sa.MetaData()
            md.reflect(conn)
        eng.dispose()
        return pid, len(md.tables)

    return run


def _alembic(url: str) -> Callable[[], tuple[int, int]]:
    """What ``alembic revision --autogenerate`` reads: compare_metadata against a
    model equal to the database (so the diff is empty and only reading is timed)."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    target = sa.MetaData()
    plain = sa.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(url), poolclass=sa.pool.NullPool
    )
    with plain.connect() as conn:
        target.reflect(conn)
    plain.dispose()

    def run() -> tuple[int, int]:
        eng = sa.create_engine(
            "postgresql+psycopg://",
            creator=lambda: psycopg.connect(url, options=_OPTS),
            poolclass=sa.pool.NullPool,
        )
        with eng.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # alembic warns on expression indexes it skips
            pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            mc = MigrationContext.configure(conn)
            diffs = compare_metadata(mc, target)
        eng.dispose()
        return pid, len(diffs)

    return run


def _migra(url: str) -> Callable[[], tuple[int, int]]:
    """One side of ``migra``: schemainspect reads one database (migra reads two)."""
    import psycopg2  # type: ignore[import-untyped]
    import sqlalchemy as sa
    from schemainspect import get_inspector  # type: ignore[import-untyped]

    def run() -> tuple[int, int]:
        eng = sa.create_engine(
            "postgresql+psycopg2://",
            creator=lambda: psycopg2.connect(url, options=_OPTS),
            poolclass=sa.pool.NullPool,
        )
        with eng.connect() as conn:
            pid = conn.connection.dbapi_connection.get_backend_pid()  # type: ignore[union-attr]
            i = get_inspector(conn)
        eng.dispose()
        return pid, len(i.tables)

    return run


TOOLS: dict[str, Callable[[str], Callable[[], tuple[int, int]]]] = {
    "pgwarden": _pgwarden,
    "sqlalchemy": _sqlalchemy,
    "alembic": _alembic,
    "migra": _migra,
}
LABELS = {
    "pgwarden": "pgwarden inspect_schema",
    "sqlalchemy": "SQLAlchemy MetaData.reflect",
    "alembic": "Alembic autogenerate compare_metadata",
    "migra": "migra (schemainspect, one database)",
}


def _available(tool: str) -> str | None:
    """None when the peer can run; else why not."""
    mods = {
        "sqlalchemy": ["sqlalchemy"],
        "alembic": ["sqlalchemy", "alembic"],
        "migra": ["sqlalchemy", "psycopg2", "schemainspect", "migra"],
    }.get(tool, [])
    for m in mods:
        try:
            __import__(m)
        except ImportError as exc:
            return f"{m} is not importable ({exc}); pip install -e '.[bench]'"
    return None


def measure(
    srv: Server, n: int, tools: list[str], repeat: int
) -> dict[str, tuple[float | None, int | None, str]]:
    """{tool: (median seconds, statements, note)} on a fresh n-table database."""
    out: dict[str, tuple[float | None, int | None, str]] = {}
    with srv.database("bench_inspect") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            create_schema(conn, synthetic_schema(n))
            conn.execute("ANALYZE")
        for tool in tools:
            why = _available(tool)
            if why:
                out[tool] = (None, None, why)
                continue
            fn = TOOLS[tool](url)
            fn()  # warm the server's catalog caches and the library's imports
            counter = StatementCounter(srv.log)
            pid, found = fn()
            statements = counter.count({pid})
            times = wall_times(fn, repeat)
            note = f"{found} tables" if tool != "alembic" else f"{found} differences"
            out[tool] = (median(times), statements, note)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tables", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    add_common_args(p)
    args = p.parse_args(argv)
    tools = ["pgwarden", *[t for t in args.tools if t != "pgwarden"]]
    with server(args.database_url) as srv:
        res = Result(
            "introspection",
            "1. Introspection",
            "python -m benchmarks.introspection --tables "
            + " ".join(map(str, args.tables))
            + f" --repeat {args.repeat}",
            environment(
                srv, ["sqlalchemy", "alembic", "migra", "schemainspect", "psycopg2-binary"]
            ),
        )
        rows: list[list[str]] = []
        for n in args.tables:
            got = measure(srv, n, tools, args.repeat)
            ours_t, ours_q, _ = got["pgwarden"]
            for tool in tools:
                t, q, note = got[tool]
                rows.append(
                    [
                        str(n),
                        LABELS[tool],
                        fmt_s(t),
                        "n/a" if q is None else str(q),
                        "—" if tool == "pgwarden" else ratio(ours_t, t),
                        "—" if tool == "pgwarden" else ratio(ours_q, q),
                        note,
                    ]
                )
        res.add_table(
            [
                "tables",
                "tool",
                "median wall time",
                "statements (server log)",
                "time ratio pgwarden/peer",
                "statements ratio",
                "read",
            ],
            rows,
        )
        if srv.log is None:
            res.notes.append(
                "statements: n/a — the server log is not readable here (use the embedded server)"
            )
        res.notes.append(
            f"median of {args.repeat} runs after one warm-up; each run opens its own connection "
            "(connection setup included for every tool)"
        )
        res.notes.append(
            "SQLAlchemy: MetaData.reflect() (psycopg 3); Alembic: "
            "autogenerate.compare_metadata() against a model reflected from the same database, "
            "so the diff is empty and only reading and comparing is timed; migra: "
            "schemainspect.get_inspector() on one database (psycopg2) — migra reads two"
        )
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
