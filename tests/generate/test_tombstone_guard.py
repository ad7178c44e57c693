"""A tombstoned user gains no new children (issue 20 item 7): Basefly's owner row,
kept as an anonymised tombstone by ``delete_user``, is a row the database refuses
to reference -- during the deletion (writers racing it) and after it."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

INSERT = (
    'INSERT INTO "K8sClusterConfig" (name, location, "authUserId") VALUES (%s, %s, %s) RETURNING id'
)
# the racing writers open sessions: one active cluster per plan and user is allowed
SESSION = (
    'INSERT INTO "Session" ("sessionToken", "userId", expires) '
    "VALUES (gen_random_uuid()::text, %s, now() + interval '1 day')"
)


def _tombstoned_user(d: Any) -> str:
    u: str = d.user.insert({"email": "gone@x.io", "name": "Gone"}).id
    d.k8s_cluster_config.insert({"name": "kept", "location": "eu", "auth_user_id": u})
    result = d.user_deletion_service.delete_user(u)
    assert result.tombstoned and not result.deleted
    tomb = d.user.get(u)
    assert tomb is not None and tomb.deleted_at is not None and tomb.email is None
    return u


def test_a_tombstone_cannot_gain_a_row(d: Any, url: str) -> None:
    u = _tombstoned_user(d)
    alive = d.user.insert({"email": "alive@x.io"}).id
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
            conn.execute(INSERT, ("new", "eu", u))
        assert "is deleted (a tombstone): no new K8sClusterConfig row" in str(err.value)
        assert err.value.diag.message_hint == "create the row for an active User"
        # moving an existing row onto the tombstone is refused too
        (cid,) = conn.execute(INSERT, ("other", "eu", alive)).fetchone() or (None,)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute('UPDATE "K8sClusterConfig" SET "authUserId" = %s WHERE id = %s', (u, cid))
        # rows that already reference it stay writable (the audit trail can be purged...)
        conn.execute('UPDATE "K8sClusterConfig" SET name = name WHERE "authUserId" = %s', (u,))
        # ... and a session or an account for it is refused as well (every FK to User)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                'INSERT INTO "Session" ("sessionToken", "userId", expires) '
                "VALUES ('s', %s, now())",
                (u,),
            )
    # through the generated package: its typed error for a foreign-key violation
    from basefly_db import errors

    with pytest.raises(errors.ForeignKeyViolationError):
        d.k8s_cluster_config.insert({"name": "x", "location": "eu", "auth_user_id": u})


def _writer(url: str, user: str, stop: threading.Event, log: list[tuple[float, bool]]) -> None:
    """Open sessions for ``user`` until told to stop: (commit time, succeeded)."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            try:
                conn.execute(SESSION, (user,))
                log.append((time.monotonic(), True))
            except psycopg.errors.ForeignKeyViolation:
                log.append((time.monotonic(), False))


@pytest.mark.parametrize("trial", range(3))
def test_writers_racing_the_deletion_never_attach_to_the_tombstone(
    d: Any, url: str, trial: int
) -> None:
    u = d.user.insert({"email": f"race{trial}@x.io"}).id
    d.k8s_cluster_config.insert({"name": "first", "location": "eu", "auth_user_id": u})
    stop = threading.Event()
    logs: list[list[tuple[float, bool]]] = [[] for _ in range(4)]
    threads = [threading.Thread(target=_writer, args=(url, u, stop, log)) for log in logs]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not any(ok for log in logs for _, ok in log) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the writers are inserting
    result = d.user_deletion_service.delete_user(u)
    done = time.monotonic()
    time.sleep(0.5)  # and keep trying after the deletion committed
    stop.set()
    for t in threads:
        t.join(timeout=60)
    entries = [e for log in logs for e in log]
    assert result.tombstoned and result.soft_deleted == {"K8sClusterConfig": 1}
    assert result.removed.get("Session", 0) >= 1  # the sessions opened before it went
    assert any(ok for _, ok in entries), "the writers never got a row in before the deletion"
    assert any(at > done for at, _ in entries), "the writers stopped before the deletion ended"
    assert not all(ok for _, ok in entries), "no writer was refused"
    with psycopg.connect(url) as conn:
        left = conn.execute('SELECT count(*) FROM "Session" WHERE "userId" = %s', (u,)).fetchone()
    # every session a writer got in before the deletion was deleted by it; none came after
    assert left == (0,)


CLUSTER = (
    'INSERT INTO "K8sClusterConfig" (name, location, "authUserId", plan) VALUES (%s, %s, %s, NULL)'
)


def _cluster_writer(
    url: str, user: str, stop: threading.Event, log: list[tuple[float, bool]]
) -> None:
    """Create clusters (no plan: the unique rule does not apply) until told to stop."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            try:
                conn.execute(CLUSTER, ("w", "eu", user))
                log.append((time.monotonic(), True))
            except psycopg.errors.ForeignKeyViolation:
                log.append((time.monotonic(), False))


@pytest.mark.parametrize("trial", range(2))
def test_cluster_writers_racing_the_deletion_leave_no_active_cluster(
    d: Any, url: str, trial: int
) -> None:
    """The issue's defect as it was seen: clusters created while and after
    ``delete_user`` ran. Each one that got in before is soft-deleted with the rest,
    none gets in after, so no active cluster hangs under the tombstone."""
    u = d.user.insert({"email": f"clusters{trial}@x.io"}).id
    stop = threading.Event()
    logs: list[list[tuple[float, bool]]] = [[] for _ in range(4)]
    threads = [threading.Thread(target=_cluster_writer, args=(url, u, stop, log)) for log in logs]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not any(ok for log in logs for _, ok in log) and time.monotonic() < deadline:
        time.sleep(0.05)
    result = d.user_deletion_service.delete_user(u)
    done = time.monotonic()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    entries = [e for log in logs for e in log]
    made = sum(ok for _, ok in entries)
    assert made and any(at > done for at, _ in entries) and not all(ok for _, ok in entries)
    assert result.tombstoned and result.soft_deleted == {"K8sClusterConfig": made}
    with psycopg.connect(url) as conn:
        active, kept = conn.execute(
            'SELECT count(*) FILTER (WHERE "deletedAt" IS NULL), count(*) '
            'FROM "K8sClusterConfig" WHERE "authUserId" = %s',
            (u,),
        ).fetchone() or (None, None)
    assert (active, kept) == (0, made)


RESTORE = 'UPDATE "K8sClusterConfig" SET "deletedAt" = NULL WHERE id = %s'


def test_a_tombstones_rows_stay_deleted(d: Any, url: str) -> None:
    """A restore is a new active row: refused under a tombstone through the generated
    service and through plain SQL, while what does not restore stays writable."""
    u = d.user.insert({"email": "restore@x.io"}).id
    cid = d.k8s_cluster_config.insert({"name": "c", "location": "eu", "auth_user_id": u}).id
    d.k8s_cluster_service.soft_delete(cid, u)
    assert d.user_deletion_service.delete_user(u).tombstoned
    from basefly_db import errors

    with pytest.raises(errors.ForeignKeyViolationError) as err:
        d.k8s_cluster_service.restore(cid, u)
    assert "is deleted (a tombstone): its K8sClusterConfig rows stay deleted" in str(err.value)
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as raw:
            conn.execute(RESTORE, (cid,))
        assert raw.value.diag.message_hint == "a row of a tombstoned User cannot be restored"
        # a row that stays deleted may change (a later deletedAt, another name)
        conn.execute(
            'UPDATE "K8sClusterConfig" SET "deletedAt" = now(), name = %s WHERE id = %s',
            ("renamed", cid),
        )
        active = conn.execute(
            'SELECT count(*) FROM "K8sClusterConfig" WHERE "authUserId" = %s '
            'AND "deletedAt" IS NULL',
            (u,),
        ).fetchone()
    assert active == (0,)
    # an active owner's rows restore as before
    alive = d.user.insert({"email": "alive2@x.io"}).id
    kept = d.k8s_cluster_config.insert({"name": "k", "location": "eu", "auth_user_id": alive}).id
    d.k8s_cluster_service.soft_delete(kept, alive)
    assert d.k8s_cluster_service.restore(kept, alive).deleted_at is None


def _restorer(
    url: str, user: str, cid: int, service: bool, stop: threading.Event, log: list[bool]
) -> None:
    """Soft-delete and restore cluster ``cid`` in a loop (through the generated service
    or plain SQL) until told to stop; ``log``: whether each restore went through."""
    from basefly_db import Database, errors

    with psycopg.connect(url, autocommit=True) as conn:
        db = Database(conn)
        while not stop.is_set():
            try:
                if service:
                    db.k8s_cluster_service.restore(cid, user)
                else:
                    conn.execute(RESTORE, (cid,))
                log.append(True)
            except (
                psycopg.errors.ForeignKeyViolation,
                errors.ForeignKeyViolationError,
                psycopg.errors.LockNotAvailable,
            ):
                # refused: the owner is a tombstone, or its deletion is under way
                log.append(False)
                continue
            conn.execute('UPDATE "K8sClusterConfig" SET "deletedAt" = now() WHERE id = %s', (cid,))


@pytest.mark.parametrize("trial", range(2))
def test_restorers_and_writers_racing_the_deletion_leave_nothing_active(
    d: Any, url: str, trial: int
) -> None:
    """Restorers (two through the generated service, two in plain SQL) and cluster
    writers race ``delete_user``: afterwards no cluster under the tombstone is active,
    and restores after the deletion are refused."""
    u = d.user.insert({"email": f"restorers{trial}@x.io"}).id
    ids = []
    for i in range(4):
        # no plan: the one-active-cluster-per-plan rule does not apply
        row = {"name": f"r{i}", "location": "eu", "auth_user_id": u, "plan": None}
        cid = d.k8s_cluster_config.insert(row).id
        d.k8s_cluster_service.soft_delete(cid, u)
        ids.append(cid)
    stop = threading.Event()
    restores: list[list[bool]] = [[] for _ in ids]
    writes: list[list[tuple[float, bool]]] = [[] for _ in range(2)]
    threads = [
        threading.Thread(target=_restorer, args=(url, u, cid, i % 2 == 0, stop, restores[i]))
        for i, cid in enumerate(ids)
    ] + [threading.Thread(target=_cluster_writer, args=(url, u, stop, log)) for log in writes]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not all(any(log) for log in restores) and time.monotonic() < deadline:
        time.sleep(0.05)  # until every restorer got a restore through
    result = d.user_deletion_service.delete_user(u)
    marks = [len(log) for log in restores]
    time.sleep(0.5)  # and keep restoring after the deletion committed
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert result.tombstoned
    assert all(any(log) for log in restores), "a restorer never restored before the deletion"
    after = [log[mark + 1 :] for log, mark in zip(restores, marks, strict=True)]
    assert all(after) and not any(ok for log in after for ok in log)
    assert all(len(log) > 1 for log in writes) and not all(ok for log in writes for _, ok in log)
    with psycopg.connect(url) as conn:
        active = conn.execute(
            'SELECT count(*) FROM "K8sClusterConfig" WHERE "authUserId" = %s '
            'AND "deletedAt" IS NULL',
            (u,),
        ).fetchone()
    assert active == (0,)


SPEC = """[tables.User]
owner_table = true
{tombstone}
[tables.User.columns]
id = {{ type = "uuid", primary_key = true }}
deletedAt = {{ type = "{flag_type}", nullable = {nullable} }}

[tables.Post.columns]
id = {{ type = "integer", primary_key = true }}
uid = {{ type = "uuid", references = {{ table = "User" }} }}
"""


def _spec(tombstone: str = 'tombstone = "deletedAt"', flag_type: str = "timestamptz",
          nullable: str = "true") -> str:  # fmt: skip
    return SPEC.format(tombstone=tombstone, flag_type=flag_type, nullable=nullable)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_spec(flag_type="text"), "tombstone column 'deletedAt' must be a nullable timestamp"),
        (_spec(nullable="false"), "tombstone column 'deletedAt' must be a nullable timestamp"),
        (_spec('tombstone = "gone"'), "tombstone names column 'gone'"),
    ],
)
def test_tombstone_spec_errors(text: str, words: str) -> None:
    from pgwarden.errors import SpecError
    from pgwarden.spec.load import load_schema_text

    with pytest.raises(SpecError) as err:
        load_schema_text(text, "schema/app.toml")
    assert words in str(err.value)
    assert "schema/app.toml:" in str(err.value) and "fix:" in str(err.value)


def test_the_planner_adds_and_drops_guards_with_their_reverse() -> None:
    from pgwarden.planner import plan
    from pgwarden.planner.tombstone import CreateTombstoneGuard, DropTombstoneGuard
    from pgwarden.spec.dump import dump_schema
    from pgwarden.spec.load import load_schema_text

    before = load_schema_text(_spec(tombstone=""), "a.toml")
    after = load_schema_text(_spec(), "b.toml")
    assert load_schema_text(dump_schema(after), "c.toml").table("User").tombstone == "deletedAt"
    ops = plan(before, after).ops
    assert [type(op) for op in ops] == [CreateTombstoneGuard]
    guard = ops[0].guard  # type: ignore[attr-defined]
    assert (guard.table, guard.column, guard.owner, guard.key, guard.flag) == (
        "Post", "uid", "User", "id", "deletedAt",
    )  # fmt: skip
    assert ops[0].reverse() == (DropTombstoneGuard(guard),)
    assert [type(op) for op in plan(after, before).ops] == [DropTombstoneGuard]
    assert plan(after, after).ops == ()


def test_the_guard_applies_and_refuses_on_the_server(database_url: str) -> None:
    from pgwarden.render.sql import render_schema
    from pgwarden.spec.load import load_schema_text

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render_schema(load_schema_text(_spec(), "a.toml")).encode())
        live, gone = (
            conn.execute('INSERT INTO "User" (id, "deletedAt") VALUES '
                         "(gen_random_uuid(), NULL), (gen_random_uuid(), now()) "
                         "RETURNING id").fetchall()
        )  # fmt: skip
        conn.execute('INSERT INTO "Post" (id, uid) VALUES (1, %s)', live)
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="is deleted"):
            conn.execute('INSERT INTO "Post" (id, uid) VALUES (2, %s)', gone)


RESTORE_SPEC = _spec('tombstone = "deletedAt"\ntombstone_guards_restore = true') + (
    'deletedAt = { type = "timestamptz", nullable = true }\n'
    "[tables.Post]\n"
    'soft_delete = "deletedAt"\n'
)


def test_a_restore_guard_is_planned_applied_and_read_back(database_url: str) -> None:
    """With ``tombstone_guards_restore`` the guard of a soft-delete table carries its
    soft-delete column: a plan of its own from the 0005-style guard, refusing a
    restore on the server, and introspected back equal (an empty plan)."""
    from pgwarden.introspect import inspect_schema
    from pgwarden.planner import plan
    from pgwarden.planner.tombstone import CreateTombstoneGuard, DropTombstoneGuard
    from pgwarden.render.sql import render_schema
    from pgwarden.spec.dump import dump_schema
    from pgwarden.spec.load import load_schema_text

    old = load_schema_text(_spec() + 'deletedAt = { type = "timestamptz", nullable = true }\n'
                           '[tables.Post]\nsoft_delete = "deletedAt"\n', "a.toml")  # fmt: skip
    new = load_schema_text(RESTORE_SPEC, "b.toml")
    assert load_schema_text(dump_schema(new), "c.toml").table("User").tombstone_guards_restore
    ops = plan(old, new).ops
    assert [type(op) for op in ops] == [DropTombstoneGuard, CreateTombstoneGuard]
    assert ops[1].guard.soft_delete == "deletedAt"  # type: ignore[attr-defined]
    assert ops[0].guard.soft_delete is None  # type: ignore[attr-defined]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(render_schema(new).encode())
        db = inspect_schema(conn)
        assert db.table("User").tombstone_guards_restore and db.table("Post").soft_delete
        assert plan(db, new).ops == ()
        assert plan(db, old).ops != ()  # the restore-less guard reads back differently
        live, gone = conn.execute(
            'INSERT INTO "User" (id) VALUES (gen_random_uuid()), (gen_random_uuid()) RETURNING id'
        ).fetchall()
        conn.execute(
            'INSERT INTO "Post" (id, uid, "deletedAt") VALUES (1, %s, now()), (2, %s, now())',
            (live[0], gone[0]),
        )
        conn.execute('UPDATE "User" SET "deletedAt" = now() WHERE id = %s', gone)
        conn.execute('UPDATE "Post" SET "deletedAt" = NULL WHERE id = 1')  # active owner
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="rows stay deleted"):
            conn.execute('UPDATE "Post" SET "deletedAt" = NULL WHERE id = 2')


def test_guarding_restores_needs_a_tombstone() -> None:
    from pgwarden.errors import SpecError
    from pgwarden.spec.load import load_schema_text

    with pytest.raises(SpecError) as err:
        load_schema_text(_spec("tombstone_guards_restore = true"), "schema/app.toml")
    assert "tombstone_guards_restore needs tombstone" in str(err.value)
