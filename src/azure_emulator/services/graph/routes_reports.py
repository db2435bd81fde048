"""Microsoft 365 routes of Graph v1.0: subscribedSkus, usage reports, admin/reportSettings.

Reports answer as Graph does (reportroot-*.md in ../shared/azure-reference/graph/): the
function call answers ``302 Found`` with a pre-authenticated, short-lived download URL
in ``Location`` (no Authorization needed, valid five minutes); following it gives the
CSV (``application/octet-stream``). Data lag about 48 hours (the Report Refresh Date is
two days back). With ``displayConcealedNames`` on (the default since 2021), user
principal and display names are replaced by stable hashes. Report calls are limited as Graph
limits them (14 per 10 minutes per app per tenant for each report API; ``throttling.py``).
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from azure_emulator.core.context import base_urls, get_runtime, get_world
from azure_emulator.core.http import GraphJsonResponse
from azure_emulator.services.graph import backend, report_csv, throttling
from azure_emulator.services.graph import licensing as L
from azure_emulator.services.graph.collection import bad_request, collection, not_found
from azure_emulator.services.graph.permissions import require
from azure_emulator.services.graph.throttling import graph_principal
from azure_emulator.world.model import Tenant

REPORTS = ("getOffice365ActiveUserDetail", "getM365AppUserDetail", "getMailboxUsageDetail",
           "getOffice365ActiveUserCounts")
PERIODS = {"D7": 7, "D30": 30, "D90": 90, "D180": 180}
_CALL = re.compile(r"^(\w+)\((period|date)=(?:'([^']*)'|([^)]*))\)$")
DOWNLOAD_TTL = timedelta(minutes=5)


def _caller(request: Request, operation: str) -> tuple[Any, Tenant]:
    principal = graph_principal(request)
    require(request, principal, operation)
    return principal, get_world(request).tenants[principal.tenant_id]


# --- subscribedSkus --------------------------------------------------------------------
async def subscribed_skus(request: Request) -> Response:
    _, tenant = _caller(request, "skus")
    consumed = L.consumed_units(tenant)
    items = [L.subscribed_sku(tenant, s, consumed.get(s.sku_id, 0)) for s in tenant.skus]
    return collection(request, "subscribedSkus", "subscribedSku", items)


async def subscribed_sku(request: Request) -> Response:
    _, tenant = _caller(request, "skus")
    key = request.path_params["id"].lower()
    consumed = L.consumed_units(tenant)
    for s in tenant.skus:
        if f"{tenant.tenant_id}_{s.sku_id}".lower() == key:
            body = L.subscribed_sku(tenant, s, consumed.get(s.sku_id, 0))
            graph = base_urls(request).graph
            return GraphJsonResponse({"@odata.context": f"{graph}/v1.0/$metadata#subscribedSkus/$entity", **body})
    raise not_found(request, request.path_params["id"])


# --- report settings -------------------------------------------------------------------
async def report_settings(request: Request) -> Response:
    _, tenant = _caller(request, "reportSettings")
    graph = base_urls(request).graph
    return GraphJsonResponse({"@odata.context": f"{graph}/v1.0/$metadata#admin/reportSettings/$entity",
                              "displayConcealedNames": tenant.display_concealed_names})


# --- reports ---------------------------------------------------------------------------
def _parse(request: Request, call: str) -> tuple[str, str, str]:
    m = _CALL.match(call)
    if not m or m.group(1) not in REPORTS:
        raise bad_request(request, f"Resource not found for the segment '{call.split('(')[0]}'.", "BadRequest")
    name, kind, value = m.group(1), m.group(2), m.group(3) if m.group(3) is not None else m.group(4)
    if kind == "period" and value not in PERIODS:
        raise bad_request(request, f"Invalid value '{value}' for the parameter 'period'. Supported values: D7, D30, D90, D180.")
    if kind == "date":
        if name == "getOffice365ActiveUserCounts":
            raise bad_request(request, "The function 'getOffice365ActiveUserCounts' does not accept a 'date' parameter.")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise bad_request(request, f"Invalid date '{value}': use the format YYYY-MM-DD.") from None
        today = get_world(request).clock.now().date()
        if not today - timedelta(days=30) <= day <= today:
            raise bad_request(request, f"Invalid date '{value}': the report is only available for the past 30 days.")
    return name, kind, value


async def report(request: Request) -> Response:
    principal, tenant = _caller(request, "reports")
    name, kind, value = _parse(request, request.path_params["call"])
    fmt = request.query_params.get("$format", "text/csv")
    if fmt != "text/csv":
        raise bad_request(request, f"The emulator serves {name} as text/csv only; '$format={fmt}' is not emulated.")
    throttling.meter_report(request, principal, name)
    state = backend.report_state(get_runtime(request))
    now = get_world(request).clock.now()
    for token, entry in list(state["downloads"].items()):
        if entry["expires"] < now:
            del state["downloads"][token]
    token = secrets.token_urlsafe(24)
    state["downloads"][token] = {"tenant": tenant.tenant_id, "name": name, "kind": kind, "value": value,
                                 "concealed": tenant.display_concealed_names, "expires": now + DOWNLOAD_TTL,
                                 "asked": now}
    location = f"{base_urls(request).graph}/_reports/data/download/{token}"
    return RedirectResponse(location, status_code=302, headers={"Content-Type": "text/plain"})


async def download(request: Request) -> Response:
    entry = backend.report_state(get_runtime(request))["downloads"].get(request.path_params["token"])
    if entry is None or entry["expires"] < get_world(request).clock.now():
        return PlainTextResponse("The download link has expired or does not exist.", status_code=404)
    tenant = get_world(request).tenants[entry["tenant"]]
    asked: datetime = entry["asked"]
    body = report_csv.render(tenant, entry["name"], entry["kind"], entry["value"], asked, concealed=entry["concealed"])
    return Response(body.encode("utf-8-sig"), media_type="application/octet-stream")


router = Router(routes=[
    Route("/v1.0/subscribedSkus", subscribed_skus, methods=["GET"]),
    Route("/v1.0/subscribedSkus/{id}", subscribed_sku, methods=["GET"]),
    Route("/v1.0/admin/reportSettings", report_settings, methods=["GET"]),
    Route("/v1.0/reports/{call}", report, methods=["GET"]),
    Route("/_reports/data/download/{token}", download, methods=["GET"]),
])
