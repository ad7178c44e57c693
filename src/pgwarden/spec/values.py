"""What a value of a column type may be, as PostgreSQL reads it.

One home for the ranges, precisions and input spellings of the built-in types,
shared by the spec validator (literal defaults: ``default = 99999`` on a
``smallint`` creates fine, then every insert that uses it fails) and the
generated boundary validator (``generators/validation.py`` takes its integer
ranges and numeric limits from here).

The rules follow Postgres's input functions (``int4in``, ``numeric_in``,
``boolin``, ``date_in``, ``uuid_in``, ``byteain``, ``array_in``...), with one
deliberate narrowing: date and time literals must be ISO 8601, because every
other spelling depends on the server's ``DateStyle``. Where Postgres accepts
more than is checked here (interval, inet, time zone names), the value is left
to the server: ``pgwarden validate`` runs every default there too.
"""

from __future__ import annotations

import calendar
import json
import math
import re
import struct
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from pgwarden.spec.model import ColumnType
from pgwarden.spec.types import NUMBER_TYPES, TEXT_TYPES

INT_RANGES: dict[str, tuple[int, int]] = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def numeric_limit(precision: int, scale: int) -> Decimal:
    """The smallest absolute value numeric(p, s) rejects: Postgres rounds to ``s``
    digits (half away from zero), then refuses 10**(p-s) or more. Exact, so the
    generated code needs no rounding before the comparison."""
    ctx = Context(prec=precision + abs(scale) + 10)
    return ctx.subtract(Decimal(1).scaleb(precision - scale), Decimal(5).scaleb(-scale - 1))


# --------------------------------------------------------------------------- numbers

_INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$")
_FLOAT_SPECIAL = re.compile(r"^\s*[+-]?(?:nan|inf|infinity)\s*$", re.IGNORECASE)
_NUMERIC_SPECIAL = re.compile(r"^\s*(?:nan|[+-]?inf|[+-]?infinity)\s*$", re.IGNORECASE)
#: real and double precision are read by the C library's strtod, which takes C99 hex floats
_HEX_FLOAT = re.compile(
    r"^\s*[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?\s*$"
)
_DECIMAL_ONLY = "write a plain decimal number (digits, an optional sign, '.' and exponent)"
#: PostgreSQL 16+ also reads 0x1F, 0o17, 0b101 and 1_000; 15 does not: refused for both
_NEWER_SYNTAX = re.compile(
    r"^\s*[+-]?(?:0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_.eE+-]*_[0-9_.eE+-]*)\s*$"
)
_NEWER_HINT = " (0x.., 0o.., 0b.. and _ separators need PostgreSQL 16+)"


def number_problem(value: Decimal, t: ColumnType, shown: str | None = None) -> str | None:
    """Why the number ``value`` (written ``shown``) does not fit a column of numeric
    type ``t``, or None."""
    name = t.name
    written = shown if shown is not None else str(value)
    if name in INT_RANGES:
        low, high = INT_RANGES[name]
        whole = value.to_integral_value(rounding=ROUND_HALF_UP)
        if not low <= whole <= high:
            return f"{written} is out of range for {name} ({low}..{high})"
        return None
    if name == "numeric":
        if not t.modifiers:
            return None
        precision = t.modifiers[0]
        scale = t.modifiers[1] if len(t.modifiers) > 1 else 0
        if value.is_infinite():
            return f"numeric({precision},{scale}) cannot hold an infinite value"
        if not value.is_nan() and abs(value) >= numeric_limit(precision, scale):
            return (
                f"{written} does not fit numeric({precision},{scale}) "
                f"(at most {precision - scale} digits before the point, {scale} after)"
            )
        return None
    if name in ("real", "double precision") and value.is_finite():
        as_float = float(value)
        if name == "real" and not math.isinf(as_float):
            try:
                as_float = struct.unpack("f", struct.pack("f", as_float))[0]
            except OverflowError:
                as_float = math.inf
        if math.isinf(as_float):
            return f"{written} is out of range for {name}"
        if value != 0 and as_float == 0.0:
            return f"{written} is too close to zero for {name} (it would underflow)"
    return None


def _number_input(text: str, t: ColumnType) -> str | None:
    name = t.name
    if name in INT_RANGES:
        if not _INTEGER.match(text):
            newer = _NEWER_HINT if _NEWER_SYNTAX.match(text) else ""
            return f"{text!r} is not a valid {name}: write a whole number{newer}"
        return number_problem(Decimal(text.strip()), t, repr(text))
    if name == "numeric":
        if _NUMERIC_SPECIAL.match(text):
            word = text.strip().lower().lstrip("+-")
            return number_problem(Decimal("NaN" if word == "nan" else "Infinity"), t, repr(text))
        if not _DECIMAL.match(text):
            newer = _NEWER_HINT if _NEWER_SYNTAX.match(text) else ""
            return f"{text!r} is not a valid numeric: {_DECIMAL_ONLY}{newer}"
        return number_problem(Decimal(text.strip()), t, repr(text))
    if _FLOAT_SPECIAL.match(text):
        return None
    if _HEX_FLOAT.match(text):
        try:
            exact = Decimal(float.fromhex(text.strip()))
        except OverflowError:
            return f"{text!r} is out of range for {name}"
        return number_problem(exact, t, repr(text))
    if not _DECIMAL.match(text):
        return f"{text!r} is not a valid {name}: {_DECIMAL_ONLY}, NaN or Infinity"
    try:
        return number_problem(Decimal(text.strip()), t, repr(text))
    except InvalidOperation:
        return f"{text!r} is not a valid {name}"


# --------------------------------------------------------------------------- dates and times

_DATE = r"(?P<y>[0-9]{4,7})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
_TIME = r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.[0-9]+)?)?"
_OFFSET = r"(?:[zZ]|[+-][0-9]{1,2}(?::?[0-9]{2}(?::?[0-9]{2})?)?)"
_ZONE = r"(?:\s*(?:" + _OFFSET + r"|(?!(?:BC|AD)\b)[A-Za-z][A-Za-z0-9_/+\-]*))"
_BC = r"(?:\s+(?P<bc>BC|AD))?"
_DATE_RE = re.compile(rf"^\s*{_DATE}{_BC}\s*$", re.IGNORECASE)
_TIMESTAMP_RE = re.compile(
    rf"^\s*{_DATE}(?:(?:[Tt]|\s+){_TIME})?(?P<z>{_ZONE})?{_BC}\s*$", re.IGNORECASE
)
_TIME_RE = re.compile(rf"^\s*{_TIME}(?P<z>{_ZONE})?\s*$")
_SPECIAL = {
    "date": ("epoch", "infinity", "-infinity"),
    "timestamp": ("epoch", "infinity", "-infinity"),
    "timestamptz": ("epoch", "infinity", "-infinity"),
    "time": ("allballs",),
    "timetz": ("allballs",),
}
_MOVING = ("now", "today", "tomorrow", "yesterday")
_ISO_HINT = {
    "date": "YYYY-MM-DD",
    "timestamp": "YYYY-MM-DD HH:MM:SS",
    "timestamptz": "YYYY-MM-DD HH:MM:SS+00",
    "time": "HH:MM:SS",
    "timetz": "HH:MM:SS+00",
}
_MAX_YEAR = {"date": 5874897, "timestamp": 294276, "timestamptz": 294276}


class MovingValue(ValueError):
    """``'now'`` and friends: read once, when the DDL runs, not at every insert."""


def _date_problem(match: re.Match[str], name: str) -> str | None:
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if not 1 <= month <= 12:
        return f"month {month} does not exist"
    bc = (match["bc"] or "").upper() == "BC"
    if year == 0:
        return "there is no year 0 (1 BC is followed by 1 AD)"
    astronomical = 1 - year if bc else year  # 1 BC is year 0, a leap year
    february = 29 if calendar.isleap(astronomical) else 28
    days = (31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    if not 1 <= day <= days:
        return f"day {day} does not exist in {year:04d}-{month:02d}"
    if not bc and year > _MAX_YEAR[name]:
        return f"year {year} is out of range for {name}"
    if bc and year > 4713:
        return f"year {year} BC is out of range for {name} (from 4713 BC)"
    return None


def _time_problem(match: re.Match[str]) -> str | None:
    hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
    if hour > 24 or minute > 59 or second > 60 or (hour == 24 and (minute or second)):
        return "the time of day is out of range (00:00:00 to 24:00:00)"
    return None


def _datetime_input(text: str, name: str) -> str | None:
    low = text.strip().lower()
    if low in _SPECIAL.get(name, ()):
        return None
    if low in _MOVING:
        raise MovingValue(low)
    iso = _ISO_HINT[name]
    if name == "date":
        match = _DATE_RE.match(text)
        problem = _date_problem(match, name) if match else None
    elif name in ("timestamp", "timestamptz"):
        match = _TIMESTAMP_RE.match(text)
        problem = _date_problem(match, name) if match else None
        if match and problem is None and match["H"] is not None:
            problem = _time_problem(match)
    else:
        match = _TIME_RE.match(text)
        problem = _time_problem(match) if match else None
        if match and name == "time" and match["z"]:
            problem = "a time without time zone takes no offset"
    if match is None:
        return (
            f"{text!r} is not an ISO 8601 {name}: write {iso} "
            "(other spellings depend on the server's DateStyle)"
        )
    return f"{text!r} is not a valid {name}: {problem}" if problem else None


# --------------------------------------------------------------------------- other types

_UUID_EXAMPLE = "00000000-0000-0000-0000-000000000001"
_BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")
_UUID = re.compile(r"^(\{)?[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}(?(1)\})$")
_BYTEA_HEX = re.compile(r"^\\x(?:\s*[0-9a-fA-F]{2})*\s*$")
_BYTEA_ESCAPE = re.compile(r"^(?:[^\\]|\\\\|\\[0-3][0-7]{2})*$")


def _boolean_input(text: str) -> str | None:
    word = text.strip().lower()
    # boolin: any unambiguous prefix of true/false/yes/no, "on"/"off" from two letters
    ok = bool(word) and any(
        w.startswith(word) and (len(word) >= 2 or w not in ("on", "off")) for w in _BOOLEAN_WORDS
    )
    return None if ok else f"{text!r} is not a boolean: use true or false"


def _json_problem(text: str, name: str) -> str | None:
    def refuse(word: str) -> object:
        raise ValueError(f"{word} is not JSON")

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        return f"{text!r} is not valid JSON: {exc}"
    if name == "jsonb" and "\\u0000" in text:
        return "jsonb cannot hold \\u0000"
    return None


def _length_problem(text: str, t: ColumnType) -> str | None:
    if t.name not in ("varchar", "char"):
        return None
    limit = t.modifiers[0] if t.modifiers else (1 if t.name == "char" else None)
    # like an insert: excess trailing spaces are cut silently, anything else is an error
    if limit is not None and len(text) > limit and text[limit:].strip(" "):
        return f"{text!r} is {len(text)} characters, longer than {t.spec_text()}"
    return None


#: the verdict of :func:`judge` on a value only the server can read (an interval,
#: an address, an array literal with explicit bounds...)
LEFT_TO_SERVER = "left to the server"
_JUDGED_TYPES = frozenset({*NUMBER_TYPES, *TEXT_TYPES, "boolean", *_ISO_HINT, "uuid"})
_JUDGED_TYPES |= {"json", "jsonb", "bytea"}


def input_problem(text: str, t: ColumnType, enum_values: Sequence[str] | None = None) -> str | None:
    """Why Postgres would refuse ``text`` as input of type ``t`` (a quoted literal
    given to a column), or None when it reads it or only the server can tell.

    Raises :class:`MovingValue` for ``'now'``, ``'today'``, ... on date/time types.
    """
    verdict = judge(text, t, enum_values)
    return None if verdict == LEFT_TO_SERVER else verdict


def judge(text: str, t: ColumnType, enum_values: Sequence[str] | None = None) -> str | None:
    """:func:`input_problem`, telling apart "reads" (None) and :data:`LEFT_TO_SERVER`."""
    if "\x00" in text:
        return "PostgreSQL text cannot contain NUL (\\x00) characters"
    if t.array:
        elements = parse_array(text)
        if elements is None:
            if not text.lstrip().startswith(("{", "[")):
                return f"{text!r} is not an array literal: write {{a,b}} (or a TOML list)"
            return LEFT_TO_SERVER
        verdict = None
        for element in elements:
            if element is None:
                continue
            found = judge(element, t.element, enum_values)
            if found == LEFT_TO_SERVER:
                verdict = found
            elif found is not None:
                return f"array element {found}"
        return verdict
    name = t.name
    if enum_values is not None:
        if text not in enum_values:
            return f"{text!r} is not a value of enum {name} ({', '.join(enum_values)})"
        return None
    if not t.is_builtin or name not in _JUDGED_TYPES:
        return LEFT_TO_SERVER
    if name in NUMBER_TYPES:
        return _number_input(text, t)
    if name in TEXT_TYPES:
        return _length_problem(text, t)
    if name == "boolean":
        return _boolean_input(text)
    if name in _ISO_HINT:
        return _datetime_input(text, name)
    if name == "uuid":
        if not _UUID.match(text):
            return f"{text!r} is not a uuid: write 32 hex digits like {_UUID_EXAMPLE}"
        return None
    if name in ("json", "jsonb"):
        return _json_problem(text, name)
    ok = bool(_BYTEA_HEX.match(text) if text.startswith("\\x") else _BYTEA_ESCAPE.match(text))
    return None if ok else f"{text!r} is not bytea input: write hex as \\x00ff"


# --------------------------------------------------------------------------- arrays


#: what array_in skips (array_isspace): Python's isspace() also takes \x1c-\x1f and more
_ARRAY_SPACE = " \t\n\r\v\f"


def parse_array(text: str) -> list[str | None] | None:
    """The elements (all dimensions, in order) of a Postgres array literal
    ``{a,"b c",NULL}``; None when the text is not one this reader understands."""
    i = 0
    n = len(text)
    while i < n and text[i] in _ARRAY_SPACE:
        i += 1
    if i < n and text[i] == "[":  # explicit bounds [1:2]={...}: left to the server
        return None
    if i >= n or text[i] != "{":
        return None
    out: list[str | None] = []
    depth = 0
    expect_element = True
    while i < n:
        c = text[i]
        if c == "{":
            depth += 1
            i += 1
            expect_element = True
            continue
        if c == "}":
            depth -= 1
            i += 1
            expect_element = False
            if depth == 0:
                break
            continue
        if c == ",":
            i += 1
            expect_element = True
            continue
        if c in _ARRAY_SPACE:
            i += 1
            continue
        if not expect_element or depth == 0:
            return None
        if c == '"':
            i += 1
            buf: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                return None
            i += 1
            out.append("".join(buf))
        else:
            buf = []
            while i < n and text[i] not in ',{}"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            word = "".join(buf).strip(_ARRAY_SPACE)
            out.append(None if word.upper() == "NULL" else word)
        expect_element = False
    if depth != 0 or text[i:].strip(_ARRAY_SPACE):
        return None
    return out
