"""ARM routes (mounted at ``/arm``): tenants, subscriptions, resource groups, resources,
tags at scope, providers and the operation-result endpoint of long-running operations.

Every handler: api-version first (``MissingApiVersionParameter``), then the bearer token
(``require_principal``), then RBAC (``rbac.authorize``) on the scope it touches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    ArmRoute,
    empty_response,
    json_response,
    paged,
    read_json,
    require_api_version,
)
from azure_emulator.core.auth import Principal, require_principal
from azure_emulator.core.context import base_urls, get_world
from azure_emulator.core.errors import arm_error
from azure_emulator.services.arm import (
    backend,
    providers,
    routes_metadata,
    routes_resource_writes,
    routes_tags,
)
from azure_emulator.services.arm import responses as R
from azure_emulator.services.arm.filters import compile_filter
from azure_emulator.services.authorization import rbac
from azure_emulator.services.locks import backend as locks
from azure_emulator.world.model import Subscription

_GUIDISH = r"[^/]+"


def _caller(request: Request) -> tuple[Principal, str]:
    version = require_api_version(request)
    return require_principal(request, api="arm"), version


def _sub(request: Request, principal: Principal) -> Subscription:
    return backend.get_subscription(get_world(request), principal, request.path_params["sub"])


async def list_tenants(request: Request) -> Response:
    principal, _ = _caller(request)
    world = get_world(request)
    tenant = world.tenants.get(principal.tenant_id.lower()) or world.tenants.get(principal.tenant_id)
    tenants = [tenant] if tenant is not None else []
    return json_response(paged(request, tenants, R.tenant_json, base_urls(request).arm))


async def list_subscriptions(request: Request) -> Response:
    principal, _ = _caller(request)
    subs = backend.visible_subscriptions(get_world(request), principal)
    body = paged(request, subs, R.subscription_json, base_urls(request).arm)
    # Azure's answer carries the total (not in the 2022-12-01 spec; seen on the wire).
    body["count"] = {"type": "Total", "value": len(subs)}
    return json_response(body)


async def get_subscription(request: Request) -> Response:
    principal, _ = _caller(request)
    world = get_world(request)
    sub = _sub(request, principal)
    backend.require_visible(world, principal, sub, "Microsoft.Resources/subscriptions/read")
    return json_response(R.subscription_json(sub))


async def list_locations(request: Request) -> Response:
    principal, _ = _caller(request)
    world = get_world(request)
    sub = _sub(request, principal)
    backend.require_visible(world, principal, sub, "Microsoft.Resources/subscriptions/locations/read")
    value = [
        {
            "id": f"/subscriptions/{sub.subscription_id}/locations/{name.replace(' ', '').lower()}",
            "name": name.replace(" ", "").lower(),
            "type": "Region",
            "displayName": name,
            "regionalDisplayName": name,
            "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
        }
        for name in providers.LOCATIONS
    ]
    return json_response({"value": value})


async def list_resource_groups(request: Request) -> Response:
    principal, _ = _caller(request)
    world = get_world(request)
    sub = _sub(request, principal)
    action = "Microsoft.Resources/subscriptions/resourceGroups/read"
    allowed = rbac.readable_resource_groups(world, principal, sub.subscription_id, action)
    if allowed is not None and not allowed:
        raise rbac.authorization_failed(principal, action, f"/subscriptions/{sub.subscription_id}")
    groups = list(sub.resource_groups.values())
    if allowed is not None:
        groups = [g for g in groups if g.name.lower() in allowed]
    compiled = compile_filter(request.query_params.get("$filter"))
    if compiled is not None:
        groups = [g for g in groups if compiled.predicate(g)]
    return json_response(paged(request, groups, R.resource_group_json, base_urls(request).arm))


async def resource_group(request: Request) -> Response:
    principal, version = _caller(request)
    world = get_world(request)
    sub = _sub(request, principal)
    name = request.path_params["rg"]
    scope = f"/subscriptions/{sub.subscription_id}/resourceGroups/{name}"
    method = request.method
    if method in ("GET", "HEAD"):
        rbac.authorize(world, principal, "Microsoft.Resources/subscriptions/resourceGroups/read", scope)
        rg = sub.resource_groups.get(name.lower())
        if method == "HEAD":
            return empty_response(204 if rg is not None else 404)
        if rg is None:
            raise backend.resource_group_not_found(name)
        return json_response(R.resource_group_json(rg))
    if method == "DELETE":
        rbac.authorize(world, principal, "Microsoft.Resources/subscriptions/resourceGroups/delete", scope)
        rg = sub.resource_groups.get(name.lower())
        if rg is None:
            raise backend.resource_group_not_found(name)
        locks.check(world, rg.id, "delete", include_below=True)
        backend.delete_group(world, sub, rg)
        op = _start_operation(request, sub.subscription_id)
        return empty_response(202, _pending_headers(request, sub.subscription_id, op, version))
    rbac.authorize(world, principal, "Microsoft.Resources/subscriptions/resourceGroups/write", scope)
    if name.lower() in sub.resource_groups:
        locks.check(world, sub.resource_groups[name.lower()].id, "write")
    else:
        locks.check(world, scope, "write")
    body = await read_json(request)
    tags = body.get("tags")
    if tags is not None:
        from azure_emulator.services.arm import tags as tag_rules

        tags = tag_rules.validate(tags, "Microsoft.Resources/resourceGroups")
        tag_rules.check_count(tags, "Microsoft.Resources/resourceGroups")
    if method == "PATCH":
        rg = backend.get_resource_group(sub, name)
        rg, created = backend.create_or_update_group(world, sub, rg.name, None, tags)
    else:
        rg, created = backend.create_or_update_group(world, sub, name, body.get("location"), tags)
    return json_response(R.resource_group_json(rg), 201 if created else 200)


# A long-running delete as Azure runs it: 202 with Retry-After 15 at the start and on each poll
# until it has run LRO_SECONDS. Time is the emulator's clock, and each poll answered 202 counts
# as the Retry-After the client was told to wait: a client that polls at once still sees 202
# LRO_SECONDS / LRO_RETRY_AFTER times, and a test may advance the clock instead of sleeping.
LRO_RETRY_AFTER = 15
LRO_SECONDS = 45


@dataclass(slots=True)
class ArmOperation:
    subscription_id: str
    started: datetime
    polls: int = 0

    def done(self, now: datetime) -> bool:
        waited = max((now - self.started).total_seconds(), self.polls * LRO_RETRY_AFTER)
        return waited >= LRO_SECONDS


def _operations(request: Request) -> dict[str, ArmOperation]:
    ops = get_world(request).derived.setdefault("arm_operations", {})
    assert isinstance(ops, dict)
    return ops


def _start_operation(request: Request, subscription_id: str) -> str:
    op = uuid.uuid4().hex.upper()
    _operations(request)[op] = ArmOperation(subscription_id.lower(), get_world(request).clock.now())
    return op


def _pending_headers(request: Request, subscription_id: str, op: str, version: str) -> dict[str, str]:
    location = f"{base_urls(request).arm}/subscriptions/{subscription_id}/operationresults/{op}?api-version={version}"
    return {"Location": location, "Retry-After": str(LRO_RETRY_AFTER)}


async def operation_result(request: Request) -> Response:
    principal, version = _caller(request)
    sub = _sub(request, principal)
    op = _operations(request).get(request.path_params["op"].upper())
    if op is None or op.subscription_id != sub.subscription_id.lower():
        raise arm_error(404, "OperationNotFound", "The operation could not be found.")
    if not op.done(get_world(request).clock.now()):
        op.polls += 1
        return empty_response(202, _pending_headers(request, sub.subscription_id, request.path_params["op"], version))
    return empty_response(200)


def _expand(request: Request) -> frozenset[str]:
    raw = request.query_params.get("$expand") or ""
    return frozenset(p.strip().lower() for p in raw.split(",") if p.strip())


async def list_resources(request: Request) -> Response:
    principal, _ = _caller(request)
    world = get_world(request)
    sub = _sub(request, principal)
    rg_name = request.path_params.get("rg")
    if rg_name is not None:
        scope = f"/subscriptions/{sub.subscription_id}/resourceGroups/{rg_name}"
        rbac.authorize(world, principal, "Microsoft.Resources/subscriptions/resourceGroups/resources/read", scope)
        items = backend.group_resources(backend.get_resource_group(sub, rg_name))
    else:
        action = "Microsoft.Resources/subscriptions/resources/read"
        allowed = rbac.readable_resource_groups(world, principal, sub.subscription_id, action)
        if allowed is not None:
            rg_allowed = rbac.readable_resource_groups(
                world, principal, sub.subscription_id, "Microsoft.Resources/subscriptions/resourceGroups/resources/read"
            ) or set()
            allowed = allowed | rg_allowed
            if not allowed:
                raise rbac.authorization_failed(principal, action, f"/subscriptions/{sub.subscription_id}")
        items = backend.subscription_resources(world, sub)
        if allowed is not None:
            items = [r for r in items if r.resource_group.lower() in allowed]
    compiled = compile_filter(request.query_params.get("$filter"))
    include_tags = True
    if compiled is not None:
        items = [r for r in items if compiled.predicate(r)]
        include_tags = not compiled.uses_tags
    expand = _expand(request)

    def render(res: object) -> dict[str, object]:
        return R.generic_resource_json(res, include_tags=include_tags, expand=expand)  # type: ignore[arg-type]

    return json_response(paged(request, items, render, base_urls(request).arm))


async def get_resource(request: Request) -> Response:
    principal, version = _caller(request)
    world = get_world(request)
    sub = _sub(request, principal)
    resource_id = f"/subscriptions/{request.path_params['sub']}/resourceGroups/{request.path_params['rg']}/providers/{request.path_params['rest']}"
    parts = request.path_params["rest"].strip("/").split("/")
    rtype = parts[0] + "/" + "/".join(parts[1::2])
    res = backend.find_resource(world, resource_id)
    if res is not None:
        rtype = res.type
    rbac.authorize(world, principal, f"{rtype}/read", resource_id)
    if res is None:
        if sub.resource_groups.get(request.path_params["rg"].lower()) is None:
            raise backend.resource_group_not_found(request.path_params["rg"])
        if request.method == "HEAD":
            return empty_response(404)
        raise backend.resource_not_found(resource_id)
    providers.check_api_version(res.type, res.location, version)
    if request.method == "HEAD":
        return empty_response(204)
    return json_response(R.full_resource_json(res))


async def list_providers(request: Request) -> Response:
    principal, _ = _caller(request)
    sub_id: str | None = None
    if "sub" in request.path_params:
        world = get_world(request)
        sub = _sub(request, principal)
        rbac.authorize(world, principal, "Microsoft.Resources/subscriptions/providers/read", f"/subscriptions/{sub.subscription_id}")
        sub_id = sub.subscription_id
    ns = request.path_params.get("ns")
    if ns is not None:
        canonical = providers.namespace(ns)
        if canonical is None:
            raise providers.provider_not_found(ns)
        return json_response(providers.provider_json(canonical, sub_id))
    value = [providers.provider_json(n, sub_id) for n in providers.CATALOG]
    return json_response({"value": value})


_SUB = rf"/subscriptions/(?P<sub>{_GUIDISH})"
# ARM's routes in match order: the metadata document, resource writes (before the generic
# resource GET below), then the rest. The package is mounted after the specific providers.
router = Router(
    routes=[
        *routes_metadata.router.routes,
        *routes_resource_writes.router.routes,
        *routes_tags.router.routes,
        ArmRoute(r"/tenants", list_tenants, ["GET"]),
        ArmRoute(r"/subscriptions", list_subscriptions, ["GET"]),
        ArmRoute(_SUB, get_subscription, ["GET"]),
        ArmRoute(_SUB + r"/locations", list_locations, ["GET"]),
        ArmRoute(_SUB + r"/resourcegroups", list_resource_groups, ["GET"]),
        ArmRoute(_SUB + r"/resourcegroups/(?P<rg>[^/]+)", resource_group, ["GET", "PUT", "PATCH", "DELETE"]),
        ArmRoute(_SUB + r"/resources", list_resources, ["GET"]),
        ArmRoute(_SUB + r"/resourcegroups/(?P<rg>[^/]+)/resources", list_resources, ["GET"]),
        ArmRoute(_SUB + r"/operationresults/(?P<op>[^/]+)", operation_result, ["GET"]),
        ArmRoute(_SUB + r"/providers", list_providers, ["GET"]),
        ArmRoute(_SUB + r"/providers/(?P<ns>[^/]+)", list_providers, ["GET"]),
        ArmRoute(r"/providers", list_providers, ["GET"]),
        ArmRoute(r"/providers/(?P<ns>[^/]+)", list_providers, ["GET"]),
        ArmRoute(_SUB + r"/resourcegroups/(?P<rg>[^/]+)/providers/(?P<rest>[^/]+/[^/]+/[^/]+(?:/[^/]+/[^/]+)*)",
                 get_resource, ["GET"]),
    ]
)
