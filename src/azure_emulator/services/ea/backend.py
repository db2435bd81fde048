"""Legacy EA reporting API state and rules: the billing periods an enrollment shows, its
usage details rows (the Azure usage of the actual-cost data, in the legacy field names) and
its balance summary. Keys are the billing service's (``billing/ea_keys.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from azure_emulator.services.costmanagement import backend
from azure_emulator.world.costs import formats
from azure_emulator.world.costs.catalog import hash_unit
from azure_emulator.world.costs.generate import iter_charges, month_start, next_month, replicas_for
from azure_emulator.world.costs.model import (
    MONEY,
    MP_USAGE,
    QTY,
    RESERVED,
    RI_PURCHASE,
    USAGE,
    CostAccount,
)

PAGE = 1000
FIELDS = ["accountId", "productId", "resourceLocationId", "consumedServiceId", "departmentId", "accountOwnerEmail", "accountName", "serviceAdministratorId", "subscriptionId", "subscriptionGuid", "subscriptionName", "date", "product", "meterId", "meterCategory", "meterSubCategory", "meterRegion", "meterName", "consumedQuantity", "resourceRate", "cost", "resourceLocation", "consumedService", "instanceId", "serviceInfo1", "serviceInfo2", "additionalInfo", "tags", "storeServiceIdentifier", "departmentName", "costCenter", "unitOfMeasure", "resourceGroup", "serviceName", "serviceTier", "location", "chargesBilledSeparately", "partNumber", "resourceGuid", "offerId", "isRecurringCharge", "extendedCost", "planName", "publisherName", "usageStartDate", "usageEndDate"]


def periods(now: datetime, count: int = 6) -> list[str]:
    year, month = now.year, now.month
    out = []
    for _ in range(count):
        out.append(f"{year}{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def legacy_rows(account: CostAccount, units: list[Any], st: backend.CostState, start: date, end: date,
                now: datetime) -> Iterator[dict[str, Any]]:
    described: dict[tuple[int, str, bool], dict[str, str]] = {}
    for unit, day, qty, _usd, bill, price, rep in iter_charges(account, units, start, end, "ActualCost", now,
                                                               st.settings, replicas_for(units, st.settings)):
        if unit.kind not in (USAGE, RESERVED):
            continue
        reserved = unit.kind == RESERVED and unit.reservation is not None and unit.reservation.active(day)
        period = month_start(day)
        key = (id(unit), period.isoformat(), reserved)
        f = described.get(key)
        if f is None:
            f = described[key] = formats.describe(account, unit, period, "", reserved)
        rid = f["ResourceId"] + (f"-r{rep:04d}" if rep else "")
        stamp = f"{day.isoformat()}T00:00:00"
        yield {
            "accountId": hash_unit(account.id, f["AccountName"]) % 10**6, "productId": hash_unit(f["MeterId"]) % 10**6,
            "resourceLocationId": hash_unit(unit.location) % 100, "consumedServiceId": hash_unit(f["ConsumedService"]) % 100,
            "departmentId": int(f["InvoiceSectionId"]), "accountOwnerEmail": f["AccountOwnerId"],
            "accountName": f["AccountName"], "serviceAdministratorId": f["AccountOwnerId"],
            "subscriptionId": hash_unit(unit.subscription_id) % 10**9, "subscriptionGuid": unit.subscription_id,
            "subscriptionName": unit.subscription_name, "date": stamp, "product": f["ProductName"], "meterId": f["MeterId"],
            "meterCategory": f["MeterCategory"], "meterSubCategory": f["MeterSubCategory"], "meterRegion": f["MeterRegion"],
            "meterName": f["MeterName"], "consumedQuantity": qty / QTY, "resourceRate": price / MONEY, "cost": bill / MONEY,
            "resourceLocation": unit.location, "consumedService": f["ConsumedService"], "instanceId": rid,
            "serviceInfo1": "", "serviceInfo2": "", "additionalInfo": f["AdditionalInfo"],
            "tags": json.dumps(unit.tags, ensure_ascii=False) if unit.tags else None, "storeServiceIdentifier": None,
            "departmentName": f["InvoiceSectionName"], "costCenter": f["CostCenter"], "unitOfMeasure": f["UnitOfMeasure"],
            "resourceGroup": f["ResourceGroup"], "serviceName": f["MeterCategory"], "serviceTier": f["MeterSubCategory"],
            "location": f["MeterRegion"], "chargesBilledSeparately": f["IsAzureCreditEligible"] != "True",
            "partNumber": f["PartNumber"], "resourceGuid": f["MeterId"], "offerId": f["OfferId"], "isRecurringCharge": False,
            "extendedCost": bill / MONEY, "planName": f["PlanName"], "publisherName": f["PublisherName"],
            "usageStartDate": stamp, "usageEndDate": f"{day.isoformat()}T23:59:59",
        }


def balance(account: CostAccount, units: list[Any], st: backend.CostState, period: date, now: datetime) -> dict[str, Any]:
    end = next_month(period) - timedelta(days=1)
    usage = purchases = marketplace = 0
    for unit, _day, _q, _u, bill, _p, _r in iter_charges(account, units, period, end, "ActualCost", now, st.settings,
                                                         replicas_for(units, st.settings)):
        if unit.kind in (USAGE, RESERVED):
            usage += bill
        elif unit.kind == RI_PURCHASE:
            purchases += bill
        elif unit.kind >= MP_USAGE:
            marketplace += bill
    beginning, credit = 15_000 * MONEY, 100 * MONEY
    chargeable = usage + purchases
    utilized = min(beginning + credit, chargeable)
    overage = chargeable - utilized

    def f(v: int) -> float:
        return round(v / MONEY, 2)

    pid = period.strftime("%Y%m")
    return {
        "id": f"enrollments/{account.id}/billingperiods/{pid}/balancesummaries", "billingPeriodId": int(pid),
        "currencyCode": account.currency, "beginningBalance": f(beginning), "endingBalance": f(beginning + credit - utilized),
        "newPurchases": 0, "adjustments": f(credit), "utilized": f(utilized), "serviceOverage": f(overage),
        "chargesBilledSeparately": f(marketplace), "totalOverage": f(overage + marketplace), "totalUsage": f(chargeable),
        "azureMarketplaceServiceCharges": f(marketplace), "newPurchasesDetails": [],
        "adjustmentDetails": [{"name": "Promo Credit", "value": f(credit)}],
    }
