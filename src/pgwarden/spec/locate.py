"""Find the line of a dotted spec path in TOML text.

``tomllib`` returns values without positions, so a problem found after parsing
is located by scanning the text: table headers (``[tables.User.columns]``,
``[[tables.User.indexes]]``) and ``key =`` lines build a map from dotted path to
line, and a path resolves to its longest known prefix. Good enough to point a
reader at the right place; never an error when the text is unusual.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*(?P<key>[^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEYLINE = re.compile(r"""^\s*(?P<key>(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-.\s])+?)\s*=""")
_INDEXED = re.compile(r"^(?P<base>.*)\[(?P<n>\d+)\]$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\"}
_HEX = frozenset("0123456789abcdefABCDEF")


def split_key(key: str) -> list[str]:
    """Split a TOML dotted key into parts, unquoting quoted parts."""
    if '"' not in key and "'" not in key:  # the common case: bare parts
        bare = key.split(".")
        if len(bare) > 1 and not bare[-1].strip(" \t"):
            bare.pop()  # a trailing dot ends the key
        elif not key.strip(" \t"):
            return []
        return [p.strip() for p in bare]
    parts: list[str] = []
    i, n = 0, len(key)
    while i < n:
        while i < n and key[i] in " \t":
            i += 1
        if i >= n:
            break
        if key[i] == '"':
            j = i + 1
            buf = []
            while j < n and key[j] != '"':
                if key[j] == "\\" and j + 1 < n:
                    nxt = key[j + 1]
                    width = {"u": 4, "U": 8}.get(nxt, 0)
                    code = key[j + 2 : j + 2 + width]
                    if width and len(code) == width and all(c in _HEX for c in code):
                        buf.append(chr(min(int(code, 16), 0x10FFFF)))  # \u0000, \U0001F600
                        j += 2 + width
                        continue
                    buf.append(_ESCAPES.get(nxt, nxt))
                    j += 2
                    continue
                buf.append(key[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        elif key[i] == "'":
            j = key.find("'", i + 1)
            j = n if j < 0 else j
            parts.append(key[i + 1 : j])
            i = j + 1
        else:
            j = i
            while j < n and key[j] not in ".":
                j += 1
            parts.append(key[i:j].strip())
            i = j
        while i < n and key[i] in " \t":
            i += 1
        if i < n and key[i] == ".":
            i += 1
    return parts


def join_path(parts: list[str]) -> str:
    """A spec path as the dotted text the line index keys by."""
    return ".".join(parts)


class LineIndex:
    """Dotted path -> first line (1-based) where it is declared in one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[str, int] = {}
        array_counts: dict[str, int] = {}
        current: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                parts = split_key(header.group("key"))
                base = join_path(parts)
                if header.group(1) == "[[":
                    count = array_counts.get(base, 0)
                    array_counts[base] = count + 1
                    self._add(base, number)
                    parts = [*parts[:-1], f"{parts[-1]}[{count}]"] if parts else parts
                current = parts
                self._add(join_path(current), number)
                continue
            keyline = _KEYLINE.match(line)
            if keyline:
                self._add(join_path([*current, *split_key(keyline.group("key"))]), number)

    def _add(self, path: str, line: int) -> None:
        # every prefix too: [tables.A.columns] is where table A first appears
        if path in self._lines:  # then so are its prefixes (added with it)
            return
        parts = path.split(".")
        for end in range(1, len(parts) + 1):
            self._lines.setdefault(".".join(parts[:end]), line)

    def line_of(self, path: str | list[str] | tuple[str, ...]) -> int | None:
        """The line of ``path`` (dotted text or parts) or of its nearest declared ancestor."""
        parts = path.split(".") if isinstance(path, str) else list(path)
        while parts:
            found = self._lines.get(join_path(parts))
            if found is not None:
                return found
            last = _INDEXED.match(parts[-1])
            parts = [*parts[:-1], last.group("base")] if last else parts[:-1]
        return None


def locate_line(text: str, path: str | list[str] | tuple[str, ...]) -> int | None:
    """One-shot form of :class:`LineIndex` (tests and small callers)."""
    return LineIndex(text).line_of(path)
