"""What PostgreSQL refuses when the schema is created, judged without a server.

Each place an expression can stand has its own rules: a DEFAULT may not read
columns, a generated column or an index may call only immutable functions, no
constraint may hold an aggregate... (``parse_analyze`` in the server). These
checks use the expression's parse tree (``spec.exprs.expr_facts``) and the
catalog facts of ``spec.catalog_facts``; what they cannot know (operator and
function resolution by argument types) the server proof of ``pgwarden
validate`` finds. Problems point at the object's declaration and say the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pgwarden.errors import Problem
from pgwarden.spec.catalog_facts import (
    AGGREGATES,
    NOT_IMMUTABLE,
    SET_RETURNING,
    VALUE_FUNCTIONS,
    WINDOW_FUNCTIONS,
    default_methods,
    extension_default_methods,
)
from pgwarden.spec.exprs import ExprFacts, ExprSyntaxError, expr_facts
from pgwarden.spec.extensions import KNOWN_EXTENSIONS
from pgwarden.spec.model import Column, ColumnType, Schema, Source, Table


@dataclass(frozen=True, slots=True)
class Place:
    """Where an expression stands and what Postgres allows there."""

    what: str
    columns: bool = True
    subquery: bool = False
    mutable: bool = True
    aggregates: bool = False
    set_returning: bool = False


DEFAULT = Place("a default", columns=False)
GENERATED = Place("a generated column", mutable=False)
CHECK = Place("a check constraint")
INDEX = Place("an index", mutable=False)
POLICY = Place("a policy", subquery=True)

_IMMUTABLE_HINTS = {
    "concat": "join text with || (concat is only stable: it formats any type)",
    "concat_ws": "join text with || (concat_ws is only stable: it formats any type)",
    "format": "join text with || (format is only stable)",
    "to_json": "build the value from immutable parts, or fill the column in a trigger",
    "to_jsonb": "build the value from immutable parts, or fill the column in a trigger",
    "array_to_string": "fill the column in a trigger (array_to_string is only stable)",
}


def expression_problems(text: str, place: Place) -> Iterator[tuple[str, str]]:
    """(message, fix) for each thing ``place`` refuses in expression ``text``."""
    try:
        facts = expr_facts(text)
    except ExprSyntaxError:
        return  # the loader reports syntax
    yield from _columns(facts, place)
    if facts.subquery and not place.subquery:
        yield (
            f"{place.what} cannot contain a subquery (SELECT ...)",
            "compute the value in the application or a trigger, or reference the row "
            "with a foreign key",
        )
    for name in facts.windowed:
        yield (
            f"{place.what} cannot call window function {name}() OVER (...)",
            "window functions run over a query's rows; compute it in a query or a view",
        )
    for name in facts.calls:
        if name in WINDOW_FUNCTIONS:
            yield (
                f"{name}() is a window function: it needs OVER (...) and cannot stand in "
                f"{place.what}",
                "compute it in a query or a view",
            )
        elif name in AGGREGATES and not place.aggregates:
            yield (
                f"{place.what} cannot call aggregate function {name}(): it sees one row",
                "compute it in a query or a view, or keep a counter column up to date in a trigger",
            )
        elif name in SET_RETURNING and not place.set_returning:
            yield (
                f"{place.what} cannot call set-returning function {name}(): it must give one value",
                "use an array (e.g. array(...) in a query) or a separate table",
            )
        elif name in NOT_IMMUTABLE and not place.mutable:
            yield (
                f"{place.what} may call only immutable functions; {name}() is not "
                "(its result can change for the same input)",
                _IMMUTABLE_HINTS.get(name, _mutable_fix(place)),
            )
    if not place.mutable:
        for name in facts.value_functions:
            if name in VALUE_FUNCTIONS:
                yield (
                    f"{place.what} may call only immutable functions; {name.upper()} is "
                    "not (it changes with the time, session or user)",
                    _mutable_fix(place),
                )


def _columns(facts: ExprFacts, place: Place) -> Iterator[tuple[str, str]]:
    if facts.columns and not place.columns:
        names = ", ".join(repr(c) for c in facts.columns)
        yield (
            f"{place.what} cannot read columns ({names}): it is computed before the row exists",
            'use generated = "..." for a value computed from other columns (or a trigger)',
        )


def _mutable_fix(place: Place) -> str:
    if place is GENERATED:
        return (
            "make it a plain column with a default (or a trigger; "
            'maintained = "on_update" for timestamps)'
        )
    return "index an immutable expression, or a column the application fills"


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, source: Source | None, key: str, message: str, hint: str) -> None:
        file = source.file if source else "<spec>"
        path = source.path if source else ""
        if key:
            path = f"{path}.{key}" if path else key
        self.problems.append(Problem(file, path, message, hint, source.line if source else None))

    def expression(self, source: Source | None, key: str, text: str | None, place: Place) -> None:
        if text:
            for message, hint in expression_problems(text, place):
                self.add(source, key, message, hint)


def static_problems(schema: Schema) -> list[Problem]:
    """Every problem of ``schema`` the server would refuse at creation and these
    rules can see; [] when none."""
    report = _Report()
    enums = {e.name for e in schema.enums}
    declared = {e.name for e in schema.extensions}
    # an extension this module does not know may add operator classes: the server judges
    classes_known = declared <= set(KNOWN_EXTENSIONS)
    for table in schema.tables:
        _table(report, table, enums, declared if classes_known else None)
    return report.problems


def _table(report: _Report, table: Table, enums: set[str], declared: set[str] | None) -> None:
    columns = {c.name: c for c in table.columns}
    for column in table.columns:
        if column.identity is None and column.generated is None:
            report.expression(column.source, "default", column.default, DEFAULT)
        report.expression(column.source, "generated", column.generated, GENERATED)
    for check in table.checks:
        report.expression(check.source, "expression", check.expression, CHECK)
    for index in table.indexes:
        report.expression(index.source, "where", index.where, INDEX)
        for e in index.elements:
            report.expression(index.source, "", e.expression, INDEX)
    for x in table.exclusions:
        report.expression(x.source, "where", x.where, INDEX)
        for xe in x.elements:
            report.expression(x.source, "", xe.expression, INDEX)
    for policy in table.policies:
        report.expression(policy.source, "using", policy.using, POLICY)
        report.expression(policy.source, "with_check", policy.with_check, POLICY)
    if declared is None:
        return

    def keyed(
        source: Source | None, method: str, keys: list[tuple[str | None, str | None]], what: str
    ) -> None:
        for name, opclass in keys:
            column = columns.get(name) if name else None
            if column is None or opclass:
                continue
            problem = _no_class(column, method, enums, declared)
            if problem is not None:
                report.add(source, "", f"{what}: {problem[0]}", problem[1])

    if table.primary_key:
        pk = table.primary_key
        keyed(pk.source, "btree", [(c, None) for c in pk.columns], "primary key")
    for unique in table.uniques:
        keyed(unique.source, "btree", [(c, None) for c in unique.columns], "unique constraint")
    for index in table.indexes:
        keys = [(e.column, e.opclass) for e in index.elements]
        keyed(index.source, index.method, keys, "index")
    for x in table.exclusions:
        keyed(x.source, x.method, [(e.column, e.opclass) for e in x.elements], "exclusion")


def _type_key(t: ColumnType, enums: set[str]) -> str:
    return "enum" if t.name in enums else t.name.replace(" ", "_")


def _no_class(
    column: Column, method: str, enums: set[str], declared: set[str]
) -> tuple[str, str] | None:
    t = column.type
    key = _type_key(t, enums)
    methods = default_methods(key, t.array)
    if methods is None or method in methods:
        return None
    if not t.array:
        for extension, (ext_method, types) in extension_default_methods().items():
            if ext_method == method and key in types and extension in declared:
                return None
    usable = sorted(methods)
    if key == "json":
        fix = "use type jsonb (btree, hash and gin index it)"
    elif not usable:
        fix = f"index an expression of another type (nothing indexes a {t.spec_text()})"
    elif len(usable) == 1:
        fix = f'use method = "{usable[0]}"'
    else:
        fix = "use one of the methods " + ", ".join(usable)
    if not t.array:
        for extension, (ext_method, types) in extension_default_methods().items():
            if ext_method == method and key in types:
                fix = f"declare {extension} = {{}} under [extensions], or {fix}"
    if method == "gin" and key in ("text", "varchar") and not t.array:
        fix += ', or opclass = "gin_trgm_ops" (extension pg_trgm) for text search'
    fix += ", or name an operator class (opclass = ...)"
    return (
        f"column {column.name!r} of type {t.spec_text()} has no default operator class "
        f"for index method {method}",
        fix,
    )
