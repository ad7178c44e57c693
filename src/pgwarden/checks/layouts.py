"""Migration layouts: which files make a history, in which order, and which run in one transaction.

Each migration tool lays its history out in its own way; lint replays a history in
the order the tool applies it, so an object created in an earlier file is known
in a later one, and it infers from the tool's rules which statements share a
transaction (``CREATE INDEX CONCURRENTLY`` fails in one, ``NOT VALID`` followed by
``VALIDATE`` in one holds the strong lock throughout).

* ``pgwarden``: ``NNNN_name/up.sql``; a transaction per ``-- pgwarden:step atomic=true``;
* ``prisma``: ``<timestamp>_name/migration.sql``; the whole file when it holds several
  statements (one multi-statement query runs as one implicit transaction);
* ``diesel``: ``YYYY-MM-DD-HHMMSS_name/up.sql``; the whole file, unless its
  ``metadata.toml`` says ``run_in_transaction = false``;
* ``golang-migrate``: ``NNN_name.up.sql`` by number; like Prisma;
* ``flyway``: ``V<version>__name.sql`` by version, then ``R__name.sql``; the whole file,
  unless it holds only non-transactional statements or its ``.conf`` says
  ``executeInTransaction=false``;
* ``dbmate``: ``<version>_name.sql``, its ``-- migrate:up`` section; the whole section
  unless ``transaction:false``;
* ``sqitch``: ``deploy/<change>.sql`` in ``sqitch.plan`` order; none (psql): explicit
  ``BEGIN``/``COMMIT`` only;
* ``plain``: ``*.sql`` in natural sort order; explicit ``BEGIN``/``COMMIT`` only.

``migration_lock.toml`` (Prisma) and the other tools' configuration files are never
read as a pgwarden spec.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

#: How a tool runs one file: ``steps`` (pgwarden markers), ``file`` (one transaction),
#: ``implicit`` (one multi-statement query: a transaction when it holds several
#: statements), ``none`` (each statement on its own; explicit BEGIN/COMMIT only).
TxMode = Literal["steps", "file", "implicit", "none"]

LAYOUTS = ("pgwarden", "prisma", "diesel", "golang-migrate", "flyway", "dbmate", "sqitch", "plain")

_PGWARDEN_DIR = re.compile(r"^\d{4,}_")
_PRISMA_DIR = re.compile(r"^\d{14}_")
_DIESEL_DIR = re.compile(r"^(\d{4}-\d{2}-\d{2}-\d{6}|\d{14})_|^0+_diesel_initial_setup$")
_GOLANG = re.compile(r"^(\d+)_.*\.up\.sql$")
_FLYWAY_V = re.compile(r"^V(\d[\d._]*)__.*\.sql$")
_FLYWAY_R = re.compile(r"^R__.*\.sql$")
_DBMATE = re.compile(r"^(\d+)_.*\.sql$")
_DBMATE_UP = re.compile(r"^--\s*migrate:up\b(.*)$", re.MULTILINE)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b", re.MULTILINE)
_NUMBERS = re.compile(r"(\d+)")
_FLYWAY_UNDO = re.compile(r"^U\d[\d._]*__").match
#: File names whose history is their directory's parent (directory-per-migration layouts).
_DIR_FILES = frozenset({"up.sql", "migration.sql"})
#: Configuration files of migration tools that sit among the migrations.
TOOL_FILES = frozenset({"migration_lock.toml", "metadata.toml", "sqitch.plan", "sqitch.conf"})


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One file of a history as its tool runs it."""

    path: Path
    layout: str
    tx: TxMode
    section: tuple[int, int] | None = None
    """The character range the tool runs (dbmate's ``-- migrate:up`` section); None: all."""


@dataclass(frozen=True, slots=True)
class History:
    """A migrations root, its layout, and its files in apply order."""

    root: Path
    layout: str
    files: tuple[MigrationFile, ...]


def natural_key(name: str) -> tuple[object, ...]:
    """``2_x`` before ``10_x``: digit runs compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in _NUMBERS.split(name))


def _names(root: Path, dirs: bool) -> list[str]:
    """Names of the sub-directories or files of ``root``, sorted (one scandir, no stat each)."""
    try:
        with os.scandir(root) as it:
            return sorted(e.name for e in it if (e.is_dir() if dirs else e.is_file()))
    except OSError:
        return []


def _entries(root: Path, dirs: bool) -> list[Path]:
    """Sub-directories or files of ``root``, sorted by name."""
    return [root / n for n in _names(root, dirs)]


def _sql_names(root: Path) -> list[str]:
    """Names of the ``*.sql`` files of ``root`` (names, not paths: a flat history can hold
    thousands, and a ``Path`` each costs more than reading the directory)."""
    return [n for n in _names(root, dirs=False) if os.path.splitext(n)[1] == ".sql"]


def _dirs(root: Path) -> list[Path]:
    return _entries(root, dirs=True)


def _files(root: Path) -> list[Path]:
    return _entries(root, dirs=False)


def _head(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return fh.read(4096)
    except OSError:
        return ""


@cache
def detect(root: Path) -> str | None:
    """The layout of a migrations root (a directory), or None when it holds no history."""
    if (root / "sqitch.plan").is_file() and (root / "deploy").is_dir():
        return "sqitch"
    dirs = _dirs(root)
    if (root / "migration_lock.toml").is_file() or any(
        _PRISMA_DIR.match(d.name) and (d / "migration.sql").is_file() for d in dirs
    ):
        return "prisma"
    ups = [d for d in dirs if (d / "up.sql").is_file()]
    if (root / "pgwarden.sum").is_file() or any((d / "snapshot.toml").is_file() for d in ups):
        return "pgwarden"
    if any(_DIESEL_DIR.match(d.name) for d in ups) and not any(
        "-- pgwarden:step" in _head(d / "up.sql") for d in ups
    ):
        return "diesel"
    if any(_PGWARDEN_DIR.match(d.name) for d in ups):
        return "pgwarden"
    names = _sql_names(root)
    if any(_GOLANG.match(n) for n in names):
        return "golang-migrate"
    if any(_FLYWAY_V.match(n) or _FLYWAY_R.match(n) for n in names):
        return "flyway"
    if any(_DBMATE.match(n) and _DBMATE_UP.search(_head(root / n)) for n in names):
        return "dbmate"
    if names:
        return "plain"
    return None


def locate(path: Path, override: str | None = None) -> tuple[Path, str]:
    """The migrations root a SQL file belongs to, and its layout."""
    parent = path.parent
    if parent.name == "deploy" and (parent.parent / "sqitch.plan").is_file():
        return parent.parent, override or "sqitch"
    if path.name in ("up.sql", "migration.sql"):
        layout = detect(parent.parent)
        if layout in ("prisma", "pgwarden", "diesel"):
            return parent.parent, override or layout
    if override in ("prisma", "pgwarden", "diesel") and path.name in ("up.sql", "migration.sql"):
        return parent.parent, override
    return parent, override or detect(parent) or "plain"


def history(root: Path, layout: str) -> History:
    """Every file of the history at ``root``, in the order its tool applies them."""
    build = _BUILDERS[layout]
    return History(root, layout, tuple(build(root)))


def _pgwarden(root: Path) -> Iterable[MigrationFile]:
    for d in sorted(_dirs(root), key=lambda d: natural_key(d.name)):
        if _PGWARDEN_DIR.match(d.name) and (d / "up.sql").is_file():
            yield MigrationFile(d / "up.sql", "pgwarden", "steps")


def _prisma(root: Path) -> Iterable[MigrationFile]:
    for d in _dirs(root):
        if (d / "migration.sql").is_file():
            yield MigrationFile(d / "migration.sql", "prisma", "implicit")


def _diesel(root: Path) -> Iterable[MigrationFile]:
    for d in _dirs(root):
        if not (d / "up.sql").is_file():
            continue
        meta = d / "metadata.toml"
        tx: TxMode = "file"
        if meta.is_file() and re.search(r"run_in_transaction\s*=\s*false", _head(meta)):
            tx = "none"
        yield MigrationFile(d / "up.sql", "diesel", tx)


def _golang(root: Path) -> Iterable[MigrationFile]:
    found = [f for f in _files(root) if _GOLANG.match(f.name)]
    for f in sorted(found, key=lambda f: (int(_GOLANG.match(f.name).group(1)), f.name)):  # type: ignore[union-attr]
        yield MigrationFile(f, "golang-migrate", "implicit")


def _flyway_version(name: str) -> tuple[int, ...]:
    m = _FLYWAY_V.match(name)
    assert m is not None
    return tuple(int(p) for p in re.split(r"[._]", m.group(1)) if p)


def _flyway(root: Path) -> Iterable[MigrationFile]:
    files = _files(root)
    versioned = sorted(
        (f for f in files if _FLYWAY_V.match(f.name)), key=lambda f: _flyway_version(f.name)
    )
    repeatable = sorted((f for f in files if _FLYWAY_R.match(f.name)), key=lambda f: f.name)
    for f in [*versioned, *repeatable]:
        conf = f.with_name(f.name + ".conf")
        tx: TxMode = "file"
        if conf.is_file() and re.search(r"executeInTransaction\s*=\s*false", _head(conf)):
            tx = "none"
        yield MigrationFile(f, "flyway", tx)


def dbmate_section(text: str) -> tuple[tuple[int, int], bool] | None:
    """The ``-- migrate:up`` section of a dbmate file and whether it runs in a transaction."""
    up = _DBMATE_UP.search(text)
    if up is None:
        return None
    down = _DBMATE_DOWN.search(text, up.end())
    transactional = not re.search(r"\btransaction:\s*false\b", up.group(1))
    return (up.end(), down.start() if down else len(text)), transactional


def _dbmate(root: Path) -> Iterable[MigrationFile]:
    found = [f for f in _files(root) if _DBMATE.match(f.name) and f.suffix == ".sql"]
    for f in sorted(found, key=lambda f: natural_key(f.name)):
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        got = dbmate_section(text)
        if got is None:
            continue
        section, transactional = got
        yield MigrationFile(f, "dbmate", "file" if transactional else "none", section)


def sqitch_plan(text: str) -> list[str]:
    """Change names of a ``sqitch.plan`` in deploy order (a reworked change: its last
    version is ``deploy/<change>.sql``, earlier ones ``deploy/<change>@<tag>.sql``)."""
    entries: list[tuple[str, list[str]]] = []  # (change, tags declared after it)
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("%") else ""
        if not line:
            continue
        if line.startswith("@"):
            if entries:
                entries[-1][1].append(line.split()[0][1:])
            continue
        name = line.split()[0]
        if name.startswith("!"):  # a revert entry
            continue
        entries.append((name, []))
    out: list[str] = []
    for i, (name, _) in enumerate(entries):
        later = any(n == name for n, _ in entries[i + 1 :])
        if later:
            # the first tag after this entry names the reworked file
            tag = next((t for _, tags in entries[i:] for t in tags), None)
            out.append(f"{name}@{tag}" if tag else name)
        else:
            out.append(name)
    return out


def _sqitch(root: Path) -> Iterable[MigrationFile]:
    try:
        plan = (root / "sqitch.plan").read_text(encoding="utf-8", errors="replace")
    except OSError:
        plan = ""
    for change in sqitch_plan(plan):
        f = root / "deploy" / f"{change}.sql"
        if f.is_file():
            yield MigrationFile(f, "sqitch", "none")


def _plain(root: Path) -> Iterable[MigrationFile]:
    found = [n for n in _sql_names(root) if n != "down.sql"]
    for n in sorted(found, key=natural_key):
        if n.endswith(".down.sql") or (n.startswith("U") and "__" in n):
            continue
        yield MigrationFile(root / n, "plain", "none")


_BUILDERS = {
    "pgwarden": _pgwarden,
    "prisma": _prisma,
    "diesel": _diesel,
    "golang-migrate": _golang,
    "flyway": _flyway,
    "dbmate": _dbmate,
    "sqitch": _sqitch,
    "plain": _plain,
}


def is_migration_file(path: Path) -> bool:
    """A SQL file some tool applies going up (not ``down.sql``, ``*.down.sql``, Flyway undo)."""
    name = path.name
    if name == "down.sql" or name.endswith(".down.sql"):
        return False
    parent = os.path.dirname(str(path))  # strings: a history can hold thousands of files
    if os.path.basename(parent) in ("revert", "verify") and os.path.isfile(
        os.path.join(os.path.dirname(parent), "sqitch.plan")
    ):
        return False
    return not _FLYWAY_UNDO(name)


def group(paths: Sequence[Path], override: str | None = None) -> list[tuple[History, set[Path]]]:
    """Group SQL files by the history they belong to: (history, the files to report on)."""
    groups: dict[tuple[Path, str], set[Path]] = {}
    # a file's history depends only on its directory unless it is named like a
    # directory-per-migration file: one locate() per directory, not per file
    by_dir: dict[str, tuple[Path, str]] = {}
    for p in paths:
        name = p.name
        if name in _DIR_FILES:
            found = locate(p, override)
        else:
            where = os.path.dirname(str(p))
            got = by_dir.get(where)
            if got is None:
                got = by_dir[where] = locate(p, override)
            found = got
        groups.setdefault(found, set()).add(p)
    out = []
    for (root, layout), selected in groups.items():
        hist = history(root, layout)
        known = {f.path for f in hist.files}
        extra = [MigrationFile(p, layout, _default_tx(layout)) for p in sorted(selected - known)]
        if extra:
            hist = History(root, layout, (*hist.files, *extra))
        out.append((hist, selected))
    return sorted(out, key=lambda g: str(g[0].root))


def _default_tx(layout: str) -> TxMode:
    return {
        "pgwarden": "steps",
        "prisma": "implicit",
        "golang-migrate": "implicit",
        "diesel": "file",
        "flyway": "file",
        "dbmate": "file",
    }.get(layout, "none")  # type: ignore[return-value]
