"""Cost Management analysis routes (mounted at ``/arm``):

- ``POST /{scope}/providers/Microsoft.CostManagement/query`` — QueryDefinition → QueryResult
  (columns, rows, ``nextLink`` carrying ``$skiptoken``; POST the same body to it)
- ``GET /{scope}/providers/Microsoft.CostManagement/dimensions`` — the dimensions with their
  values in the period (``$filter=properties/category eq '…'``, ``$top``; ``$expand`` accepted)

Scopes: subscription, resource group, billing account (EA/MCA), billing profile, invoice
section, department. Reading needs Cost Management read access at the scope (Reader / Cost
Management Reader on Azure scopes, a billing reader role on billing scopes).
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    ArmRoute,
    decode_skiptoken,
    encode_skiptoken,
    json_response,
    read_json,
)
from azure_emulator.core.context import base_urls, now
from azure_emulator.services.costmanagement import backend, query
from azure_emulator.services.costmanagement.scopes import cost_context, covers
from azure_emulator.world.costs.generate import month_start

QUERY_READ = "Microsoft.CostManagement/query/read"
DIMENSIONS_READ = "Microsoft.CostManagement/dimensions/read"
_PROVIDER = r"/providers/Microsoft\.CostManagement"


async def run_query(request: Request) -> Response:
    world, st, scope, _ = cost_context(request, QUERY_READ)
    body = await read_json(request)
    current = now(request)
    q = query.parse(body, current, st.settings)
    units = backend.units(world, st, scope.account)
    columns, rows = query.run(q, scope.account, units, current, st.settings, covers(scope))
    offset = decode_skiptoken(request.query_params.get("$skiptoken") or request.query_params.get("$skipToken"))
    try:
        top = int(request.query_params.get("$top", query.PAGE_ROWS))
    except ValueError:
        top = query.PAGE_ROWS
    top = max(1, min(top, query.PAGE_ROWS))
    page = rows[offset: offset + top]
    next_link = None
    if offset + top < len(rows):
        params = [(k, v) for k, v in request.query_params.multi_items() if k.lower() != "$skiptoken"]
        params.append(("$skiptoken", encode_skiptoken(offset + top)))
        qs = "&".join(f"{quote(k, safe='$-')}={quote(v, safe='')}" for k, v in params)
        next_link = f"{base_urls(request).arm}/{scope.path}/providers/Microsoft.CostManagement/query?{qs}"
    name = str(uuid.uuid4())
    return json_response({
        "id": f"{scope.path}/providers/Microsoft.CostManagement/query/{name}",
        "name": name,
        "type": "Microsoft.CostManagement/query",
        "location": None,
        "sku": None,
        "eTag": None,
        "properties": {"nextLink": next_link, "columns": columns, "rows": page},
    })


_CATEGORY = re.compile(r"properties/category\s+eq\s+'([^']+)'", re.I)
_DESCRIPTIONS = {
    "ResourceGroup": "Resource group", "ResourceGroupName": "Resource group name", "ResourceId": "Resource",
    "ResourceLocation": "Location", "ResourceType": "Resource type", "ServiceName": "Service name",
    "MeterCategory": "Meter category", "MeterSubCategory": "Meter subcategory", "Meter": "Meter",
    "SubscriptionId": "Subscription", "SubscriptionName": "Subscription name", "ChargeType": "Charge type",
    "PublisherType": "Publisher type", "InvoiceSectionId": "Invoice section", "DepartmentName": "Department",
}


async def dimensions(request: Request) -> Response:
    world, st, scope, _ = cost_context(request, DIMENSIONS_READ)
    current = now(request)
    start, end = month_start(current.date()), current.date()
    flt = request.query_params.get("$filter") or ""
    m = _CATEGORY.search(flt)
    names = [query.dimension(m.group(1))] if m else list(_DESCRIPTIONS)
    try:
        top = max(1, min(int(request.query_params.get("$top", "1000")), 1000))
    except ValueError:
        top = 1000
    units = [u for u in backend.units(world, st, scope.account) if covers(scope)(u)]
    value = []
    for name in names:
        data = sorted({query.DIMENSIONS[name](u) for u in units if u.start <= end} - {""})
        value.append({
            "id": f"{scope.path}/providers/Microsoft.CostManagement/dimensions_{name}_{start:%Y-%m-%d}_{end:%Y-%m-%d}",
            "name": name,
            "type": "Microsoft.CostManagement/Dimensions",
            "properties": {
                "description": _DESCRIPTIONS.get(name, name),
                "filterEnabled": True,
                "groupingEnabled": True,
                "data": data[:top],
                "total": len(data),
                "category": name,
                "usageStart": f"{start.isoformat()}T00:00:00Z",
                "usageEnd": f"{end.isoformat()}T23:59:59Z",
                "nextLink": None,
            },
        })
    return json_response({"value": value})


router = Router(
    routes=[
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/query", run_query, ["POST"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/dimensions", dimensions, ["GET"]),
    ]
)
