"""Code layout helpers: Python string literals and calls in ``ruff format`` style.

Where a line could be long (hostile identifiers), :func:`call` either keeps it
on one line or explodes it one argument per line with a trailing comma -- the
two layouts the formatter leaves alone -- so generated code is stable without
running a formatter at generation time.
"""

from __future__ import annotations

from collections.abc import Sequence

LINE = 100


def call(indent: int, head: str, args: Sequence[str], tail: str = "") -> str:
    """``head(args)tail`` on one line when it fits, else one argument per line."""
    pad = " " * indent
    one = f"{pad}{head}({', '.join(args)}){tail}"
    if len(one) <= LINE or not args:
        return one
    inner = "".join(f"{pad}    {a},\n" for a in args)
    return f"{pad}{head}(\n{inner}{pad}){tail}"


def const(indent: int, name: str, text: str) -> str:
    """A string constant: one literal when it fits, else ``_j(...)`` over short parts."""
    pad = " " * indent
    one = f"{pad}{name} = {py_str(text)}"
    if len(one) <= LINE:
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
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def py_str_parts(text: str, width: int = 80) -> list[str]:
    """``text`` as literals of at most ~``width`` characters, split at spaces where possible."""
    parts: list[str] = []
    rest = text
    while rest:
        if len(py_str(rest)) <= width:
            parts.append(rest)
            break
        cut = width // 2
        space = rest.rfind(" ", 0, width - 4)
        if space > cut:
            cut = space + 1
        while len(py_str(rest[:cut])) > width and cut > 1:
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
