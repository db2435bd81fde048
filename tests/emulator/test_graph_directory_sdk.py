"""The official msgraph-sdk, unchanged, against the emulator's directory: a missing object is
a 404 ODataError (Request_ResourceNotFound), users by UPN, getByIds, member groups."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphServiceClient
from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.item.get_member_groups.get_member_groups_post_request_body import (
    GetMemberGroupsPostRequestBody,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core import GraphClientFactory

from azure_emulator.testing import RunningEmulator


async def _with_client(emu: RunningEmulator, work: Any) -> Any:
    fx = emu.fixtures
    cred = ClientSecretCredential(fx["primary_tenant_id"], fx["skytally_client_id"], fx["skytally_client_secret"],
                                  authority=emu.base_url, disable_instance_discovery=True, connection_verify=emu.ca_bundle)
    auth = AzureIdentityAuthenticationProvider(cred, scopes=[f"{emu.graph_url}/.default"],
                                               allowed_hosts=[urlsplit(emu.base_url).hostname or ""])
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=emu.ca_bundle, timeout=30))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{emu.graph_url}/v1.0"
    try:
        return await work(GraphServiceClient(request_adapter=adapter))
    finally:
        await http.aclose()
        await cred.close()


def test_sdk_directory(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures

    async def work(client: GraphServiceClient) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            await client.users.by_user_id("00000000-0000-0000-0000-00000000dead").get()
        except ODataError as err:
            out["missing"] = (err.response_status_code, err.error.code if err.error else None)
        out["by_upn"] = (await client.users.by_user_id(fx["owner_upn"]).get()).id
        found = await client.directory_objects.get_by_ids.post(
            GetByIdsPostRequestBody(ids=[fx["owner_object_id"], fx["reader_group_object_id"]]))
        out["types"] = sorted(o.odata_type for o in found.value)
        members = await client.groups.by_group_id(fx["reader_group_object_id"]).members.get()
        member = members.value[0].id
        groups = await client.users.by_user_id(member).get_member_groups.post(
            GetMemberGroupsPostRequestBody(security_enabled_only=False))
        out["member_groups"] = groups.value
        return out

    got = asyncio.run(_with_client(emulator, work))
    assert got["missing"] == (404, "Request_ResourceNotFound")
    assert got["by_upn"] == fx["owner_object_id"]
    assert got["types"] == ["#microsoft.graph.group", "#microsoft.graph.user"]
    assert fx["reader_group_object_id"] in got["member_groups"]


