"""Microsoft Graph directory-object actions (combined by ``graph/routes.py``, after the reads):

- ``POST /v1.0/directoryObjects/getByIds`` (``ids``, optional ``types``): users, groups,
  service principals and applications by object id, each with its ``@odata.type``. The Azure
  CLI resolves role assignees' names this way.
- ``POST …/{users|groups|servicePrincipals|directoryObjects}/{id}/checkMemberGroups`` and
  ``…/getMemberGroups`` (and on ``/me``): group ids, memberships followed transitively.
- ``GET /v1.0/users('{id or userPrincipalName}')``: the key-in-parentheses addressing.

Paths with a doubled slash (``/v1.0//users``) are folded by the core middleware.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.auth import Principal
from azure_emulator.core.context import base_urls, get_world
from azure_emulator.core.http import GraphJsonResponse
from azure_emulator.services.graph import backend
from azure_emulator.services.graph import responses as R
from azure_emulator.services.graph.collection import bad_request, not_found
from azure_emulator.services.graph.permissions import REQUIRED, denied
from azure_emulator.services.graph.throttling import graph_principal
from azure_emulator.world.model import Tenant

# getByIds: Directory.Read.All is the least privilege Microsoft documents; the per-type read
# permissions also answer for their own type.
_TYPE_OPERATION = {"user": "users", "group": "groups", "serviceprincipal": "applications", "application": "applications"}
_MEMBERSHIP_OPERATION = "groups"
MAX_IDS = 1000
MAX_GROUP_IDS = 20


def _holds(principal: Principal, operation: str) -> bool:
    app_perms, delegated = REQUIRED[operation]
    held = principal.roles if principal.is_app else principal.scopes
    return bool(held.intersection(app_perms if principal.is_app else delegated))


def _tenant(request: Request) -> tuple[Principal, Tenant]:
    principal = graph_principal(request)
    return principal, get_world(request).tenants[principal.tenant_id]


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise bad_request(request, "Invalid JSON in the request body.") from None
    if not isinstance(body, dict):
        raise bad_request(request, "The request body must be a JSON object.")
    return body


def _objects_by_id(request: Request, tenant: Tenant) -> dict[str, tuple[str, dict[str, Any]]]:
    """Lower-cased object id → (type, Graph JSON) for every directory object in the tenant."""
    world = get_world(request)
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for u in tenant.users.values():
        found[u.object_id.lower()] = ("user", R.user(u))
    for g in tenant.groups.values():
        found[g.object_id.lower()] = ("group", R.group(g, tenant))
    for sp in tenant.service_principals.values():
        found[sp.object_id.lower()] = ("servicePrincipal", R.service_principal(sp, world))
    for app in tenant.applications.values():
        found[app.object_id.lower()] = ("application", R.application(app, tenant))
    return found


async def get_by_ids(request: Request) -> Response:
    principal, tenant = _tenant(request)
    body = await _json(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request(request, "Invalid request: the 'ids' property is required.", "Request_BadRequest")
    if len(ids) > MAX_IDS:
        raise bad_request(request, f"Too many ids: at most {MAX_IDS} may be requested.", "Request_BadRequest")
    types = body.get("types")
    wanted = {str(t).lower().removeprefix("microsoft.graph.") for t in types} if isinstance(types, list) and types else None
    allowed = {t for t, op in _TYPE_OPERATION.items() if _holds(principal, op)}
    if not allowed:
        raise denied(request)
    objects = _objects_by_id(request, tenant)
    value = []
    for raw in ids:
        hit = objects.get(str(raw).lower())
        if hit is None:
            continue
        kind, obj = hit
        if (wanted is not None and kind.lower() not in wanted) or kind.lower() not in allowed:
            continue
        value.append({"@odata.type": f"#microsoft.graph.{kind}", **obj})
    graph = base_urls(request).graph
    return GraphJsonResponse({"@odata.context": f"{graph}/v1.0/$metadata#directoryObjects", "value": value})


def _member(request: Request, principal: Principal, tenant: Tenant) -> str:
    """The object whose memberships are asked for (``/me`` or the path's id)."""
    key = request.path_params.get("id")
    if key is None:
        if principal.is_app:
            raise bad_request(request, "/me request is only valid with delegated authentication flow.")
        return principal.object_id
    kind = request.path_params.get("kind", "directoryObjects")
    if kind == "users":
        u = tenant.users.get(key) or tenant.user_by_upn(key)
        if u is not None:
            return u.object_id
    elif key.lower() in _objects_by_id(request, tenant):
        return key
    raise not_found(request, key)


async def check_member_groups(request: Request) -> Response:
    principal, tenant = _tenant(request)
    if principal.object_id != request.path_params.get("id", principal.object_id) and not _holds(principal, _MEMBERSHIP_OPERATION):
        raise denied(request)
    member = _member(request, principal, tenant)
    body = await _json(request)
    group_ids = body.get("groupIds")
    if not isinstance(group_ids, list) or not group_ids:
        raise bad_request(request, "Invalid request: the 'groupIds' property is required.", "Request_BadRequest")
    if len(group_ids) > MAX_GROUP_IDS:
        raise bad_request(request, f"At most {MAX_GROUP_IDS} group ids may be checked at a time.", "Request_BadRequest")
    mine = {g.lower() for g in backend.member_groups(tenant, member)}
    value = [str(g) for g in group_ids if str(g).lower() in mine]
    graph = base_urls(request).graph
    return GraphJsonResponse({"@odata.context": f"{graph}/v1.0/$metadata#Collection(Edm.String)", "value": value})


async def get_member_groups(request: Request) -> Response:
    principal, tenant = _tenant(request)
    if principal.object_id != request.path_params.get("id", principal.object_id) and not _holds(principal, _MEMBERSHIP_OPERATION):
        raise denied(request)
    member = _member(request, principal, tenant)
    body = await _json(request)
    if "securityEnabledOnly" not in body:
        raise bad_request(request, "Invalid request: the 'securityEnabledOnly' property is required.", "Request_BadRequest")
    value = backend.member_groups(tenant, member, security_only=bool(body["securityEnabledOnly"]))
    graph = base_urls(request).graph
    return GraphJsonResponse({"@odata.context": f"{graph}/v1.0/$metadata#Collection(Edm.String)", "value": value})


def _with_kind(kind: str, handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        request.path_params["kind"] = kind
        return await handler(request)  # type: ignore[no-any-return]

    return wrapped


_ACTIONS = (("checkMemberGroups", check_member_groups), ("getMemberGroups", get_member_groups))
router = Router(routes=[
    Route("/v1.0/directoryObjects/getByIds", get_by_ids, methods=["POST"]),
    *[Route(f"/v1.0/me/{action}", handler, methods=["POST"]) for action, handler in _ACTIONS],
    *[Route(f"/v1.0/{kind}/{{id}}/{action}", _with_kind(kind, handler), methods=["POST"])
      for kind in ("users", "groups", "servicePrincipals", "directoryObjects") for action, handler in _ACTIONS],
])
