"""Consumption usage details (official SDK, legacy vs modern) and the legacy EA reporting API
(API keys valid / expired / revoked, JSON paging, CSV download, balance summary)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import httpx
import pytest
from azure.mgmt.consumption import ConsumptionManagementClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import (  # noqa: F401
    StaticTokenCredential,
    _close_sdk_clients,
    arm_kwargs,
    customer_credential,
    track,
)
from ._costs import minted_user_token, previous_month, truth
from ._swagger import SPECS, requires_reference, shape_errors

EXAMPLES = SPECS / "Microsoft.Consumption/stable/2024-08-01/examples"


def _client(emu: RunningEmulator, credential: object) -> ConsumptionManagementClient:
    kwargs = arm_kwargs(emu)
    kwargs.pop("polling_interval")
    return track(ConsumptionManagementClient(credential, emu.fixtures["owned_subscription_id"], **kwargs))  # type: ignore[arg-type]


@requires_reference
def test_sdk_usage_details_legacy_ea_paged_and_exact(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    start, end, period = previous_month(emulator)
    scope = f"/providers/Microsoft.Billing/billingAccounts/{fx['ea_enrollment_number']}"
    flt = f"properties/usageStart ge '{start.isoformat()}' and properties/usageEnd le '{end.isoformat()}'"
    items = list(_client(emulator, customer_credential(emulator)).usage_details.list(scope, filter=flt, top=1000))
    expected = truth(emulator, fx["ea_enrollment_number"], period=period)
    assert len(items) == expected["rows"] and {i.kind for i in items} == {"legacy"}
    assert abs(sum(Decimal(str(i.cost)) for i in items) - Decimal(expected["total"])) < Decimal("0.01")
    # the raw page next to Microsoft's example
    sp = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    raw = http.get(f"{emulator.arm_url}{scope}/providers/Microsoft.Consumption/usageDetails",
                   params={"api-version": "2024-08-01", "$filter": flt, "$top": "5"},
                   headers={"Authorization": f"Bearer {sp}"}).json()
    example = json.loads((EXAMPLES / "UsageDetailsListByBillingAccount.json").read_text())["responses"]["200"]["body"]
    tagged = next(v for v in items if v.tags)
    assert shape_errors(example, {"value": [raw["value"][0] | {"tags": tagged.tags}]}) == []
    assert len(raw["value"]) == 5 and "$skiptoken=" in raw["nextLink"]


@requires_reference
def test_sdk_usage_details_modern_mca(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    start, end, period = previous_month(emulator)
    token = minted_user_token(emulator, fx["second_owner_upn"])
    scope = f"/providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}"
    flt = f"properties/usageStart ge '{start.isoformat()}' and properties/usageEnd le '{end.isoformat()}'"
    items = list(_client(emulator, StaticTokenCredential(token)).usage_details.list(scope, filter=flt, metric="amortizedcost"))
    expected = truth(emulator, fx["mca_billing_account_id"], period=period, metric="AmortizedCost")
    assert len(items) == expected["rows"] and {i.kind for i in items} == {"modern"}
    assert abs(sum(Decimal(str(i.cost_in_billing_currency)) for i in items) - Decimal(expected["total"])) < Decimal("0.01")
    raw = http.get(f"{emulator.arm_url}{scope}/providers/Microsoft.Consumption/usageDetails",
                   params={"api-version": "2024-08-01", "$filter": flt, "$top": "3"},
                   headers={"Authorization": f"Bearer {token}"}).json()
    example = json.loads((EXAMPLES / "UsageDetailsListByMCABillingAccount.json").read_text())["responses"]["200"]["body"]
    assert shape_errors(example, {"value": raw["value"][:1]}) == []
    plain = emulator.user_token(fx["plain_user_upn"], fx["plain_user_password"])
    denied = http.get(f"{emulator.arm_url}{scope}/providers/Microsoft.Consumption/usageDetails",
                      params={"api-version": "2024-08-01"}, headers={"Authorization": f"Bearer {plain}"})
    assert denied.status_code == 403


def test_usage_details_filter_honours_each_operator(emulator: RunningEmulator) -> None:
    """usageStart/usageEnd both bound the row's day, whatever the operator and property."""
    fx = emulator.fixtures
    start, end, period = previous_month(emulator)
    scope = f"/providers/Microsoft.Billing/billingAccounts/{fx['ea_enrollment_number']}"
    client = _client(emulator, customer_credential(emulator))
    expected = truth(emulator, fx["ea_enrollment_number"], period=period)
    by_end = list(client.usage_details.list(scope, filter=f"properties/usageEnd ge '{start}' and properties/usageEnd le '{end}'"))
    assert len(by_end) == expected["rows"]
    week_end = start.replace(day=7)
    week = list(client.usage_details.list(scope, filter=f"properties/usageStart ge '{start}' and properties/usageStart le '{week_end}'"))
    assert week and all(start <= i.date.date() <= week_end for i in week)
    strict = list(client.usage_details.list(scope, filter=f"properties/usageStart gt '{start}' and properties/usageEnd lt '{week_end}'"))
    assert strict and all(start < i.date.date() < week_end for i in strict)


def _ea_get(emu: RunningEmulator, http: httpx.Client, key: str, path: str, **params: str) -> httpx.Response:
    enrollment = emu.fixtures["ea_enrollment_number"]
    return http.get(f"{emu.base_url}/ea/v3/enrollments/{enrollment}{path}", params=params,
                    headers={"Authorization": f"bearer {key}"})


def _key(emu: RunningEmulator, **body: object) -> str:
    return str(emu.control.post("/billing/ea-keys", json=body).json()["key"])


def test_ea_usage_details_json_csv_and_balance(emulator: RunningEmulator, http: httpx.Client) -> None:
    key = _key(emulator)
    start, _, period = previous_month(emulator)
    expected = truth(emulator, emulator.fixtures["ea_enrollment_number"], period=period)
    legacy_total = Decimal(expected["azure_usage_total"])
    data: list[dict[str, object]] = []
    response = _ea_get(emulator, http, key, f"/billingPeriods/{period}/usagedetails")
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"id", "data", "nextLink"}
        data += body["data"]
        pages += 1
        if not body["nextLink"]:
            break
        response = http.get(body["nextLink"], headers={"Authorization": f"bearer {key}"})
    assert pages > 1 and data[0]["subscriptionGuid"] and isinstance(data[0]["cost"], float)
    marketplace_usage = sum(
        Decimal(v) for k, v in expected["by_PublisherType"].items() if k == "Marketplace")
    assert marketplace_usage > 0
    json_total = sum(Decimal(str(d["cost"])) for d in data)
    assert abs(json_total - legacy_total) < Decimal("0.01")
    download = _ea_get(emulator, http, key, "/usagedetails/download", billingPeriod=period)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == len(data) and rows[0]["subscriptionGuid"] == data[0]["subscriptionGuid"]
    custom = _ea_get(emulator, http, key, "/usagedetailsbycustomdate", startTime=start.isoformat(), endTime=start.isoformat())
    assert custom.status_code == 200 and {d["date"][:10] for d in custom.json()["data"]} == {start.isoformat()}
    assert _ea_get(emulator, http, key, "/usagedetailsbycustomdate", startTime="2020-01-01", endTime="2024-01-01").status_code == 400
    summary = _ea_get(emulator, http, key, f"/billingPeriods/{period}/balancesummary").json()
    assert summary["billingPeriodId"] == int(period) and summary["totalUsage"] > 0
    assert summary["azureMarketplaceServiceCharges"] == pytest.approx(float(marketplace_usage), abs=0.01)


def test_ea_keys_expired_revoked_foreign(emulator: RunningEmulator, http: httpx.Client) -> None:
    expired = _key(emulator, expired=True)
    response = _ea_get(emulator, http, expired, "/usagedetails")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]
    revoked = _key(emulator)
    emulator.control.post("/ea-keys/revoke", json={"key": revoked})
    assert _ea_get(emulator, http, revoked, "/usagedetails").status_code == 401
    assert _ea_get(emulator, http, "not-a-jwt", "/usagedetails").status_code == 401
    foreign = _key(emulator, enrollment="1234567")
    assert _ea_get(emulator, http, foreign, "/usagedetails").status_code == 401
