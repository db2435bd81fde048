"""Generic resource writes (mounted at ``/arm`` ahead of ``arm.routes``):
``PUT`` / ``PATCH /subscriptions/{sub}/resourceGroups/{rg}/providers/{type}/{name}``.

PUT replaces what the body carries (``tags``, ``properties``, ``sku``, ``kind``) of an existing
resource, or creates the resource (``location`` required); PATCH updates only what it carries.
This is what ``az resource tag`` / ``az resource update`` do: GET the resource, then PUT it
back. RBAC ``{type}/write``; management locks and deny policies apply as for tag writes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    ArmRoute,
    json_response,
    read_json,
    require_api_version,
)
from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import get_world
from azure_emulator.core.errors import arm_error
from azure_emulator.services.arm import backend, providers
from azure_emulator.services.arm import responses as R
from azure_emulator.services.arm import tags as rules
from azure_emulator.services.authorization import rbac
from azure_emulator.services.locks import backend as locks
from azure_emulator.services.policy import backend as policy
from azure_emulator.world.io import resource_key
from azure_emulator.world.model import Resource

_READ_ONLY = ("id", "name", "type")


async def write_resource(request: Request) -> Response:
    version = require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    sub = backend.get_subscription(world, principal, request.path_params["sub"])
    rest = request.path_params["rest"].strip("/")
    resource_id = f"/subscriptions/{sub.subscription_id}/resourceGroups/{request.path_params['rg']}/providers/{rest}"
    parts = rest.split("/")
    existing = backend.find_resource(world, resource_id)
    rtype = existing.type if existing else parts[0] + "/" + "/".join(parts[1::2])
    rbac.authorize(world, principal, f"{rtype}/write", resource_id)
    rg = backend.get_resource_group(sub, request.path_params["rg"])
    body = await read_json(request)
    tags = body.get("tags")
    if tags is not None:
        tags = rules.provider_normalise(rules.validate(tags, rtype), rtype)
        rules.check_count(tags, rtype)
    with world.lock:
        locks.check(world, resource_id, "write")
        if existing is None:
            if request.method == "PATCH":
                raise backend.resource_not_found(resource_id)
            location = body.get("location")
            if not location:
                raise arm_error(400, "LocationRequired", "The location property is required for this definition.")
            if tags is not None:
                policy.check(world, resource_id, rtype, tags)
            now = world.clock.now()
            made = Resource(id=resource_id, name="/".join(parts[2::2]), type=rtype,
                            location=str(location).replace(" ", "").lower(), resource_group=rg.name,
                            subscription_id=sub.subscription_id, tags=dict(tags or {}), kind=body.get("kind"),
                            sku=body.get("sku"), properties=dict(body.get("properties") or {}), created=now, changed=now)
            rg.resources[resource_key(rtype, made.name)] = made
            backend.structural_change(world)
            return json_response(R.full_resource_json(made), 201)
        providers.check_api_version(existing.type, existing.location, version)
        location = body.get("location")
        if location and str(location).replace(" ", "").lower() != existing.location.lower():
            raise arm_error(400, "InvalidResourceLocation",
                            f"The resource '{existing.name}' already exists in location '{existing.location}'; "
                            f"it cannot be moved to '{location}'.")
        _update(world, existing, body, tags, request.method == "PUT")
    return json_response(R.full_resource_json(existing))


def _update(world: Any, res: Resource, body: dict[str, Any], tags: dict[str, str] | None, replace: bool) -> None:
    if tags is not None or replace:
        new = dict(tags or {})
        if res.tags is None:
            if new:
                raise rules.untaggable(res.type)
        else:
            policy.check(world, res.id, res.type, new)
            rules.replace_in_place(res.tags, new)
            backend.bump_tags_version(world)
    props = body.get("properties")
    if isinstance(props, dict):
        merged = dict(props) if replace else {**res.properties, **props}
        merged.pop("provisioningState", None)
        res.properties = merged
    if "sku" in body and isinstance(body["sku"], dict):
        res.sku = body["sku"]
    if "kind" in body and body["kind"] is not None:
        res.kind = str(body["kind"])
    res.changed = world.clock.now()


router = Router(
    routes=[
        ArmRoute(r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/"
                 # a nested "/providers/" is an extension resource (tags, locks, role assignments): not ours
                 # and so is Microsoft.Resources (tags/default at the group)
                 r"(?P<rest>(?!Microsoft\.Resources/)[^/]+/[^/]+/[^/]+(?:/(?!providers/)[^/]+/[^/]+)*)",
                 write_resource, ["PUT", "PATCH"]),
    ]
)
