"""Microsoft.Billing routes (mounted at ``/arm``):

- ``GET /providers/Microsoft.Billing/billingAccounts`` — the accounts the caller holds a
  billing role on
- ``GET /providers/Microsoft.Billing/billingAccounts/{name}`` — 404 BillingAccountNotFound,
  403 AuthorizationFailed without a billing role (EnrollmentReader / Billing account reader …)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import get_world
from azure_emulator.services.arm.common import ArmRoute, json_response, require_api_version
from azure_emulator.services.billing import backend

_BASE = r"/providers/Microsoft\.Billing/billingAccounts"


async def list_accounts(request: Request) -> Response:
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    expand = request.query_params.get("$expand", "")
    items = [backend.account_json(a, expand) for a in backend.accounts(world) if backend.can_read(world, principal, a)]
    return json_response({"value": items})


async def get_account(request: Request) -> Response:
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    name = request.path_params["name"]
    account = backend.find(world, name)
    if account is None:
        raise backend.not_found(name)
    backend.require_read(world, principal, account)
    return json_response(backend.account_json(account, request.query_params.get("$expand", "")))


router = Router(
    routes=[
        ArmRoute(_BASE, list_accounts, ["GET"]),
        ArmRoute(_BASE + r"/(?P<name>[^/]+)", get_account, ["GET"]),
    ]
)
