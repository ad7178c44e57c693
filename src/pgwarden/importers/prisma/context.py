"""The state one import shares between its concerns: the parsed document, what was
collected from it (models, enums, namespaces), the problems found so far, and the
readers every concern uses (names, ``@map``, ``@@schema``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pgwarden.errors import Problem
from pgwarden.importers.prisma_ast import Attribute, Block, Document, Field, Str
from pgwarden.spec.model import Extension, Source

M2MStyle = Literal["unique-index", "primary-key"]


@dataclass
class ModelInfo:
    """A model block and the database names its scalar fields map to."""

    block: Block
    table: str
    columns: dict[str, str] = field(default_factory=dict)
    """Prisma field name -> database column name, for scalar fields."""


class Context:
    """One import in progress: what the concerns read and where they report."""

    def __init__(self, doc: Document, m2m: M2MStyle, views: dict[tuple[str, str], str]) -> None:
        self.doc = doc
        self.view_sql = views
        self.file = doc.filename
        self.m2m = m2m
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.models: dict[str, ModelInfo] = {}
        self.enums: dict[str, Block] = {}
        self.composites: dict[str, Block] = {}
        self.relation_mode_prisma = False
        self.extensions: list[Extension] = []
        self.namespaces: list[str] = []
        """``schemas = [...]`` of the datasource (the first, or public, is the default)."""
        self.default_namespace = "public"
        self.view_blocks: list[Block] = []

    def error(self, line: int, path: str, message: str, hint: str | None = None) -> None:
        """Record an error at ``line``; the import fails with every error at the end."""
        self.errors.append(Problem(self.file, path, message, hint, line))

    def warn(self, line: int, path: str, message: str, hint: str | None = None) -> None:
        """Record a warning: something with no database effect, or imported as it is."""
        self.warnings.append(Problem(self.file, path, message, hint, line))

    def source(self, path: str, line: int) -> Source:
        """Where a spec object came from (this file, its spec path, the line)."""
        return Source(self.file, path, line)

    def qualified(self, block: Block, name: str) -> str:
        """``name`` in the namespace ``@@schema`` names (bare in the default one)."""
        attr = block.attribute("schema")
        if attr is None:
            return name
        namespace = self.string_arg(attr, block.name)
        if namespace is None:
            return name
        if self.namespaces and namespace not in self.namespaces:
            self.error(
                attr.line,
                f"{block.kind} {block.name}",
                f"@@schema({namespace!r}) is not in the datasource's schemas",
                f"add {namespace!r} to schemas = [...] in the datasource",
            )
        return name if namespace == self.default_namespace else f"{namespace}.{name}"

    def string_arg(self, attr: Attribute, where: str) -> str | None:
        """The string argument of ``@map("x")`` and the like (None, reported, otherwise)."""
        value = attr.first("name")
        if isinstance(value, Str):
            return value.value
        self.error(
            attr.line, where, f"{attr.spelling} needs a string argument", f'{attr.spelling}("name")'
        )
        return None

    def map_name(self, attr: Attribute) -> str | None:
        """The ``map:`` argument: the database name of a key, index or constraint."""
        value = attr.named("map")
        if value is None:
            return None
        if isinstance(value, Str):
            return value.value
        self.error(attr.line, attr.spelling, "map: needs a string", f'{attr.spelling}(map: "name")')
        return None

    def is_scalar(self, f: Field) -> bool:
        """A field that is a column (not a relation to a model, nor a composite type)."""
        return f.type.name not in self.models and f.type.name not in self.composites

    def column_name(self, f: Field) -> str:
        """The database column of a scalar field (its ``@map``, else its name)."""
        attr = f.attribute("map")
        if attr is not None:
            return self.string_arg(attr, f.name) or f.name
        return f.name
