"""Several Postgres schemas in one spec, end to end on a real server: every object of a
non-default namespace is rendered schema-qualified (tables, enums, indexes, sequences,
maintained triggers, comments), foreign keys cross namespaces both ways, the spec
applies from empty, inspects back equal, and plans up from nothing and down to nothing
(``CREATE SCHEMA`` first, ``DROP SCHEMA`` last); a several-schema Prisma import does too."""

from __future__ import annotations

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.errors import SpecError
from pgwarden.importers.prisma import import_prisma_text
from pgwarden.introspect import format_diff, inspect_schema, schema_diff
from pgwarden.planner import PlanOptions, plan
from pgwarden.planner.plan import Plan
from pgwarden.render.sql import render_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.introspect.ddl import apply_ddl, inspects_equal, pipeline_render
from tests.pg import reset_schema
from tests.planner.helpers import apply_plan

SPEC = """
[schemas.billing]
comment = "invoices and payments"

[enums."billing.Currency"]
values = ["EUR", "USD"]
comment = "ISO 4217"

[tables.User.columns]
id = { type = "uuid", primary_key = true }
email = { type = "text", unique = true }

[tables."billing.Invoice"]
comment = "one per order"

[tables."billing.Invoice".columns]
id = { type = "bigint", identity = "by default", primary_key = true }
number = { type = "bigint" }
customer = { type = "uuid", references = { table = "User", on_delete = "restrict" } }
currency = { type = "billing.Currency", default = "EUR", comment = "what it is paid in" }
total = { type = "numeric(12, 2)" }
updatedAt = { type = "timestamptz", default_sql = "now()", maintained = "on_update" }

[[tables."billing.Invoice".checks]]
expression = "total >= 0"

[[tables."billing.Invoice".indexes]]
columns = ["customer", "currency"]

[tables."billing.Payment".columns]
id = { type = "bigint", identity = "always", primary_key = true }
invoice = { type = "bigint", references = { table = "billing.Invoice", on_delete = "cascade" } }

[tables.Refund.columns]
id = { type = "integer", identity = "serial", primary_key = true }
payment = { type = "bigint", references = { table = "billing.Payment" } }
reason = { type = "text", nullable = true }

[sequences."billing.invoice_no"]
owned_by = "billing.Invoice.number"
start = 1000

[views.OpenInvoice]
definition = 'SELECT i.id, u.email FROM billing."Invoice" i JOIN "User" u ON u.id = i.customer'
"""

ALL = PlanOptions(allow_destructive=True)


def _fresh(conn: psycopg.Connection[object]) -> None:
    conn.execute("DROP SCHEMA IF EXISTS billing CASCADE")
    reset_schema(conn)


def test_a_second_schema_renders_qualified() -> None:
    ddl = render_schema(load_schema_text(SPEC))
    assert ddl.startswith('CREATE SCHEMA "billing";\n')
    assert 'CREATE TABLE "billing"."Invoice" (' in ddl
    assert 'CREATE TYPE "billing"."Currency" AS ENUM' in ddl
    assert 'REFERENCES "billing"."Payment" ("id")' in ddl
    assert 'CREATE INDEX "Invoice_customer_currency_idx" ON "billing"."Invoice"' in ddl
    assert 'COMMENT ON COLUMN "billing"."Invoice"."currency"' in ddl
    assert '"billing.Invoice"' not in ddl  # never one identifier with a dot


def test_two_schemas_apply_inspect_back_equal_and_plan_both_ways(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        _fresh(conn)
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        assert [n.name for n in db.schemas] == ["billing"]
        invoice = db.table("billing.Invoice")
        assert invoice is not None and invoice.comment == "one per order"
        assert {fk.ref_table for t in db.tables for fk in t.foreign_keys} == {
            "User",
            "billing.Invoice",
            "billing.Payment",
        }
        # the objects are where the spec says, and behave
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'billing' AND c.relname IN ('Invoice', 'Payment', 'invoice_no')"
        ).fetchone()
        assert row == (3,)
        assert conn.execute("SELECT nextval('billing.invoice_no')").fetchone() == (1000,)
        conn.execute("INSERT INTO \"User\" VALUES ('00000000-0000-0000-0000-000000000001', 'a@x')")
        conn.execute(
            'INSERT INTO billing."Invoice" (number, customer, total) '
            "VALUES (1, '00000000-0000-0000-0000-000000000001', 5)"
        )
        stamped = conn.execute('SELECT "updatedAt" FROM billing."Invoice"').fetchone()
        conn.execute('UPDATE billing."Invoice" SET total = 6')
        assert conn.execute('SELECT "updatedAt" FROM billing."Invoice"').fetchone() != stamped
        conn.execute('DELETE FROM billing."Invoice"')

        # down to nothing and up again, through the planner (the runner's search_path)
        empty = Schema()
        down = plan(db, empty, ALL)
        assert down.ops[-1].description == 'drop schema "billing"'
        _run(conn, down)
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'billing'"
        ).fetchone() == (0,)
        assert inspect_schema(conn).tables == ()
        up = plan(empty, canonicalize(spec, conn), ALL)
        assert up.ops[0].description == 'create schema "billing"'
        _run(conn, up)
        again = inspects_equal(conn, spec)
        assert not plan(again, canonicalize(spec, conn), ALL)
        _run(conn, up.reverse())
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'billing'"
        ).fetchone() == (0,)


def test_changes_in_the_second_schema_converge(database_url: str) -> None:
    before = load_schema_text(SPEC)
    after = load_schema_text(
        SPEC.replace('values = ["EUR", "USD"]', 'values = ["EUR", "USD", "GBP"]')
        .replace('reason = { type = "text", nullable = true }', "")
        .replace('columns = ["customer", "currency"]', 'columns = ["currency"]')
        .replace('comment = "invoices and payments"', 'comment = "money"')
        + '\n[tables."billing.Payment".columns.note]\ntype = "text"\nnullable = true\n'
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        _fresh(conn)
        apply_ddl(conn, before, pipeline_render)
        have = inspects_equal(conn, before)
        up = plan(have, canonicalize(after, conn), ALL)
        _run(conn, up)
        got = inspects_equal(conn, after)
        assert not plan(got, canonicalize(after, conn), ALL)
        _run(conn, up.reverse())
        inspects_equal(conn, before)


PRISMA = """
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
  schemas  = ["public", "billing"]
}

model User {
  id       String    @id @db.Uuid
  email    String    @unique
  invoices Invoice[]
  @@schema("public")
}

model Invoice {
  id         Int      @id @default(autoincrement())
  customer   User     @relation(fields: [customerId], references: [id])
  customerId String   @db.Uuid
  status     Status   @default(OPEN)
  createdAt  DateTime @default(now())
  @@index([customerId])
  @@schema("billing")
}

enum Status {
  OPEN
  PAID
  @@schema("billing")
}
"""


def test_a_several_schema_prisma_import_applies_and_inspects_back(database_url: str) -> None:
    spec = import_prisma_text(PRISMA).schema
    assert [n.name for n in spec.schemas] == ["billing"]
    assert spec.table("billing.Invoice") is not None
    with psycopg.connect(database_url, autocommit=True) as conn:
        _fresh(conn)
        apply_ddl(conn, spec, pipeline_render)
        db = inspects_equal(conn, spec)
        assert not plan(db, canonicalize(spec, conn), ALL)
        _run(conn, plan(db, Schema(), ALL))
        assert inspect_schema(conn).tables == ()


def _run(conn: psycopg.Connection[object], p: Plan) -> None:
    apply_plan(conn, p, ALL)


def test_diff_names_the_schema(database_url: str) -> None:
    spec = load_schema_text(SPEC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        _fresh(conn)
        apply_ddl(conn, spec, pipeline_render)
        conn.execute('ALTER TABLE billing."Payment" ADD COLUMN extra int')
        db = inspect_schema(conn, "public", also=["billing"])
        diff = format_diff(schema_diff(canonicalize(spec, conn), db))
    assert "billing.Payment" in diff and "extra" in diff


def test_audit_outside_the_default_namespace_is_refused() -> None:
    text = SPEC.replace(
        '[tables."billing.Invoice"]\ncomment', '[tables."billing.Invoice"]\naudit = true\ncomment'
    )
    with pytest.raises(SpecError) as err:
        load_schema_text(text, "app.toml")
    (problem,) = err.value.problems
    assert problem.path == "tables.billing.Invoice.audit" and problem.line == 14
    assert "default namespace" in str(problem) and problem.hint


PARTED = """
[schemas.billing]

[tables."billing.Ledger"]
partition_by = "LIST (region)"

[tables."billing.Ledger".columns]
region = { type = "text" }

[[tables."billing.Ledger".partitions]]
name = "Ledger_eu"
in = ["eu"]
comment = "Europe"
"""


def test_a_partition_comment_changes_in_its_namespace(database_url: str) -> None:
    # found by the convergence property (two namespaces drawn): the COMMENT ON
    # TABLE of a kept partition named it in the default namespace
    before = load_schema_text(PARTED)
    after = load_schema_text(PARTED.replace('"Europe"', '"EU"'))
    with psycopg.connect(database_url, autocommit=True) as conn:
        _fresh(conn)
        apply_ddl(conn, before, pipeline_render)
        up = plan(inspects_equal(conn, before), canonicalize(after, conn), ALL)
        assert [op.description for op in up] == ['set comment on table "billing"."Ledger_eu"']
        _run(conn, up)
        inspects_equal(conn, after)
        _run(conn, up.reverse())
        inspects_equal(conn, before)
