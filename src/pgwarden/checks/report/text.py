"""``file:line:col: rule-id message``, a code frame of the line with a caret under the
column, the fix (a concrete rewritten statement where there is one) and the rule's
documentation page.

```text
migrations/0004/up.sql:3:1: create-index-non-concurrently CREATE INDEX on existing ...
   |
 3 | CREATE INDEX customer_idx ON "Customer" ("authUserId");
   | ^
  fix: build it with CONCURRENTLY, in a step of its own marked `-- pgwarden:step atomic=false`:
       -- pgwarden:step atomic=false
       CREATE INDEX CONCURRENTLY customer_idx ON "Customer" ("authUserId");
  docs: docs/rules/create-index-non-concurrently.md
```
"""

from __future__ import annotations

from collections.abc import Callable

from pgwarden.checks.registry import Finding, Location

Source = Callable[[str], list[str] | None]
"""The lines of a file, or None when it cannot be shown."""


def where(loc: Location) -> str:
    """``file:line:col`` of a location, as far as it is known."""
    if loc.line is not None:
        head = f"{loc.file}:{loc.line}:{loc.col or 1}"
        return f"{head}: {loc.object}" if loc.object else head
    return f"{loc.file}: {loc.object}" if loc.object else loc.file


def file_lines() -> Source:
    """Read files on demand, once each."""
    cache: dict[str, list[str] | None] = {}

    def read(file: str) -> list[str] | None:
        if file not in cache:
            try:
                with open(file, encoding="utf-8", errors="replace") as fh:
                    cache[file] = fh.read().splitlines()
            except OSError:
                cache[file] = None
        return cache[file]

    return read


def frame(lines: list[str] | None, line: int | None, col: int | None) -> list[str]:
    """The code frame of one line: the line, and a caret under the column."""
    if not lines or line is None or not 0 < line <= len(lines):
        return []
    text = lines[line - 1].expandtabs(4).rstrip()
    width = len(str(line))
    pad = " " * width
    caret = " " * max(0, (col or 1) - 1) + "^"
    return [f" {pad} |", f" {line} | {text}", f" {pad} | {caret}"]


def finding(f: Finding, source: Source | None = None) -> list[str]:
    """One finding for people: location, message, the source line with a caret, the fix."""
    sev = "" if f.severity == "error" else f" [{f.severity}]"
    out = [f"{where(f.location)}: {f.rule}{sev} {f.message}"]
    if source is not None and f.location.line is not None:
        out += frame(source(f.location.file), f.location.line, f.location.col)
    if f.fix:
        first, *rest = f.fix.split("\n")
        out.append(f"  fix: {first}")
        out += [f"       {r}" for r in rest]
    out.append(f"  docs: docs/rules/{f.rule}.md")
    return out


def render(findings: list[Finding], source: Source | None = None) -> str:
    """The findings for a terminal, each with its source line (read through ``source``)."""
    source = source or file_lines()
    lines = [line for f in findings for line in finding(f, source)]
    return "\n".join(lines) + ("\n" if lines else "")
