"""The services come from spec annotations, not from Basefly: a second schema with
another owner table (Organization), a namespace other than public, soft-deleted
children two levels down, a billing table, a hard table pinned by kept rows and an
audited table (its rows are deleted, the audit log keeps them)."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.generate.helpers import build_package, counting_connect, create, dump, orphans

SPEC = """
[schema]
name = "app"

[enums.DocStatus]
values = ["DRAFT", "PUBLISHED", "DELETED"]

[tables.Organization]
owner_table = true

[tables.Organization.columns]
id           = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
name         = { type = "text" }
slug         = { type = "varchar(40)", unique = true }
billingEmail = { type = "text", nullable = true }

[tables.Project]
soft_delete = "archivedAt"
owner = "organizationId"

[tables.Project.columns]
id             = { type = "bigint", identity = "always", primary_key = true }
organizationId = { type = "uuid", references = { table = "Organization", on_delete = "restrict" } }
name           = { type = "text" }
archivedAt     = { type = "timestamptz", nullable = true }

[[tables.Project.uniques]]
columns = ["organizationId", "name"]

[tables.Folder.columns]
id             = { type = "integer", identity = "by default", primary_key = true }
organizationId = { type = "uuid", references = { table = "Organization", on_delete = "cascade" } }
label          = { type = "text" }

[tables.Document]
soft_delete = "deletedAt"
owner = "projectId"

[tables.Document.columns]
id        = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
projectId = { type = "bigint", references = { table = "Project", on_delete = "cascade" } }
folderId  = { type = "integer", nullable = true, references = { table = "Folder" } }
reviewer  = { type = "uuid", nullable = true }
title     = { type = "text" }
body      = { type = "jsonb", default_sql = "'{}'::jsonb" }
tags      = { type = "text[]", default = [] }
status    = { type = "DocStatus", default = "DRAFT" }
deletedAt = { type = "timestamptz", nullable = true }

[[tables.Document.indexes]]
columns = ["projectId", "title"]
unique = true

[[tables.Document.foreign_keys]]
columns = ["reviewer"]
references = { table = "Organization", columns = ["id"] }
on_delete = "set null"

[tables.Comment.columns]
id         = { type = "integer", identity = "by default", primary_key = true }
documentId = { type = "uuid", references = { table = "Document", on_delete = "restrict" } }
text       = { type = "text" }

[[tables.Comment.indexes]]
columns = ["documentId"]

[tables.AuditLog]
audit = true

[tables.AuditLog.columns]
id             = { type = "bigint", identity = "by default", primary_key = true }
organizationId = { type = "uuid", references = { table = "Organization", on_delete = "restrict" } }
event          = { type = "text" }

[tables.Tag]
soft_delete = "removedAt"

[tables.Tag.columns]
name      = { type = "text", primary_key = true }
removedAt = { type = "timestamp", nullable = true }

[tables.Invoice]
billing = { active_when = '"paidAt" IS NULL' }

[tables.Invoice.columns]
id             = { type = "integer", identity = "by default", primary_key = true }
organizationId = { type = "uuid", references = { table = "Organization", on_delete = "cascade" } }
amount         = { type = "numeric(10,2)" }
paidAt         = { type = "timestamptz", nullable = true }
"""


def org_schema() -> Schema:
    return load_schema_text(SPEC, "tests/org.toml")


@pytest.fixture
def pkg(database_url: str, tmp_path: Path) -> Iterator[tuple[ModuleType, str]]:
    schema = org_schema()
    create(database_url, schema)
    name, sync, _ = build_package(schema, tmp_path)
    yield sync, name


def _setup(d: Any, models: Any) -> dict[str, Any]:
    org = d.organization.insert({"name": "Acme", "slug": "acme", "billing_email": "b@acme.io"})
    other = d.organization.insert({"name": "Other", "slug": "other"})
    p1 = d.project.insert({"organization_id": org.id, "name": "p1"})
    p2 = d.project.insert({"organization_id": org.id, "name": "p2"})
    used = d.folder.insert({"organization_id": org.id, "label": "used"})
    unused = d.folder.insert({"organization_id": org.id, "label": "unused"})
    doc = d.document.insert(
        {"project_id": p1.id, "title": "spec", "folder_id": used.id, "body": {"a": [1, "x"]}}
    )
    d.document.insert({"project_id": p2.id, "title": "notes", "tags": ["x", "y"]})
    d.comment.insert({"document_id": doc.id, "text": "hello"})
    d.invoice.insert({"organization_id": org.id, "amount": decimal.Decimal("9.90")})
    d.audit_log.insert({"organization_id": org.id, "event": "created"})
    op = d.project.insert({"organization_id": other.id, "name": "p1"})
    # another organization's document that merely mentions this one (ON DELETE SET NULL)
    reviewed = d.document.insert({"project_id": op.id, "title": "spec", "reviewer": org.id})
    return {
        "org": org,
        "other": other,
        "p1": p1,
        "doc": doc,
        "used": used,
        "unused": unused,
        "reviewed": reviewed,
    }


def test_types_and_soft_delete_service(pkg: tuple[ModuleType, str], database_url: str) -> None:
    sync, name = pkg
    enums = __import__(f"{name}.enums", fromlist=["x"])
    models = __import__(f"{name}.models", fromlist=["x"])
    errors = __import__(f"{name}.errors", fromlist=["x"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        s = _setup(d, models)
        doc = d.document.get(s["doc"].id)
        assert (
            doc.body == {"a": [1, "x"]} and doc.tags == [] and doc.status is enums.DocStatus.DRAFT
        )
        assert isinstance(doc.id, __import__("uuid").UUID)
        p1 = d.project.get(s["p1"].id)
        svc = d.document_service
        assert [x.title for x in svc.find_all_active(p1.id)] == ["spec"]
        gone = svc.soft_delete(doc.id, p1.id)
        assert gone.status is enums.DocStatus.DELETED
        assert gone.deleted_at is not None and gone.deleted_at.tzinfo is not None  # timestamptz
        again = d.document.insert({"project_id": p1.id, "title": "spec"})
        with pytest.raises(errors.RestoreConflict) as err:
            svc.restore(doc.id, p1.id)
        assert err.value.active == again
        with pytest.raises(errors.NotFound):
            svc.restore(doc.id, s["other"].id and 999)
        projects = d.project_service
        projects.soft_delete(p1.id, s["org"].id)
        assert [p.name for p in projects.find_all_active(s["org"].id)] == ["p2"]
        assert projects.restore(p1.id, s["org"].id).archived_at is None


def test_delete_organization(pkg: tuple[ModuleType, str], database_url: str) -> None:
    sync, name = pkg
    errors = __import__(f"{name}.errors", fromlist=["x"])
    models = __import__(f"{name}.models", fromlist=["x"])
    schema = org_schema()
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        s = _setup(d, models)
        org = s["org"].id
        svc = d.organization_deletion_service
        summary = svc.get_organization_summary(org)
        assert summary == models.OrganizationSummary(
            audit_log=1,
            project=2,
            project_active=2,
            folder=2,
            invoice=1,
            invoice_billing=1,
            document=2,
            document_active=2,
            comment=1,
        )
        with pytest.raises(errors.OutstandingBilling):
            svc.delete_organization(org)
        conn.execute('UPDATE app."Invoice" SET "paidAt" = now()')
        result = svc.delete_organization(org)
        assert result.tombstoned and not result.deleted
        assert result.soft_deleted == {"Project": 2, "Document": 2}
        # the used folder is pinned by a kept document (RESTRICT): kept, the unused one removed
        assert result.removed == {"Comment": 1, "Invoice": 1, "Folder": 1, "AuditLog": 1}
        assert d.folder.get(s["used"].id) is not None and d.folder.get(s["unused"].id) is None
        # an audited table is deleted like any other; the audit log keeps the row
        assert d.audit_log.page() == []
        logged = conn.execute(
            "SELECT op, before->>'event' FROM app.pgwarden_audit WHERE table_name = 'AuditLog'"
            " ORDER BY id"
        ).fetchall()
        assert logged == [("insert", None), ("delete", "created")]
        tomb = d.organization.get(org)
        assert tomb.billing_email is None and tomb.name == f"deleted:{org}"
        assert tomb.slug == f"deleted:{org}"[:40]
        assert orphans(conn, schema) == []
        # the other organization is untouched, even its document that names this one
        other = svc.get_organization_summary(s["other"].id)
        assert other.project_active == 1 and other.document_active == 1
        reviewed = d.document.get(s["reviewed"].id)
        assert reviewed is not None and reviewed.reviewer == org  # the tombstone remains


def test_deletion_is_atomic_and_constant(pkg: tuple[ModuleType, str], database_url: str) -> None:
    sync, name = pkg
    models = __import__(f"{name}.models", fromlist=["x"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        s = _setup(d, models)
        conn.execute('UPDATE app."Invoice" SET "paidAt" = now()')
        conn.execute(
            "CREATE FUNCTION app.boom() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected'; END $$"
        )
        conn.execute(
            'CREATE TRIGGER boom BEFORE DELETE ON app."Folder" '
            "FOR EACH ROW EXECUTE FUNCTION app.boom()"
        )
        before = dump(conn, "app")
        with pytest.raises(psycopg.errors.RaiseException):
            d.organization_deletion_service.delete_organization(s["org"].id)
        assert dump(conn, "app") == before
        conn.execute('DROP TRIGGER boom ON app."Folder"')
    counts = []
    with counting_connect(database_url) as conn:
        d = sync.Database(conn)
        for n in (1, 300):
            org = d.organization.insert({"name": "n", "slug": f"s{n}"}).id
            p = d.project.insert({"organization_id": org, "name": "p"}).id
            d.document.insert_many([{"project_id": p, "title": f"t{i}"} for i in range(n)])
            conn.statements.clear()
            d.organization_deletion_service.delete_organization(org)
            counts.append(len(conn.statements))
    assert counts[0] == counts[1]


def test_async_second_schema(pkg: tuple[ModuleType, str], database_url: str) -> None:
    _, name = pkg
    aio = __import__(f"{name}.aio", fromlist=["x"])

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            d = aio.AsyncDatabase(conn)
            org = await d.organization.insert({"name": "a", "slug": "a"})
            p = await d.project.insert({"organization_id": org.id, "name": "p"})
            res = await d.organization_deletion_service.delete_organization(org.id)
            assert res.tombstoned and res.soft_deleted == {"Project": 1, "Document": 0}
            got = await d.project.get(p.id, include_deleted=True)
            assert got is not None and got.archived_at is not None
            assert await d.project.page(after=None, limit=5) == []
            assert len(await d.project.page(limit=5, include_deleted=True)) == 1
            assert isinstance(got.archived_at, dt.datetime)

    asyncio.run(main())


def test_unscoped_soft_delete_service(pkg: tuple[ModuleType, str], database_url: str) -> None:
    """A soft-delete table without an owner column gets a service without the owner argument."""
    sync, name = pkg
    errors = __import__(f"{name}.errors", fromlist=["x"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        d.tag.insert_many([{"name": "a"}, {"name": "b"}])
        svc = d.tag_service
        assert svc.soft_delete("a").removed_at is not None
        assert [t.name for t in svc.find_all_active()] == ["b"]
        assert [t.name for t in svc.find_deleted()] == ["a"]
        assert svc.restore("a").removed_at is None
        with pytest.raises(errors.NotFound):
            svc.restore("a")
        assert svc.purge(dt.timedelta(0)) == 0


def test_owner_in_primary_key_is_an_error() -> None:
    from pgwarden.generators.accessors import GenerateError, build

    spec = SPEC.replace(
        '[tables.Tag]\nsoft_delete = "removedAt"',
        '[tables.Tag]\nsoft_delete = "removedAt"\nowner = "name"',
    )
    with pytest.raises(GenerateError, match="part of the primary key"):
        build(load_schema_text(spec, "tests/org.toml"), "pkg")


def test_mentions_do_not_make_rows_dependents(
    pkg: tuple[ModuleType, str], database_url: str
) -> None:
    """An ON DELETE SET NULL reference is a mention, not ownership: deleting the
    organization leaves the other organization's row and the database clears it."""
    sync, _ = pkg
    with psycopg.connect(database_url, autocommit=True) as conn:
        d = sync.Database(conn)
        org = d.organization.insert({"name": "gone", "slug": "gone"}).id
        other = d.organization.insert({"name": "stays", "slug": "stays"}).id
        project = d.project.insert({"organization_id": other, "name": "p"}).id
        doc = d.document.insert({"project_id": project, "title": "t", "reviewer": org})
        result = d.organization_deletion_service.delete_organization(org)
        assert result.deleted and not result.tombstoned
        after = d.document.get(doc.id)
        assert after is not None and after.deleted_at is None and after.reviewer is None
