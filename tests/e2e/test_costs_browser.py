"""The Costs page in headless Chromium, against the emulator: import an EA enrollment with
"Import now", see the stacked chart render, change the grouping, download the CSV.
Any console error, page error, failed request or HTTP error response fails the test."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from azure_emulator.testing import RunningEmulator
from e2e.stack import (
    BROWSER_MARKS,
    Browsing,
    Problems,
    emulator_settings,
    free_port,
    screenshots_dir,
    serving,
)
from skytally.accounts import service as accounts_service
from skytally.accounts import service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn
from skytally.accounts.models import BillingAccount
from skytally.accounts.schemas import BillingAccountUpdate
from skytally.config import Settings
from skytally.runtime import Runtime, build_runtime
from skytally.workspaces import service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate

ADMIN, PASSWORD = "costs-admin@example.com", "browser-costs-password"

pytestmark = BROWSER_MARKS


RUNTIMES: dict[str, Runtime] = {}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RunningEmulator(seed=3, size="small") as emulator:
        port = free_port()
        with emulator_settings(emulator):
            runtime = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("costs-browser"), demo=True,
                                             base_url=f"http://127.0.0.1:{port}"))
            fx = emulator.fixtures
            with runtime.db.session() as s:
                service.ensure_organisation(s)
                service.create_user(s, None, UserCreate(email=ADMIN, password=SecretStr(PASSWORD), is_admin=False))
                ws = service.create_workspace(s, None, WorkspaceCreate(name="FinOps"))
                service.add_member(s, None, ws.id, MemberAdd(email=ADMIN, role=WorkspaceRole.EDITOR))
                data = ClientSecretCredentialIn(tenant_id=fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                                                client_secret=SecretStr(fx["customer_sp_secret"]),
                                                billing_account_id=fx["ea_enrollment_number"])
                service_principals.connect(s, AccountsEnv(runtime.settings, runtime.vault), None, "Contoso", data, [ws.id])
            with serving(runtime, port) as url:
                RUNTIMES[url] = runtime  # the test renames the billing account as an admin would
                yield url


PAINTED = """() => { const c = document.getElementById('cost-chart'); if (!c || !c.width) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"""


def test_costs_explorer(base_url: str, tmp_path: Path, browse: Callable[..., Browsing]) -> None:
    from playwright.sync_api import expect

    shots = screenshots_dir()
    problems = Problems()
    b = browse(1360, 900, problems=problems, accept_downloads=True)
    page = b.page
    b.sign_in(f"{base_url}/costs", ADMIN, PASSWORD)
    expect(page).to_have_url(re.compile(r"/costs$"))
    expect(page.locator("nav.mainnav a.active")).to_have_text("Costs")
    expect(page.locator("[data-testid=imports]")).to_contain_text("not imported")
    # Nothing imported yet: the page says so and what to do, not an empty chart with a 0-1 axis.
    expect(page.locator("[data-testid=costs-empty]")).to_contain_text("No costs imported yet")
    expect(page.locator("[data-testid=costs-empty]")).to_contain_text("Import now")
    assert page.locator("[data-testid=cost-chart]").count() == 0
    assert "Effective cost ·" not in page.locator("main").inner_text()
    page.screenshot(path=str(shots / "costs-00-empty.png"), full_page=True)

    # Import now: the worker imports the previous and current month; reload until done.
    page.click("[data-testid=import-now]")
    expect(page.locator(".alert-success")).to_contain_text("Cost import queued")
    deadline = time.monotonic() + 60
    while page.locator("[data-testid=imports] tr[data-status=ok]").count() < 2:
        assert time.monotonic() < deadline, page.locator("[data-testid=imports]").inner_text()
        time.sleep(0.5)
        page.goto(f"{base_url}/costs")

    canvas = page.locator("[data-testid=cost-chart]")
    expect(canvas).to_have_attribute("data-rendered", re.compile(r"^[1-9]\d*$"))
    assert page.evaluate(PAINTED) > 2000, "the chart canvas is empty"
    expect(page.locator("[data-testid=total-effective]")).not_to_have_text("0.00")
    page.screenshot(path=str(shots / "costs-01-service.png"), full_page=True)

    # Where each subscription's costs come from: one source per subscription and period.
    sources = page.locator("[data-testid=cost-sources] tbody tr")
    assert sources.count() >= 2, page.locator("main").inner_text()[:2000]
    for i in range(sources.count()):
        row = sources.nth(i)
        assert row.get_attribute("data-source") == "ea_enrollment_sp"
        expect(row).to_contain_text("EA enrollment (service principal)")

    # Renamed since the import, the billing account shows its current name as the source.
    runtime = RUNTIMES[base_url]
    with runtime.db.session() as s:
        (billing,) = s.scalars(select(BillingAccount)).all()
        account_id, billing_id, old_name = billing.account_id, billing.id, billing.name
        accounts_service.update_billing_account(s, None, account_id, billing_id,
                                                BillingAccountUpdate(name="Contoso EA (renamed)"))
    assert old_name != "Contoso EA (renamed)"
    page.goto(f"{base_url}/costs")
    for i in range(sources.count()):
        expect(sources.nth(i)).to_contain_text("Contoso EA (renamed)")
    # the REST API says the same (as `skytally costs periods`, which reads explore.periods too)
    api_sources = page.request.get(f"{base_url}/api/v1/costs/sources").json()
    assert api_sources and {c["used"]["name"] for c in api_sources} == {"Contoso EA (renamed)"}
    api_periods = page.request.get(f"{base_url}/api/v1/costs/periods").json()
    assert api_periods and {p["source"]["name"] for p in api_periods} == {"Contoso EA (renamed)"}

    # The group-by list names each dimension once, with a label and its FOCUS name.
    values = page.eval_on_selector_all("[data-testid=group-by] option", "os => os.map(o => o.value)")
    assert len(values) == len(set(values)), sorted(v for v in values if values.count(v) > 1)
    expect(page.locator("[data-testid=group-by] option[value=ChargeCategory]")).to_have_text(
        "Charge category · ChargeCategory")

    # Group by subscription: the form submits itself, the chart redraws with its series.
    page.select_option("[data-testid=group-by]", "SubAccountName")
    expect(page).to_have_url(re.compile(r"group=SubAccountName"))
    expect(page.locator("[data-testid=cost-table] thead")).to_contain_text("SubAccountName")
    expect(canvas).to_have_attribute("data-rendered", re.compile(r"^[1-9]\d*$"))
    assert page.evaluate(PAINTED) > 2000
    page.select_option("[data-testid=metric]", "billed")
    expect(page).to_have_url(re.compile(r"metric=billed"))
    page.screenshot(path=str(shots / "costs-02-subscription.png"), full_page=True)

    with page.expect_download() as info:
        page.click("[data-testid=download-csv]")
    saved = tmp_path / "costs.csv"
    info.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0] == "SubAccountName,date,BilledCost,EffectiveCost,BillingCurrency"
    assert len(lines) > 10 and lines[1].endswith(",USD")

    # The sources card keeps the gap the other cards have; on a phone the totals and
    # the filter's Apply button stay inside their cards.
    gap = page.evaluate("""() => { const s = document.querySelector('[data-testid=cost-sources]');
      return s.getBoundingClientRect().top - s.previousElementSibling.getBoundingClientRect().bottom; }""")
    assert gap >= 16, f"{gap}px between the cost table and 'Where the costs come from'"
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/costs")
    cut = page.evaluate("""() => [...document.querySelectorAll('.stat-value')]
      .filter(v => v.getBoundingClientRect().right > v.parentElement.getBoundingClientRect().right + 1)
      .map(v => v.textContent)""")
    assert not cut, f"totals cut off at 390px: {cut}"
    form = page.locator("[data-testid=cost-filters]").bounding_box()
    apply = page.locator("[data-testid=cost-filters] .filter-add button").bounding_box()
    assert form and apply and apply["x"] + apply["width"] <= form["x"] + form["width"], (apply, form)
    page.screenshot(path=str(shots / "costs-03-phone.png"), full_page=True)
    assert not problems.items, "\n".join(problems.items)
