"""``[extensions]``: ``pg_trgm = {}``, ``vector = { schema = "extensions", version = "0.8.0" }``."""

from __future__ import annotations

from pgwarden.spec.load.reader import SpecReader
from pgwarden.spec.model import Extension

EXTENSION_KEYS = ("schema", "version")


def read_extension(
    r: SpecReader, name: str, value: object, *, default_schema: str
) -> Extension | None:
    """``[extensions.name]``: schema (default: the spec's), version."""
    path = ("extensions", name)
    raw = r.mapping(value, path, EXTENSION_KEYS)
    if raw is None:
        return None
    if name == "plpgsql":
        r.problem(path, "plpgsql is part of every database", "remove it from [extensions]")
        return None
    schema = r.string(raw, "schema", path)
    return Extension(
        name=name,
        # the default namespace is where an extension goes unless told otherwise
        schema=None if schema == default_schema else schema,
        version=r.string(raw, "version", path),
        source=r.source(path),
    )
