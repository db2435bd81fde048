"""Helpers for accounts tests: play the user at the emulator's sign-in and consent pages
(plain HTTP form posts, like a browser without JavaScript) and return the query Microsoft
redirects back with; snapshot skytally's tables and the emulator's role assignments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from sqlalchemy import text

from azure_emulator.testing import RunningEmulator
from skytally.runtime import Runtime

SKYTALLY_TABLES = ("cloud_accounts", "cloud_subscriptions", "account_workspaces", "account_credentials",
                   "credential_secret_versions", "ea_tokens", "billing_accounts")


# --- playing the user at the emulator's pages ----------------------------------------------
def _form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert action, html[:500]
    return unescape(action.group(1)), {k: unescape(v) for k, v in fields.items()}


@dataclass
class SignInResult:
    query: dict[str, str] | None  # what came back to skytally's redirect URI
    page: str  # the last page shown when nothing came back (an error page)


def sign_in(emu: RunningEmulator, url: str, upn: str, password: str, *, accept: bool = True,
            for_org: bool = False) -> SignInResult:
    with emu.client(follow_redirects=False) as http:
        page = http.get(url)
        if page.status_code in (302, 303):
            return SignInResult(dict(parse_qsl(urlsplit(page.headers["location"]).query)), "")
        action, fields = _form(page.text)
        resp = http.post(urljoin(url, action), data={**fields, "username": upn, "password": password})
        for _ in range(3):
            if resp.status_code in (302, 303):
                return SignInResult(dict(parse_qsl(urlsplit(resp.headers["location"]).query)), "")
            if 'id="accept"' not in resp.text and 'id="cancel"' not in resp.text:
                return SignInResult(None, resp.text)
            action, fields = _form(resp.text)
            data: dict[str, Any] = {**fields, "action": "accept" if accept and 'id="accept"' in resp.text else "cancel"}
            if for_org:
                data["consent_org"] = "true"
            resp = http.post(urljoin(url, action), data=data)
        return SignInResult(None, resp.text)


def snapshot(rt: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of skytally's account tables (to prove a failure changed nothing)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with rt.db.engine.connect() as conn:
        for table in SKYTALLY_TABLES:
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
    return out


def assignments(emu: RunningEmulator, principal_id: str | None = None) -> set[tuple[str, str, str]]:
    """(scope, role definition id, principal) of every role assignment in the emulator."""
    assert emu.world is not None
    return {
        (ra.scope.lower(), ra.role_definition_id.lower(), ra.principal_id.lower())
        for ra in list(emu.world.role_assignments.values())
        if principal_id is None or ra.principal_id.lower() == principal_id.lower()
    }


def parse_url(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))

