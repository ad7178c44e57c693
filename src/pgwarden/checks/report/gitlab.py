"""GitLab Code Quality (a CodeClimate-style JSON array) for merge-request widgets.

Each finding becomes ``{description, check_name, fingerprint, severity, location}``;
the fingerprint is stable across runs (rule, file, object or line, message) so GitLab
can tell new findings from fixed ones between the source and target branches.
"""

from __future__ import annotations

import hashlib
import json

from pgwarden.checks.registry import Finding

# GitLab's severities: info, minor, major, critical, blocker
_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def _fingerprint(f: Finding) -> str:
    loc = f.location
    where = f.key or loc.object or str(loc.line or "")
    text = "\0".join((f.rule, loc.file, where, f.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_dict(f: Finding) -> dict[str, object]:
    """One finding as a GitLab Code Quality issue (fingerprint stable across runs)."""
    loc = f.location
    description = f"{loc.object}: {f.message}" if loc.object else f.message
    if f.fix:
        description += f" (fix: {f.fix})"
    return {
        "description": description,
        "check_name": f.rule,
        "fingerprint": _fingerprint(f),
        "severity": _SEVERITY[f.severity],
        "location": {"path": loc.file, "lines": {"begin": loc.line or 1}},
    }


def render(findings: list[Finding]) -> str:
    """The findings as a GitLab Code Quality report."""
    return json.dumps([as_dict(f) for f in findings], indent=2) + "\n"
