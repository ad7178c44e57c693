"""Import a Prisma schema into the pgwarden model.

The parser (:mod:`pgwarden.importers.prisma_ast`) reads the syntax; this module
decides what each construct means for PostgreSQL, following what Prisma Migrate
creates, so the imported spec describes the database Prisma built:

* scalar types: ``String`` -> text, ``Int`` -> integer, ``BigInt`` -> bigint,
  ``Float`` -> double precision, ``Decimal`` -> numeric(65,30), ``Boolean`` ->
  boolean, ``DateTime`` -> timestamp(3), ``Json`` -> jsonb, ``Bytes`` -> bytea;
  ``@db.*`` native types override them;
* ``@unique`` / ``@@unique`` are unique *indexes* named ``<Table>_<cols>_key`` (Prisma
  creates ``CREATE UNIQUE INDEX``, not constraints), ``@@index`` -> ``<Table>_<cols>_idx``,
  the primary key ``<Table>_pkey``, foreign keys ``<Table>_<cols>_fkey``;
* relation defaults from Prisma's documentation: a required relation is
  ``ON DELETE RESTRICT ON UPDATE CASCADE``, an optional one ``ON DELETE SET NULL
  ON UPDATE CASCADE``;
* ``relationMode = "prisma"``: Prisma emulates relations in the client and
  creates no foreign keys, so none are imported (each one is reported);
* implicit many-to-many relations become their join table ``_AToB``.

Anything that cannot be expressed is an error with file:line; anything that has
no database effect (a client-side ``uuid()`` default, a generator block) is a
warning. Nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pgwarden import textfile
from pgwarden.errors import Problem
from pgwarden.importers.prisma.context import Context, M2MStyle
from pgwarden.importers.prisma.declarations import collect, enum, view
from pgwarden.importers.prisma.models import model
from pgwarden.importers.prisma.relations import relations
from pgwarden.importers.prisma_ast import PrismaError, parse
from pgwarden.spec import names
from pgwarden.spec.extensions import provider_of_type
from pgwarden.spec.model import Extension, Namespace, Schema, Table

__all__ = ["ImportResult", "M2MStyle", "PrismaError", "import_prisma", "import_prisma_text"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The imported schema and the warnings (each with file:line) the user must read."""

    schema: Schema
    warnings: tuple[Problem, ...] = ()


def import_prisma(path: Path, m2m: M2MStyle = "unique-index") -> ImportResult:
    """Import a ``schema.prisma`` file (raises :class:`PrismaError` with file:line).

    The queries of ``view`` blocks are read from ``views/<schema>/<View>.sql`` next
    to it, where ``prisma db pull`` writes them."""
    try:
        text = textfile.read_text(path)
    except textfile.UnreadableFile as exc:
        raise PrismaError([exc.problem]) from None
    views: dict[tuple[str, str], str] = {}
    root = path.parent / "views"
    if root.is_dir():
        for file in sorted(root.glob("*/*.sql")):
            try:
                views[(file.parent.name, file.stem)] = textfile.read_text(file)
            except textfile.UnreadableFile as exc:
                raise PrismaError([exc.problem]) from None
    return import_prisma_text(text, str(path), m2m, views=views)


def import_prisma_text(
    text: str,
    filename: str = "schema.prisma",
    m2m: M2MStyle = "unique-index",
    *,
    views: dict[tuple[str, str], str] | None = None,
) -> ImportResult:
    """Import Prisma schema source.

    ``m2m`` selects the shape of implicit many-to-many join tables: Prisma 5 and
    earlier create a unique index ``_AToB_AB_unique``; Prisma 6 a primary key
    ``_AToB_AB_pkey``. ``views`` maps (database schema, view name) to the view's
    query (the ``views/`` folder of ``prisma db pull``).
    """
    return _run(Context(parse(text, filename), m2m, views or {}))


def _run(cx: Context) -> ImportResult:
    """The concerns in order: collect the declarations, map models, then relations."""
    collect(cx)
    enums = [enum(cx, b) for b in cx.enums.values()]
    tables: list[Table] = []
    for info in cx.models.values():
        table = model(cx, info)
        if table is not None:
            tables.append(table)
    tables = relations(cx, tables)
    names_seen: dict[str, int] = {}
    for t in tables:
        if t.name in names_seen:
            cx.error(
                t.source.line if t.source and t.source.line else 0,
                f"tables.{t.name}",
                f"two models map to the table {t.name!r} (the other is at line "
                f"{names_seen[t.name]})",
                "give one of them a different @@map",
            )
        names_seen[t.name] = t.source.line if t.source and t.source.line else 0
    if cx.errors:
        raise PrismaError(sorted(cx.errors, key=lambda p: p.line or 0))
    # a native type of an extension (@db.Citext) needs the extension
    declared = {x.name for x in cx.extensions}
    needed = sorted(
        {
            provider
            for t in tables
            for c in t.columns
            if (provider := provider_of_type(names.local_name(c.type.name))) is not None
        }
        - declared
    )
    views = [v for b in cx.view_blocks if (v := view(cx, b)) is not None]
    if cx.errors:
        raise PrismaError(sorted(cx.errors, key=lambda p: p.line or 0))
    schema = Schema(
        tables=tuple(tables),
        enums=tuple(enums),
        views=tuple(views),
        name=cx.default_namespace,
        schemas=tuple(Namespace(n) for n in cx.namespaces if n != cx.default_namespace),
        extensions=(*cx.extensions, *(Extension(x) for x in needed)),
        sources=(cx.file,),
    ).normalized()
    return ImportResult(schema, tuple(sorted(cx.warnings, key=lambda p: p.line or 0)))
