"""Property: for random valid schemas (tests/strategies.py), with random soft-delete,
owner and owner-table annotations, the generated package compiles and every SQL
statement it can send is accepted by a real server."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from pgwarden.generators.accessors import GenerateError, PackageView, build
from pgwarden.generators.engine import render_view
from pgwarden.spec.model import Schema
from tests.generate.helpers import create
from tests.pg import reset_schema
from tests.strategies import keyable, schemas

_PLACEHOLDER = re.compile(r"%(?:%|s|\(([^)]*)\)s)")


class _Rollback(Exception):
    pass


def annotate(schema: Schema, data: st.DataObject) -> Schema:
    tables = list(schema.tables)
    for i, t in enumerate(tables):
        markers = [
            c.name
            for c in t.columns
            if c.nullable and c.type.name in ("timestamp", "timestamptz") and not c.type.array
        ]
        if not (markers and t.primary_key and data.draw(st.booleans(), label="soft")):
            continue
        owners = [
            c.name
            for c in t.columns
            if c.name not in t.primary_key.columns and keyable(c.type) and not c.type.array
        ]
        owner = data.draw(st.sampled_from([None, *owners]), label="owner")
        tables[i] = replace(t, soft_delete=markers[0], owner=owner)
    principals = [
        i for i, t in enumerate(tables) if t.primary_key and len(t.primary_key.columns) == 1
    ]
    if principals and data.draw(st.booleans(), label="has owner table"):
        i = data.draw(st.sampled_from(principals), label="owner table")
        tables[i] = replace(tables[i], owner_table=True)
    return replace(schema, tables=tuple(tables))


def statements(view: PackageView) -> list[str]:
    out: list[str] = []
    for t in view.tables:
        out += [q for q in (t.get, t.get_many, t.page_first, t.page_after, t.delete) if q]
        out.append(t.count)
        for k in (*t.uniques, *t.finders):
            out += [k.one, k.many]
        writable = t.writable
        if writable:
            cols = ", ".join(c.ident for c in writable)
            casts = ", ".join(c.cast for c in writable)
            out.append(
                f"EXPLAIN INSERT INTO {t.qualified} ({cols}) VALUES ({casts}) "
                f"RETURNING {t.select_list}"
            )
            flat = [c for c in writable if not c.column.type.array]
            if flat:
                out.append(
                    f"EXPLAIN INSERT INTO {t.qualified} ({', '.join(c.ident for c in flat)}) "
                    f"SELECT * FROM unnest({', '.join(c.array_cast for c in flat)}) "
                    f"RETURNING {t.select_list}"
                )
            if t.pk:
                sets = ", ".join(f"{c.ident} = {c.cast}" for c in writable)
                out.append(
                    f"EXPLAIN UPDATE {t.qualified} SET {sets} WHERE {t.key_where} "
                    f"RETURNING {t.select_list}"
                )
        s = t.service
        if s is not None:
            out += [
                s.find_all_active,
                s.find_active,
                s.find_deleted,
                s.soft_delete,
                s.lock_deleted,
                s.restore,
                s.purge_before,
                s.purge_age,
                *(rk.query for rk in s.restore_keys),
            ]
    d = view.deletion
    if d is not None:
        out += [d.lock, d.summary, *(dep.statement for _, dep in d.steps)]
        out += [d.tombstone, d.delete_owner]
        out += [q for q in (d.billing_check, d.mark_owner) if q]
    return [q for q in out if q]


def params(query: str) -> Any:
    names = [m.group(1) for m in _PLACEHOLDER.finditer(query) if m.group(0) != "%%"]
    if any(n is not None for n in names):
        return dict.fromkeys(names)
    return [None] * len(names)


@pytest.mark.slow
def test_generated_sql_runs_on_random_schemas(database_url: str) -> None:
    conn = psycopg.connect(database_url, autocommit=True)

    @settings(max_examples=25, deadline=None)
    @given(schema=schemas(max_tables=5), data=st.data())
    def check(schema: Schema, data: st.DataObject) -> None:
        schema = annotate(schema, data)
        try:
            view = build(schema, "pkg")
        except GenerateError as exc:
            if "both become the Python name" in str(exc) or "cycle" in str(exc):
                reject()
            raise
        for name, text in render_view(view).files.items():
            if name.endswith(".py"):
                compile(text, name, "exec")
        reset_schema(conn)
        create(database_url, schema)
        with psycopg.connect(database_url, autocommit=True, prepare_threshold=None) as run:
            try:
                with run.transaction():
                    for query in statements(view):
                        try:
                            run.execute(query, params(query))
                        except psycopg.Error as exc:
                            raise AssertionError(f"{exc}\n{query}") from exc
                    raise _Rollback
            except _Rollback:
                pass

    try:
        check()
    finally:
        conn.close()
