"""Inventory sync through the real SDK path (Resource Graph over HTTPS against the
emulator) and the "resource gone" reason of untagged costs it enables.

The customer's service principal reads two of the EA enrollment's four subscriptions;
the enrollment's costs cover all four. Only the two inventoried subscriptions may have
"resource gone" rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import backend_params
from costs.ingest_support import Setup, _fresh_world, emu, month_range, rt, setup  # noqa: F401
from inventory import support
from skytally.accounts import service as accounts
from skytally.costs import CostQuery, CostStore, explore
from skytally.inventory import service
from skytally.inventory.models import InventoryResource, InventorySubscription
from skytally.jobs.models import JobRun

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


def _connect(s: Setup) -> tuple[int, list[str]]:
    """The SP gets Reader on a second subscription; connected with the EA enrollment."""
    subs = support.enrollment_subscriptions(s.emu)
    first = s.fx["customer_sp_subscription_id"]
    second = next(x for x in subs if x != first)
    support.grant_reader(s.emu, second)
    account_id = s.connect_sp(s.fx["ea_enrollment_number"])
    return account_id, [first, second]


def _stored(s: Setup, account_id: int, subscription_id: str | None = None) -> set[str]:
    with s.rt.db.session() as session:
        stmt = select(InventoryResource.resource_id).where(InventoryResource.account_id == account_id)
        if subscription_id:
            stmt = stmt.where(InventoryResource.subscription_id == subscription_id)
        return set(session.scalars(stmt))


def _arg_requests(s: Setup) -> int:
    log = s.emu.control.get("/requests", params={"path_contains": "Microsoft.ResourceGraph"}).json()
    entries = log["value"] if isinstance(log, dict) else log
    return len(entries)


def test_sync_lists_every_resource_page_by_page_and_is_idempotent(setup: Setup) -> None:  # noqa: F811
    account_id, subs = _connect(setup)
    truth = support.resource_ids(setup.emu, *subs)
    assert len(truth) > 150
    setup.emu.control.delete("/requests")
    result = service.sync_account(setup.rt.db, setup.env, account_id, page_size=40)
    assert [o.status for o in result.subscriptions] == ["ok", "ok"], result.to_dict()
    assert _stored(setup, account_id) == truth
    assert _stored(setup, account_id, subs[1]) == support.resource_ids(setup.emu, subs[1])
    pages = -(-len(truth) // 40)  # one paged query over both subscriptions
    assert _arg_requests(setup) == 1 + pages  # the containers (readable subscriptions) query, then every page
    with setup.rt.db.session() as s:
        first_seen = dict(s.execute(select(InventoryResource.resource_id, InventoryResource.first_seen)).all())
        row = s.scalars(select(InventoryResource).where(InventoryResource.resource_id == sorted(truth)[0])).one()
        assert row.subscription_id in subs and row.name and row.type.startswith("microsoft.")
        assert row.resource_group and row.location
    # the daily job: recorded, idempotent (same set, nothing added or removed, first_seen kept)
    run = support.sync_now(setup.rt)
    assert run.status == "succeeded", run.error
    assert run.result is not None and run.result["resources"] == len(truth) and not run.result["failures"]
    [acc] = run.result["accounts"]
    assert all(x["added"] == 0 and x["removed"] == 0 for x in acc["subscriptions"])
    assert _stored(setup, account_id) == truth
    with setup.rt.db.session() as s:
        synced = {x.subscription_id: x.last_sync_at for x in accounts.list_subscriptions(s, None, account_id)}
        assert set(synced) == set(subs) and all(synced.values())  # Cloud Tenant Setup's "last sync"
        assert dict(s.execute(select(InventoryResource.resource_id, InventoryResource.first_seen)).all()) == first_seen
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.kind == "inventory.sync")) == 1


def _untagged(s: Setup, period: str, resource_ids: list[str] | None = None, *, inventory: bool = True,
              old_semantics: bool = False) -> dict[str, int]:
    """Rows per reason (tag key: none, i.e. rows without any tag)."""
    start, end = month_range(period)
    filters: dict[str, list[str | None]] = {"ResourceId": list(resource_ids)} if resource_ids else {}
    q = CostQuery(billing_accounts=[s.fx["ea_enrollment_number"]], start=start, end=end, filters=filters)
    store = CostStore(s.rt.settings.cost_store_dir)
    try:
        with s.rt.db.session() as session:
            if old_semantics:  # every id not in live_ids is gone, whatever its subscription
                live = service.live_inventory(session, None)
                res = store.untagged(q, None, existing_resource_ids=live.resource_ids)
            elif inventory:
                res = explore.untagged(session, store, None, q, None)
            else:
                res = store.untagged(q, None)
    finally:
        store.close()
    return {r.reason: r.rows for x in res for r in x.reasons}


def _cost_ids(s: Setup, period: str, gone: set[str]) -> list[str]:
    """The ResourceId values (as the cost rows write them) of these resources."""
    start, end = month_range(period)
    store = CostStore(s.rt.settings.cost_store_dir)
    try:
        rows = store.query(CostQuery(billing_accounts=[s.fx["ea_enrollment_number"]], start=start, end=end,
                                     group_by=["ResourceId"])).rows
    finally:
        store.close()
    return sorted({str(r["ResourceId"]) for r in rows if r["ResourceId"] and str(r["ResourceId"]).lower() in gone})


def test_deleted_resource_is_gone_only_where_the_subscription_was_inventoried(setup: Setup) -> None:  # noqa: F811
    account_id, subs = _connect(setup)
    period = setup.previous_period()
    imported = setup.import_now(account_id, period)
    assert imported.status == "succeeded", imported.error
    never = next(x for x in support.enrollment_subscriptions(setup.emu) if x not in subs)
    assert support.sync_now(setup.rt).status == "succeeded"
    before = _untagged(setup, period)
    assert "resource_gone" not in before, before  # every cost row's resource is live

    rg_in = support.untagged_group(setup.emu, subs[0])
    rg_out = support.untagged_group(setup.emu, never)
    gone_in, gone_out = support.delete_group(setup.emu, rg_in), support.delete_group(setup.emu, rg_out)
    ids_in, ids_out = _cost_ids(setup, period, gone_in), _cost_ids(setup, period, gone_out)
    assert ids_in and ids_out
    expected = _untagged(setup, period, ids_in, inventory=False).get("no_tags", 0)
    assert expected > 0

    assert _untagged(setup, period) == before  # not synced yet: nothing changes
    run = support.sync_now(setup.rt, account_id)
    assert run.status == "succeeded", run.error
    assert run.result is not None
    removed = {x["subscription_id"]: x["removed"] for x in run.result["accounts"][0]["subscriptions"]}
    assert removed == {subs[0]: len(gone_in), subs[1]: 0}
    assert not _stored(setup, account_id) & gone_in

    after = _untagged(setup, period)
    assert after.get("resource_gone") == expected, after
    assert sum(after.values()) == sum(before.values())  # reasons move; what is untagged does not
    assert _untagged(setup, period, ids_in).get("resource_gone") == expected
    # the other subscription was never inventoried: its deleted resources keep their reasons
    out = _untagged(setup, period, ids_out)
    assert "resource_gone" not in out and out.get("no_tags", 0) > 0
    # ... which the old rule (every id not listed is gone) would have got wrong
    assert _untagged(setup, period, ids_out, old_semantics=True).get("resource_gone", 0) > 0


def test_unreadable_subscription_is_a_partial_failure_and_keeps_its_resources(setup: Setup) -> None:  # noqa: F811
    subs = support.enrollment_subscriptions(setup.emu)
    first = setup.fx["customer_sp_subscription_id"]
    second = next(x for x in subs if x != first)
    role = support.grant_reader(setup.emu, second)
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    assert support.sync_now(setup.rt).status == "succeeded"
    kept = _stored(setup, account_id, second)
    assert kept == support.resource_ids(setup.emu, second)
    with setup.rt.db.session() as s:
        synced_at = s.scalars(select(InventorySubscription.last_success_at)
                              .where(InventorySubscription.subscription_id == second)).one()

    support.remove_role(setup.emu, role)  # Resource Graph now silently leaves `second` out
    support.delete_group(setup.emu, support.untagged_group(setup.emu, first))
    run = support.sync_now(setup.rt, account_id)
    assert run.status == "partial", (run.status, run.error)
    assert run.result is not None
    [failure] = run.result["failures"]
    assert failure["subscription_id"] == second and "cannot read" in failure["message"]
    assert _stored(setup, account_id, second) == kept  # not "every resource gone"
    assert _stored(setup, account_id, first) == support.resource_ids(setup.emu, first)  # the other one synced
    with setup.rt.db.session() as s:
        states = {r.subscription_id: r for r in service.sync_states(s, None, account_id)}
    assert states[second].status == "failed" and states[second].last_success_at == synced_at
    assert states[second].resources == len(kept) and "cannot read" in states[second].message
    assert states[first].status == "ok"
    # still inventoried (with its last complete listing): its rows may still be "gone"
    with setup.rt.db.session() as s:
        assert second in service.live_inventory(s, None).subscriptions


def test_every_subscription_failing_fails_the_run_and_changes_nothing(setup: Setup) -> None:  # noqa: F811
    sub = setup.fx["customer_sp_subscription_id"]
    account_id = setup.connect_sp("")
    assert support.sync_now(setup.rt).status == "succeeded"
    kept = _stored(setup, account_id)
    assert kept == support.resource_ids(setup.emu, sub)
    world = setup.emu.world
    assert world is not None
    for name, ra in list(world.role_assignments.items()):
        if ra.principal_id == setup.fx["customer_sp_object_id"] and ra.scope.lower() == f"/subscriptions/{sub}":
            support.remove_role(setup.emu, name)
    support.delete_group(setup.emu, support.untagged_group(setup.emu, sub))
    run = support.sync_now(setup.rt, account_id)
    assert run.status == "failed" and run.error and sub in run.error, run.error
    assert _stored(setup, account_id) == kept


def test_untagged_without_any_inventory_has_no_resource_gone(setup: Setup) -> None:  # noqa: F811
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    period = setup.previous_period()
    assert setup.import_now(account_id, period).status == "succeeded"
    assert "resource_gone" not in _untagged(setup, period)
