"""``[views.Name]`` and ``[materialized_views.Name]``.

The query is parsed by Postgres's own parser (pglast) and kept in its printed
form, as expressions are; canonicalizing through the server replaces it with
``pg_get_viewdef``'s text. ``columns`` is optional: when given, the server's
columns must match it (names, types, comments).
"""

from __future__ import annotations

from pgwarden.spec.exprs import ExprSyntaxError, normalize_query
from pgwarden.spec.load.indexes import read_index
from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.model import CheckOption, Index, View, ViewColumn
from pgwarden.spec.types import TypeSyntaxError, parse_type

VIEW_KEYS = (
    "definition",
    "columns",
    "comment",
    "security_barrier",
    "security_invoker",
    "check_option",
    "renamed_from",
)
MATERIALIZED_KEYS = (
    "definition",
    "columns",
    "comment",
    "indexes",
    "with_data",
    "refresh",
    "renamed_from",
)
VIEW_COLUMN_KEYS = ("type", "comment")
CHECK_OPTIONS: tuple[CheckOption, ...] = ("local", "cascaded")


def read_view(r: SpecReader, section: str, name: str, value: object) -> View | None:
    """One view (``section`` "views") or materialized view ("materialized_views")."""
    materialized = section == "materialized_views"
    path: SpecPath = (section, name)
    raw = r.mapping(value, path, MATERIALIZED_KEYS if materialized else VIEW_KEYS)
    if raw is None:
        return None
    text = r.string(raw, "definition", path, required=True)
    definition: str | None = None
    if text is not None:
        try:
            definition = normalize_query(text)
        except ExprSyntaxError as exc:
            r.problem(
                (*path, "definition"),
                f"{exc}",
                'write one SELECT, e.g. definition = "SELECT id, email FROM \\"User\\""',
            )
    indexes: list[Index] = []
    for ipath, item in r.entries(raw, "indexes", path):
        index = read_index(r, ipath, item, table=name, active_rows=None)
        if index is not None:
            indexes.append(index)
    columns = _columns(r, raw, path)
    if definition is None:
        return None
    return View(
        name=name,
        definition=definition,
        materialized=materialized,
        columns=columns,
        comment=r.string(raw, "comment", path),
        security_barrier=r.boolean(raw, "security_barrier", path),
        security_invoker=r.boolean(raw, "security_invoker", path),
        check_option=r.choice(raw, "check_option", path, choices=CHECK_OPTIONS, default=None),
        indexes=tuple(indexes),
        with_data=r.boolean(raw, "with_data", path, default=True),
        refresh=r.choice(raw, "refresh", path, choices=("concurrently",), default=None),
        renamed_from=r.string(raw, "renamed_from", path),
        source=r.source(path),
    )


def _columns(
    r: SpecReader, raw: dict[str, object], path: SpecPath
) -> tuple[ViewColumn, ...] | None:
    value = raw.get("columns")
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        r.problem(
            (*path, "columns"),
            f"must be a table of column types, got {kind(value)}",
            'columns = { id = "uuid", email = { type = "text", comment = "..." } }',
        )
        return None
    out: list[ViewColumn] = []
    for col, spec in value.items():
        cpath = (*path, "columns", col)
        comment: str | None = None
        if isinstance(spec, str):
            type_text: str | None = spec
        else:
            entry = r.mapping(spec, cpath, VIEW_COLUMN_KEYS)
            if entry is None:
                continue
            type_text = r.string(entry, "type", cpath, required=True)
            comment = r.string(entry, "comment", cpath)
        if type_text is None:
            continue
        try:
            out.append(ViewColumn(col, parse_type(type_text), comment))
        except TypeSyntaxError as exc:
            r.problem(cpath, str(exc), "see the type list in docs/spec.md")
    return tuple(out) if len(out) == len(value) else None
