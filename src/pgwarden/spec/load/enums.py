"""``[enums.Name]``: values in declaration order, declared value renames."""

from __future__ import annotations

from pgwarden.spec.load.reader import SpecReader
from pgwarden.spec.model import Enum

ENUM_KEYS = ("values", "comment", "renamed_from")
ENUM_VALUE_KEYS = ("name", "renamed_from")


def read_enum(r: SpecReader, name: str, value: object) -> Enum | None:
    """``[enums.Name]``: its values (unique, non-empty), comment and ``renamed_from``."""
    path = ("enums", name)
    raw = r.mapping(value, path, ENUM_KEYS)
    if raw is None:
        return None
    values_raw = raw.get("values")
    values: list[str] = []
    renames: list[tuple[str, str]] = []
    if not isinstance(values_raw, list) or not values_raw:
        r.problem(path, "needs a non-empty list `values`", 'values = ["FREE", "PRO"]')
    else:
        for i, item in enumerate(values_raw):
            vpath = (*path, f"values[{i}]")
            if isinstance(item, str):
                label: str | None = item
            else:
                entry = r.mapping(item, vpath, ENUM_VALUE_KEYS)
                if entry is None:
                    continue
                label = r.string(entry, "name", vpath, required=True)
                old = r.string(entry, "renamed_from", vpath)
                if label and old:
                    renames.append((old, label))
            if label is None:
                continue
            if not label or "\x00" in label:
                r.problem(
                    vpath,
                    "an enum value must be a non-empty string without NUL characters",
                    "give the value a name (PostgreSQL labels cannot hold NUL)",
                )
            elif label in values:
                r.problem(vpath, f"value {label!r} is listed twice", "remove one")
            else:
                values.append(label)
    return Enum(
        name=name,
        values=tuple(values),
        comment=r.string(raw, "comment", path),
        renamed_from=r.string(raw, "renamed_from", path),
        value_renames=tuple(renames),
        source=r.source(path),
    )
