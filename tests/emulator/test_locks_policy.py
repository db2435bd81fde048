"""Management locks (ManagementLockClient), ScopeLocked on tag writes, configurable policy
denial, write throttling per subscription × principal, responses dropped after the write."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.mgmt.resource.locks import ManagementLockClient
from azure.mgmt.resource.resources import ResourceManagementClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import arm_kwargs, customer_credential, user_credential


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=6, size="small") as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(emu: RunningEmulator) -> Iterator[None]:
    yield
    emu.control.delete("/locks")
    emu.control.delete("/policy-denials")
    emu.control.delete("/faults")
    emu.control.post("/throttle", json={"writes": {"capacity": 200, "refill_per_second": 10}})


@pytest.fixture(scope="module")
def rm(emu: RunningEmulator) -> Iterator[ResourceManagementClient]:
    client = ResourceManagementClient(user_credential(emu), emu.fixtures["owned_subscription_id"], **arm_kwargs(emu))
    yield client
    client.close()


@pytest.fixture(scope="module")
def locks(emu: RunningEmulator) -> Iterator[ManagementLockClient]:
    client = ManagementLockClient(user_credential(emu), emu.fixtures["owned_subscription_id"], **arm_kwargs(emu))
    yield client
    client.close()


def _merge(rm: ResourceManagementClient, scope: str, tags: dict[str, str]) -> dict[str, str]:
    return dict(rm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": tags}}).result().properties.tags)


def _rg_name(emu: RunningEmulator) -> str:
    return emu.fixtures["owned_resource_group_id"].rsplit("/", 1)[-1]


def test_lock_crud_at_every_level(emu: RunningEmulator, locks: ManagementLockClient) -> None:
    fx = emu.fixtures
    sid = fx["owned_subscription_id"]
    sub_lock = locks.management_locks.create_or_update_at_subscription_level("no-delete", {"level": "CanNotDelete", "notes": "prod"})
    assert sub_lock.id == f"/subscriptions/{sid}/providers/Microsoft.Authorization/locks/no-delete"
    assert sub_lock.level == "CanNotDelete" and sub_lock.notes == "prod" and sub_lock.type == "Microsoft.Authorization/locks"
    rg_lock = locks.management_locks.create_or_update_at_resource_group_level(_rg_name(emu), "ro", {"level": "ReadOnly"})
    assert rg_lock.id.lower() == f"{fx['owned_resource_group_id']}/providers/Microsoft.Authorization/locks/ro".lower()
    vm = fx["vm_resource_id"]
    parts = vm.split("/")
    res_lock = locks.management_locks.create_or_update_at_resource_level(
        parts[4], parts[6], "", parts[7], parts[8], "vm-lock", {"level": "CanNotDelete"})
    assert res_lock.id == f"{vm}/providers/Microsoft.Authorization/locks/vm-lock"
    assert locks.management_locks.get_by_scope(vm, "vm-lock").level == "CanNotDelete"
    assert {lk.name for lk in locks.management_locks.list_at_subscription_level()} == {"no-delete", "ro", "vm-lock"}
    assert {lk.name for lk in locks.management_locks.list_by_scope(vm)} == {"no-delete", "ro", "vm-lock"}
    assert {lk.name for lk in locks.management_locks.list_at_resource_group_level(_rg_name(emu), filter="atScope()")} == {"no-delete", "ro"}
    updated = locks.management_locks.create_or_update_at_subscription_level("no-delete", {"level": "ReadOnly"})
    assert updated.level == "ReadOnly"
    locks.management_locks.delete_at_subscription_level("no-delete")
    with pytest.raises(HttpResponseError) as err:
        locks.management_locks.get_at_subscription_level("no-delete")
    assert err.value.status_code == 404
    with pytest.raises(HttpResponseError) as err:
        locks.management_locks.create_or_update_at_subscription_level("bad", {"level": "Frozen"})
    assert err.value.status_code == 400


def test_tag_write_under_a_read_only_lock_is_scope_locked(emu: RunningEmulator, rm: ResourceManagementClient, locks: ManagementLockClient) -> None:
    fx = emu.fixtures
    vm = fx["vm_resource_id"]
    before = dict(rm.tags.get_at_scope(vm).properties.tags)
    rg_lock = locks.management_locks.create_or_update_at_resource_group_level(_rg_name(emu), "freeze", {"level": "ReadOnly"})
    rg_scope = rg_lock.id.split("/providers/Microsoft.Authorization")[0]
    for op in ("Merge", "Delete", "Replace"):
        with pytest.raises(HttpResponseError) as err:
            rm.tags.begin_update_at_scope(vm, {"operation": op, "properties": {"tags": {"env": "x"}}}).result()
        assert err.value.status_code == 409 and err.value.error.code == "ScopeLocked"
        assert err.value.error.message == (
            f"The scope '{vm}/providers/Microsoft.Resources/tags/default' cannot perform write operation because "
            f"following scope(s) are locked: '{rg_scope}'. Please remove the lock and try again.")
    assert dict(rm.tags.get_at_scope(vm).properties.tags) == before  # reads still work, nothing written
    # A lock on the subscription covers its groups; CanNotDelete still lets tags change.
    locks.management_locks.delete_at_resource_group_level(_rg_name(emu), "freeze")
    locks.management_locks.create_or_update_at_subscription_level("keep", {"level": "CanNotDelete"})
    assert _merge(rm, vm, {"locked": "no"})["locked"] == "no"
    with pytest.raises(HttpResponseError) as err:
        rm.resource_groups.begin_delete(_rg_name(emu)).result()
    assert err.value.error.code == "ScopeLocked" and "cannot perform delete operation" in err.value.error.message


def test_deleting_a_group_with_a_locked_resource_is_refused(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    vm = emu.fixtures["vm_resource_id"]
    emu.control.post("/locks", json={"scope": vm, "name": "pin", "level": "CanNotDelete"})
    with pytest.raises(HttpResponseError) as err:
        rm.resource_groups.begin_delete(vm.split("/")[4]).result()
    assert err.value.status_code == 409 and f"'{vm}'" in err.value.error.message
    assert rm.resource_groups.check_existence(vm.split("/")[4])


def test_locks_need_owner_rights(emu: RunningEmulator) -> None:
    fx = emu.fixtures
    client = ManagementLockClient(customer_credential(emu), fx["customer_sp_subscription_id"], **arm_kwargs(emu))
    try:
        assert list(client.management_locks.list_at_subscription_level()) == []  # Reader may read
        with pytest.raises(HttpResponseError) as err:
            client.management_locks.create_or_update_at_subscription_level("x", {"level": "ReadOnly"})
        assert err.value.status_code == 403 and "Microsoft.Authorization/locks/write" in err.value.error.message
    finally:
        client.close()


def test_policy_denial_names_the_assignment(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    fx = emu.fixtures
    sid = fx["owned_subscription_id"]
    vm = fx["vm_resource_id"]
    denial = {"scope": f"/subscriptions/{sid}", "assignment_name": "a1b2c3", "assignment_display_name": "Require CostCenter",
              "definition_display_name": "Require a tag on resources", "require_tag": "CostCenter"}
    listed = emu.control.post("/policy-denials", json=denial).json()["value"]
    assert listed[0]["assignment_id"] == f"/subscriptions/{sid}/providers/Microsoft.Authorization/policyAssignments/a1b2c3"
    rm.tags.begin_create_or_update_at_scope(vm, {"properties": {"tags": {"costcenter": "CC-1"}}}).result()  # carries it
    with pytest.raises(HttpResponseError) as err:
        rm.tags.begin_update_at_scope(vm, {"operation": "Delete", "properties": {"tags": {"CostCenter": ""}}}).result()
    assert err.value.status_code == 403 and err.value.error.code == "RequestDisallowedByPolicy"
    name = vm.rsplit("/", 1)[-1]
    assert err.value.error.message.startswith(f"Resource '{name}' was disallowed by policy. Policy identifiers: '[")
    assert '"policyAssignment":{"name":"Require CostCenter","id":"' + listed[0]["assignment_id"] + '"}' in err.value.error.message
    assert err.value.error.additional_info[0].type == "PolicyViolation"
    assert dict(rm.tags.get_at_scope(vm).properties.tags) == {"costcenter": "CC-1"}
    # ARM lists the assignment at its scope and below, not elsewhere
    token = {"Authorization": f"Bearer {emu.user_token(fx['owner_upn'], fx['owner_password'])}"}
    with emu.client() as http:
        below = http.get(f"{emu.arm_url}{vm}/providers/Microsoft.Authorization/policyAssignments",
                         params={"api-version": "2023-04-01"}, headers=token).json()["value"]
        other = http.get(f"{emu.arm_url}/subscriptions/00000000-0000-0000-0000-000000000000"
                         "/providers/Microsoft.Authorization/policyAssignments",
                         params={"api-version": "2023-04-01"}, headers=token).json()["value"]
    assert [(a["id"], a["type"], a["properties"]["displayName"]) for a in below] == [
        (listed[0]["assignment_id"], "Microsoft.Authorization/policyAssignments", "Require CostCenter")]
    assert other == []
    emu.control.delete("/policy-denials", params={"assignment_name": "a1b2c3"})
    rm.tags.begin_update_at_scope(vm, {"operation": "Delete", "properties": {"tags": {"CostCenter": ""}}}).result()


def test_writes_are_throttled_per_subscription_and_principal(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    fx = emu.fixtures
    emu.control.post("/throttle", json={"writes": {"capacity": 3, "refill_per_second": 0.01}})
    token = emu.user_token(fx["owner_upn"], fx["owner_password"])
    path = f"{fx['vm_resource_id']}/providers/Microsoft.Resources/tags/default"
    body = {"operation": "Merge", "properties": {"tags": {"n": "1"}}}
    remaining = []
    with httpx.Client(verify=emu.ssl_context, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(3):
            resp = http.patch(f"{emu.arm_url}{path}", params={"api-version": "2025-04-01"}, json=body)
            assert resp.status_code == 200
            remaining.append(int(resp.headers["x-ms-ratelimit-remaining-subscription-writes"]))
        throttled = http.patch(f"{emu.arm_url}{path}", params={"api-version": "2025-04-01"}, json=body)
        reads = http.get(f"{emu.arm_url}{path}", params={"api-version": "2025-04-01"})
    assert remaining == [2, 1, 0]
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert reads.status_code == 200  # reads have their own bucket
    co_token = emu.user_token(fx["co_owner_upn"], fx["co_owner_password"])
    with httpx.Client(verify=emu.ssl_context, headers={"Authorization": f"Bearer {co_token}"}) as other:
        shared = f"/subscriptions/{fx['shared_subscription_id']}/providers/Microsoft.Resources/tags/default"
        assert other.patch(f"{emu.arm_url}{shared}", params={"api-version": "2025-04-01"}, json=body).status_code == 200


def test_a_dropped_response_keeps_the_write(emu: RunningEmulator) -> None:
    fx = emu.fixtures
    vm = fx["vm_resource_id"]
    emu.control.delete("/tag-writes")
    emu.control.delete("/requests")
    emu.control.post("/faults", json={"rules": [{"path": "tags/default", "method": "PATCH", "rates": {"drop": 1}, "count": 1}]})
    client = ResourceManagementClient(user_credential(emu), fx["owned_subscription_id"], retry_total=0, **arm_kwargs(emu))
    try:
        with pytest.raises((ServiceResponseError, ServiceRequestError, HttpResponseError)):
            client.tags.begin_update_at_scope(vm, {"operation": "Merge", "properties": {"tags": {"dropped": "yes"}}}).result()
        assert client.tags.get_at_scope(vm).properties.tags["dropped"] == "yes"  # Azure kept it
    finally:
        client.close()
    writes = emu.control.get("/tag-writes", params={"scope_contains": vm.rsplit("/", 1)[-1]}).json()["value"]
    assert [(w["operation"], w["tags"]) for w in writes] == [("Merge", {"dropped": "yes"})]
    logged = emu.control.get("/requests", params={"path_contains": "tags/default", "method": "PATCH"}).json()["value"]
    assert [(e["status"], e["fault"]) for e in logged] == [(200, "drop")]
    assert emu.control.get("/requests", params={"fault": "drop", "count": "true"}).json() == {"count": 1}


def test_a_held_then_dropped_response_is_a_client_timeout(emu: RunningEmulator) -> None:
    fx = emu.fixtures
    vm = fx["vm_resource_id"]
    emu.control.delete("/tag-writes")
    emu.control.post("/faults", json={"rules": [{"path": "tags/default", "method": "PATCH", "rates": {"drop": 1}, "count": 1,
                                                 "drop_after_seconds": 1.5}]})
    token = emu.user_token(fx["owner_upn"], fx["owner_password"])
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(verify=emu.ssl_context, headers=headers, timeout=0.5) as http, pytest.raises(httpx.ReadTimeout):
        http.patch(f"{emu.arm_url}{vm}/providers/Microsoft.Resources/tags/default", params={"api-version": "2025-04-01"},
                   json={"operation": "Merge", "properties": {"tags": {"timed": "out"}}})
    writes = emu.control.get("/tag-writes").json()["value"]
    assert [w["tags"] for w in writes] == [{"timed": "out"}]  # applied before the answer was held
