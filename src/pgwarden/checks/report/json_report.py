"""A JSON array of findings, one object each (stable keys for tools)."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _encode_str

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


#: One finding's object, as ``json.dumps(as_dict(f), indent=2)`` nested in the array lays it out.
_ITEM = (
    '  {{\n    "rule": {},\n    "severity": {},\n    "file": {},\n    "line": {},\n'
    '    "column": {},\n    "object": {},\n    "message": {},\n    "fix": {}\n  }}'
)


def _scalar(value: object) -> str:
    """``json.dumps`` of a str, int or None (the only values of a finding)."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if type(value) is int:
        return repr(value)
    return json.dumps(value)


def render(findings: list[Finding]) -> str:
    """``json.dumps(..., indent=2)`` of the findings, written out by hand: with ``indent``
    the json module uses its pure-Python encoder (a fifth of linting a large history);
    strings go through the C string encoder ``json.dumps`` itself calls (one call per
    value instead of two ``json.dumps`` per key and value). ``tests/checks`` compares the
    output with ``json.dumps(indent=2)``."""
    if not findings:
        return "[]\n"
    enc, fmt = _scalar, _ITEM.format
    items = []
    for f in findings:
        loc = f.location
        items.append(
            fmt(
                enc(f.rule),
                enc(f.severity),
                enc(loc.file),
                enc(loc.line),
                enc(loc.col),
                enc(loc.object),
                enc(f.message),
                enc(f.fix),
            )
        )
    return "[\n" + ",\n".join(items) + "\n]\n"
