"""Cost Management query, dimensions, exports and alerts, and Consumption budgets, through
the official SDKs unchanged (azure-mgmt-costmanagement, azure-mgmt-consumption)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.consumption import ConsumptionManagementClient
from azure.mgmt.consumption.models import Budget, BudgetTimePeriod, Notification
from azure.mgmt.costmanagement import CostManagementClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import (  # noqa: F401
    StaticTokenCredential,
    _close_sdk_clients,
    arm_kwargs,
    customer_credential,
    track,
    user_credential,
)
from ._costs import minted_user_token, previous_month, truth


def _cm(emu: RunningEmulator, credential: Any) -> CostManagementClient:
    kwargs = arm_kwargs(emu)
    kwargs.pop("polling_interval")
    return track(CostManagementClient(credential, **kwargs))


def _last_month(emu: RunningEmulator, granularity: str = "None", **dataset: Any) -> dict[str, Any]:
    start, end, _ = previous_month(emu)
    return {"type": "ActualCost", "timeframe": "Custom", "timePeriod": {"from": f"{start}T00:00:00Z", "to": f"{end}T23:59:59Z"},
            "dataset": {"granularity": granularity, "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
                        **dataset}}


def _total(rows: list[list[Any]]) -> Decimal:
    return sum((Decimal(str(r[0])) for r in rows), Decimal(0))


def test_query_billing_account_total_and_grouping(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    _, _, period = previous_month(emulator)
    client = _cm(emulator, customer_credential(emulator))
    scope = f"/providers/Microsoft.Billing/billingAccounts/{fx['ea_enrollment_number']}"
    result = client.query.usage(scope, _last_month(emulator))
    assert [c.name for c in result.columns] == ["Cost", "Currency"]
    expected = Decimal(truth(emulator, fx["ea_enrollment_number"], period=period)["total"])
    assert abs(_total(result.rows) - expected) < Decimal("0.01")
    grouped = client.query.usage(scope, _last_month(emulator, grouping=[{"type": "Dimension", "name": "ResourceGroup"}]))
    assert [c.name for c in grouped.columns] == ["Cost", "ResourceGroup", "Currency"]
    assert len(grouped.rows) > 1 and abs(_total(grouped.rows) - expected) < Decimal("0.01")
    monthly = client.query.usage(scope, _last_month(emulator, "Monthly"))
    assert monthly.columns[1].name == "BillingMonth" and len(monthly.rows) == 1
    daily = client.query.usage(scope, _last_month(emulator, "Daily"))
    assert daily.columns[1].name == "UsageDate" and len(daily.rows) >= 28
    assert abs(_total(daily.rows) - expected) < Decimal("0.01")


def test_query_subscription_rg_filter_and_paging(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    sub = f"/subscriptions/{fx['owned_subscription_id']}"
    client = _cm(emulator, customer_credential(emulator))
    by_rg = client.query.usage(sub, _last_month(emulator, grouping=[{"type": "Dimension", "name": "ResourceGroup"}]))
    costs = {r[1]: Decimal(str(r[0])) for r in by_rg.rows}
    rg = max(costs, key=lambda k: costs[k])
    at_rg = client.query.usage(f"{sub}/resourceGroups/{rg}", _last_month(emulator))
    assert abs(_total(at_rg.rows) - costs[rg]) < Decimal("0.01")
    flt = {"dimensions": {"name": "ResourceGroup", "operator": "In", "values": [rg]}}
    filtered = client.query.usage(sub, _last_month(emulator, filter=flt))
    assert abs(_total(filtered.rows) - costs[rg]) < Decimal("0.01")
    # pages: $top rows, nextLink carries the rest (POST the same body to it)
    token = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    body = {"type": "AmortizedCost", "timeframe": "TheLastMonth",
            "dataset": {"granularity": "Daily", "aggregation": {"totalCost": {"name": "PreTaxCost", "function": "Sum"}}}}
    url: str | None = f"{emulator.arm_url}{sub}/providers/Microsoft.CostManagement/query?api-version=2023-11-01&$top=10"
    rows: list[list[Any]] = []
    pages = 0
    while url:
        page = http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}).json()
        rows += page["properties"]["rows"]
        url = page["properties"]["nextLink"]
        pages += 1
    assert pages >= 3 and len({r[1] for r in rows}) == len(rows)
    bad = http.post(f"{emulator.arm_url}{sub}/providers/Microsoft.CostManagement/query?api-version=2023-11-01",
                    json={**body, "timeframe": "Yesterday"}, headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400


def test_query_mca_profile_and_dimensions(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    client = _cm(emulator, StaticTokenCredential(minted_user_token(emulator, fx["second_owner_upn"])))
    account = f"/providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}"
    profile = f"{account}/billingProfiles/{fx['mca_billing_profile_id']}"
    whole = client.query.usage(account, _last_month(emulator))
    at_profile = client.query.usage(profile, _last_month(emulator))
    assert whole.rows[0][-1] == "EUR" and _total(whole.rows) == _total(at_profile.rows)
    sections = client.query.usage(profile, _last_month(emulator, grouping=[{"type": "Dimension", "name": "InvoiceSectionId"}]))
    assert {r[1] for r in sections.rows} <= {fx["mca_invoice_section_id"], *(r[1] for r in sections.rows)}
    dims = list(client.dimensions.list(profile, filter="properties/category eq 'ResourceGroup'"))
    assert [d.name for d in dims] == ["ResourceGroup"] and dims[0].data


def test_budgets_alerts_and_exports(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    sub = f"/subscriptions/{fx['owned_subscription_id']}"
    owner = user_credential(emulator)
    kwargs = arm_kwargs(emulator)
    kwargs.pop("polling_interval")
    consumption = track(ConsumptionManagementClient(owner, fx["owned_subscription_id"], **kwargs))
    cm = _cm(emulator, owner)
    start = emulator_month_start(emulator)
    budget = Budget(category="Cost", amount=0.01, time_grain="Monthly", time_period=BudgetTimePeriod(start_date=start),
                    notifications={"Actual_GreaterThan_80_Percent": Notification(
                        enabled=True, operator="GreaterThan", threshold=80, contact_emails=["finops@contoso.com"])})
    made = consumption.budgets.create_or_update(sub, "fidelity-budget", budget)
    assert made.amount == Decimal("0.01") and made.current_spend.amount > 0
    assert [b.name for b in consumption.budgets.list(sub)] == ["fidelity-budget"]
    alerts = list(cm.alerts.list(sub).value)
    assert len(alerts) == 1 and alerts[0].definition.type == "Budget"
    consumption.budgets.delete(sub, "fidelity-budget")
    with pytest.raises(ResourceNotFoundError):
        consumption.budgets.get(sub, "fidelity-budget")
    export = {"properties": {"format": "Csv", "deliveryInfo": {"destination": {
        "resourceId": fx["storage_account_id"], "container": "exports", "rootFolderPath": "skytally"}},
        "definition": {"type": "ActualCost", "timeframe": "MonthToDate", "dataSet": {"granularity": "Daily"}}}}
    created = cm.exports.create_or_update(sub, "daily-actual", export)
    assert created.name == "daily-actual" and created.definition.type == "ActualCost"
    assert [e.name for e in cm.exports.list(sub).value] == ["daily-actual"]
    cm.exports.execute(sub, "daily-actual")
    history = cm.exports.get_execution_history(sub, "daily-actual").value
    assert len(history) == 1 and history[0].status == "Completed"
    cm.exports.delete(sub, "daily-actual")
    with pytest.raises(ResourceNotFoundError):
        cm.exports.get(sub, "daily-actual")
    # a Reader may not create exports
    with pytest.raises(HttpResponseError) as denied:
        _cm(emulator, customer_credential(emulator)).exports.create_or_update(sub, "nope", export)
    assert denied.value.status_code == 403


def emulator_month_start(emu: RunningEmulator) -> datetime:
    from ._costs import emulator_now

    return datetime.combine(emulator_now(emu).date().replace(day=1), datetime.min.time(), tzinfo=UTC)
