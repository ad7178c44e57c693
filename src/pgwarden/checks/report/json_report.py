"""A JSON array of findings, one object each (stable keys for tools)."""

from __future__ import annotations

import json

from pgwarden.checks.registry import Finding


def as_dict(f: Finding) -> dict[str, object]:
    """One finding as a JSON object with stable keys."""
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
    """``json.dumps(..., indent=2)`` of the findings, written out by hand: with ``indent``
    the json module uses its pure-Python encoder (a fifth of linting a large history);
    the values are scalars, each encoded by the C encoder."""
    if not findings:
        return "[]\n"
    enc = json.dumps
    items = [
        "  {\n" + ",\n".join(f"    {enc(k)}: {enc(v)}" for k, v in as_dict(f).items()) + "\n  }"
        for f in findings
    ]
    return "[\n" + ",\n".join(items) + "\n]\n"
