"""Token endpoint: client credentials via azure-identity/msal, claims, and every AADSTS path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import msal
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from azure_emulator.testing import RunningEmulator

from .helpers import CASession, claims


def _credential(emu: RunningEmulator, tenant: str, client_id: str, secret: str) -> ClientSecretCredential:
    # azure-identity honours azure-core's transport kwarg ``connection_verify`` for a custom CA.
    return ClientSecretCredential(tenant, client_id, secret, authority=emu.base_url,
                                  disable_instance_discovery=True, connection_verify=emu.ca_bundle)


def _token(http: httpx.Client, emu: RunningEmulator, tenant: str, **data: str) -> httpx.Response:
    data.setdefault("grant_type", "client_credentials")
    return http.post(f"{emu.base_url}/{tenant}/oauth2/v2.0/token", data=data)


def _aad(resp: httpx.Response, status: int, error: str, code: int) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
    return body


def test_azure_identity_client_secret_credential(emulator: RunningEmulator, fx: dict[str, str]) -> None:
    cred = _credential(emulator, fx["primary_tenant_id"], fx["skytally_client_id"], fx["skytally_client_secret"])
    token = cred.get_token(f"{emulator.base_url}/graph/.default")
    c = claims(token.token)
    now = datetime.now(UTC).timestamp()
    assert c["aud"] == f"{emulator.base_url}/graph"
    assert c["iss"] == f"{emulator.base_url}/{fx['primary_tenant_id']}/v2.0"
    assert c["tid"] == fx["primary_tenant_id"]
    assert c["oid"] == c["sub"] == fx["skytally_sp_object_id"]
    assert c["appid"] == c["azp"] == fx["skytally_client_id"]
    assert c["idtyp"] == "app" and c["ver"] == "2.0" and "scp" not in c
    assert {"User.Read.All", "Application.Read.All", "Reports.Read.All"} <= set(c["roles"])
    assert c["iat"] == c["nbf"] and now - 60 < c["iat"] <= now + 1 and c["exp"] - c["iat"] == 3600
    assert abs(token.expires_on - c["exp"]) <= 2


def test_raw_response_shape_and_headers(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    resp = _token(http, emulator, fx["primary_domain"], client_id=fx["skytally_client_id"],
                  client_secret=fx["skytally_client_secret"], scope="https://management.azure.com/.default")
    assert resp.status_code == 200
    assert list(resp.json()) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert resp.headers["cache-control"] == "no-store, no-cache"
    c = claims(resp.json()["access_token"])
    assert c["aud"] == "https://management.azure.com" and "roles" not in c


def test_client_secret_basic(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    resp = http.post(f"{emulator.base_url}/{fx['primary_tenant_id']}/oauth2/v2.0/token",
                     data={"grant_type": "client_credentials", "scope": f"{emulator.base_url}/arm/.default"},
                     auth=(fx["skytally_client_id"], fx["skytally_client_secret"]))
    assert resp.status_code == 200


def test_invalid_secret_is_7000215(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    body = _aad(_token(http, emulator, fx["primary_tenant_id"], client_id=fx["skytally_client_id"], client_secret="wrong",
                       scope=f"{emulator.base_url}/arm/.default"), 401, "invalid_client", 7000215)
    assert fx["skytally_client_id"] in body["error_description"]
    cred = _credential(emulator, fx["primary_tenant_id"], fx["skytally_client_id"], "wrong")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token(f"{emulator.base_url}/arm/.default")


def test_expired_secret_is_7000222(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    _aad(_token(http, emulator, fx["primary_tenant_id"], client_id=fx["expired_sp_client_id"], client_secret=fx["expired_sp_secret"],
                scope=f"{emulator.base_url}/arm/.default"), 401, "invalid_client", 7000222)


def test_secret_expired_through_control_api(fresh_emulator: RunningEmulator) -> None:
    fx = fresh_emulator.fixtures
    app = fresh_emulator.world.application(fx["customer_sp_client_id"])
    key_id = next(c.key_id for c in app.password_credentials if c.secret == fx["customer_sp_secret"])
    with fresh_emulator.client() as http:
        ok = _token(http, fresh_emulator, fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                    client_secret=fx["customer_sp_secret"], scope=f"{fresh_emulator.base_url}/arm/.default")
        assert ok.status_code == 200
        assert fresh_emulator.control.post("/secrets/expire", json={"app_id": fx["customer_sp_client_id"], "key_id": key_id}).status_code == 200
        _aad(_token(http, fresh_emulator, fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                    client_secret=fx["customer_sp_secret"], scope=f"{fresh_emulator.base_url}/arm/.default"), 401, "invalid_client", 7000222)


@pytest.mark.parametrize("case", ["unknown_app", "multi_tenant_without_sp", "single_tenant_elsewhere"])
def test_app_not_in_tenant_is_700016(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str], case: str) -> None:
    client_id, secret = {
        "unknown_app": ("11111111-2222-3333-4444-555555555555", "x"),
        "multi_tenant_without_sp": (fx["skytally_client_id"], fx["skytally_client_secret"]),
        "single_tenant_elsewhere": (fx["customer_sp_client_id"], fx["customer_sp_secret"]),
    }[case]
    body = _aad(_token(http, emulator, fx["o365_tenant_id"], client_id=client_id, client_secret=secret,
                       scope=f"{emulator.base_url}/arm/.default"), 400, "unauthorized_client", 700016)
    assert "Northwind Traders" in body["error_description"]


def test_unknown_tenant_on_token_endpoint(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    _aad(_token(http, emulator, "nope.example.com", client_id=fx["skytally_client_id"], client_secret="x",
                scope="https://graph.microsoft.com/.default"), 400, "invalid_request", 90002)


@pytest.mark.parametrize(("scope", "error", "code"), [
    ("https://graph.microsoft.com/User.Read.All", "invalid_scope", 1002012),
    ("https://unknown.example.com/.default", "invalid_resource", 500011),
    ("https://graph.microsoft.com/.default https://management.azure.com/.default", "invalid_scope", 28000),
])
def test_scope_errors(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str], scope: str, error: str, code: int) -> None:
    _aad(_token(http, emulator, fx["primary_tenant_id"], client_id=fx["skytally_client_id"],
                client_secret=fx["skytally_client_secret"], scope=scope), 400, error, code)


def test_request_errors(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    tid, cid = fx["primary_tenant_id"], fx["skytally_client_id"]
    scope = f"{emulator.base_url}/arm/.default"
    _aad(_token(http, emulator, tid, grant_type="", client_id=cid), 400, "invalid_request", 900144)
    _aad(_token(http, emulator, tid, grant_type="device_code", client_id=cid), 400, "unsupported_grant_type", 70003)
    _aad(_token(http, emulator, tid, client_id=cid, scope=scope), 401, "invalid_client", 7000218)
    _aad(_token(http, emulator, "common", client_id=cid, client_secret="x", scope=scope), 400, "invalid_request", 9001023)


def test_password_grant_paths(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    base = {"grant_type": "password", "client_id": fx["skytally_client_id"], "client_secret": fx["skytally_client_secret"],
            "scope": f"{emulator.base_url}/arm/.default"}
    ok = _token(http, emulator, "organizations", **base, username=fx["owner_upn"], password=fx["owner_password"])
    c = claims(ok.json()["access_token"])
    assert c["idtyp"] == "user" and c["scp"] == "user_impersonation" and c["upn"] == fx["owner_upn"]
    _aad(_token(http, emulator, "organizations", **base, username=fx["owner_upn"], password="bad"), 400, "invalid_grant", 50126)
    _aad(_token(http, emulator, fx["primary_tenant_id"], **base, username="ghost@contoso.com", password="x"), 400, "invalid_grant", 50034)
    # skytally has no service principal (no consent) in the second tenant yet
    body = _aad(_token(http, emulator, "organizations", **base, username=fx["second_owner_upn"], password=fx["second_owner_password"]),
                400, "invalid_grant", 65001)
    assert body["suberror"] == "consent_required"


def test_certificate_assertion_with_msal(fresh_emulator: RunningEmulator) -> None:
    emu, fx = fresh_emulator, fresh_emulator.fixtures
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exporter")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    added = emu.control.post(f"/apps/{fx['customer_sp_client_id']}/certificates", json={"certificate_pem": pem}).json()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    thumbprint = cert.fingerprint(hashes.SHA1()).hex()
    app = msal.ConfidentialClientApplication(
        fx["customer_sp_client_id"], client_credential={"private_key": key_pem, "thumbprint": thumbprint},
        authority=f"{emu.base_url}/{fx['primary_tenant_id']}", instance_discovery=False, http_client=CASession(emu.ca_bundle))
    result = app.acquire_token_for_client([f"{emu.base_url}/graph/.default"])
    assert "access_token" in result, result
    c = claims(result["access_token"])
    assert c["appidacr"] == "2" and c["roles"] == ["Application.Read.All"]
    assert added["thumbprint"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = msal.ConfidentialClientApplication(
        fx["customer_sp_client_id"],
        client_credential={"private_key": other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                              serialization.NoEncryption()).decode(), "thumbprint": thumbprint},
        authority=f"{emu.base_url}/{fx['primary_tenant_id']}", instance_discovery=False, http_client=CASession(emu.ca_bundle))
    failed = bad.acquire_token_for_client([f"{emu.base_url}/graph/.default"])
    assert failed["error"] == "invalid_client" and failed["error_codes"] == [700027]


def test_expired_token_rejected_after_clock_advance(emulator: RunningEmulator, http: httpx.Client) -> None:
    token = emulator.token("arm")
    emulator.control.post("/clock/advance", json={"hours": 2})
    resp = http.get(f"{emulator.arm_url}/subscriptions?api-version=2022-12-01", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    error = resp.json()["error"]
    assert error["code"] == "ExpiredAuthenticationToken"
    assert error["message"].startswith("The access token expiry UTC time '")
    assert "www-authenticate" in resp.headers
