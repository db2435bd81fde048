"""The control API under /_emulator/."""

from __future__ import annotations

from azure_emulator.testing import RunningEmulator


def test_health_and_fixtures(emulator: RunningEmulator) -> None:
    health = emulator.control.get("/health").json()
    assert health["status"] == "ok" and "azure_emulator.services.entra.routes" in health["services"]
    fixtures = emulator.control.get("/fixtures").json()
    assert fixtures == emulator.world.fixtures


def test_settings_for_skytally(emulator: RunningEmulator) -> None:
    s = emulator.settings
    assert s["SKYTALLY_CLOUD"] == "custom"
    assert s["SKYTALLY_CLOUD_ENDPOINTS__RESOURCE_MANAGER"] == f"{emulator.base_url}/arm"
    assert s["SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE"] == emulator.ca_bundle
    assert s["SKYTALLY_AZURE_APP__CLIENT_ID"] == emulator.fixtures["skytally_client_id"]


def test_clock(emulator: RunningEmulator) -> None:
    before = emulator.control.get("/clock").json()
    after = emulator.control.post("/clock/advance", json={"days": 1}).json()
    assert after["offset_seconds"] - before["offset_seconds"] == 86400


def test_throttle_and_faults_settings(emulator: RunningEmulator) -> None:
    cfg = emulator.control.post("/throttle", json={"writes": {"capacity": 5}}).json()
    assert cfg["writes"]["capacity"] == 5 and cfg["reads"]["capacity"] == 250
    assert emulator.control.post("/throttle", json={"bogus": 1}).status_code == 400
    faults = emulator.control.post("/faults", json={"rules": [{"path": "^/graph/", "rates": {"500": 0.5}}], "latency_ms": 5}).json()
    assert faults["latency_ms"] == 5 and faults["rules"][0]["rates"] == {"500": 0.5}
    assert emulator.control.post("/faults", json={"rules": [{"rates": {"teapot": 1}}]}).status_code == 400
    assert emulator.control.delete("/faults").json() == {"rules": [], "latency_ms": 0.0}


def test_world_roundtrip_and_reset(fresh_emulator: RunningEmulator) -> None:
    control = fresh_emulator.control
    world = control.get("/world").json()
    assert world["format"] == "azure-emulator-world/1"
    world["tenants"][0]["display_name"] = "Renamed Ltd"
    assert control.put("/world", json=world).status_code == 200
    assert fresh_emulator.app.state.world.tenants[world["tenants"][0]["tenant_id"]].display_name == "Renamed Ltd"
    reset = control.post("/reset").json()
    assert reset["world_regenerated"] is True
    assert fresh_emulator.app.state.world.tenants[world["tenants"][0]["tenant_id"]].display_name != "Renamed Ltd"


def test_secret_expiry_ea_keys_and_views(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    missing = emulator.control.post("/secrets/expire", json={"app_id": fx["skytally_client_id"], "key_id": "nope"})
    assert missing.status_code == 404
    revoked = emulator.control.post("/ea-keys/revoke", json={"key": "ea-key-1"}).json()
    assert "ea-key-1" in revoked["revoked"] and "ea-key-1" in emulator.world.revoked_ea_keys
    assignments = emulator.control.get("/role-assignments").json()["value"]
    assert isinstance(assignments, list)
    if assignments:
        assert {"scope", "principalId", "roleDefinitionId"} <= set(assignments[0])
    assert isinstance(emulator.control.get("/tags").json()["value"], list)
    consents = emulator.control.get("/consents", params={"tenant_id": fx["primary_tenant_id"]}).json()["value"]
    assert any(a["principalId"] == fx["skytally_sp_object_id"] for a in consents[0]["appRoleAssignments"])


def test_token_lifetime_setting(fresh_emulator: RunningEmulator) -> None:
    fresh_emulator.control.post("/entra", json={"token_lifetime_seconds": 120})
    from .helpers import claims

    c = claims(fresh_emulator.token("arm"))
    assert c["exp"] - c["iat"] == 121


def test_resource_graph_quota_setting(fresh_emulator: RunningEmulator) -> None:
    assert fresh_emulator.control.get("/resource-graph/quota").json() == {"queries": 15, "window_seconds": 5.0}
    got = fresh_emulator.control.post("/resource-graph/quota", json={"queries": 3, "window_seconds": 2}).json()
    assert got == {"queries": 3, "window_seconds": 2.0}
    assert fresh_emulator.world is not None and fresh_emulator.world.arg_quota == 3
