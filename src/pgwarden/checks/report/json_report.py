"""A JSON array of findings, one object each (stable keys for tools)."""

from __future__ import annotations

import json

from pgwarden.checks.registry import Finding


def as_dict(f: Finding) -> dict[str, object]:
    loc = f.location
    return {
        "rule": f.rule,
        "severity": f.severity,
        "file": loc.file,
        "line": loc.line,
        "column": loc.col,
        "object": loc.object,
        "message": f.message,
        "fix": f.fix,
    }


def render(findings: list[Finding]) -> str:
    return json.dumps([as_dict(f) for f in findings], indent=2) + "\n"
