"""Sequence numbers: the defaults Postgres picks, so a model keeps only the rest.

``CREATE SEQUENCE`` fills in ``MINVALUE`` (1 going up, the type's least value
going down), ``MAXVALUE`` (the type's greatest going up, -1 going down) and
``START`` (the minimum going up, the maximum going down). :func:`canonical`
turns such values into None, :func:`effective` back into numbers (for ALTER).
"""

from __future__ import annotations

from dataclasses import replace

from pgwarden.spec.model import SequenceOptions

SEQUENCE_TYPES = ("smallint", "integer", "bigint")
_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def bounds(type_name: str, options: SequenceOptions) -> tuple[int, int]:
    """(MINVALUE, MAXVALUE) with Postgres's defaults filled in."""
    low, high = _RANGE.get(type_name, _RANGE["bigint"])
    up = options.increment > 0
    lo = options.min_value if options.min_value is not None else (1 if up else low)
    hi = options.max_value if options.max_value is not None else (high if up else -1)
    return lo, hi


def effective(type_name: str, options: SequenceOptions) -> SequenceOptions:
    """Every number spelled out (what the catalog holds)."""
    lo, hi = bounds(type_name, options)
    start = options.start if options.start is not None else (lo if options.increment > 0 else hi)
    return replace(options, start=start, min_value=lo, max_value=hi)


def canonical(type_name: str, options: SequenceOptions) -> SequenceOptions:
    """None wherever the number is the one Postgres would choose."""
    low, high = _RANGE.get(type_name, _RANGE["bigint"])
    up = options.increment > 0
    lo, hi = bounds(type_name, options)
    return replace(
        options,
        min_value=None if lo == (1 if up else low) else lo,
        max_value=None if hi == (high if up else -1) else hi,
        start=None
        if options.start is None or options.start == (lo if up else hi)
        else options.start,
    )


def problem(type_name: str, options: SequenceOptions) -> tuple[str, str] | None:
    """What Postgres would refuse in these numbers (message, fix), or None."""
    low, high = _RANGE.get(type_name, _RANGE["bigint"])
    if options.increment == 0:
        return "increment cannot be 0", "use increment = 1 (or -1 to count down)"
    if options.cache < 1:
        return f"cache must be at least 1, got {options.cache}", "cache = 1"
    lo, hi = bounds(type_name, options)
    for what, value in (("min_value", lo), ("max_value", hi)):
        if not low <= value <= high:
            return f"{what} {value} is out of range for {type_name}", f"use a {type_name} value"
    if lo >= hi:
        return f"min_value {lo} must be less than max_value {hi}", "swap or widen them"
    start = effective(type_name, options).start
    assert start is not None
    if not lo <= start <= hi:
        return f"start {start} is outside {lo}..{hi}", "move start inside the bounds"
    return None


__all__ = ["SEQUENCE_TYPES", "bounds", "canonical", "effective", "problem"]
