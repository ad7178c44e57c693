"""Does ``ALTER COLUMN ... TYPE`` rewrite the table? Postgres's rules, built in.

Postgres skips the rewrite (and the index rebuilds) when the old type is
binary-coercible to the new one and the new type modifier accepts every old
value without a check (``ATColumnChangeRequiresRewrite`` with the types' length
coercion support functions):

* ``varchar(n)`` -> ``varchar(m)`` with m >= n, -> ``varchar``, -> ``text``;
  ``text`` -> ``varchar`` (no limit); ``cidr`` -> ``inet``;
* ``numeric(p, s)`` -> ``numeric(q, s)`` with q >= p (same scale), -> ``numeric``;
* ``timestamp``/``timestamptz``/``time``/``timetz``/``interval`` and ``varbit`` to a
  greater or no precision;
* ``timestamp`` <-> ``timestamptz`` when the session ``TimeZone`` is UTC (Postgres 12+)
  and the new type has no precision (or 6): ``timestamptz(3)`` adds a rounding pass;
* the same type and modifier.

Anything else rewrites (a ``USING`` clause always does). A column whose current
type the replay does not know (created outside the linted history) is reported:
lint cannot prove the change safe.
"""

from __future__ import annotations

ColType = tuple[str, tuple[int, ...], bool]

_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "bigint": "int8",
    "smallint": "int2",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "boolean": "bool",
    "double precision": "float8",
    "real": "float4",
    "bit varying": "varbit",
}
#: Types whose precision can grow without a rewrite.
_PRECISION = frozenset({"timestamp", "timestamptz", "time", "timetz", "interval", "varbit"})


def canonical(name: str) -> str:
    """The catalog spelling of a type name written in lower case (``int4`` -> ``integer``); a
    quoted mixed-case name is a user type and stays as it is."""
    return _ALIASES.get(name.lower(), name.lower()) if name.islower() or " " in name else name


def _widens(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    """The new single modifier accepts every value of the old (none = unlimited)."""
    if not new:
        return True
    if not old:
        return False
    return new[0] >= old[0]


def rewrite_reason(old: ColType | None, new: ColType, *, using: bool, utc: bool) -> str | None:
    """Why the change rewrites the table, or None when Postgres skips the rewrite."""
    if using:
        return "a USING expression is evaluated for every row"
    if old is None:
        return "its current type is unknown here, so lint cannot prove the cast binary-coercible"
    a, amods, aarr = canonical(old[0]), old[1], old[2]
    b, bmods, barr = canonical(new[0]), new[1], new[2]
    shown = f"{_show(old)} -> {_show(new)}"
    if aarr != barr:
        return f"{shown} is not binary-coercible"
    if aarr:
        return None if (a, amods) == (b, bmods) else f"{shown}: array elements are converted"
    if a == b and amods == bmods:
        return None
    if a == "varchar" and b == "varchar":
        return None if _widens(amods, bmods) else f"{shown} checks the shorter length on every row"
    if a == "varchar" and b == "text":
        return None
    if a == "text" and b == "varchar":
        return None if not bmods else f"{shown} checks the length on every row"
    if a == "cidr" and b == "inet":
        return None
    if a == b == "numeric":
        if not bmods:
            return None
        if len(amods) == len(bmods) == 2 and amods[1] == bmods[1] and bmods[0] >= amods[0]:
            return None
        if len(amods) == 1 and len(bmods) == 1 and bmods[0] >= amods[0]:
            return None
        return f"{shown} changes the scale or narrows the precision"
    if a == b and a in _PRECISION:
        return None if _widens(amods, bmods) else f"{shown} rounds every value"
    if {a, b} == {"timestamp", "timestamptz"}:
        # the cast is skipped under UTC, but a precision below 6 adds a rounding pass
        if bmods and bmods[0] < 6:
            return f"{shown} rounds every value to the new precision"
        if utc:
            return None
        return f"{shown} is only binary-coercible under SET timezone = 'UTC'"
    return f"{shown} is not binary-coercible"


def _show(t: ColType) -> str:
    name, mods, arr = t
    text = canonical(name) + (f"({', '.join(map(str, mods))})" if mods else "")
    return text + ("[]" if arr else "")
