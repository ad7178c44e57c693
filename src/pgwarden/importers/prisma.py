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

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from psycopg import sql

from pgwarden import textfile
from pgwarden.errors import Problem
from pgwarden.importers.prisma_ast import (
    Arg,
    Array,
    Attribute,
    Block,
    Call,
    Document,
    Expr,
    Field,
    Name,
    Num,
    PrismaError,
    Str,
    parse,
)
from pgwarden.spec import names
from pgwarden.spec.exprs import ExprSyntaxError, normalize_query
from pgwarden.spec.extensions import provider_of_type
from pgwarden.spec.model import (
    Column,
    ColumnType,
    Enum,
    Extension,
    FkAction,
    ForeignKey,
    Index,
    IndexElement,
    IndexMethod,
    Namespace,
    PrimaryKey,
    Schema,
    Source,
    Table,
    View,
)
from pgwarden.spec.types import INTEGER_TYPES, TypeSyntaxError, parse_type, type_sql

__all__ = ["ImportResult", "PrismaError", "import_prisma", "import_prisma_text"]

M2MStyle = Literal["unique-index", "primary-key"]

#: Prisma scalar -> the column type Prisma Migrate creates on PostgreSQL.
SCALARS: dict[str, ColumnType] = {
    "String": ColumnType("text"),
    "Int": ColumnType("integer"),
    "BigInt": ColumnType("bigint"),
    "Float": ColumnType("double precision"),
    "Decimal": ColumnType("numeric", (65, 30)),
    "Boolean": ColumnType("boolean"),
    "DateTime": ColumnType("timestamp", (3,)),
    "Json": ColumnType("jsonb"),
    "Bytes": ColumnType("bytea"),
}

#: ``@db.<Name>`` -> (scalars it applies to, pgwarden type name or None when the
#: model cannot represent it, max number of arguments).
NATIVE_TYPES: dict[str, tuple[frozenset[str], str | None, int]] = {
    "Text": (frozenset({"String"}), "text", 0),
    "VarChar": (frozenset({"String"}), "varchar", 1),
    "Char": (frozenset({"String"}), "char", 1),
    "Uuid": (frozenset({"String"}), "uuid", 0),
    "Inet": (frozenset({"String"}), "inet", 0),
    "Citext": (frozenset({"String"}), "citext", 0),
    "Xml": (frozenset({"String"}), "xml", 0),
    "Bit": (frozenset({"String"}), "bit", 1),
    "VarBit": (frozenset({"String"}), "varbit", 1),
    "Boolean": (frozenset({"Boolean"}), "boolean", 0),
    "Integer": (frozenset({"Int"}), "integer", 0),
    "SmallInt": (frozenset({"Int"}), "smallint", 0),
    "Oid": (frozenset({"Int"}), "oid", 0),
    "BigInt": (frozenset({"BigInt"}), "bigint", 0),
    "DoublePrecision": (frozenset({"Float"}), "double precision", 0),
    "Real": (frozenset({"Float"}), "real", 0),
    "Decimal": (frozenset({"Decimal", "Float"}), "numeric", 2),
    "Money": (frozenset({"Decimal", "Float"}), "money", 0),
    "Timestamp": (frozenset({"DateTime"}), "timestamp", 1),
    "Timestamptz": (frozenset({"DateTime"}), "timestamptz", 1),
    "Date": (frozenset({"DateTime"}), "date", 0),
    "Time": (frozenset({"DateTime"}), "time", 1),
    "Timetz": (frozenset({"DateTime"}), "timetz", 1),
    "Json": (frozenset({"Json"}), "json", 0),
    "JsonB": (frozenset({"Json"}), "jsonb", 0),
    "ByteA": (frozenset({"Bytes"}), "bytea", 0),
}

FIELD_ATTRIBUTES = frozenset({"id", "default", "unique", "relation", "map", "updatedAt", "ignore"})
BLOCK_ATTRIBUTES = frozenset({"id", "unique", "index", "map", "ignore", "schema", "fulltext"})

#: Named arguments each attribute takes (Prisma's reference); any other is an error.
_KEYED = frozenset({"map", "length", "sort", "clustered"})
FIELD_ARGS: dict[str, frozenset[str]] = {
    "id": _KEYED,
    "unique": _KEYED,
    "default": frozenset({"value", "map"}),
    "relation": frozenset({"name", "fields", "references", "onDelete", "onUpdate", "map"}),
    "map": frozenset({"name"}),
}
BLOCK_ARGS: dict[str, frozenset[str]] = {
    "id": _KEYED | {"fields", "name"},
    "unique": _KEYED | {"fields", "name"},
    "index": _KEYED | {"fields", "name", "type", "ops"},
    "map": frozenset({"name"}),
}

REFERENTIAL_ACTIONS: dict[str, FkAction] = {
    "Cascade": "cascade",
    "Restrict": "restrict",
    "NoAction": "no action",
    "SetNull": "set null",
    "SetDefault": "set default",
}

INDEX_TYPES: dict[str, IndexMethod] = {
    "BTree": "btree",
    "Hash": "hash",
    "Gist": "gist",
    "Gin": "gin",
    "SpGist": "spgist",
    "Brin": "brin",
}

_COMMENTED_ATTRIBUTE = re.compile(r"^@@?(?:id|unique|index|relation|default|map)\b")

#: Defaults Prisma computes in the client: the database column gets no default.
CLIENT_DEFAULTS = frozenset({"uuid", "cuid", "nanoid", "ulid"})


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
    return _Mapper(parse(text, filename), m2m, views or {}).run()


# --------------------------------------------------------------------------- mapping


@dataclass
class _ModelInfo:
    block: Block
    table: str
    columns: dict[str, str] = field(default_factory=dict)
    """Prisma field name -> database column name, for scalar fields."""


@dataclass(frozen=True, slots=True)
class _RelationField:
    model: str
    field: Field
    target: str
    name: str | None
    attr: Attribute | None


class _Mapper:
    def __init__(self, doc: Document, m2m: M2MStyle, views: dict[tuple[str, str], str]) -> None:
        self.doc = doc
        self.view_sql = views
        self.file = doc.filename
        self.m2m = m2m
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.models: dict[str, _ModelInfo] = {}
        self.enums: dict[str, Block] = {}
        self.composites: dict[str, Block] = {}
        self.relation_mode_prisma = False
        self.extensions: list[Extension] = []
        self.namespaces: list[str] = []
        """``schemas = [...]`` of the datasource (the first, or public, is the default)."""
        self.default_namespace = "public"
        self.view_blocks: list[Block] = []

    # -- reporting
    def error(self, line: int, path: str, message: str, hint: str | None = None) -> None:
        self.errors.append(Problem(self.file, path, message, hint, line))

    def warn(self, line: int, path: str, message: str, hint: str | None = None) -> None:
        self.warnings.append(Problem(self.file, path, message, hint, line))

    def source(self, path: str, line: int) -> Source:
        return Source(self.file, path, line)

    # -- driver
    def run(self) -> ImportResult:
        self.collect()
        enums = [self.enum(b) for b in self.enums.values()]
        tables: list[Table] = []
        for info in self.models.values():
            table = self.model(info)
            if table is not None:
                tables.append(table)
        tables = self.relations(tables)
        names_seen: dict[str, int] = {}
        for t in tables:
            if t.name in names_seen:
                self.error(
                    t.source.line if t.source and t.source.line else 0,
                    f"tables.{t.name}",
                    f"two models map to the table {t.name!r} (the other is at line "
                    f"{names_seen[t.name]})",
                    "give one of them a different @@map",
                )
            names_seen[t.name] = t.source.line if t.source and t.source.line else 0
        if self.errors:
            raise PrismaError(sorted(self.errors, key=lambda p: p.line or 0))
        # a native type of an extension (@db.Citext) needs the extension
        declared = {x.name for x in self.extensions}
        needed = sorted(
            {
                provider
                for t in tables
                for c in t.columns
                if (provider := provider_of_type(names.local_name(c.type.name))) is not None
            }
            - declared
        )
        views = [v for b in self.view_blocks if (v := self.view(b)) is not None]
        if self.errors:
            raise PrismaError(sorted(self.errors, key=lambda p: p.line or 0))
        schema = Schema(
            tables=tuple(tables),
            enums=tuple(enums),
            views=tuple(views),
            name=self.default_namespace,
            schemas=tuple(Namespace(n) for n in self.namespaces if n != self.default_namespace),
            extensions=(*self.extensions, *(Extension(x) for x in needed)),
            sources=(self.file,),
        ).normalized()
        return ImportResult(schema, tuple(sorted(self.warnings, key=lambda p: p.line or 0)))

    def collect(self) -> None:
        for block in self.doc.blocks:
            if block.kind == "datasource":
                self.datasource(block)
        for comment in self.doc.comments:
            if _COMMENTED_ATTRIBUTE.match(comment.text):
                self.warn(
                    comment.line,
                    "",
                    f"commented-out attribute `{comment.text}` is not imported",
                    "decide the rule: uncomment it, or add it to the spec (as a partial "
                    "unique index on a soft-delete table, if it only holds for active rows)",
                )
        seen: dict[str, Block] = {}
        for block in self.doc.blocks:
            if block.kind in ("model", "enum", "type", "view"):
                if block.name in seen:
                    self.error(
                        block.line,
                        block.name,
                        f"{block.name!r} is declared twice (first at line {seen[block.name].line})",
                        "rename or remove one of the declarations",
                    )
                    continue
                seen[block.name] = block
            if block.kind == "datasource":
                pass  # read first: the namespaces qualify the names below
            elif block.kind == "generator":
                pass  # client code generation: no database effect
            elif block.kind == "model":
                table = block.name
                map_attr = block.attribute("map")
                if map_attr is not None:
                    table = self.string_arg(map_attr, block.name) or table
                self.models[block.name] = _ModelInfo(block, self.qualified(block, table))
            elif block.kind == "enum":
                self.enums[block.name] = block
            elif block.kind == "type":
                self.composites[block.name] = block
                self.warn(
                    block.line,
                    block.name,
                    "composite types (`type` blocks) are a MongoDB feature; not imported",
                )
            elif block.kind == "view":
                self.view_blocks.append(block)
        for info in self.models.values():
            for f in info.block.fields:
                if self.is_scalar(f):
                    info.columns[f.name] = self.column_name(f)

    def datasource(self, block: Block) -> None:
        provider = block.assignment("provider")
        if isinstance(provider, Str) and provider.value not in ("postgresql", "postgres"):
            level = self.warn if provider.value == "cockroachdb" else self.error
            level(
                provider.line,
                f"datasource {block.name}",
                f"provider {provider.value!r}: pgwarden governs PostgreSQL only",
                'set provider = "postgresql"',
            )
        mode = block.assignment("relationMode") or block.assignment("referentialIntegrity")
        if isinstance(mode, Str) and mode.value == "prisma":
            self.relation_mode_prisma = True
            self.warn(
                mode.line,
                f"datasource {block.name}",
                'relationMode = "prisma": the database has no foreign keys (Prisma emulates '
                "relations in the client); none are imported, so referential integrity is "
                "not enforced",
                "`pgwarden lint` flags the unenforced relations; add `references` to the "
                "spec to create real foreign keys",
            )
        where = f"datasource {block.name}"
        schemas = block.assignment("schemas")
        if schemas is not None:
            if isinstance(schemas, Array) and all(isinstance(i, Str) for i in schemas.items):
                self.namespaces = [i.value for i in schemas.items if isinstance(i, Str)]
                if self.namespaces and "public" not in self.namespaces:
                    self.default_namespace = self.namespaces[0]
            else:
                self.error(
                    schemas.line,
                    where,
                    "schemas must be a list of strings",
                    'schemas = ["public", "billing"]',
                )
        extensions = block.assignment("extensions")
        if extensions is not None:
            items = extensions.items if isinstance(extensions, Array) else ()
            if not isinstance(extensions, Array):
                self.error(
                    extensions.line,
                    where,
                    "extensions must be a list",
                    "extensions = [pg_trgm, vector]",
                )
            for item in items:
                x = self.extension(item, where)
                if x is not None:
                    self.extensions.append(x)

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

    def extension(self, item: Expr, where: str) -> Extension | None:
        """``pg_trgm``, ``vector(schema: "extensions", version: "0.8.0")``,
        ``uuid_ossp(map: "uuid-ossp")``."""
        if isinstance(item, Name):
            return Extension(item.name)
        if isinstance(item, Call):
            named = {a.name: a.value for a in item.args}
            unknown = sorted(k or "?" for k in named if k not in ("map", "schema", "version"))
            if unknown or not all(isinstance(v, Str) for v in named.values()):
                self.error(
                    item.line,
                    where,
                    f"extension {item.name}: arguments are map, schema and version (strings)",
                    'vector(schema: "extensions", version: "0.8.0")',
                )
                return None
            text = {k: v.value for k, v in named.items() if isinstance(v, Str) and k}
            schema = text.get("schema")
            return Extension(
                text.get("map", item.name),
                None if schema == self.default_namespace else schema,
                text.get("version"),
            )
        self.error(
            item.line, where, "an extension is a name or name(...)", "extensions = [pg_trgm]"
        )
        return None

    def view(self, block: Block) -> View | None:
        """A ``view`` block: its query from ``views/<schema>/<View>.sql``."""
        name = block.name
        map_attr = block.attribute("map")
        if map_attr is not None:
            name = self.string_arg(map_attr, block.name) or name
        qualified = self.qualified(block, name)
        namespace = names.namespace_of(qualified) or self.default_namespace
        text = self.view_sql.get((namespace, name))
        if text is None:
            self.warn(
                block.line,
                f"view {block.name}",
                f"no views/{namespace}/{name}.sql next to the schema: the view's query is "
                "unknown, so the view is not imported",
                "run `prisma db pull` (it writes the views folder), or add "
                f"[views.{name}] with its definition to the spec",
            )
            return None
        try:
            definition = normalize_query(text.strip().rstrip(";"))
        except ExprSyntaxError as exc:
            self.error(block.line, f"view {block.name}", f"views/{namespace}/{name}.sql: {exc}")
            return None
        return View(
            qualified,
            definition,
            comment=block.doc,
            source=self.source(f"views.{qualified}", block.line),
        )

    # -- classification
    def is_scalar(self, f: Field) -> bool:
        return f.type.name not in self.models and f.type.name not in self.composites

    def column_name(self, f: Field) -> str:
        attr = f.attribute("map")
        if attr is not None:
            return self.string_arg(attr, f.name) or f.name
        return f.name

    def string_arg(self, attr: Attribute, where: str) -> str | None:
        value = attr.first("name")
        if isinstance(value, Str):
            return value.value
        self.error(
            attr.line, where, f"{attr.spelling} needs a string argument", f'{attr.spelling}("name")'
        )
        return None

    # -- enums
    def enum(self, block: Block) -> Enum:
        name = block.name
        values: list[str] = []
        notes: list[str] = []
        for attr in block.attributes:
            if attr.name not in ("map", "schema"):
                self.error(attr.line, f"enum {name}", f"unknown enum attribute {attr.spelling}")
            elif attr.name == "map":
                name = self.string_arg(attr, block.name) or name
        name = self.qualified(block, name)
        for value in block.fields:
            db_value = value.name
            for attr in value.attributes:
                if attr.name == "map":
                    db_value = self.string_arg(attr, f"{block.name}.{value.name}") or db_value
                else:
                    self.error(
                        attr.line,
                        f"enum {block.name}.{value.name}",
                        f"unknown attribute {attr.spelling} on an enum value",
                        "an enum value takes only @map",
                    )
            values.append(db_value)
            if value.doc:
                notes.append(f"{db_value}: {value.doc}")
        comment = "\n".join([*([block.doc] if block.doc else []), *notes]) or None
        return Enum(name, tuple(values), comment, source=self.source(f"enums.{name}", block.line))

    # -- models
    def model(self, info: _ModelInfo) -> Table | None:
        block = info.block
        tname = info.table
        columns: list[Column] = []
        pk: PrimaryKey | None = None
        indexes: list[Index] = []
        for attr in block.attributes:
            self.check_args(attr, BLOCK_ARGS, f"model {block.name}")
            if attr.name not in BLOCK_ATTRIBUTES:
                self.error(
                    attr.line,
                    f"model {block.name}",
                    f"unknown attribute {attr.spelling}",
                    "model attributes are @@id, @@unique, @@index, @@map, @@ignore, @@schema",
                )
            elif attr.name == "ignore":
                self.warn(
                    attr.line,
                    f"model {block.name}",
                    "@@ignore hides the model from Prisma Client only; the table exists, "
                    "so it is imported",
                )
            elif attr.name == "fulltext":
                self.error(
                    attr.line,
                    f"model {block.name}",
                    "@@fulltext is a MySQL/MongoDB index; PostgreSQL has no equivalent",
                    "use a GIN index over a tsvector expression in the spec instead",
                )
        for f in block.fields:
            path = f"tables.{tname}.columns.{info.columns.get(f.name, f.name)}"
            for attr in f.attributes:
                self.check_args(attr, FIELD_ARGS, f"{block.name}.{f.name}")
                if attr.name not in FIELD_ATTRIBUTES and not attr.name.startswith("db."):
                    self.error(
                        attr.line,
                        f"{block.name}.{f.name}",
                        f"unknown attribute {attr.spelling}",
                        "field attributes are @id, @default, @unique, @relation, @map, "
                        "@updatedAt, @ignore and @db.<NativeType>",
                    )
            if not self.is_scalar(f):
                continue
            column = self.column(info, f, path)
            if column is None:
                continue
            columns.append(column)
            id_attr = f.attribute("id")
            if id_attr is not None:
                if pk is not None:
                    self.error(
                        id_attr.line,
                        path,
                        "a model has one @id",
                        "use @@id([a, b]) for a composite key",
                    )
                pk = PrimaryKey(
                    self.map_name(id_attr) or names.primary_key(tname),
                    (column.name,),
                    source=self.source(f"tables.{tname}.primary_key", id_attr.line),
                )
            unique = f.attribute("unique")
            if unique is not None:
                element = IndexElement(column=column.name, descending=self.descending(unique))
                indexes.append(
                    Index(
                        self.map_name(unique) or names.unique(tname, [column.name]),
                        (element,),
                        unique=True,
                        source=self.source(f"{path}.unique", unique.line),
                    )
                )
        for attr in block.attributes:
            if attr.name == "id":
                cols = self.field_list(info, attr)
                if pk is not None:
                    self.error(
                        attr.line, f"model {block.name}", "both @id and @@id", "keep one of them"
                    )
                elif cols:
                    pk = PrimaryKey(
                        self.map_name(attr) or names.primary_key(tname),
                        tuple(e.column or "" for e in cols),
                        source=self.source(f"tables.{tname}.primary_key", attr.line),
                    )
            elif attr.name in ("unique", "index"):
                index = self.block_index(info, attr)
                if index is not None:
                    indexes.append(index)
        return Table(
            tname,
            tuple(columns),
            primary_key=pk,
            indexes=tuple(indexes),
            comment=block.doc,
            source=self.source(f"tables.{tname}", block.line),
        )

    def check_args(self, attr: Attribute, table: dict[str, frozenset[str]], where: str) -> None:
        """Named arguments the attribute does not take are errors, not silently ignored."""
        allowed = table.get(attr.name, frozenset())
        for arg in attr.args:
            if arg.name is None or arg.name in allowed:
                continue
            hint = (
                f"{attr.spelling} takes " + ", ".join(f"{a}:" for a in sorted(allowed))
                if allowed
                else f"{attr.spelling} takes no named arguments"
            )
            self.error(attr.line, where, f"{attr.spelling}: unknown argument {arg.name}:", hint)
        if attr.named("length") is not None or attr.named("clustered") is not None:
            self.warn(
                attr.line,
                where,
                f"{attr.spelling}: length:/clustered: are MySQL/SQL Server options; ignored",
            )

    def map_name(self, attr: Attribute) -> str | None:
        value = attr.named("map")
        if value is None:
            return None
        if isinstance(value, Str):
            return value.value
        self.error(attr.line, attr.spelling, "map: needs a string", f'{attr.spelling}(map: "name")')
        return None

    def descending(self, attr: Attribute) -> bool:
        sort = attr.named("sort")
        if sort is None:
            return False
        if isinstance(sort, Name) and sort.name in ("Asc", "Desc"):
            return sort.name == "Desc"
        self.error(attr.line, attr.spelling, "sort: must be Asc or Desc")
        return False

    def column(self, info: _ModelInfo, f: Field, path: str) -> Column | None:
        where = f"{info.block.name}.{f.name}"
        if f.type.unsupported is not None:
            # a type Prisma has no scalar for (vector(3), tsvector, ltree): the catalog's
            try:
                ctype: ColumnType | None = parse_type(f.type.unsupported)
            except TypeSyntaxError as exc:
                self.error(
                    f.line,
                    where,
                    f'Unsupported("{f.type.unsupported}"): {exc}',
                    "change the column to a type the spec reads (docs/spec.md)",
                )
                return None
        else:
            ctype = self.column_type(f, where)
        if ctype is None:
            return None
        if f.type.list:
            ctype = replace(ctype, array=True)
        default: str | None = None
        identity: Literal["serial"] | None = None
        default_attr = f.attribute("default")
        if default_attr is not None:
            default, identity = self.default(default_attr, f, ctype, where)
        maintained: Literal["on_update"] | None = None
        updated = f.attribute("updatedAt")
        if updated is not None:
            if f.type.name != "DateTime":
                self.error(updated.line, where, "@updatedAt applies to a DateTime field")
            maintained = "on_update"
        ignored = f.attribute("ignore")
        if ignored is not None:
            self.warn(
                ignored.line,
                where,
                "@ignore hides the field from Prisma Client only; the column exists, "
                "so it is imported",
            )
        return Column(
            info.columns[f.name],
            ctype,
            # Prisma creates scalar lists without NOT NULL
            nullable=f.type.optional or f.type.list,
            default=default,
            identity=identity,
            comment=f.doc,
            maintained=maintained,
            source=self.source(path, f.line),
        )

    def column_type(self, f: Field, where: str) -> ColumnType | None:
        natives = [a for a in f.attributes if a.name.startswith("db.")]
        base: ColumnType | None
        if f.type.name in SCALARS:
            base = SCALARS[f.type.name]
        elif f.type.name in self.enums:
            enum_block = self.enums[f.type.name]
            map_attr = enum_block.attribute("map")
            enum_name = enum_block.name
            if (
                map_attr is not None
                and map_attr.positional()
                and isinstance(map_attr.positional()[0], Str)
            ):
                enum_name = map_attr.positional()[0].value  # type: ignore[union-attr]
            base = ColumnType(self.qualified(enum_block, enum_name))
        else:
            self.error(
                f.line,
                where,
                (
                    f"relation to a missing model {f.type.name!r}"
                    if f.attribute("relation") is not None
                    else f"unknown type {f.type.name!r}"
                )
                + ": no model, enum or scalar type has this name",
                "declare the model or enum, or fix the spelling (scalars: "
                + ", ".join(SCALARS)
                + ")",
            )
            return None
        if not natives:
            return base
        if len(natives) > 1:
            self.error(natives[1].line, where, "more than one @db native type")
        native = natives[0]
        key = native.name[3:]
        spec = NATIVE_TYPES.get(key)
        if spec is None:
            self.error(
                native.line,
                where,
                f"unknown native type {native.spelling} for PostgreSQL",
                "PostgreSQL native types: " + ", ".join(f"@db.{n}" for n in NATIVE_TYPES),
            )
            return None
        scalars, pg_name, max_args = spec
        if f.type.name not in scalars:
            self.error(
                native.line,
                where,
                f"{native.spelling} does not apply to {f.type.name}",
                f"{native.spelling} applies to " + ", ".join(sorted(scalars)),
            )
            return None
        if pg_name is None:
            self.error(
                native.line,
                where,
                f"{native.spelling} has no equivalent in the pgwarden spec",
                "use a supported type (e.g. @db.Text) or manage this column outside pgwarden",
            )
            return None
        args = native.positional()
        mods: list[int] = []
        for arg in args:
            if not isinstance(arg, Num) or not arg.text.isdigit():
                self.error(native.line, where, f"{native.spelling} takes integer arguments")
                return None
            mods.append(int(arg.text))
        if len(mods) > max_args:
            self.error(
                native.line, where, f"{native.spelling} takes at most {max_args} argument(s)"
            )
            return None
        if pg_name == "numeric" and len(mods) == 1:
            mods.append(0)  # Prisma writes DECIMAL(p) as numeric(p,0)
        return ColumnType(pg_name, tuple(mods))

    def default(
        self, attr: Attribute, f: Field, ctype: ColumnType, where: str
    ) -> tuple[str | None, Literal["serial"] | None]:
        value = attr.first("value")
        if value is None or len(attr.positional()) > 1:
            self.error(
                attr.line, where, "@default takes one value", "@default(now()), @default(0), ..."
            )
            return None, None
        if attr.named("map") is not None:
            self.warn(
                attr.line,
                where,
                "@default(map: ...) names a SQL Server default constraint; ignored",
            )
        if isinstance(value, Call):
            fn = value.name
            if fn == "autoincrement":
                if ctype.name not in INTEGER_TYPES or ctype.array:
                    self.error(attr.line, where, "autoincrement() needs an Int or BigInt field")
                    return None, None
                return None, "serial"
            if fn == "now":
                return "CURRENT_TIMESTAMP", None
            if fn == "dbgenerated":
                inner = [a.value for a in value.args]
                if not inner:
                    self.warn(
                        attr.line,
                        where,
                        "dbgenerated() without an expression: the default lives in the database "
                        "and Prisma does not know it; the imported column has no default",
                        'add the expression: @default(dbgenerated("...")), '
                        "or set default_sql in the spec",
                    )
                    return None, None
                if not isinstance(inner[0], Str):
                    self.error(attr.line, where, 'dbgenerated takes a string: dbgenerated("now()")')
                    return None, None
                return inner[0].value, None
            if fn in CLIENT_DEFAULTS:
                self.warn(
                    attr.line,
                    where,
                    f"@default({fn}()) is computed by Prisma Client; the database column has no "
                    "default, so none is imported",
                    'for a database default use @default(dbgenerated("gen_random_uuid()")) '
                    "or set default_sql in the spec",
                )
                return None, None
            self.error(
                attr.line,
                where,
                f"@default({fn}()) is not supported on PostgreSQL",
                'use autoincrement(), now(), dbgenerated("...") or a literal',
            )
            return None, None
        literal = self.literal(value, f, ctype, where, attr.line)
        return literal, None

    def literal(
        self, value: Expr, f: Field, ctype: ColumnType, where: str, line: int
    ) -> str | None:
        if isinstance(value, Array):
            if not ctype.array:
                self.error(line, where, "a list default on a field that is not a list")
                return None
            items = [self.literal(v, f, ctype.element, where, line) for v in value.items]
            if any(i is None for i in items):
                return None
            type_text = type_sql(ctype).as_string(None)
            return f"ARRAY[{', '.join(i for i in items if i)}]::{type_text}"
        if isinstance(value, Str):
            return sql.Literal(value.value).as_string(None)
        if isinstance(value, Num):
            return value.text
        if isinstance(value, Name):
            if value.name in ("true", "false"):
                return value.name
            if f.type.name in self.enums:
                enum_block = self.enums[f.type.name]
                for v in enum_block.fields:
                    if v.name == value.name:
                        mapped = v.attribute("map")
                        db_value = v.name
                        if mapped is not None and mapped.positional():
                            first = mapped.positional()[0]
                            if isinstance(first, Str):
                                db_value = first.value
                        return sql.Literal(db_value).as_string(None)
                self.error(line, where, f"{value.name!r} is not a value of enum {f.type.name}")
                return None
        self.error(line, where, "cannot read this default value")
        return None

    def field_list(self, info: _ModelInfo, attr: Attribute) -> list[IndexElement]:
        """The ``[a, b(sort: Desc)]`` argument of @@id/@@unique/@@index as index keys."""
        value = attr.first("fields")
        where = f"model {info.block.name}"
        if not isinstance(value, Array) or not value.items:
            self.error(
                attr.line,
                where,
                f"{attr.spelling} needs a list of fields",
                f"{attr.spelling}([a, b])",
            )
            return []
        out: list[IndexElement] = []
        for item in value.items:
            args: tuple[Arg, ...] = ()
            if isinstance(item, Name):
                fname = item.name
            elif isinstance(item, Call):
                fname, args = item.name, item.args
            else:
                self.error(attr.line, where, f"{attr.spelling}: expected a field name")
                continue
            column = info.columns.get(fname)
            if column is None:
                known = any(f.name == fname for f in info.block.fields)
                self.error(
                    attr.line,
                    where,
                    f"{attr.spelling} refers to {fname!r}, "
                    + ("a relation field" if known else "which is not a field of the model"),
                    "list scalar fields (the columns), e.g. the relation's `fields`",
                )
                continue
            descending = False
            opclass: str | None = None
            for arg in args:
                if arg.name == "sort" and isinstance(arg.value, Name):
                    descending = arg.value.name == "Desc"
                elif arg.name == "ops":
                    opclass = self.opclass(arg.value, attr.line, where)
                elif arg.name == "length":
                    self.warn(
                        attr.line, where, "length: is a MySQL index prefix; ignored on PostgreSQL"
                    )
                else:
                    self.error(attr.line, where, f"unknown index field argument {arg.name!r}")
            out.append(IndexElement(column=column, descending=descending, opclass=opclass))
        return out

    def opclass(self, value: Expr, line: int, where: str) -> str | None:
        if isinstance(value, Call) and value.name == "raw" and value.args:
            raw = value.args[0].value
            if isinstance(raw, Str):
                return raw.value
        if isinstance(value, Name):
            # JsonbPathOps -> jsonb_path_ops, Int4MinMaxMultiOps -> int4_minmax_multi_ops
            snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value.name).lower()
            return snake.replace("min_max", "minmax")
        self.error(line, where, 'ops: expects an operator class (e.g. JsonbPathOps) or raw("...")')
        return None

    def block_index(self, info: _ModelInfo, attr: Attribute) -> Index | None:
        elements = self.field_list(info, attr)
        if not elements:
            return None
        tname = info.table
        cols = [e.column or "" for e in elements]
        unique = attr.name == "unique"
        name = self.map_name(attr)
        client_name = attr.named("name")
        if name is None and not unique and isinstance(client_name, Str):
            # Prisma 2 spelled the database name of an index `name:`
            name = client_name.value
        if name is None:
            name = names.unique(tname, cols) if unique else names.index(tname, cols)
        method: IndexMethod = "btree"
        itype = attr.named("type")
        if itype is not None:
            if isinstance(itype, Name) and itype.name in INDEX_TYPES:
                method = INDEX_TYPES[itype.name]
            else:
                self.error(
                    attr.line,
                    f"model {info.block.name}",
                    "unknown index type",
                    "type: is one of " + ", ".join(INDEX_TYPES),
                )
        kind = "uniques" if unique else "indexes"
        return Index(
            name,
            tuple(elements),
            unique=unique,
            method=method,
            source=self.source(f"tables.{tname}.{kind}", attr.line),
        )

    # -- relations
    def relations(self, tables: list[Table]) -> list[Table]:
        by_model: dict[str, Table] = {}
        for t in tables:
            for model, info in self.models.items():
                if info.table == t.name:
                    by_model[model] = t
        rel_fields: list[_RelationField] = []
        for model, info in self.models.items():
            for f in info.block.fields:
                if f.type.name in self.composites:
                    self.error(
                        f.line,
                        f"{model}.{f.name}",
                        f"composite type {f.type.name!r} is MongoDB only",
                    )
                if f.type.name not in self.models:
                    continue
                attr = f.attribute("relation")
                rel_name = None
                if attr is not None:
                    first = attr.positional()[0] if attr.positional() else attr.named("name")
                    if isinstance(first, Str):
                        rel_name = first.value
                rel_fields.append(_RelationField(model, f, f.type.name, rel_name, attr))
        join_tables: dict[str, Table] = {}
        for rf in rel_fields:
            has_fields = rf.attr is not None and rf.attr.named("fields") is not None
            if has_fields:
                fk = self.foreign_key(rf)
                if fk is not None and rf.model in by_model:
                    t = by_model[rf.model]
                    by_model[rf.model] = replace(t, foreign_keys=(*t.foreign_keys, fk))
                continue
            opposite = [
                o
                for o in rel_fields
                if o.model == rf.target
                and o.target == rf.model
                and o.name == rf.name
                and o.field is not rf.field
            ]
            where = f"{rf.model}.{rf.field.name}"
            if not opposite:
                self.error(
                    rf.field.line,
                    where,
                    f"relation field has no opposite relation field on model {rf.target}",
                    f"add a field of type {rf.model} (or {rf.model}[]) to model {rf.target}",
                )
                continue
            other = opposite[0]
            other_has_fields = other.attr is not None and other.attr.named("fields") is not None
            if rf.field.type.list and other.field.type.list and not other_has_fields:
                join = self.join_table(rf, other)
                if join is not None:
                    join_tables.setdefault(join.name, join)
            elif (
                not other_has_fields
                and not rf.field.type.list
                and not other.field.type.list
                and (rf.model, rf.field.name) < (other.model, other.field.name)
            ):
                self.error(
                    rf.field.line,
                    where,
                    f"one-to-one relation with {rf.target}: neither side has "
                    "@relation(fields: [...], references: [...])",
                    "add fields/references on the side that holds the foreign key",
                )
            if rf.attr is not None:
                for key in ("onDelete", "onUpdate"):
                    if rf.attr.named(key) is not None:
                        self.warn(
                            rf.attr.line,
                            where,
                            f"{key} on the side without `fields` has no effect",
                            "put referential actions next to fields/references",
                        )
        return [*by_model.values(), *join_tables.values()]

    def foreign_key(self, rf: _RelationField) -> ForeignKey | None:
        assert rf.attr is not None
        attr = rf.attr
        where = f"{rf.model}.{rf.field.name}"
        info = self.models[rf.model]
        target = self.models[rf.target]
        fields = self.name_list(attr.named("fields"), attr, "fields")
        refs = self.name_list(attr.named("references"), attr, "references")
        if fields is None or refs is None:
            return None
        if len(fields) != len(refs):
            self.error(attr.line, where, "fields and references must have the same length")
            return None
        cols: list[str] = []
        for name in fields:
            if name not in info.columns:
                self.error(
                    attr.line, where, f"fields: {name!r} is not a scalar field of {rf.model}"
                )
                return None
            cols.append(info.columns[name])
        ref_cols: list[str] = []
        for name in refs:
            if name not in target.columns:
                self.error(
                    attr.line, where, f"references: {name!r} is not a scalar field of {rf.target}"
                )
                return None
            ref_cols.append(target.columns[name])
        optional = rf.field.type.optional
        on_delete = self.action(attr, "onDelete", "set null" if optional else "restrict", where)
        on_update = self.action(attr, "onUpdate", "cascade", where)
        fk_name = self.map_name(attr) or names.foreign_key(info.table, cols)
        if self.relation_mode_prisma:
            self.warn(
                attr.line,
                where,
                f'relationMode = "prisma": no foreign key {fk_name} in the database '
                f"({info.table}({', '.join(cols)}) -> {target.table}); not imported",
                "add `references` to the column in the spec to enforce it "
                "(lint: relation without a foreign key)",
            )
            return None
        return ForeignKey(
            fk_name,
            tuple(cols),
            target.table,
            tuple(ref_cols),
            on_delete=on_delete,
            on_update=on_update,
            on_delete_explicit=attr.named("onDelete") is not None,
            source=self.source(f"tables.{info.table}.foreign_keys", attr.line),
        )

    def name_list(self, value: Expr | None, attr: Attribute, key: str) -> list[str] | None:
        if value is None:
            self.error(
                attr.line,
                attr.spelling,
                f"@relation with fields needs {key}: [...]",
                "@relation(fields: [userId], references: [id])",
            )
            return None
        if isinstance(value, Array) and all(isinstance(i, Name) for i in value.items):
            return [i.name for i in value.items if isinstance(i, Name)]
        self.error(attr.line, attr.spelling, f"{key}: expects a list of field names")
        return None

    def action(self, attr: Attribute, key: str, default: FkAction, where: str) -> FkAction:
        value = attr.named(key)
        if value is None:
            return default
        if isinstance(value, Name) and value.name in REFERENTIAL_ACTIONS:
            return REFERENTIAL_ACTIONS[value.name]
        self.error(
            attr.line,
            where,
            f"unknown referential action for {key}",
            f"{key}: one of " + ", ".join(REFERENTIAL_ACTIONS),
        )
        return default

    def join_table(self, a: _RelationField, b: _RelationField) -> Table | None:
        """The join table Prisma creates for an implicit many-to-many relation."""
        first, second = sorted([a.model, b.model])
        name = "_" + (a.name or f"{first}To{second}")
        cols: list[Column] = []
        fks: list[ForeignKey] = []
        for col_name, model in (("A", first), ("B", second)):
            info = self.models[model]
            pk_fields = [f for f in info.block.fields if f.attribute("id") is not None]
            if len(pk_fields) != 1:
                self.error(
                    a.field.line,
                    f"{a.model}.{a.field.name}",
                    f"implicit many-to-many needs a single-field @id on {model}",
                    "declare an explicit join model instead",
                )
                return None
            id_type = self.column_type(pk_fields[0], f"{model}.{pk_fields[0].name}")
            if id_type is None:
                return None
            cols.append(
                Column(col_name, id_type, source=self.source(f"tables.{name}", a.field.line))
            )
            if not self.relation_mode_prisma:
                fks.append(
                    ForeignKey(
                        names.foreign_key(name, [col_name]),
                        (col_name,),
                        info.table,
                        (info.columns[pk_fields[0].name],),
                        on_delete="cascade",
                        on_update="cascade",
                    )
                )
        pair = (IndexElement(column="A"), IndexElement(column="B"))
        pk: PrimaryKey | None = None
        indexes = [Index(f"{name}_B_index", (IndexElement(column="B"),))]
        if self.m2m == "primary-key":
            pk = PrimaryKey(names.primary_key(f"{name}_AB"), ("A", "B"))
        else:
            indexes.append(Index(f"{name}_AB_unique", pair, unique=True))
        return Table(
            name,
            tuple(cols),
            primary_key=pk,
            foreign_keys=tuple(fks),
            indexes=tuple(indexes),
            source=self.source(f"tables.{name}", a.field.line),
        )
