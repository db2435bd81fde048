"""Resource Graph through azure-mgmt-resourcegraph: paging, KQL subset, errors, quota."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from azure_emulator.testing import RunningEmulator

from ._arm_clients import (  # noqa: F401  (_close_sdk_clients is an autouse fixture)
    _close_sdk_clients,
    arm_kwargs,
    skytally_credential,
    track,
    user_credential,
)


@pytest.fixture(scope="module")
def medium() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=3, size="medium") as emu:
        assert emu.world is not None
        emu.world.arg_quota = 0  # paging tests are not about the quota
        yield emu


def _graph(emu: RunningEmulator, cred: object | None = None) -> ResourceGraphClient:
    return track(ResourceGraphClient(cred or user_credential(emu), **arm_kwargs(emu)))


def _all_rows(client: ResourceGraphClient, query: str, subs: list[str] | None = None) -> tuple[list[dict], int]:
    rows: list[dict] = []
    token = None
    pages = 0
    while True:
        resp = client.resources(QueryRequest(subscriptions=subs, query=query, options=QueryRequestOptions(skip_token=token)))
        rows.extend(resp.data)
        pages += 1
        token = resp.skip_token
        if not token:
            return rows, pages


def test_skip_token_paging_over_more_than_1000_rows(medium: RunningEmulator) -> None:
    fx = medium.fixtures
    client = _graph(medium)
    owned = fx["owned_subscription_ids"].split()
    world = medium.world
    expected = sum(len(g.resources) for sid in owned for g in world.subscription(sid).resource_groups.values())
    assert expected > 1000
    rows, pages = _all_rows(client, "Resources | project id, name, type, location, tags", owned)
    assert len(rows) == expected and len({r["id"] for r in rows}) == expected
    assert pages == -(-expected // 1000)
    first = client.resources(QueryRequest(subscriptions=owned, query="Resources | project id, name"))
    assert first.count == 1000 and first.total_records == expected and first.result_truncated == "false"


def test_readable_subscriptions_only(medium: RunningEmulator) -> None:
    fx = medium.fixtures
    client = _graph(medium)
    foreign = fx["second_owner_subscription_ids"].split()
    resp = client.resources(QueryRequest(subscriptions=foreign, query="Resources | project id"))
    assert resp.total_records == 0
    nobody = _graph(medium, skytally_credential(medium))
    assert nobody.resources(QueryRequest(query="Resources | project id")).total_records == 0


def test_kql_subset(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    client = _graph(emulator)
    sid = fx["owned_subscription_id"]
    q = client.resources(QueryRequest(subscriptions=[sid], query=(
        "Resources | where type =~ 'Microsoft.Compute/virtualMachines' and isnotempty(tags) "
        "| extend vmSize = properties.hardwareProfile.vmSize | project id, name, vmSize, env = tags['env'] "
        "| order by name asc | limit 5")))
    assert 0 < q.count <= 5
    names = [r["name"] for r in q.data]
    assert names == sorted(names)
    assert all(r["vmSize"].startswith("Standard_") for r in q.data)
    counts = client.resources(QueryRequest(subscriptions=[sid], query="Resources | summarize count() by type | order by count_ desc"))
    total = client.resources(QueryRequest(subscriptions=[sid], query="Resources | count")).data[0]["Count"]
    assert sum(r["count_"] for r in counts.data) == total
    table = client.resources(QueryRequest(subscriptions=[sid], query="Resources | project id, name | take 2",
                                          options=QueryRequestOptions(result_format="table")))
    assert [c["name"] for c in table.data["columns"]] == ["id", "name"] and len(table.data["rows"]) == 2
    containers = client.resources(QueryRequest(subscriptions=[sid], query=(
        "ResourceContainers | where type == 'microsoft.resources/subscriptions' | project id, name")))
    assert containers.data == [{"id": f"/subscriptions/{sid}", "name": emulator.world.subscription(sid).display_name}]
    tagged = client.resources(QueryRequest(subscriptions=[sid], query=(
        "Resources | where tags.env in~ ('prod', 'production') or tags['Env'] in~ ('prod', 'production') | project id")))
    assert tagged.total_records > 0


def test_unsupported_kql_is_refused_in_graph_error_shape(emulator: RunningEmulator) -> None:
    client = _graph(emulator)
    for query, code in (
        ("Resources | mv-expand tags", "UnsupportedOperator"),
        ("Resources | where", "ParserFailure"),
        ("Resources | where nosuchcolumn == 1", "FailedToResolveScalarExpression"),
        ("AdvisorResources | project id", "DisallowedLogicalTableName"),
    ):
        with pytest.raises(HttpResponseError) as err:
            client.resources(QueryRequest(query=query))
        assert err.value.status_code == 400
        assert err.value.error.code == "BadRequest"
        assert code in {d.code for d in err.value.error.details}


def test_quota_headers_and_throttling(emulator: RunningEmulator) -> None:
    world = emulator.world
    token = emulator.user_token(emulator.fixtures["owner_upn"], emulator.fixtures["owner_password"])
    world.clock.advance(timedelta(seconds=10))  # a fresh quota window
    with emulator.client() as http:
        url = f"{emulator.arm_url}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
        seen = []
        for _ in range(world.arg_quota):
            resp = http.post(url, json={"query": "Resources | take 1"}, headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 200
            seen.append(int(resp.headers["x-ms-user-quota-remaining"]))
            assert resp.headers["x-ms-user-quota-resets-after"].startswith("00:00:0")
        assert seen == list(range(world.arg_quota - 1, -1, -1))
        resp = http.post(url, json={"query": "Resources | take 1"}, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 429 and resp.json()["error"]["code"] == "RateLimiting"
        world.clock.advance(timedelta(seconds=6))
        resp = http.post(url, json={"query": "Resources | take 1"}, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200
