"""A sampled mutation-testing run (issue 18): mutmut on planner/, render/,
checks/migration_rules.py and generators/accessors.py.

The machine is shared, so the run is capped rather than exhaustive: mutmut generates
every mutant of the modules ``[tool.mutmut] only_mutate`` names, this script draws a
fixed-seed sample of ``--per-group`` mutants from each of the four groups, and mutmut
runs each sampled mutant against only the tests of ``pytest_add_cli_args_test_selection``
that call the mutated function, one child at a time, at the lowest priority. The
score printed at the end is the score of that sample.

    python .ci/mutation.py --per-group 30 --seed 18      # then: mutmut show <name>

Run it from the repository root with the test extras and mutmut installed; set
DATABASE_URL to a running server (the per-mutant children then start no embedded one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

GROUPS = {
    "planner/": "pgwarden.planner.",
    "render/": "pgwarden.render.",
    "checks/migration_rules.py": "pgwarden.checks.migration_rules.",
    "generators/accessors.py": "pgwarden.generators.accessors.",
}


def _mutmut() -> Path:
    return Path(sys.executable).with_name("mutmut")


def _meta() -> dict[str, int | None]:
    """Every generated mutant and its result so far (None: not run)."""
    out: dict[str, int | None] = {}
    for path in sorted(Path("mutants").rglob("*.py.meta")):
        out.update(json.loads(path.read_text())["exit_code_by_key"])
    return out


def _generate() -> list[str]:
    """Let mutmut write the mutants (its own generation step, without running tests)."""
    code = (
        "import os\n"
        "from mutmut.__main__ import copy_src_dir, copy_also_copy_files, setup_source_paths, "
        "create_mutants\n"
        "from mutmut.mutation.trampoline import set_mutant_under_test\n"
        "set_mutant_under_test('mutant_generation')\n"
        "os.makedirs('mutants', exist_ok=True)\n"
        "copy_src_dir(); copy_also_copy_files(); setup_source_paths(); create_mutants(1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return sorted(_meta())


def _group(name: str) -> str | None:
    return next((g for g, prefix in GROUPS.items() if name.startswith(prefix)), None)


def main() -> int:
    """Generate, sample, run, and print the score and the survivors per group."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=30, help="mutants sampled per group")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--report-only", action="store_true", help="print the last results")
    args = parser.parse_args()
    sample_file = Path("mutants") / "sample.json"
    if not args.report_only:
        names = sorted(_meta()) or _generate()
        rng = random.Random(args.seed)
        sample: list[str] = []
        for group in GROUPS:
            members = [n for n in names if _group(n) == group]
            sample += sorted(rng.sample(members, min(args.per_group, len(members))))
            print(f"{group}: {len(members)} mutants generated", flush=True)
        sample_file.write_text(json.dumps(sample, indent=1))
        cmd = ["nice", "-n", "19", str(_mutmut()), "run", "--max-children", "1", *sample]
        subprocess.run(cmd, check=False, env={**os.environ, "HYPOTHESIS_PROFILE": "ci"})
    sample = json.loads(sample_file.read_text())
    results = _meta()
    for group in GROUPS:
        mine = [n for n in sample if _group(n) == group]
        tally = Counter(_status(results.get(n)) for n in mine)
        tested = tally["killed"] + tally["survived"] + tally["no tests"]
        score = 100 * tally["killed"] / tested if tested else 0.0
        print(f"{group}: {score:.0f}% killed of {tested} ({dict(tally)})")
        for n in mine:
            if _status(results.get(n)) in ("survived", "no tests"):
                print(f"  {_status(results.get(n))}: {n}")
    return 0


def _status(code: int | None) -> str:
    """mutmut's verdict; a timeout counts as killed, as in mutmut's own score."""
    from mutmut.stats import status_by_exit_code

    status = str(status_by_exit_code[code])
    return "killed" if status == "timeout" else status


if __name__ == "__main__":
    raise SystemExit(main())
