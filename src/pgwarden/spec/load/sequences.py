"""``[sequences.Name]`` and the numbers of an identity column.

``type`` is ``smallint``, ``integer`` or ``bigint`` (default); ``start``,
``increment``, ``min_value``, ``max_value``, ``cache``, ``cycle`` as in
``CREATE SEQUENCE``; ``owned_by = "Table.column"``. Numbers equal to Postgres's
own defaults load as the defaults (``spec.sequences.canonical``).
"""

from __future__ import annotations

from typing import Any

from pgwarden.spec.load.reader import SpecPath, SpecReader
from pgwarden.spec.model import Sequence, SequenceOptions
from pgwarden.spec.sequences import SEQUENCE_TYPES, canonical, problem

OPTION_KEYS = ("start", "increment", "min_value", "max_value", "cache", "cycle")
SEQUENCE_KEYS = ("type", *OPTION_KEYS, "owned_by", "comment")


def read_options(
    r: SpecReader, raw: dict[str, Any], path: SpecPath, type_name: str
) -> SequenceOptions:
    """The sequence numbers in ``raw`` (a problem is reported, defaults returned)."""
    increment = r.integer(raw, "increment", path)
    cache = r.integer(raw, "cache", path)
    options = SequenceOptions(
        start=r.integer(raw, "start", path),
        increment=1 if increment is None else increment,
        min_value=r.integer(raw, "min_value", path),
        max_value=r.integer(raw, "max_value", path),
        cache=1 if cache is None else cache,
        cycle=r.boolean(raw, "cycle", path),
    )
    wrong = problem(type_name, options)
    if wrong is not None:
        r.problem(path, *wrong)
        return SequenceOptions()
    return canonical(type_name, options)


def read_sequence(r: SpecReader, name: str, value: object) -> Sequence | None:
    """``[sequences.name]``: type, numbers and ``owned_by``."""
    path: SpecPath = ("sequences", name)
    raw = r.mapping(value, path, SEQUENCE_KEYS)
    if raw is None:
        return None
    type_name = r.choice(raw, "type", path, choices=SEQUENCE_TYPES, default="bigint")
    owned_by = r.string(raw, "owned_by", path)
    if owned_by is not None and "." not in owned_by:
        r.problem(
            (*path, "owned_by"),
            f"owned_by {owned_by!r} must name a column as Table.column",
            'owned_by = "Invoice.number"',
        )
        owned_by = None
    return Sequence(
        name=name,
        type=type_name,
        options=read_options(r, raw, path, type_name),
        owned_by=owned_by,
        comment=r.string(raw, "comment", path),
        source=r.source(path),
    )
