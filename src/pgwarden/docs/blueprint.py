"""The Data Blueprint: a Markdown description of the schema, generated from the spec.

It has the shape of the document Basefly's team wrote by hand (models with
purpose, relations and delete rules; enums; an index table; a data-integrity
checklist; an ER diagram), but every statement is derived: the checklist's
ticks and crosses are the results of the real lint rules, so the document
cannot claim "foreign keys to User" while the schema has none.

Deterministic: same spec, same bytes (no dates, everything sorted), so
``pgwarden docs --check`` can compare with the committed file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

import jinja2

from pgwarden.spec.model import Column, ForeignKey, Schema, Table, View

if TYPE_CHECKING:
    from pgwarden.checks.queries import QueryAnalysis

#: The checklist: one line per integrity property, ticked when none of its lint
#: rules reports a finding. Rule ids are those of ``pgwarden.checks``.
CHECKLIST: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Every table has a primary key", ("table-without-primary-key",)),
    (
        "Foreign keys enforce every relation",
        ("implied-foreign-key", "schema-without-foreign-keys"),
    ),
    ("Every foreign key states its delete rule", ("fk-missing-on-delete",)),
    ("Foreign keys are indexed", ("fk-missing-index",)),
    ("Deletes never cascade into protected data", ("cascade-deletes-protected-data",)),
    ("Soft delete uses a timestamp, not a boolean flag", ("boolean-soft-delete",)),
    (
        "Unique rules on soft-deleted tables cover active rows only",
        ("soft-delete-unique-not-partial", "soft-delete-without-unique"),
    ),
    ("updatedAt is maintained by the database", ("updated-at-not-maintained",)),
    ("Timestamps carry a time zone", ("timestamp-without-time-zone",)),
    ("Secrets are not stored in plain text", ("plaintext-secret",)),
    ("No duplicate or redundant indexes", ("duplicate-index", "redundant-index")),
)


@dataclass(frozen=True, slots=True)
class Issue:
    """One lint finding as the checklist shows it (rule, object, message)."""

    rule: str
    object: str
    message: str
    suppressed: str | None = None
    """The reason given in the spec's ``ignore`` entry, when acknowledged."""


FindingSource = Callable[[Schema], list[Issue]]


def lint_issues(schema: Schema) -> list[Issue]:
    """``pgwarden lint``'s schema findings on ``schema`` (default rule selection).

    Findings a spec ``ignore`` entry covers are kept, with its reason, so the
    blueprint can show them as acknowledged rather than hide them.
    """
    from pgwarden.checks.engine import lint_schema

    collected = lint_schema(schema)
    issues: list[Issue] = []
    for finding in collected.findings:
        reason = next((s.reason for s in collected.suppressions if s.covers(finding)), None)
        obj = finding.location.object or schema.name
        issues.append(Issue(finding.rule, obj, finding.message, reason))
    return issues


# --------------------------------------------------------------------------- view model


@dataclass(frozen=True, slots=True)
class ColumnRow:
    """One row of a table's column list in the blueprint."""

    name: str
    type: str
    nullable: bool
    default: str
    notes: str
    comment: str


@dataclass(frozen=True, slots=True)
class Relation:
    """One relation of a table, as a sentence ("each X belongs to one Y")."""

    text: str


@dataclass(frozen=True, slots=True)
class TableView:
    """One table's section of the blueprint: comment, columns, relations, rules."""

    name: str
    comment: str | None
    columns: tuple[ColumnRow, ...]
    facts: tuple[tuple[str, str], ...]
    """(label, Markdown text) bullets: primary key, relations, soft delete, ..."""


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One enum value and what it means."""

    name: str
    description: str | None


@dataclass(frozen=True, slots=True)
class EnumView:
    """One enum's section of the blueprint."""

    name: str
    comment: str | None
    values: tuple[EnumValue, ...]
    used_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ViewBlock:
    """A view or materialized view: its kind, columns, query and facts."""

    name: str
    kind: str
    comment: str | None
    columns: tuple[str, ...]
    definition: str
    facts: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One index in the blueprint's index table, with the rule or query it serves."""

    table: str
    name: str
    columns: str
    kind: str
    condition: str
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class PatternRow:
    """One query pattern of the analysed source: where it occurs, which index serves it."""

    pattern: str
    places: str
    index: str
    ok: bool


@dataclass(frozen=True, slots=True)
class PatternSection:
    """The access patterns found in the application's queries, each with its serving index."""

    sources: tuple[str, ...]
    rows: tuple[PatternRow, ...]
    queries: int
    full_reads: int


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One item of the blueprint's checklist: met or not, and the findings behind it."""

    ok: bool
    text: str
    rules: tuple[str, ...]
    issues: tuple[Issue, ...]
    acknowledged: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class Blueprint:
    """The whole blueprint document, as data the Markdown renderer lays out."""

    title: str
    sources: tuple[str, ...]
    tables: tuple[TableView, ...]
    enums: tuple[EnumView, ...]
    indexes: tuple[IndexRow, ...]
    checklist: tuple[CheckItem, ...]
    mermaid: tuple[str, ...]
    stats: dict[str, int] = field(default_factory=dict)
    patterns: PatternSection | None = None
    """The query-pattern analysis, when source paths were analysed."""
    views: tuple[ViewBlock, ...] = ()
    types: tuple[tuple[str, str], ...] = ()
    """(name, Markdown description) of the domains and composite types."""


def _code(text: str) -> str:
    return f"`{text}`"


def _cols(columns: Iterable[str | None]) -> str:
    cols = [c or "(expr)" for c in columns]
    return _code(cols[0]) if len(cols) == 1 else "[" + ", ".join(cols) + "]"


def _action(fk: ForeignKey) -> str:
    return f"ON DELETE {fk.on_delete.upper()}, ON UPDATE {fk.on_update.upper()}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _column_row(table: Table, column: Column) -> ColumnRow:
    notes: list[str] = []
    pk = table.primary_key
    if pk and column.name in pk.columns:
        notes.append("PK")
    for fk in table.foreign_keys:
        if column.name in fk.columns:
            notes.append(f"FK → {fk.ref_table}")
    single_unique = any(u.columns == (column.name,) for u in table.uniques) or any(
        i.unique and i.column_names == (column.name,) for i in table.indexes
    )
    if single_unique:
        notes.append("unique")
    if column.identity == "serial":
        notes.append("serial")
    elif column.identity:
        notes.append(f"identity ({column.identity})")
    if column.maintained == "on_update":
        notes.append("set on UPDATE")
    if column.generated:
        notes.append(f"generated: `{column.generated}`")
    if column.secret:
        notes.append(column.secret)
    if table.soft_delete == column.name:
        notes.append("soft delete")
    if table.owner == column.name:
        notes.append("owner")
    default = f"`{column.default}`" if column.default else ""
    return ColumnRow(
        column.name,
        _cell(column.type.spec_text()),
        column.nullable,
        _cell(default),
        ", ".join(notes),
        _cell(column.comment or ""),
    )


def _methods(methods: tuple[str, ...]) -> str:
    """Generated read methods as the blueprint names them (``()``: all of them)."""
    return ", ".join(f"`{m}`" for m in methods) if methods else "every generated read"


def _table_view(schema: Schema, table: Table) -> TableView:
    facts: list[tuple[str, str]] = []
    if table.comment:
        facts.append(("Purpose", _cell(table.comment)))
    if table.primary_key:
        facts.append(("Primary key", _cols(table.primary_key.columns)))
    else:
        facts.append(("Primary key", "none"))
    for fk in sorted(table.foreign_keys, key=lambda f: f.name):
        facts.append(
            (
                "Relation",
                f"{_cols(fk.columns)} → `{fk.ref_table}`.{_cols(fk.ref_columns)} ({_action(fk)})",
            )
        )
    for other in schema.tables:
        for fk in other.foreign_keys:
            if fk.ref_table == table.name:
                facts.append(
                    (
                        "Referenced by",
                        f"`{other.name}`.{_cols(fk.columns)} (ON DELETE {fk.on_delete.upper()})",
                    )
                )
    if table.soft_delete:
        facts.append(
            (
                "Soft delete",
                f"`{table.soft_delete}` (NULL = active, non-NULL = deleted); unique rules "
                "hold over active rows only",
            )
        )
    for idx in sorted(table.indexes, key=lambda i: i.name):
        if idx.unique and idx.where:
            facts.append(
                ("Partial unique", f"{_cols(idx.column_names)} where `{_cell(idx.where)}`")
            )
    if table.owner:
        facts.append(("Owner", f"`{table.owner}` scopes every generated service call"))
    if table.owner_table:
        facts.append(("Principal", "deleted through the generated user-deletion service"))
    if table.billing:
        when = f" while `{_cell(table.billing.active_when)}`" if table.billing.active_when else ""
        facts.append(("Billing", f"holds billing data; deletion refused{when}"))
    if table.audit:
        facts.append(("Audit", "changes are recorded in the audit log"))
    if table.replica:
        reads = _methods(table.replica.methods)
        facts.append(("Read replicas", f"{reads} may be served by a read replica"))
    if table.cache and table.cache.ttl:
        reads = _methods(table.cache.methods)
        facts.append(("Cached", f"{reads} cached in process for {table.cache.ttl:g} s"))
    if table.rls_enabled:
        policies = ", ".join(f"`{p.name}`" for p in table.policies) or "no policies"
        facts.append(("Row-level security", f"enabled ({policies})"))
    maintained = [c.name for c in table.columns if c.maintained == "on_update"]
    if maintained:
        facts.append(
            ("Maintained", ", ".join(f"`{c}`" for c in maintained) + " set to now() on UPDATE")
        )
    for chk in sorted(table.checks, key=lambda c: c.name):
        facts.append(("Check", f"`{chk.name}`: `{_cell(chk.expression)}`"))
    if table.partition_by:
        facts.append(("Partitioned", f"by `{table.partition_by}`"))
    for part in table.partitions:
        facts.append(("Partition", f"`{part.name}`: `{_cell(part.bound)}`"))
    return TableView(
        table.name,
        table.comment,
        tuple(_column_row(table, c) for c in table.columns),
        tuple(facts),
    )


_VALUE_NOTE = re.compile(r"^(?:- )?(?P<value>[^:\s]+):\s*(?P<text>.+)$")


def _view_block(view: View) -> ViewBlock:
    facts: list[tuple[str, str]] = []
    if view.materialized:
        facts.append(("Refresh", "concurrently (unique index)" if view.refresh else "plain"))
        if not view.with_data:
            facts.append(("Created", "WITH NO DATA (refreshed later)"))
    for idx in view.indexes:
        kind = "unique index" if idx.unique else "index"
        facts.append(("Index", f"`{idx.name}` ({kind}) on {_cols(idx.column_names)}"))
    if view.security_barrier:
        facts.append(("Security", "security_barrier"))
    if view.security_invoker:
        facts.append(("Security", "security_invoker"))
    return ViewBlock(
        view.name,
        view.kind,
        view.comment,
        tuple(f"{c.name} {c.type.spec_text()}" for c in view.columns or ()),
        view.definition,
        tuple(facts),
    )


def _type_rows(schema: Schema) -> list[tuple[str, str]]:
    out = []
    for d in schema.domains:
        parts = [f"domain over `{d.type.spec_text()}`"]
        if d.not_null:
            parts.append("NOT NULL")
        parts += [f"check `{_cell(c.expression)}`" for c in d.checks]
        out.append((d.name, ", ".join(parts) + (f" — {_cell(d.comment)}" if d.comment else "")))
    for c in schema.composite_types:
        attrs = ", ".join(f"`{a.name}` {a.type.spec_text()}" for a in c.attributes)
        out.append(
            (c.name, f"composite ({attrs})" + (f" — {_cell(c.comment)}" if c.comment else ""))
        )
    return out


def _enum_view(schema: Schema, name: str) -> EnumView:
    enum = schema.enum(name)
    assert enum is not None
    notes: dict[str, str] = {}
    head: list[str] = []
    # "VALUE: description" lines of the comment describe the values (the
    # Prisma importer writes /// docs of enum values this way)
    for line in (enum.comment or "").splitlines():
        m = _VALUE_NOTE.match(line.strip())
        if m and m.group("value") in enum.values:
            notes[m.group("value")] = m.group("text")
        elif line.strip():
            head.append(line.strip())
    used = sorted(
        f"{t.name}.{c.name}" for t in schema.tables for c in t.columns if c.type.name == enum.name
    )
    return EnumView(
        enum.name,
        " ".join(head) or None,
        tuple(EnumValue(v, notes.get(v)) for v in enum.values),
        tuple(used),
    )


def _index_rows(schema: Schema, analysis: QueryAnalysis | None = None) -> list[IndexRow]:
    rows: list[IndexRow] = []
    for table in schema.tables:
        if table.primary_key is not None:
            pk = table.primary_key
            rows.append(
                IndexRow(
                    table.name,
                    pk.name,
                    _cols(pk.columns),
                    "Primary key",
                    "",
                    _purpose(table, pk.name, "Row identity", analysis),
                )
            )
        for u in table.uniques:
            rows.append(
                IndexRow(
                    table.name,
                    u.name,
                    _cols(u.columns),
                    "Unique",
                    "",
                    _purpose(table, u.name, "Uniqueness", analysis),
                )
            )
        for i in table.indexes:
            kind = "Unique" if i.unique else "Index"
            if i.where:
                kind = f"Partial {kind.lower()}"
            if i.method != "btree":
                kind += f" ({i.method})"
            cols = _cols(e.column or e.expression for e in i.elements)
            base = ""
            if i.unique:
                base = "Uniqueness over active rows" if i.soft_delete_partial else "Uniqueness"
            rows.append(
                IndexRow(
                    table.name,
                    i.name,
                    _cell(cols),
                    kind,
                    _cell(f"`{i.where}`" if i.where else ""),
                    _purpose(table, i.name, base, analysis),
                )
            )
    return sorted(rows, key=lambda r: (r.table, r.name))


def _purpose(table: Table, name: str, base: str, analysis: QueryAnalysis | None) -> str:
    """What the index is for: its constraint, the foreign key it serves, the query
    patterns the analysis matched to it (or that none uses it)."""
    from pgwarden.checks.queries import covers_foreign_key

    parts = [base] if base else []
    info = None
    if analysis is not None:
        info = next((ix for ix in analysis.table_indexes(table.name) if ix.name == name), None)
    else:
        from pgwarden.checks.queries import table_indexes

        info = next((ix for ix in table_indexes(table) if ix.name == name), None)
    fk = covers_foreign_key(info, table) if info is not None else None
    if fk:
        parts.append(f"Foreign key `{fk}` (delete checks, joins)")
    if analysis is not None and info is not None and analysis.queries:
        served = _served_patterns(analysis, name, table.name)
        if served:
            n = len(served)
            parts.append(f"Serves {n} query pattern{'s' if n != 1 else ''} ({_short(served)})")
        elif not info.constraint and not fk:
            parts.append("**Unused** by the analysed queries")
    return _cell("; ".join(parts))


def _served_patterns(analysis: QueryAnalysis, index: str, table: str) -> list[str]:
    labels: list[str] = []
    for q in analysis.queries:
        for a in q.accesses:
            if a.table != table:
                continue
            verdict = analysis.verdict(a)
            if verdict.index is not None and verdict.index.name == index:
                label = _method(q.label)
                if label not in labels:
                    labels.append(label)
    return sorted(labels)


def _method(label: str) -> str:
    return label.split(" (", 1)[0].split(", ", 1)[0]


def _short(labels: Sequence[str], limit: int = 2) -> str:
    shown = ", ".join(f"`{x}`" for x in labels[:limit])
    return shown + (f" +{len(labels) - limit}" if len(labels) > limit else "")


def _pattern_section(analysis: QueryAnalysis, sources: Sequence[str]) -> PatternSection:
    from pgwarden.checks.queries import suggested_columns

    groups: dict[tuple[str, str], dict[str, object]] = {}
    full_reads = 0
    for q in analysis.queries:
        for a in q.accesses:
            verdict = analysis.verdict(a)
            if not verdict.needs:
                full_reads += 1
                continue
            key = (a.table, a.pattern())
            slot = groups.setdefault(key, {"places": [], "indexes": set(), "missing": []})
            # generated queries are named by their accessor (stable across regeneration)
            place = f"`{_method(q.label)}`"
            if not q.generated:
                place += f" ({q.file}:{q.line})"
            places = slot["places"]
            assert isinstance(places, list)
            if place not in places:
                places.append(place)
            indexes = slot["indexes"]
            assert isinstance(indexes, set)
            if verdict.index is not None:
                indexes.add(verdict.index.name)
            else:
                missing = slot["missing"]
                assert isinstance(missing, list)
                missing.append(suggested_columns(a))
    rows = []
    for (table, pattern), slot in sorted(groups.items()):
        places = slot["places"]
        indexes = slot["indexes"]
        missing = slot["missing"]
        assert isinstance(places, list) and isinstance(indexes, set) and isinstance(missing, list)
        ok = not missing
        served = ", ".join(f"`{i}`" for i in sorted(indexes))
        if not ok:
            proposal = _cols(missing[0])
            served = (served + "; " if served else "") + f"none (would be: index on {proposal})"
        shown = places[:3] + ([f"+{len(places) - 3} more"] if len(places) > 3 else [])
        rows.append(
            PatternRow(_cell(f"{table}: {pattern}"), _cell(", ".join(shown)), _cell(served), ok)
        )
    return PatternSection(tuple(sources), tuple(rows), len(analysis.queries), full_reads)


def _checklist(issues: Sequence[Issue]) -> list[CheckItem]:
    items: list[CheckItem] = []
    for text, rules in CHECKLIST:
        mine = [i for i in issues if i.rule in rules]
        open_ = tuple(sorted((i for i in mine if i.suppressed is None), key=_issue_key))
        acked = tuple(sorted((i for i in mine if i.suppressed is not None), key=_issue_key))
        items.append(CheckItem(not open_, text, rules, open_, acked))
    return items


def _issue_key(i: Issue) -> tuple[str, str, str]:
    return (i.rule, i.object, i.message)


_MERMAID_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _mermaid_name(name: str) -> str:
    return name if _MERMAID_NAME.match(name) else f'"{name}"'


def _mermaid_type(column: Column) -> str:
    text = column.type.name.replace(" ", "_")
    return text + ("[]" if column.type.array else "")


def _unenforced(schema: Schema, issues: Sequence[Issue]) -> list[tuple[str, Table, Column]]:
    """(parent table, child table, column) for lint's open implied-foreign-key findings."""
    from pgwarden.checks.schema_rules import implied_target

    out: list[tuple[str, Table, Column]] = []
    for issue in issues:
        if issue.rule != "implied-foreign-key" or issue.suppressed is not None:
            continue
        table_name, _, column_name = issue.object.partition(".")
        table = schema.table(table_name)
        column = table.column(column_name) if table else None
        target = implied_target(schema, table, column) if table and column else None
        if table and column and target:
            out.append((target.name, table, column))
    return out


def _mermaid(schema: Schema, issues: Sequence[Issue] = ()) -> list[str]:
    lines = ["erDiagram"]
    for table in schema.tables:
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        pk_cols = set(table.primary_key.columns) if table.primary_key else set()
        uk_cols = {u.columns[0] for u in table.uniques if len(u.columns) == 1} | {
            i.elements[0].column or ""
            for i in table.indexes
            if i.unique and len(i.elements) == 1 and not i.where
        }
        lines.append(f"    {_mermaid_name(table.name)} {{")
        for column in table.columns:
            keys = [
                k
                for k, cols in (("PK", pk_cols), ("FK", fk_cols), ("UK", uk_cols))
                if column.name in cols
            ]
            key_text = f" {', '.join(keys)}" if keys else ""
            lines.append(f"        {_mermaid_type(column)} {column.name}{key_text}")
        lines.append("    }")
    for table in schema.tables:
        for fk in sorted(table.foreign_keys, key=lambda f: f.name):
            nullable = any(
                (c := table.column(name)) is not None and c.nullable for name in fk.columns
            )
            unique = any(set(u.columns) == set(fk.columns) for u in table.uniques) or any(
                i.unique and set(i.column_names) == set(fk.columns) and not i.where
                for i in table.indexes
            )
            parent = "|o" if nullable else "||"
            child = "o|" if unique else "o{"
            label = f"{', '.join(fk.columns)} ({fk.on_delete})"
            lines.append(
                f"    {_mermaid_name(fk.ref_table)} {parent}--{child} "
                f'{_mermaid_name(table.name)} : "{label}"'
            )
    # references the data implies but no foreign key enforces: dotted lines
    for parent_name, table, column in sorted(
        _unenforced(schema, issues), key=lambda x: (x[1].name, x[2].name)
    ):
        parent = "|o" if column.nullable else "||"
        lines.append(
            f"    {_mermaid_name(parent_name)} {parent}..o{{ {_mermaid_name(table.name)} : "
            f'"{column.name} (no foreign key)"'
        )
    return lines


def _source_name(path: str) -> str:
    # the spec directory and file name: the same wherever the repository lives
    p = PurePath(path)
    return PurePath(p.parent.name, p.name).as_posix() if p.parent.name else p.name


def build_blueprint(
    schema: Schema,
    findings: FindingSource | None = None,
    title: str = "Data Blueprint",
    queries: QueryAnalysis | None = None,
    query_sources: Sequence[str] = (),
) -> Blueprint:
    """The document's content: a plain view model the template lays out.

    ``queries``: the query-pattern analysis of the application's source
    (``pgwarden.checks.queries.analyse``); ``query_sources`` names what was analysed.
    """
    schema = schema.normalized()
    issues = (findings or lint_issues)(schema)
    fk_count = sum(len(t.foreign_keys) for t in schema.tables)
    return Blueprint(
        title,
        tuple(_source_name(s) for s in schema.sources),
        tuple(_table_view(schema, t) for t in schema.tables),
        tuple(_enum_view(schema, e.name) for e in schema.enums),
        tuple(_index_rows(schema, queries)),
        tuple(_checklist(issues)),
        tuple(_mermaid(schema, issues)),
        {
            "tables": len(schema.tables),
            "enums": len(schema.enums),
            "foreign_keys": fk_count,
            "indexes": sum(len(t.indexes) + len(t.uniques) for t in schema.tables),
        },
        _pattern_section(queries, query_sources) if queries is not None else None,
        tuple(_view_block(v) for v in schema.views),
        tuple(_type_rows(schema)),
    )


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("pgwarden.docs", "templates"),
    autoescape=False,  # Markdown, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def render_blueprint(
    schema: Schema,
    findings: FindingSource | None = None,
    title: str = "Data Blueprint",
    queries: QueryAnalysis | None = None,
    query_sources: Sequence[str] = (),
) -> str:
    """The Markdown text of the blueprint (deterministic)."""
    blueprint = build_blueprint(schema, findings, title, queries, query_sources)
    text = _ENV.get_template("blueprint.md.j2").render(bp=blueprint)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
