"""Microsoft.Authorization policy assignments (mounted at ``/arm``): the deny assignments of
the world, as ARM lists them.

- ``GET {scope}/providers/Microsoft.Authorization/policyAssignments`` — the assignments that
  apply at the scope (assigned there or above), ``{"value": [PolicyAssignment]}``.

Assignments are made through the control API (``policy/control.py``); ARM writes are
refused by them in ``backend.check`` (RequestDisallowedByPolicy).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import ArmRoute, json_response, require_api_version
from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import get_world
from azure_emulator.services.policy import responses as R


async def list_assignments(request: Request) -> Response:
    require_api_version(request)
    require_principal(request, api="arm")
    scope = (request.path_params["scope"] or "/").lower().rstrip("/")
    applies = [d for d in get_world(request).policy_denials
               if scope == d.scope.lower().rstrip("/") or scope.startswith(d.scope.lower().rstrip("/") + "/")]
    return json_response({"value": [R.assignment_json(d) for d in applies]})


router = Router(routes=[
    ArmRoute(r"(?P<scope>(?:/.*)?)/providers/Microsoft\.Authorization/policyAssignments", list_assignments, ["GET"]),
])
