"""SARIF 2.1.0: one run, the rules pgwarden knows, one result per finding.

Spec objects without a line are reported at line 1 of their spec file with a
logical location (``Table.column``), which code-scanning UIs show as the place.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pgwarden import __version__
from pgwarden.checks.baseline import fingerprint
from pgwarden.checks.registry import Finding, all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(file: str) -> str:
    return file.replace("\\", "/")


def document(findings: list[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, every rule, one result per finding."""
    rules = sorted(all_rules().values(), key=lambda r: r.id)
    index = {r.id: n for n, r in enumerate(rules)}
    results = []
    for f in findings:
        loc = f.location
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(loc.file)},
                "region": {"startLine": loc.line or 1, "startColumn": loc.col or 1},
            }
        }
        if loc.object:
            location["logicalLocations"] = [{"fullyQualifiedName": loc.object}]
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f"\nfix: {f.fix}" if f.fix else "")},
            "locations": [location],
            # The baseline's line-independent identity, so code scanning tracks a
            # finding across edits above it.
            "partialFingerprints": {
                "pgwarden/v1": hashlib.sha256("\0".join(fingerprint(f)).encode()).hexdigest()
            },
        }
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pgwarden",
                        "version": __version__,
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.id,
                                "shortDescription": {"text": r.summary or r.id},
                                "help": {"text": f"see docs/rules/{r.id}.md"},
                                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                                "properties": {"family": r.family},
                            }
                            for r in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def render(findings: list[Finding]) -> str:
    """The SARIF document as JSON text."""
    return json.dumps(document(findings), indent=2) + "\n"
