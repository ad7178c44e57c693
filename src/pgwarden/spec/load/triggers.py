"""``[[tables.X.triggers]]``: user triggers.

``events`` are kept in one order (insert, update, delete, truncate) so spellings
compare equal; ``when`` is an expression (over ``OLD`` / ``NEW``), normalized as
every expression is; ``columns`` makes ``update`` an ``UPDATE OF`` those columns.
"""

from __future__ import annotations

from typing import Any

from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.model import (
    TRIGGER_EVENTS,
    TRIGGER_TIMINGS,
    Trigger,
    TriggerEvent,
)

TRIGGER_KEYS = (
    "name",
    "function",
    "timing",
    "events",
    "columns",
    "for_each",
    "when",
    "referencing",
    "arguments",
    "comment",
)
REFERENCING_KEYS = ("old_table", "new_table")


def read_trigger(r: SpecReader, path: SpecPath, value: object) -> Trigger | None:
    """One ``[[tables.T.triggers]]`` entry: name, function, timing, events, level, condition."""
    raw = r.mapping(value, path, TRIGGER_KEYS)
    if raw is None:
        return None
    name = r.string(raw, "name", path, required=True)
    function = r.string(raw, "function", path, required=True)
    timing = r.choice(raw, "timing", path, choices=TRIGGER_TIMINGS, default=None)
    if raw.get("timing") is None:
        r.problem(
            path, "missing required key 'timing'", 'timing = "before" (or "after", "instead of")'
        )
    events = _events(r, raw, path)
    columns = r.strings(raw, "columns", path) or ()
    if columns and events is not None and "update" not in events:
        r.problem(
            (*path, "columns"),
            "columns (UPDATE OF) need the update event",
            'add "update" to events, or remove columns',
        )
    old_table = new_table = None
    ref = raw.get("referencing")
    if ref is not None:
        entry = r.mapping(ref, (*path, "referencing"), REFERENCING_KEYS)
        if entry is not None:
            old_table = r.string(entry, "old_table", (*path, "referencing"))
            new_table = r.string(entry, "new_table", (*path, "referencing"))
    arguments = raw.get("arguments", [])
    if not isinstance(arguments, list) or not all(
        isinstance(a, str) and "\x00" not in a for a in arguments
    ):
        r.problem(
            (*path, "arguments"),
            f"must be a list of strings, got {kind(arguments)}",
            'arguments = ["a", "b"]',
        )
        arguments = []
    when = r.expr(raw, "when", path)
    if name is None or function is None or timing is None or events is None:
        return None
    return Trigger(
        name=name,
        function=function,
        timing=timing,
        events=events,
        for_each=r.choice(raw, "for_each", path, choices=("row", "statement"), default="row"),
        columns=tuple(columns),
        when=when,
        old_table=old_table,
        new_table=new_table,
        arguments=tuple(arguments),
        comment=r.string(raw, "comment", path),
        source=r.source(path),
    )


def _events(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> tuple[TriggerEvent, ...] | None:
    value = raw.get("events")
    ok = (
        isinstance(value, list)
        and value
        and all(isinstance(e, str) and e.lower() in TRIGGER_EVENTS for e in value)
    )
    if not ok:
        r.problem(
            (*path, "events"),
            "must be a non-empty list of insert, update, delete, truncate",
            'events = ["insert", "update"]',
        )
        return None
    assert isinstance(value, list)
    given = {e.lower() for e in value}
    return tuple(e for e in TRIGGER_EVENTS if e in given)
