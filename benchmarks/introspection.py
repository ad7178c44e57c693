"""Question 1: introspection — pgwarden's ``inspect_schema`` vs SQLAlchemy
reflection (``MetaData.reflect``), Alembic autogenerate's reflection
(``compare_metadata``) and migra's (``schemainspect.get_inspector``) on the same
synthetic databases: median wall time, client CPU time, peak Python memory and
statements counted at the server; the curve over sizes (pgwarden at every size,
the peers up to ``--peers-up-to`` tables) as a table and a PNG next to the doc;
a verdict per issue-15 target.

    python -m benchmarks.introspection --tables 100 1000 10000
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable

import psycopg

from benchmarks.common import (
    Panel,
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


#: Issue 15's targets at 1,000 tables: pgwarden's wall time, and how many times faster
#: than each peer it must be.
TARGET_S = 0.6
TARGET_SPEEDUP = {"migra": 4.5, "sqlalchemy": 6.0}

Measured = tuple[float | None, int | None, str, float | None, int | None]


def _cpu_and_peak(fn: Callable[[], object], repeat: int) -> tuple[float, int]:
    """Median client CPU seconds, then the peak of Python allocations in one more run
    under tracemalloc (which slows it, so it is not timed)."""
    cpus = []
    for _ in range(repeat):
        c = time.process_time()
        fn()
        cpus.append(time.process_time() - c)
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return median(cpus), peak


def measure(srv: Server, n: int, tools: list[str], repeat: int) -> dict[str, Measured]:
    """{tool: (median seconds, statements, note, median client CPU, peak bytes)} on a
    fresh n-table database."""
    out: dict[str, Measured] = {}
    with srv.database("bench_inspect") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            create_schema(conn, synthetic_schema(n))
            conn.execute("ANALYZE")
        for tool in tools:
            why = _available(tool)
            if why:
                out[tool] = (None, None, why, None, None)
                continue
            fn = TOOLS[tool](url)
            fn()  # warm the server's catalog caches and the library's imports
            counter = StatementCounter(srv.log)
            pid, found = fn()
            statements = counter.count({pid})
            times = wall_times(fn, repeat)
            cpu, peak = _cpu_and_peak(fn, repeat)
            note = f"{found} tables" if tool != "alembic" else f"{found} differences"
            out[tool] = (median(times), statements, note, cpu, peak)
    return out


def _mib(b: int | None) -> str:
    return "n/a" if b is None else f"{b / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tables", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    p.add_argument(
        "--peers-up-to",
        type=int,
        default=1000,
        help="measure the peers only up to this many tables (pgwarden at every size)",
    )
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
        curve: dict[int, dict[str, Measured]] = {}
        for n in args.tables:
            peers = [t for t in tools if t == "pgwarden" or n <= args.peers_up_to]
            got = curve[n] = measure(srv, n, peers, args.repeat)
            ours_t, ours_q = got["pgwarden"][0], got["pgwarden"][1]
            for tool in peers:
                t, q, note, cpu, peak = got[tool]
                rows.append(
                    [
                        str(n),
                        LABELS[tool],
                        fmt_s(t),
                        fmt_s(cpu),
                        _mib(peak),
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
                "client CPU",
                "peak Python memory",
                "statements (server log)",
                "time ratio pgwarden/peer",
                "statements ratio",
                "read",
            ],
            rows,
        )
        res.add_table(*_verdicts(curve))
        res.add_table(*_scaling(curve))
        res.add_plot(
            Panel(
                "wall time of one read of the schema",
                "tables",
                "seconds",
                {
                    LABELS[tool]: [
                        (n, got[tool][0] or 0.0) for n, got in curve.items() if tool in got
                    ]
                    for tool in tools
                },
            )
        )
        res.add_plot(
            Panel(
                "peak Python memory (tracemalloc)",
                "tables",
                "MiB",
                {
                    LABELS[tool]: [
                        (n, (got[tool][4] or 0) / 2**20) for n, got in curve.items() if tool in got
                    ]
                    for tool in tools
                },
            )
        )
        if srv.log is None:
            res.notes.append(
                "statements: n/a — the server log is not readable here (use the embedded server)"
            )
        res.notes.append(
            f"median of {args.repeat} runs after one warm-up; each run opens its own connection "
            "(connection setup included for every tool); client CPU is this process's CPU time "
            "(the server's work is not in it), which load on the shared machine inflates far "
            "less than wall time; peak memory: one more run under tracemalloc"
        )
        res.notes.append(
            "SQLAlchemy: MetaData.reflect() (psycopg 3); Alembic: "
            "autogenerate.compare_metadata() against a model reflected from the same database, "
            "so the diff is empty and only reading and comparing is timed; migra: "
            "schemainspect.get_inspector() on one database (psycopg2) — migra reads two"
        )
    publish(res, args)
    return 0


def _verdicts(curve: dict[int, dict[str, Measured]]) -> tuple[list[str], list[list[str]]]:
    rows: list[list[str]] = []
    n = 1000 if 1000 in curve else max(curve)
    got = curve[n]
    ours = got["pgwarden"][0]
    if ours is not None:
        verdict = "met" if ours <= TARGET_S else "missed"
        rows.append(
            [f"pgwarden wall time, {n} tables", f"≤ {fmt_s(TARGET_S)}", fmt_s(ours), verdict]
        )
    for tool, want in TARGET_SPEEDUP.items():
        theirs = got.get(tool, (None,))[0]
        if ours is None or theirs is None:
            continue
        speedup = theirs / ours
        rows.append(
            [
                f"faster than {LABELS[tool]}, {n} tables",
                f"≥ {want}x",
                f"{speedup:.1f}x",
                "met" if speedup >= want else f"missed by {want / speedup:.1f}x",
            ]
        )
    return ["target (issue 15)", "wanted", "measured (this run)", "verdict"], rows


def _scaling(curve: dict[int, dict[str, Measured]]) -> tuple[list[str], list[list[str]]]:
    """pgwarden's time and memory per table at each size, against the smallest size."""
    sizes = sorted(curve)
    base_t = (curve[sizes[0]]["pgwarden"][0] or 0.0) / sizes[0]
    rows = []
    for n in sizes:
        t, _, _, cpu, peak = curve[n]["pgwarden"]
        per = (t or 0.0) / n
        rows.append(
            [
                str(n),
                fmt_s(t),
                fmt_s(per),
                f"{per / base_t:.2f}" if base_t else "n/a",
                fmt_s(cpu),
                _mib(peak),
                "n/a" if peak is None else f"{peak / n / 1024:.1f} KiB",
            ]
        )
    return [
        "tables",
        "pgwarden wall",
        "wall per table",
        "per table vs smallest (linear: ~1)",
        "client CPU",
        "peak memory",
        "memory per table",
    ], rows


if __name__ == "__main__":
    sys.exit(main())
