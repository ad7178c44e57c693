"""Load spec TOML (docs/spec.md) into the schema model.

Reading happens in two passes. The section readers turn each TOML value into
model objects, expanding sugar (column ``primary_key``/``unique``/``references``,
``tenant``, ``soft_delete``) and filling conventional names; they report shape
problems (unknown keys, wrong value types, unreadable types or expressions).
Then :func:`pgwarden.spec.validate.validate_schema` checks the assembled model
(references, types, names). Every problem from both passes is raised at once in
one :class:`~pgwarden.errors.SpecError`.

The package is laid out by section: ``document`` (files and sections),
``reader`` (typed getters that report problems), ``extensions``, ``enums``, ``tables`` (with
``columns``, ``constraints``, ``indexes`` and ``policies``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pgwarden import textfile
from pgwarden.errors import Problem, SpecError
from pgwarden.spec.load.columns import IDENTITY_KINDS, SECRET_KINDS, literal_mismatch
from pgwarden.spec.load.constraints import auto_check_name, resolve_foreign_keys
from pgwarden.spec.load.document import Document
from pgwarden.spec.load.enums import read_enum
from pgwarden.spec.load.extensions import read_extension
from pgwarden.spec.load.functions import read_function
from pgwarden.spec.load.namespaces import read_namespace
from pgwarden.spec.load.policies import tenant_expression
from pgwarden.spec.load.reader import dotted
from pgwarden.spec.load.sequences import read_sequence
from pgwarden.spec.load.tables import TableReader
from pgwarden.spec.load.types import read_composite, read_domain
from pgwarden.spec.load.views import read_view
from pgwarden.spec.model import Enum, Schema


def load_schema(path: Path | str) -> Schema:
    """Load a spec directory (every ``*.toml``, sorted by name) or one ``.toml`` file."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            raise SpecError(
                [
                    Problem(
                        str(path),
                        "",
                        "no *.toml spec files in this directory",
                        "create one (see docs/spec.md) or pass --schema DIR",
                    )
                ]
            )
    elif path.exists():
        files = [path]
    else:
        raise SpecError(
            [Problem(str(path), "", "no such file or directory", "pass --schema DIR or create it")]
        )
    texts: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for file in files:
        try:
            texts.append((str(file), textfile.read_text(file)))
        except textfile.UnreadableFile as exc:
            problems.append(exc.problem)
    if problems:
        raise SpecError(problems)
    return load_texts(texts)


def load_schema_text(text: str, filename: str = "<text>") -> Schema:
    """Load one spec given as text (tests, tools)."""
    return load_texts([(filename, text)])


def load_texts(files: Sequence[tuple[str, str]]) -> Schema:
    """Load several spec texts ``(filename, text)`` merged into one schema."""
    doc = Document()
    doc.read(files)
    schema = _assemble(doc, files)
    from pgwarden.spec.validate import validate_schema

    problems = list(doc.problems)
    # an object a reader already complained about was built from partial input:
    # cross-object checks on it would mostly echo the first problem
    shaky = [(p.file, p.path) for p in problems if p.path]
    for problem in validate_schema(schema):
        if not any(file == problem.file and _related(problem.path, path) for file, path in shaky):
            # the model knows the object's line; the text knows the key's
            index = doc.indexes.get(problem.file)
            line = index.line_of(problem.path) if index else None
            problems.append(replace(problem, line=line or problem.line))
    if problems:
        raise SpecError(_sorted(problems))
    return schema


def _assemble(doc: Document, files: Sequence[tuple[str, str]]) -> Schema:
    """The model from the sections: enums first (column defaults are checked against
    their values), then tables, then the foreign keys (which need every primary key)."""
    default = doc.schema_name[1] if doc.schema_name else "public"
    namespaces = [
        n
        for name, (r, raw) in doc.named["schemas"].items()
        if (n := read_namespace(r, name, raw, default=default)) is not None
    ]
    extensions = [
        x
        for name, (r, raw) in doc.named["extensions"].items()
        if (x := read_extension(r, name, raw, default_schema=default)) is not None
    ]
    enums: dict[str, Enum] = {}
    for name, (r, raw) in doc.named["enums"].items():
        enum = read_enum(r, name, raw)
        if enum:
            enums[name] = enum
    domains = [
        dom
        for name, (r, raw) in doc.named["domains"].items()
        if (dom := read_domain(r, name, raw, enums)) is not None
    ]
    composites = [
        c
        for name, (r, raw) in doc.named["composite_types"].items()
        if (c := read_composite(r, name, raw)) is not None
    ]
    drafts = [
        d
        for name, (r, raw) in doc.named["tables"].items()
        if (d := TableReader(r, name, enums).read(raw))
    ]
    pks = {d.table.name: d.table.primary_key for d in drafts}
    tables = [
        replace(d.table, foreign_keys=resolve_foreign_keys(d.reader, d.table.name, d.fk_specs, pks))
        for d in drafts
    ]
    views = [
        v
        for section in ("views", "materialized_views")
        for name, (r, raw) in doc.named[section].items()
        if (v := read_view(r, section, name, raw)) is not None
    ]
    functions = [
        f
        for section in ("functions", "procedures")
        for name, (r, raw) in doc.named[section].items()
        if (f := read_function(r, section, name, raw)) is not None
    ]
    sequences = [
        q
        for name, (r, raw) in doc.named["sequences"].items()
        if (q := read_sequence(r, name, raw)) is not None
    ]
    return Schema(
        tables=tuple(tables),
        views=tuple(views),
        functions=tuple(functions),
        sequences=tuple(sequences),
        enums=tuple(enums.values()),
        domains=tuple(domains),
        composite_types=tuple(composites),
        name=default,
        extensions=tuple(extensions),
        schemas=tuple(namespaces),
        sources=tuple(name for name, _ in files),
        acknowledge_loss=tuple(doc.acknowledged),
        ignore=tuple(doc.ignored),
    ).normalized()


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line or 0))


__all__ = [
    "IDENTITY_KINDS",
    "SECRET_KINDS",
    "auto_check_name",
    "dotted",
    "literal_mismatch",
    "load_schema",
    "load_schema_text",
    "load_texts",
    "tenant_expression",
]
