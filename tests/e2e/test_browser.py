"""Clicks through the real pages in headless Chromium (Debian's /usr/bin/chromium).

The app runs under uvicorn in a background thread on a free port, with a fresh data dir,
SQLite and a real (in-process) Huey consumer. Any console error, page error, failed
request or HTTP error response fails the test. Screenshots go to $SKYTALLY_SCREENSHOTS.
"""

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
from skytally.config import Settings
from skytally.runtime import build_runtime
from skytally.workspaces import service
from skytally.workspaces.schemas import UserCreate

ADMIN, VIEWER, PASSWORD = "admin@example.com", "viewer@example.com", "browser-test-password"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("browser")
    runtime = build_runtime(
        Settings(data_dir=data_dir, demo=True, base_url=f"http://127.0.0.1:{port}")
    )
    with runtime.db.session() as s:
        service.ensure_organisation(s)
        for email, admin in ((ADMIN, True), (VIEWER, False)):
            service.create_user(
                s, None, UserCreate(email=email, password=SecretStr(PASSWORD), is_admin=admin)
            )
    with serving(runtime, port) as url:
        yield url


def test_click_through_every_page(base_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = screenshots_dir()
    problems = Problems()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 860})
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda m: m.type == "error" and problems.add(f"console: {m.text} @ {m.location.get('url', '')}"))
        page.on("pageerror", lambda e: problems.add(f"page error: {e}"))
        page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")  # cancelled by the browser
                and problems.add(f"request failed: {r.method} {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and problems.add(f"HTTP {r.status}: {r.request.method} {r.url}"))
        page.on("dialog", lambda d: d.accept())

        def settled() -> None:
            """Wait until htmx finished swapping and settling (new content is live)."""
            page.wait_for_function(
                "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
            )

        def snap(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # Sign in (the first visit is redirected to the login page).
        page.goto(f"{base_url}/jobs")
        expect(page).to_have_url(re.compile(r"/login\?next=/jobs$"))
        snap("01-login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base_url}/jobs")
        page.goto(f"{base_url}/")
        expect(page.locator("h1")).to_have_text("Overview")
        snap("02-overview")

        # Create a workspace.
        page.click("nav.mainnav >> text=Workspaces")
        page.fill("#new input[name=name]", "Finance")
        page.fill("#new textarea[name=description]", "Cost owners of the finance department")
        page.click("#new button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Finance")
        expect(page.locator(".alert-success")).to_contain_text("created")

        # Add a member (htmx), change their role (htmx), see the flash.
        page.fill("form.add-member input[name=email]", VIEWER)
        page.select_option("form.add-member select[name=role]", "editor")
        page.click("form.add-member button[type=submit]")
        row = page.locator(f'tr[data-member="{VIEWER}"]')
        expect(row).to_be_visible()
        expect(page.locator("#flash")).to_contain_text("is now editor")
        settled()
        row.locator("select[name=role]").select_option("viewer")
        expect(page.locator("#flash")).to_contain_text("is now viewer")
        expect(row.locator("select[name=role]")).to_have_value("viewer")
        settled()
        page.click("details.menu >> summary[title='Switch workspace']")
        expect(page.locator(".menu-panel >> text=Finance")).to_be_visible()
        snap("03-workspace-detail")
        page.keyboard.press("Escape")
        page.goto(f"{base_url}/workspaces")
        expect(page.locator("table").get_by_role("link", name="Finance", exact=True)).to_be_visible()
        snap("04-workspaces")

        # Create an API token, use it, revoke it.
        page.click("summary[title=Account]")
        page.click("text=API tokens")
        page.fill("input[name=name]", "nightly export")
        page.click("text=Create token")
        token = page.locator("#new-token").inner_text()
        assert token.startswith("sky_")
        snap("05-token-created")
        api = context.request.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert api.ok and api.json()["user"]["email"] == ADMIN
        page.goto(f"{base_url}/settings/tokens")
        expect(page.locator("body")).not_to_contain_text(token)
        page.click('tr[data-token="nightly export"] >> text=Revoke')
        expect(page.locator(".alert")).to_contain_text("revoked")
        snap("06-tokens")

        # Users.
        page.click("nav.mainnav >> text=Users")
        page.fill("input[name=email]", "new.analyst@example.com")
        page.fill("input[name=display_name]", "New Analyst")
        page.fill("input[name=password]", "a-long-initial-password")
        page.click("text=Create user")
        expect(page.locator(".alert-success")).to_contain_text("new.analyst@example.com")
        snap("07-users")

        # Submit a housekeeping job and watch it complete (the page polls with htmx).
        page.click("nav.mainnav >> text=Jobs")
        page.select_option("select[name=kind]", "maintenance.housekeeping")
        page.click("text=Run now")
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        expect(page.locator("#job-panel")).to_have_attribute("data-status", "succeeded", timeout=20_000)
        expect(page.locator("[data-testid=job-result]")).to_contain_text("job_runs_pruned")
        snap("08-job-detail")
        page.goto(f"{base_url}/jobs")
        expect(page.locator("tr[data-status=succeeded]").first).to_be_visible()
        snap("09-jobs")
        page.click(".tabs >> text=Failed")
        expect(page.locator(".empty")).to_contain_text("failed")

        # API documentation (vendored Swagger UI).
        page.goto(f"{base_url}/api/v1/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("skytally")
        expect(page.locator(".opblock-tag-section").first).to_be_visible()
        snap("10-api-docs")
        operation = page.locator("#operations-me-me_api_v1_me_get")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
        expect(operation.locator(".live-responses-table")).to_contain_text(ADMIN)

        # A page that does not exist: a friendly 404 (that one error response is expected).
        problems.expected.add("/workspaces/424242")
        page.goto(f"{base_url}/workspaces/424242")
        expect(page.locator(".error-code")).to_have_text("404")
        snap("11-not-found")
        problems.expected.clear()

        # Sign out (from the overview, which now has a workspace and jobs).
        page.goto(f"{base_url}/")
        expect(page.locator(".list")).to_contain_text("Finance")
        snap("13-overview-with-data")
        page.click("summary[title=Account]")
        page.click("[data-testid=logout]")
        expect(page).to_have_url(f"{base_url}/login")
        expect(page.locator(".alert")).to_contain_text("signed out")

        # A viewer sees their workspace, but no admin pages.
        page.fill("input[name=email]", VIEWER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Overview")
        expect(page.locator("nav.mainnav")).not_to_contain_text("Users")
        page.click(".list >> text=Finance")
        expect(page.locator("form.add-member")).to_have_count(0)
        snap("12-viewer-workspace")

        browser.close()

    assert not problems.items, "\n".join(problems.items)
