"""Microsoft.Consumption usage details (mounted at ``/arm``):

``GET /{scope}/providers/Microsoft.Consumption/usageDetails`` and
``GET /{scope}/providers/Microsoft.Billing/billingPeriods/{YYYYMM}/providers/Microsoft.Consumption/usageDetails``

- scope: subscription, billing account, billing profile / invoice section (MCA), department (EA)
- ``$filter`` on ``properties/usageStart`` / ``properties/usageEnd`` with ge, gt, le, lt, eq
  (both bound the row's day), ``properties/chargeType eq '…'``; default: the open billing period
- ``metric=actualcost|amortizedcost|usage``, ``$top`` (1–1000, default 1000), ``nextLink`` with an
  opaque ``$skiptoken``
- EA accounts answer ``kind: legacy`` items, MCA ``kind: modern``. No data: 200 ``{"value": []}``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    ArmRoute,
    decode_skiptoken,
    encode_skiptoken,
    json_response,
    require_api_version,
)
from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import base_urls, get_runtime, get_world, now
from azure_emulator.core.errors import arm_error
from azure_emulator.services.consumption import backend, routes_budgets
from azure_emulator.services.consumption.responses import item
from azure_emulator.services.costmanagement import backend as costs
from azure_emulator.services.costmanagement.scopes import authorize, resolve
from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import iter_charges, month_start, next_month, replicas_for
from azure_emulator.world.costs.model import RESERVED
from azure_emulator.world.costs.report import invoice_for

READ = "Microsoft.Consumption/usageDetails/read"
async def usage_details(request: Request) -> Response:
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    st = costs.state(get_runtime(request))
    scope = resolve(world, st, request.path_params["scope"])
    authorize(world, principal, scope, READ)
    q = request.query_params
    current = now(request)
    period = request.path_params.get("period")
    start, end, charge = backend.parse_filter(q.get("$filter", ""))
    if period:
        if not re.fullmatch(r"\d{6}", period):
            raise arm_error(400, "BadRequest", f"Invalid billing period '{period}'.")
        p0 = date(int(period[:4]), int(period[4:]), 1)
        start, end = max(start or p0, p0), min(end or next_month(p0) - timedelta(days=1), next_month(p0) - timedelta(days=1))
    start = start or month_start(end or current.date())
    end = end or current.date()
    metric = {"actualcost": "ActualCost", "usage": "ActualCost", "amortizedcost": "AmortizedCost"}.get(
        q.get("metric", "actualcost").lower())
    if metric is None:
        raise arm_error(400, "BadRequest", f"Invalid metric '{q.get('metric')}'. Supported: actualcost, amortizedcost, usage.")
    try:
        top = min(max(int(q.get("$top", "1000")), 1), 1000)
    except ValueError:
        raise arm_error(400, "BadRequest", "$top must be an integer.") from None
    offset = decode_skiptoken(q["$skiptoken"]) if "$skiptoken" in q else 0
    account = scope.account
    units = costs.units(world, st, account)
    prefix = "/" + scope.path + (f"/providers/Microsoft.Billing/billingPeriods/{period}" if period else "")
    values: list[dict[str, Any]] = []
    seen = 0
    more = False
    described: dict[tuple[int, str, bool], dict[str, str]] = {}
    sub_l = scope.subscription.lower() if scope.subscription else None
    for unit, day, qty, usd, bill, price, rep in iter_charges(account, units, start, end, metric, current, st.settings,
                                                              replicas_for(units, st.settings)):
        if sub_l is not None and unit.subscription_id.lower() != sub_l:
            continue
        if scope.sections is not None and unit.section.id not in scope.sections:
            continue
        if charge is not None and formats.charge_type(unit.kind).lower() != charge.lower():
            continue
        seen += 1
        if seen <= offset:
            continue
        if len(values) >= top:
            more = True
            break
        reserved = unit.kind == RESERVED and unit.reservation is not None and unit.reservation.active(day)
        pstart = month_start(day)
        key = (id(unit), pstart.isoformat(), reserved)
        fields = described.get(key)
        if fields is None:
            fields = formats.describe(account, unit, pstart, invoice_for(account, pstart, current, st.settings), reserved)
            described[key] = fields
        values.append(item(account, unit, fields, day, qty, bill, usd, price, rep, prefix))
    body: dict[str, Any] = {"value": values}
    if more:
        params = [(k, v) for k, v in q.multi_items() if k != "$skiptoken"]
        params.append(("$skiptoken", encode_skiptoken(offset + len(values))))
        query = urlencode(params, safe="$'")
        body["nextLink"] = f"{base_urls(request).arm}{request.url.path.removeprefix('/arm')}?{query}"
    return json_response(body)


_PATH = r"/providers/Microsoft\.Consumption/usageDetails"
router = Router(
    routes=[
        *routes_budgets.router.routes,
        ArmRoute(r"/(?P<scope>.+?)/providers/Microsoft\.Billing/billingPeriods/(?P<period>[^/]+)" + _PATH, usage_details, ["GET"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PATH, usage_details, ["GET"]),
    ]
)
