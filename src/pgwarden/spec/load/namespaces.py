"""``[schemas.billing]``: a namespace the spec governs besides its default one."""

from __future__ import annotations

from pgwarden.spec.load.reader import SpecReader
from pgwarden.spec.model import Namespace

NAMESPACE_KEYS = ("comment",)


def read_namespace(r: SpecReader, name: str, value: object, *, default: str) -> Namespace | None:
    """``[schemas.name]``: a further PostgreSQL schema the spec governs (not the default one)."""
    path = ("schemas", name)
    raw = r.mapping(value, path, NAMESPACE_KEYS)
    if raw is None:
        return None
    if name == default:
        r.problem(
            path,
            f"{name!r} is the default schema ([schema] name), not another one",
            f"remove [schemas.{name}]",
        )
        return None
    if "." in name or not name:
        r.problem(path, f"schema name {name!r} contains a dot", "choose a name without dots")
        return None
    return Namespace(name, r.string(raw, "comment", path), r.source(path))
