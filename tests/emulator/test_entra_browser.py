"""The sign-in and consent pages in headless Chromium (Playwright), as the e2e tests will drive them."""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from azure_emulator.testing import RunningEmulator

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH")
def test_sign_in_and_accept_in_chromium(fresh_emulator: RunningEmulator) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    emu, fx = fresh_emulator, fresh_emulator.fixtures
    url = f"{emu.base_url}/organizations/oauth2/v2.0/authorize?" + urlencode({
        "client_id": fx["skytally_client_id"], "response_type": "code", "state": "abc", "prompt": "consent",
        "redirect_uri": "http://localhost:8765/auth/callback", "scope": "openid Directory.Read.All"})
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(headless=True, executable_path=CHROMIUM)
        try:
            page = browser.new_page(ignore_https_errors=True)
            page.goto(url)
            page.fill("#username", fx["global_admin_upn"])
            page.fill("#password", "wrong")
            page.click("#signin")
            assert page.get_attribute("#error", "data-code") == "AADSTS50126"
            page.fill("#password", fx["global_admin_password"])
            page.click("#signin")
            assert [e.get_attribute("data-value") for e in page.query_selector_all(".permission")] == ["Directory.Read.All", "openid"]
            page.check("#consent-org")
            with page.expect_request(lambda r: r.url.startswith("http://localhost:8765")) as request:
                try:
                    page.click("#accept")
                except Exception:  # nothing listens on 8765: the navigation itself fails
                    pass
            query = parse_qs(urlsplit(request.value.url).query)
            assert query["state"] == ["abc"] and query["code"][0]
        finally:
            browser.close()
    grants = emu.world.tenants[fx["primary_tenant_id"]].delegated_grants
    assert any(g.consent_type == "AllPrincipals" and "Directory.Read.All" in g.scopes for g in grants)
