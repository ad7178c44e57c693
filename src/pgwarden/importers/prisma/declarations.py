"""The document's top level: the datasource (provider, relation mode, schemas,
extensions), the blocks it declares, enums and views."""

from __future__ import annotations

from pgwarden.importers.prisma.context import Context, ModelInfo
from pgwarden.importers.prisma.vocabulary import COMMENTED_ATTRIBUTE
from pgwarden.importers.prisma_ast import Array, Block, Call, Expr, Name, Str
from pgwarden.spec import names
from pgwarden.spec.exprs import ExprSyntaxError, normalize_query
from pgwarden.spec.model import Enum, Extension, View


def collect(cx: Context) -> None:
    """Read the datasource first (its namespaces qualify names), then sort every block by kind
    and map each model's scalar fields to their column names."""
    for block in cx.doc.blocks:
        if block.kind == "datasource":
            _datasource(cx, block)
    for comment in cx.doc.comments:
        if COMMENTED_ATTRIBUTE.match(comment.text):
            cx.warn(
                comment.line,
                "",
                f"commented-out attribute `{comment.text}` is not imported",
                "decide the rule: uncomment it, or add it to the spec (as a partial "
                "unique index on a soft-delete table, if it only holds for active rows)",
            )
    seen: dict[str, Block] = {}
    for block in cx.doc.blocks:
        if block.kind in ("model", "enum", "type", "view"):
            if block.name in seen:
                cx.error(
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
                table = cx.string_arg(map_attr, block.name) or table
            cx.models[block.name] = ModelInfo(block, cx.qualified(block, table))
        elif block.kind == "enum":
            cx.enums[block.name] = block
        elif block.kind == "type":
            cx.composites[block.name] = block
            cx.warn(
                block.line,
                block.name,
                "composite types (`type` blocks) are a MongoDB feature; not imported",
            )
        elif block.kind == "view":
            cx.view_blocks.append(block)
    for info in cx.models.values():
        for f in info.block.fields:
            if cx.is_scalar(f):
                info.columns[f.name] = cx.column_name(f)


def _datasource(cx: Context, block: Block) -> None:
    provider = block.assignment("provider")
    if isinstance(provider, Str) and provider.value not in ("postgresql", "postgres"):
        level = cx.warn if provider.value == "cockroachdb" else cx.error
        level(
            provider.line,
            f"datasource {block.name}",
            f"provider {provider.value!r}: pgwarden governs PostgreSQL only",
            'set provider = "postgresql"',
        )
    mode = block.assignment("relationMode") or block.assignment("referentialIntegrity")
    if isinstance(mode, Str) and mode.value == "prisma":
        cx.relation_mode_prisma = True
        cx.warn(
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
            cx.namespaces = [i.value for i in schemas.items if isinstance(i, Str)]
            if cx.namespaces and "public" not in cx.namespaces:
                cx.default_namespace = cx.namespaces[0]
        else:
            cx.error(
                schemas.line,
                where,
                "schemas must be a list of strings",
                'schemas = ["public", "billing"]',
            )
    extensions = block.assignment("extensions")
    if extensions is not None:
        items = extensions.items if isinstance(extensions, Array) else ()
        if not isinstance(extensions, Array):
            cx.error(
                extensions.line,
                where,
                "extensions must be a list",
                "extensions = [pg_trgm, vector]",
            )
        for item in items:
            x = _extension(cx, item, where)
            if x is not None:
                cx.extensions.append(x)


def _extension(cx: Context, item: Expr, where: str) -> Extension | None:
    """``pg_trgm``, ``vector(schema: "extensions", version: "0.8.0")``,
    ``uuid_ossp(map: "uuid-ossp")``."""
    if isinstance(item, Name):
        return Extension(item.name)
    if isinstance(item, Call):
        named = {a.name: a.value for a in item.args}
        unknown = sorted(k or "?" for k in named if k not in ("map", "schema", "version"))
        if unknown or not all(isinstance(v, Str) for v in named.values()):
            cx.error(
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
            None if schema == cx.default_namespace else schema,
            text.get("version"),
        )
    cx.error(item.line, where, "an extension is a name or name(...)", "extensions = [pg_trgm]")
    return None


def view(cx: Context, block: Block) -> View | None:
    """A ``view`` block: its query from ``views/<schema>/<View>.sql``."""
    name = block.name
    map_attr = block.attribute("map")
    if map_attr is not None:
        name = cx.string_arg(map_attr, block.name) or name
    qualified = cx.qualified(block, name)
    namespace = names.namespace_of(qualified) or cx.default_namespace
    text = cx.view_sql.get((namespace, name))
    if text is None:
        cx.warn(
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
        cx.error(block.line, f"view {block.name}", f"views/{namespace}/{name}.sql: {exc}")
        return None
    return View(
        qualified,
        definition,
        comment=block.doc,
        source=cx.source(f"views.{qualified}", block.line),
    )


def enum(cx: Context, block: Block) -> Enum:
    """An ``enum`` block as an enum type; value docs are kept in the comment."""
    name = block.name
    values: list[str] = []
    notes: list[str] = []
    for attr in block.attributes:
        if attr.name not in ("map", "schema"):
            cx.error(attr.line, f"enum {name}", f"unknown enum attribute {attr.spelling}")
        elif attr.name == "map":
            name = cx.string_arg(attr, block.name) or name
    name = cx.qualified(block, name)
    for value in block.fields:
        db_value = value.name
        for attr in value.attributes:
            if attr.name == "map":
                db_value = cx.string_arg(attr, f"{block.name}.{value.name}") or db_value
            else:
                cx.error(
                    attr.line,
                    f"enum {block.name}.{value.name}",
                    f"unknown attribute {attr.spelling} on an enum value",
                    "an enum value takes only @map",
                )
        values.append(db_value)
        if value.doc:
            notes.append(f"{db_value}: {value.doc}")
    comment = "\n".join([*([block.doc] if block.doc else []), *notes]) or None
    return Enum(name, tuple(values), comment, source=cx.source(f"enums.{name}", block.line))
