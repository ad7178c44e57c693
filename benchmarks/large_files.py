"""Question 8: does lint stay linear in the size of one file? ``pgwarden lint`` and
``squawk`` on one generated SQL file of 1, 8 and 50 MB (each a new process), wall
and CPU seconds per MB and peak memory. Before the line index, locating each
statement counted newlines from the file's start: 2 MB took 37 s, 50 MB never
finished (issue 20). No database.

    python -m benchmarks.large_files --mb 1 8 50
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Result, add_common_args, environment, fmt_s, publish, squawk_exe

#: the issue's reproduction: one short INSERT per line
LINE = "INSERT INTO t VALUES (1);\n"


def write_file(path: Path, megabytes: float) -> int:
    """A file of ``megabytes`` MB of :data:`LINE`; returns its size in bytes."""
    count = int(megabytes * 1_000_000) // len(LINE)
    with path.open("w", encoding="utf-8") as fh:
        block = LINE * 10_000
        for _ in range(count // 10_000):
            fh.write(block)
        fh.write(LINE * (count % 10_000))
    return path.stat().st_size


def _child(cmd: list[str]) -> tuple[float, float, float]:
    """Wall, CPU and peak RSS of ``cmd``, measured in a fresh intermediate process so
    the resource counters belong to this command alone."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "w = time.perf_counter() - t\n"
        "if p.returncode not in (0, 1):\n"
        "    sys.exit(p.stderr.decode()[:500] or str(p.returncode))\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(w, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {out.stderr.strip()}")
    wall, cpu, rss = (float(x) for x in out.stdout.split())
    return wall, cpu, rss


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--mb", type=float, nargs="+", default=[1, 8, 50])
    add_common_args(p)
    args = p.parse_args(argv)
    sizes = sorted(args.mb)
    squawk = squawk_exe()
    res = Result(
        "large_files",
        "8. Lint of one large file",
        "python -m benchmarks.large_files --mb " + " ".join(f"{m:g}" for m in sizes),
        environment(None, ["squawk"]),
    )
    rows: list[list[str]] = []
    base: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pgwarden-bench-large-") as tmp:
        for mb in sizes:
            path = Path(tmp) / f"big_{mb:g}mb.sql"
            size = write_file(path, mb) / 1_000_000
            tools = [("pgwarden lint", [sys.executable, "-m", "pgwarden", "lint", str(path)])]
            if squawk:
                tools.append(("squawk", [squawk, "--reporter", "json", str(path)]))
            for label, cmd in tools:
                wall, cpu, rss = _child(cmd)
                per_mb = cpu / size
                first = base.setdefault(label, per_mb)
                rows.append(
                    [
                        label,
                        f"{size:.1f}",
                        fmt_s(wall),
                        fmt_s(cpu),
                        fmt_s(per_mb),
                        f"{per_mb / first:.2f}",
                        f"{rss:.0f}",
                    ]
                )
            path.unlink()
    res.add_table(
        [
            "tool",
            "file MB",
            "wall time",
            "CPU time",
            "CPU s / MB",
            "per MB vs smallest file (target ≤ 2)",
            "peak RSS MB",
        ],
        rows,
    )
    res.notes.append(
        f"each file is `{LINE.strip()}` repeated; every run is a new process (start-up "
        "included); peak RSS is the process's maximum resident set"
    )
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
