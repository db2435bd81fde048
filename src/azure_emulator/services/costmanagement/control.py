"""Cost control routes (mounted at ``/_emulator``; tests and the demo, never the product):

- ``GET /costs/config`` · ``POST /costs/config`` (partial) — ``restatement_days``, ``late_days``,
  ``rows_per_month``, ``report_delay_seconds``, ``retry_after_seconds``, ``blob_max_bytes``,
  ``sas_validity_seconds``, ``compress``, ``scope_calls_per_minute``, ``tenant_calls_per_minute``
  (a POST also empties the rate-limit windows)
- ``GET /costs/accounts`` — billing accounts as cost data sees them (currency, created,
  profile, sections / departments, subscriptions, invoices of closed months)
- ``POST /costs/accounts/{id}`` ``{"created": iso | "now", "currency": "EUR"}`` — overrides
- ``GET /costs/totals?billing_account=…&period=YYYYMM | start=…&end=…&metric=ActualCost
  [&subscription=…]`` — the truth (exact decimal strings) as of the emulator clock
- ``GET /costs/operations`` — report operations (status, rows, total, blobs)
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.context import get_runtime, get_world, now
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.costmanagement import backend
from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import month_start, next_month
from azure_emulator.world.costs.model import CostSettings
from azure_emulator.world.costs.report import period_closed
from azure_emulator.world.costs.totals import totals

_SETTING_TYPES = {f.name: f.type for f in fields(CostSettings) if f.name != "accounts"}


def _error(status: int, message: str) -> Response:
    return JsonResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


async def config(request: Request) -> Response:
    st = backend.state(get_runtime(request))
    if request.method == "POST":
        try:
            data = await _body(request)
        except ValueError as exc:
            return _error(400, str(exc))
        for key, value in data.items():
            if key not in _SETTING_TYPES:
                return _error(400, f"unknown setting {key!r}; known: {', '.join(sorted(_SETTING_TYPES))}")
            kind = str(_SETTING_TYPES[key])
            setattr(st.settings, key, bool(value) if kind == "bool" else float(value) if kind == "float" else int(value))
        with st.lock:
            st.calls.clear()  # new limits start with empty windows
    return JsonResponse(asdict(st.settings))


def _account_json(request: Request, account: Any) -> dict[str, Any]:
    settings = backend.state(get_runtime(request)).settings
    current = now(request)
    invoices = {}
    period = month_start(current.date())
    for _ in range(13):
        period = month_start(period - timedelta(days=1))
        if account.agreement == "MCA" and period_closed(period, current, settings):
            invoices[period.strftime("%Y%m")] = formats.invoice_id(account, period)
    return {
        "id": account.id, "agreement": account.agreement, "display_name": account.display_name,
        "currency": account.currency, "created": account.created.isoformat(), "scope": account.scope,
        "billing_profile_id": account.profile_id, "billing_profile_name": account.profile_name,
        "sections": [{"id": s.id, "name": s.name} for s in account.sections],
        "subscription_ids": account.subscription_ids, "invoices": invoices,
    }


async def list_accounts(request: Request) -> Response:
    st = backend.state(get_runtime(request))
    return JsonResponse({"value": [_account_json(request, a) for a in backend.accounts(get_world(request), st.settings)]})


async def set_account(request: Request) -> Response:
    st = backend.state(get_runtime(request))
    world = get_world(request)
    name = request.path_params["account"]
    if backend.find_account(world, st.settings, name) is None:
        return _error(404, f"billing account {name!r} not found")
    data = await _body(request)
    override = st.settings.accounts.setdefault(name.lower(), {})
    for key in ("created", "currency"):
        if key in data:
            value = str(data[key])
            override[key] = now(request).isoformat() if key == "created" and value == "now" else value
    account = backend.find_account(world, st.settings, name)
    return JsonResponse(_account_json(request, account))


async def get_totals(request: Request) -> Response:
    q = request.query_params
    st = backend.state(get_runtime(request))
    world = get_world(request)
    name = q.get("billing_account", "")
    account = backend.find_account(world, st.settings, name)
    if account is None:
        return _error(404, f"billing account {name!r} not found")
    try:
        if "period" in q:
            p = q["period"]
            start = date(int(p[:4]), int(p[4:6]), 1)
            end = next_month(start) - timedelta(days=1)
        else:
            start, end = date.fromisoformat(q["start"]), date.fromisoformat(q["end"])
    except (KeyError, ValueError):
        return _error(400, "give period=YYYYMM or start=YYYY-MM-DD&end=YYYY-MM-DD")
    metric = {"actualcost": "ActualCost", "amortizedcost": "AmortizedCost"}.get(q.get("metric", "ActualCost").lower())
    if metric is None:
        return _error(400, "metric must be ActualCost or AmortizedCost")
    sections = set(q["section"].split(",")) if q.get("section") else None
    units = backend.units(world, st, account)
    return JsonResponse(totals(account, units, start, end, metric, now(request), st.settings,
                               subscription=q.get("subscription"), sections=sections))


async def operations(request: Request) -> Response:
    st = backend.state(get_runtime(request))
    return JsonResponse({"value": [
        {"id": op.id, "scope": op.scope, "status": op.status if op.done.is_set() else "Running", "rows": op.rows,
         "total": formats.money(op.total), "blobs": op.blob_names, "created": op.created.isoformat(),
         "ready_at": op.ready_at.isoformat()}
        for op in list(st.operations.values())
    ]})


router = Router(
    routes=[
        Route("/costs/config", config, methods=["GET", "POST"]),
        Route("/costs/accounts", list_accounts, methods=["GET"]),
        Route("/costs/accounts/{account}", set_account, methods=["POST"]),
        Route("/costs/totals", get_totals, methods=["GET"]),
        Route("/costs/operations", operations, methods=["GET"]),
    ]
)
