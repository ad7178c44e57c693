"""GCC-style diagnostics (``file:line:col: error: message [rule-id]``) that editors parse."""

from __future__ import annotations

from pgwarden.checks.registry import Finding

_KIND = {"error": "error", "warning": "warning", "info": "note"}


def render(findings: list[Finding]) -> str:
    """``file:line:col: severity: message [rule]`` lines, the form editors and CI annotate."""
    lines = []
    for f in findings:
        loc = f.location
        obj = f"{loc.object}: " if loc.object else ""
        lines.append(
            f"{loc.file}:{loc.line or 1}:{loc.col or 1}: {_KIND[f.severity]}: "
            f"{obj}{f.message} [{f.rule}]"
        )
    return "\n".join(lines) + ("\n" if lines else "")
