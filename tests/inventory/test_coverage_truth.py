"""Tag coverage counts what Azure has: a wanted value that is only pending, or whose push
failed (a ReadOnly lock), is shown apart and not counted; once pushed, it counts."""

from __future__ import annotations

from typing import Any

from azure_emulator.world import builtin_roles
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from inventory import support
from skytally.accounts import access
from skytally.accounts.models import AccessLevel
from skytally.inventory import coverage, push, service, tag_service
from skytally.inventory.tag_schemas import EditOp, TagEdit


def _key(s: Setup, key: str) -> Any:
    with s.rt.db.session() as session:
        out = coverage.coverage(session, None)
    return next((k for k in out.keys if k.key.lower() == key), None), out


def test_coverage_counts_azure_and_shows_pending_and_failed_apart(setup: Setup) -> None:  # noqa: F811
    world = setup.emu
    sub = setup.fx["customer_sp_subscription_id"]
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    support.grant(world, sub, builtin_roles.TAG_CONTRIBUTOR)
    with setup.rt.db.session() as session:
        access.change_access(session, setup.env, None, account_id, sub, AccessLevel.TAGS_WRITEBACK)
    a, b, c = [r for r in support.resources_of(world, sub) if r.tags is not None][:3]
    for r in (a, b, c):
        support.set_tags(world, r, {"env": "prod"})
    service.sync_account(setup.rt.db, setup.env, account_id)
    before, _ = _key(setup, "finopsowner")
    assert before is None
    with setup.rt.db.session() as session:
        for r in (a, b):
            tag_service.edit(session, None, TagEdit(op=EditOp.SET, where=f"id={r.id.lower()}", key="FinOpsOwner",
                                                    value="cc-1"), dry_run=False)
    pending, out = _key(setup, "finopsowner")
    assert (pending.resources, pending.pending, pending.failed, pending.top_values) == (0, 2, 0, [])
    env, _ = _key(setup, "env")
    assert env.resources >= 3 and env.pending == 0

    world.control.post("/locks", json={"scope": b.id, "name": "freeze", "level": "ReadOnly"})
    try:
        result = push.push_account(setup.rt.db, setup.env, account_id, pushed_by="ann@example.com")
    finally:
        world.control.delete("/locks")
    assert result["failed"] == 1, result
    cc, out = _key(setup, "finopsowner")
    # a's push applied: Azure has it, it counts; b's failed: Azure does not, shown apart
    assert (cc.resources, cc.pending, cc.failed) == (1, 0, 1)
    assert cc.top_values == [("cc-1", 1)] and cc.variants == {"FinOpsOwner": 1}
    assert cc.share == 1 / out.taggable
