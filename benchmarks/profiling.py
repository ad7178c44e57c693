"""Profiles of pgwarden's side of the benchmarks (cProfile), for the places
where a target is missed: the functions with the most own time.

    python -m benchmarks.profiling lint accessors introspection planning
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg

from benchmarks.common import REPO, Result, add_common_args, environment, publish, server

TOP = 10


def _short(path: str) -> str:
    for marker in ("site-packages/", "src/", "generated/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return Path(path).name


def hot_spots(fn: Callable[[], object], top: int = TOP) -> tuple[float, list[list[str]]]:
    """(total profiled seconds, rows of function, calls, own time %, cumulative %)."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    rows = []
    for (file, line, name), (_, ncalls, tt, ct, _) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        where = f"{_short(file)}:{line}" if line else file
        rows.append(
            [
                f"`{name}` ({where})",
                str(ncalls),
                f"{100 * tt / total:.1f}%",
                f"{100 * ct / total:.1f}%",
            ]
        )
    return total, rows


HEADER = ["function", "calls", "own time", "cumulative"]


def profile_lint(res: Result, _srv_url: str | None) -> None:
    from benchmarks.lint import corpus
    from pgwarden.checks.engine import lint_sql

    files = corpus(5000)
    lint_sql(files[:2])  # imports and parser warm-up
    total, rows = hot_spots(lambda: lint_sql(files))
    res.add_table(["lint_sql on the 5,000-statement corpus", *HEADER[1:]], rows)
    res.notes.append(f"lint: {total:.2f} s of own time profiled")


def profile_accessors(res: Result, url: str) -> None:
    from benchmarks.accessors import RAW_GET, _package
    from pgwarden.render.sql import render_schema
    from pgwarden.spec.load import load_schema

    pkg = _package()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(render_schema(load_schema(REPO / "schema")))
        conn.execute("INSERT INTO \"User\" (email) SELECT 'u' || g FROM generate_series(1, 2000) g")
        keys = [r[0] for r in conn.execute('SELECT id FROM "User"')]
        db = pkg.Database(conn)
        for k in keys[:50]:
            db.user.get(k)
            conn.execute(RAW_GET, (k,)).fetchone()

        def loop() -> None:
            for k in keys:
                db.user.get(k)

        total, rows = hot_spots(loop)
    res.add_table(["2,000 × `db.user.get(id)`", *HEADER[1:]], rows)
    res.notes.append(f"accessors: {total:.2f} s of own time profiled")


def profile_introspection(res: Result, url: str, tables: int = 1000) -> None:
    from benchmarks.synth import create_schema, synthetic_schema
    from pgwarden.introspect import inspect_schema

    with psycopg.connect(url, autocommit=True) as conn:
        create_schema(conn, synthetic_schema(tables))
        inspect_schema(conn)
        total, rows = hot_spots(lambda: inspect_schema(conn))
    res.add_table([f"inspect_schema, {tables} tables", *HEADER[1:]], rows)
    res.notes.append(
        f"introspection: {total:.2f} s of client time profiled (time waiting for the server "
        "shows as psycopg `wait`)"
    )


def profile_planning(res: Result, _url: str | None, tables: int = 1000) -> None:
    from benchmarks.synth import mutate, synthetic_schema
    from pgwarden.planner import PlanOptions, plan

    a = synthetic_schema(tables)
    b = mutate(a)
    total, rows = hot_spots(lambda: plan(a, b, PlanOptions(allow_destructive=True)))
    res.add_table([f"plan(a, b), {tables} tables", *HEADER[1:]], rows)
    res.notes.append(f"planning: {total:.2f} s profiled")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "which",
        nargs="+",
        choices=["lint", "accessors", "introspection", "planning"],
    )
    p.add_argument("--tables", type=int, default=1000)
    add_common_args(p)
    args = p.parse_args(argv)
    with server(args.database_url) as srv:
        res = Result(
            "profiles",
            "Profiles (cProfile, pgwarden's side)",
            f"python -m benchmarks.profiling {' '.join(args.which)} --tables {args.tables}",
            environment(srv),
        )
        for which in args.which:
            if which == "lint":
                profile_lint(res, None)
            elif which == "planning":
                profile_planning(res, None, args.tables)
            else:
                with srv.database(f"bench_prof_{which}") as url:
                    if which == "accessors":
                        profile_accessors(res, url)
                    else:
                        profile_introspection(res, url, args.tables)
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
