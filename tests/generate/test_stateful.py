"""Stateful property test: the Basefly services against an in-memory model.

Random sequences of create cluster / soft_delete / restore / delete_user /
soft_delete_user across several users, checked after every step against a
plain Python model of what the services promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.generate.helpers import basefly_package, basefly_schema, create, orphans
from tests.pg import reset_schema

USERS = 3
PLANS = ["FREE", "PRO", None]


@dataclass
class ModelCluster:
    owner: int  # index into the users
    plan: str | None
    deleted: bool = False


def test_services_match_model(database_url: str) -> None:
    basefly_package()
    from basefly_db import Database, NotFound, RestoreConflict, enums

    schema = basefly_schema()
    conn = psycopg.connect(database_url, autocommit=True)

    class Services(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            reset_schema(conn)
            create(database_url, schema)
            # a fresh connection per example: psycopg's prepared statements would
            # outlive the schema that reset_schema just dropped
            self.conn = psycopg.connect(database_url, autocommit=True)
            self.d: Any = Database(self.conn)
            self.user_ids = [self.d.user.insert({"email": f"u{i}@x.io"}).id for i in range(USERS)]
            self.exists = [True] * USERS  # the user row is still there (maybe a tombstone)
            self.tombstoned = [False] * USERS
            self.clusters: dict[int, ModelCluster] = {}

        def _active(self, owner: int, plan: str | None) -> list[int]:
            return [
                cid
                for cid, c in self.clusters.items()
                if c.owner == owner and c.plan == plan and not c.deleted
            ]

        def _pick(self, data: st.DataObject) -> int | None:
            if not self.clusters:
                return None
            return data.draw(st.sampled_from(sorted(self.clusters)))

        @rule(user=st.integers(0, USERS - 1), plan=st.sampled_from(PLANS))
        def create_cluster(self, user: int, plan: str | None) -> None:
            values = {
                "name": "c",
                "location": "eu",
                "auth_user_id": self.user_ids[user],
                "plan": None if plan is None else enums.SubscriptionPlan(plan),
            }
            if not self.exists[user]:
                with pytest.raises(psycopg.errors.ForeignKeyViolation):
                    self.d.k8s_cluster_config.insert(values)
            elif plan is not None and self._active(user, plan):
                with pytest.raises(psycopg.errors.UniqueViolation):
                    self.d.k8s_cluster_config.insert(values)
            else:
                row = self.d.k8s_cluster_config.insert(values)
                self.clusters[row.id] = ModelCluster(user, plan)

        @rule(data=st.data(), actor=st.integers(0, USERS - 1))
        def soft_delete(self, data: st.DataObject, actor: int) -> None:
            cid = self._pick(data)
            if cid is None:
                return
            c = self.clusters[cid]
            if c.owner != actor or c.deleted:
                with pytest.raises(NotFound):
                    self.d.k8s_cluster_service.soft_delete(cid, self.user_ids[actor])
            else:
                row = self.d.k8s_cluster_service.soft_delete(cid, self.user_ids[actor])
                assert row.status is enums.Status.DELETED and row.deleted_at is not None
                c.deleted = True

        @rule(data=st.data(), actor=st.integers(0, USERS - 1))
        def restore(self, data: st.DataObject, actor: int) -> None:
            cid = self._pick(data)
            if cid is None:
                return
            c = self.clusters[cid]
            svc = self.d.k8s_cluster_service
            if c.owner != actor or not c.deleted:
                with pytest.raises(NotFound):
                    svc.restore(cid, self.user_ids[actor])
            elif c.plan is not None and self._active(c.owner, c.plan):
                with pytest.raises(RestoreConflict) as err:
                    svc.restore(cid, self.user_ids[actor])
                assert err.value.active.id in self._active(c.owner, c.plan)
            else:
                row = svc.restore(cid, self.user_ids[actor])
                assert row.deleted_at is None
                c.deleted = False

        @rule(user=st.integers(0, USERS - 1))
        def delete_user(self, user: int) -> None:
            svc = self.d.user_deletion_service
            if not self.exists[user]:
                with pytest.raises(NotFound):
                    svc.delete_user(self.user_ids[user])
                return
            result = svc.delete_user(self.user_ids[user])
            mine = [c for c in self.clusters.values() if c.owner == user]
            for c in mine:
                c.deleted = True
            # soft-deleted clusters are the audit trail: they keep the user row as a tombstone
            assert result.tombstoned == bool(mine) and result.deleted == (not mine)
            self.tombstoned[user] = bool(mine)
            self.exists[user] = bool(mine)

        @rule(user=st.integers(0, USERS - 1))
        def soft_delete_user(self, user: int) -> None:
            svc = self.d.user_deletion_service
            if not self.exists[user]:
                with pytest.raises(NotFound):
                    svc.soft_delete_user(self.user_ids[user])
                return
            result = svc.soft_delete_user(self.user_ids[user])
            active = [c for c in self.clusters.values() if c.owner == user and not c.deleted]
            assert result.soft_deleted == {"K8sClusterConfig": len(active)}
            for c in active:
                c.deleted = True

        def teardown(self) -> None:
            self.conn.close()

        @invariant()
        def matches_model(self) -> None:
            svc = self.d.k8s_cluster_service
            for i, uid in enumerate(self.user_ids):
                want = sorted(
                    cid for cid, c in self.clusters.items() if c.owner == i and not c.deleted
                )
                assert [c.id for c in svc.find_all_active(uid)] == want
                gone = {cid for cid, c in self.clusters.items() if c.owner == i and c.deleted}
                assert {c.id for c in svc.find_deleted(uid)} == gone
                user = self.d.user.get(uid)
                assert (user is not None) == self.exists[i]
                if self.tombstoned[i]:
                    assert user is not None and user.email is None
            rows = conn.execute(
                'SELECT count(*) FROM "K8sClusterConfig" WHERE "deletedAt" IS NULL '
                'AND plan IS NOT NULL GROUP BY plan, "authUserId" HAVING count(*) > 1'
            ).fetchall()
            assert rows == []
            assert orphans(conn, schema) == []
            assert self.d.k8s_cluster_config.count(include_deleted=True) == len(self.clusters)

    try:
        run_state_machine_as_test(
            Services,
            settings=settings(max_examples=25, stateful_step_count=15, deadline=None),
        )
    finally:
        conn.close()
