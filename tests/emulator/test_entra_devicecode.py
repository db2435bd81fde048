"""The device code flow: code issued, pending until the user signs in on /devicelogin, then a
delegated token (the Azure CLI's ``az login --use-device-code``)."""

from __future__ import annotations

import httpx

from azure_emulator.testing import RunningEmulator

CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def test_device_code_flow(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    root = emulator.base_url
    issued = http.post(f"{root}/organizations/oauth2/v2.0/devicecode",
                       data={"client_id": CLI, "scope": f"{emulator.arm_url}/.default offline_access openid profile"})
    assert issued.status_code == 200, issued.text
    flow = issued.json()
    assert flow["verification_uri"] == f"{root}/devicelogin" and flow["interval"] == 5 and flow["expires_in"] == 900
    assert flow["user_code"] in flow["message"]
    token_form = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLI,
                  "device_code": flow["device_code"]}
    waiting = http.post(f"{root}/organizations/oauth2/v2.0/token", data=token_form)
    assert waiting.status_code == 400 and waiting.json()["error"] == "authorization_pending"
    assert waiting.json()["error_codes"] == [70016]
    page = http.get(f"{root}/devicelogin")
    assert 'id="otc"' in page.text and 'id="signin"' in page.text
    wrong = http.post(f"{root}/devicelogin", data={"otc": flow["user_code"], "username": fx["owner_upn"], "password": "nope"})
    assert wrong.status_code == 400 and "AADSTS50126" in wrong.text
    signed = http.post(f"{root}/devicelogin", data={"otc": flow["user_code"].lower(), "username": fx["owner_upn"],
                                                    "password": fx["owner_password"]})
    assert signed.status_code == 200 and 'id="done"' in signed.text
    token = http.post(f"{root}/organizations/oauth2/v2.0/token", data=token_form)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["access_token"] and body["refresh_token"] and body["id_token"]
    subs = http.get(f"{emulator.arm_url}/subscriptions", params={"api-version": "2022-12-01"},
                    headers={"Authorization": f"Bearer {body['access_token']}"})
    assert subs.status_code == 200 and subs.json()["value"]
    again = http.post(f"{root}/organizations/oauth2/v2.0/token", data=token_form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_device_code_needs_a_public_client(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    refused = http.post(f"{emulator.base_url}/organizations/oauth2/v2.0/devicecode",
                        data={"client_id": fx["skytally_client_id"], "scope": f"{emulator.arm_url}/.default"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
