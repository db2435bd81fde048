"""Legacy EA reporting API routes (mounted at ``/ea``), keyed by API key (ea/NOTES.md):

- ``GET /v3/enrollments/{enrollment}/billingPeriods`` — billing periods, newest first
- usage details, the CSV download and balance summaries: ``routes_usage.py``

Every route checks the key first (401 for malformed, expired, revoked or foreign keys).
Usage details and price sheets are added by the cost work.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.context import get_runtime, get_world
from azure_emulator.core.errors import ApiError
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.billing import ea_keys
from azure_emulator.services.ea import backend as ea
from azure_emulator.services.ea import routes_usage


def _authorize(request: Request) -> tuple[str, datetime]:
    world = get_world(request)
    enrollment = request.path_params["enrollment"]
    ea_keys.check(world, get_runtime(request).signer, request.headers.get("authorization"), enrollment)
    account = world.billing_account(enrollment)
    if account is None or account.is_mca:
        raise ApiError(404, {"error": {"code": "404", "message": f"Enrollment {enrollment} not found."}})
    return enrollment, world.clock.now()


async def billing_periods(request: Request) -> Response:
    enrollment, now = _authorize(request)
    base = f"/v3/enrollments/{enrollment}/billingperiods"
    return JsonResponse([
        {"billingPeriodId": p, "billingStart": f"{p[:4]}-{p[4:]}-01T00:00:00Z",
         "balanceSummary": f"{base}/{p}/balancesummary", "usageDetails": f"{base}/{p}/usagedetails",
         "marketplaceCharges": f"{base}/{p}/marketplacecharges", "priceSheet": f"{base}/{p}/pricesheet"}
        for p in ea.periods(now)
    ])




# The usage routes first: the same paths under /v2 and /v3, and the balance summary with real figures.
router = Router(
    routes=[
        *routes_usage.router.routes,
        Route("/v3/enrollments/{enrollment}/billingPeriods", billing_periods, methods=["GET"]),
        Route("/v3/enrollments/{enrollment}/billingperiods", billing_periods, methods=["GET"]),
    ]
)
