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

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Router

from azure_emulator.core.arm import ArmRoute, decode_skiptoken, encode_skiptoken
from azure_emulator.core.context import base_urls, get_runtime, get_world
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.billing import ea_keys
from azure_emulator.services.costmanagement import backend
from azure_emulator.services.ea import backend as ea
from azure_emulator.services.ea import responses as R
from azure_emulator.world.costs.generate import month_start, next_month
from azure_emulator.world.costs.model import (
    CostAccount,
)


def _authorize(request: Request) -> tuple[CostAccount, backend.CostState, datetime]:
    world = get_world(request)
    enrollment = request.path_params["enrollment"]
    ea_keys.check(world, get_runtime(request).signer, request.headers.get("authorization"), enrollment)
    st = backend.state(get_runtime(request))
    account = backend.find_account(world, st.settings, enrollment)
    if account is None or account.agreement != "EA":
        raise R.error(404, f"Enrollment {enrollment} not found.")
    return account, st, world.clock.now()


def _range(request: Request, now: datetime) -> tuple[date, date, str]:
    q = request.query_params
    period = request.path_params.get("period") or q.get("billingPeriod")
    if period:
        if len(period) != 6 or not period.isdigit() or not 1 <= int(period[4:]) <= 12:
            raise R.error(400, f"Invalid billing period '{period}'.")
        start = date(int(period[:4]), int(period[4:]), 1)
        return start, next_month(start) - timedelta(days=1), period
    if "startTime" in q or "endTime" in q:
        try:
            start, end = date.fromisoformat(q["startTime"][:10]), date.fromisoformat(q["endTime"][:10])
        except (KeyError, ValueError):
            raise R.error(400, "Invalid params: startTime and endTime must be dates in the yyyy-MM-dd format.") from None
        if end < start:
            raise R.error(400, "Invalid params: endTime must not be before startTime.")
        if (end.year - start.year) * 12 + end.month - start.month > 36:
            raise R.error(400, "Invalid params: the maximum date range is 36 months.")
        return start, end, f"{start.isoformat()}_{end.isoformat()}"
    start = month_start(now.date())
    return start, now.date(), start.strftime("%Y%m")


async def usage_json(request: Request) -> Response:
    account, st, now = _authorize(request)
    start, end, label = _range(request, now)
    offset = decode_skiptoken(request.query_params.get("$skiptoken"))
    units = backend.units(get_world(request), st, account)
    data: list[dict[str, Any]] = []
    more = False
    for i, record in enumerate(ea.legacy_rows(account, units, st, start, end, now)):
        if i < offset:
            continue
        if len(data) >= ea.PAGE:
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


async def usage_csv(request: Request) -> Response:
    account, st, now = _authorize(request)
    start, end, label = _range(request, now)
    units = backend.units(get_world(request), st, account)

    def lines() -> Iterator[bytes]:
        yield (",".join(ea.FIELDS) + "\r\n").encode()
        chunk: list[str] = []
        for record in ea.legacy_rows(account, units, st, start, end, now):
            chunk.append(",".join(R.cell(record[f]) for f in ea.FIELDS) + "\r\n")
            if len(chunk) >= 2000:
                yield "".join(chunk).encode()
                chunk = []
        yield "".join(chunk).encode()

    return StreamingResponse(lines(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="usagedetails_{account.id}_{label}.csv"'})


async def balance_summary(request: Request) -> Response:
    account, st, now = _authorize(request)
    start, _end, _label = _range(request, now)
    units = backend.units(get_world(request), st, account)
    return JsonResponse(ea.balance(account, units, st, month_start(start), now))


_E = r"/v[23]/enrollments/(?P<enrollment>[^/]+)"
router = Router(routes=[
    ArmRoute(_E + r"/usagedetails", usage_json, ["GET"]),
    ArmRoute(_E + r"/billingPeriods/(?P<period>[^/]+)/usagedetails", usage_json, ["GET"]),
    ArmRoute(_E + r"/usagedetailsbycustomdate", usage_json, ["GET"]),
    ArmRoute(_E + r"/usagedetails/download", usage_csv, ["GET"]),
    ArmRoute(_E + r"/balancesummary", balance_summary, ["GET"]),
    ArmRoute(_E + r"/billingPeriods/(?P<period>[^/]+)/balancesummary", balance_summary, ["GET"]),
])
