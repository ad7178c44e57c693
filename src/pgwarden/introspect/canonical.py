"""Put a spec's SQL expressions into Postgres's own text.

A spec says ``default = "FREE"`` or ``where = "\\"deletedAt\\" IS NULL"``; the
catalog says ``'FREE'::"SubscriptionPlan"`` and ``"deletedAt" IS NULL``. Only
the server knows how it will print an expression (casts it adds, parentheses,
function resolution), so instead of re-implementing that we ask it, as Atlas
does with its dev database: render the spec into a scratch namespace inside a
transaction, introspect it, roll back, and copy the *expressions* back onto the
spec by object name. Everything structural (columns, types, keys, names,
actions) stays as the spec says, so comparing the result with an introspected
database still tests the renderer and the catalog reader rather than comparing
the database with itself.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.db import mask_secrets
from pgwarden.errors import DatabaseError
from pgwarden.introspect.catalog import inspect_schema
from pgwarden.spec.citus import local_only
from pgwarden.spec.model import (
    Column,
    ColumnType,
    Domain,
    ExclusionConstraint,
    Function,
    Index,
    IndexElement,
    Policy,
    Schema,
    Table,
    View,
)
from pgwarden.spec.names import local_name, namespace_of

Renderer = Callable[[Schema], str]

#: Put a namespace first on the transaction's search_path, keeping the rest.
SEARCH_PATH_FIRST = (
    "SELECT set_config('search_path',"
    " quote_ident(%s) || ', ' || current_setting('search_path'), true)"
)


def canonicalize(schema: Schema, conn: psycopg.Connection[Any], *, render: Renderer) -> Schema:
    """``schema`` with every expression replaced by Postgres's text for it.

    Nothing is left behind: the scratch namespace lives in a transaction (or a
    savepoint, inside a caller's transaction) that is always rolled back.
    ``render`` turns a schema into DDL (introspection does not depend on the
    renderer; :func:`pgwarden.apply.canonical.canonicalize` passes pgwarden's).
    """
    token = uuid.uuid4().hex[:12]
    scratch = f"pgwarden_canon_{token}"
    # Citus placement calls exist only on a Citus cluster; expressions do not depend on them
    ddl = render(replace(local_only(schema), name=scratch))
    others = [n.name for n in schema.schemas]
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
        _set_aside(conn, others, token)
        # unqualified names in the DDL resolve to the scratch namespace first; the
        # session's path stays behind it so extension functions (public) still resolve
        conn.execute(SEARCH_PATH_FIRST, (scratch,))
        try:
            with conn.transaction():
                conn.execute(ddl)  # rendered DDL: identifiers quoted by the renderer
        except psycopg.Error as exc:
            raise DatabaseError(
                "the spec does not create cleanly in PostgreSQL: "
                f"{mask_secrets(str(exc)).strip()}\n"
                "  fix: correct the expression or object named above in the spec"
            ) from None
        # printed as the database prints its own: the default namespace (where an
        # extension without a schema lives) is on the path, as it is there
        created = inspect_schema(conn, scratch, also=others, visible=[schema.name])
    return merge_expressions(schema, created)


def _set_aside(conn: psycopg.Connection[Any], namespaces: list[str], token: str) -> None:
    """The spec's other namespaces are schema-qualified in the DDL, so they cannot be
    redirected by ``search_path`` like the default one: an existing one is renamed out
    of the way inside the rolled-back transaction (no other session ever sees it; it
    needs ownership of the schema), and the DDL creates it afresh."""
    existing = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) ORDER BY nspname",
        (namespaces,),
    ).fetchall()
    for n, (name,) in enumerate(existing):
        conn.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(name), sql.Identifier(f"pgwarden_aside_{token}_{n}")
            )
        )


def merge_expressions(spec: Schema, server: Schema) -> Schema:
    """``spec`` with expressions taken from ``server`` (matched by object name)."""
    tables = []
    for table in spec.tables:
        other = server.table(table.name)
        tables.append(_table(table, other if other is not None else table))
    enums = tuple(replace(e, comment=e.comment or None) for e in spec.enums)
    installed = {x.name: x for x in server.extensions}
    extensions = tuple(
        # an unpinned version is whatever the server installs
        replace(x, version=installed[x.name].version)
        if x.version is None and x.name in installed
        else x
        for x in spec.extensions
    )
    schemas = tuple(replace(n, comment=n.comment or None) for n in spec.schemas)
    server_domains = {d.name: d for d in server.domains}
    domains = tuple(_domain(d, server_domains.get(d.name)) for d in spec.domains)
    composites = tuple(
        replace(
            c,
            comment=c.comment or None,
            attributes=tuple(replace(a, type=implied_type(a.type)) for a in c.attributes),
        )
        for c in spec.composite_types
    )
    server_views = {v.name: v for v in server.views}
    views = tuple(_view(v, server_views.get(v.name), spec.name) for v in spec.views)
    server_functions = {f.name: f for f in server.functions}
    functions = tuple(_function(f, server_functions.get(f.name)) for f in spec.functions)
    return replace(
        spec,
        tables=tuple(tables),
        enums=enums,
        domains=domains,
        composite_types=composites,
        extensions=extensions,
        schemas=schemas,
        views=views,
        functions=functions,
    ).normalized()


def _domain(d: Domain, db: Domain | None) -> Domain:
    """The server's text for the default and the checks (matched by name)."""
    d = replace(d, type=implied_type(d.type), comment=d.comment or None)
    if db is None:
        return d
    checks = {c.name: c for c in db.checks}
    return replace(
        d,
        default=_expr(d.default, db.default),
        checks=tuple(
            replace(c, expression=checks[c.name].expression) if c.name in checks else c
            for c in d.checks
        ),
    )


def _function(f: Function, db: Function | None) -> Function:
    """The server's text for the arguments and the result; the body stays as
    written (the server keeps it byte for byte, so a difference is real)."""
    f = replace(f, comment=f.comment or None)
    if db is None:
        return f
    return replace(f, arguments=db.arguments, returns=db.returns, settings=db.settings)


def _view(v: View, db: View | None, default: str) -> View:
    """The server's query text; its columns when the spec leaves them out (a type of
    the real default namespace, an extension's ``citext``, bare: the scratch copy
    was read with another default namespace)."""
    v = replace(
        v,
        comment=v.comment or None,
        columns=tuple(
            replace(c, type=implied_type(c.type), comment=c.comment or None) for c in v.columns
        )
        if v.columns is not None
        else None,
    )
    if db is None:
        return v
    indexes = {i.name: i for i in db.indexes}
    return replace(
        v,
        definition=db.definition,
        columns=v.columns
        if v.columns is not None
        else None
        if db.columns is None
        else tuple(replace(c, type=_in_default(c.type, default)) for c in db.columns),
        indexes=tuple(_index(i, indexes.get(i.name)) for i in v.indexes),
    )


def _in_default(t: ColumnType, default: str) -> ColumnType:
    if namespace_of(t.name) == default:
        return replace(t, name=local_name(t.name))
    return t


def _table(t: Table, db: Table) -> Table:
    checks = {c.name: c for c in db.checks}
    indexes = {i.name: i for i in db.indexes}
    policies = {p.name: p for p in db.policies}
    exclusions = {x.name: x for x in db.exclusions}
    bounds = {p.name: p.bound for p in db.partitions}
    triggers = {g.name: g for g in db.triggers}
    return replace(
        t,
        triggers=tuple(
            replace(g, when=_expr(g.when, triggers[g.name].when), comment=g.comment or None)
            if g.name in triggers
            else g
            for g in t.triggers
        ),
        comment=t.comment or None,
        columns=tuple(_column(c, db.column(c.name)) for c in t.columns),
        checks=tuple(
            replace(c, expression=_expr(c.expression, checks[c.name].expression) or c.expression)
            if c.name in checks
            else c
            for c in t.checks
        ),
        indexes=tuple(_index(i, indexes.get(i.name)) for i in t.indexes),
        exclusions=tuple(_exclusion(x, exclusions.get(x.name)) for x in t.exclusions),
        policies=tuple(_policy(p, policies.get(p.name)) for p in t.policies),
        # the server's text for the key and each bound
        partition_by=db.partition_by if t.partition_by is not None else None,
        partitions=tuple(
            replace(p, bound=bounds.get(p.name, p.bound), comment=p.comment or None)
            for p in t.partitions
        ),
    )


def _column(c: Column, db: Column | None) -> Column:
    c = replace(c, type=implied_type(c.type), comment=c.comment or None)
    if db is None:
        return c
    return replace(
        c, default=_expr(c.default, db.default), generated=_expr(c.generated, db.generated)
    )


_NULL_CONSTANT = re.compile(r"^\s*\(*\s*null\s*\)*\s*(::.*)?$", re.IGNORECASE | re.DOTALL)


def _expr(spec: str | None, server: str | None) -> str | None:
    """Postgres's text for the spec's expression.

    The server only ever *drops* an expression for a NULL constant (``DEFAULT
    NULL`` stores no default); any other expression missing from the scratch
    copy is the renderer's loss, so the spec's text stays and the comparison
    reports it.
    """
    if spec is None:
        return None
    if server is None:
        return None if _NULL_CONSTANT.match(spec) else spec
    return server


def implied_type(t: ColumnType) -> ColumnType:
    """The modifiers Postgres fills in: ``char`` is ``char(1)``, ``numeric(p)`` is
    ``numeric(p,0)``. (An empty comment is no comment, likewise.)"""
    if t.name == "char" and not t.modifiers:
        return replace(t, modifiers=(1,))
    if t.name == "numeric" and len(t.modifiers) == 1:
        return replace(t, modifiers=(t.modifiers[0], 0))
    return t


def _index(i: Index, db: Index | None) -> Index:
    if db is None:
        return i
    elements = i.elements
    if len(db.elements) == len(i.elements):
        elements = tuple(_element(e, d) for e, d in zip(i.elements, db.elements, strict=True))
    return replace(i, elements=elements, where=_expr(i.where, db.where))


def _element(e: IndexElement, db: IndexElement) -> IndexElement:
    if e.expression is not None:
        if db.expression is not None:
            e = replace(e, expression=db.expression)
        elif db.column is not None:
            # Postgres stores a key written "(col)" as a plain column key
            e = replace(e, expression=None, column=db.column)
    if e.nulls_first is not None and e.nulls_first == e.descending:
        e = replace(e, nulls_first=None)  # the direction's default, spelled out
    return e


def _exclusion(x: ExclusionConstraint, db: ExclusionConstraint | None) -> ExclusionConstraint:
    if db is None:
        return x
    elements = x.elements
    if len(db.elements) == len(x.elements):
        elements = tuple(
            replace(e, expression=d.expression, column=d.column)
            if e.expression is not None and (d.expression is not None or d.column is not None)
            else e
            for e, d in zip(x.elements, db.elements, strict=True)
        )
        elements = tuple(
            replace(e, nulls_first=None) if e.nulls_first == e.descending else e for e in elements
        )
    return replace(x, elements=elements, where=_expr(x.where, db.where))


def _policy(p: Policy, db: Policy | None) -> Policy:
    if db is None:
        return p
    return replace(p, using=_expr(p.using, db.using), with_check=_expr(p.with_check, db.with_check))
