"""Question 9: a fleet of databases — ``pgwarden fleet apply`` vs a shell loop of
``pgwarden migrate apply`` per database, on the whole command (process start-up,
connections, locks, history), in one run on one server.

Two scenarios per tool, each on its own set of N databases that start at 0001:
"one migration" (0002: a column and a concurrent index, to every database) and then
"nothing to apply" (the same command again). Also: the cost per idle target.

    python -m benchmarks.fleet --databases 200
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg

from benchmarks.common import Result, add_common_args, environment, fmt_s, publish, server
from pgwarden.apply import files

PGWARDEN = [sys.executable, "-m", "pgwarden"]

M1 = """-- pgwarden:step atomic=true description="create account"
CREATE TABLE "account" (id bigint PRIMARY KEY, email text NOT NULL);
"""
M2 = """-- pgwarden:step atomic=true description="add account.plan"
ALTER TABLE "account" ADD COLUMN plan text;
-- pgwarden:step atomic=false description="index account.plan"
CREATE INDEX CONCURRENTLY "account_plan_idx" ON "account" (plan);
"""


def write_migrations(root: Path) -> Path:
    directory = root / "migrations"
    for name, up in (("0001_account", M1), ("0002_plan", M2)):
        (directory / name).mkdir(parents=True)
        (directory / name / files.UP).write_text(up, encoding="utf-8")
    files.write_sum(directory)
    return directory


def run(cmd: list[str], cwd: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd[:6])}... failed:\n{done.stdout}\n{done.stderr}")
    return took


def fleet_cmd(targets: Path, migrations: Path, parallel: int, *extra: str) -> list[str]:
    return [
        *PGWARDEN,
        "fleet",
        "apply",
        "--targets",
        str(targets),
        "--dir",
        str(migrations),
        "--parallel",
        str(parallel),
        *extra,
    ]


def loop_cmd(targets: Path, migrations: Path) -> list[str]:
    pgwarden = shlex.join(PGWARDEN)
    script = (
        f'while read -r url; do {pgwarden} --database-url "$url" migrate --dir '
        f"{shlex.quote(str(migrations))} apply >/dev/null || exit 1;"
        f" done < {shlex.quote(str(targets))}"
    )
    return ["bash", "-c", script]


def at_version(urls: list[str], version: int) -> bool:
    for url in urls:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT max(version) FROM pgwarden.migrations").fetchone()
            if row is None or row[0] != version:
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--databases", type=int, default=200, help="databases per tool")
    p.add_argument("--parallel", type=int, default=8, help="pgwarden fleet --parallel")
    add_common_args(p)
    args = p.parse_args(argv)
    n = args.databases
    with server(args.database_url) as srv, ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-fleet-")))
        migrations = write_migrations(root)
        sets: dict[str, list[str]] = {}
        lists: dict[str, Path] = {}
        for tool in ("fleet", "loop"):
            sets[tool] = [
                stack.enter_context(srv.database(f"bench_fleet_{tool}")) for _ in range(n)
            ]
            lists[tool] = root / f"{tool}.txt"
            lists[tool].write_text("".join(u + "\n" for u in sets[tool]), encoding="utf-8")
            # every database starts at 0001 (untimed)
            run(fleet_cmd(lists[tool], migrations, args.parallel, "--to", "1"), root)
        times: dict[tuple[str, str], float] = {}
        for scenario in ("one migration", "nothing to apply"):
            times[("fleet", scenario)] = run(
                fleet_cmd(lists["fleet"], migrations, args.parallel), root
            )
            times[("loop", scenario)] = run(loop_cmd(lists["loop"], migrations), root)
        assert at_version(sets["fleet"], 2) and at_version(sets["loop"], 2)
        # start-up alone (one process that only prints its version), to separate it out
        startup = min(run([*PGWARDEN, "--version"], root) for _ in range(3))

        res = Result(
            "fleet",
            "9. Fleet rollout",
            f"python -m benchmarks.fleet --databases {n} --parallel {args.parallel}",
            environment(srv),
        )
        rows = []
        for scenario in ("one migration", "nothing to apply"):
            ours, loop = times[("fleet", scenario)], times[("loop", scenario)]
            rows.append(
                [
                    scenario,
                    str(n),
                    fmt_s(ours),
                    fmt_s(loop),
                    f"{loop / ours:.1f}x",
                    fmt_s(ours / n),
                    fmt_s(loop / n),
                ]
            )
        res.add_table(
            [
                "scenario",
                "databases",
                f"pgwarden fleet apply (--parallel {args.parallel})",
                "shell loop of `pgwarden migrate apply`",
                "loop / fleet",
                "fleet per target",
                "loop per target",
            ],
            rows,
        )
        idle = times[("fleet", "nothing to apply")]
        res.notes += [
            f"Cost per idle target in the fleet: {fmt_s(max(idle - startup, 0.0) / n)} of wall "
            f"time once the one Python start-up ({fmt_s(startup)} for `pgwarden --version`) "
            "is taken out; one query (`SELECT version, name, checksum, status FROM "
            "pgwarden.migrations`) after connecting.",
            f"The loop pays a Python start-up per database ({fmt_s(startup)} each) plus "
            "`migrate apply`'s lock, `CREATE ... IF NOT EXISTS` and history read.",
            "Each tool has its own set of databases, both starting at 0001; both end at 0002 "
            "(checked).",
        ]
        publish(res, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
