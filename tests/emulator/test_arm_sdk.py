"""ARM through the official clients, unchanged: subscriptions, groups, resources, tags, LRO."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.core.polling.arm_polling import ARMPolling
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import (  # noqa: F401  (_close_sdk_clients is an autouse fixture)
    _close_sdk_clients,
    arm_kwargs,
    skytally_credential,
    track,
    user_credential,
)


@pytest.fixture
def owner_subs(emulator: RunningEmulator) -> SubscriptionClient:
    return track(SubscriptionClient(user_credential(emulator), **arm_kwargs(emulator)))


def _rm(emu: RunningEmulator, sub: str, cred: object | None = None) -> ResourceManagementClient:
    return track(ResourceManagementClient(cred or user_credential(emu), sub, **arm_kwargs(emu)))


def test_subscriptions_list_shows_what_the_owner_can_see(emulator: RunningEmulator, owner_subs: SubscriptionClient, fx: dict[str, str]) -> None:
    listed = {s.subscription_id: s for s in owner_subs.subscriptions.list()}
    for sid in fx["owned_subscription_ids"].split():
        assert sid in listed
    assert fx["not_owned_subscription_id"] in listed  # Reader there: visible, not owned
    for sid in fx["second_owner_subscription_ids"].split():
        assert sid not in listed  # other tenant
    sub = listed[fx["owned_subscription_id"]]
    assert sub.state == "Enabled" and sub.tenant_id == fx["primary_tenant_id"]
    assert sub.subscription_policies.quota_id == "EnterpriseAgreement_2014-09-01"
    got = owner_subs.subscriptions.get(fx["owned_subscription_id"])
    assert got.display_name == sub.display_name
    tenants = list(owner_subs.tenants.list())
    assert [t.tenant_id for t in tenants] == [fx["primary_tenant_id"]]
    assert "contoso.com" in tenants[0].domains


def test_service_principal_without_role_sees_nothing(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = track(SubscriptionClient(skytally_credential(emulator), **arm_kwargs(emulator)))
    assert list(client.subscriptions.list()) == []
    with pytest.raises(HttpResponseError) as err:
        client.subscriptions.get(fx["owned_subscription_id"])
    assert err.value.status_code == 403
    assert err.value.error.code == "AuthorizationFailed"
    assert "'Microsoft.Resources/subscriptions/read'" in err.value.error.message


def test_resource_groups_and_resources_page_with_next_link(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    client = _rm(emulator, sid)
    sub = emulator.world.subscription(sid)
    groups = list(client.resource_groups.list(top=3))
    assert len(groups) == len(sub.resource_groups) > 3
    expected = sum(len(g.resources) for g in sub.resource_groups.values())
    resources = list(client.resources.list(top=25))
    assert len(resources) == expected > 25
    assert len({r.id for r in resources}) == expected
    vms = list(client.resources.list(filter="resourceType eq 'microsoft.compute/virtualMachines'"))
    assert vms and all(r.type == "Microsoft.Compute/virtualMachines" for r in vms)
    rg_name = fx["owned_resource_group_id"].rsplit("/", 1)[1]
    in_group = list(client.resources.list_by_resource_group(rg_name, top=2))
    assert len(in_group) == len(sub.resource_groups[rg_name.lower()].resources)
    assert client.resource_groups.get(rg_name).name == rg_name
    assert client.resource_groups.check_existence(rg_name) is True
    assert client.resource_groups.check_existence("no-such-group") is False


def test_tag_filter_hides_tags_like_arm(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    res = emulator.world.subscription(fx["owned_subscription_id"])
    tagged = next(r for g in res.resource_groups.values() for r in g.resources.values() if r.tags)
    name, value = next(iter(tagged.tags.items()))
    found = list(client.resources.list(filter=f"tagName eq '{name}' and tagValue eq '{value}'"))
    assert tagged.id in {r.id for r in found}
    assert all(r.tags is None for r in found)


def test_get_by_id_checks_the_provider_api_version(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    vm = client.resources.get_by_id(fx["vm_resource_id"], api_version="2024-07-01")
    assert vm.type == "Microsoft.Compute/virtualMachines"
    assert vm.properties["hardwareProfile"]["vmSize"].startswith("Standard_")
    with pytest.raises(HttpResponseError) as err:
        client.resources.get_by_id(fx["vm_resource_id"], api_version="1999-01-01")
    assert err.value.error.code == "NoRegisteredProviderFound"
    with pytest.raises(ResourceNotFoundError):
        client.resources.get_by_id(fx["vm_resource_id"] + "zzz", api_version="2024-07-01")


def test_tags_at_scope_merge_replace_delete(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    scope = fx["storage_account_id"]
    client.tags.begin_create_or_update_at_scope(scope, {"properties": {"tags": {"env": "prod", "team": "a"}}}).result()
    merged = client.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {"ENV": "test", "cc": "CC-1"}}}).result()
    # names are case-insensitive; the name keeps the casing it was first written with
    assert merged.properties.tags == {"env": "test", "team": "a", "cc": "CC-1"}
    deleted = client.tags.begin_update_at_scope(scope, {"operation": "Delete", "properties": {"tags": {"team": ""}}}).result()
    assert deleted.properties.tags == {"env": "test", "cc": "CC-1"}
    replaced = client.tags.begin_update_at_scope(scope, {"operation": "Replace", "properties": {"tags": {"only": "one"}}}).result()
    assert replaced.properties.tags == {"only": "one"}
    assert client.tags.get_at_scope(scope).properties.tags == {"only": "one"}
    client.tags.begin_delete_at_scope(scope).result()
    assert client.tags.get_at_scope(scope).properties.tags == {}
    sub_scope = f"/subscriptions/{fx['owned_subscription_id']}"
    client.tags.begin_update_at_scope(sub_scope, {"operation": "Merge", "properties": {"tags": {"billing": "central"}}}).result()
    assert client.tags.get_at_scope(sub_scope).properties.tags["billing"] == "central"


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({"bad/name": "x"}, "InvalidTagNameCharacters"),
        ({"a<b": "x"}, "InvalidTagNameCharacters"),
        ({"n" * 129: "x"}, "InvalidTagNameLength"),  # storage accounts: 128
        ({"k": "v" * 257}, "InvalidTagValueLength"),
        ({f"k{i}": "v" for i in range(51)}, "InvalidTagsCount"),
        ({"Env": "a", "env": "b"}, "InvalidTagNameCaseDuplicate"),
    ],
)
def test_tag_rules_are_enforced_before_writing(emulator: RunningEmulator, fx: dict[str, str], tags: dict[str, str], code: str) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    scope = fx["storage_account_id"]
    before = client.tags.get_at_scope(scope).properties.tags
    with pytest.raises(HttpResponseError) as err:
        client.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": tags}}).result()
    assert err.value.status_code == 400 and err.value.error.code == code
    assert client.tags.get_at_scope(scope).properties.tags == before


def test_fifteen_tag_types_and_untaggable_types(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    with pytest.raises(HttpResponseError) as err:
        client.tags.begin_update_at_scope(fx["untaggable_resource_id"], {"operation": "Merge", "properties": {"tags": {"a": "b"}}}).result()
    assert err.value.error.code == "ResourceTypeDoesNotSupportTags"
    if "automation_account_id" in fx:
        with pytest.raises(HttpResponseError) as err:
            client.tags.begin_create_or_update_at_scope(
                fx["automation_account_id"], {"properties": {"tags": {f"k{i}": "v" for i in range(16)}}}
            ).result()
        assert err.value.error.code == "InvalidTagsCount"


def test_resource_group_create_and_delete_lro(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    created = client.resource_groups.create_or_update("rg-sdk-lro", {"location": "westeurope", "tags": {"env": "test"}})
    assert created.location == "westeurope" and created.tags == {"env": "test"}
    assert client.resource_groups.create_or_update("rg-sdk-lro", {"location": "westeurope"}).name == "rg-sdk-lro"
    with pytest.raises(HttpResponseError) as err:
        client.resource_groups.create_or_update("rg-sdk-lro", {"location": "eastus"})
    assert err.value.error.code == "InvalidResourceGroupLocation"
    waits: list[float] = []

    class RecordingPolling(ARMPolling):
        """Azure's polling, recording what the service asked it to wait instead of sleeping."""

        def _sleep(self, delay: float) -> None:
            waits.append(delay)

    client.resource_groups.begin_delete("rg-sdk-lro", polling=RecordingPolling()).result()
    # Azure answers 202 with Retry-After: 15 several times before the delete is done
    assert waits == [15, 15, 15]
    assert client.resource_groups.check_existence("rg-sdk-lro") is False
    with pytest.raises(ResourceNotFoundError) as nf:
        client.resource_groups.get("rg-sdk-lro")
    assert nf.value.error.code == "ResourceGroupNotFound"


def test_providers_where_the_sdk_needs_them(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _rm(emulator, fx["owned_subscription_id"])
    compute = client.providers.get("Microsoft.Compute")
    assert compute.registration_state == "Registered"
    vm_type = next(t for t in compute.resource_types if t.resource_type == "virtualMachines")
    assert "2024-07-01" in vm_type.api_versions
    assert any(p.namespace == "Microsoft.Storage" for p in client.providers.list())
