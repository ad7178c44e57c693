"""The baseline: findings an existing project accepted when it adopted the linter.

A finding matches a baseline entry by (rule, file, key) where the key is the
finding's object and message -- not its line, so editing above a finding does
not resurface it. Entries are counted: a second identical finding is new.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pgwarden.checks.registry import Finding
from pgwarden.errors import PgwardenError

VERSION = 1


def fingerprint(f: Finding) -> tuple[str, str, str]:
    """What identifies a finding across runs: rule, file and a key that survives line moves."""
    key = f.key or f"{f.location.object or ''}|{f.message}"
    return (f.rule, f.location.file, key)


def write_baseline(path: Path, findings: list[Finding]) -> None:
    """Write the findings as the accepted baseline (counted per fingerprint, sorted)."""
    counts = Counter(fingerprint(f) for f in findings)
    entries = [
        {"rule": r, "file": file, "key": key, "count": n}
        for (r, file, key), n in sorted(counts.items())
    ]
    path.write_text(json.dumps({"version": VERSION, "findings": entries}, indent=2) + "\n")


def read_baseline(path: Path) -> Counter[tuple[str, str, str]]:
    """The accepted findings of a baseline file (a wrong version or shape is a ValueError)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
        return Counter(
            {(e["rule"], e["file"], e["key"]): int(e["count"]) for e in data["findings"]}
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PgwardenError(
            f"{path}: not a pgwarden baseline ({exc})\n"
            "  fix: regenerate it with `pgwarden lint --write-baseline PATH`"
        ) from None


def filter_baseline(
    findings: list[Finding], baseline: Counter[tuple[str, str, str]]
) -> tuple[list[Finding], int]:
    """(findings not in the baseline, number absorbed by it)."""
    left = Counter(baseline)
    new: list[Finding] = []
    absorbed = 0
    for f in findings:
        fp = fingerprint(f)
        if left[fp] > 0:
            left[fp] -= 1
            absorbed += 1
        else:
            new.append(f)
    return new, absorbed
