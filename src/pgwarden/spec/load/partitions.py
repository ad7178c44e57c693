"""``partition_by = "RANGE (at)"`` and ``[[tables.X.partitions]]`` of a table.

A partition takes ``from``/``to`` (RANGE: a value, or a list for a key of several
columns; ``"MINVALUE"``/``"MAXVALUE"`` for an open end), ``in`` (LIST: a list of
values), ``modulus``/``remainder`` (HASH) or ``default = true``.
"""

from __future__ import annotations

from typing import Any

from pgwarden.spec.exprs import ExprSyntaxError, LiteralError
from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.model import Partition
from pgwarden.spec.partitions import (
    PartitionSyntaxError,
    hash_bound,
    list_bound,
    normalize_partition_by,
    range_bound,
)

PARTITION_KEYS = (
    "name",
    "from",
    "to",
    "in",
    "modulus",
    "remainder",
    "default",
    "bound",
    "comment",
)
_EXAMPLE = (
    '{ name = "Event_2024", from = "2024-01-01", to = "2025-01-01" }, '
    '{ name = "Event_eu", in = ["eu"] }, { name = "Event_h0", modulus = 4, remainder = 0 } '
    'or { name = "Event_other", default = true }'
)


def read_partition_by(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> str | None:
    """``partition_by = "RANGE (col)"`` in its normal spelling (None when absent)."""
    text = r.string(raw, "partition_by", path)
    if text is None:
        return None
    try:
        return normalize_partition_by(text)
    except PartitionSyntaxError as exc:
        r.problem((*path, "partition_by"), str(exc), 'partition_by = "RANGE (\\"createdAt\\")"')
        return None


def read_partitions(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> list[Partition]:
    """``[[tables.T.partitions]]``: each partition's name, bound and comment."""
    out: list[Partition] = []
    for ppath, item in r.entries(raw, "partitions", path):
        p = r.mapping(item, ppath, PARTITION_KEYS)
        if p is None:
            continue
        name = r.string(p, "name", ppath, required=True)
        bound = _bound(r, p, ppath)
        if name is not None and bound is not None:
            out.append(Partition(name, bound, r.string(p, "comment", ppath), r.source(ppath)))
    return out


def _values(r: SpecReader, value: object, path: SpecPath) -> list[str | int | float] | None:
    items = value if isinstance(value, list) else [value]
    if not items or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in items
    ):
        r.problem(path, f"must be a value or a list of values, got {kind(value)}", _EXAMPLE)
        return None
    return items  # type: ignore[return-value]


def _bound(r: SpecReader, p: dict[str, Any], path: SpecPath) -> str | None:
    forms = [
        k
        for k in (("from", "to"), ("in",), ("modulus", "remainder"), ("default",), ("bound",))
        if k[0] in p
    ]
    if len(forms) != 1:
        r.problem(
            path, "needs exactly one bound: from/to, in, modulus/remainder or default", _EXAMPLE
        )
        return None
    form = forms[0]
    if form == ("bound",):  # Postgres's own text, as written (dumps use it for odd bounds)
        text = r.string(p, "bound", path)
        if text is not None and not (text.startswith("FOR VALUES ") or text == "DEFAULT"):
            r.problem((*path, "bound"), "must be FOR VALUES ... or DEFAULT", _EXAMPLE)
            return None
        return text
    try:
        if form == ("default",):
            if p["default"] is not True:
                r.problem((*path, "default"), "must be true", "default = true")
                return None
            return "DEFAULT"
        if form == ("from", "to"):
            if "to" not in p:
                r.problem(path, "a range partition needs both from and to", _EXAMPLE)
                return None
            lower = _values(r, p["from"], (*path, "from"))
            upper = _values(r, p["to"], (*path, "to"))
            if lower is None or upper is None:
                return None
            return range_bound(lower, upper)
        if form == ("in",):
            values = _values(r, p["in"], (*path, "in"))
            return list_bound(values) if values is not None else None
        modulus, remainder = p.get("modulus"), p.get("remainder")
        if not (isinstance(modulus, int) and isinstance(remainder, int)) or not (
            0 <= remainder < modulus
        ):
            r.problem(
                path,
                "a hash partition needs whole numbers modulus > 0 and 0 <= remainder < modulus",
                "modulus = 4, remainder = 0",
            )
            return None
        return hash_bound(modulus, remainder)
    except (LiteralError, ExprSyntaxError) as exc:
        r.problem(path, str(exc), _EXAMPLE)
        return None
