"""Stateful property test: the Basefly services against an in-memory model.

Random sequences of create cluster / soft_delete / restore / delete_user /
soft_delete_user / subscriptions starting and ending / purge across several
users, checked after every step against a plain Python model of what the
services promise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

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
    from basefly_db import (
        Database,
        ForeignKeyViolationError,
        NotFound,
        OutstandingBilling,
        RestoreConflict,
        UniqueViolationError,
        enums,
    )

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
            self.billing: dict[int, list[int]] = {}  # user -> ids of its billing Customer rows
            self.subscriptions = 0

        def _active(self, owner: int, plan: str | None) -> list[int]:
            return [
                cid
                for cid, c in self.clusters.items()
                if c.owner == owner and c.plan == plan and not c.deleted
            ]

        def _pick(self, data: st.DataObject, deleted: bool) -> int | None:
            # mostly a row in the state the rule needs, sometimes any row (the refusals)
            fitting = sorted(cid for cid, c in self.clusters.items() if c.deleted == deleted)
            pool = fitting if fitting and data.draw(st.integers(0, 3)) else sorted(self.clusters)
            if not pool:
                return None
            return data.draw(st.sampled_from(pool))

        @initialize(plans=st.lists(st.sampled_from(PLANS), min_size=USERS, max_size=USERS))
        def first_clusters(self, plans: list[str | None]) -> None:
            for user, plan in enumerate(plans):
                self.create_cluster(user, plan)

        @rule(user=st.integers(0, USERS - 1), plan=st.sampled_from(PLANS))
        def create_cluster(self, user: int, plan: str | None) -> None:
            values = {
                "name": "c",
                "location": "eu",
                "auth_user_id": self.user_ids[user],
                "plan": None if plan is None else enums.SubscriptionPlan(plan),
            }
            if not self.exists[user] or self.tombstoned[user]:
                # gone, or a tombstone: its guard refuses new rows (23503, like the FK)
                with pytest.raises(ForeignKeyViolationError):
                    self.d.k8s_cluster_config.insert(values)
            elif plan is not None and self._active(user, plan):
                with pytest.raises(UniqueViolationError):
                    self.d.k8s_cluster_config.insert(values)
            else:
                row = self.d.k8s_cluster_config.insert(values)
                self.clusters[row.id] = ModelCluster(user, plan)

        @rule(
            user=st.integers(0, USERS - 1),
            plan=st.sampled_from(PLANS[:2]),
            undo=st.booleans(),
        )
        def recreate(self, user: int, plan: str, undo: bool) -> None:
            """Replace the user's active cluster on a plan, then maybe try to restore the
            old one -- the sequence that makes the partial unique rule bite."""
            old = self._active(user, plan)
            for cid in old:
                self.d.k8s_cluster_service.soft_delete(cid, self.user_ids[user])
                self.clusters[cid].deleted = True
            self.create_cluster(user, plan)
            if undo and old:
                self._restore(old[0], user)

        @precondition(lambda self: any(not c.deleted for c in self.clusters.values()))
        @rule(data=st.data(), actor=st.integers(0, USERS - 1))
        def soft_delete(self, data: st.DataObject, actor: int) -> None:
            cid = self._pick(data, deleted=False)
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

        @precondition(lambda self: any(c.deleted for c in self.clusters.values()))
        @rule(data=st.data(), actor=st.integers(0, USERS - 1))
        def restore(self, data: st.DataObject, actor: int) -> None:
            cid = self._pick(data, deleted=True)
            if cid is not None:
                self._restore(cid, actor)

        def _restore(self, cid: int, actor: int) -> None:
            c = self.clusters[cid]
            svc = self.d.k8s_cluster_service
            if c.owner != actor or not c.deleted:
                with pytest.raises(NotFound):
                    svc.restore(cid, self.user_ids[actor])
            elif self.tombstoned[c.owner]:
                # tombstone_guards_restore: a tombstone's rows stay deleted (23503)
                with pytest.raises(ForeignKeyViolationError, match="stay deleted"):
                    svc.restore(cid, self.user_ids[actor])
            elif c.plan is not None and self._active(c.owner, c.plan):
                with pytest.raises(RestoreConflict) as err:
                    svc.restore(cid, self.user_ids[actor])
                assert err.value.active.id in self._active(c.owner, c.plan)
            else:
                row = svc.restore(cid, self.user_ids[actor])
                assert row.deleted_at is None
                c.deleted = False

        def _subscription(self, user: int) -> dict[str, Any]:
            return {
                "auth_user_id": self.user_ids[user],
                "stripe_subscription_id": f"sub_{self.subscriptions}",
                "stripe_current_period_end": dt.datetime.now() + dt.timedelta(days=30),
            }

        @rule(user=st.integers(0, USERS - 1))
        def start_subscription(self, user: int) -> None:
            if not self.exists[user]:
                return
            if self.tombstoned[user]:
                with pytest.raises(ForeignKeyViolationError):
                    self.d.customer.insert(self._subscription(user))
                return
            row = self.d.customer.insert(self._subscription(user))
            self.subscriptions += 1
            self.billing.setdefault(user, []).append(row.id)

        @rule(user=st.integers(0, USERS - 1))
        def end_subscriptions(self, user: int) -> None:
            for cid in self.billing.pop(user, []):
                self.d.customer.update(cid, {"stripe_current_period_end": dt.datetime(2000, 1, 1)})

        @rule(now=st.integers(0, 4))
        def purge(self, now: int) -> None:
            if now:  # retention runs rarely; otherwise there is little left to restore
                return
            purged = self.d.k8s_cluster_service.purge(dt.datetime.now() + dt.timedelta(days=1))
            gone = [cid for cid, c in self.clusters.items() if c.deleted]
            assert purged == len(gone)
            for cid in gone:
                del self.clusters[cid]

        @rule(user=st.integers(0, USERS - 1))
        def delete_user(self, user: int) -> None:
            svc = self.d.user_deletion_service
            if not self.exists[user]:
                with pytest.raises(NotFound):
                    svc.delete_user(self.user_ids[user])
                return
            if self.billing.get(user):
                with pytest.raises(OutstandingBilling):
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
            if self.billing.get(user):
                with pytest.raises(OutstandingBilling):
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
            for i, uid in enumerate(self.user_ids):
                summary = self.d.user_deletion_service.get_user_summary(uid)
                assert (summary is not None) == self.exists[i]
                if summary is not None:
                    assert summary.customer_billing == len(self.billing.get(i, []))

    try:
        run_state_machine_as_test(
            Services,
            settings=settings(max_examples=25, stateful_step_count=20, deadline=None),
        )
    finally:
        conn.close()
