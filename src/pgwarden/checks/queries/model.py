"""What query analysis produces: one :class:`Query` per statement the application runs,
one :class:`Access` per table and query scope it reads or changes, and the
:class:`Cond` conditions an index can serve."""

from __future__ import annotations

from dataclasses import dataclass

EQ_OPS = frozenset({"=", "IN", "= ANY", "join"})
RANGE_OPS = frozenset({"<", "<=", ">", ">=", "BETWEEN"})
#: Suffix of the generated constants that read deleted rows too (``include_deleted=True``).
ALL_ROWS = "_ALL_ROWS"


@dataclass(frozen=True, slots=True)
class Cond:
    """One index-relevant condition: a column and its operator (``=``, ``IN``,
    ``= ANY``, ``<``, ``BETWEEN``, ``join``, ``IS NULL`` ...)."""

    column: str
    op: str


@dataclass(frozen=True, slots=True)
class Access:
    """One table as one query scope reads or changes it."""

    table: str
    kind: str
    """``select``, ``update``, ``delete`` or ``insert`` (of the scope, not the statement)."""
    conds: tuple[Cond, ...] = ()
    predicates: frozenset[str] = frozenset()
    """Normalised AND-conjuncts on this table alone (for partial-index implication)."""
    order: tuple[tuple[str, bool], ...] = ()
    """ORDER BY columns with DESC flags, when the scope has a LIMIT and orders by this table."""
    mentions: frozenset[str] = frozenset()
    """Every column of this table the scope's WHERE/ON conditions name (at any depth)."""
    sets: frozenset[str] = frozenset()
    top: bool = True
    """The rows the statement returns or changes (not an EXISTS/IN/scalar subquery)."""

    def columns(self, ops: frozenset[str]) -> tuple[str, ...]:
        """The columns compared with one of ``ops``, each once, in the order they appear."""
        out: list[str] = []
        for c in self.conds:
            if c.op in ops and c.column not in out:
                out.append(c.column)
        return tuple(out)

    @property
    def filtered(self) -> tuple[str, ...]:
        """The columns an index could serve: those compared by equality or a range."""
        return self.columns(EQ_OPS | RANGE_OPS)

    def pattern(self) -> str:
        """A short, stable description (``"authUserId" =, "deletedAt" IS NULL``)."""
        parts = [f'"{c.column}" {c.op}' for c in sorted(set(self.conds), key=_cond_key)]
        if self.order:
            cols = ", ".join(f'"{c}"' + (" DESC" if d else "") for c, d in self.order)
            parts.append(f"ORDER BY {cols} LIMIT")
        return ", ".join(parts) if parts else "all rows"


def _cond_key(c: Cond) -> tuple[int, str, str]:
    rank = 0 if c.op in EQ_OPS else 1 if c.op in RANGE_OPS else 2
    return (rank, c.column, c.op)


@dataclass(frozen=True, slots=True)
class Query:
    """One statement found in the source, where it is and what it touches."""

    file: str
    line: int
    col: int
    sql: str
    label: str
    """How the application runs it: ``cur.execute``, ``db.user.get_by_email``."""
    accesses: tuple[Access, ...] = ()
    generated: bool = False
    """A constant of a generated package (its accessors name it; lines move on regeneration)."""
    all_rows: bool = False
    """A generated ``*_ALL_ROWS`` text: an accessor's ``include_deleted=True`` form, which
    reads deleted rows on purpose."""
