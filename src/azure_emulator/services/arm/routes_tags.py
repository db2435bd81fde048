"""Tags at scope: ``/{scope}/providers/Microsoft.Resources/tags/default`` (2025-04-01).

GET (Tags_GetAtScope), PUT (Tags_CreateOrUpdateAtScope: replace all), PATCH
(Tags_UpdateAtScope with ``operation`` Merge / Replace / Delete) and DELETE
(Tags_DeleteAtScope: remove all). Scope: a subscription, a resource group or a resource.
RBAC: ``Microsoft.Resources/tags/read|write|delete`` at the scope (Tag Contributor suffices).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

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
from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import get_runtime, get_world
from azure_emulator.core.errors import arm_error
from azure_emulator.services.arm import backend, tagnames
from azure_emulator.services.arm import tags as rules
from azure_emulator.services.arm.responses import tags_json
from azure_emulator.services.authorization import rbac
from azure_emulator.services.locks import backend as locks
from azure_emulator.services.policy import backend as policy
from azure_emulator.world.model import World

_ACTIONS = {
    "GET": "Microsoft.Resources/tags/read",
    "HEAD": "Microsoft.Resources/tags/read",
    "PUT": "Microsoft.Resources/tags/write",
    "PATCH": "Microsoft.Resources/tags/write",
    "DELETE": "Microsoft.Resources/tags/delete",
}


class _Target:
    """The tag holder behind a scope: its tag dict (None: untaggable), type and canonical id."""

    def __init__(self, scope_id: str, rtype: str, holder: Any, attr: str = "tags") -> None:
        self.scope_id = scope_id
        self.type = rtype
        self.holder = holder
        self.attr = attr

    @property
    def tags(self) -> dict[str, str] | None:
        return getattr(self.holder, self.attr)  # type: ignore[no-any-return]

    def write(self, world: World, new: dict[str, str]) -> None:
        current = self.tags
        if current is None:
            raise rules.untaggable(self.type)
        rules.replace_in_place(current, new)
        if hasattr(self.holder, "changed"):
            self.holder.changed = world.clock.now()
        backend.bump_tags_version(world)


def _resolve(world: World, principal: Any, scope: ParsedScope) -> _Target:
    """The target (after authorization: ARM answers 403 before revealing existence)."""
    if scope.kind not in ("subscription", "resourceGroup", "resource") or scope.subscription_id is None:
        raise invalid_scope(scope.path)
    sub = backend.get_subscription(world, principal, scope.subscription_id)
    if scope.kind == "subscription":
        return _Target(f"/subscriptions/{sub.subscription_id}", "Microsoft.Resources/subscriptions", sub)
    assert scope.resource_group is not None
    rg = backend.get_resource_group(sub, scope.resource_group)
    if scope.kind == "resourceGroup":
        return _Target(rg.id, "Microsoft.Resources/resourceGroups", rg)
    res = backend.find_resource(world, scope.path)
    if res is None:
        raise backend.resource_not_found(scope.path)
    return _Target(res.id, res.type, res)


async def tags_at_scope(request: Request) -> Response:
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    method = request.method
    scope = parse_scope(request.path_params["scope"])
    if scope.kind in ("subscription", "resourceGroup", "resource") and scope.subscription_id is not None:
        backend.get_subscription(world, principal, scope.subscription_id)
        rbac.authorize(world, principal, _ACTIONS[method], scope.path)
    target = _resolve(world, principal, scope)
    if method in ("GET", "HEAD"):
        tags = target.tags
        return json_response(tags_json(target.scope_id, tags or {}))
    if target.tags is None:
        raise rules.untaggable(target.type)
    tags_path = f"{target.scope_id}/providers/Microsoft.Resources/tags/default"
    if method == "DELETE":
        with world.lock:
            locks.check(world, target.scope_id, "delete", message_scope=tags_path)
            policy.check(world, target.scope_id, target.type, {})
            target.write(world, {})
            _journal(request, principal, target, "DeleteAll", {})
        return empty_response(200)
    locks.check(world, target.scope_id, "write", message_scope=tags_path)
    body = await read_json(request)
    props = body.get("properties")
    if not isinstance(props, dict) or "tags" not in props:
        raise arm_error(400, "InvalidRequestContent", "The request content was invalid: 'properties.tags' is required.")
    incoming = rules.validate(props["tags"] or {}, target.type)
    operation = "Replace"
    if method == "PATCH":
        operation = body.get("operation")  # type: ignore[assignment]
        if not isinstance(operation, str):
            raise arm_error(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'operation' is required (Merge, Replace or Delete).",
            )
    with world.lock:
        locks.check(world, target.scope_id, "write", message_scope=tags_path)
        new = rules.apply(dict(target.tags or {}), operation, incoming, target.type)
        policy.check(world, target.scope_id, target.type, new)
        target.write(world, new)
        _journal(request, principal, target, operation.capitalize(), incoming)
    return json_response(tags_json(target.scope_id, target.tags or {}))


def _journal(request: Request, principal: Any, target: _Target, operation: str, tags: dict[str, str]) -> None:
    get_runtime(request).tag_writes.add({
        "time": get_world(request).clock.now().isoformat(), "method": request.method, "operation": operation,
        "scope": target.scope_id, "tags": dict(tags), "result": dict(target.tags or {}),
        "principal": getattr(principal, "object_id", None),
    })


# --- predefined tag names: /subscriptions/{id}/tagNames[/{name}[/tagValues/{value}]] -------------


def _tag_names_begin(request: Request) -> tuple[World, Any, Any]:
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    sub = backend.get_subscription(world, principal, request.path_params["sub"])
    rbac.authorize(world, principal, _ACTIONS[request.method], f"/subscriptions/{sub.subscription_id}")
    return world, principal, sub


async def tag_names_list(request: Request) -> Response:
    """Tags_List (one page: the summary is computed on each call)."""
    world, _, sub = _tag_names_begin(request)
    with world.lock:
        return json_response({"value": tagnames.summary(sub)})


async def tag_name(request: Request) -> Response:
    """Tags_CreateOrUpdate (PUT: 201 created, 200 existing) and Tags_Delete (200, 204 absent)."""
    world, _, sub = _tag_names_begin(request)
    name = request.path_params["name"]
    locks.check(world, f"/subscriptions/{sub.subscription_id}", "write" if request.method == "PUT" else "delete")
    with world.lock:
        if request.method == "DELETE":
            return empty_response(200 if tagnames.delete_name(sub, name) else 204)
        body, created = tagnames.create_name(sub, name)
    return json_response(body, 201 if created else 200)


async def tag_value(request: Request) -> Response:
    """Tags_CreateOrUpdateValue (PUT: 201 / 200) and Tags_DeleteValue (200, 204 absent)."""
    world, _, sub = _tag_names_begin(request)
    name, value = request.path_params["name"], request.path_params["value"]
    locks.check(world, f"/subscriptions/{sub.subscription_id}", "write" if request.method == "PUT" else "delete")
    with world.lock:
        if request.method == "DELETE":
            return empty_response(200 if tagnames.delete_value(sub, name, value) else 204)
        body, created = tagnames.create_value(sub, name, value)
    return json_response(body, 201 if created else 200)


_SUB = r"/subscriptions/(?P<sub>[^/]+)"  # as arm/routes.py: any segment, the handler validates
router = Router(
    routes=[
        ArmRoute(r"(?P<scope>(?:/.*)?)/providers/Microsoft\.Resources/tags/default", tags_at_scope,
                 ["GET", "PUT", "PATCH", "DELETE"]),
        ArmRoute(_SUB + r"/tagNames", tag_names_list, ["GET"]),
        ArmRoute(_SUB + r"/tagNames/(?P<name>[^/]+)", tag_name, ["PUT", "DELETE"]),
        ArmRoute(_SUB + r"/tagNames/(?P<name>[^/]+)/tagValues/(?P<value>[^/]+)", tag_value, ["PUT", "DELETE"]),
    ]
)
