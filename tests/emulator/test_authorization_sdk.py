"""Authorization through azure-mgmt-authorization, and RBAC enforced on ARM calls."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles as roles

from ._arm_clients import (  # noqa: F401  (_close_sdk_clients is an autouse fixture)
    _close_sdk_clients,
    arm_kwargs,
    customer_credential,
    skytally_credential,
    track,
    user_credential,
)


def _auth(emu: RunningEmulator, sid: str, cred: object | None = None) -> AuthorizationManagementClient:
    return track(AuthorizationManagementClient(cred or user_credential(emu), sid, **arm_kwargs(emu)))


def _assign(client: AuthorizationManagementClient, scope: str, role: str, principal: str, kind: str) -> str:
    name = str(uuid.uuid4())
    sid = scope.split("/")[2]
    client.role_assignments.create(scope, name, {
        "role_definition_id": f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "principal_id": principal, "principal_type": kind,
    })
    return name


@pytest.fixture
def delay_zero(emulator: RunningEmulator) -> Iterator[None]:
    yield
    emulator.world.role_propagation_delay = timedelta(0)


def test_role_definitions_carry_real_ids_and_actions(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    client = _auth(emulator, sid)
    scope = f"/subscriptions/{sid}"
    readers = list(client.role_definitions.list(scope, filter="roleName eq 'Reader'"))
    assert [r.name for r in readers] == [roles.READER]
    assert readers[0].permissions[0].actions == ["*/read"]
    tag = client.role_definitions.get(scope, roles.TAG_CONTRIBUTOR)
    assert tag.role_name == "Tag Contributor" and "Microsoft.Resources/tags/*" in tag.permissions[0].actions
    by_id = client.role_definitions.get_by_id(f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{roles.OWNER}")
    assert by_id.role_name == "Owner"
    names = {r.role_name for r in client.role_definitions.list(scope)}
    assert {"Owner", "Contributor", "Reader", "User Access Administrator", "Billing Reader", "Cost Management Reader"} <= names
    assert "EnrollmentReader" not in names  # billing roles live on billing scopes


def test_role_assignment_lifecycle(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    client = _auth(emulator, sid)
    scope = f"/subscriptions/{sid}"
    sp = fx["skytally_sp_object_id"]
    name = _assign(client, scope, roles.READER, sp, "ServicePrincipal")
    got = client.role_assignments.get(scope, name)
    assert got.principal_id == sp and got.principal_type == "ServicePrincipal" and got.scope == scope
    assert got.created_by == fx["owner_object_id"] and got.created_on is not None
    listed = list(client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{sp}'"))
    assert [a.name for a in listed] == [name]
    with pytest.raises(HttpResponseError) as dup:
        _assign(client, scope, roles.READER, sp, "ServicePrincipal")
    assert dup.value.status_code == 409 and dup.value.error.code == "RoleAssignmentExists"
    deleted = client.role_assignments.delete(scope, name)
    assert deleted.name == name
    assert client.role_assignments.delete(scope, name) is None  # 204
    assert list(client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{sp}'")) == []


def test_principal_must_exist_in_the_tenant(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    client = _auth(emulator, sid)
    with pytest.raises(HttpResponseError) as err:
        _assign(client, f"/subscriptions/{sid}", roles.READER, str(uuid.uuid4()), "ServicePrincipal")
    assert err.value.status_code == 400 and err.value.error.code == "PrincipalNotFound"
    with pytest.raises(HttpResponseError) as err:
        _assign(client, f"/subscriptions/{sid}", roles.READER, fx["skytally_sp_object_id"], "User")
    assert err.value.error.code == "UnmatchedPrincipalType"


def test_reader_may_not_assign_roles_or_write_tags(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    sid = fx["customer_sp_subscription_id"]
    cred = customer_credential(emulator)
    with pytest.raises(HttpResponseError) as err:
        _assign(_auth(emulator, sid, cred), f"/subscriptions/{sid}", roles.READER, fx["skytally_sp_object_id"], "ServicePrincipal")
    assert err.value.status_code == 403 and err.value.error.code == "AuthorizationFailed"
    rm = track(ResourceManagementClient(cred, sid, **arm_kwargs(emulator)))
    assert list(rm.resources.list(top=5))  # but it reads
    with pytest.raises(HttpResponseError) as err:
        rm.tags.begin_update_at_scope(fx["vm_resource_id"], {"operation": "Merge", "properties": {"tags": {"a": "b"}}}).result()
    oid = fx["customer_sp_object_id"]
    assert err.value.error.message == (
        f"The client '{oid}' with object id '{oid}' does not have authorization to perform action "
        f"'Microsoft.Resources/tags/write' over scope '{fx['vm_resource_id']}' or the scope is invalid. "
        "If access was recently granted, please refresh your credentials."
    )


def test_tag_contributor_writes_tags_and_nothing_else(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    sid = fx["shared_subscription_id"]
    owner = _auth(emulator, sid)
    name = _assign(owner, f"/subscriptions/{sid}", roles.TAG_CONTRIBUTOR, fx["skytally_sp_object_id"], "ServicePrincipal")
    try:
        rm = track(ResourceManagementClient(skytally_credential(emulator), sid, **arm_kwargs(emulator)))
        groups = list(rm.resource_groups.list())
        resources = list(rm.resources.list())
        assert groups and resources
        target = resources[0].id
        rm.tags.begin_update_at_scope(target, {"operation": "Merge", "properties": {"tags": {"skytally": "yes"}}}).result()
        assert rm.tags.get_at_scope(target).properties.tags["skytally"] == "yes"
        with pytest.raises(HttpResponseError) as err:
            rm.resource_groups.create_or_update("rg-not-allowed", {"location": "westeurope"})
        assert err.value.status_code == 403
        assert "'Microsoft.Resources/subscriptions/resourceGroups/write'" in err.value.error.message
        perms = list(_auth(emulator, sid, skytally_credential(emulator)).permissions.list_for_resource_group(groups[0].name))
        assert any("Microsoft.Resources/tags/*" in p.actions for p in perms)
    finally:
        owner.role_assignments.delete(f"/subscriptions/{sid}", name)


def test_role_assignment_takes_effect_after_propagation_delay(emulator: RunningEmulator, fx: dict[str, str], delay_zero: None) -> None:
    world = emulator.world
    world.role_propagation_delay = timedelta(minutes=2)
    sid = fx["owned_subscription_id"]
    owner = _auth(emulator, sid)
    name = _assign(owner, f"/subscriptions/{sid}", roles.READER, fx["skytally_sp_object_id"], "ServicePrincipal")
    try:
        subs = track(SubscriptionClient(skytally_credential(emulator), **arm_kwargs(emulator)))
        assert list(subs.subscriptions.list()) == []
        with pytest.raises(HttpResponseError) as err:
            subs.subscriptions.get(sid)
        assert err.value.status_code == 403
        world.clock.advance(timedelta(minutes=3))
        assert [s.subscription_id for s in subs.subscriptions.list()] == [sid]
    finally:
        owner.role_assignments.delete(f"/subscriptions/{sid}", name)


def test_resource_group_reader_sees_only_that_group(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    rg_id = fx["plain_user_resource_group_id"]
    sid = rg_id.split("/")[2]
    cred = user_credential(emulator, "plain_user_upn", "plain_user_password")
    rm = track(ResourceManagementClient(cred, sid, **arm_kwargs(emulator)))
    assert [g.id for g in rm.resource_groups.list()] == [rg_id]
    assert all(r.id.lower().startswith(rg_id.lower() + "/") for r in rm.resources.list())
    subs = track(SubscriptionClient(cred, **arm_kwargs(emulator)))
    assert [s.subscription_id for s in subs.subscriptions.list()] == [sid]


def test_other_tenant_subscription_is_refused_with_wrong_issuer(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    foreign = fx["second_owner_subscription_ids"].split()[0]
    with track(ResourceManagementClient(user_credential(emulator), foreign, **arm_kwargs(emulator))) as rm, \
            pytest.raises(HttpResponseError) as err:
        list(rm.resource_groups.list())
    assert err.value.status_code == 401 and err.value.error.code == "InvalidAuthenticationTokenTenant"
