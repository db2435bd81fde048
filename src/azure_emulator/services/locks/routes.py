"""Management locks at any scope (mounted at ``/arm`` before ARM's generic routes).

``/{scope}/providers/Microsoft.Authorization/locks`` GET (ManagementLocks_ListAtSubscriptionLevel /
ListAtResourceGroupLevel / ListAtResourceLevel / ListByScope; ``$filter=atScope()``) and
``/{scope}/providers/Microsoft.Authorization/locks/{name}`` GET / PUT (201 created, 200 updated) /
DELETE (200, 204 when absent). Scope: a subscription, a resource group or a resource, which must
exist. RBAC: ``Microsoft.Authorization/locks/read|write|delete`` (Owner, User Access
Administrator; not Contributor or Tag Contributor).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core import arm_index as arm
from azure_emulator.core.arm import (
    ArmRoute,
    ParsedScope,
    empty_response,
    invalid_scope,
    json_response,
    parse_scope,
    read_json,
    require_api_version,
)
from azure_emulator.core.auth import Principal, require_principal
from azure_emulator.core.context import get_world
from azure_emulator.services.authorization import rbac
from azure_emulator.services.locks import backend
from azure_emulator.services.locks.responses import lock_json
from azure_emulator.world.model import World

_SCOPE = r"(?P<scope>(?:/.*)?)/providers/Microsoft\.Authorization/locks"
_ACTIONS = {"GET": "read", "HEAD": "read", "PUT": "write", "DELETE": "delete"}


def _begin(request: Request) -> tuple[World, Principal, ParsedScope]:
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    scope = parse_scope(re.sub("/+", "/", request.path_params["scope"]))  # SDKs send "//" for an empty parent path
    if scope.kind not in ("subscription", "resourceGroup", "resource") or scope.subscription_id is None:
        raise invalid_scope(scope.path)
    sub = arm.get_subscription(world, principal, scope.subscription_id)
    rbac.authorize(world, principal, f"Microsoft.Authorization/locks/{_ACTIONS[request.method]}", scope.path)
    if scope.kind != "subscription":
        assert scope.resource_group is not None
        arm.get_resource_group(sub, scope.resource_group)
        if scope.kind == "resource" and arm.find_resource(world, scope.path) is None:
            raise arm.resource_not_found(scope.path)
    return world, principal, scope


async def list_locks(request: Request) -> Response:
    world, _, scope = _begin(request)
    at_scope = (request.query_params.get("$filter") or "").replace(" ", "").lower() == "atscope()"
    with world.lock:
        locks = backend.list_for(world, scope, at_scope)
    return json_response({"value": [lock_json(lock) for lock in locks]})


async def lock(request: Request) -> Response:
    world, _, scope = _begin(request)
    name = request.path_params["name"]
    if request.method in ("GET", "HEAD"):
        return json_response(lock_json(backend.get(world, scope, name)))
    if request.method == "DELETE":
        with world.lock:
            return empty_response(200 if backend.delete(world, scope, name) else 204)
    level, notes, owners = backend.validate(name, await read_json(request))
    canonical = _canonical_scope(world, scope)
    with world.lock:
        item, created = backend.put(world, canonical, name, level, notes, owners)
    return json_response(lock_json(item), 201 if created else 200)


def _canonical_scope(world: World, scope: ParsedScope) -> str:
    """The scope with the casing of what it names (lock ids echo ARM's canonical ids)."""
    if scope.kind == "resource":
        res = arm.find_resource(world, scope.path)
        return res.id if res is not None else scope.path
    sub = world.subscription(scope.subscription_id or "")
    if sub is None:
        return scope.path
    if scope.kind == "subscription":
        return f"/subscriptions/{sub.subscription_id}"
    rg = sub.resource_groups.get((scope.resource_group or "").lower())
    return rg.id if rg is not None else scope.path


router = Router(
    routes=[
        ArmRoute(_SCOPE, list_locks, ["GET"]),
        ArmRoute(_SCOPE + r"/(?P<name>[^/]+)", lock, ["GET", "PUT", "DELETE"]),
    ]
)
