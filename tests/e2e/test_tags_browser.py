"""Resources & Tags in headless Chromium against the emulator, as a newcomer would use it:
filter the resources, bulk edit with the diff preview, queue, push (live progress), see the
change in Azure and its audit entry; coverage chart; a rule refusal. Any console error,
page error, failed request or HTTP error response (other than the refusal) fails the test."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles
from e2e.stack import (
    BROWSER_MARKS,
    Browsing,
    Problems,
    emulator_settings,
    free_port,
    screenshots_dir,
    serving,
)
from inventory import support
from skytally.accounts import access, service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn
from skytally.accounts.models import AccessLevel
from skytally.config import Settings
from skytally.inventory import service as inventory
from skytally.runtime import build_runtime
from skytally.workspaces import service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate

EDITOR, PASSWORD = "tags-editor@example.com", "browser-tags-password"

pytestmark = BROWSER_MARKS


@dataclass
class Stack:
    url: str
    emulator: RunningEmulator
    pilots: list[str]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with RunningEmulator(seed=5, size="small") as emulator:
        fx = emulator.fixtures
        sub = fx["customer_sp_subscription_id"]
        pilots = [r for r in support.resources_of(emulator, sub) if r.tags is not None][:3]
        for r in pilots:
            support.set_tags(emulator, r, {"Pilot": "yes"})
        support.grant(emulator, sub, builtin_roles.TAG_CONTRIBUTOR)
        with _served(emulator, tmp_path_factory.mktemp("tags-browser"), sub) as url:
            yield Stack(url, emulator, [r.id for r in pilots])


@contextmanager
def _served(emulator: RunningEmulator, data_dir: Path, sub: str) -> Iterator[str]:
    """The app with an editor of workspace Platform, the emulator's customer service principal
    connected to it, `sub` at tags-writeback and synced; served until the block ends."""
    port = free_port()
    fx = emulator.fixtures
    with emulator_settings(emulator):
        runtime = build_runtime(Settings(data_dir=data_dir, demo=True, base_url=f"http://127.0.0.1:{port}"))
        env = AccountsEnv(runtime.settings, runtime.vault)
        with runtime.db.session() as s:
            service.ensure_organisation(s)
            service.create_user(s, None, UserCreate(email=EDITOR, password=SecretStr(PASSWORD), is_admin=False))
            ws = service.create_workspace(s, None, WorkspaceCreate(name="Platform"))
            service.add_member(s, None, ws.id, MemberAdd(email=EDITOR, role=WorkspaceRole.EDITOR))
            data = ClientSecretCredentialIn(tenant_id=fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                                            client_secret=SecretStr(fx["customer_sp_secret"]))
            account, _, _ = service_principals.connect(s, env, None, "Contoso", data, [ws.id])
            account_id = account.id
        with runtime.db.session() as s:
            access.change_access(s, env, None, account_id, sub, AccessLevel.TAGS_WRITEBACK)
        inventory.sync_account(runtime.db, env, account_id)
        with serving(runtime, port) as url:
            yield url


def test_bulk_edit_diff_push_audit(stack: Stack, browse: Callable[..., Browsing]) -> None:
    from playwright.sync_api import expect

    shots = screenshots_dir()
    problems = Problems(expected={"/resources/edit", "status of 422"})  # the rule refusal answers 422 on purpose
    b = browse(1400, 950, problems=problems)
    page = b.page
    b.sign_in(f"{stack.url}/resources", EDITOR, PASSWORD)
    expect(page).to_have_url(re.compile(r"/resources$"))
    expect(page.locator("nav.mainnav a.active")).to_have_text("Resources & Tags")
    assert page.locator("[data-testid=resources-table] tbody tr").count() > 10
    page.screenshot(path=str(shots / "tags-01-resources.png"), full_page=True)

    page.fill("[data-testid=where]", "tag:pilot=yes")
    page.click("[data-testid=tag-filter] button[type=submit]")
    expect(page.locator("[data-testid=resources-table] tbody tr")).to_have_count(3)
    page.click("[data-testid=bulk-edit] summary")
    page.select_option("[data-testid=edit-op]", "set")
    page.fill("[data-testid=edit-key]", "a/b")  # forbidden character: refused, nothing queued
    page.fill("[data-testid=edit-value]", "x")
    page.click("[data-testid=preview-diff]")
    expect(page.locator("[data-testid=tag-error]")).to_contain_text("may not contain")
    page.fill("[data-testid=edit-key]", "CostCenter")
    page.fill("[data-testid=edit-value]", "cc-7")
    page.click("[data-testid=preview-diff]")
    expect(page.locator("[data-testid=diff-summary]")).to_contain_text("3 change(s) on 3")
    expect(page.locator("[data-testid=diff-table] tbody tr")).to_have_count(3)
    expect(page.locator("[data-testid=diff-table]")).to_contain_text("CostCenter=cc-7")
    page.screenshot(path=str(shots / "tags-02-diff.png"), full_page=True)
    page.click("[data-testid=apply-edit]")
    expect(page.locator(".alert-success")).to_contain_text("3 change(s) queued")
    expect(page.locator("[data-testid=pending-table] tbody tr")).to_have_count(3)
    page.click("[data-testid=push]")
    expect(page.locator(".alert-success")).to_contain_text("Push started")
    expect(page.locator("#job-panel")).to_have_attribute("data-status", re.compile("succeeded|partial|failed"),
                                                        timeout=60_000)
    expect(page.locator("#job-panel")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("[data-testid=pending-table]")).to_contain_text("Nothing waiting")  # reloaded when done
    page.screenshot(path=str(shots / "tags-03-pushed.png"), full_page=True)
    for rid in stack.pilots:
        assert support.azure_tags(stack.emulator, rid) == {"Pilot": "yes", "CostCenter": "cc-7"}

    page.click("[data-testid=tab-audit]")
    rows = page.locator("[data-testid=audit-table] tbody tr")
    expect(rows.filter(has_text="applied")).to_have_count(3)
    expect(rows.filter(has_text="applied").first).to_contain_text(EDITOR)
    page.screenshot(path=str(shots / "tags-04-audit.png"), full_page=True)
    page.click("[data-testid=tab-coverage]")
    expect(page.locator("[data-testid=coverage-table]")).to_contain_text("CostCenter")
    time.sleep(0.3)
    page.screenshot(path=str(shots / "tags-05-coverage.png"), full_page=True)
    assert not problems.items, "\n".join(problems.items)


# -- The demo's tag scenario: a ReadOnly lock on a resource group, a policy denial, a phone --

POLICY = "No tag edits on production"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The demo world (`--tag-demo`: its write-back subscription has a ReadOnly lock on one
    group) connected as `skytally demo` connects it, at tags-writeback, synced; a deny policy
    assignment on one resource outside the locked group."""
    with RunningEmulator(seed=1, size="small", tag_demo=True) as emulator:
        fx = emulator.fixtures
        sub = fx["tag_writeback_subscription_id"]
        locked_rg = fx["locked_resource_group_id"].rsplit("/", 1)[-1].lower()
        denied = next(r for r in support.resources_of(emulator, sub)
                      if r.tags is not None and r.resource_group.lower() != locked_rg)
        emulator.control.post("/policy-denials", json={"scope": denied.id, "assignment_name": "deny-tags",
                                                       "assignment_display_name": POLICY})
        with _served(emulator, tmp_path_factory.mktemp("tags-demo"), sub) as url:
            yield Stack(url, emulator, [denied.id])


def _overflow(page: object) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))  # type: ignore[attr-defined]


def test_failed_by_reason_card_after_a_push_against_a_lock_and_a_policy(demo: Stack,
                                                                         browse: Callable[..., Browsing]) -> None:
    """A push into the locked group and onto the policy-denied resource: the Pending tab's
    "Failed, by reason" card shows each reason once with its count and Azure's words, and
    each reason lists its failed changes."""
    from playwright.sync_api import expect

    shots = screenshots_dir()
    fx = demo.emulator.fixtures
    locked_rg = fx["locked_resource_group_id"].rsplit("/", 1)[-1]
    locked = [r for r in support.resources_of(demo.emulator, fx["tag_writeback_subscription_id"])
              if r.tags is not None and r.resource_group.lower() == locked_rg.lower()]
    assert len(locked) >= 2
    b = browse(1366, 900)
    page = b.page
    b.sign_in(f"{demo.url}/resources", EDITOR, PASSWORD)
    sub = fx["tag_writeback_subscription_id"]
    for where in (f"subscription={sub},rg={locked_rg}", f"id={demo.pilots[0]}"):
        page.goto(f"{demo.url}/resources?where={where}")
        page.click("[data-testid=bulk-edit] summary")
        page.select_option("[data-testid=edit-op]", "set")
        page.fill("[data-testid=edit-key]", "Reviewed")
        page.fill("[data-testid=edit-value]", "2026-12")
        page.click("[data-testid=preview-diff]")
        page.click("[data-testid=apply-edit]")
        expect(page.locator(".alert-success")).to_contain_text("queued")
    page.goto(f"{demo.url}/resources?tab=pending")
    page.click("[data-testid=push]")
    expect(page.locator("#job-panel")).to_have_attribute("data-status", re.compile("succeeded|partial|failed"),
                                                        timeout=60_000)
    expect(page.locator("#job-panel")).to_have_attribute("data-status", "partial")
    job = page.locator("[data-testid=run-box] a").first.get_attribute("href")
    # the page with the push's job box and the card: the failures by reason are shown once, in
    # the card; the job box says how many failed and links to the card
    page.reload()
    expect(page.locator("#job-panel")).to_have_attribute("data-status", "partial")
    expect(page.locator("[data-testid=failure-group]")).to_have_count(2)
    box = page.locator("[data-testid=run-box]")
    expect(box).to_contain_text("Push tag changes to Azure")  # the job in words, not "tags.push"
    expect(box.locator("[data-testid=push-reasons]")).to_have_count(0)
    expect(page.locator("main a:visible", has_text="ScopeLocked")).to_have_count(1)  # the card's
    to_card = box.locator("[data-testid=push-failed-link]")
    expect(to_card).to_contain_text(str(len(locked) + 1))
    page.screenshot(path=str(shots / "tags-09-push-box-and-card.png"), full_page=True)
    box.screenshot(path=str(shots / "tags-09-push-box.png"))
    to_card.click()
    expect(page).to_have_url(re.compile(r"tab=pending.*#failure-groups$"))
    page.goto(f"{demo.url}/resources?tab=pending")
    card = page.locator("[data-testid=failure-groups]")
    expect(card).to_be_visible()
    page.screenshot(path=str(shots / "tags-10-failed-by-reason.png"), full_page=True)
    rows = card.locator("tbody tr")
    expect(rows).to_have_count(2)
    lock_row = rows.filter(has_text="409 ScopeLocked")
    policy_row = rows.filter(has_text="403 RequestDisallowedByPolicy")
    expect(lock_row.locator("td").nth(1)).to_have_text(str(len(locked)))
    expect(policy_row.locator("td").nth(1)).to_have_text("1")
    # Azure's own words, as it sent them: the lock's scope and the policy assignment's name
    expect(lock_row).to_contain_text("cannot perform write operation because following scope(s) are locked")
    expect(lock_row).to_contain_text(fx["locked_resource_group_id"])
    expect(policy_row).to_contain_text("was disallowed by policy")
    expect(policy_row).to_contain_text("deny-tags")
    lock_row.locator("[data-testid=failure-group]").click()
    expect(page).to_have_url(re.compile(r"reason="))
    listed = page.locator("[data-testid=pending-table] tbody tr:not(.reason-row)")
    expect(listed).to_have_count(len(locked))
    assert sorted(listed.locator("td a").all_inner_texts()) == sorted(r.name for r in locked)
    expect(page.locator("[data-testid=pending-table] [data-testid=row-reason]").first).to_contain_text("ScopeLocked")
    page.screenshot(path=str(shots / "tags-11-failed-listed.png"), full_page=True)
    page.locator("[data-testid=failure-groups] tbody tr", has_text="RequestDisallowedByPolicy").locator(
        "[data-testid=failure-group]").click()
    listed = page.locator("[data-testid=pending-table] tbody tr:not(.reason-row)")
    expect(listed).to_have_count(1)
    expect(page.locator("[data-testid=pending-table] [data-testid=row-reason]")).to_contain_text(POLICY)

    # the push's job page says the same, summary first, and lists the failed changes from there
    page.goto(f"{demo.url}{job}")
    reasons = page.locator("[data-testid=push-reasons] li")
    expect(reasons).to_have_count(2)
    expect(reasons.filter(has_text="409 ScopeLocked")).to_contain_text(str(len(locked)))
    expect(reasons.filter(has_text="403 RequestDisallowedByPolicy")).to_contain_text("1")
    expect(page.locator("[data-testid=push-failed]")).to_contain_text(str(len(locked) + 1))
    page.screenshot(path=str(shots / "tags-12-job-reasons.png"), full_page=True)
    reasons.filter(has_text="409 ScopeLocked").locator("a").click()
    expect(page.locator("[data-testid=pending-table] tbody tr:not(.reason-row)")).to_have_count(len(locked))
    assert not b.problems.items, "\n".join(b.problems.items)


def _sideways(page: object) -> list[str]:
    """The page and every element inside it that scrolls sideways (or is cut off) at this width."""
    return list(page.evaluate("""() => {  // type: ignore[attr-defined]
      const out = [];
      const doc = document.documentElement.scrollWidth - window.innerWidth;
      if (doc > 1) out.push(`the page is ${doc}px wider than the window`);
      for (const e of document.querySelectorAll('main *')) {
        const s = getComputedStyle(e);
        if (s.display === 'none' || e.closest('details:not([open])')) continue;
        if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && e.scrollWidth - e.clientWidth > 1)
          out.push(`${e.tagName.toLowerCase()}.${e.className} scrolls ${e.scrollWidth - e.clientWidth}px sideways`);
      }
      return out; }"""))  # type: ignore[attr-defined]


def test_bulk_edit_and_push_on_a_phone(demo: Stack, browse: Callable[..., Browsing]) -> None:
    """At 390 px: the diff preview reads without sideways scrolling (each change before → after),
    and the push's job page is compact: its summary first, long lists folded."""
    from playwright.sync_api import expect

    shots = screenshots_dir()
    sub = demo.emulator.fixtures["tag_writeback_subscription_id"]
    b = browse(390, 844)
    page = b.page
    b.sign_in(f"{demo.url}/resources?where=subscription={sub},lacks:costcenter,taggable", EDITOR, PASSWORD)
    page.screenshot(path=str(shots / "tags-20-phone-resources.png"), full_page=True)
    assert not _sideways(page), ("resources", _sideways(page))  # each resource a block, not 436px of columns
    page.click("[data-testid=bulk-edit] summary")
    page.select_option("[data-testid=edit-op]", "set")
    page.fill("[data-testid=edit-key]", "CostCenter")
    page.fill("[data-testid=edit-value]", "CC-1042")
    page.click("[data-testid=preview-diff]")
    page.wait_for_load_state()
    page.screenshot(path=str(shots / "tags-21-phone-diff.png"), full_page=True)
    expect(page.locator("[data-testid=diff-table]")).to_contain_text("CostCenter=CC-1042")
    assert not _sideways(page), _sideways(page)
    page.click("[data-testid=apply-edit]")
    expect(page.locator(".alert-success")).to_contain_text("queued")
    # meanwhile someone sets one of them in Azure: the push makes it a conflict to resolve
    locked_rg = demo.emulator.fixtures["locked_resource_group_id"].rsplit("/", 1)[-1].lower()
    raced = next(r for r in support.resources_of(demo.emulator, sub)
                 if r.tags is not None and not any(k.lower() == "costcenter" for k in r.tags)
                 and r.resource_group.lower() != locked_rg and r.id not in demo.pilots)
    support.set_tags(demo.emulator, raced, {**(raced.tags or {}), "CostCenter": "CC-AZURE"})
    page.goto(f"{demo.url}/resources?tab=pending")
    page.screenshot(path=str(shots / "tags-22-phone-pending.png"), full_page=True)
    page.click("[data-testid=push]")
    expect(page.locator("#job-panel")).to_have_attribute("data-status", re.compile("succeeded|partial|failed"),
                                                        timeout=60_000)
    job = page.locator("[data-testid=run-box] a").first.get_attribute("href")
    page.reload()  # the job box and, when some failed, the "Failed, by reason" card under it
    expect(page.locator("#job-panel")).to_have_attribute("data-status", re.compile("succeeded|partial|failed"))
    page.screenshot(path=str(shots / "tags-22b-phone-push-box.png"), full_page=True)
    page.locator("[data-testid=run-box]").screenshot(path=str(shots / "tags-22c-phone-push-box-only.png"))
    assert not _sideways(page), ("pending with the push's job box", _sideways(page))
    page.goto(f"{demo.url}{job}")
    expect(page.locator("#job-panel")).to_be_visible()
    page.screenshot(path=str(shots / "tags-23-phone-job.png"), full_page=True)
    assert not _sideways(page), _sideways(page)
    # summary first: the counts and the reasons right under the status, before the details
    summary, details = (page.locator(sel).first.bounding_box() for sel in ("[data-testid=push-summary]", "dl.details"))
    assert summary and details and summary["y"] < details["y"], (summary, details)
    expect(page.locator("[data-testid=push-applied]")).not_to_have_text(re.compile(r"^\s*0"))
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 2.5 * 844, f"the push's job page is {height}px long on a phone"  # 4,775px before
    # the Jobs list: one block per run (number, job, status, progress, who, when), not eight columns
    page.goto(f"{demo.url}/jobs")
    expect(page.locator(f"#jobs-table tr[data-run='{job.rsplit('/', 1)[-1]}']")).to_be_visible()
    page.screenshot(path=str(shots / "tags-27-phone-jobs.png"), full_page=True)
    assert not _sideways(page), ("jobs", _sideways(page))
    for row in page.locator("#jobs-table tbody tr").all():
        box = row.bounding_box()
        assert box and box["width"] <= 390, box
        # "by tags-editor@example.com" on one line, not broken after "tags-"
        who, when = (row.locator(sel).bounding_box() for sel in ("td.job-who", "td[data-before='·']  >> nth=0"))
        assert who and when and who["height"] <= 1.5 * when["height"], (who, when)
    # the other tabs of the flow read on a phone too: failed changes, audit, coverage as blocks
    page.goto(f"{demo.url}/resources?tab=conflicts")
    expect(page.locator("[data-testid=conflicts-table]")).to_contain_text(raced.name)
    for tab in ("pending", "conflicts", "coverage", "audit"):
        page.goto(f"{demo.url}/resources?tab={tab}")
        page.screenshot(path=str(shots / f"tags-25-phone-{tab}.png"), full_page=True)
        assert not _sideways(page), (tab, _sideways(page))
    page.locator("[data-testid=audit-table] a").first.click()  # a resource's page: its tags and history
    expect(page.locator("[data-testid=resource-history]")).to_be_visible()
    page.screenshot(path=str(shots / "tags-26-phone-resource.png"), full_page=True)
    assert not _sideways(page), ("resource", _sideways(page))
    page.set_viewport_size({"width": 1366, "height": 768})
    for tab in ("pending", "audit", "coverage"):
        page.goto(f"{demo.url}/resources?tab={tab}")
        assert not _sideways(page), (tab, _sideways(page))
    page.goto(f"{demo.url}{job}")
    page.screenshot(path=str(shots / "tags-24-job.png"), full_page=True)
    assert not _sideways(page), _sideways(page)
    page.goto(f"{demo.url}/jobs")
    page.screenshot(path=str(shots / "tags-28-jobs.png"), full_page=True)
    assert not _sideways(page), ("jobs", _sideways(page))
    assert not b.problems.items, "\n".join(b.problems.items)
