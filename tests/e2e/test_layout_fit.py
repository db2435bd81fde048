"""Pages fit their width: a job whose result names long reasons (a tags.push refused by a
lock quotes whole resource ids) and the tag audit log showing such a reason stay within a
1366 px window; a workspace with jobs fits a 390 px phone; the Licences filter's number
fields look like the other inputs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from e2e.stack import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Problems,
    free_port,
    screenshots_dir,
    serving,
)
from skytally.accounts.models import AccountWorkspace, CloudAccount
from skytally.config import Settings
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import TagAudit
from skytally.jobs.models import JobRun
from skytally.runtime import build_runtime
from skytally.workspaces import service
from skytally.workspaces.schemas import UserCreate, WorkspaceCreate

ADMIN, PASSWORD = "layout-admin@example.com", "layout-test-password"
SUB = "9abe6538-8f88-4c5b-9e93-abfa997f3546"
LOCKED = (f"Azure answered 409 ScopeLocked: The scope '/subscriptions/{SUB}/"
          "resourceGroups/rg-hr-dev/providers/Microsoft.Compute/disks/vm-hr-dev-01_OsDisk_1_a9a4d0c7b98e4d82d843e566")

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, int]]:
    port = free_port()
    runtime = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("layout"), demo=True,
                                     base_url=f"http://127.0.0.1:{port}"))
    with runtime.db.session() as s:
        service.ensure_organisation(s)
        service.create_user(s, None, UserCreate(email=ADMIN, password=SecretStr(PASSWORD), is_admin=True))
        reasons = {f"{LOCKED}{i}": 1 for i in range(3)}
        ws = service.create_workspace(s, None, WorkspaceCreate(name="Layout"))
        acc = CloudAccount(kind="azure", name="Contoso", tenant_id="00000000-0000-0000-0000-000000000777")
        s.add(acc)
        s.flush()
        s.add(AccountWorkspace(account_id=acc.id, workspace_id=ws.id))
        disk = f"/subscriptions/{SUB}/resourceGroups/rg-hr-dev/providers/Microsoft.Compute/disks/" + "vm_OsDisk_1_" + "a9" * 20
        s.add(InventoryResource(account_id=acc.id, subscription_id=SUB, resource_id=disk.lower(), name=disk.rsplit("/", 1)[-1],
                                type="microsoft.compute/disks", resource_group="rg-hr-dev", location="eastus"))
        s.add(TagAudit(actor=ADMIN, pushed_by=ADMIN, account_id=acc.id, subscription_id=SUB, resource_id=disk,
                       key="CostCenter", after="CC-1", action="push", result="failed", reason=f"{LOCKED} locked"))
        run = JobRun(kind="tags.push", target="account 1", params={"account_id": 1}, status="partial", workspace_id=ws.id,
                     progress=1.0, message="3 of 3 resources pushed",
                     result={"failed": 3, "pushes": [{"subscription": SUB, "applied": 0}], "subscriptions": {SUB: {
                         "failed": 3, "reasons": reasons}}})
        s.add(run)
        s.flush()
        run_id, ws_id = run.id, ws.id
    with serving(runtime, port) as url:
        yield url, run_id, ws_id


def test_long_job_results_and_licence_filters_fit(stack: tuple[str, int, int]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url, run_id, ws_id = stack
    problems = Problems()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: m.type == "error" and problems.add(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.add(f"page error: {e}"))
        page.on("response", lambda r: r.status >= 400 and problems.add(f"HTTP {r.status}: {r.request.method} {r.url}"))
        page.goto(f"{base_url}/jobs/{run_id}")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(rf"/jobs/{run_id}$"))
        # the reasons are data: shown as Azure wrote them, not lower-cased with "_" made spaces
        expect(page.locator("main")).to_contain_text(f"{LOCKED}0")
        page.screenshot(path=str(screenshots_dir() / "layout-job-reasons.png"), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the job page is {overflow}px wider than the window"
        heading, cell = (page.locator(f"table.readable {t}").first.evaluate(
            "e => e.getBoundingClientRect().left + parseFloat(getComputedStyle(e).paddingLeft)") for t in ("th", "td"))
        assert abs(heading - cell) <= 1, f"a compact table's heading starts at {heading}px, its cells at {cell}px"

        page.goto(f"{base_url}/resources?tab=audit")
        expect(page.locator("[data-testid=audit-table]")).to_contain_text("ScopeLocked")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the audit log is {overflow}px wider than the window"
        card = page.locator("[data-testid=audit-table]").locator("xpath=ancestor::section[1]")
        assert card.evaluate("e => e.scrollWidth - e.clientWidth") <= 1, "the audit table overflows its card"

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base_url}/workspaces/{ws_id}")
        expect(page.locator("main")).to_contain_text("Push tag changes to Azure")  # the run, its job named in words
        page.screenshot(path=str(screenshots_dir() / "layout-workspace-phone.png"), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the workspace page is {overflow}px wider than a 390px phone"
        # the Resources tab: filter, bulk edit and table are cards apart, not touching
        page.goto(f"{base_url}/resources")
        gaps = page.evaluate("""() => ['[data-testid=tag-filter]', '[data-testid=bulk-edit]'].map(sel => {
          const e = document.querySelector(sel);
          return e.nextElementSibling.getBoundingClientRect().top - e.getBoundingClientRect().bottom; })""")
        assert min(gaps) >= 12, f"cards on the Resources tab {gaps}px apart"

        # a resource's page: its long name and id wrap; History keeps its gap from the cards above
        page.goto(f"{base_url}/resources?tab=audit")
        page.locator("[data-testid=audit-table] a").first.click()
        expect(page.locator("[data-testid=resource-history]")).to_be_visible()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the resource page is {overflow}px wider than a 390px phone"
        gap = page.evaluate("""() => { const h = document.querySelector('[data-testid=resource-history]').closest('section');
          return h.getBoundingClientRect().top - h.previousElementSibling.getBoundingClientRect().bottom; }""")
        assert gap >= 16, f"{gap}px above the History card"
        page.set_viewport_size({"width": 1366, "height": 768})

        page.goto(f"{base_url}/licences")
        expect(page.locator("[data-testid=no-accounts]")).to_be_visible()
        assert page.locator("select[name=account]").count() == 0, "an empty Office 365 account list is offered"
        number = page.locator("input[name=inactive_days]")
        select = page.locator("select[name=workspace]")
        for prop in ("border-radius", "padding-left", "font-size"):
            style = f"e => getComputedStyle(e).getPropertyValue('{prop}')"
            assert number.evaluate(style) == select.evaluate(style), prop
        browser.close()
    assert not problems.items, "\n".join(problems.items)
