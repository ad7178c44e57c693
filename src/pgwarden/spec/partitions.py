"""Declarative partitioning: the partition key and partition bounds as text, and
whether two bounds overlap.

The model keeps both as SQL text in Postgres's own spelling (``RANGE (at)``,
``FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')``); this module writes that
text from a spec's values and reads the values back out of it for validation,
so overlapping partitions are caught before any server sees them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pgwarden.spec.exprs import ExprSyntaxError, column_refs, literal_sql, normalize_expr
from pgwarden.spec.sqltext import split_top

STRATEGIES = ("RANGE", "LIST", "HASH")
_KEY = re.compile(r"^\s*(?P<strategy>\w+)\s*\((?P<keys>.*)\)\s*$", re.DOTALL)


class PartitionSyntaxError(ValueError):
    """A partition key or bound the spec cannot read; the message says the form."""


def normalize_partition_by(text: str) -> str:
    """``range ("createdAt")`` -> ``RANGE ("createdAt")``; each key normalized as an
    expression (a column stays a column)."""
    match = _KEY.match(text)
    strategy = match.group("strategy").upper() if match else ""
    if not match or strategy not in STRATEGIES:
        raise PartitionSyntaxError(
            f"cannot read partition key {text!r}; write RANGE (column), LIST (column) or "
            "HASH (column, ...)"
        )
    keys = split_top(match.group("keys"))
    if not all(keys):
        raise PartitionSyntaxError(f"partition key {text!r} has an empty key")
    try:
        normalized = [normalize_expr(k) for k in keys]
    except ExprSyntaxError as exc:
        raise PartitionSyntaxError(f"partition key {text!r}: {exc}") from None
    if strategy == "LIST" and len(normalized) > 1:
        raise PartitionSyntaxError("LIST partitioning takes exactly one key")
    return f"{strategy} ({', '.join(normalized)})"


def key_columns(partition_by: str) -> list[str]:
    """The columns the partition key reads (its keys' column references)."""
    match = _KEY.match(partition_by)
    if not match:
        return []
    out: list[str] = []
    for key in split_top(match.group("keys")):
        out.extend(c for c in column_refs(key) if c not in out)
    return out


def key_is_columns(partition_by: str) -> bool:
    """Every key is a plain column (a unique rule can only cover column keys)."""
    match = _KEY.match(partition_by)
    if not match:
        return False
    return all(_is_ident(k) for k in split_top(match.group("keys")))


def _is_ident(text: str) -> bool:
    return re.fullmatch(r'[a-z_][a-z0-9_$]*|"(?:[^"]|"")+"', text) is not None


# ---------------------------------------------------------------------- bounds

Value = str | int | float


def bound_value(value: Value) -> str:
    """One bound value as SQL: a literal, or MINVALUE / MAXVALUE."""
    if value in ("MINVALUE", "MAXVALUE"):
        return str(value)
    return literal_sql(value)


def range_bound(lower: list[Value], upper: list[Value]) -> str:
    """The bound text of a range partition."""
    return (
        f"FOR VALUES FROM ({', '.join(bound_value(v) for v in lower)}) "
        f"TO ({', '.join(bound_value(v) for v in upper)})"
    )


def list_bound(values: list[Value]) -> str:
    """The bound text of a list partition."""
    return f"FOR VALUES IN ({', '.join(bound_value(v) for v in values)})"


def hash_bound(modulus: int, remainder: int) -> str:
    """The bound text of a hash partition."""
    return f"FOR VALUES WITH (modulus {modulus}, remainder {remainder})"


@dataclass(frozen=True, slots=True)
class Bound:
    """A bound read back from its text: the kind and its values (each value a
    ``(rank, comparable)`` pair so MINVALUE < any value < MAXVALUE)."""

    kind: str  # "range", "list", "hash", "default"
    lower: tuple[tuple[int, object], ...] = ()
    upper: tuple[tuple[int, object], ...] = ()
    values: frozenset[object] = frozenset()
    modulus: int = 0
    remainder: int = 0

    @property
    def is_default(self) -> bool:
        """The DEFAULT partition (takes the rows no other bound does)."""
        return self.kind == "default"


_RANGE = re.compile(r"^FOR VALUES FROM \((?P<lo>.*)\) TO \((?P<hi>.*)\)$", re.DOTALL | re.I)
_LIST = re.compile(r"^FOR VALUES IN \((?P<values>.*)\)$", re.DOTALL | re.I)
_HASH = re.compile(
    r"^FOR VALUES WITH \(\s*modulus\s+(?P<m>\d+)\s*,\s*remainder\s+(?P<r>\d+)\s*\)$", re.I
)


def _comparable(text: str, numeric: bool = False) -> tuple[int, object]:
    """``numeric``: the key is a number type, so a quoted value is a number too
    (Postgres prints a bigint or numeric bound quoted: ``FROM ('5') TO ('20000')``)."""
    word = text.strip()
    if word.upper() == "MINVALUE":
        return (0, "")
    if word.upper() == "MAXVALUE":
        return (2, "")
    word = re.sub(r"::[\w\s\".\[\]()]+$", "", word)  # a cast Postgres or the user added
    if word.startswith("'") and word.endswith("'"):
        inner = word[1:-1].replace("''", "'")
        if not numeric:
            return (1, inner)
        word = inner
    try:
        number = Decimal(word)
        return (1, number if number.is_finite() else math.inf)
    except InvalidOperation:
        return (1, word)


def parse_bound(text: str, numeric: tuple[bool, ...] = ()) -> Bound | None:
    """The bound's values, or None for text this reader does not understand.
    ``numeric``: per key column, whether its type is a number (values then compare
    as numbers, quoted or not)."""
    text = text.strip()

    def values(group: str) -> tuple[tuple[int, object], ...]:
        parts = split_top(group)
        return tuple(
            _comparable(v, numeric[i] if i < len(numeric) else False) for i, v in enumerate(parts)
        )

    if text.upper() == "DEFAULT":
        return Bound("default")
    if m := _RANGE.match(text):
        return Bound("range", lower=values(m.group("lo")), upper=values(m.group("hi")))
    if m := _LIST.match(text):
        one = bool(numeric and numeric[0])  # one key: every value is of its type
        return Bound(
            "list", values=frozenset(_comparable(v, one)[1] for v in split_top(m.group("values")))
        )
    if m := _HASH.match(text):
        return Bound("hash", modulus=int(m.group("m")), remainder=int(m.group("r")))
    return None


def _spec_value(text: str) -> Value | None:
    rank, value = _comparable(text)
    if rank == 0:
        return "MINVALUE"
    if rank == 2:
        return "MAXVALUE"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value if isinstance(value, str) else None


def spec_form(bound: str) -> dict[str, object] | None:
    """The spec keys that load back to exactly ``bound`` (``from``/``to``, ``in``,
    ``modulus``/``remainder``, ``default``), or None: write ``bound`` itself."""
    text = bound.strip()
    form: dict[str, object] | None = None
    if text.upper() == "DEFAULT":
        form = {"default": True}
    elif m := _RANGE.match(text):
        lo = [_spec_value(v) for v in split_top(m.group("lo"))]
        hi = [_spec_value(v) for v in split_top(m.group("hi"))]
        if None not in lo and None not in hi:
            form = {"from": lo[0] if len(lo) == 1 else lo, "to": hi[0] if len(hi) == 1 else hi}
    elif m := _LIST.match(text):
        values = [_spec_value(v) for v in split_top(m.group("values"))]
        if None not in values:
            form = {"in": values}
    elif m := _HASH.match(text):
        form = {"modulus": int(m.group("m")), "remainder": int(m.group("r"))}
    if form is None or bound_text(form) != bound:
        return None
    return form


def bound_text(form: dict[str, object]) -> str | None:
    """The bound a spec form gives (None when the form is not one)."""

    def values(v: object) -> list[Value]:
        return [x for x in (v if isinstance(v, list) else [v])]  # type: ignore[misc]

    try:
        if form.get("default") is True:
            return "DEFAULT"
        if "from" in form and "to" in form:
            return range_bound(values(form["from"]), values(form["to"]))
        if "in" in form:
            return list_bound(values(form["in"]))
        if "modulus" in form and "remainder" in form:
            return hash_bound(int(form["modulus"]), int(form["remainder"]))  # type: ignore[call-overload]
    except (ValueError, ExprSyntaxError):
        return None
    return None


def bound_predicate(partition_by: str, bound: str) -> str | None:
    """SQL true for a row that ``bound`` admits, for a RANGE or LIST key of one column
    or expression (None: no predicate this reader can write; a DEFAULT admits
    what the other partitions leave, which a row alone cannot tell)."""
    match = _KEY.match(partition_by)
    if not match:
        return None
    keys = split_top(match.group("keys"))
    if len(keys) != 1:
        return None
    key = f"({keys[0]})"
    if m := _RANGE.match(bound.strip()):
        lo, hi = split_top(m.group("lo")), split_top(m.group("hi"))
        if len(lo) != 1 or len(hi) != 1:
            return None
        parts = [f"{key} IS NOT NULL"]
        if lo[0].upper() != "MINVALUE":
            parts.append(f"{key} >= {lo[0]}")
        if hi[0].upper() != "MAXVALUE":
            parts.append(f"{key} < {hi[0]}")
        return " AND ".join(parts)
    if m := _LIST.match(bound.strip()):
        values = split_top(m.group("values"))
        listed = [v for v in values if v.upper() != "NULL"]
        parts = [f"{key} IN ({', '.join(listed)})"] if listed else []
        if len(listed) != len(values):
            parts.append(f"{key} IS NULL")
        return " OR ".join(parts) or "false"
    return None


def _less(a: tuple[tuple[int, object], ...], b: tuple[tuple[int, object], ...]) -> bool:
    """Row comparison of two range bounds (values of one key compare by type)."""
    for (ra, va), (rb, vb) in zip(a, b, strict=False):
        if ra != rb:
            return ra < rb
        if ra != 1 or va == vb:
            continue
        try:
            return bool(va < vb)  # type: ignore[operator]
        except TypeError:
            return str(va) < str(vb)
    return False


def empty_range(b: Bound) -> bool:
    """A range bound no value falls in (lower not below upper): Postgres refuses it."""
    return b.kind == "range" and not _less(b.lower, b.upper)


def overlap(a: Bound, b: Bound) -> bool:
    """Whether a row could belong to both partitions (Postgres refuses the second)."""
    if a.kind != b.kind or a.kind == "default":
        return a.kind == b.kind == "default"
    if a.kind == "range":
        return _less(a.lower, b.upper) and _less(b.lower, a.upper)
    if a.kind == "list":
        return bool(a.values & b.values)
    small, large = (a, b) if a.modulus <= b.modulus else (b, a)
    return large.remainder % small.modulus == small.remainder


__all__ = [
    "STRATEGIES",
    "Bound",
    "PartitionSyntaxError",
    "bound_predicate",
    "empty_range",
    "hash_bound",
    "key_columns",
    "key_is_columns",
    "list_bound",
    "normalize_partition_by",
    "overlap",
    "parse_bound",
    "range_bound",
    "spec_form",
]
