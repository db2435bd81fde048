"""Cloud Tenant Setup in headless Chromium against the HTTPS emulator:

- Add Cloud Account by domain → emulator sign-in as an owner → consent → subscriptions
  listed with Reader;
- Change Access to tags-writeback → the emulator holds Tag Contributor and no Reader for
  skytally's service principal on that subscription (and only that one);
- Office 365 admin consent → granted permissions listed.

Screenshots go to $SKYTALLY_SCREENSHOTS (default $TMPDIR/skytally-screenshots).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from azure_emulator.testing import RunningEmulator
from e2e.stack import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    emulator_settings,
    free_port,
    screenshots_dir,
    serving,
)
from skytally.config import Settings
from skytally.runtime import build_runtime
from skytally.workspaces import service
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate

ADMIN, PASSWORD = "admin@example.com", "browser-test-password"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
TAG_CONTRIBUTOR = "4a9ae827-6dc8-4573-8ac7-8239d42aa03f"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RunningEmulator]]:
    with RunningEmulator(seed=11, size="small") as emu:
        port = free_port()
        with emulator_settings(emu):
            runtime = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("accounts-e2e"), demo=True,
                                             base_url=f"http://127.0.0.1:{port}"))
        assert runtime.settings.cloud.value == "custom" and runtime.settings.endpoints.ca_bundle is not None
        with runtime.db.session() as s:
            service.ensure_organisation(s)
            service.create_user(s, None, UserCreate(email=ADMIN, password=SecretStr(PASSWORD), is_admin=True))
            ws = service.create_workspace(s, None, WorkspaceCreate(name="Platform"))
            service.add_member(s, None, ws.id, MemberAdd(email=ADMIN))
        with serving(runtime, port) as url:
            yield url, emu


def _held(emu: RunningEmulator, principal: str, scope: str) -> set[str]:
    assert emu.world is not None
    return {ra.role_definition_id.lower() for ra in list(emu.world.role_assignments.values())
            if ra.principal_id.lower() == principal.lower() and ra.scope.lower() == scope.lower()}


def test_cloud_tenant_setup_in_the_browser(stack: tuple[str, RunningEmulator]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url, emu = stack
    fx = emu.fixtures
    assert emu.world is not None
    shots = screenshots_dir()
    problems: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        expected = ("state=forged", "/favicon.ico", "/accounts/service-principal")  # the forged callback (400) and the emulator's favicon

        def problem(text: str) -> None:
            if not any(e in text for e in expected):
                problems.append(text)

        page.on("console", lambda m: m.type == "error" and problem(f"console: {m.text} @ {m.location.get('url', '')}"))
        page.on("response", lambda r: r.status >= 400 and problem(f"HTTP {r.status}: {r.url}"))

        def snap(name: str) -> None:
            page.screenshot(path=str(shots / f"accounts-{name}.png"), full_page=True)

        def emulator_sign_in(upn: str, password: str, *, accept: bool = True) -> None:
            page.wait_for_url(re.compile(re.escape(emu.base_url) + ".*"))
            page.fill("#username", upn)
            page.fill("#password", password)
            page.click("#signin")
            page.wait_for_load_state()
            if page.locator("#accept").count():
                snap(f"emulator-consent-{upn.split('@')[0]}")
                page.click("#accept" if accept else "#cancel")

        page.goto(f"{base_url}/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base_url}/accounts")
        expect(page.locator("h1")).to_have_text("Cloud Tenant Setup")
        snap("01-empty")

        # --- Add Cloud Account (Azure) by domain; the owner consents at the emulator ------------
        page.click("#add-cloud-account")
        page.fill("input[name=name]", "Fabrikam")
        page.fill("input[name=tenant]", fx["second_domain"])
        snap("02-add")
        page.click("#add-account-form button[type=submit]")
        expect(page.locator("h1")).to_have_text("Continue at Microsoft")
        page.click("#continue")
        emulator_sign_in(fx["second_owner_upn"], fx["second_owner_password"])
        page.wait_for_url(re.compile(re.escape(base_url) + r"/accounts/\d+$"))
        expect(page.locator(".alert-success")).to_contain_text("Connected Fabrikam")
        rows = page.locator("[data-testid=subscriptions] tbody tr")
        expect(rows).to_have_count(len(fx["second_owner_subscription_ids"].split()))
        for sid in fx["second_owner_subscription_ids"].split():
            cell = page.locator(f'tr[data-subscription="{sid}"] td[data-role-status]')
            expect(cell).to_contain_text(re.compile("Reader|activating"))
        snap("03-tenant-subscriptions")
        tenant = emu.world.tenants[fx["second_tenant_id"]]
        sp = tenant.service_principal_by_app_id(fx["skytally_client_id"])
        assert sp is not None, "consent must create skytally's service principal in the tenant"
        for sid in fx["second_owner_subscription_ids"].split():
            assert READER in _held(emu, sp.object_id, f"/subscriptions/{sid}")

        # --- Change Access to tags-writeback on one subscription ---------------------------
        target, other = fx["second_owner_subscription_ids"].split()[:2]
        row = page.locator(f'tr[data-subscription="{target}"]')
        row.locator("select[name=level]").select_option("tags-writeback")
        row.locator("button", has_text="Change access").click()
        expect(page.locator("h1")).to_have_text("Continue at Microsoft")
        snap("04-change-access-redirect")
        page.click("#continue")
        emulator_sign_in(fx["second_owner_upn"], fx["second_owner_password"])
        page.wait_for_url(re.compile(re.escape(base_url) + r"/accounts/\d+$"))
        expect(page.locator(".alert-success")).to_contain_text("tags-writeback")
        expect(page.locator(f'tr[data-subscription="{target}"]')).to_contain_text("tags-writeback")
        assert _held(emu, sp.object_id, f"/subscriptions/{target}") == {TAG_CONTRIBUTOR}
        assert READER in _held(emu, sp.object_id, f"/subscriptions/{other}")
        assert TAG_CONTRIBUTOR not in _held(emu, sp.object_id, f"/subscriptions/{other}")
        snap("05-writeback")

        # --- Office 365 admin consent ------------------------------------------------------
        page.goto(f"{base_url}/accounts/new?kind=office365")
        page.fill("input[name=name]", "Northwind Traders")
        page.fill("input[name=tenant]", fx["o365_domain"])
        page.click("#add-account-form button[type=submit]")
        page.click("#continue")
        emulator_sign_in(fx["o365_admin_upn"], fx["o365_admin_password"])
        page.wait_for_url(re.compile(re.escape(base_url) + r"/accounts/\d+$"))
        granted = page.locator(".card").first
        for permission in ("User.Read.All", "Group.Read.All", "LicenseAssignment.Read.All", "Reports.Read.All",
                           "AuditLog.Read.All"):
            expect(granted).to_contain_text(permission)
        expect(granted).not_to_contain_text("Application.Read.All")  # asked for exactly what the import uses
        snap("06-office365")
        # The first licence import started when the tenant was connected.
        page.click("[data-testid=licences-link]")
        deadline = time.monotonic() + 60
        while "ok ·" not in page.locator("[data-testid=import-status]").inner_text():
            assert time.monotonic() < deadline, page.locator("[data-testid=import-status]").inner_text()
            time.sleep(0.5)
            page.reload()
        expect(page.locator("[data-testid=knowledge]").first).to_contain_text("conceal")

        # --- A service principal with an EA enrollment, and an EA access token --------------
        page.goto(f"{base_url}/accounts/new?kind=sp")
        page.fill("#sp-form input[name=name]", "Contoso (exporter)")
        page.fill("#sp-form input[name=tenant_id]", fx["primary_custom_domain"])
        page.fill("#sp-form input[name=client_id]", fx["customer_sp_client_id"])
        page.fill("#sp-form input[name=client_secret]", fx["customer_sp_secret"] + "-typo")
        page.click("#sp-form button[type=submit]")
        expect(page.locator("main")).to_contain_text("client secret is wrong")
        snap("09-sp-wrong-secret")
        page.goto(f"{base_url}/accounts/new?kind=sp")
        page.fill("#sp-form input[name=name]", "Contoso (exporter)")
        page.fill("#sp-form input[name=tenant_id]", fx["primary_custom_domain"])
        page.fill("#sp-form input[name=client_id]", fx["customer_sp_client_id"])
        page.fill("#sp-form input[name=client_secret]", fx["customer_sp_secret"])
        page.fill("#sp-form input[name=billing_account_id]", fx["ea_enrollment_number"])
        snap("10-sp-form")
        page.click("#sp-form button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("EnterpriseAgreement")
        # Connected with a billing account, the account's page lists it among its billing accounts;
        # the credential itself is on the Credentials tab.
        expect(page.locator("[data-testid=billing-accounts]")).to_contain_text(fx["ea_enrollment_number"])
        page.click("nav.tabs >> text=Credentials")
        expect(page.locator("[data-credential]")).to_contain_text("read from Entra ID")
        snap("11-credentials")
        page.click("nav.tabs >> text=Access Tokens")
        page.fill("textarea[name=token]", emu.control.post("/billing/ea-keys", json={}).json()["key"])
        page.click("text=Validate and add")
        expect(page.locator("[data-testid=ea-tokens]")).to_contain_text("in use")
        snap("12-tokens")

        # --- A failure is explained, and the overview shows everything ---------------------
        page.goto(f"{base_url}/accounts/consent/callback?code=forged&state=forged")
        expect(page.locator("#consent-message")).to_contain_text("forged")
        snap("07-forged")
        page.goto(f"{base_url}/accounts")
        expect(page.locator("[data-tenant]")).to_have_count(2)
        expect(page.locator("[data-testid=office365]")).to_contain_text("Reports.Read.All")
        snap("08-overview")
        context.close()
        browser.close()
    assert not problems, problems

