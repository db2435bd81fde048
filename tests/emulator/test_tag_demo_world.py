"""The tag-governance scenario (``tag_demo``): what the demo's service principal may do, messy
tags, the ReadOnly lock, the special resource types, and cost data left unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.locks import ManagementLockClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import arm_kwargs, customer_credential, user_credential


@pytest.fixture(scope="module")
def demo() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=1, size="small", tag_demo=True) as running:
        yield running


def _merge(client: ResourceManagementClient, scope: str, tags: dict[str, str]) -> dict[str, str]:
    return dict(client.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": tags}}).result().properties.tags)


def test_the_demo_principal_writes_tags_on_one_subscription_only(demo: RunningEmulator) -> None:
    fx = demo.fixtures
    writeback, read_only = fx["tag_writeback_subscription_id"], fx["customer_sp_subscription_id"]
    assert writeback != read_only
    subs = SubscriptionClient(customer_credential(demo), **arm_kwargs(demo))
    try:
        assert {s.subscription_id for s in subs.subscriptions.list()} == {writeback, read_only}
    finally:
        subs.close()
    client = ResourceManagementClient(customer_credential(demo), writeback, **arm_kwargs(demo))
    try:
        target = next(r for r in client.resources.list() if r.id.lower() not in fx["locked_resource_group_id"].lower()
                      and r.type == "Microsoft.Compute/virtualMachines")
        assert _merge(client, target.id, {"Reviewed": "yes"})["Reviewed"] == "yes"
    finally:
        client.close()
    other = ResourceManagementClient(customer_credential(demo), read_only, **arm_kwargs(demo))
    try:
        with pytest.raises(HttpResponseError) as err:
            _merge(other, f"/subscriptions/{read_only}", {"a": "b"})
        assert err.value.status_code == 403 and "Microsoft.Resources/tags/write" in err.value.error.message
    finally:
        other.close()


def test_messy_tags_and_the_read_only_lock(demo: RunningEmulator) -> None:
    fx = demo.fixtures
    sid = fx["tag_writeback_subscription_id"]
    sub = demo.world.subscription(sid)
    assert sub is not None
    tagged = [r for g in sub.resource_groups.values() for r in g.resources.values() if r.tags]
    spellings = {k for r in tagged for k in r.tags or {} if k.lower() == "env"}
    assert {"env", "Env", "ENV"} <= spellings
    assert any(not any(k.lower() == "costcenter" for k in r.tags or {}) for r in tagged)
    client = ResourceManagementClient(customer_credential(demo), sid, **arm_kwargs(demo))
    locks = ManagementLockClient(customer_credential(demo), sid, **arm_kwargs(demo))
    try:
        env = next(d for d in client.tags.list() if d.tag_name.lower() == "env")
        assert env.count.value == sum(1 for r in tagged if any(k.lower() == "env" for k in r.tags or {})) + sum(
            1 for g in sub.resource_groups.values() if any(k.lower() == "env" for k in g.tags)) + (
            1 if any(k.lower() == "env" for k in sub.tags) else 0)
        listed = list(locks.management_locks.list_at_subscription_level())
        assert [(lk.id, lk.level) for lk in listed] == [(fx["lock_id"], "ReadOnly")]
        with pytest.raises(HttpResponseError) as err:
            _merge(client, fx["locked_resource_id"], {"CostCenter": "CC-1"})
        assert err.value.status_code == 409 and err.value.error.code == "ScopeLocked"
        assert f"following scope(s) are locked: '{fx['locked_resource_group_id']}'" in err.value.error.message
    finally:
        client.close()
        locks.close()


def test_special_resource_types(demo: RunningEmulator) -> None:
    fx = demo.fixtures
    client = ResourceManagementClient(customer_credential(demo), fx["tag_writeback_subscription_id"], **arm_kwargs(demo))
    try:
        hub = fx["lowercase_tags_resource_id"]
        assert _merge(client, hub, {"CostCenter": "CC-1", "Env": "Prod"}) == {"env": "Prod", "owner": "mobile team", "costcenter": "CC-1"}
        assert client.resources.get_by_id(hub, api_version="2023-09-01").tags["costcenter"] == "CC-1"
        with pytest.raises(HttpResponseError) as err:
            _merge(client, fx["subnet_resource_id"], {"a": "b"})
        assert err.value.status_code == 400
    finally:
        client.close()


def test_cost_data_is_the_same_with_the_scenario(demo: RunningEmulator) -> None:
    month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y%m")
    with RunningEmulator(seed=1, size="small") as plain:
        accounts = [a["id"] for a in plain.control.get("/costs/accounts").json()["value"]]
        assert accounts
        for account in accounts:
            params = {"billing_account": account, "period": month}
            want = plain.control.get("/costs/totals", params=params).json()
            got = demo.control.get("/costs/totals", params=params).json()
            assert (got["rows"], got["total"]) == (want["rows"], want["total"]), account


def test_the_bench_world_gives_the_demo_principal_every_subscription(monkeypatch: pytest.MonkeyPatch) -> None:
    """The "bench" size (all subscriptions in the primary tenant), scaled down for the test."""
    from azure_emulator.services.authorization import rbac
    from azure_emulator.world import generate_arm
    from azure_emulator.world.generate import generate_world

    monkeypatch.setitem(generate_arm.SIZES, "bench", (14, 0, 700))
    world = generate_world(3, "bench", tag_demo=True)
    fx = world.fixtures
    tenant = world.tenants[fx["primary_tenant_id"].lower()]
    assert len(tenant.subscriptions) == 14
    assert sum(len(s.subscriptions) for s in world.tenants.values()) == 14
    sp = SimpleNamespace(object_id=fx["customer_sp_object_id"], tenant_id=tenant.tenant_id, upn=None)
    visible = rbac.subscriptions_with_access(world, sp)
    assert visible is not None and visible == {s.lower() for s in tenant.subscriptions}
    writeback = fx["tag_writeback_subscription_ids"].split()
    assert len(writeback) == 10
    for sid in tenant.subscriptions:
        allowed = rbac.is_authorized(world, sp, "Microsoft.Resources/tags/write", f"/subscriptions/{sid}")
        assert allowed == (sid in writeback)


def test_locks_and_policy_denials_survive_a_world_file() -> None:
    from azure_emulator.world.generate import generate_world
    from azure_emulator.world.io import world_from_dict, world_to_dict
    from azure_emulator.world.model import PolicyDenial

    world = generate_world(1, "small", tag_demo=True)
    world.policy_denials.append(PolicyDenial(scope="/subscriptions/x", assignment_name="deny-1", require_tag="CostCenter"))
    data = world_to_dict(world)
    again = world_from_dict(data)
    assert world_to_dict(again) == data
    assert [lk.id for lk in again.locks.values()] == [world.fixtures["lock_id"]]
    assert again.policy_denials[0].require_tag == "CostCenter"


def test_a_resource_put_with_tags_is_lower_cased_by_that_provider(demo: RunningEmulator) -> None:
    fx = demo.fixtures  # the owner: Tag Contributor may not PUT a resource
    client = ResourceManagementClient(user_credential(demo), fx["tag_writeback_subscription_id"], **arm_kwargs(demo))
    try:
        hub = fx["lowercase_tags_resource_id"]
        res = client.resources.get_by_id(hub, api_version="2023-09-01")
        res.tags = {"Team": "Mobile"}
        updated = client.resources.begin_create_or_update_by_id(hub, res, api_version="2023-09-01").result()
        assert updated.tags == {"team": "Mobile"}
    finally:
        client.close()


def test_the_demo_principal_reads_the_mca_billing_account(demo: RunningEmulator) -> None:
    """The demo's principal holds Billing account reader on the MCA billing account, so the
    service-principal (Vantage) flow can be tried in the demo (the plain world leaves it out:
    tests/emulator/test_billing_sdk.py)."""
    from azure.mgmt.billing import BillingManagementClient

    fx = demo.fixtures
    kwargs = arm_kwargs(demo)
    kwargs.pop("polling_interval")
    client = BillingManagementClient(customer_credential(demo), fx["owned_subscription_id"], **kwargs)  # type: ignore[arg-type]
    try:
        names = {a.name for a in client.billing_accounts.list()}
        assert {fx["ea_enrollment_number"], fx["mca_billing_account_id"]} <= names
        profiles = list(client.billing_profiles.list_by_billing_account(fx["mca_billing_account_id"]))
        assert [p.name for p in profiles] == [fx["mca_billing_profile_id"]]
    finally:
        client.close()
