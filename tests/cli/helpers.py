"""Run the real entry point (``pgwarden.cli.main``: error printing, exit codes) in-process,
or as a subprocess where the process itself matters (start-up, signals)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import chdir, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from pgwarden.cli import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run_main(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """``pgwarden ARGS`` in ``cwd`` through main(), DATABASE_URL unset unless in ``env``."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("PGWARDEN_ENV", None)
    os.environ.update(env or {})
    code: int | str | None = 0
    try:
        with chdir(cwd), redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert isinstance(code, int), code
    return Result(code, out.getvalue(), err.getvalue())


def run_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGWARDEN_ENV")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pgwarden", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
