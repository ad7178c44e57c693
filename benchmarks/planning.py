"""Question 2: planning — CPU time and peak memory of ``plan(a, b)`` (and of
rendering the plan) for N tables of ten columns where ``b`` changes 10% of the
tables of ``a``. Pure Python, no database.

    python -m benchmarks.planning --tables 1000
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

from benchmarks.common import Result, add_common_args, environment, fmt_s, median, publish
from benchmarks.synth import changed_tables, mutate, synthetic_schema
from pgwarden.planner import Plan, PlanOptions, plan
from pgwarden.render.sql import render_plan
from pgwarden.spec.model import Schema

TARGET_S = 1.0


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
    res.notes.append(
        f"CPU time (time.process_time) median of {args.repeat}; peak memory is a separate "
        "run under tracemalloc (which slows it down), counting Python allocations only"
    )
    res.notes.append(
        "changes cycle through: add column, drop column, type change, add index, "
        "change CHECK, drop FK, SET NOT NULL, add default"
    )
    publish(res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
