"""Question 2: planning — CPU time and peak memory of ``plan(a, b)`` (and of
rendering the plan) for N tables of ten columns where ``b`` changes 10% of the
tables of ``a``; and what ``pgwarden migrate`` pays end to end: loading both specs
from their TOML files, then planning (issue 15: <= 0.5 s wall at 1,000 tables,
linear up to 10,000). The curve is a table and a PNG next to the doc. Pure
Python, no database.

    python -m benchmarks.planning --tables 100 1000 10000
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

from benchmarks.common import Panel, Result, add_common_args, environment, fmt_s, median, publish
from benchmarks.synth import changed_tables, mutate, synthetic_schema
from pgwarden.planner import Plan, PlanOptions, plan
from pgwarden.render.sql import render_plan
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema
from pgwarden.spec.model import Schema

TARGET_S = 1.0
#: Issue 15: load both specs and plan, 1,000 tables, 10% changed, in <= 0.5 s wall.
TARGET_END_TO_END_S = 0.5


def wall_cpu(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return median(walls), median(cpus)


def _load_and_plan(a: Path, b: Path, opts: PlanOptions) -> Plan:
    return plan(load_schema(a), load_schema(b), opts)


def cpu_times(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        gc.collect()
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return out


def peak_memory(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _plan_into(out: list[Plan], a: Schema, b: Schema, opts: PlanOptions) -> None:
    out.append(plan(a, b, opts))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tables", type=int, nargs="+", default=[1000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--fraction", type=float, default=0.1)
    add_common_args(p)
    args = p.parse_args(argv)
    opts = PlanOptions(allow_destructive=True)
    res = Result(
        "planning",
        "2. Planning",
        "python -m benchmarks.planning --tables "
        + " ".join(map(str, args.tables))
        + f" --repeat {args.repeat}",
        environment(None),
    )
    rows: list[list[str]] = []
    e2e_rows: list[list[str]] = []
    curve: dict[int, tuple[float, float, float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="pgwarden-bench-plan-") as tmp:
        for n in args.tables:
            a = synthetic_schema(n)
            b = mutate(a, args.fraction)
            columns = sum(len(t.columns) for t in a.tables)
            result: list[Plan] = []
            times = cpu_times(partial(_plan_into, result, a, b, opts), args.repeat)
            the_plan = result[-1]
            render_times = cpu_times(partial(render_plan, the_plan), args.repeat)
            steps = render_plan(the_plan)
            peak = peak_memory(partial(plan, a, b, opts))
            t = median(times)
            rows.append(
                [
                    str(n),
                    str(columns),
                    str(changed_tables(a, b)),
                    str(len(the_plan)),
                    str(len(steps)),
                    fmt_s(t),
                    fmt_s(median(render_times)),
                    f"{peak / 2**20:.1f} MiB",
                    f"{t / TARGET_S:.2f}",
                ]
            )
            spec_a, spec_b = Path(tmp, f"a{n}.toml"), Path(tmp, f"b{n}.toml")
            spec_a.write_text(dump_schema(a))
            spec_b.write_text(dump_schema(b))
            loaded = _load_and_plan(spec_a, spec_b, opts)
            assert len(loaded) == len(the_plan), (len(loaded), len(the_plan))
            load_wall, load_cpu = wall_cpu(
                partial(lambda p, q: (load_schema(p), load_schema(q)), spec_a, spec_b),
                args.repeat,
            )
            wall, cpu = wall_cpu(partial(_load_and_plan, spec_a, spec_b, opts), args.repeat)
            e2e_peak = peak_memory(partial(_load_and_plan, spec_a, spec_b, opts))
            curve[n] = (wall, cpu, t, e2e_peak)
            e2e_rows.append(
                [
                    str(n),
                    fmt_s(load_wall),
                    fmt_s(load_cpu),
                    fmt_s(wall),
                    fmt_s(cpu),
                    f"{e2e_peak / 2**20:.1f} MiB",
                ]
            )
    res.add_table(
        [
            "tables",
            "columns",
            "tables changed",
            "ops",
            "SQL steps",
            "plan() CPU (median)",
            "render_plan() CPU",
            "plan() peak memory (tracemalloc)",
            "plan CPU / 1 s target",
        ],
        rows,
    )
    res.add_table(
        [
            "tables",
            "load both specs, wall",
            "load both specs, CPU",
            "load both + plan, wall",
            "load both + plan, CPU",
            "peak memory (tracemalloc)",
        ],
        e2e_rows,
    )
    sizes = sorted(curve)
    base = curve[sizes[0]][1] / sizes[0]
    res.add_table(
        ["tables", "load + plan CPU per table", "per table vs smallest (linear: ~1)"],
        [[str(n), fmt_s(curve[n][1] / n), f"{curve[n][1] / n / base:.2f}"] for n in sizes],
    )
    verdicts = []
    n = 1000 if 1000 in curve else sizes[-1]
    wall, cpu, _, _ = curve[n]
    verdicts.append(
        [
            f"load both specs + plan, {n} tables, {args.fraction:.0%} changed",
            f"≤ {fmt_s(TARGET_END_TO_END_S)} wall",
            f"{fmt_s(wall)} wall, {fmt_s(cpu)} CPU",
            "met" if wall <= TARGET_END_TO_END_S else "missed",
        ]
    )
    if len(sizes) > 1:
        growth = (curve[sizes[-1]][1] / sizes[-1]) / base
        verdicts.append(
            [
                f"linear up to {sizes[-1]} tables",
                "CPU per table ≤ 1.5x the smallest size's",
                f"{growth:.2f}x",
                "met" if growth <= 1.5 else "missed",
            ]
        )
    res.add_table(["target (issue 15)", "wanted", "measured (this run)", "verdict"], verdicts)
    res.add_plot(
        Panel(
            "CPU time",
            "tables",
            "seconds",
            {
                "load both specs + plan": [(n, curve[n][1]) for n in sizes],
                "plan() alone": [(n, curve[n][2]) for n in sizes],
            },
        )
    )
    res.add_plot(
        Panel(
            "peak Python memory, load + plan",
            "tables",
            "MiB",
            {"load both specs + plan": [(n, curve[n][3] / 2**20) for n in sizes]},
        )
    )
    res.notes.append(
        f"CPU time (time.process_time) median of {args.repeat}; peak memory is a separate "
        "run under tracemalloc (which slows it down), counting Python allocations only"
    )
    res.notes.append(
        "changes cycle through: add column, drop column, type change, add index, "
        "change CHECK, drop FK, SET NOT NULL, add default"
    )
    res.notes.append(
        "load both specs: each schema dumped to one TOML file (`dump_schema`) and read back "
        "with `load_schema`, as `pgwarden migrate` reads the spec"
    )
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
