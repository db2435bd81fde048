"""Write-back through the real SDK path against the emulator: Merge for sets, Delete for
removals, never Replace; conflicts when Azure changed a key since the sync; a ReadOnly lock
and a policy denial fail their change with Azure's reason while the push goes on; a deleted
resource fails with that reason; a dropped answer is re-read, not repeated; a push killed
between a casing change's Delete and Merge (or after a write, before recording it) resumes
to the end state with nothing written twice; a missing role degrades the subscription."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from azure_emulator.world import builtin_roles
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from inventory import support
from skytally.accounts import access
from skytally.accounts.models import AccessLevel, CloudSubscription
from skytally.inventory import push, service, tag_service
from skytally.inventory.pacing import Pacer
from skytally.inventory.tag_models import InventoryTag, TagAudit, TagWrite
from skytally.inventory.tag_schemas import EditOp, Resolution, TagEdit
from skytally.inventory.writeback import Pusher


def _writeback(s: Setup) -> tuple[int, str, list[Any]]:
    """The customer's SP with Reader + Tag Contributor; level tags-writeback; synced."""
    sub = s.fx["customer_sp_subscription_id"]
    account_id = s.connect_sp(s.fx["ea_enrollment_number"])
    support.grant(s.emu, sub, builtin_roles.TAG_CONTRIBUTOR)
    with s.rt.db.session() as session:
        access.change_access(session, s.env, None, account_id, sub, AccessLevel.TAGS_WRITEBACK)
    taggable = [r for r in support.resources_of(s.emu, sub) if r.tags is not None]
    return account_id, sub, taggable


def _edit(s: Setup, op: EditOp, where: str, key: str, **kw: Any) -> None:
    with s.rt.db.session() as session:
        tag_service.edit(session, None, TagEdit(op=op, where=where, key=key, **kw), dry_run=False)


def _rows(s: Setup, resource_id: str) -> dict[str, tuple[str | None, str]]:
    with s.rt.db.session() as session:
        from skytally.inventory.models import InventoryResource
        pk = session.scalar(select(InventoryResource.id).where(InventoryResource.resource_id == resource_id.lower()))
        return {t.local_key: (t.local_value, t.state) for t in session.scalars(
            select(InventoryTag).where(InventoryTag.resource_pk == pk))}


def _id(r: Any) -> str:
    return f"id={r.id.lower()}"


def test_push_merge_delete_conflict_lock_policy_gone(setup: Setup) -> None:  # noqa: F811
    world = setup.emu
    account_id, _sub, res = _writeback(setup)
    a, b, c, d, e, f, g = res[:7]
    for r, tags in ((a, {"env": "prod"}), (b, {"Env": "dev", "team": "x"}), (c, {"env": "prod", "old": "1"}),
                    (d, {}), (e, {}), (f, {}), (g, {})):
        support.set_tags(world, r, tags)
    service.sync_account(setup.rt.db, setup.env, account_id)
    _edit(setup, EditOp.CANONICALISE, "", "env", new_key="env")  # b: Env → env (Delete then Merge)
    for r in (a, c, d, e, f, g):
        _edit(setup, EditOp.SET, _id(r), "CostCenter", value="cc-1")
    _edit(setup, EditOp.SET, _id(a), "env", value="test")
    _edit(setup, EditOp.REMOVE, _id(c), "old")
    support.set_tags(world, a, {"env": "staging"})  # someone changed a's env in Azure meanwhile
    world.control.post("/locks", json={"scope": e.id, "name": "freeze", "level": "ReadOnly"})
    world.control.post("/policy-denials", json={"scope": f.id, "assignment_name": "deny-1",
                                              "assignment_display_name": "No tag edits"})
    support.delete_resource(world, g.id)
    world.control.delete("/tag-writes")
    try:
        result = push.push_account(setup.rt.db, setup.env, account_id, pushed_by="ann@example.com")
    finally:
        world.control.delete("/locks")
        world.control.delete("/policy-denials")
    assert result["conflicts"] == 1 and result["failed"] == 3, result
    assert support.azure_tags(world, a.id) == {"env": "staging", "CostCenter": "cc-1"}  # costcenter written
    assert _rows(setup, a.id)["env"] == ("test", "conflict")
    assert support.azure_tags(world, b.id) == {"team": "x", "env": "dev"}
    assert support.tag_writes(world, b.id) == [("Delete", {"Env": "dev"}), ("Merge", {"env": "dev"})]
    assert support.azure_tags(world, c.id) == {"env": "prod", "CostCenter": "cc-1"}
    assert support.tag_writes(world, c.id) == [("Delete", {"old": "1"}), ("Merge", {"CostCenter": "cc-1"})]
    assert support.azure_tags(world, d.id) == {"CostCenter": "cc-1"}
    assert support.azure_tags(world, e.id) == {} and support.azure_tags(world, f.id) == {}
    with setup.rt.db.session() as session:
        rows = {t.resource_pk: t for t in session.scalars(select(InventoryTag).where(InventoryTag.state == "failed"))}
        reasons = sorted(t.reason for t in rows.values())
    assert any("409 ScopeLocked" in r for r in reasons), reasons
    assert any("403 RequestDisallowedByPolicy" in r and "No tag edits" in r for r in reasons), reasons
    assert any("no longer exists in Azure" in r for r in reasons), reasons
    all_writes = world.control.get("/tag-writes").json()["value"]
    assert all(w["operation"] in ("Merge", "Delete") for w in all_writes)  # never Replace
    with setup.rt.db.session() as session:
        audit = list(session.scalars(select(TagAudit).where(TagAudit.action == "push")))
        assert {(x.result, x.pushed_by) for x in audit} >= {("applied", "ann@example.com"), ("failed", "ann@example.com"),
                                                            ("conflict", "ann@example.com")}
        # keep mine: pushed next time
        tag_service.resolve(session, None, Resolution.KEEP_MINE, _id(a))
    again = push.push_account(setup.rt.db, setup.env, account_id)
    assert support.azure_tags(world, a.id)["env"] == "test" and again["applied"] >= 1


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs in this process."""


def _pusher(s: Setup, account_id: int, sub: str, kill_at: tuple[str, str] | None = None) -> Pusher:
    with s.rt.db.session() as session:
        from skytally.accounts import service as accounts
        from skytally.accounts.models import CloudAccount
        account = session.get(CloudAccount, account_id)
        assert account is not None
        credential = accounts.app_credential(session, s.env, account)
    client = s.env.connector.resources(credential, sub)

    class Dying(Pusher):
        def _send(self, scope: str, operation: str, payload: dict[str, str]) -> None:
            if kill_at == (operation, "before"):
                raise Killed()
            super()._send(scope, operation, payload)
            if kill_at == (operation, "after"):
                raise Killed()

    return Dying(s.rt.db, client, account_id, sub, "test", None, Pacer())


@pytest.mark.parametrize("kill_at", [("Delete", "after"), ("Merge", "before"), ("Merge", "after")])
def test_killed_push_resumes_with_nothing_written_twice(setup: Setup, kill_at: tuple[str, str]) -> None:  # noqa: F811
    world = setup.emu
    account_id, sub, res = _writeback(setup)
    r = res[0]
    support.set_tags(world, r, {"ENV": "prod", "keep": "1"})
    service.sync_account(setup.rt.db, setup.env, account_id)
    _edit(setup, EditOp.CANONICALISE, "", "env", new_key="env")
    world.control.delete("/tag-writes")
    from skytally.inventory.models import InventoryResource
    with setup.rt.db.session() as session:
        pk = session.scalar(select(InventoryResource.id).where(InventoryResource.resource_id == r.id.lower()))
    assert pk is not None
    with pytest.raises(Killed):
        _pusher(setup, account_id, sub, kill_at).push_resource(pk)
    with setup.rt.db.session() as session:
        assert [w.status for w in session.scalars(select(TagWrite))][-1] == "intent"  # left open by the kill
    _pusher(setup, account_id, sub).push_resource(pk)  # the restarted push
    assert support.azure_tags(world, r.id) == {"keep": "1", "env": "prod"}
    assert support.tag_writes(world, r.id) == [("Delete", {"ENV": "prod"}), ("Merge", {"env": "prod"})]
    assert _rows(setup, r.id) == {"env": ("prod", "in_sync"), "keep": ("1", "in_sync")}
    with setup.rt.db.session() as session:
        assert {w.status for w in session.scalars(select(TagWrite))} <= {"applied", "not_applied"}


def test_dropped_answer_is_reread_not_repeated_and_missing_role_degrades(setup: Setup) -> None:  # noqa: F811
    world = setup.emu
    account_id, sub, res = _writeback(setup)
    r, other = res[0], res[1]
    support.set_tags(world, r, {})
    service.sync_account(setup.rt.db, setup.env, account_id)
    _edit(setup, EditOp.SET, _id(r), "owner", value="ann")
    world.control.delete("/tag-writes")
    world.control.post("/faults", json={"rules": [{"path": "tags/default", "method": "PATCH", "rates": {"drop": 1},
                                                 "count": 1}]})
    try:
        result = push.push_account(setup.rt.db, setup.env, account_id)
    finally:
        world.control.delete("/faults")
    assert result["applied"] == 1 and result["failed"] == 0, str(result)
    assert support.tag_writes(world, r.id) == [("Merge", {"owner": "ann"})]
    # the Tag Contributor role is removed in Azure: the push stops and says why
    w = world.world
    assert w is not None
    for name, ra in list(w.role_assignments.items()):
        if ra.role_definition_id == builtin_roles.TAG_CONTRIBUTOR and ra.scope == f"/subscriptions/{sub}":
            support.remove_role(world, name)
    _edit(setup, EditOp.SET, _id(other), "owner", value="bob")
    result = push.push_account(setup.rt.db, setup.env, account_id)
    assert result["subscriptions"][sub]["stopped"]
    with setup.rt.db.session() as session:
        row = session.scalars(select(CloudSubscription).where(CloudSubscription.subscription_id == sub)).one()
        assert "AuthorizationFailed" in row.access_degraded and "Tag Contributor" in row.access_degraded
    assert _rows(setup, other.id)["owner"] == ("bob", "pending")  # not lost: pushed once the role is back


def test_push_bookkeeping_is_batched_not_two_transactions_per_resource(setup: Setup) -> None:  # noqa: F811
    """Forty threads each committing a journal entry and an outcome per resource queued on
    SQLite's single writer (the push ran at 3x ARM's write-limit floor): a batch of
    resources is journalled in one transaction and closed in another."""
    from sqlalchemy import event

    account_id, sub, _res = _writeback(setup)
    service.sync_account(setup.rt.db, setup.env, account_id)
    _edit(setup, EditOp.SET, f"subscription={sub},taggable", "batched", value="yes")
    commits: list[int] = []

    def count(_conn: object) -> None:
        commits.append(1)

    event.listen(setup.rt.db.engine, "commit", count)
    try:
        result = push.push_account(setup.rt.db, setup.env, account_id)
    finally:
        event.remove(setup.rt.db.engine, "commit", count)
    assert result["applied"] >= 20 and result["failed"] == 0, result
    assert len(commits) <= result["resources"] / 2, (len(commits), result["resources"])


def test_failures_group_by_reason_class_not_by_resource(setup: Setup) -> None:  # noqa: F811
    """Azure's reason quotes the resource's id: three locked resources were three distinct
    reasons. Each failure keeps Azure's words (detail) and a class naming no resource."""
    world = setup.emu
    account_id, _sub, res = _writeback(setup)
    locked, denied = res[:3], res[3]
    service.sync_account(setup.rt.db, setup.env, account_id)
    for r in (*locked, denied):
        _edit(setup, EditOp.SET, _id(r), "grouped", value="1")
    for r in locked:
        world.control.post("/locks", json={"scope": r.id, "name": "freeze", "level": "ReadOnly"})
    world.control.post("/policy-denials", json={"scope": denied.id, "assignment_name": "deny-1",
                                              "assignment_display_name": "No tag edits"})
    try:
        result = push.push_account(setup.rt.db, setup.env, account_id)
    finally:
        world.control.delete("/locks")
        world.control.delete("/policy-denials")
    locked_class = ("409 ScopeLocked: a ReadOnly lock on the resource, its group or its subscription refuses "
                    "tag writes")
    policy_class = "403 RequestDisallowedByPolicy: an Azure Policy assignment denies the tag write"
    assert result["subscriptions"][_sub]["reasons"] == {locked_class: 3, policy_class: 1}, result
    with setup.rt.db.session() as session:
        groups = tag_service.failure_groups(session, None)
        assert [(g.reason_class, g.changes, g.resources) for g in groups] == [(locked_class, 3, 3), (policy_class, 1, 1)]
        assert "ScopeLocked" in groups[0].example and "/subscriptions/" in groups[0].example  # Azure's words
        rows = tag_service.tag_rows(session, None, reason_class=locked_class)
        assert sorted(r.resource_id for r in rows) == sorted(r.id.lower() for r in locked)
        assert len({r.tag.reason for r in rows}) == 3 and {r.tag.reason_class for r in rows} == {locked_class}
        audit = list(session.scalars(select(TagAudit).where(TagAudit.result == "failed")))
        assert {a.reason_class for a in audit} == {locked_class, policy_class}


def test_a_respelled_key_says_so_in_the_audit(setup: Setup) -> None:  # noqa: F811
    """Canonicalising ENV → env keeps the value: the audit entries (queued and applied) say the
    key's old spelling instead of reading "env: prod → prod"."""
    world = setup.emu
    account_id, _sub, res = _writeback(setup)
    r = res[0]
    support.set_tags(world, r, {"ENV": "prod"})
    service.sync_account(setup.rt.db, setup.env, account_id)
    _edit(setup, EditOp.CANONICALISE, _id(r), "env", new_key="env")
    result = push.push_account(setup.rt.db, setup.env, account_id)
    assert result["applied"] == 1, result
    assert support.azure_tags(world, r.id) == {"env": "prod"}
    with setup.rt.db.session() as session:
        entries = list(session.scalars(select(TagAudit).where(TagAudit.resource_id.ilike(r.id)).order_by(TagAudit.id)))
    assert [(a.action, a.result, a.key, a.before, a.after, a.reason) for a in entries] == [
        ("canonicalise", "queued", "env", "prod", "prod", "key spelled ENV before"),
        ("push", "applied", "env", "prod", "prod", "key spelled ENV before"),
    ]


def test_a_push_holds_at_most_its_share_of_the_connection_pool(setup: Setup) -> None:  # noqa: F811
    """Batch threads past the pool's 15 connections waited on SQLAlchemy's 30 s deadline and
    failed whole batches when the worker was slow: a push holds at most SESSIONS_AT_ONCE
    connections whatever its batch parallelism, and still applies everything."""
    import threading

    from sqlalchemy import event

    from skytally.inventory import writeback

    account_id, sub, _res = _writeback(setup)
    service.sync_account(setup.rt.db, setup.env, account_id)
    _edit(setup, EditOp.SET, f"subscription={sub},taggable", "pooled", value="yes")
    lock, out, peak = threading.Lock(), [0], [0]

    def checkout(*_a: object) -> None:
        with lock:
            out[0] += 1
            peak[0] = max(peak[0], out[0])

    def checkin(*_a: object) -> None:
        with lock:
            out[0] -= 1

    event.listen(setup.rt.db.engine, "checkout", checkout)
    event.listen(setup.rt.db.engine, "checkin", checkin)
    try:
        result = push.push_account(setup.rt.db, setup.env, account_id, per_subscription=16, batch_size=1)
    finally:
        event.remove(setup.rt.db.engine, "checkout", checkout)
        event.remove(setup.rt.db.engine, "checkin", checkin)
    assert result["applied"] >= 20 and result["failed"] == 0, result
    assert peak[0] <= writeback.SESSIONS_AT_ONCE, peak[0]
