"""A readable, object-by-object difference between two schemas.

``==`` on the model says *whether* a spec and a database agree; this says
*where*: ``table Customer.column plan: default: spec 'FREE' vs database NULL``.
Only fields that take part in equality are compared (intent fields such as
``soft_delete`` or source positions are ignored), so an empty result means the
two schemas are equal.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass
from typing import Any

from pgwarden.spec.model import ColumnType, Schema


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference: the object path, the field, and both sides' values."""

    path: str
    field: str
    expected: object
    actual: object

    def render(self, expected_label: str = "spec", actual_label: str = "database") -> str:
        """One line: the path, the field and both sides' values under their labels."""
        if self.field == "exists":
            return f"{self.path}: only in the {expected_label if self.expected else actual_label}"
        return (
            f"{self.path}: {self.field}: {expected_label} {_show(self.expected)} "
            f"vs {actual_label} {_show(self.actual)}"
        )

    def __str__(self) -> str:
        return self.render()


def _show(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, ColumnType):
        return value.spec_text()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _show(getattr(value, "name", type(value).__name__))
    return repr(value)


# Singular labels for the named collections, used in paths ("table X.column y").
_LABELS = {
    "schemas": "schema",
    "extensions": "extension",
    "tables": "table",
    "views": "view",
    "functions": "function",
    "sequences": "sequence",
    "enums": "enum",
    "domains": "domain",
    "composite_types": "composite type",
    "attributes": "attribute",
    "partitions": "partition",
    "columns": "column",
    "uniques": "unique",
    "foreign_keys": "foreign key",
    "checks": "check",
    "indexes": "index",
    "exclusions": "exclusion",
    "policies": "policy",
    "triggers": "trigger",
    "elements": "key",
}


def schema_diff(expected: Schema, actual: Schema) -> list[Difference]:
    """Every difference between ``expected`` and ``actual``, object by object."""
    out: list[Difference] = []
    if expected.name != actual.name:
        out.append(Difference("schema", "name", expected.name, actual.name))
    _named(out, "", "schemas", expected.schemas, actual.schemas)
    _named(out, "", "extensions", expected.extensions, actual.extensions)
    _named(out, "", "enums", expected.enums, actual.enums)
    _named(out, "", "domains", expected.domains, actual.domains)
    _named(out, "", "composite_types", expected.composite_types, actual.composite_types)
    _named(out, "", "tables", expected.tables, actual.tables)
    _named(out, "", "views", expected.views, actual.views)
    _named(out, "", "functions", expected.functions, actual.functions)
    _named(out, "", "sequences", expected.sequences, actual.sequences)
    return out


def is_ignored(line: str, patterns: tuple[str, ...]) -> bool:
    """``line`` (a difference's path or an unmanaged line, up to its ``:``) matches
    one of a spec's ``ignore`` patterns (``fnmatch``, case-sensitive)."""
    subject = line.split(": ", 1)[0]
    return any(fnmatch.fnmatchcase(subject, p) for p in patterns)


def drift(expected: Schema, actual: Schema) -> list[Difference]:
    """The differences that count as drift: all of them except objects only in
    the database that ``expected.ignore`` acknowledges."""
    return [
        d
        for d in schema_diff(expected, actual)
        if not (d.field == "exists" and not d.expected and is_ignored(d.path, expected.ignore))
    ]


def unmanaged(expected: Schema, actual: Schema) -> list[str]:
    """What the database holds that no spec governs, less what ``ignore`` acknowledges."""
    return [u for u in actual.unmanaged if not is_ignored(u, expected.ignore)]


def format_diff(
    diffs: list[Difference], expected_label: str = "spec", actual_label: str = "database"
) -> str:
    """The differences as lines, one each (empty text: none)."""
    return "\n".join(d.render(expected_label, actual_label) for d in diffs)


def _named(
    out: list[Difference],
    prefix: str,
    attr: str,
    left: tuple[Any, ...],
    right: tuple[Any, ...],
) -> None:
    label = _LABELS.get(attr, attr)
    lmap = {o.name: o for o in left}
    rmap = {o.name: o for o in right}
    for name, obj in lmap.items():
        path = f"{prefix}{label} {name}"
        other = rmap.get(name)
        if other is None:
            out.append(Difference(path, "exists", True, False))
        else:
            _object(out, path, obj, other, skip_name=True)
    for name in rmap:
        if name not in lmap:
            out.append(Difference(f"{prefix}{label} {name}", "exists", False, True))
    # column order is not compared (pgwarden.planner.column_order); a composite type's
    # attribute order is part of the type
    lorder = [o.name for o in left if o.name in rmap]
    rorder = [o.name for o in right if o.name in lmap]
    if attr == "attributes" and lorder != rorder:
        out.append(Difference(prefix.rstrip("."), "attribute order", tuple(lorder), tuple(rorder)))


def _object(
    out: list[Difference], path: str, left: Any, right: Any, *, skip_name: bool = False
) -> None:
    for f in dataclasses.fields(left):
        if not f.compare or (skip_name and f.name == "name"):
            continue
        lv, rv = getattr(left, f.name), getattr(right, f.name)
        if lv == rv:
            continue
        if _is_named_tuple(lv) and _is_named_tuple(rv):
            _named(out, f"{path}.", f.name, lv, rv)
        elif f.name in ("elements",) and len(lv) == len(rv):
            for i, (le, re_) in enumerate(zip(lv, rv, strict=True)):
                _object(out, f"{path}.key {i + 1}", le, re_)
        elif (
            dataclasses.is_dataclass(lv)
            and dataclasses.is_dataclass(rv)
            and not isinstance(lv, ColumnType)
        ):
            _object(out, f"{path}.{f.name.replace('_', ' ')}", lv, rv)
        else:
            out.append(Difference(path, f.name.replace("_", " "), lv, rv))


def _is_named_tuple(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and bool(value)
        and all(dataclasses.is_dataclass(v) and hasattr(v, "name") for v in value)
    ) or value == ()
