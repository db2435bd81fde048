"""The official msgraph-sdk GraphServiceClient, unchanged, against the emulator's Microsoft
365 licensing surface: subscribedSkus, users with licence states, groups, members, reports."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphServiceClient
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core import GraphClientFactory

from azure_emulator.testing import RunningEmulator
from azure_emulator.world.generate import generate_world
from azure_emulator.world.generate_m365 import add_m365_tenant

from .test_graph_licences import ROLES, grant


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    world = generate_world(6, "small")
    add_m365_tenant(world, 6, 150, prefix="tailspin")
    grant(world, world.fixtures["tailspin_tenant_id"], ROLES)
    world.tenants[world.fixtures["tailspin_tenant_id"]].display_concealed_names = False
    with RunningEmulator(world) as running:
        yield running


async def _with_client(emu: RunningEmulator, work: Any) -> Any:
    fx = emu.fixtures
    cred = ClientSecretCredential(fx["tailspin_tenant_id"], fx["skytally_client_id"], fx["skytally_client_secret"],
                                  authority=emu.base_url, disable_instance_discovery=True, connection_verify=emu.ca_bundle)
    auth = AzureIdentityAuthenticationProvider(cred, scopes=[f"{emu.graph_url}/.default"],
                                               allowed_hosts=[urlsplit(emu.base_url).hostname or ""])
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=emu.ca_bundle, timeout=30))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{emu.graph_url}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)
    try:
        return await work(client)
    finally:
        await http.aclose()
        await cred.close()


def test_sdk_subscribed_skus_users_groups_reports(emu: RunningEmulator) -> None:
    async def work(client: GraphServiceClient) -> dict[str, Any]:
        skus = await client.subscribed_skus.get()
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            select=["id", "userPrincipalName", "accountEnabled", "assignedLicenses", "licenseAssignmentStates", "department"],
            top=40)
        page = await client.users.get(RequestConfiguration(query_parameters=query))
        users = list(page.value)
        while page.odata_next_link:
            page = await client.users.with_url(page.odata_next_link).get()
            users += page.value
        groups = await client.groups.get()
        licensed = next(g for g in groups.value if g.display_name.startswith("Licensing - "))
        members = await client.groups.by_group_id(licensed.id).members.get()
        report = await client.reports.get_office365_active_user_detail_with_period("D30").get()
        mailbox = await client.reports.get_mailbox_usage_detail_with_period("D7").get()
        return {"skus": skus.value, "users": users, "members": members.value, "report": report, "mailbox": mailbox}

    got = asyncio.run(_with_client(emu, work))
    tenant = emu.world.tenants[emu.fixtures["tailspin_tenant_id"]]
    assert {s.sku_part_number for s in got["skus"]} == {s.sku_part_number for s in tenant.skus}
    assert all(s.prepaid_units.enabled >= s.consumed_units for s in got["skus"] if s.sku_part_number != "VISIOCLIENT")
    assert len(got["users"]) == len(tenant.users)
    states = [st for u in got["users"] for st in (u.license_assignment_states or [])]
    assert any(st.assigned_by_group for st in states) and any(st.assigned_by_group is None for st in states)
    assert got["members"]
    rows = list(csv.DictReader(io.StringIO(got["report"].decode("utf-8-sig"))))
    assert rows and all("@" in r["User Principal Name"] for r in rows)
    boxes = list(csv.DictReader(io.StringIO(got["mailbox"].decode("utf-8-sig"))))
    assert {r["Recipient Type"] for r in boxes} >= {"User", "Shared"}
