"""The Licences page in headless Chromium, against the emulator: an Office 365 tenant is
imported with "Sync now", the purchased/assigned/active chart renders, a price entered for
Microsoft 365 E3 shows up in the monthly waste and the cost by department, a rule's users
are listed and exported as CSV, and the Office 365 account page links to the page.
Any console error, page error, failed request or HTTP error response fails the test."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from azure_emulator.services.entra.scopes import ensure_service_principal, grant_app_roles
from azure_emulator.testing import RunningEmulator
from azure_emulator.world.firstparty import GRAPH_APP_ID
from azure_emulator.world.generate import generate_world
from azure_emulator.world.generate_m365 import add_m365_tenant
from e2e.stack import (
    BROWSER_MARKS,
    Browsing,
    Problems,
    emulator_settings,
    free_port,
    screenshots_dir,
    serving,
)
from skytally.accounts import repo as accounts_repo
from skytally.accounts.models import AccountKind, CloudAccount
from skytally.config import Settings
from skytally.runtime import build_runtime
from skytally.workspaces import service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate

ADMIN, PASSWORD = "licences-admin@example.com", "browser-licences-password"
ROLES = ["User.Read.All", "Group.Read.All", "Reports.Read.All", "LicenseAssignment.Read.All", "AuditLog.Read.All"]
E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    world = generate_world(12, "small")
    tenant = add_m365_tenant(world, 12, 200, prefix="tailspin")
    tenant.display_concealed_names = False
    app = world.application(world.fixtures["skytally_client_id"])
    assert app is not None
    sp = ensure_service_principal(tenant, app, datetime.now(UTC))
    grant_app_roles(tenant, sp, GRAPH_APP_ID, ROLES, datetime.now(UTC))
    with RunningEmulator(world) as emulator:
        port = free_port()
        with emulator_settings(emulator):
            runtime = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("licences-browser"), demo=True,
                                             base_url=f"http://127.0.0.1:{port}"))
            with runtime.db.session() as s:
                service.ensure_organisation(s)
                service.create_user(s, None, UserCreate(email=ADMIN, password=SecretStr(PASSWORD), is_admin=False))
                ws = service.create_workspace(s, None, WorkspaceCreate(name=f"IT {uuid.uuid4().hex[:4]}"))
                service.add_member(s, None, ws.id, MemberAdd(email=ADMIN, role=WorkspaceRole.ADMIN))
                account = CloudAccount(kind=AccountKind.OFFICE365.value, name="Tailspin", tenant_id=tenant.tenant_id,
                                       connection="consent", granted_permissions=ROLES, created_by="test")
                s.add(account)
                s.flush()
                accounts_repo.set_workspaces(s, account.id, [ws.id])
                account_id = account.id
            with serving(runtime, port) as url:
                yield url, account_id


def test_licences_page(stack: tuple[str, int], tmp_path: Path, browse: Callable[..., Browsing]) -> None:
    from playwright.sync_api import expect

    base_url, account_id = stack
    shots = screenshots_dir()
    problems = Problems()
    b = browse(1360, 900, problems=problems, accept_downloads=True)
    page = b.page
    b.sign_in(f"{base_url}/accounts/{account_id}", ADMIN, PASSWORD)
    page.click("[data-testid=licences-link]")
    expect(page).to_have_url(re.compile(rf"/licences\?account={account_id}$"))
    expect(page.locator("nav.mainnav a.active")).to_have_text("Licences")
    expect(page.locator("[data-testid=import-status]")).to_contain_text("Not imported yet")

    page.click("[data-testid=sync-now]")
    expect(page.locator(".alert-success")).to_contain_text("Licence import queued")
    deadline = time.monotonic() + 60
    while "ok ·" not in page.locator("[data-testid=import-status]").inner_text():
        assert time.monotonic() < deadline, page.locator("[data-testid=import-status]").inner_text()
        time.sleep(0.5)
        page.goto(f"{base_url}/licences?account={account_id}")

    expect(page.locator("[data-testid=licence-chart]")).to_have_attribute("data-drawn", "true")
    expect(page.locator("[data-testid=sku-table]")).to_contain_text("Microsoft 365 E3")
    expect(page.locator("[data-testid=monthly-waste] .stat-value")).to_have_text("—")

    row = page.locator("[data-testid=sku-table] tr", has_text="Microsoft 365 E3").first
    # layout: the term select shows its text (it was squeezed to "/"), the cost column fits
    # the card, the figures under the import card and the waste card keep their gaps
    assert row.locator("select[name=term]").bounding_box()["width"] >= 90  # type: ignore[index]
    table, card = page.locator("[data-testid=sku-table]").bounding_box(), page.locator(".table-scroll").first.bounding_box()
    assert table and card and table["width"] <= card["width"] + 1
    gaps = page.evaluate("""() => {
        const box = s => document.querySelector(s).getBoundingClientRect();
        return [box('.stats-licences').top - box('[data-testid=import-status]').bottom,
                box('[data-testid=waste]').top - document.querySelector('[data-testid=sku-table]').closest('section').getBoundingClientRect().bottom];
    }""")
    assert all(g >= 16 for g in gaps), gaps
    row.locator("input[name=amount]").fill("36")
    row.locator("input[name=currency]").fill("EUR")
    row.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Price saved: 36")
    expect(page.locator("[data-testid=monthly-waste] .stat-value")).to_contain_text("EUR")
    expect(page.locator("[data-testid=cost-by-department]")).to_contain_text("EUR")
    page.screenshot(path=str(shots / "licences-01.png"), full_page=True)

    disabled = page.locator("[data-testid=rule-disabled]")
    expect(disabled).to_contain_text("sign-in blocked")
    with page.expect_download() as info:
        disabled.locator("a[download]").click()
    saved = tmp_path / "disabled.csv"
    info.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("rule,upn,display_name,department") and len(lines) > 1
    assert all(line.startswith("disabled,") for line in lines[1:])
    # Per workspace: choosing the workspace keeps the account; "all" works too.
    page.select_option("[data-testid=workspace]", index=1)
    expect(page).to_have_url(re.compile(r"workspace=\d+"))
    expect(page.locator("[data-testid=sku-table]")).to_contain_text("Microsoft 365 E3")
    page.select_option("[data-testid=workspace]", "")
    expect(page.locator("[data-testid=sku-table]")).to_contain_text("Microsoft 365 E3")
    assert not problems.items, problems.items
