"""Legacy EA reporting API: usage details and balance summaries (mounted at ``/ea``, before
``ea/routes.py`` so its balance summary with real figures wins). Keys are checked by the
billing service's ``ea_keys.check`` (401 for malformed, expired, revoked, foreign keys).

- ``GET /v3/enrollments/{e}/usagedetails`` (open period), ``…/billingPeriods/{YYYYMM}/usagedetails``,
  ``…/usagedetailsbycustomdate?startTime=yyyy-MM-dd&endTime=yyyy-MM-dd`` (≤ 36 months):
  ``{"id", "data": [...], "nextLink"}``, 1000 items a page, ``nextLink`` null on the last
- ``GET /v3/enrollments/{e}/usagedetails/download?billingPeriod=YYYYMM | startTime&endTime``: CSV
- ``GET /v3/enrollments/{e}/balancesummary``, ``…/billingPeriods/{YYYYMM}/balancesummary``

Usage details are the Azure usage rows of the actual-cost data (marketplace and reservation
purchases have their own legacy APIs). ``v2`` paths answer the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from azure_emulator.core.arm import ArmRoute, decode_skiptoken, encode_skiptoken
from azure_emulator.core.context import base_urls, get_runtime, get_world
from azure_emulator.core.errors import ApiError
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.billing import ea_keys
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


def _error(status: int, message: str) -> ApiError:
    return ApiError(status, {"error": {"code": str(status), "message": message}})


def _authorize(request: Request) -> tuple[CostAccount, backend.CostState, datetime]:
    world = get_world(request)
    enrollment = request.path_params["enrollment"]
    ea_keys.check(world, get_runtime(request).signer, request.headers.get("authorization"), enrollment)
    st = backend.state(get_runtime(request))
    account = backend.find_account(world, st.settings, enrollment)
    if account is None or account.agreement != "EA":
        raise _error(404, f"Enrollment {enrollment} not found.")
    return account, st, world.clock.now()


def _range(request: Request, now: datetime) -> tuple[date, date, str]:
    q = request.query_params
    period = request.path_params.get("period") or q.get("billingPeriod")
    if period:
        if len(period) != 6 or not period.isdigit() or not 1 <= int(period[4:]) <= 12:
            raise _error(400, f"Invalid billing period '{period}'.")
        start = date(int(period[:4]), int(period[4:]), 1)
        return start, next_month(start) - timedelta(days=1), period
    if "startTime" in q or "endTime" in q:
        try:
            start, end = date.fromisoformat(q["startTime"][:10]), date.fromisoformat(q["endTime"][:10])
        except (KeyError, ValueError):
            raise _error(400, "Invalid params: startTime and endTime must be dates in the yyyy-MM-dd format.") from None
        if end < start:
            raise _error(400, "Invalid params: endTime must not be before startTime.")
        if (end.year - start.year) * 12 + end.month - start.month > 36:
            raise _error(400, "Invalid params: the maximum date range is 36 months.")
        return start, end, f"{start.isoformat()}_{end.isoformat()}"
    start = month_start(now.date())
    return start, now.date(), start.strftime("%Y%m")


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


async def usage_json(request: Request) -> Response:
    account, st, now = _authorize(request)
    start, end, label = _range(request, now)
    offset = decode_skiptoken(request.query_params.get("$skiptoken"))
    units = backend.units(get_world(request), st, account)
    data: list[dict[str, Any]] = []
    more = False
    for i, record in enumerate(legacy_rows(account, units, st, start, end, now)):
        if i < offset:
            continue
        if len(data) >= PAGE:
            more = True
            break
        data.append(record)
    next_link = None
    if more:
        params = dict(request.query_params)
        params["$skiptoken"] = encode_skiptoken(offset + len(data))
        query = "&".join(f"{k}={v}" for k, v in params.items())
        next_link = f"{base_urls(request).ea}{request.url.path.removeprefix('/ea')}?{query}"
    body = {"id": f"enrollments/{account.id}/usagedetails/{label}", "data": data, "nextLink": next_link}
    return JsonResponse(body)


def _cell(value: Any) -> str:
    text = "" if value is None else (str(value) if not isinstance(value, bool) else ("True" if value else "False"))
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


async def usage_csv(request: Request) -> Response:
    account, st, now = _authorize(request)
    start, end, label = _range(request, now)
    units = backend.units(get_world(request), st, account)

    def lines() -> Iterator[bytes]:
        yield (",".join(FIELDS) + "\r\n").encode()
        chunk: list[str] = []
        for record in legacy_rows(account, units, st, start, end, now):
            chunk.append(",".join(_cell(record[f]) for f in FIELDS) + "\r\n")
            if len(chunk) >= 2000:
                yield "".join(chunk).encode()
                chunk = []
        yield "".join(chunk).encode()

    return StreamingResponse(lines(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="usagedetails_{account.id}_{label}.csv"'})


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


async def balance_summary(request: Request) -> Response:
    account, st, now = _authorize(request)
    start, _end, _label = _range(request, now)
    units = backend.units(get_world(request), st, account)
    return JsonResponse(balance(account, units, st, month_start(start), now))


_E = r"/v[23]/enrollments/(?P<enrollment>[^/]+)"
routes = [
    ArmRoute(_E + r"/usagedetails", usage_json, ["GET"]),
    ArmRoute(_E + r"/billingPeriods/(?P<period>[^/]+)/usagedetails", usage_json, ["GET"]),
    ArmRoute(_E + r"/usagedetailsbycustomdate", usage_json, ["GET"]),
    ArmRoute(_E + r"/usagedetails/download", usage_csv, ["GET"]),
    ArmRoute(_E + r"/balancesummary", balance_summary, ["GET"]),
    ArmRoute(_E + r"/billingPeriods/(?P<period>[^/]+)/balancesummary", balance_summary, ["GET"]),
]
