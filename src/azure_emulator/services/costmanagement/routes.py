"""Microsoft.CostManagement Cost Details routes (mounted at ``/arm``):

- ``POST /{scope}/providers/Microsoft.CostManagement/generateCostDetailsReport`` → 202 with
  ``Location`` (the operation results URL) and ``Retry-After``
- ``GET /{scope}/providers/Microsoft.CostManagement/costDetailsOperationResults/{id}`` → 202
  while the report is being written (and until ``report_delay_seconds`` of emulator clock
  passed), then 200 with the manifest (``status`` ``Completed``, ``NoDataFound`` or ``Failed``);
  ``…/operationResults/{id}`` answers the same operations

Scopes: subscription, billing account (EA/MCA), billing profile and invoice section (MCA),
department (EA). Reading needs a role that allows Cost Management reads at the scope
(Reader / Cost Management Reader on a subscription; EnrollmentReader, Billing account /
profile reader … on billing scopes).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    ArmRoute,
    empty_response,
    json_response,
    read_json,
    require_api_version,
)
from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import base_urls, get_runtime, get_world, now
from azure_emulator.core.errors import arm_error
from azure_emulator.services.costmanagement import (
    backend,
    ratelimit,
    reports,
    routes_analysis,
    routes_exports,
)
from azure_emulator.services.costmanagement.scopes import authorize, resolve

API_VERSIONS = ("2022-05-01", "2022-10-01", "2023-03-01", "2023-08-01", "2023-09-01", "2023-11-01", "2024-08-01",
                "2025-03-01")
READ = "Microsoft.CostManagement/costDetailsOperationResults/read"
ACTION = "Microsoft.CostManagement/generateCostDetailsReport/action"
_PROVIDER = r"/providers/Microsoft\.CostManagement"


def _api_version(request: Request, kind: str) -> str:
    version = require_api_version(request)
    if version not in API_VERSIONS:
        raise arm_error(
            400, "NoRegisteredProviderFound",
            f"No registered resource provider found for location 'global' and API version '{version}' for type "
            f"'{kind}'. The supported api-versions are '{', '.join(API_VERSIONS)}'. The supported locations are ', global'.",
        )
    return version


def _location(request: Request, scope: str, op_id: str, version: str) -> str:
    return (f"{base_urls(request).arm}/{scope}/providers/Microsoft.CostManagement/costDetailsOperationResults/"
            f"{op_id}?api-version={version}")


async def generate(request: Request) -> Response:
    version = _api_version(request, "generateCostDetailsReport")
    principal = require_principal(request, api="arm")
    world = get_world(request)
    runtime = get_runtime(request)
    st = backend.state(runtime)
    scope = resolve(world, st, request.path_params["scope"])
    authorize(world, principal, scope, READ, ACTION)
    ratelimit.meter(request, principal, scope.path)
    body = await read_json(request)
    current = now(request)
    req = reports.validate(body, scope, current, st.settings)
    op = reports.start_operation(runtime, world, scope, req, version, principal.object_id, current)
    retry = str(max(st.settings.retry_after_seconds, 0))
    return empty_response(202, {"Location": _location(request, scope.path, op.id, version), "Retry-After": retry})


async def operation_result(request: Request) -> Response:
    version = _api_version(request, "costDetailsOperationResults")
    principal = require_principal(request, api="arm")
    world = get_world(request)
    st = backend.state(get_runtime(request))
    scope = resolve(world, st, request.path_params["scope"])
    authorize(world, principal, scope, READ)
    op_id = request.path_params["op"]
    op = st.operations.get(op_id)
    if op is None or op.scope.lower() != scope.path.lower():
        raise arm_error(404, "NotFound", f"The operation '{op_id}' was not found.")
    if not op.done.is_set() or now(request) < op.ready_at:
        waited = max(0, int((op.ready_at - now(request)).total_seconds()))
        retry = str(max(st.settings.retry_after_seconds, min(waited, 60)))
        return empty_response(202, {"Location": _location(request, scope.path, op.id, version), "Retry-After": retry})
    return json_response(reports.result_body(op))


router = Router(
    routes=[
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/generateCostDetailsReport", generate, ["POST"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/costDetailsOperationResults/(?P<op>[^/]+)", operation_result, ["GET"]),
        # Cost Management's generic polling URL answers the same operations
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/operationResults/(?P<op>[^/]+)", operation_result, ["GET"]),
        *routes_analysis.router.routes,  # query, dimensions
        *routes_exports.router.routes,  # exports, alerts
    ]
)
