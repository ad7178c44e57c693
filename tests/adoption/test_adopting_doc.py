"""docs/adopting.md, executed: every command of the walk-through, in order, on a real server.

The document is the test's script, so it cannot rot:

* a ```console block holds steps: ``$ command`` lines; the lines under a command
  are text its output (stdout + stderr) must contain; ``(absent: TEXT)`` is text
  it must not contain; ``(exit status N)`` is the expected exit status (0 when
  not given);
* a ```toml block with ``file=PATH replace=tables.NAME`` in its info string is an
  edit: every section of that table in PATH is replaced by the block;
* stand-ins, because the test cannot run Prisma: ``npx prisma db push`` applies the
  DDL Prisma generates for the schema (``fixtures/saasfly_prisma.sql``), and
  ``export DATABASE_URL=...`` is the test's own database; ``mkdir -p`` is done
  in-process.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import psycopg

from pgwarden.apply.shadow import SHADOW_ENV

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "adopting.md"
PRISMA_SCHEMA = ROOT / "tests" / "fixtures" / "saasfly_before" / "schema.prisma"
PRISMA_DDL = Path(__file__).parent / "fixtures" / "saasfly_prisma.sql"


@dataclass
class Command:
    line: int
    argv: list[str]
    expect: list[str] = field(default_factory=list)
    exit_status: int = 0
    absent: list[str] = field(default_factory=list)


@dataclass
class Edit:
    line: int
    file: str
    table: str
    text: str


Step = Command | Edit

_FENCE = re.compile(r"^```(?P<info>.*)$")
_EXIT = re.compile(r"^\(exit status (?P<n>\d+)\)$")
_ABSENT = re.compile(r"^\(absent: (?P<text>.+)\)$")


def parse_steps(text: str) -> list[Step]:
    steps: list[Step] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence or not fence.group("info"):
            i += 1
            continue
        info = fence.group("info").split()
        start = i + 1
        end = start
        while not lines[end].startswith("```"):
            end += 1
        body = lines[start:end]
        if info[0] == "console":
            for offset, raw in enumerate(body):
                if raw.startswith("$ "):
                    steps.append(Command(start + offset + 1, shlex.split(raw[2:])))
                elif (m := _EXIT.match(raw.strip())) and steps:
                    cast(Command, steps[-1]).exit_status = int(m.group("n"))
                elif (m := _ABSENT.match(raw.strip())) and steps:
                    cast(Command, steps[-1]).absent.append(m.group("text"))
                elif raw.strip() and steps:
                    cast(Command, steps[-1]).expect.append(raw.strip())
        elif info[0] == "toml":
            attrs = dict(a.split("=", 1) for a in info[1:] if "=" in a)
            if "replace" in attrs:
                table = attrs["replace"].removeprefix("tables.")
                steps.append(Edit(start, attrs["file"], table, "\n".join(body) + "\n"))
        i = end + 1
    return steps


def replace_table(spec: str, table: str, new: str) -> str:
    """``spec`` without any ``[tables.<table>...]`` section, plus ``new``."""
    header = re.compile(r"^\[\[?tables\.(?P<name>\"[^\"]+\"|[A-Za-z0-9_]+)[.\]]")
    out: list[str] = []
    skipping = False
    for line in spec.splitlines():
        if line.startswith("["):
            m = header.match(line)
            skipping = bool(m) and m.group("name").strip('"') == table
        if not skipping:
            out.append(line)
    assert any(header.match(x) for x in spec.splitlines()), "spec has no [tables.*] sections"
    return "\n".join(out).rstrip("\n") + "\n\n" + new


def test_parse_steps_reads_commands_expectations_and_edits() -> None:
    steps = parse_steps(
        "x\n```console\n$ pgwarden lint schema\nfound\n(absent: gone)\n(exit status 1)\n```\n"
        "```toml file=a.toml replace=tables.T\n[tables.T]\n```\n"
    )
    assert steps == [
        Command(3, ["pgwarden", "lint", "schema"], ["found"], 1, ["gone"]),
        Edit(8, "a.toml", "T", "[tables.T]\n"),
    ]
    spec = '[tables.A.columns]\nx = 1\n\n[tables.T]\nc = "x"\n[[tables.T.indexes]]\ny = 2\n'
    assert replace_table(spec, "T", "[tables.T]\nnew = 1\n") == (
        "[tables.A.columns]\nx = 1\n\n[tables.T]\nnew = 1\n"
    )


def iter_steps() -> Iterator[Step]:
    yield from parse_steps(DOC.read_text())


def test_doc_has_the_adoption_path() -> None:
    commands = [" ".join(s.argv[:3]) for s in iter_steps() if isinstance(s, Command)]
    for needed in (
        "npx prisma db",
        "pgwarden init --from-database",
        "pgwarden migrate baseline",
        "pgwarden lint schema",
        "pgwarden migrate new",
    ):
        assert any(c.startswith(needed) for c in commands), needed
    assert any(isinstance(s, Edit) for s in iter_steps())


def test_adopting_walkthrough_runs(database_url: str, tmp_path: Path) -> None:
    work = tmp_path / "app"
    (work / "prisma").mkdir(parents=True)
    shutil.copy(PRISMA_SCHEMA, work / "prisma" / "schema.prisma")
    # the shadow check of `migrate new` makes its scratch database on the test's server
    env = {**os.environ, "DATABASE_URL": database_url, SHADOW_ENV: database_url, "NO_COLOR": "1"}
    done: list[str] = []
    for step in iter_steps():
        where = f"docs/adopting.md:{step.line}"
        if isinstance(step, Edit):
            target = work / step.file
            target.write_text(replace_table(target.read_text(), step.table, step.text))
            done.append(f"edit {step.file}")
            continue
        argv = step.argv
        if argv[:3] == ["npx", "prisma", "db"]:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(cast(Any, PRISMA_DDL.read_text()))
            done.append("prisma db push (stand-in)")
            continue
        if argv[0] == "export" and argv[1].startswith("DATABASE_URL="):
            continue  # the test's database, already in the environment
        if argv[:2] == ["mkdir", "-p"]:
            for d in argv[2:]:
                (work / d).mkdir(parents=True, exist_ok=True)
            continue
        assert argv[0] == "pgwarden", f"{where}: no stand-in for {argv[0]!r}; add one here"
        argv = [a.replace("$DATABASE_URL", database_url) for a in argv]  # as a shell would
        proc = subprocess.run(
            [sys.executable, "-m", "pgwarden", *argv[1:]],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == step.exit_status, (
            f"{where}: `{' '.join(argv)}` exited {proc.returncode}, "
            f"expected {step.exit_status}:\n{output}"
        )
        for text in step.expect:
            assert text in output, f"{where}: `{' '.join(argv)}` output lacks {text!r}:\n{output}"
        for text in step.absent:
            assert text not in output, f"{where}: `{' '.join(argv)}` still says {text!r}:\n{output}"
        done.append(" ".join(argv))
    assert (work / "docs" / "blueprint.md").exists()
