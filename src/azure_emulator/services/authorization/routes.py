"""Microsoft.Authorization routes (mounted at ``/arm`` before ARM's generic routes).

- ``/{scope}/providers/Microsoft.Authorization/roleAssignments[/{name}]`` GET / PUT / DELETE
  (also reached as ``/{roleAssignmentId}``), list with ``$filter``
- ``/{scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}]`` GET
- ``/{scope}/providers/Microsoft.Authorization/permissions`` GET (the caller's own permissions)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    GUID_RE,
    ArmRoute,
    ParsedScope,
    empty_response,
    json_response,
    paged,
    parse_scope,
    read_json,
    require_api_version,
)
from azure_emulator.core.auth import Principal, require_principal
from azure_emulator.core.context import base_urls, get_world
from azure_emulator.core.errors import arm_error
from azure_emulator.services.authorization import backend, rbac
from azure_emulator.services.authorization import responses as R

_SCOPE = r"(?P<scope>(?:/.*)?)/providers/Microsoft\.Authorization"


def _begin(request: Request) -> tuple[Principal, ParsedScope, str]:
    version = require_api_version(request)
    principal = require_principal(request, api="arm")
    scope = parse_scope(request.path_params["scope"])
    return principal, scope, version


async def role_assignment(request: Request) -> Response:
    principal, scope, _ = _begin(request)
    world = get_world(request)
    name = request.path_params["name"]
    backend.tenant_of_scope(world, principal, scope)  # 404/401 for unknown or foreign subscriptions
    if request.method == "GET":
        rbac.authorize(world, principal, "Microsoft.Authorization/roleAssignments/read", scope.path)
        ra = backend.find_assignment(world, scope, name)
        if ra is None:
            raise backend.assignment_not_found()
        return json_response(R.role_assignment_json(ra))
    if request.method == "DELETE":
        rbac.authorize(world, principal, "Microsoft.Authorization/roleAssignments/delete", scope.path)
        ra = backend.find_assignment(world, scope, name)
        if ra is None:
            return empty_response(204)
        backend.delete_assignment(world, ra)
        return json_response(R.role_assignment_json(ra))
    rbac.authorize(world, principal, "Microsoft.Authorization/roleAssignments/write", scope.path)
    backend.check_scope_exists(world, principal, scope)
    body = await read_json(request)
    ra, created = backend.create_assignment(world, principal, scope, name, body)
    return json_response(R.role_assignment_json(ra), 201 if created else 200)


async def list_role_assignments(request: Request) -> Response:
    principal, scope, _ = _begin(request)
    world = get_world(request)
    backend.check_scope_exists(world, principal, scope)
    rbac.authorize(world, principal, "Microsoft.Authorization/roleAssignments/read", scope.path)
    items = backend.list_assignments(world, scope, request.query_params.get("$filter"))
    return json_response(paged(request, items, R.role_assignment_json, base_urls(request).arm))


def _require_any_access(request: Request, principal: Principal, scope: ParsedScope, action: str) -> None:
    world = get_world(request)
    backend.check_scope_exists(world, principal, scope)
    if scope.kind != "tenant" and not rbac.has_access_within(world, principal, scope.path):
        raise rbac.authorization_failed(principal, action, scope.path)


async def list_role_definitions(request: Request) -> Response:
    principal, scope, _ = _begin(request)
    _require_any_access(request, principal, scope, "Microsoft.Authorization/roleDefinitions/read")
    roles = backend.list_role_definitions(get_world(request), request.query_params.get("$filter"))
    return json_response({"value": [R.role_definition_json(scope.path, r) for r in roles]})


async def get_role_definition(request: Request) -> Response:
    principal, scope, _ = _begin(request)
    _require_any_access(request, principal, scope, "Microsoft.Authorization/roleDefinitions/read")
    given = request.path_params["role"]
    if not GUID_RE.match(given):
        raise arm_error(400, "InvalidRoleDefinitionId", f"The role definition ID '{given}' is not valid.")
    role = get_world(request).role_definitions.get(given.lower())
    if role is None:
        raise backend.role_definition_not_found(given)
    return json_response(R.role_definition_json(scope.path, role))


async def list_permissions(request: Request) -> Response:
    principal, scope, version = _begin(request)
    _require_any_access(request, principal, scope, "Microsoft.Authorization/permissions/read")
    roles = backend.caller_permissions(get_world(request), principal, scope.path)
    return json_response({"value": [R.permission_json(r, version) for r in roles]})


router = Router(
    routes=[
        ArmRoute(_SCOPE + r"/roleAssignments", list_role_assignments, ["GET"]),
        ArmRoute(_SCOPE + r"/roleAssignments/(?P<name>[^/]+)", role_assignment, ["GET", "PUT", "DELETE"]),
        ArmRoute(_SCOPE + r"/roleDefinitions", list_role_definitions, ["GET"]),
        ArmRoute(_SCOPE + r"/roleDefinitions/(?P<role>[^/]+)", get_role_definition, ["GET"]),
        ArmRoute(_SCOPE + r"/permissions", list_permissions, ["GET"]),
    ]
)
