"""ARM details clients rely on: the cloud metadata document, headers Azure sends, error
statuses and codes, list counts, echoed empty tags."""

from __future__ import annotations

import httpx
import pytest

from azure_emulator.testing import RunningEmulator


@pytest.fixture(scope="module")
def arm_headers(emulator: RunningEmulator) -> dict[str, str]:
    fx = emulator.fixtures
    token = emulator.user_token(fx["owner_upn"], fx["owner_password"])
    return {"Authorization": f"Bearer {token}"}


def test_metadata_endpoints_point_at_the_emulator(emulator: RunningEmulator, http: httpx.Client) -> None:
    # What `az cloud register --endpoint-resource-manager` reads: no token needed
    doc = http.get(f"{emulator.arm_url}/metadata/endpoints", params={"api-version": "2022-09-01"}).json()
    assert doc["resourceManager"] == f"{emulator.arm_url}/"
    assert doc["authentication"]["loginEndpoint"] == emulator.base_url
    assert doc["authentication"]["audiences"][0] == f"{emulator.arm_url}/"
    assert doc["microsoftGraphResourceId"] == f"{emulator.graph_url}/"
    assert doc["suffixes"]["storage"] == "core.windows.net"
    listed = http.get(f"{emulator.arm_url}/metadata/endpoints", params={"api-version": "2019-05-01"}).json()
    assert listed == [doc]
    assert http.get(f"{emulator.arm_url}/metadata/endpoints").status_code == 400


def test_read_headers_and_404_causes(emulator: RunningEmulator, http: httpx.Client, arm_headers: dict[str, str]) -> None:
    subs = http.get(f"{emulator.arm_url}/subscriptions", params={"api-version": "2022-12-01"}, headers=arm_headers)
    assert subs.headers["x-ms-ratelimit-remaining-tenant-reads"].isdigit()  # a tenant-level read
    body = subs.json()
    assert body["count"] == {"type": "Total", "value": len(body["value"])} and body["value"]
    sid = emulator.fixtures["owned_subscription_id"]
    missing_rg = http.get(f"{emulator.arm_url}/subscriptions/{sid}/resourcegroups/rg-nowhere",
                          params={"api-version": "2021-04-01"}, headers=arm_headers)
    assert missing_rg.status_code == 404 and missing_rg.headers["x-ms-failure-cause"] == "service"
    no_route = http.get(f"{emulator.arm_url}/subscriptions/{sid}/nothingHere",
                        params={"api-version": "2021-04-01"}, headers=arm_headers)
    assert no_route.status_code == 404 and no_route.headers["x-ms-failure-cause"] == "gateway"
    message = no_route.json()["error"]["message"]
    assert f"'/subscriptions/{sid}/nothingHere'" in message and "/arm" not in message


def test_role_definition_id_must_be_a_guid(emulator: RunningEmulator, http: httpx.Client, arm_headers: dict[str, str]) -> None:
    sid = emulator.fixtures["owned_subscription_id"]
    base = f"{emulator.arm_url}/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions"
    bad = http.get(f"{base}/Not-A-Guid", params={"api-version": "2022-04-01"}, headers=arm_headers)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "InvalidRoleDefinitionId" and "'Not-A-Guid'" in bad.json()["error"]["message"]
    missing = "AAAAAAAA-0000-0000-0000-000000000000"
    nf = http.get(f"{base}/{missing}", params={"api-version": "2022-04-01"}, headers=arm_headers)
    assert nf.status_code == 404 and f"'{missing}'" in nf.json()["error"]["message"]


def test_resource_group_echoes_empty_tags(emulator: RunningEmulator, http: httpx.Client, arm_headers: dict[str, str]) -> None:
    sid = emulator.fixtures["owned_subscription_id"]
    url = f"{emulator.arm_url}/subscriptions/{sid}/resourcegroups/rg-fidelity-tags"
    params = {"api-version": "2021-04-01"}
    created = http.put(url, params=params, headers=arm_headers, json={"location": "westeurope", "tags": {}})
    assert created.status_code == 201 and created.json()["tags"] == {}
    assert http.get(url, params=params, headers=arm_headers).json()["tags"] == {}
    untagged = http.put(url + "2", params=params, headers=arm_headers, json={"location": "westeurope"}).json()
    assert "tags" not in untagged


def test_token_endpoint_echoes_client_request_id(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    resp = http.post(f"{emulator.base_url}/{fx['primary_tenant_id']}/oauth2/v2.0/token",
                     headers={"client-request-id": "5f0c4c1e-0000-4000-8000-000000000001"},
                     data={"grant_type": "client_credentials", "client_id": fx["customer_sp_client_id"],
                           "client_secret": fx["customer_sp_secret"], "scope": f"{emulator.arm_url}/.default"})
    assert resp.status_code == 200
    assert resp.headers["client-request-id"] == "5f0c4c1e-0000-4000-8000-000000000001"


def test_generic_resource_put_and_patch(emulator: RunningEmulator, http: httpx.Client, arm_headers: dict[str, str]) -> None:
    """``az resource tag``: GET the resource, PUT it back with new tags."""
    rid = emulator.fixtures["storage_account_id"]
    params = {"api-version": "2023-05-01"}
    current = http.get(f"{emulator.arm_url}{rid}", params=params, headers=arm_headers).json()
    body = {**current, "tags": {**(current.get("tags") or {}), "costcenter": "cc-42"}}
    put = http.put(f"{emulator.arm_url}{rid}", params=params, headers=arm_headers, json=body)
    assert put.status_code == 200 and put.json()["tags"]["costcenter"] == "cc-42"
    assert put.json()["properties"] == current["properties"]
    patched = http.patch(f"{emulator.arm_url}{rid}", params=params, headers=arm_headers, json={"tags": {"only": "this"}})
    assert patched.status_code == 200 and patched.json()["tags"] == {"only": "this"}
    assert http.get(f"{emulator.arm_url}{rid}", params=params, headers=arm_headers).json()["tags"] == {"only": "this"}
    reader = emulator.token("arm", client_id=emulator.fixtures["customer_sp_client_id"],
                            client_secret=emulator.fixtures["customer_sp_secret"])
    denied = http.put(f"{emulator.arm_url}{rid}", params=params, headers={"Authorization": f"Bearer {reader}"}, json=body)
    assert denied.status_code == 403
    restored = http.put(f"{emulator.arm_url}{rid}", params=params, headers=arm_headers, json=current)
    assert restored.json().get("tags") == current.get("tags")


def test_azure_cli_client_id_signs_users_in(emulator: RunningEmulator, http: httpx.Client) -> None:
    """The Azure CLI's own client id: a public client in every tenant, preauthorized (no consent)."""
    fx = emulator.fixtures
    cli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
    token_url = f"{emulator.base_url}/organizations/oauth2/v2.0/token"
    arm = http.post(token_url, data={"grant_type": "password", "client_id": cli, "username": fx["owner_upn"],
                                     "password": fx["owner_password"], "scope": f"{emulator.arm_url}/.default offline_access"})
    assert arm.status_code == 200, arm.text
    subs = http.get(f"{emulator.arm_url}/subscriptions", params={"api-version": "2022-12-01"},
                    headers={"Authorization": f"Bearer {arm.json()['access_token']}"})
    assert subs.status_code == 200 and subs.json()["value"]
    graph = http.post(token_url, data={"grant_type": "password", "client_id": cli, "username": fx["plain_user_upn"],
                                       "password": fx["plain_user_password"], "scope": f"{emulator.graph_url}/.default"})
    assert graph.status_code == 200, graph.text
    me = http.get(f"{emulator.graph_url}/v1.0/me", headers={"Authorization": f"Bearer {graph.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["userPrincipalName"] == fx["plain_user_upn"]
    app_token = emulator.token("graph")
    sp = http.get(f"{emulator.graph_url}/v1.0/servicePrincipals(appId='{cli}')", headers={"Authorization": f"Bearer {app_token}"})
    assert sp.status_code == 200 and sp.json()["appOwnerOrganizationId"] == "f8cdef31-a31e-4b4a-93e4-5f571e91255a"


def test_resource_graph_query_without_a_table(emulator: RunningEmulator, http: httpx.Client, arm_headers: dict[str, str]) -> None:
    resp = http.post(f"{emulator.arm_url}/providers/Microsoft.ResourceGraph/resources", params={"api-version": "2024-04-01"},
                     headers=arm_headers, json={"query": "project id, tags | limit 5"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == 5 and set(body["data"][0]) == {"id", "tags"}
    assert all("/providers/" in row["id"] for row in body["data"])  # resources, not containers
