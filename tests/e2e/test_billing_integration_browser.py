"""A billing account connected with a service principal (the Vantage flow) as a user meets it
in headless Chromium: added to a tenant connected by consent, named, assigned to the Finance
workspace on its own; Finance then sees its costs and import runs and nothing of the tenant's
inventory, Platform the reverse; adding it again says so and offers what can be done. The
pages fit 1366 and 390 px.

Screenshots go to $SKYTALLY_SCREENSHOTS (default $TMPDIR/skytally-screenshots), `billing-*`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from pydantic import SecretStr

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.model import RoleAssignment
from e2e.stack import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Problems,
    emulator_settings,
    free_port,
    screenshots_dir,
    serving,
)
from skytally.accounts import repo
from skytally.accounts.models import CloudAccount
from skytally.config import Settings
from skytally.runtime import build_runtime
from skytally.store.base import utcnow
from skytally.workspaces import service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate

ADMIN, PASSWORD = "admin@example.com", "browser-test-password"

pytestmark = BROWSER_MARKS


@dataclass
class Stack:
    url: str
    emu: RunningEmulator
    account_id: int


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with RunningEmulator(seed=11, size="small") as emu:
        fx = emu.fixtures
        assert emu.world is not None
        name = str(uuid.uuid4())
        with emu.world.lock:  # the customer grants its principal Billing Account Reader on the MCA account
            emu.world.role_assignments[name] = RoleAssignment(
                name=name, scope=f"/providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}",
                role_definition_id=roles.MCA_BILLING_ACCOUNT_READER, principal_id=fx["customer_sp_object_id"],
                principal_type="ServicePrincipal", tenant_id=fx["mca_billing_tenant_id"],
                created=emu.world.clock.now() - timedelta(days=1))
            emu.world.touch()
        port = free_port()
        with emulator_settings(emu):
            rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("billing-e2e"), demo=True,
                                        base_url=f"http://127.0.0.1:{port}"))
        with rt.db.session() as s:
            service.ensure_organisation(s)
            service.create_user(s, None, UserCreate(email=ADMIN, password=SecretStr(PASSWORD), is_admin=True))
            platform = service.create_workspace(s, None, WorkspaceCreate(name="Platform"))
            finance = service.create_workspace(s, None, WorkspaceCreate(name="Finance"))
            for ws in (platform, finance):
                service.add_member(s, None, ws.id, MemberAdd(email=ADMIN, role=WorkspaceRole.ADMIN))
            # the tenant, connected earlier by an owner's consent, in Platform
            account = CloudAccount(kind="azure", name="Contoso", tenant_id=fx["primary_tenant_id"], connection="consent",
                                   consented_by="olivia.owner@contoso.com", consented_at=utcnow() - timedelta(days=3))
            s.add(account)
            s.flush()
            repo.set_workspaces(s, account.id, [platform.id])
            account_id = account.id
        with serving(rt, port) as url:
            yield Stack(url, emu, account_id)


def test_a_billing_account_is_an_integration_of_its_own(stack: Stack) -> None:
    from playwright.sync_api import expect, sync_playwright

    fx = stack.emu.fixtures
    mca = fx["mca_billing_account_id"]
    shots = screenshots_dir()
    problems = Problems(expected={"/accounts/service-principal", "status of 409"})

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda e: problems.add(f"page error: {e}"))
        page.on("console", lambda m: m.type == "error" and problems.add(f"console: {m.text}"))
        page.on("response", lambda r: r.status >= 400 and problems.add(f"HTTP {r.status}: {r.url}"))

        def snap(name: str) -> None:
            page.screenshot(path=str(shots / f"billing-{name}.png"), full_page=True)

        def fits(path: str) -> None:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e =>
                e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll, .mainnav'))
                .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
            assert overflow <= 1, f"{path} is {overflow}px wider than the window: {wide}"

        def scope(name: str) -> None:
            page.locator("[data-testid=current-scope]").click()
            page.locator("[data-testid=workspace-switcher] a", has_text=name).click()
            expect(page.locator("[data-testid=current-scope]")).to_have_text(name)

        page.goto(f"{stack.url}/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        # --- connect the MCA billing account with the customer's service principal -------------------
        # Started from Add Cloud Account (as the Vantage onboarding reads): the tenant is already
        # connected, so the page says so and its offer brings what was typed along (not the secret).
        page.goto(f"{stack.url}/accounts/new?kind=sp")
        page.fill("#sp-form input[name=tenant_id]", fx["primary_tenant_id"])
        page.fill("#sp-form input[name=client_id]", fx["customer_sp_client_id"])
        page.fill("#sp-form input[name=client_secret]", fx["customer_sp_secret"])
        page.fill("#sp-form input[name=billing_account_id]", mca)
        page.fill("#sp-form input[name=billing_name]", "Contoso MCA (finance)")
        page.click("#sp-form button[type=submit]")
        expect(page.locator("#form-error")).to_contain_text("already connected")
        page.click("[data-testid=add-credential]")
        expect(page.locator("#sp-form h2, section h2").first).to_contain_text("Add a service principal to Contoso")
        expect(page.locator("#sp-form input[name=client_id]")).to_have_value(fx["customer_sp_client_id"])
        expect(page.locator("#sp-form input[name=billing_account_id]")).to_have_value(mca)
        expect(page.locator("#sp-form input[name=billing_name]")).to_have_value("Contoso MCA (finance)")
        expect(page.locator("#sp-form input[name=client_secret]")).to_have_value("")
        expect(page.locator("[data-reenter=client_secret]")).to_contain_text("Enter the secret again")
        page.fill("#sp-form input[name=client_secret]", fx["customer_sp_secret"])
        page.fill("#sp-form input[name=billing_account_id]", mca)
        page.fill("#sp-form input[name=billing_name]", "Contoso MCA (finance)")
        page.locator("#billing-workspaces label", has_text="Finance").locator("input").check()
        snap("01-add-billing-form")
        page.click("#sp-form button[type=submit]")
        expect(page.locator(".flash, .alert").first).to_contain_text("billing account Contoso MCA (finance)")
        table = page.locator("[data-testid=billing-accounts]")
        expect(table).to_contain_text("Contoso MCA (finance)")
        expect(table.locator("tr", has_text="Contoso MCA (finance)")).to_contain_text("Finance")
        expect(table.locator("tr", has_text="Contoso MCA (finance)")).not_to_contain_text("Platform")
        snap("02-tenant-with-billing")

        page.goto(f"{stack.url}/accounts")
        listed = page.locator(f"[data-tenant='{fx['primary_tenant_id']}'] [data-testid=tenant-billing-accounts]")
        expect(listed).to_contain_text("Contoso MCA (finance)")
        expect(listed).to_contain_text("Finance")
        snap("03-overview-listed-under-tenant")
        # the credential says which billing accounts it reads (the one it was added with, by name)
        page.goto(f"{stack.url}/accounts/{stack.account_id}?tab=credentials")
        expect(page.locator("[data-testid=credential-billing]")).to_contain_text("Contoso MCA (finance)")

        # --- adding it again says so and offers what can be done --------------------------------------
        page.goto(f"{stack.url}/accounts/new?kind=sp&account={stack.account_id}")
        page.fill("#sp-form input[name=client_id]", fx["customer_sp_client_id"])
        page.fill("#sp-form input[name=client_secret]", fx["customer_sp_secret"])
        page.fill("#sp-form input[name=billing_account_id]", mca)
        page.click("#sp-form button[type=submit]")
        expect(page.locator("#form-error")).to_contain_text("already connected as “Contoso MCA (finance)”")
        expect(page.locator("#sp-form input[name=billing_account_id]")).to_have_value(mca)
        snap("04-already-connected")
        page.click("[data-testid=open-billing]")

        # --- rename it on its own page ------------------------------------------------------------------
        expect(page.locator("h1")).to_contain_text("Contoso MCA (finance)")
        page.fill("#billing-form input[name=name]", "Finance MCA")
        page.click("#billing-form button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Finance MCA")
        expect(page.locator(".flash, .alert").first).to_contain_text("its costs are seen in Finance")
        fits("billing page")
        snap("05-billing-page")

        # the first imports (started by connecting) finish before the pages are read
        for _ in range(180):
            runs = page.request.get(f"{stack.url}/api/v1/jobs?limit=100").json()
            if not any(r["status"] in ("queued", "running") for r in runs):
                break
            page.wait_for_timeout(1000)

        # --- the header's workspace: Finance sees the billing account, not the tenant ------------------
        page.goto(f"{stack.url}/accounts")
        scope("Finance")
        page.goto(f"{stack.url}/accounts")
        expect(page.locator("[data-tenant]")).to_have_count(0)
        expect(page.locator("[data-testid=billing-only]")).to_contain_text("Finance MCA")
        snap("06-finance-setup")
        page.goto(f"{stack.url}/costs")
        expect(page.locator("body")).to_contain_text("Finance MCA")
        expect(page.locator("main")).not_to_contain_text("No Azure tenant with billing data")
        fits("/costs")
        snap("07-finance-costs-1366")
        page.goto(f"{stack.url}/jobs")
        expect(page.locator("main table")).to_contain_text("Finance")
        expect(page.locator("main table")).not_to_contain_text("Platform")  # runs shown in the billing account's workspace
        expect(page.locator("main table")).not_to_contain_text("inventory.sync")  # the tenant's
        fits("/jobs")
        snap("08-finance-jobs-1366")
        finance_jobs = page.locator("main").inner_text()
        for name, path in (("09-finance-costs-390", "/costs"), ("10-finance-jobs-390", "/jobs"),
                           ("11-finance-billing-390", None)):
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(stack.url + (path or "/accounts"))
            if path is None:
                page.click("[data-testid=billing-only] a")
            fits(path or "billing page")
            snap(name)
        page.set_viewport_size({"width": 1366, "height": 900})

        page.goto(f"{stack.url}/costs")
        scope("Platform")
        assert "Finance MCA" not in page.locator("main").inner_text()
        snap("12-platform-costs")
        page.goto(f"{stack.url}/jobs")
        platform_jobs = page.locator("main").inner_text()
        snap("13-platform-jobs")
        assert "costs.import_period" in finance_jobs and "costs.import_period" not in platform_jobs
        assert "inventory.sync" in platform_jobs
        context.close()
        browser.close()
    assert not problems.items, problems.items
