"""Authorization code + PKCE with msal, the sign-in/consent pages, refresh and admin consent."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import msal
import pytest

from azure_emulator.testing import RunningEmulator

from .helpers import CASession, claims, consent, error_code, redirect_params, sign_in

REDIRECT = "http://localhost:8000/auth/callback"
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def _msal(emu: RunningEmulator, authority: str = "organizations") -> msal.ConfidentialClientApplication:
    fx = emu.fixtures
    return msal.ConfidentialClientApplication(
        fx["skytally_client_id"], client_credential=fx["skytally_client_secret"],
        authority=f"{emu.base_url}/{authority}", instance_discovery=False, http_client=CASession(emu.ca_bundle))


def test_msal_auth_code_flow_with_pkce_and_refresh(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    app = _msal(emulator)
    flow = app.initiate_auth_code_flow([f"{emulator.base_url}/arm/user_impersonation"], redirect_uri=REDIRECT)
    assert "code_challenge_method=S256" in flow["auth_uri"]
    params = redirect_params(sign_in(http, flow["auth_uri"], fx["owner_upn"], fx["owner_password"]))
    assert params["state"] == flow["state"]
    result = app.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in result, result
    access = claims(result["access_token"])
    assert access["aud"] == f"{emulator.base_url}/arm"
    assert access["scp"] == "user_impersonation" and access["idtyp"] == "user"
    assert access["oid"] == fx["owner_object_id"] and access["tid"] == fx["primary_tenant_id"]
    assert result["id_token_claims"]["preferred_username"] == fx["owner_upn"]
    assert result["id_token_claims"]["nonce"]
    assert "refresh_token" in result
    account = app.get_accounts()[0]
    silent = app.acquire_token_silent([f"{emulator.base_url}/graph/User.Read"], account=account, force_refresh=True)
    assert silent and "access_token" in silent, silent
    graph = claims(silent["access_token"])
    assert "User.Read" in graph["scp"].split() and graph["aud"] == f"{emulator.base_url}/graph"
    me = http.get(f"{emulator.graph_url}/v1.0/me", headers={"Authorization": f"Bearer {silent['access_token']}"})
    assert me.status_code == 200 and me.json()["userPrincipalName"] == fx["owner_upn"]


def test_pkce_mismatch_and_code_reuse(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    app = _msal(emulator)
    flow = app.initiate_auth_code_flow([f"{emulator.base_url}/arm/user_impersonation"], redirect_uri=REDIRECT)
    params = redirect_params(sign_in(http, flow["auth_uri"], fx["owner_upn"], fx["owner_password"]))
    tampered = dict(flow, code_verifier="x" * 43)
    bad = app.acquire_token_by_auth_code_flow(tampered, params)
    assert bad["error"] == "invalid_grant" and bad["error_codes"] == [501481]
    good = app.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in good
    again = app.acquire_token_by_auth_code_flow(flow, params)
    assert again["error_codes"] == [54005]


def test_sign_in_page_errors(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    app = _msal(emulator)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT, login_hint=fx["owner_upn"])
    page = http.get(flow["auth_uri"])
    for element in ('id="username"', 'id="password"', 'id="signin"', f'value="{fx["owner_upn"]}"'):
        assert element in page.text
    bad = sign_in(http, flow["auth_uri"], fx["owner_upn"], "wrong")
    assert bad.status_code == 200 and error_code(bad.text) == "AADSTS50126"
    ghost = sign_in(http, flow["auth_uri"], "ghost@contoso.com", "x")
    assert error_code(ghost.text) == "AADSTS50034"


def test_user_from_another_tenant_is_50020(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    app = _msal(emulator, fx["primary_tenant_id"])
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    page = sign_in(http, flow["auth_uri"], fx["second_owner_upn"], fx["second_owner_password"])
    assert error_code(page.text) == "AADSTS50020"


def test_redirect_uri_mismatch_is_50011(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    query = urlencode({"client_id": fx["skytally_client_id"], "response_type": "code", "scope": "openid",
                       "redirect_uri": "https://evil.example.com/cb"})
    page = http.get(f"{emulator.base_url}/organizations/oauth2/v2.0/authorize?{query}")
    assert page.status_code == 400 and error_code(page.text) == "AADSTS50011"


def test_single_tenant_app_over_common_is_50194(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    query = urlencode({"client_id": fx["customer_sp_client_id"], "response_type": "code", "scope": "openid",
                       "redirect_uri": "http://localhost/cb"})
    page = http.get(f"{emulator.base_url}/common/oauth2/v2.0/authorize?{query}")
    assert error_code(page.text) == "AADSTS50194"


def test_consent_cancel_accept_creates_service_principal(fresh_emulator: RunningEmulator) -> None:
    emu, fx = fresh_emulator, fresh_emulator.fixtures
    second = emu.world.tenants[fx["second_tenant_id"]]
    assert second.service_principal_by_app_id(fx["skytally_client_id"]) is None
    app = _msal(emu)
    with emu.client() as http:
        flow = app.initiate_auth_code_flow([f"{emu.base_url}/arm/user_impersonation"], redirect_uri=REDIRECT, state="s1")
        page = sign_in(http, flow["auth_uri"], fx["second_owner_upn"], fx["second_owner_password"])
        assert 'id="accept"' in page.text and 'id="cancel"' in page.text
        assert 'data-value="user_impersonation"' in page.text
        declined = redirect_params(consent(http, page, "cancel"))
        assert declined["error"] == "access_denied" and declined["state"] == "s1"
        assert declined["error_description"].startswith("AADSTS65004")
        assert second.service_principal_by_app_id(fx["skytally_client_id"]) is None

        flow = app.initiate_auth_code_flow([f"{emu.base_url}/arm/user_impersonation"], redirect_uri=REDIRECT)
        page = sign_in(http, flow["auth_uri"], fx["second_owner_upn"], fx["second_owner_password"])
        params = redirect_params(consent(http, page, "accept"))
        result = app.acquire_token_by_auth_code_flow(flow, params)
        assert claims(result["access_token"])["tid"] == fx["second_tenant_id"]
        assert second.service_principal_by_app_id(fx["skytally_client_id"]) is not None
        # consented now: the next sign-in goes straight back with a code
        flow = app.initiate_auth_code_flow([f"{emu.base_url}/arm/user_impersonation"], redirect_uri=REDIRECT)
        assert "code" in redirect_params(sign_in(http, flow["auth_uri"], fx["second_owner_upn"], fx["second_owner_password"]))
        # an admin-only scope for a non-admin: "Need admin approval"
        flow = app.initiate_auth_code_flow(["Directory.Read.All"], redirect_uri=REDIRECT)
        page = sign_in(http, flow["auth_uri"], fx["second_owner_upn"], fx["second_owner_password"])
        assert "Need admin approval" in page.text and 'id="accept"' not in page.text
        assert redirect_params(consent(http, page, "cancel"))["error"] == "access_denied"


def test_prompt_none_without_consent_is_consent_required(emulator: RunningEmulator, http: httpx.Client, fx: dict[str, str]) -> None:
    app = _msal(emulator)
    flow = app.initiate_auth_code_flow(["Group.Read.All"], redirect_uri=REDIRECT, prompt="none")
    params = redirect_params(sign_in(http, flow["auth_uri"], fx["plain_user_upn"], fx["plain_user_password"]))
    assert params["error"] == "invalid_grant" and "AADSTS65001" in params["error_description"]


def _adminconsent_url(emu: RunningEmulator, tenant: str) -> str:
    fx = emu.fixtures
    query = urlencode({"client_id": fx["skytally_client_id"], "redirect_uri": "http://localhost:8000/accounts/consent/callback",
                       "state": "xyz", "scope": "https://graph.microsoft.com/.default"})
    return f"{emu.base_url}/{tenant}/v2.0/adminconsent?{query}"


def test_admin_consent_grants_application_permissions(fresh_emulator: RunningEmulator) -> None:
    emu, fx = fresh_emulator, fresh_emulator.fixtures
    with emu.client() as http:
        page = sign_in(http, _adminconsent_url(emu, "organizations"), fx["second_admin_upn"], fx["second_admin_password"])
        assert 'data-value="Reports.Read.All"' in page.text
        params = redirect_params(consent(http, page, "accept"))
        assert params == {"admin_consent": "True", "tenant": fx["second_tenant_id"], "state": "xyz",
                          "scope": "https://graph.microsoft.com/.default"}
        token = emu.token("graph", tenant=fx["second_tenant_id"])
        assert "Reports.Read.All" in claims(token)["roles"]
        users = http.get(f"{emu.graph_url}/v1.0/users", headers={"Authorization": f"Bearer {token}"})
        assert users.status_code == 200


@pytest.mark.parametrize(("who", "action", "error"), [("second_owner", "accept", "access_denied"), ("second_admin", "cancel", "permission_denied")])
def test_admin_consent_refused(fresh_emulator: RunningEmulator, who: str, action: str, error: str) -> None:
    emu, fx = fresh_emulator, fresh_emulator.fixtures
    with emu.client() as http:
        page = sign_in(http, _adminconsent_url(emu, fx["second_tenant_id"]), fx[f"{who}_upn"], fx[f"{who}_password"])
        params = redirect_params(consent(http, page, action))
        assert params["error"] == error and params["state"] == "xyz"
    assert emu.world.tenants[fx["second_tenant_id"]].service_principal_by_app_id(fx["skytally_client_id"]) is None
