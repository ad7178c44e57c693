"""Write a schema model as spec TOML: the inverse of :mod:`pgwarden.spec.load`.

The contract is ``load_schema_text(dump_schema(s)) == s`` for every normalized
schema ``s`` (a loaded spec, a model from the strategies). Sugar is used only
where loading gives back exactly the same object: ``primary_key = true`` for a
conventionally named one-column key, ``unique = true`` likewise, column
``references`` for one-column keys, a literal ``default`` when re-reading it
yields the same SQL text. Names are written only when they differ from the
convention in ``spec.names``. Output is deterministic: the model's order, fixed
key order, one formatting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import cast

from pgwarden.spec import names, sqltext
from pgwarden.spec.exprs import column_refs, literal_sql, name_hint, string_constant, strip_cast
from pgwarden.spec.load import literal_mismatch
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    CompositeType,
    Domain,
    Enum,
    ExclusionConstraint,
    Extension,
    ForeignKey,
    Function,
    Index,
    IndexElement,
    Partition,
    Policy,
    Schema,
    Sequence,
    SequenceOptions,
    Suppression,
    Table,
    Trigger,
    UniqueConstraint,
    View,
)
from pgwarden.spec.partitions import spec_form
from pgwarden.spec.types import TypeSyntaxError, parse_type

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}

Value = str | int | float | bool | list["Value"] | dict[str, "Value"]


def dump_schema(schema: Schema, *, readable: bool = False) -> str:
    """The spec TOML for ``schema`` (one file).

    ``readable`` (for introspected schemas) writes a default that is a constant cast
    to its own column type, ``'FREE'::"SubscriptionPlan"``, as the literal
    ``default = "FREE"``. It loads back to the same value once canonicalised by the
    server, not to the same text, so it is off for ``load(dump(s)) == s``.
    """
    out: list[str] = []
    head: dict[str, Value] = {}
    if schema.name != "public":
        head["name"] = schema.name
    if schema.ignore:
        head["ignore"] = list(schema.ignore)
    if head:
        out += ["[schema]", *_lines(head), ""]
    for namespace in schema.schemas:
        body: dict[str, Value] = {}
        if namespace.comment is not None:
            body["comment"] = namespace.comment
        out += [_header("schemas", namespace.name), *_lines(body), ""]
    if schema.extensions:
        out += ["[extensions]", *(_extension(x) for x in schema.extensions), ""]
    enums = {e.name: e for e in schema.enums}
    for enum in schema.enums:
        out += _enum(enum)
    for domain in schema.domains:
        out += _domain(domain)
    for composite in schema.composite_types:
        out += _composite(composite)
    for table in schema.tables:
        if readable:
            table = replace(table, columns=tuple(_uncast_default(c) for c in table.columns))
        out += _table(schema, table, enums)
    for view in schema.views:
        out += _view(view)
    for function in schema.functions:
        out += _function(function)
    for sequence in schema.sequences:
        out += _sequence(sequence)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------- TOML text


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class Text(str):
    """A string written as a TOML multi-line string (view queries, function bodies):
    every character kept, escaped where TOML needs it."""


def _multiline(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    # the newline right after the opening quotes is not part of the string
    return '"""\n' + "".join(out) + '"""'


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Text) and "\n" in value:
        return _multiline(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _inline(value)


def _inline(items: dict[str, Value]) -> str:
    if not items:
        return "{}"
    return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in items.items()) + " }"


def _header(*parts: str, array: bool = False) -> str:
    inner = ".".join(_key(p) for p in parts)
    return f"[[{inner}]]" if array else f"[{inner}]"


def _lines(items: dict[str, Value]) -> list[str]:
    return [f"{_key(k)} = {_value(v)}" for k, v in items.items()]


def _ignore(suppressions: tuple[Suppression, ...]) -> list[Value]:
    return [{"rule": s.rule, "reason": s.reason} for s in suppressions]


# ---------------------------------------------------------------------- views


def _view(view: View) -> list[str]:
    section = "materialized_views" if view.materialized else "views"
    body: dict[str, Value] = {"definition": Text(view.definition)}
    if view.columns is not None:
        body["columns"] = {
            c.name: (
                {"type": _spelled(c.type), "comment": c.comment}
                if c.comment is not None
                else _spelled(c.type)
            )
            for c in view.columns
        }
    if view.comment is not None:
        body["comment"] = view.comment
    if view.security_barrier:
        body["security_barrier"] = True
    if view.security_invoker:
        body["security_invoker"] = True
    if view.check_option is not None:
        body["check_option"] = view.check_option
    if not view.with_data:
        body["with_data"] = False
    if view.refresh is not None:
        body["refresh"] = view.refresh
    if view.renamed_from is not None:
        body["renamed_from"] = view.renamed_from
    out = [_header(section, view.name), *_lines(body), ""]
    for index in view.indexes:
        entry = _index_entry(index, view.name, None, False)
        out += [_header(section, view.name, "indexes", array=True), *_lines(entry), ""]
    return out


# ---------------------------------------------------------------------- functions


def _function(f: Function) -> list[str]:
    section = "procedures" if f.kind == "procedure" else "functions"
    body: dict[str, Value] = {"language": f.language}
    if f.arguments:
        body["arguments"] = f.arguments
    if f.returns is not None:
        body["returns"] = f.returns
    if f.volatility != "volatile":
        body["volatility"] = f.volatility
    if f.strict:
        body["strict"] = True
    if f.security_definer:
        body["security_definer"] = True
    if f.parallel != "unsafe":
        body["parallel"] = f.parallel
    if f.leakproof:
        body["leakproof"] = True
    if f.search_path is not None:
        body["search_path"] = list(f.search_path)
    if f.settings:
        body["set"] = dict(f.settings)
    if f.comment is not None:
        body["comment"] = f.comment
    body["body"] = Text(f.body)
    return [_header(section, f.name), *_lines(body), ""]


# ---------------------------------------------------------------------- sequences


def sequence_options(options: SequenceOptions) -> dict[str, Value]:
    """The numbers that differ from Postgres's own choice."""
    body: dict[str, Value] = {}
    if options.start is not None:
        body["start"] = options.start
    if options.increment != 1:
        body["increment"] = options.increment
    if options.min_value is not None:
        body["min_value"] = options.min_value
    if options.max_value is not None:
        body["max_value"] = options.max_value
    if options.cache != 1:
        body["cache"] = options.cache
    if options.cycle:
        body["cycle"] = True
    return body


def _sequence(q: Sequence) -> list[str]:
    body: dict[str, Value] = {}
    if q.type != "bigint":
        body["type"] = q.type
    body.update(sequence_options(q.options))
    if q.owned_by is not None:
        body["owned_by"] = q.owned_by
    if q.comment is not None:
        body["comment"] = q.comment
    return [_header("sequences", q.name), *_lines(body), ""]


# ---------------------------------------------------------------------- extensions


def _extension(x: Extension) -> str:
    body: dict[str, Value] = {}
    if x.schema is not None:
        body["schema"] = x.schema
    if x.version is not None:
        body["version"] = x.version
    return f"{_key(x.name)} = {_inline(body)}"


# ---------------------------------------------------------------------- enums


def _enum(enum: Enum) -> list[str]:
    renamed = dict((new, old) for old, new in enum.value_renames)
    values: list[Value] = [
        {"name": v, "renamed_from": renamed[v]} if v in renamed else v for v in enum.values
    ]
    body: dict[str, Value] = {"values": values}
    if enum.comment is not None:
        body["comment"] = enum.comment
    if enum.renamed_from is not None:
        body["renamed_from"] = enum.renamed_from
    return [_header("enums", enum.name), *_lines(body), ""]


# ---------------------------------------------------------------------- domains, composites


def _domain(d: Domain) -> list[str]:
    body: dict[str, Value] = {"type": _spelled(d.type)}
    if d.collation is not None:
        body["collation"] = d.collation
    if d.not_null:
        body["not_null"] = True
    if d.default is not None:
        body["default_sql"] = d.default
    if d.comment is not None:
        body["comment"] = d.comment
    if d.checks:
        body["checks"] = [{"name": c.name, "expression": c.expression} for c in d.checks]
    return [_header("domains", d.name), *_lines(body), ""]


def _composite(c: CompositeType) -> list[str]:
    body: dict[str, Value] = {}
    if c.comment is not None:
        body["comment"] = c.comment
    attributes: dict[str, Value] = {
        a.name: {"type": _spelled(a.type), "collation": a.collation}
        if a.collation is not None
        else _spelled(a.type)
        for a in c.attributes
    }
    return [
        _header("composite_types", c.name),
        *_lines(body),
        "",
        _header("composite_types", c.name, "attributes"),
        *_lines(attributes),
        "",
    ]


# ---------------------------------------------------------------------- tables


def _soft_delete_where(table: Table) -> str | None:
    if not table.soft_delete:
        return None
    return sqltext.active_rows_where(table.soft_delete)


def _plain_columns(index: Index) -> tuple[str, ...] | None:
    """The columns of an index whose keys are plain ascending columns, else None."""
    if any(
        e.column is None or e.descending or e.nulls_first is not None or e.opclass or e.collation
        for e in index.elements
    ):
        return None
    return tuple(str(e.column) for e in index.elements)


def _duration(seconds: float) -> str:
    """Seconds as the spec writes them: ``"30s"``, or ``"1500ms"`` below a whole second."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds * 1000:g}ms"


def _table(schema: Schema, table: Table, enums: dict[str, Enum]) -> list[str]:
    name = table.name
    sd_where = _soft_delete_where(table)
    head: dict[str, Value] = {}
    if table.comment is not None:
        head["comment"] = table.comment
    if table.soft_delete is not None:
        head["soft_delete"] = table.soft_delete
    if table.owner is not None:
        head["owner"] = table.owner
    if table.owner_table:
        head["owner_table"] = True
    if table.tombstone is not None:
        head["tombstone"] = table.tombstone
    if table.tombstone_guards_restore:
        head["tombstone_guards_restore"] = True
    if table.billing is not None:
        head["billing"] = (
            {"active_when": table.billing.active_when} if table.billing.active_when else {}
        )
    if table.replica is not None:
        head["replica"] = list(table.replica.methods) if table.replica.methods else True
    if table.cache is not None and table.cache.ttl is not None:
        cache: dict[str, Value] = {"ttl": _duration(table.cache.ttl)}
        if table.cache.methods:
            cache["methods"] = list(table.cache.methods)
        head["cache"] = cache
    if table.audit:
        head["audit"] = True
    if table.distribution is not None:
        dist: dict[str, Value] = {"column": table.distribution.column}
        if table.distribution.colocate_with is not None:
            dist["colocate_with"] = table.distribution.colocate_with
        head["distribution"] = dist
    if table.reference:
        head["reference"] = True
    if table.renamed_from is not None:
        head["renamed_from"] = table.renamed_from
    if table.partition_by is not None:
        head["partition_by"] = table.partition_by
    if table.rls_enabled or table.rls_forced:
        rls: dict[str, Value] = {"enabled": table.rls_enabled}
        if table.rls_forced:
            rls["force"] = True
        head["rls"] = rls

    # column sugar: what each column carries, and what stays table-level
    col_extra: dict[str, dict[str, Value]] = {c.name: {} for c in table.columns}
    pk = table.primary_key
    if pk is not None:
        if (
            len(pk.columns) == 1
            and pk.name == names.primary_key(name)
            and pk.columns[0] in col_extra
        ):
            col_extra[pk.columns[0]]["primary_key"] = True
        else:
            body: dict[str, Value] = {"columns": list(pk.columns)}
            if pk.name != names.primary_key(name):
                body["name"] = pk.name
            head["primary_key"] = body
    if table.ignore:
        head["ignore"] = _ignore(table.ignore)

    uniques: list[dict[str, Value]] = []
    for u in table.uniques:
        if not _unique_sugar(u, name, col_extra, all_rows=sd_where is not None):
            uniques.append(_unique_entry(u, name, all_rows=sd_where is not None))

    indexes: list[dict[str, Value]] = []
    for index in table.indexes:
        plain = _plain_columns(index)
        partial_rule = (
            sd_where is not None
            and index.soft_delete_partial
            and index.unique
            and index.where == sd_where
        )
        if (
            partial_rule
            and plain is not None
            and index.method == "btree"
            and not index.include
            and index.name == names.unique(name, plain)
        ):
            # a unique rule made partial by soft delete: write the rule, loading redoes it
            rule = UniqueConstraint(index.name, plain, index.nulls_not_distinct)
            if not _unique_sugar(rule, name, col_extra, all_rows=False):
                uniques.append(_unique_entry(rule, name, all_rows=False))
            continue
        indexes.append(_index_entry(index, name, sd_where, partial_rule))

    foreign_keys: list[dict[str, Value]] = []
    for fk in table.foreign_keys:
        if not _fk_sugar(schema, fk, name, col_extra):
            foreign_keys.append(_fk_entry(fk, name))

    out = [_header("tables", name), *_lines(head), ""] if head else []
    out.append(_header("tables", name, "columns"))
    for column in table.columns:
        out.append(
            f"{_key(column.name)} = {_inline(_column(column, col_extra[column.name], enums))}"
        )
    out.append("")
    for key, entries in (
        ("uniques", uniques),
        ("foreign_keys", foreign_keys),
        ("checks", [_check_entry(c, name) for c in table.checks]),
        ("indexes", indexes),
        ("exclusions", [_exclusion_entry(x, name) for x in table.exclusions]),
        ("policies", [_policy_entry(p) for p in table.policies]),
        ("partitions", [_partition_entry(p) for p in table.partitions]),
        ("triggers", [_trigger_entry(g) for g in table.triggers]),
    ):
        for entry in entries:
            out += [_header("tables", name, key, array=True), *_lines(entry), ""]
    return out


def _partition_entry(p: Partition) -> dict[str, Value]:
    body: dict[str, Value] = {"name": p.name}
    form = spec_form(p.bound)
    if form is None:
        body["bound"] = p.bound
    else:
        body.update(cast(dict[str, Value], form))
    if p.comment is not None:
        body["comment"] = p.comment
    return body


def _column(column: Column, extra: dict[str, Value], enums: dict[str, Enum]) -> dict[str, Value]:
    body: dict[str, Value] = {"type": _type_text(column)}
    if column.nullable:
        body["nullable"] = True
    if column.default is not None:
        literal = _default_literal(column, enums)
        if literal is not None:
            body["default"] = literal
        else:
            body["default_sql"] = column.default
    if column.identity is not None:
        numbers = sequence_options(column.identity_options)
        body["identity"] = {"kind": column.identity, **numbers} if numbers else column.identity
    if column.generated is not None:
        body["generated"] = column.generated
    body.update(extra)
    if column.maintained is not None:
        body["maintained"] = column.maintained
    if column.comment is not None:
        body["comment"] = column.comment
    if column.collation is not None:
        body["collation"] = column.collation
    if column.secret is not None:
        body["secret"] = column.secret
    if column.renamed_from is not None:
        body["renamed_from"] = column.renamed_from
    if column.backfill is not None:
        body["backfill"] = column.backfill
    if column.ignore:
        body["ignore"] = _ignore(column.ignore)
    return body


def _type_text(column: Column) -> str:
    return _spelled(column.type)


def _spelled(t: ColumnType) -> str:
    if t.is_builtin:
        return t.spec_text()
    # a user type that reads as a built-in or has odd characters: quote it
    from pgwarden.spec.types import ALIASES

    parts = names.split_name(t.name)
    written = []
    for n, part in enumerate(parts):
        plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part) is not None
        last = n == len(parts) - 1
        if plain and not (last and len(parts) == 1 and part.lower() in ALIASES):
            written.append(part)
        else:
            written.append('"' + part.replace('"', '""') + '"')
    mods = f"({','.join(str(m) for m in t.modifiers)})" if t.modifiers else ""
    return ".".join(written) + mods + ("[]" if t.array else "")


def _uncast_default(column: Column) -> Column:
    """The column with ``<constant>::<its own type>`` as a default reduced to the constant."""
    if column.default is None:
        return column
    found = strip_cast(column.default)
    if found is None:
        return column
    constant, type_text = found
    try:
        cast_type = parse_type(type_text)
    except TypeSyntaxError:
        return column
    if cast_type.name != column.type.name or cast_type.array != column.type.array:
        return column
    return replace(column, default=constant)


def _default_literal(column: Column, enums: dict[str, Enum]) -> Value | None:
    """The TOML literal whose loading gives exactly ``column.default``, if any."""
    text = column.default
    assert text is not None
    candidates: list[Value] = []
    value = string_constant(text)
    if value is not None:
        candidates.append(value)
    if text in {"TRUE", "FALSE"}:
        candidates.append(text == "TRUE")
    try:
        candidates.append(int(text))
    except ValueError:
        try:
            number = float(text)
            if math.isfinite(number):
                candidates.append(number)
        except ValueError:
            pass
    for candidate in candidates:
        if literal_mismatch(candidate, column.type, enums) is not None:
            continue
        try:
            if literal_sql(candidate) == text:
                return candidate
        except ValueError:
            continue
    return None


def _unique_sugar(
    u: UniqueConstraint, table: str, col_extra: dict[str, dict[str, Value]], all_rows: bool
) -> bool:
    """Put a one-column unique rule on its column when that reads back the same."""
    if (
        len(u.columns) != 1
        or u.columns[0] not in col_extra
        or "unique" in col_extra[u.columns[0]]
        or u.deferrable
        or u.initially_deferred
    ):
        return False
    options: dict[str, Value] = {}
    if u.name != names.unique(table, u.columns):
        options["name"] = u.name
    if u.nulls_not_distinct:
        options["nulls_not_distinct"] = True
    if all_rows:
        options["all_rows"] = True
    col_extra[u.columns[0]]["unique"] = options or True
    return True


def _unique_entry(u: UniqueConstraint, table: str, all_rows: bool) -> dict[str, Value]:
    body: dict[str, Value] = {"columns": list(u.columns)}
    if u.name != names.unique(table, u.columns):
        body["name"] = u.name
    if u.nulls_not_distinct:
        body["nulls_not_distinct"] = True
    if u.deferrable:
        body["deferrable"] = True
    if u.initially_deferred:
        body["initially_deferred"] = True
    if all_rows:
        body["all_rows"] = True
    return body


def _fk_options(fk: ForeignKey, table: str) -> dict[str, Value]:
    body: dict[str, Value] = {}
    if fk.on_delete_explicit or fk.on_delete != "no action":
        body["on_delete"] = fk.on_delete
    if fk.on_update != "no action":
        body["on_update"] = fk.on_update
    if fk.deferrable:
        body["deferrable"] = True
    if fk.initially_deferred:
        body["initially_deferred"] = True
    if fk.name != names.foreign_key(table, fk.columns):
        body["name"] = fk.name
    return body


def _fk_sugar(
    schema: Schema, fk: ForeignKey, table: str, col_extra: dict[str, dict[str, Value]]
) -> bool:
    if len(fk.columns) != 1 or fk.columns[0] not in col_extra:
        return False
    extra = col_extra[fk.columns[0]]
    if "references" in extra:
        return False
    ref: dict[str, Value] = {"table": fk.ref_table}
    target = schema.table(fk.ref_table)
    target_pk = target.primary_key.columns if target and target.primary_key else None
    if target_pk != fk.ref_columns:
        ref["column"] = fk.ref_columns[0]
    ref.update(_fk_options(fk, table))
    extra["references"] = ref
    return True


def _fk_entry(fk: ForeignKey, table: str) -> dict[str, Value]:
    body: dict[str, Value] = {
        "columns": list(fk.columns),
        "references": {"table": fk.ref_table, "columns": list(fk.ref_columns)},
    }
    body.update(_fk_options(fk, table))
    return body


def _check_entry(check: CheckConstraint, table: str) -> dict[str, Value]:
    body: dict[str, Value] = {}
    if check.name != names.check(table, column_refs(check.expression)):
        body["name"] = check.name
    body["expression"] = check.expression
    return body


def _element(e: IndexElement) -> Value:
    if e.column is not None and not (
        e.descending or e.nulls_first is not None or e.opclass or e.collation
    ):
        return e.column
    body: dict[str, Value] = {}
    if e.column is not None:
        body["column"] = e.column
    else:
        body["expression"] = str(e.expression)
    if e.descending:
        body["order"] = "desc"
    if e.nulls_first is not None:
        body["nulls"] = "first" if e.nulls_first else "last"
    if e.opclass:
        body["opclass"] = e.opclass
    if e.collation:
        body["collation"] = e.collation
    return body


def _exclusion_entry(x: ExclusionConstraint, table: str) -> dict[str, Value]:
    columns: list[Value] = []
    for e in x.elements:
        key = _element(
            IndexElement(
                e.column, e.expression, e.descending, e.nulls_first, e.opclass, e.collation
            )
        )
        body: dict[str, Value] = {"column": key} if isinstance(key, str) else {}
        if isinstance(key, dict):
            body.update(key)
        body["with"] = e.operator
        columns.append(body)
    out: dict[str, Value] = {"columns": columns}
    if x.name != names.exclusion(table, [e.column or "expr" for e in x.elements]):
        out["name"] = x.name
    if x.method != "gist":
        out["method"] = x.method
    if x.where is not None:
        out["where"] = x.where
    if x.include:
        out["include"] = list(x.include)
    if x.deferrable:
        out["deferrable"] = True
    if x.initially_deferred:
        out["initially_deferred"] = True
    return out


def _index_words(index: Index) -> Iterable[str]:
    return [e.column or name_hint(e.expression or "") for e in index.elements]


def _index_entry(
    index: Index, table: str, sd_where: str | None, partial_rule: bool
) -> dict[str, Value]:
    body: dict[str, Value] = {"columns": [_element(e) for e in index.elements]}
    if index.name != names.index(table, _index_words(index)):
        body["name"] = index.name
    if index.unique:
        body["unique"] = True
    if index.method != "btree":
        body["method"] = index.method
    if index.where is not None and not partial_rule:
        body["where"] = index.where
    if index.include:
        body["include"] = list(index.include)
    if index.nulls_not_distinct:
        body["nulls_not_distinct"] = True
    if sd_where is not None and index.unique and index.where is None:
        body["all_rows"] = True  # else loading would make it partial
    return body


def _trigger_entry(g: Trigger) -> dict[str, Value]:
    body: dict[str, Value] = {
        "name": g.name,
        "function": g.function,
        "timing": g.timing,
        "events": list(g.events),
    }
    if g.columns:
        body["columns"] = list(g.columns)
    if g.for_each != "row":
        body["for_each"] = g.for_each
    if g.when is not None:
        body["when"] = g.when
    referencing: dict[str, Value] = {}
    if g.old_table is not None:
        referencing["old_table"] = g.old_table
    if g.new_table is not None:
        referencing["new_table"] = g.new_table
    if referencing:
        body["referencing"] = referencing
    if g.arguments:
        body["arguments"] = list(g.arguments)
    if g.comment is not None:
        body["comment"] = g.comment
    return body


def _policy_entry(policy: Policy) -> dict[str, Value]:
    body: dict[str, Value] = {"name": policy.name}
    if policy.command != "all":
        body["command"] = policy.command
    if not policy.permissive:
        body["permissive"] = False
    if policy.roles != ("public",):
        body["roles"] = list(policy.roles)
    if policy.using is not None:
        body["using"] = policy.using
    if policy.with_check is not None:
        body["with_check"] = policy.with_check
    return body
