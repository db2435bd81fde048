"""Conformance: emulator responses against Microsoft's examples and swagger schemas.

For every operation served (Microsoft.Resources subscriptions 2022-12-01, resources/tags
2025-04-01, Microsoft.Authorization 2022-04-01 / 2015-07-01, Microsoft.ResourceGraph
2024-04-01): the example's field names, nesting and JSON types must appear in our body, and
our body must validate against the swagger definition of the response.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles as roles

from ._swagger import SPECS, Swagger, load, shape_errors

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"Microsoft reference specs not found at {SPECS}")

SUBS = "Microsoft.Resources/subscriptions/stable/2022-12-01/subscriptions.json"
RES = "Microsoft.Resources/resources/stable/2025-04-01/resources.json"
RA = "Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json"
ARG = "Microsoft.ResourceGraph/stable/2024-04-01/resourcegraph.json"
EX_RES = "Microsoft.Resources/resources/examples/2025-04-01/"
EX_RA = "Microsoft.Authorization/stable/2022-04-01/examples/"
EX_ARG = "Microsoft.ResourceGraph/stable/2024-04-01/examples/"
EX_LOCKS = "Microsoft.Authorization/locks/stable/2020-05-01/examples/"


class Arm:
    def __init__(self, emu: RunningEmulator, token: str) -> None:
        self.emu = emu
        self.http = httpx.Client(verify=emu.ca_bundle, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, version: str, body: Any = None) -> httpx.Response:
        sep = "&" if "?" in path else "?"
        return self.http.request(method, f"{self.emu.arm_url}{path}{sep}api-version={version}", json=body)


@pytest.fixture(scope="module")
def arm(emulator: RunningEmulator) -> Iterator[Arm]:
    fx = emulator.fixtures
    client = Arm(emulator, emulator.user_token(fx["owner_upn"], fx["owner_password"]))
    yield client
    client.http.close()


def check(spec: str, definition: str, body: Any, example: str | None = None, status: str = "200") -> None:
    errors = Swagger(load(spec)).validate(body, definition)
    if example is not None:
        errors += shape_errors(load(example)["responses"][status]["body"], body)
    assert not errors, "\n".join(errors)


def test_subscriptions_and_tenants(arm: Arm, fx: dict[str, str]) -> None:
    body = arm.call("GET", "/subscriptions", "2022-12-01").json()
    # Azure sends the total next to the page, though the 2022-12-01 spec does not declare it
    assert body.pop("count") == {"type": "Total", "value": len(body["value"])}
    check(SUBS, "SubscriptionListResult", body, "Microsoft.Resources/subscriptions/examples/2022-12-01/GetSubscriptions.json")
    tagged = next(s for s in body["value"] if "tags" in s)  # the example carries tags
    check(SUBS, "Subscription", tagged)
    body = arm.call("GET", "/tenants", "2022-12-01").json()
    example = load("Microsoft.Resources/subscriptions/examples/2022-12-01/GetTenants.json")["responses"]["200"]["body"]
    example["value"] = [{k: v for k, v in t.items() if k != "tenantBrandingLogoUrl"} for t in example["value"]]
    assert not shape_errors(example, body)  # single page: no nextLink, as ARM does on the last page
    check(SUBS, "TenantListResult", body)
    check(SUBS, "Subscription", arm.call("GET", f"/subscriptions/{fx['owned_subscription_id']}", "2022-12-01").json())


def test_resource_groups_and_resources(arm: Arm, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    body = arm.call("GET", f"/subscriptions/{sid}/resourcegroups?$top=2", "2025-04-01").json()
    check(RES, "ResourceGroupListResult", body)
    assert body["nextLink"].startswith(arm.emu.arm_url + f"/subscriptions/{sid}/resourcegroups?")
    check(RES, "ResourceGroup", arm.call("GET", fx["owned_resource_group_id"], "2025-04-01").json())
    body = arm.call("GET", f"/subscriptions/{sid}/resources?$top=10&$expand=createdTime,changedTime", "2025-04-01").json()
    check(RES, "ResourceListResult", body)
    assert "nextLink" in body and all("createdTime" in r for r in body["value"])
    check(RES, "GenericResource", arm.call("GET", fx["vm_resource_id"], "2024-07-01").json())
    check(RES, "Provider", arm.call("GET", f"/subscriptions/{sid}/providers/Microsoft.Compute", "2025-04-01").json())
    check(RES, "ProviderListResult", arm.call("GET", f"/subscriptions/{sid}/providers", "2025-04-01").json())


def test_tags_at_scope(arm: Arm, fx: dict[str, str]) -> None:
    scope = fx["tagged_resource_id"]
    path = f"{scope}/providers/Microsoft.Resources/tags/default"
    put = load(EX_RES + "PutTagsResource.json")["parameters"]["parameters"]
    resp = arm.call("PUT", path, "2025-04-01", put)
    assert resp.status_code == 200
    check(RES, "TagsResource", resp.json(), EX_RES + "PutTagsResource.json")
    assert resp.json()["properties"]["tags"] == put["properties"]["tags"]
    patch = load(EX_RES + "PatchTagsResource.json")["parameters"]["parameters"]
    check(RES, "TagsResource", arm.call("PATCH", path, "2025-04-01", patch).json(), EX_RES + "PatchTagsResource.json")
    check(RES, "TagsResource", arm.call("GET", path, "2025-04-01").json(), EX_RES + "GetTagsResource.json")
    resp = arm.call("DELETE", path, "2025-04-01")
    assert resp.status_code == 200 and resp.content == b""
    sub_path = f"/subscriptions/{fx['owned_subscription_id']}/providers/Microsoft.Resources/tags/default"
    patch = load(EX_RES + "PatchTagsSubscription.json")["parameters"]["parameters"]
    check(RES, "TagsResource", arm.call("PATCH", sub_path, "2025-04-01", patch).json(), EX_RES + "PatchTagsSubscription.json")
    check(RES, "TagsResource", arm.call("GET", sub_path, "2025-04-01").json(), EX_RES + "GetTagsSubscription.json")



def test_tag_names(arm: Arm, fx: dict[str, str]) -> None:
    base = f"/subscriptions/{fx['owned_subscription_id']}/tagNames"
    resp = arm.call("PUT", f"{base}/ConformanceDept", "2025-04-01")
    assert resp.status_code == 201
    check(RES, "TagDetails", resp.json())
    resp = arm.call("PUT", f"{base}/ConformanceDept/tagValues/Finance", "2025-04-01")
    assert resp.status_code == 201
    check(RES, "TagValue", resp.json())
    body = arm.call("GET", base, "2025-04-01").json()
    check(RES, "TagsListResult", body)
    assert any(d["tagName"] == "ConformanceDept" for d in body["value"])
    assert arm.call("DELETE", f"{base}/ConformanceDept/tagValues/Finance", "2025-04-01").status_code == 200
    assert arm.call("DELETE", f"{base}/ConformanceDept", "2025-04-01").status_code == 200


def test_management_locks(arm: Arm, fx: dict[str, str]) -> None:
    """Locks 2020-05-01: the examples' shapes (locks.json itself is summarised in NOTES-locks-policy.md)."""
    scope = fx["owned_resource_group_id"]
    put = load(EX_LOCKS + "ManagementLocks_CreateOrUpdateAtResourceLevel.json")["parameters"]["parameters"]
    resp = arm.call("PUT", f"{scope}/providers/Microsoft.Authorization/locks/conformance", "2020-05-01", put)
    assert resp.status_code == 201
    assert not shape_errors(load(EX_LOCKS + "ManagementLocks_CreateOrUpdateAtResourceLevel.json")["responses"]["201"]["body"], resp.json())
    assert arm.call("PUT", f"{scope}/providers/Microsoft.Authorization/locks/conformance", "2020-05-01", put).status_code == 200
    got = arm.call("GET", f"{scope}/providers/Microsoft.Authorization/locks/conformance", "2020-05-01").json()
    assert not shape_errors(load(EX_LOCKS + "ManagementLocks_GetAtScope.json")["responses"]["200"]["body"], got)
    listed = arm.call("GET", f"/subscriptions/{fx['owned_subscription_id']}/providers/Microsoft.Authorization/locks", "2020-05-01").json()
    assert not shape_errors(load(EX_LOCKS + "ManagementLocks_ListAtSubscriptionLevel.json")["responses"]["200"]["body"], listed)
    assert arm.call("DELETE", f"{scope}/providers/Microsoft.Authorization/locks/conformance", "2020-05-01").status_code == 200
    assert arm.call("DELETE", f"{scope}/providers/Microsoft.Authorization/locks/conformance", "2020-05-01").status_code == 204

def test_role_assignments(arm: Arm, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    name = str(uuid.uuid4())
    path = f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleAssignments/{name}"
    req = {"properties": {
        "roleDefinitionId": f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions/{roles.READER}",
        "principalId": fx["skytally_sp_object_id"], "principalType": "ServicePrincipal"}}
    resp = arm.call("PUT", path, "2022-04-01", req)
    assert resp.status_code == 201
    check(RA, "RoleAssignment", resp.json(), EX_RA + "RoleAssignments_CreateForSubscription.json", "201")
    again = arm.call("PUT", path, "2022-04-01", req)
    assert again.status_code == 200
    check(RA, "RoleAssignment", again.json(), EX_RA + "RoleAssignments_CreateForSubscription.json", "200")
    check(RA, "RoleAssignment", arm.call("GET", path, "2022-04-01").json())
    listed = arm.call("GET", f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleAssignments", "2022-04-01").json()
    check(RA, "RoleAssignmentListResult", listed, EX_RA + "RoleAssignments_ListForScope.json")
    deleted = arm.call("DELETE", path, "2022-04-01")
    assert deleted.status_code == 200
    check(RA, "RoleAssignment", deleted.json(), EX_RA + "RoleAssignments_Delete.json")
    assert arm.call("DELETE", path, "2022-04-01").status_code == 204


def test_role_definitions_and_permissions(arm: Arm, fx: dict[str, str]) -> None:
    sid = fx["owned_subscription_id"]
    body = arm.call("GET", f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions/{roles.OWNER}", "2022-04-01").json()
    assert not shape_errors(load(EX_RA + "GetRoleDefinitionById.json")["responses"]["200"]["body"], body)
    rg = fx["owned_resource_group_id"]
    body = arm.call("GET", f"{rg}/providers/Microsoft.Authorization/permissions", "2015-07-01").json()
    example = load("Microsoft.Authorization/stable/2015-07-01/examples/GetPermissions.json")["responses"]["200"]["body"]
    example.pop("nextLink")
    assert not shape_errors(example, body)
    assert body["value"][0]["actions"] == ["*"]
    body = arm.call("GET", f"/subscriptions/{sid}/providers/Microsoft.Authorization/permissions", "2022-04-01").json()
    assert set(body["value"][0]) == {"actions", "notActions", "dataActions", "notDataActions"}


def test_resource_graph_pages(arm: Arm, fx: dict[str, str]) -> None:
    arm.emu.world.arg_quota = 0
    try:
        sid = fx["owned_subscription_id"]
        url = "/providers/Microsoft.ResourceGraph/resources"
        basic = load(EX_ARG + "ResourcesBasicQuery.json")["parameters"]["query"]
        basic["subscriptions"] = [sid]
        check(ARG, "QueryResponse", arm.call("POST", url, "2024-04-01", basic).json(), EX_ARG + "ResourcesBasicQuery.json")
        first = load(EX_ARG + "ResourcesFirstPageQuery.json")["parameters"]["query"]
        first.update(subscriptions=[sid], query="Resources | where name contains 'vm' | project id, name, type, location")
        page1 = arm.call("POST", url, "2024-04-01", first).json()
        check(ARG, "QueryResponse", page1, EX_ARG + "ResourcesFirstPageQuery.json")
        nxt = {"subscriptions": [sid], "query": first["query"], "options": {"$skipToken": page1["$skipToken"]}}
        page2 = arm.call("POST", url, "2024-04-01", nxt).json()
        check(ARG, "QueryResponse", page2)
        assert page2["data"][0]["id"] != page1["data"][0]["id"]
    finally:
        arm.emu.world.arg_quota = 15


def test_error_envelopes(arm: Arm, fx: dict[str, str]) -> None:
    resp = arm.call("GET", f"/subscriptions/{fx['owned_subscription_id']}/resourcegroups/nope", "2025-04-01")
    assert resp.status_code == 404
    check(RES, "CloudError", resp.json())
    assert set(resp.json()["error"]) == {"code", "message"}
    resp = arm.http.get(f"{arm.emu.arm_url}/subscriptions")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "MissingApiVersionParameter"
    arm.emu.world.arg_quota = 0
    try:
        resp = arm.call("POST", "/providers/Microsoft.ResourceGraph/resources", "2024-04-01", {"query": "Resources | join (Resources) on id"})
    finally:
        arm.emu.world.arg_quota = 15
    assert resp.status_code == 400
    check(ARG, "ErrorResponse", resp.json())
    assert resp.json()["error"]["details"][0]["code"] == "InvalidQuery"
