"""``file:line:col: rule-id message`` and an indented ``fix:`` line."""

from __future__ import annotations

from pgwarden.checks.registry import Finding, Location


def where(loc: Location) -> str:
    if loc.line is not None:
        head = f"{loc.file}:{loc.line}:{loc.col or 1}"
        return f"{head}: {loc.object}" if loc.object else head
    return f"{loc.file}: {loc.object}" if loc.object else loc.file


def render(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        sev = "" if f.severity == "error" else f" [{f.severity}]"
        lines.append(f"{where(f.location)}: {f.rule}{sev} {f.message}")
        if f.fix:
            lines.append(f"  fix: {f.fix}")
    return "\n".join(lines) + ("\n" if lines else "")
