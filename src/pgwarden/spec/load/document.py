"""The files of a spec, parsed and split into sections.

Every file is parsed on its own (a TOML error names its file and line); its
``[schema]`` block is merged with the other files' and every named section
(``[enums.X]``, ``[tables.X]``) is collected by object name, so an object
defined in two files is reported naming both. Section readers then work on
``Document.named[section]`` without caring which file an object came from.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pgwarden.errors import Problem
from pgwarden.spec.load.reader import SpecFile, SpecReader, kind
from pgwarden.spec.locate import LineIndex

#: Sections that map object names to their definitions, in reading order.
NAMED_SECTIONS = (
    "schemas",
    "extensions",
    "enums",
    "domains",
    "composite_types",
    "tables",
    "views",
    "materialized_views",
    "functions",
    "procedures",
    "sequences",
)
TOP_KEYS = ("schema", *NAMED_SECTIONS)
SCHEMA_KEYS = ("name", "acknowledge_loss", "ignore")

_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass
class Document:
    """All files of one spec: the ``[schema]`` settings and the named sections."""

    problems: list[Problem] = field(default_factory=list)
    indexes: dict[str, LineIndex] = field(default_factory=dict)
    schema_name: tuple[SpecReader, str] | None = None
    acknowledged: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    named: dict[str, dict[str, tuple[SpecReader, Any]]] = field(
        default_factory=lambda: {s: {} for s in NAMED_SECTIONS}
    )

    def read(self, files: Sequence[tuple[str, str]]) -> None:
        """Parse each spec file and collect its sections (problems are kept, not raised)."""
        for name, text in files:
            doc = self._parse(name, text)
            if doc is None:
                continue
            r = SpecReader(SpecFile(name, text, self.indexes[name]), self.problems)
            r.mapping(doc, (), TOP_KEYS)
            if "schema" in doc:
                self._schema_block(r, doc["schema"])
            for section in NAMED_SECTIONS:
                if section in doc:
                    self._named(r, section, doc[section])

    def _parse(self, name: str, text: str) -> dict[str, Any] | None:
        self.indexes[name] = LineIndex(text)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_LINE.search(str(exc))
            self.problems.append(
                Problem(
                    name,
                    "",
                    f"TOML syntax error: {exc}",
                    "fix the TOML syntax (quote strings, [table] headers, key = value)",
                    int(match.group(1)) if match else None,
                )
            )
        except (ValueError, RecursionError) as exc:
            self.problems.append(Problem(name, "", f"cannot read TOML: {exc}"))
        return None

    def _schema_block(self, r: SpecReader, value: object) -> None:
        block = r.mapping(value, ("schema",), SCHEMA_KEYS)
        if block is None:
            return
        name = r.string(block, "name", ("schema",))
        acks = r.strings(block, "acknowledge_loss", ("schema",))
        self.acknowledged.extend(a for a in acks or () if a not in self.acknowledged)
        ignore = r.strings(block, "ignore", ("schema",))
        self.ignored.extend(i for i in ignore or () if i not in self.ignored)
        if not name:
            return
        if self.schema_name and self.schema_name[1] != name:
            first = self.schema_name[0].file.name
            r.problem(
                ("schema", "name"),
                f"schema name {name!r} differs from {self.schema_name[1]!r} set in {first}",
                "set [schema] name in one file only",
            )
        else:
            self.schema_name = (r, name)

    def _named(self, r: SpecReader, section: str, group: object) -> None:
        if not isinstance(group, dict):
            r.problem((section,), f"must be a table of {section}, got {kind(group)}")
            return
        store = self.named[section]
        for obj_name, raw in group.items():
            if obj_name in store:
                first = store[obj_name][0].file.name
                r.problem(
                    (section, obj_name),
                    f"{section[:-1].replace('_', ' ')} {obj_name!r} is defined in both {first} "
                    f"and {r.file.name}",
                    "keep one definition",
                )
                continue
            store[obj_name] = (r, raw)
