"""``distribution = { column = "authUserId", colocate_with = "User" }`` (Citus placement).

Only the shape is read here; Citus's rules over the whole schema (keys contain the
distribution column, foreign keys stay colocated) are checked by
:mod:`pgwarden.spec.citus` once every table is known.
"""

from __future__ import annotations

from typing import Any

from pgwarden.spec.load.reader import SpecPath, SpecReader
from pgwarden.spec.model import Distribution

DISTRIBUTION_KEYS = ("column", "colocate_with")


def read_distribution(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> Distribution | None:
    """``distribution = {...}`` of a table (Citus placement), or None when absent."""
    if "distribution" not in raw:
        return None
    dpath = (*path, "distribution")
    body = r.mapping(raw["distribution"], dpath, DISTRIBUTION_KEYS)
    if body is None:
        return None
    column = r.string(body, "column", dpath, required=True)
    if column is None:
        return None
    return Distribution(column, r.string(body, "colocate_with", dpath), source=r.source(dpath))
