"""Property tests: random Prisma schemas, parsed and imported, built on a real server.

Each example is a Prisma schema generated together with the catalog facts Prisma
Migrate would produce for it (column types as ``format_type`` prints them,
NOT NULL, index and constraint names, referential actions), written from Prisma's
conventions independently of the importer. The import is rendered by pgwarden,
applied, and the catalog is read with plain SQL and compared with those facts; the
inspected schema must also equal the canonicalized import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.apply.canonical import canonicalize
from pgwarden.importers.prisma import PrismaError, import_prisma_text
from pgwarden.importers.prisma_ast import parse
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.render.sql import render_schema
from tests.pg import reset_schema

# Prisma type -> (native attribute or "", format_type text, literal default strategy)
SCALARS: list[tuple[str, str, str]] = [
    ("String", "", "text"),
    ("String", "@db.VarChar(40)", "character varying(40)"),
    ("String", "@db.Uuid", "uuid"),
    ("Int", "", "integer"),
    ("Int", "@db.SmallInt", "smallint"),
    ("BigInt", "", "bigint"),
    ("Float", "", "double precision"),
    ("Float", "@db.Real", "real"),
    ("Decimal", "", "numeric(65,30)"),
    ("Decimal", "@db.Decimal(10, 2)", "numeric(10,2)"),
    ("Boolean", "", "boolean"),
    ("DateTime", "", "timestamp(3) without time zone"),
    ("DateTime", "@db.Timestamptz(6)", "timestamp(6) with time zone"),
    ("DateTime", "@db.Date", "date"),
    ("Json", "", "jsonb"),
    ("Bytes", "", "bytea"),
]

ACTIONS = {
    "Cascade": "c",
    "Restrict": "r",
    "NoAction": "a",
    "SetNull": "n",
}


@dataclass
class Expected:
    """What Prisma creates: per table, columns (name, type, not null) and object names."""

    columns: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    indexes: dict[str, set[str]] = field(default_factory=dict)
    fks: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """FK name -> (table, confdeltype, confupdtype)."""


def _default(ptype: str, native: str, draw: Callable[..., Any]) -> str | None:
    if ptype == "String" and native != "@db.Uuid":
        return '"' + draw(st.sampled_from(["", "x", "it's", "a b"])).replace('"', '\\"') + '"'
    if ptype in ("Int", "BigInt"):
        return str(draw(st.integers(-5, 5)))
    if ptype in ("Float", "Decimal"):
        return draw(st.sampled_from(["0", "1.5", "-2.25"]))
    if ptype == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if ptype == "DateTime":
        return "now()"
    if ptype == "Json":
        return '"{}"'
    return None


@st.composite
def prisma_schemas(draw: Callable[..., Any]) -> tuple[str, Expected]:
    exp = Expected()
    lines = ['datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n']
    n_enums = draw(st.integers(0, 2))
    enums: list[tuple[str, list[str]]] = []
    for e in range(n_enums):
        values = draw(
            st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=3, unique=True)
        )
        enums.append((f"E{e}", values))
        lines.append(f"enum E{e} {{\n" + "".join(f"  {v}\n" for v in values) + "}\n")
    n_models = draw(st.integers(1, 4))
    id_kinds = [
        draw(st.sampled_from(["serial", "bigserial", "uuid", "text"])) for _ in range(n_models)
    ]
    bodies: list[list[str]] = [[] for _ in range(n_models)]
    block_attrs: list[list[str]] = [[] for _ in range(n_models)]
    for m in range(n_models):
        table = f"M{m}"
        cols: list[tuple[str, str, bool]] = []
        idx: set[str] = {f"{table}_pkey"}
        kind = id_kinds[m]
        id_line = {
            "serial": ("Int @id @default(autoincrement())", "integer"),
            "bigserial": ("BigInt @id @default(autoincrement())", "bigint"),
            "uuid": ('String @id @default(dbgenerated("gen_random_uuid()")) @db.Uuid', "uuid"),
            "text": ("String @id", "text"),
        }[kind]
        bodies[m].append(f"  id {id_line[0]}")
        cols.append(("id", id_line[1], True))
        scalar_cols: list[str] = []
        for f in range(draw(st.integers(0, 5))):
            name = f"f{f}"
            use_enum = enums and draw(st.booleans()) and draw(st.booleans())
            mapped = draw(st.booleans()) and draw(st.booleans())
            col = f"c_{f}" if mapped else name
            attrs: list[str] = []
            if use_enum:
                ename, values = draw(st.sampled_from(enums))
                ptype, native, fmt = ename, "", f'"{ename}"'
                if draw(st.booleans()):
                    attrs.append(f"@default({draw(st.sampled_from(values))})")
            else:
                ptype, native, fmt = draw(st.sampled_from(SCALARS))
                if native:
                    attrs.append(native)
                if draw(st.booleans()):
                    default = _default(ptype, native, draw)
                    if default is not None:
                        attrs.append(f"@default({default})")
            shape = (
                draw(st.sampled_from(["", "?", "[]"]))
                if ptype in ("String", "Int") and not native
                else draw(st.sampled_from(["", "?"]))
            )
            if shape == "[]":
                attrs = [a for a in attrs if not a.startswith("@default")]
                if draw(st.booleans()):
                    attrs.append("@default([])")
                fmt += "[]"
            if mapped:
                attrs.append(f'@map("{col}")')
            if shape != "[]" and ptype not in ("Json", "Bytes") and draw(st.integers(0, 4)) == 0:
                attrs.append("@unique")
                idx.add(f"{table}_{col}_key")
            bodies[m].append(f"  {name} {ptype}{shape} {' '.join(attrs)}".rstrip())
            cols.append((col, fmt, shape == ""))
            if shape != "[]" and ptype not in ("Json", "Bytes"):
                scalar_cols.append(name if not mapped else f"{name}|{col}")
        if len(scalar_cols) >= 2 and draw(st.booleans()):
            pick = draw(st.lists(st.sampled_from(scalar_cols), min_size=2, max_size=2, unique=True))
            fields = [p.split("|")[0] for p in pick]
            dbcols = [p.split("|")[-1] for p in pick]
            if draw(st.booleans()):
                block_attrs[m].append(f"  @@unique([{', '.join(fields)}])")
                idx.add(f"{table}_{'_'.join(dbcols)}_key")
            else:
                sort = draw(st.sampled_from(["", "(sort: Desc)"]))
                block_attrs[m].append(f"  @@index([{fields[0]}{sort}, {fields[1]}])")
                idx.add(f"{table}_{'_'.join(dbcols)}_idx")
        exp.columns[table] = cols
        exp.indexes[table] = idx
    # one-to-many relations from a later model to an earlier one
    for m in range(1, n_models):
        if not draw(st.booleans()):
            continue
        target = draw(st.integers(0, m - 1))
        optional = draw(st.booleans())
        action = draw(st.sampled_from([None, *ACTIONS]))
        if action == "SetNull" and not optional:
            action = None
        ref_type = {
            "serial": ("Int", "integer"),
            "bigserial": ("BigInt", "bigint"),
            "uuid": ("String @db.Uuid", "uuid"),
            "text": ("String", "text"),
        }[id_kinds[target]]
        q = "?" if optional else ""
        ptype, _, native = ref_type[0].partition(" ")
        rel = f"r{m}"
        on_delete = f", onDelete: {action}" if action else ""
        bodies[m].append(f"  ref{target}Id {ptype}{q} {native}".rstrip())
        bodies[m].append(
            f'  ref{target} M{target}{q} @relation("{rel}", '
            f"fields: [ref{target}Id], references: [id]{on_delete})"
        )
        bodies[target].append(f'  back{m} M{m}[] @relation("{rel}")')
        exp.columns[f"M{m}"].append((f"ref{target}Id", ref_type[1], not optional))
        default_delete = "n" if optional else "r"
        exp.fks[f"M{m}_ref{target}Id_fkey"] = (
            f"M{m}",
            ACTIONS[action] if action else default_delete,
            "c",
        )
    # an implicit many-to-many between two models
    if n_models >= 2 and draw(st.booleans()):
        a, b = draw(st.lists(st.integers(0, n_models - 1), min_size=2, max_size=2, unique=True))
        a, b = sorted((a, b))
        bodies[a].append(f"  many{b} M{b}[]")
        bodies[b].append(f"  many{a} M{a}[]")
        join = f"_M{a}ToM{b}"
        id_fmt = {"serial": "integer", "bigserial": "bigint", "uuid": "uuid", "text": "text"}
        exp.columns[join] = [("A", id_fmt[id_kinds[a]], True), ("B", id_fmt[id_kinds[b]], True)]
        exp.indexes[join] = {f"{join}_AB_unique", f"{join}_B_index"}
        exp.fks[f"{join}_A_fkey"] = (join, "c", "c")
        exp.fks[f"{join}_B_fkey"] = (join, "c", "c")
    for m in range(n_models):
        body = "\n".join(bodies[m] + ([""] + block_attrs[m] if block_attrs[m] else []))
        lines.append(f"model M{m} {{\n{body}\n}}\n")
    return "\n".join(lines), exp


def catalog_facts(conn: psycopg.Connection[Any]) -> Expected:
    """The same facts, read from the catalogs with plain SQL (no pgwarden code)."""
    got = Expected()
    rows = conn.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum
        """
    ).fetchall()
    for table, col, fmt, notnull in rows:
        got.columns.setdefault(table, []).append((col, fmt, notnull))
    for table, name in conn.execute(
        """
        SELECT t.relname, i.relname FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'
        """
    ).fetchall():
        got.indexes.setdefault(table, set()).add(name)
    for name, table, deltype, updtype in conn.execute(
        """
        SELECT con.conname, t.relname, con.confdeltype, con.confupdtype FROM pg_constraint con
        JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND con.contype = 'f'
        """
    ).fetchall():
        got.fks[name] = (table, deltype, updtype)
    return got


@settings(max_examples=60)
@given(prisma_schemas())
def test_parser_accepts_generated_schemas_and_keeps_positions(case: tuple[str, Expected]) -> None:
    text, exp = case
    doc = parse(text, "gen.prisma")
    lines = text.splitlines()
    models = [b for b in doc.blocks if b.kind == "model"]
    assert sorted(b.name for b in models) == sorted(t for t in exp.columns if not t.startswith("_"))
    for block in doc.blocks:
        assert lines[block.line - 1].startswith(f"{block.kind} {block.name}")
        for f in block.fields:
            assert lines[f.line - 1].split()[0] == f.name


@pytest.mark.slow
@settings(max_examples=25)
@given(case=prisma_schemas())
def test_imported_random_schemas_build_what_prisma_builds(
    database_url: str, case: tuple[str, Expected]
) -> None:
    render = render_schema
    text, expected = case
    imported = import_prisma_text(text, "gen.prisma").schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        reset_schema(conn)
        conn.execute(cast(Any, render(imported)))
        got = catalog_facts(conn)
        inspected = inspect_schema(conn)
        canonical = canonicalize(imported, conn, render=render)
    assert got.columns == expected.columns, text
    assert got.indexes == expected.indexes, text
    assert got.fks == expected.fks, text
    diffs = schema_diff(canonical, inspected)
    assert not diffs, format_diff(diffs, "imported", "database") + "\n" + text


@settings(max_examples=300)
@given(case=prisma_schemas(), data=st.data())
def test_damaged_schemas_fail_with_file_and_line_never_a_traceback(
    case: tuple[str, Expected], data: st.DataObject
) -> None:
    """Bad input is a PrismaError naming a line of the file, whatever the damage."""
    text, _ = case
    cut = data.draw(st.integers(0, len(text) - 1))
    length = data.draw(st.integers(1, 12))
    junk = data.draw(st.text(alphabet='{}()[]@@?:,="\n abc/', max_size=4))
    damaged = text[:cut] + junk + text[cut + length :]
    try:
        import_prisma_text(damaged, "bad.prisma")
    except PrismaError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file == "bad.prisma"
            assert problem.line is not None and 1 <= problem.line <= damaged.count("\n") + 1
            assert f"bad.prisma:{problem.line}:" in str(err)
