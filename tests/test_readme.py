"""The README's commands and .ci/run cannot drift apart: CI runs the README's test
command and its quick start verbatim, so a fresh clone passes exactly as written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def console_commands(readme: str) -> list[str]:
    """Every command of a ```console block (one logical line each)."""
    blocks = re.findall(r"^```console\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def readme_commands() -> tuple[str, str]:
    """(quick start, test command) of the README's Quick start section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = console_commands(quick)
    tests = [c for c in commands if "pytest" in c]
    starts = [c for c in commands if "pgwarden migrate apply" in c]
    assert len(tests) == 1 and len(starts) == 1, commands
    return starts[0], tests[0]


def test_ci_runs_the_readme_test_command_first_and_verbatim() -> None:
    _, test_command = readme_commands()
    assert test_command.startswith("python3 -m venv .venv && ")
    assert '.venv/bin/pip install -e ".[test]"' in test_command
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [ln for ln in lines if ln and not ln.startswith(("#", "echo", "set ", "cd "))]
    commands = [c for c in commands if not c.startswith(("export ", "unset "))]
    # the first real command of CI is the README's, character for character
    assert commands[0] == test_command, (commands[0], test_command)


def test_ci_runs_the_readme_quick_start_verbatim() -> None:
    quick_start, _ = readme_commands()
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert quick_start in lines


def test_the_test_extra_holds_the_tools_the_tests_run() -> None:
    """ruff and mypy (run on generated code) and the bench peers (imported by the
    benchmark tests) come with ``.[test]``, not only with ``.[dev]``."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]

    def names(extra: str) -> set[str]:
        out: set[str] = set()
        for req in extras[extra]:
            name = re.split(r"[<>=\[ ;]", req, maxsplit=1)[0].lower()
            if name == "pgwarden":
                inner = re.search(r"\[(.*?)\]", req)
                assert inner is not None
                for sub in inner.group(1).split(","):
                    out |= names(sub.strip())
            else:
                out.add(name)
        return out

    assert {"ruff", "mypy", "pytest", "pytest-xdist", "hypothesis"} <= names("test")
    assert names("bench") <= names("test")
