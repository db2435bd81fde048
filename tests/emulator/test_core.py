"""Core behaviour: ARM token buckets and headers, injected faults and latency, request log, 401s."""

from __future__ import annotations

import time

import httpx
import pytest

from azure_emulator.testing import RunningEmulator

from .helpers import claims


@pytest.fixture
def arm(emulator: RunningEmulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.token('arm')}"}


def _subs(http: httpx.Client, emu: RunningEmulator, headers: dict[str, str]) -> httpx.Response:
    return http.get(f"{emu.arm_url}/subscriptions", params={"api-version": "2022-12-01"}, headers=headers)


def test_ratelimit_headers_count_down(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str]) -> None:
    first = _subs(http, emulator, arm)
    second = _subs(http, emulator, arm)
    a = int(first.headers["x-ms-ratelimit-remaining-tenant-reads"])
    b = int(second.headers["x-ms-ratelimit-remaining-tenant-reads"])
    assert a == 249 and b in (a - 1, a)  # refills at 25/s
    for name in ("x-ms-request-id", "x-ms-correlation-request-id", "x-ms-routing-request-id"):
        assert name in first.headers


def test_subscription_bucket_and_429(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str], fx: dict[str, str]) -> None:
    emulator.control.post("/throttle", json={"reads": {"capacity": 3, "refill_per_second": 0.5}})
    sub = next(iter(emulator.world.tenants[fx["primary_tenant_id"]].subscriptions))
    url = f"{emulator.arm_url}/subscriptions/{sub}/resourcegroups?api-version=2022-09-01"
    remaining = [http.get(url, headers=arm).headers.get("x-ms-ratelimit-remaining-subscription-reads") for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    throttled = http.get(url, headers=arm)
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "2"
    error = throttled.json()["error"]
    assert error["code"] == "SubscriptionRequestsThrottled"
    assert f"subscription '{sub}'" in error["message"] and "https://aka.ms/arm-throttling" in error["message"]
    oid = claims(arm["Authorization"][7:])["oid"]
    assert f"actor '{oid}'" in error["message"]
    emulator.control.post("/clock/advance", json={"seconds": 2})
    assert http.get(url, headers=arm).status_code != 429


def test_writes_and_deletes_have_their_own_buckets(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str], fx: dict[str, str]) -> None:
    emulator.control.post("/throttle", json={"reads": {"capacity": 1, "refill_per_second": 0.001}})
    sub = next(iter(emulator.world.tenants[fx["primary_tenant_id"]].subscriptions))
    url = f"{emulator.arm_url}/subscriptions/{sub}/resourcegroups/throttle-probe?api-version=2022-09-01"
    http.get(url, headers=arm)
    assert http.get(url, headers=arm).status_code == 429
    deleted = http.delete(url, headers=arm)
    assert deleted.status_code != 429 and deleted.headers["x-ms-ratelimit-remaining-subscription-deletes"] == "199"


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503), ("429", 429)])
def test_injected_status_faults(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str], kind: str, status: int) -> None:
    emulator.control.post("/faults", json={"rules": [{"path": "^/arm/subscriptions$", "rates": {kind: 1}, "count": 1, "retry_after": 3}]})
    faulted = _subs(http, emulator, arm)
    assert faulted.status_code == status
    assert "code" in faulted.json()["error"]
    if status in (429, 503):
        assert faulted.headers["retry-after"] == "3"
    assert _subs(http, emulator, arm).status_code == 200  # count exhausted


def test_graph_and_entra_faults_use_their_shapes(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    emulator.control.post("/faults", json={"rules": [{"path": "^/graph/", "rates": {"429": 1}}, {"path": "/oauth2/v2.0/token$", "rates": {"503": 1}, "count": 1}]})
    token = http.post(f"{emulator.base_url}/{fx['primary_tenant_id']}/oauth2/v2.0/token", data={})
    assert token.status_code == 503 and token.json()["error"] == "temporarily_unavailable"
    graph = http.get(f"{emulator.graph_url}/v1.0/users", headers={"Authorization": f"Bearer {emulator.token('graph')}"})
    assert graph.status_code == 429 and "innerError" in graph.json()["error"]


def test_connection_reset_fault(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str]) -> None:
    emulator.control.post("/faults", json={"rules": [{"path": "^/arm/subscriptions$", "rates": {"reset": 1}, "count": 1}]})
    with pytest.raises(httpx.HTTPError):
        _subs(http, emulator, arm)
    with emulator.client() as fresh:
        assert _subs(fresh, emulator, arm).status_code == 200


def test_latency_and_slow(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str]) -> None:
    emulator.control.post("/faults", json={"rules": [{"path": "^/arm/", "latency_ms": 150}]})
    started = time.perf_counter()
    _subs(http, emulator, arm)
    assert time.perf_counter() - started >= 0.15
    emulator.control.post("/faults", json={"rules": [{"path": "^/arm/", "rates": {"slow": 1}, "slow_seconds": 0.2, "count": 1}]})
    started = time.perf_counter()
    assert _subs(http, emulator, arm).status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_request_log_records_principal(emulator: RunningEmulator, http: httpx.Client, arm: dict[str, str], fx: dict[str, str]) -> None:
    emulator.control.delete("/requests")
    _subs(http, emulator, arm)
    entries = emulator.control.get("/requests", params={"path_contains": "/arm/subscriptions"}).json()["value"]
    assert entries[-1]["status"] == 200 and entries[-1]["method"] == "GET"
    assert entries[-1]["principal"] == fx["skytally_sp_object_id"] and entries[-1]["app_id"] == fx["skytally_client_id"]


@pytest.mark.parametrize(("auth", "code", "message"), [
    (None, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."),
    ("Bearer not-a-jwt", "InvalidAuthenticationToken", "The access token is invalid."),
    ("Basic abc", "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format."),
])
def test_arm_401_shapes(emulator: RunningEmulator, http: httpx.Client, auth: str | None, code: str, message: str) -> None:
    resp = _subs(http, emulator, {"Authorization": auth} if auth else {})
    assert resp.status_code == 401
    assert resp.json() == {"error": {"code": code, "message": message}}
    assert resp.headers["www-authenticate"].startswith("Bearer authorization_uri=")


def test_arm_rejects_graph_audience(emulator: RunningEmulator, http: httpx.Client) -> None:
    resp = _subs(http, emulator, {"Authorization": f"Bearer {emulator.token('graph')}"})
    assert resp.status_code == 401
    error = resp.json()["error"]
    assert error["code"] == "InvalidAuthenticationTokenAudience"
    assert error["message"].startswith(f"The access token has been obtained for wrong audience or resource '{emulator.graph_url}'.")


def test_public_audience_names_map_to_the_same_api(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    for scope in ("https://management.azure.com/.default", "https://management.core.windows.net//.default"):
        token = http.post(f"{emulator.base_url}/{fx['primary_tenant_id']}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": fx["skytally_client_id"],
            "client_secret": fx["skytally_client_secret"], "scope": scope}).json()["access_token"]
        assert _subs(http, emulator, {"Authorization": f"Bearer {token}"}).status_code == 200


def test_server_refuses_to_start_without_a_listed_service(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure_emulator import server
    from azure_emulator.world.generate import generate_world

    monkeypatch.setattr(server, "SERVICE_MODULES", [*server.SERVICE_MODULES, ("/arm", "azure_emulator.services.nowhere.routes")])
    with pytest.raises(server.ServiceLoadError, match=r"azure_emulator\.services\.nowhere\.routes"):
        server.create_app(generate_world(1, "small"), base_url="https://127.0.0.1:1")


def test_no_import_cycle_between_services() -> None:
    """Service packages depend on each other one way only (shared ARM plumbing and lookups are
    in ``core.arm`` / ``core.arm_index``)."""
    import ast
    from pathlib import Path

    import azure_emulator.services as services_pkg

    root = Path(services_pkg.__file__).parent
    edges: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        pkg = path.relative_to(root).parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("azure_emulator.services."):
                    targets = {node.module.split(".")[2]}
                elif node.module == "azure_emulator.services":
                    targets = {a.name for a in node.names}
                else:
                    continue
                edges.setdefault(pkg, set()).update(targets - {pkg})

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges.get(start, ()))
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges.get(n, ()))
        return seen

    assert [p for p in edges if p in reach(p)] == []


def _rg_url(fx: dict[str, str], emu: RunningEmulator) -> str:
    return f"{emu.arm_url}/subscriptions/{fx['owned_subscription_id']}/resourcegroups?api-version=2022-09-01"


@pytest.fixture
def owner(emulator: RunningEmulator, fx: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.user_token(fx['owner_upn'], fx['owner_password'])}"}


@pytest.fixture
def other(emulator: RunningEmulator, fx: dict[str, str]) -> dict[str, str]:
    """A second principal (its answers may be 403: ARM meters before it authorizes)."""
    token = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    return {"Authorization": f"Bearer {token}"}


def _slow_refill(emu: RunningEmulator, **extra: object) -> None:
    # The emulator clock runs with real time: a near-zero refill keeps the counts exact.
    emu.control.post("/throttle", json={"reads": {"capacity": 250, "refill_per_second": 0.001},
                                        "writes": {"capacity": 200, "refill_per_second": 0.001}, **extra})


def test_global_bucket_is_shared_by_every_principal_of_a_subscription(
        emulator: RunningEmulator, http: httpx.Client, owner: dict[str, str], other: dict[str, str],
        fx: dict[str, str]) -> None:
    """Per principal 250 reads; the subscription's global bucket is 15 times that (3750) and
    every principal draws from it: the second principal's own bucket is full, the global one is not."""
    _slow_refill(emulator)
    url = _rg_url(fx, emulator)
    a1, a2, b1 = http.get(url, headers=owner), http.get(url, headers=owner), http.get(url, headers=other)
    assert [r.headers["x-ms-ratelimit-remaining-subscription-reads"] for r in (a1, a2, b1)] == ["249", "248", "249"]
    assert [r.headers["x-ms-ratelimit-remaining-subscription-global-reads"] for r in (a1, a2, b1)] == ["3749", "3748", "3747"]
    emulator.control.post("/clock/advance", json={"seconds": 2000})  # refills 2 per principal, 30 globally
    again = http.get(url, headers=owner)
    assert again.headers["x-ms-ratelimit-remaining-subscription-reads"] == "249"
    assert again.headers["x-ms-ratelimit-remaining-subscription-global-reads"] == "3749"


def test_global_bucket_throttles_a_principal_whose_own_bucket_is_not_empty(
        emulator: RunningEmulator, http: httpx.Client, owner: dict[str, str], other: dict[str, str],
        fx: dict[str, str]) -> None:
    emulator.control.post("/throttle", json={"reads": {"capacity": 2, "refill_per_second": 0.001}, "global_factor": 1.5})
    url = _rg_url(fx, emulator)
    assert [http.get(url, headers=owner).status_code for _ in range(2)] == [200, 200]  # global: 3 -> 1
    first = http.get(url, headers=other)
    assert first.status_code != 429 and first.headers["x-ms-ratelimit-remaining-subscription-global-reads"] == "0"
    refused = http.get(url, headers=other)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert refused.headers["x-ms-ratelimit-remaining-subscription-reads"] == "1"
    assert refused.headers["x-ms-ratelimit-remaining-subscription-global-reads"] == "0"


def test_counters_keep_counting_with_throttling_off_and_writes_count_globally(
        emulator: RunningEmulator, http: httpx.Client, owner: dict[str, str], fx: dict[str, str]) -> None:
    _slow_refill(emulator, enabled=False)
    url = _rg_url(fx, emulator)
    got = [http.get(url, headers=owner) for _ in range(3)]
    assert [r.status_code for r in got] == [200, 200, 200]
    assert [r.headers["x-ms-ratelimit-remaining-subscription-reads"] for r in got] == ["249", "248", "247"]
    emulator.control.post("/throttle", json={"reads": {"capacity": 1}})
    past = [http.get(url, headers=owner) for _ in range(2)]
    assert [r.status_code for r in past] == [200, 200]  # never refused while off ...
    assert [r.headers["x-ms-ratelimit-remaining-subscription-reads"] for r in past] == ["0", "0"]  # ... still counted
    base = url.split("?")[0]
    writes = [http.put(f"{base}/rl-probe-{i}", params={"api-version": "2022-09-01"}, headers=owner,
                       json={"location": "westeurope"}) for i in range(2)]
    assert [w.headers["x-ms-ratelimit-remaining-subscription-writes"] for w in writes] == ["199", "198"]
    assert [w.headers["x-ms-ratelimit-remaining-subscription-global-writes"] for w in writes] == ["2999", "2998"]
