"""Tags at every scope and predefined tag names through the official SDK (TagsOperations)
and Resource Graph: casing rules, tagNames counts, the ResourceContainers table."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest

from azure_emulator.testing import RunningEmulator
from azure_emulator.world.model import Subscription

from ._arm_clients import arm_kwargs, user_credential


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=5, size="small") as running:
        yield running


@pytest.fixture(scope="module")
def rm(emu: RunningEmulator) -> Iterator[ResourceManagementClient]:
    client = ResourceManagementClient(user_credential(emu), emu.fixtures["owned_subscription_id"], **arm_kwargs(emu))
    yield client
    client.close()


def _arm(emu: RunningEmulator) -> httpx.Client:
    fx = emu.fixtures
    token = emu.user_token(fx["owner_upn"], fx["owner_password"])
    return httpx.Client(verify=emu.ssl_context, base_url=emu.arm_url, headers={"Authorization": f"Bearer {token}"},
                        params={"api-version": "2025-04-01"})


def _expected_counts(sub: Subscription) -> dict[str, tuple[int, dict[str, int]]]:
    """Independent count: entities carrying each name (case-insensitive), per value (case-sensitive)."""
    out: dict[str, tuple[int, dict[str, int]]] = {}
    holders = [sub.tags] + [g.tags for g in sub.resource_groups.values()]
    holders += [r.tags for g in sub.resource_groups.values() for r in g.resources.values() if r.tags]
    for tags in holders:
        for name, value in tags.items():
            total, values = out.get(name.lower(), (0, {}))
            values[value] = values.get(value, 0) + 1
            out[name.lower()] = (total + 1, values)
    return out


def test_merge_keeps_the_first_casing_and_delete_then_merge_changes_it(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    scope = emu.fixtures["untagged_resource_id"]
    rm.tags.begin_create_or_update_at_scope(scope, {"properties": {"tags": {"Env": "prod"}}}).result()
    merged = rm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {"ENV": "Prod", "team": "a"}}}).result()
    assert merged.properties.tags == {"Env": "Prod", "team": "a"}  # old casing kept, new value (case-sensitive)
    kept = rm.tags.begin_update_at_scope(scope, {"operation": "Delete", "properties": {"tags": {"env": "prod"}}}).result()
    assert kept.properties.tags == {"Env": "Prod", "team": "a"}  # value compared case-sensitively: nothing deleted
    rm.tags.begin_update_at_scope(scope, {"operation": "Delete", "properties": {"tags": {"ENV": ""}}}).result()
    renamed = rm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {"env": "Prod"}}}).result()
    assert renamed.properties.tags == {"team": "a", "env": "Prod"}
    assert emu.world.subscription(emu.fixtures["owned_subscription_id"]) is not None


def test_subscription_and_group_tags_reach_resource_containers(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    fx = emu.fixtures
    sid = fx["owned_subscription_id"]
    rm.tags.begin_update_at_scope(f"/subscriptions/{sid}", {"operation": "Merge", "properties": {"tags": {"Owner": "finops"}}}).result()
    rg_id = fx["owned_resource_group_id"]
    rm.tags.begin_update_at_scope(rg_id, {"operation": "Merge", "properties": {"tags": {"CostCenter": "CC-7"}}}).result()
    graph = ResourceGraphClient(user_credential(emu), **arm_kwargs(emu))
    try:
        query = "ResourceContainers | project id, type, tags, subscriptionId"
        rows = graph.resources(QueryRequest(subscriptions=[sid], query=query)).data
    finally:
        graph.close()
    by_id = {r["id"].lower(): r for r in rows}
    assert by_id[f"/subscriptions/{sid}"]["type"] == "microsoft.resources/subscriptions"
    assert by_id[f"/subscriptions/{sid}"]["tags"]["Owner"] == "finops"
    assert by_id[rg_id.lower()]["type"] == "microsoft.resources/subscriptions/resourcegroups"
    rg_tags = {k.lower(): v for k, v in by_id[rg_id.lower()]["tags"].items()}  # the group may spell it costCenter
    assert rg_tags["costcenter"] == "CC-7"
    sub = emu.world.subscription(sid)
    assert sub is not None
    assert len(rows) == 1 + len(sub.resource_groups)


def test_tag_names_list_counts_every_scope(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    sub = emu.world.subscription(emu.fixtures["owned_subscription_id"])
    assert sub is not None
    listed = {d.tag_name.lower(): d for d in rm.tags.list()}
    expected = _expected_counts(sub)
    assert set(listed) == set(expected)
    for key, (total, values) in expected.items():
        details = listed[key]
        assert details.count.type == "Total" and details.count.value == total, key
        assert {v.tag_value: v.count.value for v in details["values"]} == values, key
        assert details.id == f"/subscriptions/{sub.subscription_id}/tagNames/{details.tag_name}"
    casings = {name for g in sub.resource_groups.values() for r in g.resources.values() if r.tags for name in r.tags
               if name.lower() == "env"}
    assert len(casings) >= 2  # the world's messy casing (env / Env / ENV) is grouped into one name


def test_predefined_names_and_values(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    created = rm.tags.create_or_update("Department")
    assert created.tag_name == "Department" and created.count.value == 0 and created["values"] == []
    with _arm(emu) as http:
        path = f"/subscriptions/{emu.fixtures['owned_subscription_id']}/tagNames"
        assert http.put(f"{path}/department").status_code == 200  # exists (case-insensitive)
        assert http.put(f"{path}/Team2").status_code == 201
        assert http.delete(f"{path}/Team2").status_code == 200
        assert http.delete(f"{path}/Team2").status_code == 204
        assert http.put(f"{path}/Department/tagValues/Finance").status_code == 201
        assert http.put(f"{path}/Department/tagValues/Finance").status_code == 200
    value = rm.tags.create_or_update_value("Department", "Legal")
    assert value.tag_value == "Legal" and value.count.value == 0
    listed = {d.tag_name: d for d in rm.tags.list()}
    assert [v.tag_value for v in listed["Department"]["values"]] == ["Finance", "Legal"]
    for bad in ("microsoftOwner", "Azure-env", "windowsVersion", "cost&center", "a<b"):
        with pytest.raises(HttpResponseError) as err:
            rm.tags.create_or_update(bad)
        assert err.value.status_code == 400
    with pytest.raises(HttpResponseError) as err:
        rm.tags.delete("Department")  # values still predefined
    assert err.value.status_code == 409
    rm.tags.delete_value("Department", "Finance")
    rm.tags.delete_value("Department", "Legal")
    rm.tags.delete("Department")
    assert "Department" not in {d.tag_name for d in rm.tags.list()}


def test_a_name_in_use_cannot_be_deleted(emu: RunningEmulator, rm: ResourceManagementClient) -> None:
    scope = emu.fixtures["vm_resource_id"]
    rm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {"Project": "apollo"}}}).result()
    with pytest.raises(HttpResponseError) as err:
        rm.tags.delete_value("project", "apollo")
    assert err.value.status_code == 409
    with pytest.raises(HttpResponseError) as err:
        rm.tags.delete("PROJECT")
    assert err.value.status_code == 409


def test_tag_names_need_a_tags_role(emu: RunningEmulator) -> None:
    fx = emu.fixtures
    from ._arm_clients import customer_credential

    client = ResourceManagementClient(customer_credential(emu), fx["customer_sp_subscription_id"], **arm_kwargs(emu))
    try:
        assert list(client.tags.list())  # Reader can read tags
        with pytest.raises(HttpResponseError) as err:
            client.tags.create_or_update("Department")
        assert err.value.status_code == 403 and err.value.error.code == "AuthorizationFailed"
    finally:
        client.close()
