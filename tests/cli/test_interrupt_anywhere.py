"""Ctrl-C at any moment after pgwarden's first statement ends in one line and exit 130
(issue 20 item 6): no traceback, no "Exception ignored", however late or early.

A trace function counts events from the moment ``pgwarden.cli`` installed its
start-up handler -- every line of ``pgwarden/cli/__init__.py`` (the entry point,
the error branches, the interrupt report), every function call elsewhere (the
imports, click, the command, the interpreter's exit) -- and sends the process a
SIGINT at the N-th one. A first run counts the events; the trials hit each of
ours and a spread over the others.
What Python runs before that first statement is out of reach (docs/cli.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = r"""
import atexit, importlib.util, json, os, signal, sys
target = int(sys.argv[1])
report = os.environ.get("COUNT_TO")
entry = importlib.util.find_spec("pgwarden.cli").origin
with open(entry, encoding="utf-8") as f:
    installed = next(i for i, line in enumerate(f, 1) if "_interrupted_at_startup)" in line)
count, ours, armed = 0, [], False
def _last():  # registered first, so atexit runs it last
    if report:
        with open(report, "w") as f:
            json.dump({"total": count, "ours": ours}, f)
atexit.register(_last)
def tracer(frame, event, arg):
    # every line of pgwarden/cli/__init__.py, every call elsewhere
    global count, armed
    mine = frame.f_code.co_filename == entry
    if mine and event == "line" and frame.f_lineno > installed:
        armed = True
    if armed and (event == "call" or mine and event == "line"):
        count += 1
        if mine:
            ours.append(count)
        if count == target:
            sys.settrace(None)
            os.kill(os.getpid(), signal.SIGINT)
            return None
    return tracer if mine else None
sys.settrace(tracer)
sys.argv = ["pgwarden", *sys.argv[2:]]
from pgwarden.cli import main
sys.exit(main())
"""

SCENARIOS = {
    "success": ["--version"],
    "bad input": ["--schema", "{bad}", "validate", "--offline"],
    "usage error": ["--no-such-option"],
}
SPREAD = 12  # trials spread over the events outside pgwarden/cli/__init__.py
TAIL = 4  # the interpreter's last calls (atexit), after which no signal handler runs


def _run(
    target: int, args: list[str], cwd: Path, count_to: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGWARDEN_ENV")}
    env["PYTHONHASHSEED"] = "0"  # the same events in the counting run and the trials
    if count_to is not None:
        env["COUNT_TO"] = str(count_to)
    return subprocess.run(
        [sys.executable, "-c", DRIVER, str(target), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # ~40 processes per scenario; no server involved, so one pass suffices
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_ctrl_c_at_any_moment_is_one_line_and_130(scenario: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[tables.T]\ncolumns = 1\n")
    args = [a.replace("{bad}", str(bad)) for a in SCENARIOS[scenario]]
    counted = _run(0, args, tmp_path, tmp_path / "count.json")
    assert counted.returncode in (0, 2), counted  # the run itself, uninterrupted
    events = json.loads((tmp_path / "count.json").read_text())
    total, ours = events["total"], events["ours"]
    assert len(ours) > 10 and total > len(ours), events  # the trace is real
    step = max(1, total // SPREAD)
    targets = sorted({*ours, *range(1, total + 1, step), total})
    wrong = []
    for target in targets:
        done = _run(target, args, tmp_path)
        lines = done.stderr.splitlines()
        # a usage error or a bad spec may have printed its own lines before the Ctrl-C
        interrupted = [ln for ln in lines if ln.startswith("interrupted")]
        clean = "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
        if done.returncode == 130 and len(interrupted) == 1 and lines[-1] == interrupted[0]:
            if clean:
                continue
        # the interpreter's very last bytecodes: no handler runs any more, the
        # command's own exit stands (docs/cli.md, "Ctrl-C")
        elif (
            target > total - TAIL
            and clean
            and not interrupted
            and done.returncode in (counted.returncode, -signal.SIGINT)
        ):
            continue
        wrong.append((target, done.returncode, done.stderr[-600:]))
    assert not wrong, f"{len(wrong)} of {len(targets)} moments (of {total}): {wrong[:3]}"
