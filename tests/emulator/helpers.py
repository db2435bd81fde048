"""Helpers for driving the emulator's Entra ID pages and decoding tokens in tests."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import requests


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


class CASession(requests.Session):
    """A requests session that always verifies with ``ca``.

    msal's ``verify=`` sets ``Session.verify``, which requests lets the
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` environment variables override; passing
    ``verify`` per request (as this session does) is not overridden.
    """

    def __init__(self, ca: str) -> None:
        super().__init__()
        self.ca = ca

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("verify", self.ca)
        return super().request(*args, **kwargs)


def flow_id(html: str) -> str:
    match = re.search(r'name="flow" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def error_code(html: str) -> str | None:
    match = re.search(r'id="error"[^>]*data-code="(AADSTS\d+)"', html)
    return match.group(1) if match else None


def sign_in(http: httpx.Client, auth_uri: str, upn: str, password: str) -> httpx.Response:
    """GET the authorize/adminconsent URL, then post the sign-in form (no redirects followed)."""
    page = http.get(auth_uri)
    assert page.status_code == 200, page.text[:500]
    return http.post(auth_uri.split("?")[0], data={"flow": flow_id(page.text), "step": "signin", "username": upn, "password": password})


def consent(http: httpx.Client, page: httpx.Response, action: str, *, for_org: bool = False) -> httpx.Response:
    data = {"flow": flow_id(page.text), "step": "consent", "action": action}
    if for_org:
        data["consent_org"] = "true"
    return http.post(str(page.request.url).split("?")[0], data=data)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text[:800])
    query = urlsplit(response.headers["location"]).query
    return {k: v[0] for k, v in parse_qs(query).items()}
