"""The rule registry and the finding every rule reports.

A rule is one small function registered with :func:`check`. Its id is stable
(kebab-case, it appears in configs, suppressions and baselines), its family
says what it reads:

* ``schema``    -- ``fn(schema: Schema) -> Iterable[Finding]``
* ``migration`` -- ``fn(stmt: Statement, state: Replay) -> Iterable[Finding]``, run on
  the statement kinds it names (``kinds=("IndexStmt",)``)
* ``access``    -- ``fn(source: PythonSource) -> Iterable[Finding]``
* ``query``     -- ``fn(analysis: QueryAnalysis) -> Iterable[Finding]`` (every query of
  the linted Python files, parsed, with the spec; see ``checks.queries``)
* ``meta``      -- findings the runner itself makes (parse errors, suppressions)

Registering an id twice is an error, as in pglast's printer registry: two rules
with one id would make suppressions and baselines ambiguous.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

Severity = Literal["error", "warning", "info"]
Family = Literal["schema", "migration", "access", "query", "meta"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
FAMILIES: tuple[Family, ...] = ("schema", "migration", "access", "query", "meta")
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: a file position, a spec object (``Table.column``), or both."""

    file: str
    line: int | None = None
    col: int | None = None
    object: str | None = None
    """``Table`` or ``Table.column`` for spec findings; None for files."""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        return f"{where}: {self.object}" if self.object else where


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a rule found: rule id, severity, where, what, and the fix."""

    rule: str
    severity: Severity
    location: Location
    message: str
    fix: str | None = None
    key: str | None = field(default=None, compare=False)
    """Stable identity for the baseline when the location has no line (or lines move)."""

    def with_location(self, **changes: Any) -> Finding:
        """The finding moved to another location (fields of :class:`Location` replaced)."""
        return replace(self, location=replace(self.location, **changes))


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered lint rule: id, family, severity, one-line summary and the function."""

    id: str
    family: Family
    severity: Severity
    summary: str
    fn: Callable[..., Iterable[Finding]]
    default_enabled: bool = True
    """Opt-in rules (``tenant-table-without-rls``) run only when selected."""
    kinds: tuple[str, ...] | None = None
    """Migration rules: the statement kinds (``IndexStmt`` ...) the rule reads; the
    engine runs it on those only."""
    subtypes: frozenset[str] | None = None
    """For ``AlterTableStmt``: the sub-command types (``AT_AddColumn`` ...) it reads;
    None: every ALTER TABLE."""

    @property
    def doc(self) -> str:
        """The rule's documentation page."""
        return f"docs/rules/{self.id}.md"

    def finding(
        self,
        location: Location,
        message: str,
        fix: str | None = None,
        key: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule; ``severity`` lowers or raises one case (documented per rule)."""
        return Finding(self.id, severity or self.severity, location, message, fix, key)


class DuplicateRuleError(ValueError):
    """Two rules registered with one id (a programming error, not user input)."""


RULES: dict[str, Rule] = {}

F = TypeVar("F", bound=Callable[..., Iterable[Finding]])


def check(
    *,
    id: str,
    family: Family,
    severity: Severity = "error",
    summary: str = "",
    default_enabled: bool = True,
    registry: dict[str, Rule] | None = None,
    kinds: tuple[str, ...] | None = None,
    subtypes: tuple[str, ...] | None = None,
) -> Callable[[F], F]:
    """Register ``fn`` as rule ``id``. The function is returned unchanged."""
    target = RULES if registry is None else registry
    if not _ID.match(id):
        raise ValueError(f"rule id {id!r} is not kebab-case")
    if family not in FAMILIES:
        raise ValueError(f"rule {id!r}: unknown family {family!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id!r}: unknown severity {severity!r}")
    if family == "migration" and id != "unparsable-statement" and not kinds:
        raise ValueError(f"migration rule {id!r} must name the statement kinds it reads")

    def register(fn: F) -> F:
        if id in target:
            raise DuplicateRuleError(f"rule {id!r} is already registered by {target[id].fn!r}")
        doc = summary or (fn.__doc__ or "").strip().split("\n")[0]
        target[id] = Rule(
            id,
            family,
            severity,
            doc,
            fn,
            default_enabled,
            kinds,
            frozenset(subtypes) if subtypes else None,
        )
        return fn

    return register


def rule(rule_id: str) -> Rule:
    """The registered rule (all rule modules imported first)."""
    load_rules()
    return RULES[rule_id]


def all_rules() -> dict[str, Rule]:
    """Every rule by id (the rule modules are imported on first use)."""
    load_rules()
    return RULES


_loaded = False


def load_rules() -> None:
    """Import every rule module so their decorators run (idempotent).

    ``rule()`` runs once per finding, so the imports happen once, not per call
    (the lint benchmark found 87,000 ``import_module`` calls in one run).
    """
    global _loaded
    if _loaded:
        return
    for module in RULE_MODULES:
        importlib.import_module(module)
    _loaded = True


RULE_MODULES = (
    "pgwarden.checks.schema_rules",
    "pgwarden.checks.migration_rules",
    "pgwarden.checks.calls",
    "pgwarden.checks.access_rules",
    "pgwarden.checks.query_rules",
    "pgwarden.checks.meta_rules",
)
