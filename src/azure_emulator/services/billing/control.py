"""Control routes of the billing service (mounted at ``/_emulator``; tests and the demo):

- ``POST /billing/ea-keys`` ``{"enrollment": "…", "days": 182, "expired": false}`` → ``{"key": …}``
  mints a legacy EA API key (revoke it with ``POST /_emulator/ea-keys/revoke``).
- ``GET /billing/accounts`` → the world's billing accounts.
"""

from __future__ import annotations

import json
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.context import get_runtime, get_world
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.billing import backend, ea_keys
from azure_emulator.services.billing import responses as R


async def mint_key(request: Request) -> Response:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    world = get_world(request)
    first_ea = next((a.name for a in backend.accounts(world) if not a.is_mca), "")
    enrollment = str(data.get("enrollment") or first_ea)
    now = world.clock.now()
    days = float(data.get("days", ea_keys.KEY_LIFETIME.days))
    if data.get("expired"):
        now, days = now - timedelta(days=200), 182
    key = ea_keys.mint(get_runtime(request).signer, enrollment, now, lifetime=timedelta(days=days))
    return JsonResponse({"key": key, "enrollment": enrollment})


async def list_accounts(request: Request) -> Response:
    return JsonResponse({"value": [R.account_json(a) for a in backend.accounts(get_world(request))]})


router = Router(
    routes=[
        Route("/billing/ea-keys", mint_key, methods=["POST"]),
        Route("/billing/accounts", list_accounts, methods=["GET"]),
    ]
)
