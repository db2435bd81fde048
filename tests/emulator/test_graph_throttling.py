"""Microsoft Graph throttling in the emulator: identity & access resource units per app +
tenant (sized by the tenant), their costs, the headers Graph sends, writes, the usage
reports' limits, and limits set per world."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from azure_emulator.services.graph import throttling
from azure_emulator.testing import RunningEmulator
from azure_emulator.world.generate import generate_world
from azure_emulator.world.generate_m365 import add_m365_tenant
from azure_emulator.world.graph_limits import GraphLimits
from azure_emulator.world.io import world_from_dict, world_to_dict

from .test_graph_licences import ROLES, grant


@pytest.mark.parametrize(("method", "path", "query", "expected"), [
    ("GET", "users", {}, (2, 0)),
    ("GET", "users", {"$select": "id", "$top": "999"}, (1, 0)),
    ("GET", "users", {"$select": "id", "$top": "5"}, (1, 0)),  # never under 1
    ("GET", "subscribedSkus", {}, (3, 0)),
    ("GET", "groups/abc/members", {"$select": "id"}, (2, 0)),
    ("GET", "groups/abc/transitiveMembers", {"$expand": "x"}, (6, 0)),
    ("GET", "users/abc/memberOf", {}, (2, 0)),  # me/ costs apply to users/{id}/
    ("GET", "users/abc", {}, (1, 0)),
    ("GET", "groups", {"$top": "10"}, (1, 0)),
    ("GET", "applications", {}, (2, 0)),
    ("GET", "oauth2PermissionGrants", {}, (2, 0)),
    ("POST", "directoryObjects/getByIds", {}, (3, 0)),
    ("POST", "me/checkMemberGroups", {}, (4, 0)),
    ("PATCH", "users/abc", {}, (1, 1)),
    ("GET", "reports/getMailboxUsageDetail(period='D7')", {}, None),
    ("GET", "admin/reportSettings", {}, None),
])
def test_request_costs_follow_the_documented_table(method: str, path: str, query: dict[str, str],
                                                   expected: tuple[int, int] | None) -> None:
    assert throttling.cost(method, path, query) == expected


def test_quota_by_tenant_size() -> None:
    lim = GraphLimits()
    assert [lim.ru_quota(n) for n in (1, 49, 50, 500, 501, 50_000)] == [3500, 3500, 5000, 5000, 8000, 8000]


def test_limits_come_from_the_world_file() -> None:
    world = world_from_dict({"graph_limits": {"ru_large": 100, "reports": 3}})
    assert world.graph_limits.ru_large == 100 and world.graph_limits.reports == 3 and world.graph_limits.ru_small == 3500
    assert world_from_dict(world_to_dict(world)).graph_limits == world.graph_limits
    assert generate_world(1, "small").graph_limits == GraphLimits()


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    world = generate_world(7, "small")
    add_m365_tenant(world, 7, 300, prefix="tailspin")
    add_m365_tenant(world, 7, 30, premium=False, name="Wingtip Toys", prefix="wingtip")
    for prefix in ("tailspin", "wingtip"):
        grant(world, world.fixtures[f"{prefix}_tenant_id"], ROLES)
    with RunningEmulator(world) as running:
        yield running


@pytest.fixture
def limits(emu: RunningEmulator) -> Iterator[GraphLimits]:
    world = emu.world
    assert world is not None
    world.graph_limits = GraphLimits(ru_small=3, ru_medium=5, reports_tenant=2)
    throttling.reset(world)
    try:
        yield world.graph_limits
    finally:
        world.graph_limits = GraphLimits()
        world.clock.offset = timedelta(0)
        throttling.reset(world)


def _auth(emu: RunningEmulator, prefix: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.token('graph', tenant=emu.fixtures[f'{prefix}_tenant_id'])}"}


def test_resource_units_per_app_and_tenant_answer_429_with_retry_after(emu: RunningEmulator, limits: GraphLimits) -> None:
    users = f"{emu.graph_url}/v1.0/users"
    with emu.client() as http:
        h = _auth(emu, "tailspin")  # 300 users: a medium tenant (5 units here)
        first = http.get(users, headers=h)
        assert first.status_code == 200 and first.headers["x-ms-resource-unit"] == "2"
        assert "x-ms-throttle-limit-percentage" not in first.headers  # 40 % used
        skus = http.get(f"{emu.graph_url}/v1.0/subscribedSkus", headers=h)  # 3 units: the bucket is empty
        assert skus.status_code == 200 and skus.headers["x-ms-resource-unit"] == "3"
        assert skus.headers["x-ms-throttle-limit-percentage"] == "1.0"
        r = http.get(users, headers=h)
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "TooManyRequests" and "innerError" in r.json()["error"]
        assert int(r.headers["Retry-After"]) == 4  # 2 units at 0.5 unit/s
        tenant_id = emu.fixtures["tailspin_tenant_id"]
        assert r.headers["x-ms-throttle-scope"] == f"Tenant_Application/Read/{emu.fixtures['skytally_client_id']}/{tenant_id}"
        assert r.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
        emu.world.clock.advance(timedelta(seconds=2))  # type: ignore[union-attr]  # one unit back
        assert http.get(users, headers=h).status_code == 429  # 2 needed
        assert http.get(users, params={"$select": "id"}, headers=h).status_code == 200  # a refused call cost nothing
        # the other tenant (30 users: small, 3 units) has its own bucket
        w = _auth(emu, "wingtip")
        assert http.get(users, headers=w).status_code == 200
        assert http.get(users, headers=w).status_code == 429
        emu.world.clock.advance(timedelta(seconds=10))  # type: ignore[union-attr]
        assert http.get(users, headers=h).status_code == 200


def test_disabled_limits_never_throttle(emu: RunningEmulator, limits: GraphLimits) -> None:
    limits.enabled = False
    with emu.client() as http:
        h = _auth(emu, "tailspin")
        assert {http.get(f"{emu.graph_url}/v1.0/subscribedSkus", headers=h).status_code for _ in range(5)} == {200}


def test_reports_per_tenant_for_all_apps(emu: RunningEmulator, limits: GraphLimits) -> None:
    url = f"{emu.graph_url}/v1.0/reports/getOffice365ActiveUserDetail(period='D7')"
    with emu.client() as http:
        h = _auth(emu, "tailspin")
        assert [http.get(url, headers=h).status_code for _ in range(3)] == [302, 302, 429]
        r = http.get(url, headers=h)
        assert r.headers["x-ms-throttle-scope"].startswith("Tenant/") and int(r.headers["Retry-After"]) >= 1
        # reports are not identity & access paths: they cost no resource units
        assert http.get(f"{emu.graph_url}/v1.0/users", headers=h).status_code == 200
