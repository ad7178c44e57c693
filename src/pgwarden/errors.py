"""One exception family for every error a user can cause.

The CLI prints these without a traceback and exits with ``exit_code``. Each
message names the object (file/line or table.column), says what is wrong and
how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class PgwardenError(Exception):
    """Base of all user-facing errors."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an input file: where, what, and the fix."""

    file: str
    path: str
    message: str
    hint: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        head = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        # a name may hold a NUL (refused, but named): never print one raw
        head = head.replace("\x00", "\\x00")
        return f"{head}\n  fix: {self.hint}" if self.hint else head


class SpecError(PgwardenError):
    """The spec is invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the spec"
        super().__init__(header + ":\n" + "\n".join(str(p) for p in problems))


class DatabaseError(PgwardenError):
    """The database could not be reached or refused an operation (message is DSN-masked)."""

    exit_code = 2


class RefusedError(PgwardenError):
    """A plan or a migration was refused (drift, tamper, destructive without consent)."""

    exit_code = 1
