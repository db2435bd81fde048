"""Microsoft 365 licensing in the emulator's Graph: subscribedSkus, licence states, sign-in
activity (P1 + AuditLog.Read.All), usage reports (302 → CSV, lag, concealed names),
permissions per endpoint and the reports' request limit."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from azure_emulator.services.entra.scopes import ensure_service_principal, grant_app_roles
from azure_emulator.services.graph import throttling
from azure_emulator.testing import RunningEmulator
from azure_emulator.world import m365_catalog as cat
from azure_emulator.world.firstparty import GRAPH_APP_ID
from azure_emulator.world.generate import generate_world
from azure_emulator.world.generate_m365 import add_m365_tenant
from azure_emulator.world.model import World

from .test_graph import _example

ROLES = ["User.Read.All", "Group.Read.All", "Reports.Read.All", "LicenseAssignment.Read.All", "AuditLog.Read.All"]


def grant(world: World, tenant_id: str, roles: list[str], app_id: str | None = None) -> None:
    tenant = world.tenants[tenant_id]
    app = world.application(app_id or world.fixtures["skytally_client_id"])
    assert app is not None
    sp = ensure_service_principal(tenant, app, datetime.now(UTC))
    tenant.app_role_assignments = [a for a in tenant.app_role_assignments if a.principal_id != sp.object_id]
    grant_app_roles(tenant, sp, GRAPH_APP_ID, roles, datetime.now(UTC))


@pytest.fixture(scope="module")
def m365() -> Iterator[RunningEmulator]:
    world = generate_world(5, "small")
    add_m365_tenant(world, 5, 300, prefix="tailspin")
    add_m365_tenant(world, 5, 80, premium=False, name="Wingtip Toys", prefix="wingtip")
    grant(world, world.fixtures["tailspin_tenant_id"], ROLES)
    grant(world, world.fixtures["wingtip_tenant_id"], ROLES)
    with RunningEmulator(world) as emu:
        yield emu


def _headers(emu: RunningEmulator, prefix: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.token('graph', tenant=emu.fixtures[f'{prefix}_tenant_id'])}"}


def _all(http: httpx.Client, url: str, headers: dict[str, str]) -> list[dict]:
    out: list[dict] = []
    next_url: str | None = url
    while next_url:
        r = http.get(next_url, headers=headers)
        assert r.status_code == 200, r.text
        out += r.json()["value"]
        next_url = r.json().get("@odata.nextLink")
    return out


def test_subscribed_skus_shape_and_consumed_units(m365: RunningEmulator) -> None:
    ref = _example("subscribedsku-list.md")["value"][0]
    with m365.client() as http:
        skus = http.get(f"{m365.graph_url}/v1.0/subscribedSkus", headers=_headers(m365, "tailspin")).json()["value"]
        users = _all(http, f"{m365.graph_url}/v1.0/users?$select=id,assignedLicenses&$top=999", _headers(m365, "tailspin"))
    assert list(skus[0]) == list(ref)
    assert set(skus[0]["prepaidUnits"]) == set(ref["prepaidUnits"])
    e3 = next(s for s in skus if s["skuPartNumber"] == "SPE_E3")
    assert e3["consumedUnits"] == sum(1 for u in users if any(a["skuId"] == e3["skuId"] for a in u["assignedLicenses"]))
    assert e3["prepaidUnits"]["enabled"] >= e3["consumedUnits"]
    assert {p["servicePlanName"] for p in e3["servicePlans"]} >= {"EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM"}


def test_licence_states_direct_and_by_group(m365: RunningEmulator) -> None:
    with m365.client() as http:
        users = _all(http, f"{m365.graph_url}/v1.0/users?$select=id,accountEnabled,userType,licenseAssignmentStates,assignedLicenses&$top=999",
                     _headers(m365, "tailspin"))
        groups = _all(http, f"{m365.graph_url}/v1.0/groups?$select=id,displayName,assignedLicenses", _headers(m365, "tailspin"))
    licensed_groups = {g["id"] for g in groups if g["assignedLicenses"]}
    states = [s for u in users for s in u["licenseAssignmentStates"]]
    assert {s["assignedByGroup"] for s in states} - {None} <= licensed_groups
    assert any(s["assignedByGroup"] is None for s in states) and any(s["assignedByGroup"] for s in states)
    errored = [s for s in states if s["state"] == "Error"]
    assert errored and all(s["error"] == "CountViolation" for s in errored)
    both = [u for u in users if len({(s["skuId"], s["assignedByGroup"] is None) for s in u["licenseAssignmentStates"]})
            > len({s["skuId"] for s in u["licenseAssignmentStates"]})]
    assert both, "someone holds the same SKU directly and through a group"
    assert any(u["userType"] == "Guest" for u in users)
    assert set(users[0]["licenseAssignmentStates"][0]) == {"assignedByGroup", "disabledPlans", "error", "lastUpdatedDateTime", "skuId", "state"} \
        if users[0]["licenseAssignmentStates"] else True


def test_group_members_page(m365: RunningEmulator) -> None:
    with m365.client() as http:
        groups = _all(http, f"{m365.graph_url}/v1.0/groups?$select=id,assignedLicenses", _headers(m365, "tailspin"))
        g = next(g for g in groups if g["assignedLicenses"])
        members = _all(http, f"{m365.graph_url}/v1.0/groups/{g['id']}/members?$select=id&$top=50", _headers(m365, "tailspin"))
    assert len(members) == len(m365.world.tenants[m365.fixtures["tailspin_tenant_id"]].groups[g["id"]].member_ids)


def test_sign_in_activity_needs_p1_and_auditlog_and_caps_pages(m365: RunningEmulator) -> None:
    url = f"{m365.graph_url}/v1.0/users?$select=id,signInActivity&$top=999"
    with m365.client() as http:
        r = http.get(url, headers=_headers(m365, "tailspin"))
        assert r.status_code == 200 and len(r.json()["value"]) == 120 and "@odata.nextLink" in r.json()
        assert set(r.json()["value"][0]["signInActivity"]) == {"lastSignInDateTime", "lastSignInRequestId",
                                                               "lastNonInteractiveSignInDateTime", "lastNonInteractiveSignInRequestId"}
        no_p1 = http.get(url, headers=_headers(m365, "wingtip"))
        assert no_p1.status_code == 403
        assert no_p1.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
        grant(m365.world, m365.fixtures["tailspin_tenant_id"], [r for r in ROLES if r != "AuditLog.Read.All"])
        try:
            denied = http.get(url, headers=_headers(m365, "tailspin"))
        finally:
            grant(m365.world, m365.fixtures["tailspin_tenant_id"], ROLES)
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "Authorization_RequestDenied"


def test_permissions_per_endpoint(m365: RunningEmulator) -> None:
    tid = m365.fixtures["tailspin_tenant_id"]
    grant(m365.world, tid, ["User.Read.All"])
    try:
        with m365.client() as http:
            h = _headers(m365, "tailspin")
            assert http.get(f"{m365.graph_url}/v1.0/users", headers=h).status_code == 200
            for path in ("/subscribedSkus", "/groups", "/reports/getOffice365ActiveUserDetail(period='D30')"):
                r = http.get(f"{m365.graph_url}/v1.0{path}", headers=h)
                assert r.status_code == 403, path
                assert r.json()["error"] == {**r.json()["error"], "code": "Authorization_RequestDenied",
                                             "message": "Insufficient privileges to complete the operation."}
    finally:
        grant(m365.world, tid, ROLES)


def _report(http: httpx.Client, emu: RunningEmulator, prefix: str, call: str) -> tuple[httpx.Response, list[dict[str, str]]]:
    r = http.get(f"{emu.graph_url}/v1.0/reports/{call}", headers=_headers(emu, prefix))
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith(emu.graph_url)
    csv_resp = http.get(r.headers["location"])  # pre-authenticated: no Authorization header
    assert csv_resp.status_code == 200 and csv_resp.headers["content-type"] == "application/octet-stream"
    return csv_resp, list(csv.DictReader(io.StringIO(csv_resp.content.decode("utf-8-sig"))))


def test_reports_redirect_to_csv_with_documented_columns_lag_and_concealed_names(m365: RunningEmulator) -> None:
    from azure_emulator.services.graph.report_csv import ACTIVE_USER_DETAIL, APP_USER_DETAIL

    tenant = m365.world.tenants[m365.fixtures["tailspin_tenant_id"]]
    with m365.client() as http:
        resp, rows = _report(http, m365, "tailspin", "getOffice365ActiveUserDetail(period='D30')")
        assert resp.content.decode("utf-8-sig").splitlines()[0].split(",") == ACTIVE_USER_DETAIL
        refresh = rows[0]["Report Refresh Date"]
        assert refresh == (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        assert all(r["Exchange Last Activity Date"] <= refresh for r in rows)
        assert all("@" not in r["User Principal Name"] and len(r["User Principal Name"]) == 32 for r in rows)
        tenant.display_concealed_names = False
        try:
            _, shown = _report(http, m365, "tailspin", "getOffice365ActiveUserDetail(period='D30')")
            _, apps = _report(http, m365, "tailspin", "getM365AppUserDetail(period='D90')")
            _, boxes = _report(http, m365, "tailspin", "getMailboxUsageDetail(period='D30')")
        finally:
            tenant.display_concealed_names = True
    assert all("@" in r["User Principal Name"] for r in shown)
    assert list(apps[0]) == APP_USER_DETAIL
    assert {r["Recipient Type"] for r in boxes} >= {"User", "Shared", "Room"}
    e3 = cat.SKUS["SPE_E3"][1].upper()
    assert any(e3 in r["Assigned Products"].split("+") for r in shown)


def test_download_link_expires(m365: RunningEmulator) -> None:
    with m365.client() as http:
        r = http.get(f"{m365.graph_url}/v1.0/reports/getMailboxUsageDetail(period='D7')", headers=_headers(m365, "tailspin"))
        m365.world.clock.advance(timedelta(minutes=6))
        try:
            assert http.get(r.headers["location"]).status_code == 404
        finally:
            m365.world.clock.offset = timedelta(0)


def test_bad_period_and_date(m365: RunningEmulator) -> None:
    with m365.client() as http:
        h = _headers(m365, "tailspin")
        assert http.get(f"{m365.graph_url}/v1.0/reports/getOffice365ActiveUserDetail(period='D8')", headers=h).status_code == 400
        old = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
        assert http.get(f"{m365.graph_url}/v1.0/reports/getOffice365ActiveUserDetail(date={old})", headers=h).status_code == 400
        day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
        assert http.get(f"{m365.graph_url}/v1.0/reports/getOffice365ActiveUserDetail(date={day})", headers=h).status_code == 302


def test_reports_limited_to_14_per_10_minutes_per_app_and_tenant_for_each_report(m365: RunningEmulator) -> None:
    throttling.reset(m365.world)
    url = f"{m365.graph_url}/v1.0/reports/getMailboxUsageDetail(period='D7')"
    try:
        with m365.client() as http:
            codes = [http.get(url, headers=_headers(m365, "tailspin")).status_code for _ in range(15)]
            assert codes == [302] * 14 + [429]
            r = http.get(url, headers=_headers(m365, "tailspin"))
            assert r.json()["error"]["code"] == "TooManyRequests" and 1 <= int(r.headers["Retry-After"]) <= 600
            assert r.headers["x-ms-throttle-scope"].startswith("Tenant_Application/")
            # each report API has its own count; another tenant has its own budget
            other = f"{m365.graph_url}/v1.0/reports/getOffice365ActiveUserDetail(period='D7')"
            assert http.get(other, headers=_headers(m365, "tailspin")).status_code == 302
            assert http.get(url, headers=_headers(m365, "wingtip")).status_code == 302
            m365.world.clock.advance(timedelta(seconds=601))
            assert http.get(url, headers=_headers(m365, "tailspin")).status_code == 302
    finally:
        m365.world.clock.offset = timedelta(0)
        throttling.reset(m365.world)


def test_admin_consent_for_named_permissions_grants_only_those(fresh_emulator: RunningEmulator) -> None:
    from urllib.parse import urlencode

    from .helpers import claims, consent, redirect_params, sign_in

    emu, fx = fresh_emulator, fresh_emulator.fixtures
    wanted = ["User.Read.All", "Reports.Read.All"]
    query = urlencode({"client_id": fx["skytally_client_id"], "redirect_uri": "http://localhost:8000/accounts/consent/callback",
                       "state": "s", "scope": " ".join(f"https://graph.microsoft.com/{p}" for p in wanted)})
    with emu.client() as http:
        page = sign_in(http, f"{emu.base_url}/{fx['second_tenant_id']}/v2.0/adminconsent?{query}",
                       fx["second_admin_upn"], fx["second_admin_password"])
        assert 'data-value="Reports.Read.All"' in page.text and 'data-value="Application.Read.All"' not in page.text
        assert redirect_params(consent(http, page, "accept"))["admin_consent"] == "True"
    assert sorted(claims(emu.token("graph", tenant=fx["second_tenant_id"]))["roles"]) == sorted(wanted)


def test_users_by_upn_prefix_page_like_the_generic_filter(m365: RunningEmulator) -> None:
    """`startswith(userPrincipalName,'x')` (served from the model, for skytally's split sign-in
    reads) answers what the generic $filter would: case-insensitive, paged, with signInActivity."""
    tenant = m365.world.tenants[m365.fixtures["tailspin_tenant_id"]]
    with m365.client() as http:
        h = _headers(m365, "tailspin")
        for prefix in ("a", "J", "zz"):
            got = _all(http, f"{m365.graph_url}/v1.0/users?$select=id,signInActivity&$top=7"
                             f"&$filter=startswith(userPrincipalName,'{prefix}')", h)
            want = {u.object_id for u in tenant.users.values() if u.user_principal_name.lower().startswith(prefix.lower())}
            assert {u["id"] for u in got} == want and len(got) == len(want)
            assert all("signInActivity" in u for u in got)
        both = _all(http, f"{m365.graph_url}/v1.0/users?$select=id,displayName&$filter=startswith(userPrincipalName,'a') "
                          "and accountEnabled eq true", h)  # not the lone prefix: the generic filter serves it
        assert {u["id"] for u in both} == {u.object_id for u in tenant.users.values()
                                           if u.user_principal_name.lower().startswith("a") and u.account_enabled}
