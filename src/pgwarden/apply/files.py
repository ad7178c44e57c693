"""The migration directory: ``migrations/NNNN_name/{up.sql,down.sql,snapshot.toml}``.

A migration file is plain SQL that ``psql -f`` could run, annotated with marker
comments that keep what the planner knew:

``-- pgwarden:step atomic=true description="..."``
    Starts a step. Consecutive ``atomic=true`` steps run in one transaction;
    an ``atomic=false`` step (``CREATE INDEX CONCURRENTLY``) runs on its own.
``-- pgwarden:step atomic=false batched=true description="..."``
    A backfill ``UPDATE``: the runner runs it in keyset batches, each its own
    transaction (pgwarden.apply.backfill); ``psql -f`` runs it as one statement.
``-- pgwarden:preflight table="..." description="..."``
    A ``SELECT`` returning one row per offending row (its key); the runner counts
    and samples it before changing anything. The next ``-- pgwarden:fix`` block
    is the SQL a human may run to fix the data.

A hand-written file without markers is read too: every statement becomes a
step, atomic unless Postgres forbids it inside a transaction.

``migrations/pgwarden.sum`` holds the sha256 of every file; an edit, a deletion
or an unlisted file is refused, as are two migrations with one number (a merge).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

from pglast import parse_sql
from pglast.parser import ParseError, split

from pgwarden import textfile
from pgwarden.errors import PgwardenError, RefusedError

SUM_FILE = "pgwarden.sum"
UP = "up.sql"
DOWN = "down.sql"
SNAPSHOT = "snapshot.toml"
KNOWN_FILES = (UP, DOWN, SNAPSHOT)

_DIR_RE = re.compile(r"^(\d{4,})_([a-z0-9][a-z0-9_]*)$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_MARKER_RE = re.compile(r"^--\s*pgwarden:(step|preflight|fix)\b(.*)$")
_ATTR_RE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


class StepLike(Protocol):
    """What the runner needs from a step: the planner's ``Step`` satisfies it."""

    @property
    def sql(self) -> str:
        """The step's SQL text."""

    @property
    def atomic(self) -> bool:
        """The step runs inside a transaction."""

    @property
    def description(self) -> str:
        """The step's one-line description."""


@dataclass(frozen=True, slots=True)
class FileStep:
    """One step of a migration script: SQL text (one or more statements)."""

    sql: str
    atomic: bool
    description: str
    line: int = 0
    batched: bool = False
    """A backfill UPDATE run in keyset batches (``batched=true`` on the marker)."""

    @property
    def statements(self) -> tuple[str, ...]:
        """The step's SQL split into statements."""
        return split_statements(self.sql)


@dataclass(frozen=True, slots=True)
class Preflight:
    """A data check that must find no rows before the migration changes anything.

    With ``returns == "rows"`` (hand-written checks) ``query`` returns one row
    per offending row (or duplicate group): its key. With ``returns ==
    "count"`` (the planner's checks) it returns one row ``(violations,
    samples text[])``. ``before_step`` is the index of the step the check
    guards; a check on an object the migration itself creates runs just before
    that step.
    """

    table: str
    description: str
    query: str
    fix: str
    before_step: int = 0
    returns: Literal["rows", "count"] = "rows"
    deferred: bool = False
    """True: the check reads what the migration itself creates or changes (a new
    column, a column whose type changes), so it runs just before its step, not
    before the migration starts (``deferred=true`` on the marker)."""


@dataclass(frozen=True, slots=True)
class Script:
    """A parsed ``up.sql`` or ``down.sql``."""

    steps: tuple[FileStep, ...]
    preflights: tuple[Preflight, ...] = ()

    @property
    def statement_count(self) -> int:
        """How many statements the script runs."""
        return sum(len(s.statements) for s in self.steps)


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration directory: its version, name, up.sql and down.sql (optional)."""

    version: int
    name: str
    """The directory name, ``0002_blueprint``."""
    path: Path
    up: Script
    down: Script | None
    snapshot: str | None
    checksum: str
    """sha256 over the migration's files: what the history table records."""

    @property
    def label(self) -> str:
        """How progress and errors name the migration."""
        return self.name


# --------------------------------------------------------------------------- SQL splitting


def split_statements(text: str) -> tuple[str, ...]:
    """The statements of ``text`` (comments dropped), parsed by Postgres's own parser."""
    return tuple(split(text))


_NON_TRANSACTIONAL_PREFIXES = (
    "vacuum",
    "create database",
    "drop database",
    "alter system",
    "create tablespace",
    "drop tablespace",
    "reindex database",
    "reindex system",
)


def is_non_transactional(statement: str) -> bool:
    """True when Postgres refuses to run ``statement`` inside a transaction block."""
    tree = parse_sql(statement)
    stmt = tree[0].stmt if tree else None
    if getattr(
        stmt, "concurrent", False
    ):  # CREATE/DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY
        return True
    params = getattr(stmt, "params", None) or ()
    if type(stmt).__name__ == "ReindexStmt" and any(
        getattr(p, "defname", "") == "concurrently" for p in params
    ):
        return True
    if "DETACH PARTITION" in statement.upper() and "CONCURRENTLY" in statement.upper():
        return True
    low = " ".join(statement.lower().split())
    return low.startswith(_NON_TRANSACTIONAL_PREFIXES)


# --------------------------------------------------------------------------- writing


def _attr(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def format_script(
    steps: Sequence[StepLike],
    preflights: Iterable[Preflight] = (),
    *,
    header: str = "",
) -> str:
    """The text of a migration script; ``parse_script`` reads it back to the same steps."""
    out: list[str] = []
    for line in textfile.lines(header):
        out.append(f"-- {line}".rstrip())
    if out:
        out.append("")
    by_step: dict[int, list[Preflight]] = {}
    for pf in preflights:
        by_step.setdefault(pf.before_step, []).append(pf)
    for index, step in enumerate(steps):
        for pf in by_step.pop(index, []):
            returns = " returns=count" if pf.returns == "count" else ""
            deferred = " deferred=true" if pf.deferred else ""
            out.append(
                f"-- pgwarden:preflight table={_attr(pf.table)}{returns}{deferred}"
                f" description={_attr(pf.description)}"
            )
            out.append(_terminated(pf.query))
            out.append("-- pgwarden:fix")
            # a suggestion for a human, never run: commented out, so the file stays
            # valid SQL whatever placeholder (<value>) the fix holds
            out.extend(f"-- {line}".rstrip() for line in textfile.lines(_terminated(pf.fix)))
            out.append("")
        desc = " ".join(step.description.split())
        atomic = "true" if step.atomic else "false"
        batched = " batched=true" if getattr(step, "batched", False) else ""
        out.append(f"-- pgwarden:step atomic={atomic}{batched} description={_attr(desc)}")
        out.append(_terminated(step.sql))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _terminated(sql_text: str) -> str:
    text = sql_text.strip()
    return text if text.endswith(";") else text + ";"


# --------------------------------------------------------------------------- parsing


def _parse_attrs(text: str, file: str, line: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    rest = text.strip()
    for match in _ATTR_RE.finditer(rest):
        key, raw = match.group(1), match.group(2)
        if raw.startswith('"'):
            try:
                attrs[key] = str(json.loads(raw))
            except json.JSONDecodeError:
                raise PgwardenError(
                    f"{file}:{line}: bad quoted value for {key} in a pgwarden marker\n"
                    '  fix: quote values like JSON strings: description="add index"'
                ) from None
        else:
            attrs[key] = raw
    return attrs


def _check_sql(text: str, file: str, first_line: int) -> tuple[str, ...]:
    """Split ``text`` (which starts at ``first_line`` of ``file``) or say where it breaks."""
    try:
        return split_statements(text)
    except ParseError as exc:
        location = getattr(exc, "location", None)
        line = first_line + (text[:location].count("\n") if isinstance(location, int) else 0)
        raise PgwardenError(
            f"{file}:{line}: SQL does not parse: {exc}\n  fix: correct the statement in {file}"
        ) from None


def parse_script(text: str, file: str = "<sql>") -> Script:
    """Read a migration script, with or without pgwarden markers."""
    blocks: list[tuple[str, dict[str, str], int, list[str]]] = []
    preamble: list[str] = []
    current: list[str] = preamble
    # split at \n only: a \r inside a string literal is data (a \r\n line end leaves
    # a \r at the end of a line, which SQL reads as white space)
    for lineno, line in enumerate(text.split("\n"), start=1):
        marker = _MARKER_RE.match(line.strip())
        if marker:
            current = []
            blocks.append(
                (marker.group(1), _parse_attrs(marker.group(2), file, lineno), lineno, current)
            )
        else:
            current.append(line)

    steps: list[FileStep] = []
    preflights: list[Preflight] = []
    pending: list[Preflight] = []
    # SQL before the first marker (or a file with none): a hand-written script.
    pre_sql = "\n".join(preamble)
    for stmt in _check_sql(pre_sql, file, 1):
        steps.append(
            FileStep(
                stmt, not is_non_transactional(stmt), _describe(stmt), line=_first_line(preamble)
            )
        )
    index = 0
    while index < len(blocks):
        kind, attrs, lineno, lines = blocks[index]
        body = "\n".join(lines)
        if kind == "step":
            atomic_text = attrs.get("atomic", "true").lower()
            if atomic_text not in ("true", "false"):
                raise PgwardenError(
                    f"{file}:{lineno}: atomic must be true or false, not {atomic_text!r}\n"
                    "  fix: -- pgwarden:step atomic=false"
                )
            stmts = _check_sql(body, file, lineno + 1)
            if not stmts:
                raise PgwardenError(
                    f"{file}:{lineno}: a pgwarden:step marker with no SQL after it\n"
                    "  fix: delete the marker or put the step's SQL below it"
                )
            atomic = atomic_text == "true"
            if atomic and any(is_non_transactional(s) for s in stmts):
                raise PgwardenError(
                    f"{file}:{lineno}: step marked atomic=true holds a statement that cannot "
                    "run inside a transaction\n  fix: mark it -- pgwarden:step atomic=false"
                )
            if not atomic and sum(1 for s in stmts if not _is_set(s)) > 1:
                # each statement of a non-transactional step commits on its own; one per
                # step keeps progress (and resume after a crash) exact
                raise PgwardenError(
                    f"{file}:{lineno}: a step marked atomic=false holds several statements\n"
                    "  fix: give each non-transactional statement its own "
                    "-- pgwarden:step atomic=false marker (SET statements may stay)"
                )
            batched = attrs.get("batched", "false").lower() == "true"
            if batched:
                _check_batched(stmts, atomic, file, lineno)
            for pf in pending:
                preflights.append(_with_step(pf, len(steps)))
            pending.clear()
            description = attrs.get("description") or _describe(stmts[-1])
            steps.append(FileStep(body.strip(), atomic, description, line=lineno, batched=batched))
        elif kind == "preflight":
            stmts = _check_sql(body, file, lineno + 1)
            if len(stmts) != 1:
                raise PgwardenError(
                    f"{file}:{lineno}: a preflight block must hold exactly one SELECT\n"
                    "  fix: one query returning the keys of the offending rows"
                )
            fix = ""
            if index + 1 < len(blocks) and blocks[index + 1][0] == "fix":
                fix = _uncommented(blocks[index + 1][3])
                index += 1
            table = attrs.get("table", "")
            returns = attrs.get("returns", "rows")
            if returns not in ("rows", "count"):
                raise PgwardenError(
                    f"{file}:{lineno}: returns must be rows or count, not {returns!r}\n"
                    "  fix: rows: one row per offending key; count: one row (count, samples)"
                )
            pending.append(
                Preflight(
                    table,
                    attrs.get("description", f"preflight on {table}"),
                    stmts[0],
                    fix,
                    returns="count" if returns == "count" else "rows",
                    deferred=attrs.get("deferred", "false").lower() == "true",
                )
            )
        else:
            raise PgwardenError(
                f"{file}:{lineno}: a pgwarden:fix block must follow a pgwarden:preflight block\n"
                "  fix: move it right after its preflight query"
            )
        index += 1
    if pending:
        raise PgwardenError(
            f"{file}: a pgwarden:preflight block has no step after it\n"
            "  fix: put preflight blocks before the step they guard"
        )
    return Script(tuple(steps), tuple(preflights))


def _check_batched(stmts: Sequence[str], atomic: bool, file: str, line: int) -> None:
    from pgwarden.apply.backfill import BackfillShapeError, parse_update

    if atomic:
        raise PgwardenError(
            f"{file}:{line}: a batched step runs as its own transactions, one per batch\n"
            "  fix: mark it -- pgwarden:step atomic=false batched=true"
        )
    try:
        parse_update(update_statement(stmts))
    except BackfillShapeError as exc:
        raise PgwardenError(
            f"{file}:{line}: {exc}\n  fix: a batched step holds one "
            "UPDATE table SET column = (expression), ... [WHERE ...] besides SET statements"
        ) from None


def update_statement(stmts: Sequence[str]) -> str:
    """The one statement of a batched step that is not a ``SET``."""
    rest = [s for s in stmts if not _is_set(s)]
    if len(rest) != 1:
        from pgwarden.apply.backfill import BackfillShapeError

        raise BackfillShapeError("a batched step holds one UPDATE (besides SET statements)")
    return rest[0]


def _uncommented(lines: list[str]) -> str:
    """A fix block's text: written commented out (``-- `` before every line); an
    older file may hold it as plain SQL."""
    body = [line for line in lines if line.strip()]
    if body and all(line.lstrip().startswith("--") for line in body):
        lines = [
            line.lstrip()[3:] if line.lstrip().startswith("-- ") else line.lstrip()[2:]
            for line in lines
        ]
    return "\n".join(lines).strip()


def _is_set(stmt: str) -> bool:
    return stmt.lstrip().upper().startswith(("SET ", "RESET "))


def _with_step(pf: Preflight, step: int) -> Preflight:
    return replace(pf, before_step=step)


def _first_line(lines: list[str]) -> int:
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.strip().startswith("--"):
            return number
    return 1


def _describe(stmt: str) -> str:
    text = " ".join(stmt.split())
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- checksums


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes (an unreadable file is a clear error)."""
    return hashlib.sha256(textfile.read_checked_bytes(path)).hexdigest()


def migration_files(directory: Path) -> list[Path]:
    """Every file of every migration directory, sorted (the sum file's lines)."""
    files: list[Path] = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        if sub.name.startswith("."):
            continue
        files.extend(sorted(f for f in sub.rglob("*") if _tracked(f, sub)))
    return files


def _tracked(path: Path, root: Path) -> bool:
    """A migration file (hidden files such as editor swap files or .DS_Store are not)."""
    return path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)


def format_sum(directory: Path) -> str:
    """The text of ``pgwarden.sum`` for the migrations of ``directory``."""
    lines = [
        "# pgwarden.sum: sha256 of every migration file. Written by `pgwarden migrate new`",
        "# and `pgwarden migrate hash`; an edit, a deletion or an unlisted file is refused.",
    ]
    for f in migration_files(directory):
        lines.append(f"{sha256_file(f)}  {f.relative_to(directory).as_posix()}")
    return "\n".join(lines) + "\n"


def write_sum(directory: Path) -> Path:
    """Write ``pgwarden.sum`` next to the migrations."""
    path = directory / SUM_FILE
    path.write_text(format_sum(directory), encoding="utf-8")
    return path


def read_sum(directory: Path) -> dict[str, str]:
    """The entries of ``pgwarden.sum`` (path -> sha256); a malformed line is an error with its
    line number."""
    path = directory / SUM_FILE
    entries: dict[str, str] = {}
    for lineno, line in enumerate(textfile.read_text(path).splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]):
            raise RefusedError(
                f"{path}:{lineno}: not a checksum line: {line!r}\n"
                "  fix: restore pgwarden.sum from version control, or rewrite it with "
                "`pgwarden migrate hash` after reviewing every migration file"
            )
        entries[parts[1].strip()] = parts[0]
    return entries


def verify_sum(directory: Path) -> None:
    """Refuse any edit, deletion or unlisted file, naming it."""
    sum_path = directory / SUM_FILE
    files = migration_files(directory)
    if not sum_path.exists():
        if files:
            raise RefusedError(
                f"{sum_path} is missing but {directory} holds migrations\n"
                "  fix: restore it from version control, or review the migrations and run "
                "`pgwarden migrate hash`"
            )
        return
    expected = read_sum(directory)
    problems: list[str] = []
    seen: set[str] = set()
    for f in files:
        rel = f.relative_to(directory).as_posix()
        seen.add(rel)
        want = expected.get(rel)
        if want is None:
            problems.append(f"{directory / rel}: not listed in {SUM_FILE} (added by hand?)")
        elif want != sha256_file(f):
            problems.append(f"{directory / rel}: edited after it was written (sha256 differs)")
    for rel in sorted(set(expected) - seen):
        problems.append(f"{directory / rel}: deleted (listed in {SUM_FILE})")
    if problems:
        raise RefusedError(
            "migration files do not match pgwarden.sum:\n  "
            + "\n  ".join(problems)
            + "\n  fix: revert the change; an applied migration is never edited, write a new "
            "one with `pgwarden migrate new`. For a migration applied nowhere yet, review it "
            "and run `pgwarden migrate hash`."
        )


def migration_checksum(path: Path) -> str:
    """sha256 over a migration directory's files (names and bytes)."""
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if _tracked(p, path)):
        digest.update(f.relative_to(path).as_posix().encode() + b"\0")
        digest.update(textfile.read_checked_bytes(f) + b"\0")
    return digest.hexdigest()


# --------------------------------------------------------------------------- loading


def load_migrations(directory: Path, *, check_sum: bool = True) -> tuple[Migration, ...]:
    """Every migration under ``directory``, by version; refuses tampering and merges."""
    if not directory.exists():
        return ()
    if not directory.is_dir():
        raise PgwardenError(f"{directory} is not a directory\n  fix: pass --migrations DIR")
    by_version: dict[int, list[Path]] = {}
    for sub in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
        match = _DIR_RE.match(sub.name)
        if not match:
            raise RefusedError(
                f"{sub}: not a migration directory name (NNNN_name, lowercase)\n"
                "  fix: rename it like 0003_add_index, or move it out of the migrations directory"
            )
        by_version.setdefault(int(match.group(1)), []).append(sub)
    dupes = {v: ps for v, ps in by_version.items() if len(ps) > 1}
    if dupes:
        lines = [f"{v:04d}: " + ", ".join(str(p) for p in ps) for v, ps in sorted(dupes.items())]
        raise RefusedError(
            "two migrations share one number (a merge of two branches?):\n  "
            + "\n  ".join(lines)
            + "\n  fix: keep the one already applied; regenerate the other on top of it "
            "(delete its directory, then `pgwarden migrate new NAME`), or renumber it and run "
            "`pgwarden migrate hash`"
        )
    if check_sum:
        verify_sum(directory)
    migrations: list[Migration] = []
    for version, (path,) in sorted(by_version.items()):
        up_path = path / UP
        if not up_path.exists():
            raise RefusedError(f"{path}: has no {UP}\n  fix: add the migration's SQL to {up_path}")
        for f in (p for p in path.iterdir() if _tracked(p, path)):
            if f.name not in KNOWN_FILES:
                raise RefusedError(
                    f"{f}: unexpected file in a migration directory\n"
                    f"  fix: a migration holds only {', '.join(KNOWN_FILES)}"
                )
        up = parse_script(textfile.read_script(up_path), str(up_path))
        down_path = path / DOWN
        down = (
            parse_script(textfile.read_script(down_path), str(down_path))
            if down_path.exists()
            else None
        )
        snap_path = path / SNAPSHOT
        snapshot = textfile.read_text(snap_path) if snap_path.exists() else None
        migrations.append(
            Migration(version, path.name, path, up, down, snapshot, migration_checksum(path))
        )
    return tuple(migrations)


def check_name(name: str) -> str:
    """A migration name as it appears in the directory: lowercase, digits, underscores."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug or not _NAME_RE.match(slug):
        raise PgwardenError(
            f"migration name {name!r} has no letters or digits\n  fix: e.g. add_cluster_index"
        )
    return slug


def next_version(migrations: Sequence[Migration]) -> int:
    """The version of the next migration (1 in an empty directory)."""
    return (migrations[-1].version + 1) if migrations else 1
