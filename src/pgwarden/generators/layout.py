"""Code layout helpers: Python string literals and calls in ``ruff format`` style.

Where a line could be long (hostile identifiers), :func:`call` either keeps it
on one line or explodes it one argument per line with a trailing comma -- the
two layouts the formatter leaves alone -- so generated code is stable without
running a formatter at generation time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

LINE = 100


def width(text: str) -> int:
    """Display width as ruff measures a line (E501, the formatter): East Asian wide
    and full-width characters (CJK, most emoji) take two columns, combining marks none."""
    if text.isascii():
        return len(text)
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


@dataclass(frozen=True)
class SetCall:
    """An argument ``head({items})`` (``values=frozenset({...})``): on one line when it
    fits, else exploded the way ruff's formatter explodes a set inside a call."""

    head: str
    items: tuple[str, ...]

    def flat(self) -> str:
        """The call on one line."""
        return f"{self.head}({{{', '.join(self.items)}}})"

    def exploded(self, indent: int) -> str:
        """The call as ruff formats it: on one line when it fits, else one item a line."""
        pad = " " * indent
        one = f"{pad}{self.flat()},\n"
        if width(one) - 1 <= LINE or not self.items:
            return one
        inner = "".join(f"{pad}        {item},\n" for item in self.items)
        return f"{pad}{self.head}(\n{pad}    {{\n{inner}{pad}    }}\n{pad}),\n"


def call(
    indent: int, head: str, args: Sequence[str | SetCall], tail: str = "", brackets: str = "()"
) -> str:
    """``head(args)tail`` on one line when it fits, else one argument per line (with the
    magic trailing comma that keeps ruff's formatter from joining them); ``brackets="[]"``
    lays out a subscript such as a ``tuple[...]`` alias the same way."""
    pad = " " * indent
    left, right = brackets[0], brackets[1]
    flat = [a.flat() if isinstance(a, SetCall) else a for a in args]
    one = f"{pad}{head}{left}{', '.join(flat)}{right}{tail}"
    if width(one) <= LINE or not args:
        return one
    inner = "".join(
        a.exploded(indent + 4) if isinstance(a, SetCall) else f"{pad}    {a},\n" for a in args
    )
    return f"{pad}{head}{left}\n{inner}{pad}{right}{tail}"


def assign(indent: int, target: str, value: str) -> str:
    """``target = value``; when too wide, the value in parentheses on its own line (ruff's way)."""
    pad = " " * indent
    one = f"{pad}{target} = {value}"
    if width(one) <= LINE:
        return one
    return f"{pad}{target} = (\n{pad}    {value}\n{pad})"


def const(indent: int, name: str, text: str) -> str:
    """A string constant: one literal when it fits, else ``_j(...)`` over short parts."""
    pad = " " * indent
    one = f"{pad}{name} = {py_str(text)}"
    if width(one) <= LINE:
        return one
    return call(indent, f"{name} = _j", py_str_parts(text, LINE - indent - 12))


def py_str(text: str) -> str:
    """A Python string literal in the quote style ruff's formatter keeps."""
    out = []
    quote = '"' if text.count('"') <= text.count("'") else "'"
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable() or ch in "\u2028\u2029":
            code = ord(ch)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:  # \u takes exactly four digits: astral characters need \U
                out.append(f"\\U{code:08x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def py_str_parts(text: str, limit: int = 80) -> list[str]:
    """``text`` as literals at most ~``limit`` columns wide, split at spaces where possible."""
    parts: list[str] = []
    rest = text
    while rest:
        if width(py_str(rest)) <= limit:
            parts.append(rest)
            break
        cut = limit // 2
        space = rest.rfind(" ", 0, limit - 4)
        if space > cut:
            cut = space + 1
        while width(py_str(rest[:cut])) > limit and cut > 1:
            cut -= 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    return [py_str(p) for p in parts] or ['""']


def doc_name(name: str, limit: int = 30) -> str:
    """An object name for a docstring or comment: quoted, printable, never closing the string."""
    clean = "".join(ch if ch.isalnum() or ch in "_ .-" else "?" for ch in name)
    if len(clean) > limit:
        clean = clean[: limit - 3] + "..."
    return f'"{clean}"'
