"""Discovery documents, JWKS and the unknown-tenant error, against Microsoft's recordings."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from azure_emulator.testing import RunningEmulator

REF = Path("/work/shared/azure-reference/entra/examples/azure-sdk-for-js-recording")
if not REF.exists():  # the reference set lives beside the repo
    REF = Path(__file__).resolve().parents[3] / "shared/azure-reference/entra/examples/azure-sdk-for-js-recording"


def _ref(name: str) -> dict:
    return json.loads((REF / name).read_text())


@pytest.mark.parametrize("key", ["primary_tenant_id", "primary_domain", "primary_custom_domain"])
def test_openid_configuration_by_guid_and_domain(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str], key: str) -> None:
    resp = http.get(f"{emulator.base_url}/{fx[key]}/v2.0/.well-known/openid-configuration")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert resp.headers["cache-control"] == "max-age=86400, private"
    doc = resp.json()
    tid = fx["primary_tenant_id"]
    assert doc["issuer"] == f"{emulator.base_url}/{tid}/v2.0"
    assert doc["token_endpoint"] == f"{emulator.base_url}/{tid}/oauth2/v2.0/token"
    assert doc["jwks_uri"] == f"{emulator.base_url}/{tid}/discovery/v2.0/keys"


def test_openid_configuration_matches_recorded_document(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    ref = _ref("openid-configuration.response.json")
    doc = http.get(f"{emulator.base_url}/{fx['primary_tenant_id']}/v2.0/.well-known/openid-configuration").json()
    assert list(doc) == list(ref)  # same keys, same order
    for key, value in ref.items():
        assert type(doc[key]) is type(value), key
        if isinstance(value, str) and "login.microsoftonline.com" not in value and "graph.microsoft.com/oidc" not in value:
            assert doc[key] == value, key
        if isinstance(value, list):
            assert doc[key] == value, key
    sanitized = "https://login.microsoftonline.com/88888888-8888-8888-8888-888888888888"
    ours = f"{emulator.base_url}/{fx['primary_tenant_id']}"
    for key in ("token_endpoint", "jwks_uri", "issuer", "authorization_endpoint", "end_session_endpoint"):
        assert doc[key] == ref[key].replace(sanitized, ours)


@pytest.mark.parametrize("alias", ["common", "organizations"])
def test_openid_configuration_for_multi_tenant_aliases(emulator: RunningEmulator, http: httpx.Client, alias: str) -> None:
    doc = http.get(f"{emulator.base_url}/{alias}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{emulator.base_url}/{{tenantid}}/v2.0"
    assert doc["token_endpoint"] == f"{emulator.base_url}/{alias}/oauth2/v2.0/token"


def test_unknown_tenant_is_aadsts90002(emulator: RunningEmulator, http: httpx.Client) -> None:
    resp = http.get(f"{emulator.base_url}/nosuchtenant.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert resp.status_code == 400
    body = resp.json()
    assert list(body) == ["error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"]
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nosuchtenant.onmicrosoft.com' not found.")
    lines = body["error_description"].split("\r\n")
    assert lines[1] == f"Trace ID: {body['trace_id']}"
    assert lines[2] == f"Correlation ID: {body['correlation_id']}"
    assert lines[3] == f"Timestamp: {body['timestamp']}"
    assert body["error_uri"] == "https://login.microsoftonline.com/error?code=90002"


def test_instance_discovery_shape(emulator: RunningEmulator, http: httpx.Client) -> None:
    ref = _ref("instance-discovery.response.json")
    resp = http.get(f"{emulator.base_url}/common/discovery/instance", params={
        "api-version": "1.1", "authorization_endpoint": f"{emulator.base_url}/contoso.com/oauth2/v2.0/authorize"})
    doc = resp.json()
    assert list(doc) == list(ref)
    assert doc["tenant_discovery_endpoint"] == f"{emulator.base_url}/contoso.com/v2.0/.well-known/openid-configuration"
    assert set(doc["metadata"][0]) == set(ref["metadata"][0])
    assert doc["metadata"][0]["preferred_network"] == emulator.base_url.removeprefix("https://")


def test_jwks_verifies_issued_tokens(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    import jwt

    keys = http.get(f"{emulator.base_url}/{fx['primary_tenant_id']}/discovery/v2.0/keys").json()["keys"]
    assert {"kty", "use", "kid", "x5t", "n", "e", "x5c"} <= set(keys[0])
    token = emulator.token("graph")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == keys[0]["kid"]
    key = jwt.PyJWK(keys[0]).key
    decoded = jwt.decode(token, key, algorithms=["RS256"], audience=f"{emulator.base_url}/graph",
                         issuer=f"{emulator.base_url}/{fx['primary_tenant_id']}/v2.0")
    assert decoded["tid"] == fx["primary_tenant_id"]
