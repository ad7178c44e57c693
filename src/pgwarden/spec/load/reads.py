"""``replica`` and ``cache`` on a table: which generated reads a replica may serve and
which the generated package caches (docs/spec.md, "Read routing")."""

from __future__ import annotations

import re
from typing import Any

from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.model import ReadRule

CACHE_KEYS = ("ttl", "methods")
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def read_replica(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> ReadRule | None:
    """``replica = true`` (every read) or a list of read method names."""
    value = raw.get("replica")
    rpath = (*path, "replica")
    if value is None or value is False:
        return None
    if value is True:
        return ReadRule(source=r.source(rpath))
    if isinstance(value, list):
        methods = r.strings(raw, "replica", path, required=True)
        return ReadRule(methods, source=r.source(rpath)) if methods else None
    r.problem(
        rpath,
        f"must be true or a list of read method names, got {kind(value)}",
        'replica = true, or replica = ["find_all_active", "count"]',
    )
    return None


def read_cache(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> ReadRule | None:
    """``cache = { ttl = "30s", methods = [...] }`` (methods: default every read)."""
    if "cache" not in raw:
        return None
    cpath = (*path, "cache")
    c = r.mapping(raw["cache"], cpath, CACHE_KEYS)
    if c is None:
        return None
    ttl = read_duration(r, c, "ttl", cpath)
    methods = r.strings(c, "methods", cpath) if "methods" in c else ()
    if ttl is None or methods is None:
        return None
    return ReadRule(methods, ttl, source=r.source(cpath))


def read_duration(r: SpecReader, raw: dict[str, Any], key: str, path: SpecPath) -> float | None:
    """A positive duration: ``"30s"``, ``"500ms"``, ``"5m"``, ``"1h"`` or seconds."""
    value = raw.get(key)
    hint = f'{key} = "30s" (units ms, s, m, h) or a number of seconds'
    if value is None:
        r.problem(path, f"missing required key {key!r}", hint)
        return None
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value.strip())):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds is None or not seconds > 0 or seconds == float("inf"):
        r.problem((*path, key), f"{value!r} is not a positive duration", hint)
        return None
    return seconds
