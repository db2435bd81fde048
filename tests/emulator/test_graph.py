"""Microsoft Graph directory: shapes against the published examples, OData, paging, permissions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from azure_emulator.testing import RunningEmulator

API_REF = Path("/work/shared/azure-reference/graph/api-reference/v1.0/api")


def _example(doc: str, index: int = 0) -> dict:
    """The n-th JSON response body of a Graph API reference page."""
    text = (API_REF / doc).read_text()
    bodies = re.findall(r"HTTP/1.1 200 OK\s*\nContent-type: application/json\s*\n\s*\n(\{.*?\n\})\s*\n```", text, re.S)
    return json.loads(bodies[index])


@pytest.fixture(scope="module")
def app_headers(emulator: RunningEmulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.token('graph')}"}


def _get(http: httpx.Client, emu: RunningEmulator, path: str, headers: dict[str, str], **params: str) -> httpx.Response:
    return http.get(f"{emu.graph_url}/v1.0{path}", headers=headers, params=params)


def test_users_default_shape_matches_example(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str]) -> None:
    ref = _example("user-list.md")
    body = _get(http, emulator, "/users", app_headers).json()
    assert body["@odata.context"] == f"{emulator.graph_url}/v1.0/$metadata#users"
    assert list(body["value"][0]) == list(ref["value"][0])
    assert body["value"][0]["businessPhones"] == []


def test_groups_and_service_principals_shapes(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str]) -> None:
    group_ref = _example("group-list.md")["value"][0]
    group = _get(http, emulator, "/groups", app_headers).json()["value"][0]
    assert list(group) == list(group_ref)
    sp_ref = _example("serviceprincipal-list.md")["value"][0]
    sp = _get(http, emulator, "/servicePrincipals", app_headers).json()["value"][0]
    assert set(sp_ref) <= set(sp)
    for key, value in sp_ref.items():
        assert type(sp[key]) is type(value) or sp[key] is None or value is None, key


def test_paging_follows_nextlink_to_the_end(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    url: str | None = f"{emulator.graph_url}/v1.0/users?$top=7&$select=id,userPrincipalName"
    seen: list[str] = []
    pages = 0
    while url:
        body = http.get(url, headers=app_headers).json()
        assert body["@odata.context"].endswith("#users(id,userPrincipalName)")
        seen += [u["id"] for u in body["value"]]
        url = body.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url
        pages += 1
    tenant = emulator.world.tenants[fx["primary_tenant_id"]]
    assert len(seen) == len(set(seen)) == len(tenant.users)
    assert pages == -(-len(tenant.users) // 7)


def test_select_filter_count(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    sku = next(s for u in emulator.world.tenants[fx["primary_tenant_id"]].users.values() for s in u.assigned_licenses)
    body = _get(http, emulator, "/users", app_headers, **{"$select": "id,mail,assignedLicenses",
                "$filter": f"assignedLicenses/any(u:u/skuId eq {sku})"}).json()
    assert body["value"] and all(set(u) == {"id", "mail", "assignedLicenses"} for u in body["value"])
    assert all(any(a["skuId"] == sku for a in u["assignedLicenses"]) for u in body["value"])
    found = _get(http, emulator, "/users", app_headers, **{"$filter": f"userPrincipalName eq '{fx['owner_upn'].upper()}'"}).json()
    assert [u["userPrincipalName"] for u in found["value"]] == [fx["owner_upn"]]
    starts = _get(http, emulator, "/users", app_headers, **{"$filter": "startswith(displayName,'o')", "$count": "true"}).json()
    assert starts["@odata.count"] == len(starts["value"]) >= 2
    dept = _get(http, emulator, "/users", app_headers, **{"$filter": "department eq 'IT' and accountEnabled eq true", "$select": "department"})
    assert {u["department"] for u in dept.json()["value"]} == {"IT"}
    unified = _get(http, emulator, "/groups", app_headers, **{"$filter": "groupTypes/any(c:c eq 'Unified')"}).json()
    assert all("Unified" in g["groupTypes"] for g in unified["value"])


def test_advanced_queries_need_consistency_level(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str]) -> None:
    plain = _get(http, emulator, "/users", app_headers, **{"$filter": "endswith(mail,'contoso.com')"})
    assert plain.status_code == 400 and plain.json()["error"]["code"] == "Request_UnsupportedQuery"
    eventual = {**app_headers, "ConsistencyLevel": "eventual"}
    ok = _get(http, emulator, "/users", eventual, **{"$filter": "endswith(mail,'contoso.com')", "$count": "true"})
    assert ok.status_code == 200 and ok.json()["@odata.count"] > 0
    count = _get(http, emulator, "/users/$count", eventual)
    assert count.headers["content-type"].startswith("text/plain") and int(count.text) > 0
    bad_select = _get(http, emulator, "/users", app_headers, **{"$select": "nope"})
    assert bad_select.status_code == 400
    assert bad_select.json()["error"]["message"] == "Could not find a property named 'nope' on type 'microsoft.graph.user'."


def test_service_principal_and_application_lookups(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    sps = _get(http, emulator, "/servicePrincipals", app_headers, **{"$filter": f"appId eq '{fx['skytally_client_id']}'"}).json()["value"]
    assert [sp["id"] for sp in sps] == [fx["skytally_sp_object_id"]]
    graph_sp = _get(http, emulator, "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')", app_headers).json()
    assert graph_sp["@odata.context"].endswith("#servicePrincipals/$entity")
    assert any(r["value"] == "User.Read.All" for r in graph_sp["appRoles"])
    roles = _get(http, emulator, f"/servicePrincipals/{fx['skytally_sp_object_id']}/appRoleAssignments", app_headers).json()["value"]
    assert {r["resourceId"] for r in roles} == {graph_sp["id"]}
    apps = _get(http, emulator, "/applications", app_headers, **{"$filter": f"appId eq '{fx['customer_sp_client_id']}'"}).json()["value"]
    creds = apps[0]["passwordCredentials"]
    assert len(creds) == 2 and all(set(c) == {"customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId",
                                              "secretText", "startDateTime"} for c in creds)
    assert any(c["keyId"] == fx["customer_sp_expiring_key_id"] for c in creds)
    expired = _get(http, emulator, f"/applications(appId='{fx['expired_sp_client_id']}')", app_headers).json()
    assert expired["passwordCredentials"][0]["endDateTime"].endswith("Z")


def test_organization_and_domains(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    org = _get(http, emulator, "/organization", app_headers).json()["value"]
    assert org[0]["id"] == fx["primary_tenant_id"] and org[0]["displayName"] == "Contoso Ltd"
    names = {d["id"]: d for d in _get(http, emulator, "/domains", app_headers).json()["value"]}
    assert names[fx["primary_domain"]]["isInitial"] and names["contoso.com"]["isDefault"]


def test_permissions_enforced(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    token = emulator.token("graph", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    headers = {"Authorization": f"Bearer {token}", "client-request-id": "abc-123"}
    denied = _get(http, emulator, "/users", headers)
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert error["innerError"]["client-request-id"] == "abc-123" == denied.headers["client-request-id"]
    assert _get(http, emulator, "/applications", headers).status_code == 200  # has Application.Read.All
    me = _get(http, emulator, "/me", headers)
    assert me.status_code == 400


@pytest.mark.parametrize(("token_kind", "message"), [
    ("none", "Access token is empty."),
    ("garbage", "IDX14100: JWT is not well formed, there are no dots (.)."),
    ("arm", "Access token validation failure. Invalid audience."),
])
def test_graph_401_shapes(emulator: RunningEmulator, http: httpx.Client, token_kind: str, message: str) -> None:
    headers = {} if token_kind == "none" else {"Authorization": "Bearer " + ("garbage" if token_kind == "garbage" else emulator.token("arm"))}
    resp = _get(http, emulator, "/users", headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert resp.json()["error"]["message"] == message


def test_delegated_me_and_user_scopes(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    token = emulator.user_token(fx["plain_user_upn"], fx["plain_user_password"], "graph")
    headers = {"Authorization": f"Bearer {token}"}
    me = _get(http, emulator, "/me", headers, **{"$select": "displayName,department"}).json()
    assert me["department"] == "Sales" and set(me) == {"@odata.context", "displayName", "department"}
    # User.Read only: listing the directory needs more
    assert _get(http, emulator, "/users", headers).status_code == 403
    assert _get(http, emulator, "/organization", headers).status_code == 200


def test_unknown_segment(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str]) -> None:
    resp = _get(http, emulator, "/nothingHere", app_headers)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == "Resource not found for the segment 'nothingHere'."


@pytest.mark.parametrize("path", ["/users/{missing}", "/groups/{missing}", "/servicePrincipals/{missing}",
                                  "/applications/{missing}", "/servicePrincipals(appId='{missing}')"])
def test_missing_directory_object_is_404(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], path: str) -> None:
    missing = "00000000-0000-0000-0000-00000000dead"
    resp = _get(http, emulator, path.format(missing=missing), app_headers)
    assert resp.status_code == 404
    error = resp.json()["error"]
    assert error["code"] == "Request_ResourceNotFound"
    assert missing in error["message"]


def test_odata_version_header(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str]) -> None:
    assert _get(http, emulator, "/users", app_headers).headers["OData-Version"] == "4.0"


def test_get_by_ids_types_and_missing(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    ids = [fx["owner_object_id"], fx["reader_group_object_id"], fx["customer_sp_object_id"], "00000000-0000-0000-0000-00000000dead"]
    resp = http.post(f"{emulator.graph_url}/v1.0/directoryObjects/getByIds", headers=app_headers, json={"ids": ids})
    assert resp.status_code == 200
    body = resp.json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#directoryObjects")
    kinds = {o["id"]: o["@odata.type"] for o in body["value"]}
    assert kinds == {fx["owner_object_id"]: "#microsoft.graph.user", fx["reader_group_object_id"]: "#microsoft.graph.group",
                     fx["customer_sp_object_id"]: "#microsoft.graph.servicePrincipal"}
    only_users = http.post(f"{emulator.graph_url}/v1.0/directoryObjects/getByIds", headers=app_headers,
                           json={"ids": ids, "types": ["user"]}).json()["value"]
    assert [o["id"] for o in only_users] == [fx["owner_object_id"]]


def test_member_groups(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    group = fx["reader_group_object_id"]
    members = _get(http, emulator, f"/groups/{group}/members", app_headers).json()["value"]
    assert members
    member = members[0]["id"]
    base = f"{emulator.graph_url}/v1.0/users/{member}"
    got = http.post(f"{base}/getMemberGroups", headers=app_headers, json={"securityEnabledOnly": False}).json()
    assert got["@odata.context"].endswith("$metadata#Collection(Edm.String)") and group in got["value"]
    other = "00000000-0000-0000-0000-00000000beef"
    checked = http.post(f"{base}/checkMemberGroups", headers=app_headers, json={"groupIds": [group, other]}).json()
    assert checked["value"] == [group]
    missing = http.post(f"{emulator.graph_url}/v1.0/users/{other}/getMemberGroups", headers=app_headers,
                        json={"securityEnabledOnly": True})
    assert missing.status_code == 404


def test_key_in_parentheses_and_doubled_slash(emulator: RunningEmulator, http: httpx.Client, app_headers: dict[str, str], fx: dict[str, str]) -> None:
    by_upn = http.get(f"{emulator.graph_url}/v1.0/users('{fx['owner_upn']}')", headers=app_headers)
    assert by_upn.status_code == 200 and by_upn.json()["id"] == fx["owner_object_id"]
    doubled = http.get(f"{emulator.graph_url}/v1.0//users/{fx['owner_object_id']}", headers=app_headers)
    assert doubled.status_code == 200 and doubled.json()["userPrincipalName"] == fx["owner_upn"]
