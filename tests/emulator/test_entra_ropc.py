"""Username/password (ROPC) sign-in as MSAL does it, and why ``az login -u/-p`` needs port 443.

MSAL (1.39, what the Azure CLI ships) asks the authority's host for the user's realm before a
ROPC token request: ``https://{instance}/common/userrealm/{username}?api-version=1.0``. Its
``instance`` comes from ``msal.authority.canonicalize``, which keeps ``urlparse(...).hostname``:
the port of the authority is dropped, so against ``https://127.0.0.1:PORT`` the request goes to
``https://127.0.0.1/common/userrealm/…`` (port 443). The OpenID configuration and the token
request keep the port (MSAL builds them from the full authority URL and from the discovered
``token_endpoint``). So the emulator answers user-realm discovery on its own port, but MSAL
does not ask it there: ``az login -u/-p`` against a registered cloud works only when the
emulator (or a forwarder to it) listens on 443 of the authority's host (docs/emulator.md).

These tests drive MSAL unchanged with an HTTP client that records every URL and forwards the
port-less ones to the emulator's port, which is what a forwarder on 443 would do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msal
import requests

from azure_emulator.testing import RunningEmulator
from azure_emulator.world.firstparty import AZURE_CLI_APP_ID


class _Forwarding(requests.Session):
    """requests, trusting the emulator's CA, recording URLs; port-less emulator URLs go to its port."""

    def __init__(self, emu: RunningEmulator, forward: bool) -> None:
        super().__init__()
        self.verify = emu.ca_bundle
        self.port, self.forward = emu.port, forward
        self.asked: list[str] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        url = url.decode() if isinstance(url, bytes) else url
        self.asked.append(url)
        parts = urlsplit(url)
        if self.forward and parts.hostname == "127.0.0.1" and parts.port is None:
            url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))
        kwargs["verify"] = self.verify  # explicit: a REQUESTS_CA_BUNDLE in the environment would win over the session's
        return super().request(method, url, *args, **kwargs)


def _app(emu: RunningEmulator, http: requests.Session) -> msal.PublicClientApplication:
    # instance_discovery off, as the conformance suite sets core.instance_discovery=false for az
    return msal.PublicClientApplication(AZURE_CLI_APP_ID, authority=f"{emu.base_url}/organizations",
                                        http_client=http, instance_discovery=False)


def test_user_realm_discovery_answers_as_entra_does(emulator: RunningEmulator, http: httpx.Client) -> None:
    upn = emulator.fixtures["owner_upn"]
    managed = http.get(f"{emulator.base_url}/common/userrealm/{upn}", params={"api-version": "1.0"}).json()
    assert managed == {"ver": "1.0", "account_type": "Managed", "domain_name": upn.split("@")[1],
                       "cloud_instance_name": "microsoftonline.com", "cloud_audience_urn": "urn:federation:MicrosoftOnline"}
    unknown = http.get(f"{emulator.base_url}/common/userrealm/someone@nowhere.example", params={"api-version": "1.0"}).json()
    assert unknown["account_type"] == "Unknown" and "domain_name" not in unknown


def test_msal_asks_the_user_realm_without_the_authoritys_port(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    recorder = _Forwarding(emulator, forward=True)
    result = _app(emulator, recorder).acquire_token_by_username_password(
        fx["owner_upn"], fx["owner_password"], scopes=[f"{emulator.arm_url}/.default"])
    assert "access_token" in result, result
    realm = [u for u in recorder.asked if "/common/userrealm/" in u]
    assert realm == [f"https://127.0.0.1/common/userrealm/{fx['owner_upn']}?api-version=1.0"]  # port 443
    others = [u for u in recorder.asked if "/common/userrealm/" not in u]
    assert others and all(urlsplit(u).port == emulator.port for u in others)  # discovery and token keep it


def test_without_a_listener_on_443_msal_cannot_finish(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    recorder = _Forwarding(emulator, forward=False)
    try:
        result = _app(emulator, recorder).acquire_token_by_username_password(
            fx["owner_upn"], fx["owner_password"], scopes=[f"{emulator.arm_url}/.default"])
    except requests.RequestException:
        result = {}
    # nothing on 443 here: refused (or, if some other server holds 443, not the emulator's answer)
    assert "access_token" not in result
    assert recorder.asked[-1].startswith("https://127.0.0.1/common/userrealm/")
